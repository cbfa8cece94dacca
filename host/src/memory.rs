//! Per-fiber memory budgets: the allocation accounting behind
//! `sxc serve --request-memory-mb` and `sxc run --memory-mb`.
//!
//! Why in the allocator: every SX value (list, dict, string, closure, the
//! fiber's own frames and registers) is a heap block, so the only complete
//! and cheap count is the allocator's. The `sxc` binary's global allocator
//! (`host/src/alloc.rs`) calls [`charge`] / [`note_free`] with every
//! block's size: a thread-local countdown of the bytes the running fiber may
//! still allocate (no atomics; each isolate runs on one thread). While a
//! fiber runs under a [`MemoryBudget`] ([`MemoryBudget::run`] around each
//! `resume`) the countdown starts at the fiber's remaining room; the first
//! allocation that takes it below zero sets the fiber's `MEMORY` interrupt
//! bit (out of line, no allocation), and the fiber raises `memory limit
//! exceeded` at its next safepoint (`vm::interrupt`). The poll on the
//! interpreter's hot path is unchanged.
//!
//! Cost: one subtract on thread-local memory and a sign test per
//! allocation, one add per free (the allocator's fast paths stay frameless
//! tail calls into mimalloc: `host/src/alloc.rs`). Counting is exact, per
//! block; it is not coarsened into chunks, so the limit's accuracy is the
//! block size. Measured cost: `bench/checks.sh`, figures in bench/README.md.
//!
//! What counts: the net bytes (allocated minus freed) while the fiber runs,
//! summed over its resumes. Memory another fiber frees in between is not
//! subtracted from this one. After the first trip the countdown gets a
//! quarter of the budget more, room for the error's handlers
//! (`dynamic-wind` after-thunks); a handler that keeps allocating past it
//! trips again, which kills the fiber (`vm::interrupt`, second terminating
//! bit). One primitive call is not interrupted, so a single huge allocation
//! (a 1 GB string) is seen only after it was made.
//!
//! Outside the `sxc` binary (unit tests, other embedders using the system
//! allocator) nothing calls [`charge`], and budgets never trip.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use vm::interrupt::{InterruptHandle, MEMORY};

/// Countdown value while no budget is armed: far from zero in both
/// directions, so that unbalanced allocations and frees (blocks freed on
/// another thread than the one that made them) never reach zero in a
/// process's life (2^62 bytes either way).
const UNARMED: isize = 1 << 62;

/// The thread's accounting state (one thread-local, no destructor: safe to
/// touch from inside the global allocator at any time in a thread's life).
struct Account {
    /// Bytes the thread may still allocate (net) before [`tripped`] runs.
    /// Starts at [`UNARMED`]; [`MemoryBudget::run`] sets it to the fiber's
    /// room and restores the unarmed value (moved by the run's net
    /// allocation) afterwards.
    left: Cell<isize>,
    /// The running fiber's interrupt word (null when no budget is armed).
    word: Cell<*const AtomicU32>,
    /// Bytes added to the countdown after a trip (room for cleanup).
    slack: Cell<isize>,
    /// Slack added by trips during the current run (not usage).
    granted: Cell<isize>,
}

thread_local! {
    static ACCOUNT: Account = const {
        Account {
            left: Cell::new(UNARMED),
            word: Cell::new(std::ptr::null()),
            slack: Cell::new(0),
            granted: Cell::new(0),
        }
    };
}

/// Records an allocation of `size` bytes on this thread and returns true
/// when it took the countdown below zero: the caller must then call
/// [`over_budget`] (out of line, so the allocator's fast path makes no call
/// that returns to it). Must not allocate.
#[inline(always)]
#[must_use]
pub fn charge(size: usize) -> bool {
    #[cfg(feature = "bench-no-checks")]
    {
        let _ = size;
        false
    }
    #[cfg(not(feature = "bench-no-checks"))]
    ACCOUNT.with(|a| {
        let n = a.left.get().wrapping_sub(size as isize);
        a.left.set(n);
        n < 0
    })
}

/// Records an allocation of `size` bytes (a [`charge`] followed, when it
/// says so, by [`over_budget`]): for the allocator's cold paths.
#[inline]
pub fn note_alloc(size: usize) {
    if charge(size) {
        over_budget();
    }
}

/// Records that `size` bytes were freed on this thread (called by the global allocator).
#[inline(always)]
pub fn note_free(size: usize) {
    #[cfg(feature = "bench-no-checks")]
    let _ = size;
    #[cfg(not(feature = "bench-no-checks"))]
    ACCOUNT.with(|a| a.left.set(a.left.get().wrapping_add(size as isize)));
}

/// The countdown went below zero: interrupt the fiber and restart the
/// countdown at the slack (so this runs once per slack's worth of
/// allocation). Unarmed, the
/// countdown is reset to [`UNARMED`] (not reachable in practice).
#[cold]
#[inline(never)]
pub fn over_budget() {
    ACCOUNT.with(|a| {
        let w = a.word.get();
        if w.is_null() {
            a.left.set(UNARMED);
            return;
        }
        // SAFETY: `word` is set only by `MemoryBudget::run`, which keeps the
        // handle (and so the word) alive until it clears the pointer.
        unsafe { &*w }.fetch_or(MEMORY, Ordering::Release);
        let add = a.slack.get().saturating_sub(a.left.get());
        a.left.set(a.slack.get());
        a.granted.set(a.granted.get().saturating_add(add));
    })
}

/// True when the countdown is below zero (the last [`charge`] said so and
/// [`over_budget`] has not run since): for the allocator's shared slow path.
#[inline]
pub fn left_is_negative() -> bool {
    ACCOUNT.with(|a| a.left.get() < 0)
}

/// Runs `f` inside a fiber's [`MemoryBudget::run`] without charging the
/// fiber: what `f` allocates (and frees) leaves the countdown as it was, and
/// cannot trip it. For memory that leaves the fiber at once and that its
/// budget never counted when it was made outside the run: a message an
/// in-place `send` copies into another process's mailbox (`crate::procs`),
/// as a performed `send` copies it in the driver, between two runs. Only
/// with nothing armed outside the fiber's run (`sxc serve`'s processes):
/// a budget around the whole program (`sxc run --memory-mb`) must keep
/// counting messages, so callers do not use it there.
pub fn uncharged<R>(f: impl FnOnce() -> R) -> R {
    let saved = ACCOUNT.with(|a| a.left.replace(UNARMED));
    let r = f();
    ACCOUNT.with(|a| a.left.set(saved));
    r
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
        // Once tripped, the fiber is unwinding: it may use the slack.
        let room = (self.limit - self.used + if self.tripped { slack } else { 0 }).max(0);
        let saved = ACCOUNT.with(|a| {
            let saved = a.left.get();
            a.left.set(room);
            a.slack.set(slack);
            a.granted.set(0);
            a.word.set(self.handle.word());
            saved
        });
        let r = f();
        ACCOUNT.with(|a| {
            // Net bytes of this run (the slack trips added is not usage).
            let net = room.wrapping_add(a.granted.get()).wrapping_sub(a.left.get());
            self.used += net;
            a.left.set(saved.wrapping_sub(net));
            a.word.set(std::ptr::null());
        });
        if self.used > self.limit {
            self.tripped = true;
        }
        r
    }
}
