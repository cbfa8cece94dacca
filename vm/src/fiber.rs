//! Fibers: one running SX computation with its frame stack and register file
//! on the heap (never on the Rust stack), so suspending is returning from the
//! dispatch loop with the stack intact.

use crate::bytecode::Reg;
use crate::interrupt::InterruptHandle;
use crate::value::{Closure, Value};
use std::rc::Rc;

/// Default limit on the number of frames of one fiber (deeper non-tail
/// recursion raises `stack overflow`).
pub const DEFAULT_MAX_FRAMES: usize = 250_000;

/// Default limit on the register file (values); exceeding it also raises `stack overflow`.
pub const DEFAULT_MAX_REGS: usize = 8 * 1024 * 1024;

/// One activation record. Its registers are `regs[base .. base + proto.nregs]`.
#[derive(Debug)]
pub struct Frame {
    /// The running closure (keeps its proto alive).
    pub(crate) closure: Rc<Closure>,
    /// Saved program counter (next instruction) while the frame is not on top.
    pub(crate) pc: u32,
    /// First register of the window.
    pub(crate) base: u32,
    /// Register in the caller's window that receives the return value.
    pub(crate) ret: Reg,
    /// Set on the frame of a `TryCall` thunk: a raise that unwinds this frame
    /// continues at the caller's handler.
    pub(crate) is_try: bool,
    /// Set when compiled code left this frame at a call or a suspension
    /// (an exit by design, not a failed guard): when control comes back to
    /// it (the callee returns, the fiber resumes), the interpreter enters
    /// the function's compiled code at that resume state
    /// ([`crate::jit::sites::is_resume_state`]) instead of running the rest
    /// of the activation itself. A hint: clearing it only costs speed.
    pub(crate) resume: bool,
}

/// Where a fiber is in its life.
#[derive(Debug)]
pub(crate) enum FiberState {
    /// Not started: call `callee` with `args` on the first resume.
    Start(Value, Vec<Value>),
    /// Running or runnable (inside the dispatch loop).
    Running,
    /// Suspended at a `perform`; the resumed value goes to register `dst` of the top frame.
    Waiting(Reg),
    /// Stopped at a safepoint by a `YIELD` interrupt: runnable, continues at
    /// the top frame's saved pc.
    Yielded,
    /// Finished (returned or failed).
    Finished,
}

/// A suspended or runnable SX computation.
#[derive(Debug)]
pub struct Fiber {
    pub(crate) frames: Vec<Frame>,
    pub(crate) regs: Vec<Value>,
    pub(crate) state: FiberState,
    /// Reused argument buffer (no allocation per primitive call).
    pub(crate) scratch: Vec<Value>,
    /// Backtrace captured when a non-error value was raised (errors carry their own).
    pub(crate) raise_backtrace: Vec<(String, String)>,
    /// Frame limit (`stack overflow` beyond it).
    pub max_frames: usize,
    /// Register-file limit (`stack overflow` beyond it).
    pub max_regs: usize,
    /// The interrupt word polled at safepoints (`vm::interrupt`).
    pub(crate) interrupt: InterruptHandle,
    /// The first terminating interrupt bit serviced (the fiber is unwinding
    /// or was stopped by it); `None` while it runs normally.
    pub(crate) terminated_by: Option<u32>,
}

impl Fiber {
    /// A fiber that, when first resumed, calls `callee` with `args`.
    pub fn new_call(callee: Value, args: Vec<Value>) -> Fiber {
        Fiber {
            frames: Vec::new(),
            regs: Vec::new(),
            state: FiberState::Start(callee, args),
            scratch: Vec::new(),
            raise_backtrace: Vec::new(),
            max_frames: DEFAULT_MAX_FRAMES,
            max_regs: DEFAULT_MAX_REGS,
            interrupt: InterruptHandle::new(),
            terminated_by: None,
        }
    }
    /// A handle other threads use to interrupt this fiber (`vm::interrupt`).
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }
    /// The fiber's interrupt word, for compiled code to poll at its
    /// safepoints (non-zero: call `vm::interrupt::service`). Stable for the
    /// fiber's life.
    pub fn interrupt_word(&self) -> *const std::sync::atomic::AtomicU32 {
        self.interrupt.word()
    }
    /// The terminating interrupt bit (`vm::interrupt::TIMEOUT`, `MEMORY`,
    /// `STOP`) that stopped or is stopping this fiber, if any. A host checks
    /// it when the fiber ends: a handler may have caught the error and
    /// returned normally, but it was still stopped.
    pub fn terminated_by(&self) -> Option<u32> {
        self.terminated_by
    }
    /// True when the fiber stopped at a safepoint to yield and can be resumed.
    pub fn is_yielded(&self) -> bool {
        matches!(self.state, FiberState::Yielded)
    }
    /// Number of frames on the frame stack.
    pub fn frame_depth(&self) -> usize {
        self.frames.len()
    }
    /// Length of the register file (grows with the deepest stack seen).
    pub fn register_len(&self) -> usize {
        self.regs.len()
    }
    /// Allocated capacity of the frame stack and register file (for memory tests).
    pub fn capacity(&self) -> (usize, usize) {
        (self.frames.capacity(), self.regs.capacity())
    }
    /// True once the computation has returned or failed.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, FiberState::Finished)
    }
    /// True when the fiber waits for the result of a `perform`.
    pub fn is_waiting(&self) -> bool {
        matches!(self.state, FiberState::Waiting(_))
    }
}
