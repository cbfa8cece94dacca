//! An isolate's run queue of fibers: spawned processes (and `sxc run`'s
//! main program) are switched directly by one scheduler task instead of
//! each being a tokio task.
//!
//! Why: a message is a `send` in one fiber and a `receive` in another; with
//! a tokio task per fiber every message paid a task wake-up (atomic state
//! transitions, the `LocalSet` queue), a task poll and the re-entry of the
//! driver's future stack. Here a fiber waiting in `receive` leaves a waker
//! that puts its slot id on the isolate's ready queue, and the scheduler
//! task resumes the next ready fiber in a plain loop.
//!
//! - A hosted fiber runs until it waits: ops answered at once are served in
//!   place; after [`QUICK_TURN`] of them, or a time slice (`YIELD`), it goes
//!   to the back of the queue (round robin: many fibers on one isolate stay
//!   fair). `receive` without a timeout parks it in the table until a
//!   message (or a stop) wakes it.
//! - Any other wait (storage IO, `call`, `receive` with a timeout) moves the
//!   fiber to a tokio task of its own that serves the wait and drives it on
//!   like a request ([`Local::drive_from`]); it stays a task to its end.
//! - The scheduler task gives the isolate's other tasks (requests, timers)
//!   a turn every [`SCHED_TURN`] switches.
//!
//! Wake-ups come from any thread (a process on another isolate sends), so
//! the ready queue is a mutex-guarded deque; the scheduler task parks on it
//! with its tokio waker only when it is empty. A wake-up on the scheduler's
//! own thread while it runs a fiber (a message between two fibers of the
//! isolate, the usual case) skips the lock: it goes to a thread-local list
//! ([`WOKEN`]) that the scheduler moves to its queue after the fiber's turn.

use super::local::{stopped_error, FiberProc, Local, QUICK_TURN};
use super::registry::Stopped;
use crate::memory::MemoryBudget;
use crate::serve::watchdog::Watch;
use std::cell::{Cell, RefCell};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use vm::fiber::Fiber;
use vm::isolate::{SxError, Step};
use vm::Value;

thread_local! {
    /// The address of the ready queue whose scheduler is running a fiber on
    /// this thread (0: none). Only compared, never dereferenced.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
    /// Slot ids of that scheduler woken on this thread while it runs a
    /// fiber; it takes them after the fiber's turn.
    static WOKEN: RefCell<VecDeque<u64>> = const { RefCell::new(VecDeque::new()) };
}

/// Marks `ready`'s scheduler as running a fiber on this thread until dropped
/// (also when the fiber's turn unwinds).
struct Running;

impl Running {
    fn enter(ready: &Arc<ReadyQueue>) -> Running {
        RUNNING.with(|r| r.set(Arc::as_ptr(ready) as usize));
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.with(|r| r.set(0));
    }
}

/// Fiber switches after which the scheduler task lets the isolate's other
/// tokio tasks run.
const SCHED_TURN: u32 = 128;

/// What happens when a hosted fiber ends.
pub(super) enum Done {
    /// A spawned process: an uncaught error is logged.
    Process,
    /// `sxc run`'s main program: the result (and the fiber) go to its waiter.
    Main(tokio::sync::oneshot::Sender<(Result<Value, SxError>, Fiber)>),
}

/// How a hosted fiber continues when the scheduler next picks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    /// Not started yet.
    Start,
    /// Resume with `Slot::input` (it gave way after quick ops).
    Resume,
    /// It was preempted (`YIELD`): continue from its safepoint.
    Yielded,
    /// Waiting in `receive`: take a message first.
    Receive,
}

/// One hosted fiber with what its driver keeps between switches.
struct Slot {
    fiber: Fiber,
    me: FiberProc,
    input: Result<Value, Value>,
    next: Next,
    /// Puts this slot on the ready queue (left in its mailbox while parked).
    waker: Waker,
    watch: Option<Watch>,
    budget: Option<MemoryBudget>,
    done: Done,
}

/// The ready queue: slot ids to run, and the scheduler task's waker while
/// it waits for one.
#[derive(Default)]
pub(super) struct ReadyQueue {
    inner: Mutex<ReadyInner>,
}

