//! One isolate's fibers and how their requests are served.
//!
//! A request handler is driven by a tokio task on the isolate's thread (a
//! `LocalSet`): resume the fiber until it suspends, serve what it
//! performed, resume it with the answer ([`Local::drive`]). Processes and
//! `sxc run`'s main program run on the isolate's scheduler instead
//! (`super::sched`), which serves their requests with the same
//! [`Local::serve_now`] and hands a fiber that must wait on anything but
//! its mailbox to a task of its own ([`Local::drive_from`]). `receive` and
//! `call` are suspensions like any `perform`: the fiber waits for its
//! mailbox (with a timer for a timeout) while the isolate's other fibers
//! run; nothing is held while it waits, so a handler calling a service
//! never blocks the service, the worker or the server (there is no runtime
//! lock to hold). The isolate is borrowed only inside `resume`.
//!
//! Fairness between fibers: a fiber that only performs ops answered at once
//! (`send`, `self`, …) gives the others a turn after [`QUICK_TURN`] of
//! them; a fiber in a pure loop is preempted at a safepoint by the
//! watchdog's YIELD after a time slice.

use super::ops::{ProcOp, Target};
use super::registry::{Entry, Kind, Proc, Registry, State, Stopped};
use super::sched::{Done, Sched};
use crate::resolver::{decode, encode_result, serve_store, Decoded};
use crate::memory::MemoryBudget;
use crate::serve::watchdog::{Watch, Watchdog};
use crate::store::Store;
use std::cell::{Cell, OnceCell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use vm::data::Data;
use vm::error::err;
use vm::fiber::Fiber;
use vm::isolate::{Isolate, SxError, Step};
use vm::Value;

/// Where an isolate's storage comes from.
pub enum StoreSlot {
    /// An open store (the server opens it before loading the app).
    Open(Arc<Store>),
    /// Opened on first use (`sxc run`: a program that performs no IO never
    /// touches the data directory); failure raises `storage unavailable: …`.
    Lazy(PathBuf, OnceCell<Arc<Store>>),
}

impl StoreSlot {
    /// A store opened in `dir` on the first request.
    pub fn lazy(dir: impl Into<PathBuf>) -> StoreSlot {
        StoreSlot::Lazy(dir.into(), OnceCell::new())
    }

    fn get(&self) -> Result<&Arc<Store>, Value> {
        match self {
            StoreSlot::Open(s) => Ok(s),
            StoreSlot::Lazy(dir, cell) => {
                if let Some(s) = cell.get() {
                    return Ok(s);
                }
                let store = Store::open(dir).map_err(|e| err(format!("storage unavailable: {e}")))?;
                Ok(cell.get_or_init(|| Arc::new(store)))
            }
        }
    }
}

/// One isolate with what its fibers need: the server-wide process table and
/// the store. Shared (`Rc`) by the tasks of the isolate's thread.
pub struct Local {
    /// The isolate; borrowed only for one `resume` at a time.
    pub isolate: RefCell<Isolate>,
    registry: Arc<Registry>,
    store: StoreSlot,
    /// This isolate's number (the worker index; 0 under `sxc run`).
    worker: usize,
    /// Gives every fiber driven here time slices (YIELD after 10 ms of one
    /// `resume`), so a process in a pure loop does not starve the others.
    watchdog: RefCell<Option<Arc<Watchdog>>>,
    /// The processes of this isolate that run as tokio tasks (pid, task):
    /// hosted ones that had to wait on something other than their mailbox
    /// (`super::sched`), for [`Local::stop_processes`].
    processes: RefCell<Vec<(u64, tokio::task::AbortHandle)>>,
    /// The run queue of hosted fibers (processes, `sxc run`'s main program).
    pub(super) sched: Sched,
    /// Memory budget of each process driven here, in bytes (`sxc serve`:
    /// `--request-memory-mb`; `None` under `sxc run`, whose one budget
    /// covers the whole run).
    memory_limit: std::cell::Cell<Option<usize>>,
    /// What the isolate's [`SendHost`] needs from the fiber it runs.
    sending: Rc<Sending>,
}

/// The running fiber's side of in-place sends, set by [`Local::resume_once`]
/// around each resume.
#[derive(Default)]
struct Sending {
    /// How many more `send`s may be delivered in place during the current
    /// resume (0 outside it, and for fibers resumed elsewhere: they perform
    /// every send).
    budget: Cell<u32>,
    /// The fiber's [`FiberProc::sent_to`], lent for the resume.
    sent_to: Cell<Option<Arc<Proc>>>,
    /// True when the fiber runs under a memory budget of its own: a message
    /// is then copied [`crate::memory::uncharged`], as a performed `send`
    /// copies it outside the fiber's run.
    own_budget: Cell<bool>,
}

/// The isolate's in-place `send` ([`vm::ctx::ProcHost`], the prelude's
/// `%send`): delivers as the performed `(:process/send …)` request would
/// (`Local::send`), without suspending the fiber — no request list, no
/// switch to the driver and back. It declines (the prelude then performs
/// the request, which raises the argument errors) for arguments it does not
/// take as they are: a bad target, an unknown name, a message that cannot
/// be sent; and when the running fiber's budget is spent, so that a fiber
/// sending in a loop still gives the others a turn after [`QUICK_TURN`] ops
/// (and a stopped one gets `process stopped` at its next perform).
struct SendHost {
    registry: Arc<Registry>,
    sending: Rc<Sending>,
}

impl vm::ctx::ProcHost for SendHost {
    fn send(&mut self, target: &Value, msg: &Value) -> bool {
        if self.sending.budget.get() == 0 {
            return false;
        }
        if self.sending.own_budget.get() {
            crate::memory::uncharged(|| self.deliver(target, msg))
        } else {
            self.deliver(target, msg)
        }
    }
}

impl SendHost {
    /// [`vm::ctx::ProcHost::send`] with a budget left.
    fn deliver(&mut self, target: &Value, msg: &Value) -> bool {
        match target {
            Value::Pid(pid) => {
                let Ok(msg) = Data::from_message(msg, "send") else { return false };
                let mut to = self.sending.sent_to.take();
                if !to.as_ref().is_some_and(|p| p.pid == *pid) {
                    to = self.registry.get(*pid);
                }
                // A pid that is gone: the message is dropped, as `Local::send` does.
                if let Some(p) = &to {
                    p.deliver(Entry::Msg(msg));
                }
                self.sending.sent_to.set(to);
            }
            Value::Str(_) | Value::Keyword(_) => {
                let Ok(Target::Name(name)) = super::ops::target("send", target) else { return false };
                // An unknown name raises: the performed request says so.
                let Some(p) = self.registry.whereis(&name).and_then(|pid| self.registry.get(pid)) else { return false };
                let Ok(msg) = Data::from_message(msg, "send") else { return false };
                p.deliver(Entry::Msg(msg));
            }
            _ => return false,
        }
        self.sending.budget.set(self.sending.budget.get() - 1);
        true
    }
}

/// The pid side of one fiber: created on first use (`self`, `receive`,
/// `call`) for requests and the main program, at `spawn` for processes.
/// Dropping it ends the process: its names are freed and calls waiting on
/// it raise (with the failure message, when it crashed).
pub struct FiberProc {
    proc: Option<Arc<Proc>>,
    kind: Kind,
    registry: Arc<Registry>,
    worker: usize,
    failure: Option<String>,
    /// The process this fiber last sent to by pid (a fiber usually sends to
    /// the same few): spares the table lookup. A dead one is harmless
    /// (its `deliver` drops the message, as the lookup would).
    sent_to: Option<Arc<Proc>>,
}

impl FiberProc {
    /// This fiber's process entry, created if it has none yet (borrowed:
    /// no reference-count traffic on the per-message path).
    fn proc(&mut self) -> &Arc<Proc> {
        let (registry, worker, kind) = (&self.registry, self.worker, self.kind);
        self.proc.get_or_insert_with(|| registry.create(worker, kind))
    }

    fn set_state(&self, s: State) {
        if let Some(p) = &self.proc {
            p.set_state(s);
        }
    }

    /// This fiber's pid, if it has one yet.
    pub(super) fn pid(&self) -> Option<u64> {
        self.proc.as_ref().map(|p| p.pid)
    }

    /// `receive`'s wait from the scheduler: the oldest message, or
    /// [`Stopped`]; otherwise `waker` is woken by the next delivery or stop.
    pub(super) fn poll_receive(&mut self, waker: &Waker) -> Poll<Result<Data, Stopped>> {
        self.proc().poll_receive(&mut Context::from_waker(waker))
    }

    /// True when this fiber is a process being stopped.
    pub(super) fn is_stopping(&self) -> bool {
        self.proc.as_ref().is_some_and(|p| p.is_stopping())
    }

    /// Records that the fiber failed with `message` (reported to waiting callers).
    pub fn fail(&mut self, message: &str) {
        self.failure = Some(message.to_string());
    }
}

impl Drop for FiberProc {
    fn drop(&mut self) {
        if let Some(p) = self.proc.take() {
            self.registry.exit(&p, self.failure.as_deref());
        }
    }
}

/// How many requests a fiber may have answered at once in a row before its
/// task gives the isolate's other tasks a turn (tokio's cooperative budget
/// is 128 per poll).
pub(super) const QUICK_TURN: u32 = 128;

/// What serving a request takes.
pub(super) enum Served {
    /// Answered at once.
    Now(Result<Value, Value>),
    /// Needs waiting.
    Wait(Wait),
}

/// A request that waits (on the store, a message or a reply).
pub(super) enum Wait {
    Store(String, Vec<Data>),
    Receive(Option<u64>),
    Call { target: Target, request: Data, timeout_ms: u64 },
}

/// Removes a call's watch on the callee however the call ends (answered,
/// timed out, or the caller's task dropped).
struct Unwatch(Arc<Proc>, u64);

impl Drop for Unwatch {
    fn drop(&mut self) {
        self.0.unwatch(self.1);
    }
}

impl Local {
    /// An isolate on worker `worker`, sharing `registry` with the other
    /// isolates of the server.
    pub fn new(mut isolate: Isolate, registry: Arc<Registry>, store: StoreSlot, worker: usize) -> Rc<Local> {
        let sending = Rc::new(Sending::default());
        isolate.ctx_mut().procs = Some(Box::new(SendHost { registry: registry.clone(), sending: sending.clone() }));
        Rc::new(Local {
            isolate: RefCell::new(isolate),
            registry,
            store,
            worker,
            watchdog: RefCell::new(None),
            processes: RefCell::new(Vec::new()),
            sched: Sched::default(),
            memory_limit: std::cell::Cell::new(None),
            sending,
        })
    }

    /// Time-slices the fibers [`Local::drive`] runs from now on.
    pub(crate) fn set_watchdog(&self, w: Arc<Watchdog>) {
        *self.watchdog.borrow_mut() = Some(w);
    }

    /// Gives every fiber driven by [`Self::drive`] (processes) its own
    /// memory budget of `bytes` (`host::memory`): one that grows without
    /// bound fails with `memory limit exceeded`.
    pub(crate) fn set_memory_limit(&self, bytes: usize) {
        self.memory_limit.set(Some(bytes));
    }

    /// The server-wide process table.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The pid side of a new fiber of the given kind (no pid until it needs one).
    pub fn fiber_proc(&self, kind: Kind) -> FiberProc {
        FiberProc { proc: None, kind, registry: self.registry.clone(), worker: self.worker, failure: None, sent_to: None }
    }

    /// Runs `fiber` to its end on this task, serving everything it performs.
    pub async fn drive(self: &Rc<Self>, fiber: &mut Fiber, me: &mut FiberProc) -> Result<Value, SxError> {
        if me.is_stopping() {
            // Stopped before it first ran: nothing to clean up.
            return Err(stopped_error());
        }
        let (watch, budget) = self.limits(fiber);
        self.drive_from(fiber, me, Ok(Value::Nil), watch, budget).await
    }

    /// The time slices and memory budget of a fiber driven here.
    pub(super) fn limits(&self, fiber: &Fiber) -> (Option<Watch>, Option<MemoryBudget>) {
        let watch = self.watchdog.borrow().as_ref().map(|w| w.watch(fiber.interrupt_handle(), no_deadline()));
        let budget = self.memory_limit.get().map(|l| MemoryBudget::new(l, fiber.interrupt_handle()));
        (watch, budget)
    }

    /// Resumes `fiber` (whose pid side is `me`) once with `input`, inside
    /// its time slice and memory budget; the isolate is borrowed only for
    /// this call. `quick` counts the ops answered at once in the fiber's
    /// turn: the sends delivered in place during the resume are added, and
    /// it may deliver in place only while `quick` is below [`QUICK_TURN`]
    /// (none once it is being stopped).
    pub(super) fn resume_once(
        &self,
        fiber: &mut Fiber,
        me: &mut FiberProc,
        input: Result<Value, Value>,
        watch: &Option<Watch>,
        budget: &mut Option<MemoryBudget>,
        quick: &mut u32,
    ) -> Step {
        let allowed = if me.is_stopping() { 0 } else { QUICK_TURN.saturating_sub(*quick) };
        self.sending.budget.set(allowed);
        self.sending.own_budget.set(budget.is_some());
        self.sending.sent_to.set(me.sent_to.take());
        let resume = || match budget {
            Some(b) => b.run(|| self.isolate.borrow_mut().resume(fiber, input)),
            None => self.isolate.borrow_mut().resume(fiber, input),
        };
        let step = match watch {
            Some(w) => w.running(resume),
            None => resume(),
        };
        *quick += allowed - self.sending.budget.replace(0);
        me.sent_to = self.sending.sent_to.take();
        step
    }

    /// [`Self::drive`] from a fiber that was suspended: resumes it with
    /// `input` (the answer to what it performed) and drives it to its end.
    pub(super) async fn drive_from(
        self: &Rc<Self>,
        fiber: &mut Fiber,
        me: &mut FiberProc,
        mut input: Result<Value, Value>,
        watch: Option<Watch>,
        mut budget: Option<MemoryBudget>,
    ) -> Result<Value, SxError> {
        // Requests answered at once since this task last gave way.
        let mut quick = 0u32;
        loop {
            match self.resume_once(fiber, me, input, &watch, &mut budget, &mut quick) {
                Step::Done(v) => return Ok(v),
                Step::Failed(e) => {
                    me.fail(&e.message);
                    return Err(e);
                }
                Step::Suspended(request) => {
                    // Most process ops (`send`, `self`, a `receive` with a
                    // message waiting) are answered at once: no boxed future,
                    // and the fiber resumes on this turn. `at_once` says so.
                    let (r, at_once) = match self.serve_now(&request, me) {
                        Served::Now(r) => (r, true),
                        Served::Wait(Wait::Receive(None)) => {
                            // `receive` without a timeout, the wait of every
                            // message: polled right here (no nested future);
                            // ready at the first poll when a message was queued.
                            let mine = me.proc();
                            let mut polls = 0u32;
                            let got = std::future::poll_fn(|cx| {
                                polls += 1;
                                mine.poll_receive(cx)
                            })
                            .await;
                            match got {
                                Ok(m) => (Ok(m.to_value()), polls == 1),
                                Err(Stopped) => (Err(vm::interrupt::terminate(fiber, vm::interrupt::STOP)), false),
                            }
                        }
                        Served::Wait(w) => {
                            // A fiber already stopped once runs its cleanup:
                            // its storage IO is not cut short.
                            let stoppable = fiber.terminated_by().is_none();
                            let r = match self.wait(w, me, stoppable).await {
                                Ok(r) => r,
                                Err(Stopped) => Err(vm::interrupt::terminate(fiber, vm::interrupt::STOP)),
                            };
                            (r, false)
                        }
                    };
                    input = if !at_once {
                        quick = 0;
                        r
                    } else {
                        quick += 1;
                        if quick >= QUICK_TURN {
                            quick = 0;
                            tokio::task::yield_now().await;
                            if me.is_stopping() && fiber.terminated_by().is_none() {
                                // Stopped while it gave way: raised at the perform.
                                Err(vm::interrupt::terminate(fiber, vm::interrupt::STOP))
                            } else {
                                r
                            }
                        } else {
                            r
                        }
                    };
                }
                Step::Yielded => {
                    // A YIELD interrupt: let the isolate's other fibers run.
                    quick = 0;
                    tokio::task::yield_now().await;
                    if me.is_stopping() && fiber.terminated_by().is_none() {
                        // Stopped while it was preempted: `process stopped` is
                        // raised at the safepoint it continues from. (Not
                        // again once raised: its cleanup may be long, e.g.
                        // while the JIT compiles it; the grace bounds it.)
                        fiber.interrupt_handle().request(vm::interrupt::STOP);
                    }
                    input = Ok(Value::Nil);
                }
            }
        }
    }

    /// Serves one performed request of the fiber whose pid side is `me`:
    /// process ops here, storage through [`serve_store`]. The answer (or the
    /// error to raise) is what the fiber resumes with.
    pub async fn serve(self: &Rc<Self>, request: &Value, me: &mut FiberProc) -> Result<Value, Value> {
        match self.serve_now(request, me) {
            Served::Now(r) => {
                // Answered at once: let the isolate's other tasks run now and then.
                tokio::task::coop::consume_budget().await;
                r
            }
            Served::Wait(w) => self.wait(w, me, true).await.unwrap_or_else(|Stopped| Err(stopped_error().value)),
        }
    }

    /// Serves a request if that needs no waiting; otherwise says what to wait for.
    pub(super) fn serve_now(self: &Rc<Self>, request: &Value, me: &mut FiberProc) -> Served {
        // A suspended fiber is a safe point for cycle collection.
        crate::resolver::collect_cycles_if_due();
        let op = match decode(request) {
            Ok(Decoded::Process(op)) => op,
            // Reads (and `time/now`, an unknown op's error) are answered on
            // this thread at once, as `serve_store` would: no future.
            Ok(Decoded::Store(op, args)) if crate::resolver::serves_inline(&op) => {
                return Served::Now(match self.store.get() {
                    Ok(store) => encode_result(store.resolve(&op, args)),
                    Err(e) => Err(e),
                })
            }
            Ok(Decoded::Store(op, args)) => return Served::Wait(Wait::Store(op, args)),
            Err(e) => return Served::Now(Err(e)),
        };
        Served::Now(match op {
            ProcOp::Spawn(thunk) => Ok(Value::Pid(self.spawn(thunk))),
            ProcOp::Send(target, msg) => self.send(me, &target, msg).map(|()| Value::Nil),
            ProcOp::SelfPid => Ok(Value::Pid(me.proc().pid)),
            ProcOp::Register(name, pid) => match self.registry.register(&name, pid) {
                Ok(()) => Ok(Value::Pid(pid)),
                Err(e) => Err(err(e.to_string())),
            },
            ProcOp::Whereis(name) => Ok(self.registry.whereis(&name).map(Value::Pid).unwrap_or(Value::Nil)),
            ProcOp::Reply { to, r, value } => {
                if let Some(p) = self.registry.get(to) {
                    p.deliver(Entry::Reply { r, value });
                }
                Ok(Value::Nil)
            }
            // Without a timeout the driver's wait takes a queued message at
            // its first poll (one mailbox lock, not a look and then a wait).
            ProcOp::Receive(None) => return Served::Wait(Wait::Receive(None)),
            ProcOp::Receive(timeout) => match me.proc().take_msg() {
                Some(m) => Ok(m.to_value()),
                None if timeout == Some(0) => Ok(Value::Nil),
                None => return Served::Wait(Wait::Receive(timeout)),
            },
            ProcOp::Call { target, request, timeout_ms } => {
                return Served::Wait(Wait::Call { target, request, timeout_ms })
            }
        })
    }

    /// Serves a request that waits: storage IO, `receive` on an empty
    /// mailbox, `call`. A process being stopped stops waiting ([`Stopped`]);
    /// storage IO only when `stoppable` (the fiber's cleanup may write).
    pub(super) async fn wait(&self, w: Wait, me: &mut FiberProc, stoppable: bool) -> Result<Result<Value, Value>, Stopped> {
        match w {
            Wait::Store(op, args) => {
                let store = match self.store.get() {
                    Ok(s) => s.clone(),
                    Err(e) => return Ok(Err(e)),
                };
                me.set_state(State::Io);
                let io = Box::pin(serve_store(&store, op, args));
                let r = match me.proc.clone().filter(|p| stoppable && p.kind == Kind::Process) {
                    Some(p) => tokio::select! {
                        r = io => Ok(r),
                        s = p.stopped() => Err(s),
                    },
                    None => Ok(io.await),
                };
                me.set_state(State::Running);
                r
            }
            Wait::Receive(timeout) => receive(me, timeout).await,
            Wait::Call { target, request, timeout_ms } => Box::pin(self.call(me, target, request, timeout_ms)).await,
        }
    }

    /// Starts `thunk` as a new process on this isolate's scheduler
    /// (`super::sched`); returns its pid. An uncaught error is logged with
    /// its backtrace (a stopped process only at debug level: stopping is
    /// not a failure).
    pub fn spawn(self: &Rc<Self>, thunk: Value) -> u64 {
        let mut me = self.fiber_proc(Kind::Process);
        let pid = me.proc().pid;
        self.host(Fiber::new_call(thunk, Vec::new()), me, Done::Process);
        pid
    }

    /// Remembers the task of process `pid` (for [`Self::stop_processes`]).
    pub(super) fn track(&self, pid: u64, task: tokio::task::AbortHandle) {
        let mut tasks = self.processes.borrow_mut();
        tasks.retain(|(_, t)| !t.is_finished());
        tasks.push((pid, task));
    }

    /// Stops every process spawned on this isolate that is still running
    /// (the end of `sxc run`'s top level, `sxc serve` after its drain or
    /// before a `--dev` reload) and waits until they have ended:
    ///
    /// 1. each is stopped ([`Proc::stop`]): `process stopped` is raised in
    ///    its fiber where it waits (`receive`, `call`, storage IO, `sleep`) or
    ///    at its next safepoint, so `guard` handlers and `dynamic-wind`
    ///    after-thunks run (and may still perform IO and send);
    /// 2. one that is still there after [`STOP_GRACE`] — it caught the error
    ///    and went on — is dropped where it waits or at its next time slice,
    ///    as if killed (no handler runs).
    ///
    /// Either way its names are freed and calls waiting on it raise. Must
    /// run on the isolate's thread, inside its `LocalSet`.
    pub async fn stop_processes(&self) {
        let mut pids: Vec<u64> = self.processes.borrow().iter().map(|(p, _)| *p).collect();
        pids.extend(self.sched.process_pids());
        for pid in &pids {
            if let Some(p) = self.registry.get(*pid) {
                p.stop();
            }
        }
        // A process is alive until its fiber's pid side drops (its end).
        let alive = |pids: &[u64]| pids.iter().any(|p| self.registry.get(*p).is_some());
        let deadline = tokio::time::Instant::now() + STOP_GRACE;
        while alive(&pids) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Stragglers: hosted ones are dropped here, tasks at their next poll.
        self.sched.kill(&pids);
        let tasks: Vec<_> = {
            let mut all = self.processes.borrow_mut();
            let (stopped, others) = all.drain(..).partition(|(p, _)| pids.contains(p));
            *all = others;
            stopped
        };
        for (_, t) in &tasks {
            t.abort();
        }
        for _ in 0..1000 {
            if tasks.iter().all(|(_, t)| t.is_finished()) {
                break;
            }
            tokio::task::yield_now().await;
        }
    }

    /// `send`: delivers `msg` to `target` (dropped when it is gone).
    fn send(&self, me: &mut FiberProc, target: &Target, msg: Data) -> Result<(), Value> {
        if let (Target::Pid(pid), Some(p)) = (target, &me.sent_to) {
            if p.pid == *pid {
                p.deliver(Entry::Msg(msg));
                return Ok(());
            }
        }
        if let Some(p) = self.lookup("send", target)? {
            p.deliver(Entry::Msg(msg));
            if let Target::Pid(_) = target {
                me.sent_to = Some(p);
            }
        }
        Ok(())
    }

    /// The live process `target` names: `None` for a pid that is gone (a
    /// message to it is dropped); an unknown name raises.
    fn lookup(&self, func: &str, target: &Target) -> Result<Option<Arc<Proc>>, Value> {
        match target {
            Target::Pid(p) => Ok(self.registry.get(*p)),
            Target::Name(n) => match self.registry.whereis(n) {
                Some(p) => Ok(self.registry.get(p)),
                None => Err(err(format!("{func}: no process registered as {n}"))),
            },
        }
    }

    /// `call`: sends `{:from me :ref r :request request}` and waits for the
    /// reply to `r`, the callee's end, or the timeout; other messages stay
    /// queued.
    async fn call(
        &self,
        me: &mut FiberProc,
        target: Target,
        request: Data,
        timeout_ms: u64,
    ) -> Result<Result<Value, Value>, Stopped> {
        let mine = me.proc().clone();
        let gone = |pid: u64| err(format!("call: process #<pid {pid}> is not alive"));
        let callee = match self.lookup("call", &target) {
            Ok(Some(p)) => p,
            Ok(None) => {
                return Ok(Err(match target {
                    Target::Pid(p) => gone(p),
                    Target::Name(n) => err(format!("call: no process registered as {n}")),
                }))
            }
            Err(e) => return Ok(Err(e)),
        };
        if callee.pid == mine.pid {
            return Ok(Err(err("call: a process cannot call itself")));
        }
        let r = self.registry.new_ref();
        if !callee.watch(r, mine.clone()) {
            return Ok(Err(gone(callee.pid)));
        }
        let _unwatch = Unwatch(callee.clone(), r);
        let msg = Data::Dict(vec![
            ("from".into(), Data::Pid(mine.pid)),
            ("ref".into(), Data::Int(r as i64)),
            ("request".into(), request),
        ]);
        if !callee.deliver(Entry::Msg(msg)) {
            return Ok(Err(gone(callee.pid)));
        }
        mine.set_state(State::Calling);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
        let answer = match tokio::time::timeout_at(deadline, mine.answer(r)).await {
            Ok(e) => e.map(Some),
            Err(_) => Ok(mine.take_answer(r)),
        };
        mine.set_state(State::Running);
        Ok(match answer? {
            Some(Entry::Reply { value, .. }) => Ok(value.to_value()),
            Some(Entry::Down { pid, failure: Some(f), .. }) => {
                Err(err(format!("call: process #<pid {pid}> failed before replying: {f}")))
            }
            Some(Entry::Down { pid, failure: None, .. }) => {
                Err(err(format!("call: process #<pid {pid}> ended without replying")))
            }
            Some(Entry::Msg(_)) | None => Err(err("call timeout")),
        })
    }
}

/// How long stopped processes get to run their cleanup (`guard`,
/// `dynamic-wind` after-thunks) before they are dropped (the server's
/// handler-timeout grace, `crate::serve::watchdog::GRACE`).
pub const STOP_GRACE: Duration = crate::serve::watchdog::GRACE;

/// The error of a process stopped before it could raise it in its fiber.
pub(super) fn stopped_error() -> SxError {
    let message = vm::interrupt::message(vm::interrupt::STOP).unwrap_or("process stopped").to_string();
    SxError { value: err(message.clone()), message, backtrace: Vec::new() }
}

/// A deadline that never comes (a process has no time limit; the watchdog
/// only slices its time).
fn no_deadline() -> std::time::Instant {
    std::time::Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

/// `receive` on an empty mailbox: waits for a message (up to `timeout` ms;
/// nil then).
async fn receive(me: &mut FiberProc, timeout: Option<u64>) -> Result<Result<Value, Value>, Stopped> {
    let mine = me.proc().clone();
    mine.set_state(State::Receiving);
    let m = match timeout {
        None => mine.next_msg().await.map(Some),
        Some(ms) => {
            let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
            match tokio::time::timeout_at(deadline, mine.next_msg()).await {
                Ok(m) => m.map(Some),
                Err(_) => Ok(mine.take_msg()),
            }
        }
    };
    mine.set_state(State::Running);
    Ok(Ok(m?.map(|m| m.to_value()).unwrap_or(Value::Nil)))
}
