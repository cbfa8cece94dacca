//! Fibers: one running SX computation with its frame stack and register file
//! on the heap (never on the Rust stack), so suspending is returning from the
//! dispatch loop with the stack intact.

use crate::bytecode::Reg;
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
        }
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