#[derive(Default)]
struct ReadyInner {
    ids: VecDeque<u64>,
    parked: Option<Waker>,
}

impl ReadyQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReadyInner> {
        // Every update is one push or swap: a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues slot `id` (from any thread) and wakes the scheduler if it waits.
    fn push(&self, id: u64) {
        let parked = {
            let mut q = self.lock();
            q.ids.push_back(id);
            q.parked.take()
        };
        if let Some(w) = parked {
            w.wake();
        }
    }

    /// Queues slot `id`: without the lock when woken on this thread while
    /// this queue's scheduler runs a fiber (see [`WOKEN`]).
    fn wake(self: &Arc<Self>, id: u64) {
        if RUNNING.with(|r| r.get()) == Arc::as_ptr(self) as usize {
            WOKEN.with(|w| w.borrow_mut().push_back(id));
        } else {
            self.push(id);
        }
    }

    /// Moves every queued id to the back of `into`; pending (keeping the
    /// waker) when none.
    fn poll_take(&self, cx: &mut Context<'_>, into: &mut VecDeque<u64>) -> Poll<()> {
        let mut q = self.lock();
        if q.ids.is_empty() {
            match &q.parked {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => q.parked = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
        into.append(&mut q.ids);
        Poll::Ready(())
    }

    /// Moves every queued id to the back of `into` (wake-ups from other
    /// threads, taken between turns so that a busy isolate still sees them).
    fn take_now(&self, into: &mut VecDeque<u64>) {
        into.append(&mut self.lock().ids);
    }
}

/// The waker of one hosted fiber: queues its slot.
struct SlotWake {
    id: u64,
    ready: Arc<ReadyQueue>,
}

impl Wake for SlotWake {
    fn wake(self: Arc<Self>) {
        self.ready.wake(self.id);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.wake(self.id);
    }
}

/// An isolate's hosted fibers (part of [`Local`]). Slot ids start at 1 (0
/// only wakes the scheduler task).
#[derive(Default)]
pub(super) struct Sched {
    ready: Arc<ReadyQueue>,
    /// Fibers not running right now (ready or parked), by slot id.
    slots: RefCell<FxHashMap<u64, Box<Slot>>>,
    next_id: Cell<u64>,
    /// True once the scheduler task was started on this isolate.
    started: Cell<bool>,
}

impl Sched {
    /// The pids of the hosted processes (not the main program).
    pub(super) fn process_pids(&self) -> Vec<u64> {
        self.slots
            .borrow()
            .values()
            .filter(|s| matches!(s.done, Done::Process))
            .filter_map(|s| s.me.pid())
            .collect()
    }

    /// Drops the hosted processes among `pids` where they wait, as if killed
    /// (no handler runs; their names are freed, callers are told).
    pub(super) fn kill(&self, pids: &[u64]) {
        let dead: Vec<Box<Slot>> = {
            let mut slots = self.slots.borrow_mut();
            let ids: Vec<u64> = slots
                .iter()
                .filter(|(_, s)| matches!(s.done, Done::Process) && s.me.pid().is_some_and(|p| pids.contains(&p)))
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| slots.remove(id)).collect()
        };
        drop(dead);
        // Wakes the scheduler task so that it ends if nothing is left.
        self.ready.push(0);
    }
}

impl Local {
    /// Hosts `fiber` on this isolate's scheduler (started on first use; must
    /// run inside the isolate's `LocalSet`). It is queued to run.
    pub(super) fn host(self: &Rc<Self>, fiber: Fiber, me: FiberProc, done: Done) {
        let sched = &self.sched;
        let id = sched.next_id.get() + 1;
        sched.next_id.set(id);
        let waker = Waker::from(Arc::new(SlotWake { id, ready: sched.ready.clone() }));
        let (watch, budget) = self.limits(&fiber);
        let slot = Slot { fiber, me, input: Ok(Value::Nil), next: Next::Start, waker, watch, budget, done };
        sched.slots.borrow_mut().insert(id, Box::new(slot));
        sched.ready.wake(id);
        if !sched.started.replace(true) {
            let local = self.clone();
            tokio::task::spawn_local(async move { local.schedule().await });
        }
    }

