//! Per-fiber memory budgets: the allocation accounting behind
//! `sxc serve --request-memory-mb` and `sxc run --memory-mb`.
//!
//! Why in the allocator: every SX value (list, dict, string, closure, the
//! fiber's own frames and registers) is a heap block, so the only complete
//! and cheap count is the allocator's. The `sxc` binary's global allocator
//! (`host/src/alloc.rs`) calls [`note_alloc`] / [`note_free`] with every
//! block's size: a thread-local net byte count (no atomics; each isolate
//! runs on one thread). While a fiber runs under a [`MemoryBudget`]
//! ([`MemoryBudget::run`] around each `resume`), the thread also holds a
//! *trip point*: the first allocation that takes the count past it sets the
//! fiber's `MEMORY` interrupt bit (out of line, no allocation), and the
//! fiber raises `memory limit exceeded` at its next safepoint
//! (`vm::interrupt`). The poll on the interpreter's hot path is unchanged.
//!
//! What counts: the net bytes (allocated minus freed) while the fiber runs,
//! summed over its resumes. Memory another fiber frees in between is not
//! subtracted from this one. After the first trip the trip point moves up by
//! a quarter of the budget, room for the error's handlers (`dynamic-wind`
//! after-thunks); a handler that keeps allocating past it trips again, which
//! kills the fiber (`vm::interrupt`, second terminating bit). One primitive
//! call is not interrupted, so a single huge allocation (a 1 GB string) is
//! seen only after it was made.
//!
//! Outside the `sxc` binary (unit tests, other embedders using the system
//! allocator) nothing calls [`note_alloc`], and budgets never trip.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use vm::interrupt::{InterruptHandle, MEMORY};

/// The thread's accounting state (one thread-local, no destructor: safe to
/// touch from inside the global allocator at any time in a thread's life).
struct Account {
    /// Net bytes allocated by this thread since it started (may go negative:
    /// blocks freed here may have been allocated elsewhere).
    bytes: Cell<isize>,
    /// When `bytes` exceeds this, [`tripped`] runs (`isize::MAX`: no budget).
    trip: Cell<isize>,
    /// The running fiber's interrupt word (null when no budget is armed).
    word: Cell<*const AtomicU32>,
    /// Bytes added to the trip point after a trip (room for cleanup).
    slack: Cell<isize>,
}

thread_local! {
    static ACCOUNT: Account = const {
        Account {
            bytes: Cell::new(0),
            trip: Cell::new(isize::MAX),
            word: Cell::new(std::ptr::null()),
            slack: Cell::new(0),
        }
    };
}

/// Records an allocation of `size` bytes on this thread (called by the
/// global allocator; must not allocate).
#[inline]
pub fn note_alloc(size: usize) {
    ACCOUNT.with(|a| {
        let n = a.bytes.get().wrapping_add(size as isize);
        a.bytes.set(n);
        if n > a.trip.get() {
            tripped(a);
        }
    });
}

/// Records that `size` bytes were freed on this thread (called by the global allocator).
#[inline]
pub fn note_free(size: usize) {
    ACCOUNT.with(|a| a.bytes.set(a.bytes.get().wrapping_sub(size as isize)));
}

/// The budget was passed: interrupt the fiber and move the trip point up by
/// the slack (so this runs once per slack's worth of allocation).
#[cold]
#[inline(never)]
fn tripped(a: &Account) {
    let w = a.word.get();
    if !w.is_null() {
        // SAFETY: `word` is set only by `MemoryBudget::run`, which keeps the
        // handle (and so the word) alive until it clears the pointer.
        unsafe { &*w }.fetch_or(MEMORY, Ordering::Release);
    }
    a.trip.set(a.bytes.get().saturating_add(a.slack.get()));
}

/// The net bytes allocated by this thread so far (for tests and diagnostics).
pub fn thread_bytes() -> isize {
    ACCOUNT.with(|a| a.bytes.get())
}

/// One fiber's memory budget: a limit in bytes and what the fiber has used
/// so far. Create one per fiber; wrap every `resume` in [`MemoryBudget::run`].
#[derive(Debug)]
pub struct MemoryBudget {
    limit: isize,
    used: isize,
    tripped: bool,
    handle: InterruptHandle,
}

impl MemoryBudget {
    /// A budget of `limit` bytes for the fiber whose interrupt handle is `handle`.
    pub fn new(limit: usize, handle: InterruptHandle) -> MemoryBudget {
        MemoryBudget { limit: limit.min(isize::MAX as usize / 2) as isize, used: 0, tripped: false, handle }
    }

    /// Net bytes the fiber allocated so far (over all its runs).
    pub fn used(&self) -> isize {
        self.used
    }

    /// Runs `f` (one `resume` of the fiber) with the budget armed on this
    /// thread, then adds what it allocated to [`Self::used`]. Not reentrant
    /// (an inner budget would disarm the outer one).
    pub fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let slack = self.limit / 4;
        let start = ACCOUNT.with(|a| {
            let start = a.bytes.get();
            // Once tripped, the fiber is unwinding: it may use the slack.
            let room = self.limit - self.used + if self.tripped { slack } else { 0 };
            a.trip.set(start.saturating_add(room.max(0)));
            a.slack.set(slack);
            a.word.set(self.handle.word());
            start
        });
        let r = f();
        ACCOUNT.with(|a| {
            let end = a.bytes.get();
            self.used += end.wrapping_sub(start);
            a.trip.set(isize::MAX);
            a.word.set(std::ptr::null());
        });
        if self.used > self.limit {
            self.tripped = true;
        }
        r
    }
}
