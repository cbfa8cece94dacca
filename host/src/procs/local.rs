//! One isolate's fibers and how their requests are served.
//!
//! Every fiber of an isolate — a request handler, `sxc run`'s main program,
//! a spawned process — is driven by a tokio task on the isolate's thread
//! (a `LocalSet`): resume the fiber until it suspends, serve what it
//! performed, resume it with the answer. A process is such a task started by
//! `spawn`. `receive` and `call` are suspensions like any `perform`: the task
//! awaits its mailbox (with a timer for a timeout) while the other tasks of
//! the isolate run; nothing is held while it waits, so a handler calling a
//! service never blocks the service, the worker or the server (there is no
//! runtime lock to hold). The isolate is borrowed only inside `resume`.
//!
//! Fairness between fibers: a fiber that only performs ops answered at once
//! (`send`, `self`, …) gives the others a turn through tokio's cooperative
//! budget; a fiber in a pure loop keeps the thread until it suspends (the
//! interrupt mechanism's YIELD bit is what will preempt it).

use super::ops::{ProcOp, Target};
use super::registry::{Entry, Kind, Proc, Registry, State};
use crate::resolver::{decode, serve_store, Decoded};
use crate::serve::watchdog::Watchdog;
use crate::store::Store;
use std::cell::{OnceCell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
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
    /// The tasks of the processes spawned here, for [`Local::stop_processes`].
    processes: RefCell<Vec<tokio::task::AbortHandle>>,
    /// Memory budget of each process driven here, in bytes (`sxc serve`:
    /// `--request-memory-mb`; `None` under `sxc run`, whose one budget
    /// covers the whole run).
    memory_limit: std::cell::Cell<Option<usize>>,
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
    /// This fiber's process entry, created if it has none yet.
    fn proc(&mut self) -> Arc<Proc> {
        if self.proc.is_none() {
            self.proc = Some(self.registry.create(self.worker, self.kind));
        }
        self.proc.clone().expect("created above")
    }

    fn set_state(&self, s: State) {
        if let Some(p) = &self.proc {
            p.set_state(s);
        }
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
const QUICK_TURN: u32 = 128;

/// What serving a request takes.
enum Served {
    /// Answered at once.
    Now(Result<Value, Value>),
    /// Needs waiting.
    Wait(Wait),
}

/// A request that waits (on the store, a message or a reply).
enum Wait {
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
    pub fn new(isolate: Isolate, registry: Arc<Registry>, store: StoreSlot, worker: usize) -> Rc<Local> {
        Rc::new(Local {
            isolate: RefCell::new(isolate),
            registry,
            store,
            worker,
            watchdog: RefCell::new(None),
            processes: RefCell::new(Vec::new()),
            memory_limit: std::cell::Cell::new(None),
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
        let watch = self.watchdog.borrow().as_ref().map(|w| w.watch(fiber.interrupt_handle(), no_deadline()));
        let mut budget = self.memory_limit.get().map(|l| crate::memory::MemoryBudget::new(l, fiber.interrupt_handle()));
        let mut input = Ok(Value::Nil);
        // Requests answered at once since this task last gave way.
        let mut quick = 0u32;
        loop {
            let resume = || match &mut budget {
                Some(b) => b.run(|| self.isolate.borrow_mut().resume(fiber, input)),
                None => self.isolate.borrow_mut().resume(fiber, input),
            };
            let step = match &watch {
                Some(w) => w.running(resume),
                None => resume(),
            };
            match step {
                Step::Done(v) => return Ok(v),
                Step::Failed(e) => {
                    me.fail(&e.message);
                    return Err(e);
                }
                Step::Suspended(request) => {
                    // Most process ops (`send`, `self`, a `receive` with a
                    // message waiting) are answered here, synchronously: no
                    // future is built and the fiber resumes at once.
                    input = match self.serve_now(&request, me) {
                        Served::Now(r) => {
                            quick += 1;
                            if quick >= QUICK_TURN {
                                quick = 0;
                                tokio::task::yield_now().await;
                            }
                            r
                        }
                        Served::Wait(w) => {
                            quick = 0;
                            self.wait(w, me).await
                        }
                    };
                }
                Step::Yielded => {
                    // A YIELD interrupt: let the isolate's other fibers run.
                    quick = 0;
                    tokio::task::yield_now().await;
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
            Served::Wait(w) => self.wait(w, me).await,
        }
    }

    /// Serves a request if that needs no waiting; otherwise says what to wait for.
    fn serve_now(self: &Rc<Self>, request: &Value, me: &mut FiberProc) -> Served {
        // A suspended fiber is a safe point for cycle collection.
        crate::resolver::collect_cycles_if_due();
        let op = match decode(request) {
            Ok(Decoded::Process(op)) => op,
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
    /// mailbox, `call`.
    async fn wait(&self, w: Wait, me: &mut FiberProc) -> Result<Value, Value> {
        match w {
            Wait::Store(op, args) => {
                let store = self.store.get()?.clone();
                me.set_state(State::Io);
                let r = Box::pin(serve_store(&store, op, args)).await;
                me.set_state(State::Running);
                r
            }
            Wait::Receive(timeout) => receive(me, timeout).await,
            Wait::Call { target, request, timeout_ms } => Box::pin(self.call(me, target, request, timeout_ms)).await,
        }
    }

    /// Starts `thunk` as a new process on this isolate; returns its pid.
    pub fn spawn(self: &Rc<Self>, thunk: Value) -> u64 {
        let mut me = self.fiber_proc(Kind::Process);
        let pid = me.proc().pid;
        let local = self.clone();
        let task = tokio::task::spawn_local(async move {
            let mut fiber = Fiber::new_call(thunk, Vec::new());
            if let Err(e) = local.drive(&mut fiber, &mut me).await {
                let trace = e.backtrace.join("\n");
                tracing::error!(pid, error = %e.message, backtrace = %trace, "process #<pid {pid}> failed");
            }
            // `me` drops here: the process ends, its names are freed.
        });
        let mut tasks = self.processes.borrow_mut();
        tasks.retain(|t| !t.is_finished());
        tasks.push(task.abort_handle());
        pid
    }

    /// Stops every process spawned on this isolate that is still running
    /// (`sxc serve --dev` before loading changed code): each task is dropped
    /// where it waits, as if killed — its names are freed and calls waiting
    /// on it raise; `dynamic-wind` after-thunks do not run. Processes stop
    /// when the isolate's thread next polls them.
    /// Returns the stopped tasks' handles (`is_finished` once dropped).
    pub fn stop_processes(&self) -> Vec<tokio::task::AbortHandle> {
        let tasks: Vec<_> = self.processes.borrow_mut().drain(..).collect();
        for t in &tasks {
            t.abort();
        }
        tasks
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
    async fn call(&self, me: &mut FiberProc, target: Target, request: Data, timeout_ms: u64) -> Result<Value, Value> {
        let mine = me.proc();
        let gone = |pid: u64| err(format!("call: process #<pid {pid}> is not alive"));
        let callee = match self.lookup("call", &target)? {
            Some(p) => p,
            None => {
                return Err(match target {
                    Target::Pid(p) => gone(p),
                    Target::Name(n) => err(format!("call: no process registered as {n}")),
                })
            }
        };
        if callee.pid == mine.pid {
            return Err(err("call: a process cannot call itself"));
        }
        let r = self.registry.new_ref();
        if !callee.watch(r, mine.clone()) {
            return Err(gone(callee.pid));
        }
        let _unwatch = Unwatch(callee.clone(), r);
        let msg = Data::Dict(vec![
            ("from".into(), Data::Pid(mine.pid)),
            ("ref".into(), Data::Int(r as i64)),
            ("request".into(), request),
        ]);
        if !callee.deliver(Entry::Msg(msg)) {
            return Err(gone(callee.pid));
        }
        mine.set_state(State::Calling);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
        let answer = match tokio::time::timeout_at(deadline, mine.answer(r)).await {
            Ok(e) => Some(e),
            Err(_) => mine.take_answer(r),
        };
        mine.set_state(State::Running);
        match answer {
            Some(Entry::Reply { value, .. }) => Ok(value.to_value()),
            Some(Entry::Down { pid, failure: Some(f), .. }) => {
                Err(err(format!("call: process #<pid {pid}> failed before replying: {f}")))
            }
            Some(Entry::Down { pid, failure: None, .. }) => {
                Err(err(format!("call: process #<pid {pid}> ended without replying")))
            }
            Some(Entry::Msg(_)) | None => Err(err("call timeout")),
        }
    }
}

/// A deadline that never comes (a process has no time limit; the watchdog
/// only slices its time).
fn no_deadline() -> std::time::Instant {
    std::time::Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

/// `receive` on an empty mailbox: waits for a message (up to `timeout` ms;
/// nil then).
async fn receive(me: &mut FiberProc, timeout: Option<u64>) -> Result<Value, Value> {
    let mine = me.proc();
    mine.set_state(State::Receiving);
    let m = match timeout {
        None => Some(mine.next_msg().await),
        Some(ms) => {
            let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
            match tokio::time::timeout_at(deadline, mine.next_msg()).await {
                Ok(m) => Some(m),
                Err(_) => mine.take_msg(),
            }
        }
    };
    mine.set_state(State::Running);
    Ok(m.map(|m| m.to_value()).unwrap_or(Value::Nil))
}