    /// The scheduler task: runs ready fibers in queue order until no fiber
    /// is hosted (then it ends, releasing the isolate; [`Self::host`]
    /// starts it again).
    async fn schedule(self: Rc<Self>) {
        let mut todo = VecDeque::new();
        let mut switches = 0u32;
        loop {
            if todo.is_empty() {
                if self.sched.slots.borrow().is_empty() {
                    self.sched.started.set(false);
                    return;
                }
                std::future::poll_fn(|cx| self.sched.ready.poll_take(cx, &mut todo)).await;
            }
            while let Some(id) = todo.pop_front() {
                let preempted = {
                    let _running = Running::enter(&self.sched.ready);
                    self.run_slot(id)
                };
                WOKEN.with(|w| todo.append(&mut w.borrow_mut()));
                switches += 1;
                // A preempted fiber used a whole time slice: the isolate's
                // other tasks (requests, timers, a waiting main) run now.
                if preempted || switches >= SCHED_TURN {
                    switches = 0;
                    tokio::task::yield_now().await;
                    self.sched.ready.take_now(&mut todo);
                }
            }
        }
    }

    /// Runs hosted fiber `id` until it waits, ends, or gives way; true when
    /// it was preempted (a time slice ran out).
    fn run_slot(self: &Rc<Self>, id: u64) -> bool {
        // Taken out of the table while it runs: what it performs may spawn.
        let Some(mut slot) = self.sched.slots.borrow_mut().remove(&id) else {
            return false; // a stale wake-up of a fiber that ended
        };
        let fiber = &mut slot.fiber;
        let stopping = slot.me.is_stopping() && fiber.terminated_by().is_none();
        let mut input = std::mem::replace(&mut slot.input, Ok(Value::Nil));
        match slot.next {
            Next::Start if slot.me.is_stopping() => {
                // Stopped before it first ran: nothing to clean up.
                self.finish(slot, Err(stopped_error()));
                return false;
            }
            Next::Start => {}
            Next::Resume if stopping => {
                // Stopped while it gave way: raised at the perform.
                input = Err(vm::interrupt::terminate(fiber, vm::interrupt::STOP));
            }
            Next::Resume => {}
            Next::Yielded => {
                if stopping {
                    // Raised at the safepoint it continues from (once: its
                    // cleanup may be long; the stop grace bounds it).
                    fiber.interrupt_handle().request(vm::interrupt::STOP);
                }
            }
            Next::Receive => match slot.me.poll_receive(&slot.waker) {
                Poll::Pending => {
                    // A stale or spurious wake-up: still nothing to take.
                    self.sched.slots.borrow_mut().insert(id, slot);
                    return false;
                }
                Poll::Ready(Ok(m)) => input = Ok(m.to_value()),
                Poll::Ready(Err(Stopped)) => input = Err(vm::interrupt::terminate(fiber, vm::interrupt::STOP)),
            },
        }
        // Ops answered at once in this turn.
        let mut quick = 0u32;
        loop {
            let step = self.resume_once(&mut slot.fiber, &mut slot.me, input, &slot.watch, &mut slot.budget, &mut quick);
            let request = match step {
                Step::Done(v) => {
                    self.finish(slot, Ok(v));
                    return false;
                }
                Step::Failed(e) => {
                    slot.me.fail(&e.message);
                    self.finish(slot, Err(e));
                    return false;
                }
                Step::Yielded => {
                    self.requeue(id, slot, Next::Yielded, Ok(Value::Nil));
                    return true;
                }
                Step::Suspended(request) => request,
            };
            let answer = match self.serve_now(&request, &mut slot.me) {
                super::local::Served::Now(r) => r,
                super::local::Served::Wait(super::local::Wait::Receive(None)) => {
                    match slot.me.poll_receive(&slot.waker) {
                        Poll::Ready(Ok(m)) => Ok(m.to_value()),
                        Poll::Ready(Err(Stopped)) => Err(vm::interrupt::terminate(&mut slot.fiber, vm::interrupt::STOP)),
                        Poll::Pending => {
                            slot.next = Next::Receive;
                            self.sched.slots.borrow_mut().insert(id, slot);
                            return false;
                        }
                    }
                }
                super::local::Served::Wait(w) => {
                    self.evict(slot, w);
                    return false;
                }
            };
            quick += 1;
            if quick >= QUICK_TURN {
                self.requeue(id, slot, Next::Resume, answer);
                return false;
            }
            input = answer;
        }
    }

