//! The server's watchdog: one thread that interrupts request fibers from
//! outside, since a worker busy in a handler's loop cannot time itself out
//! (its tokio timers only fire when the handler returns to the runtime).
//!
//! Every [`Watchdog::TICK`] it looks at the registered fibers and sets bits
//! in their interrupt words (`vm::interrupt`):
//!
//! - `TIMEOUT` once the request's deadline has passed, and again after
//!   [`GRACE`] if the fiber is still there: the first raises `handler
//!   timeout` (cleanup handlers run), the second kills it.
//! - `YIELD` when the fiber has been running, inside one `resume`, for
//!   [`SLICE`] or more: the worker then lets its other connections run before
//!   resuming it (fairness; see `docs/serve.md`, "Limits").

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use vm::interrupt::{InterruptHandle, TIMEOUT, YIELD};

/// How long a fiber may run in one go before it is asked to yield.
pub const SLICE: Duration = Duration::from_millis(10);

/// Time a timed-out fiber gets to run its cleanup (`dynamic-wind`
/// after-thunks, `guard` handlers) before it is killed.
pub const GRACE: Duration = Duration::from_millis(250);

/// One watched fiber.
struct Slot {
    handle: InterruptHandle,
    deadline: Instant,
    /// `TIMEOUT` bits sent so far (0, 1 at the deadline, 2 after the grace).
    sent: u8,
    /// Shared with the worker: microseconds since the watchdog's epoch at
    /// which the current `resume` began, 0 while the fiber is not running.
    running_since: Arc<AtomicU64>,
}

struct State {
    slots: Vec<(u64, Slot)>,
    next_id: u64,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    epoch: Instant,
    /// Microseconds since `epoch`, as of the watchdog's latest turn (or the
    /// latest `watch` after idling): the clock a `resume` is stamped with,
    /// read without a system call (a process exchanging messages resumes
    /// its fiber hundreds of thousands of times a second).
    now_us: AtomicU64,
}

/// The watchdog thread; stops when dropped.
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    /// The watchdog's period: timeouts fire at most this late, slices are
    /// between `SLICE - TICK` and `SLICE + TICK`.
    pub const TICK: Duration = Duration::from_millis(5);

    /// Starts the watchdog thread.
    pub fn start() -> std::io::Result<Watchdog> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State { slots: Vec::new(), next_id: 0, stop: false }),
            wake: Condvar::new(),
            epoch: Instant::now(),
            now_us: AtomicU64::new(0),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new().name("sxc-watchdog".into()).spawn(move || watch(&s))?;
        Ok(Watchdog { shared, thread: Some(thread) })
    }

    /// Watches the fiber of `handle` until the returned [`Watch`] is dropped:
    /// `TIMEOUT` at `deadline` (and after the grace), `YIELD` per slice.
    pub fn watch(&self, handle: InterruptHandle, deadline: Instant) -> Watch {
        let running_since = Arc::new(AtomicU64::new(0));
        let mut st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        let id = st.next_id;
        st.next_id += 1;
        st.slots.push((id, Slot { handle, deadline, sent: 0, running_since: running_since.clone() }));
        if st.slots.len() == 1 {
            // The thread sleeps without a timeout while nothing is watched
            // (its clock stopped: set it before the fiber first runs).
            self.shared.now_us.store(self.shared.epoch.elapsed().as_micros() as u64, Ordering::Relaxed);
            self.shared.wake.notify_all();
        }
        drop(st);
        Watch { shared: self.shared.clone(), id, running_since }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A registration with the watchdog; dropping it unregisters the fiber.
pub(crate) struct Watch {
    shared: Arc<Shared>,
    id: u64,
    running_since: Arc<AtomicU64>,
}

impl Watch {
    /// Runs `f` (one `resume`) marked as running, for the slice accounting.
    /// The start is the watchdog's clock (at most one [`Watchdog::TICK`]
    /// old), so a slice is between `SLICE - TICK` and `SLICE + TICK`.
    pub fn running<R>(&self, f: impl FnOnce() -> R) -> R {
        let since = self.shared.now_us.load(Ordering::Relaxed);
        self.running_since.store(since.max(1), Ordering::Relaxed);
        let r = f();
        self.running_since.store(0, Ordering::Relaxed);
        r
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = st.slots.iter().position(|(id, _)| *id == self.id) {
            st.slots.swap_remove(i);
        }
    }
}

/// The watchdog thread's loop.
fn watch(shared: &Shared) {
    let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if st.stop {
            return;
        }
        let now = Instant::now();
        let now_us = now.duration_since(shared.epoch).as_micros() as u64;
        shared.now_us.store(now_us, Ordering::Relaxed);
        for (_, s) in st.slots.iter_mut() {
            if (s.sent == 0 && now >= s.deadline) || (s.sent == 1 && now >= s.deadline + GRACE) {
                s.handle.request(TIMEOUT);
                s.sent += 1;
            }
            let since = s.running_since.load(Ordering::Relaxed);
            if since != 0 && now_us.saturating_sub(since) >= SLICE.as_micros() as u64 {
                s.handle.request(YIELD);
            }
        }
        st = if st.slots.is_empty() {
            // Idle: no wake-ups until a fiber is watched (or the server stops).
            shared.wake.wait(st).unwrap_or_else(|e| e.into_inner())
        } else {
            shared.wake.wait_timeout(st, Watchdog::TICK).unwrap_or_else(|e| e.into_inner()).0
        };
    }
}
