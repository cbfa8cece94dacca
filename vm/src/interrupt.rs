//! The one interrupt mechanism: how a running fiber is stopped (handler
//! timeout, memory limit, a process being stopped) or asked to give other
//! fibers of its isolate a turn (fairness), from its own thread or another.
//!
//! Why a word polled at safepoints: an SX computation never returns to the
//! host on its own while it loops (a self tail call is a `loop` in the
//! bytecode), so the host cannot preempt it except by asking it to look. Every
//! fiber owns an interrupt word ([`InterruptHandle`] wraps it); other threads
//! (a timer, the server) set bits in it; the interpreter — and compiled code,
//! which reaches the same word through [`crate::fiber::Fiber::interrupt_word`]
//! — loads it at every safepoint (loop back-edges, self tail calls, calls and
//! function entries) and compares it with 0: one relaxed load and a
//! predictable branch on the hot path. A non-zero word goes to [`service`],
//! the single out-of-line function both tiers call, which decides what the
//! fiber does next ([`Action`]).
//!
//! Terminating interrupts (`TIMEOUT`, `MEMORY`, `STOP`) work in two stages
//! (documented in `docs/vm.md`, "Interrupts"):
//!
//! 1. The first one **raises** an ordinary SX error (`handler timeout`,
//!    `memory limit exceeded`, `process stopped`) at the safepoint and marks
//!    the fiber *terminating*: `try`/`guard` frames catch it like any error,
//!    so `dynamic-wind` after-thunks and cleanup handlers run.
//! 2. A second terminating interrupt on a fiber that is already terminating
//!    **kills** it: every frame is popped without running any handler and the
//!    fiber fails with the first error. The host sends the second one after
//!    a grace period (the server: 250 ms), so a handler that catches its own
//!    timeout and keeps looping is stopped anyway; and a fiber that was
//!    terminated reports it through [`crate::fiber::Fiber::terminated_by`]
//!    even if a handler swallowed the error and returned normally (the server
//!    answers 504 / 500 regardless of the value).
//!
//! `YIELD` makes the dispatch loop return [`crate::isolate::Step::Yielded`]:
//! the fiber is runnable and continues exactly where it stopped on its next
//! `resume` (the input is ignored).

use crate::fiber::Fiber;
use crate::value::Value;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The handler's time limit passed: raises `handler timeout`.
pub const TIMEOUT: u32 = 1 << 0;
/// The fiber's memory budget was exceeded: raises `memory limit exceeded`.
pub const MEMORY: u32 = 1 << 1;
/// Give the other fibers of the isolate a turn: returns `Step::Yielded`.
pub const YIELD: u32 = 1 << 2;
/// The fiber (a process) is being stopped: raises `process stopped`.
pub const STOP: u32 = 1 << 3;

/// The bits that terminate a fiber (checked in this priority order).
const TERMINATING: [u32; 3] = [STOP, MEMORY, TIMEOUT];

/// The SX error message of a terminating interrupt bit (`None` for `YIELD`
/// or an unknown bit).
pub fn message(bit: u32) -> Option<&'static str> {
    match bit {
        TIMEOUT => Some("handler timeout"),
        MEMORY => Some("memory limit exceeded"),
        STOP => Some("process stopped"),
        _ => None,
    }
}

/// A `Send + Sync` handle to one fiber's interrupt word. Cloneable; any
/// thread may [`request`](Self::request) bits; only the fiber's own thread
/// clears them (in [`service`]).
#[derive(Clone, Debug, Default)]
pub struct InterruptHandle(Arc<AtomicU32>);

impl InterruptHandle {
    /// A fresh word with no bit set.
    pub fn new() -> InterruptHandle {
        InterruptHandle::default()
    }

    /// Sets `bits` (any of [`TIMEOUT`], [`MEMORY`], [`YIELD`], [`STOP`]); the
    /// fiber services them at its next safepoint. Setting a bit that is
    /// already set does nothing more.
    pub fn request(&self, bits: u32) {
        self.0.fetch_or(bits, Ordering::Release);
    }

    /// The bits currently pending (for tests and diagnostics).
    pub fn pending(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// The word itself; stable for the handle's life (compiled code polls it).
    pub fn word(&self) -> *const AtomicU32 {
        Arc::as_ptr(&self.0)
    }

    /// Takes (clears and returns) the pending bits. Only the fiber's thread calls this.
    pub(crate) fn take(&self) -> u32 {
        self.0.swap(0, Ordering::Acquire)
    }

    /// True when both handles name the same word.
    pub fn same(&self, other: &InterruptHandle) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// What a fiber does after [`service`].
#[derive(Debug)]
pub enum Action {
    /// Nothing to do (the bits were cleared concurrently): keep running.
    Continue,
    /// Return `Step::Yielded` (pc saved: the next resume continues here).
    Yield,
    /// Raise this error at the safepoint (catchable; the fiber is now terminating).
    Raise(Value),
    /// Pop every frame without running handlers; the fiber fails with this error.
    Kill(Value),
}

/// Services the pending bits of `fiber`'s interrupt word: the cold path of
/// every safepoint, in the interpreter and in compiled code (`sx_rt_safepoint`).
/// Clears the bits it consumed; a terminating bit wins over `YIELD` (which is
/// then dropped: the fiber is about to stop anyway).
#[cold]
#[inline(never)]
pub fn service(fiber: &mut Fiber) -> Action {
    let bits = fiber.interrupt.take();
    if let Some(&bit) = TERMINATING.iter().find(|&&b| bits & b != 0) {
        return match fiber.terminated_by {
            Some(first) => Action::Kill(error(first)),
            None => {
                fiber.terminated_by = Some(bit);
                Action::Raise(error(bit))
            }
        };
    }
    if bits & YIELD != 0 {
        return Action::Yield;
    }
    Action::Continue
}

/// Marks `fiber` as terminated by `bit` (when it is not yet) and returns the
/// error to raise: for a host that stops a fiber *waiting* on a `perform`
/// (resume it with `Err(terminate(fiber, TIMEOUT))`), where no safepoint runs.
pub fn terminate(fiber: &mut Fiber, bit: u32) -> Value {
    let first = *fiber.terminated_by.get_or_insert(bit);
    error(first)
}

/// The error value raised for terminating `bit`.
fn error(bit: u32) -> Value {
    crate::interp::rt::error(message(bit).unwrap_or("interrupted"))
}