    /// Puts a runnable fiber at the back of the ready queue.
    fn requeue(&self, id: u64, mut slot: Box<Slot>, next: Next, input: Result<Value, Value>) {
        slot.next = next;
        slot.input = input;
        self.sched.slots.borrow_mut().insert(id, slot);
        self.sched.ready.wake(id);
    }

    /// Moves a fiber that must wait on something other than its mailbox to
    /// a tokio task of its own, which serves the wait and drives it to its end.
    fn evict(self: &Rc<Self>, slot: Box<Slot>, wait: super::local::Wait) {
        let local = self.clone();
        let pid = slot.me.pid();
        let is_process = matches!(slot.done, Done::Process);
        let task = tokio::task::spawn_local(async move {
            let mut slot = slot;
            let Slot { fiber, me, watch, budget, .. } = &mut *slot;
            // A fiber already stopped once runs its cleanup: its storage IO
            // is not cut short.
            let stoppable = fiber.terminated_by().is_none();
            let input = match local.wait(wait, me, stoppable).await {
                Ok(r) => r,
                Err(Stopped) => Err(vm::interrupt::terminate(fiber, vm::interrupt::STOP)),
            };
            let r = local.drive_from(fiber, me, input, watch.take(), budget.take()).await;
            local.finish(slot, r);
        });
        if let (true, Some(pid)) = (is_process, pid) {
            self.track(pid, task.abort_handle());
        }
    }

    /// A hosted fiber ended with `r`.
    fn finish(&self, slot: Box<Slot>, r: Result<Value, SxError>) {
        let Slot { fiber, me, done, .. } = *slot;
        match done {
            Done::Process => {
                if let Err(e) = &r {
                    let pid = me.pid().unwrap_or(0);
                    let trace = e.backtrace.join("\n");
                    if me.is_stopping() {
                        tracing::debug!(pid, error = %e.message, "process #<pid {pid}> stopped");
                    } else {
                        tracing::error!(pid, error = %e.message, backtrace = %trace, "process #<pid {pid}> failed");
                    }
                }
                drop(fiber);
                // `me` drops here: the process ends, its names are freed.
            }
            Done::Main(tx) => {
                drop(me);
                let _ = tx.send((r, fiber));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its wake-ups.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_wake_from_another_thread_queues_and_wakes_the_parked_scheduler() {
        let ready = Arc::new(ReadyQueue::default());
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut todo = VecDeque::new();
        assert!(ready.poll_take(&mut Context::from_waker(&waker), &mut todo).is_pending());
        let r = ready.clone();
        std::thread::spawn(move || r.wake(7)).join().unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(ready.poll_take(&mut Context::from_waker(&waker), &mut todo).is_ready());
        assert_eq!(todo, [7]);
    }

    #[test]
    fn a_wake_on_the_running_schedulers_thread_skips_the_queue() {
        let ready = Arc::new(ReadyQueue::default());
        let other = Arc::new(ReadyQueue::default());
        {
            let _running = Running::enter(&ready);
            ready.wake(1);
            other.wake(2); // another isolate's queue: locked path
            ready.wake(3);
        }
        assert_eq!(WOKEN.with(|w| std::mem::take(&mut *w.borrow_mut())), [1, 3]);
        assert_eq!(RUNNING.with(|r| r.get()), 0);
        ready.wake(4); // not running any more: locked path
        let (mut mine, mut theirs) = (VecDeque::new(), VecDeque::new());
        ready.take_now(&mut mine);
        other.take_now(&mut theirs);
        assert_eq!((mine, theirs), (VecDeque::from([4]), VecDeque::from([2])));
    }
}
