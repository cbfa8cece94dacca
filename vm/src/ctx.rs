//! Per-isolate context handed to primitives: output streams and counters.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// Mutable state primitives may touch. One per isolate (thread).
pub struct Ctx {
    /// Where `print`/`println` write.
    pub stdout: Box<dyn Write>,
    /// Where `eprintln` writes.
    pub stderr: Box<dyn Write>,
    /// Counter behind `(gensym)`.
    pub gensym_counter: u64,
    /// State of the `random-int` generator (xorshift64*), never zero.
    pub rng_state: u64,
    /// The host's in-place process operations (`%send`), when it has
    /// processes; `None` makes the prelude perform every process request.
    pub procs: Option<Box<dyn ProcHost>>,
}

/// Process operations a host answers without suspending the fiber: the
/// prelude's `send` calls `(%send target msg)` first and performs the
/// request `(:process/send target msg)` only when the host declines. The
/// answer must be the one the performed request would get; declining is
/// always allowed (arguments the host does not take, a fiber that must give
/// the others a turn or is being stopped): the performed request then
/// decides, with its errors.
pub trait ProcHost {
    /// Delivers `msg` to `target` (dropped when `target` is a pid that is
    /// gone) and answers true, or declines with false (nothing happened).
    fn send(&mut self, target: &crate::value::Value, msg: &crate::value::Value) -> bool;
}

impl Ctx {
    /// A context writing to the process's stdout/stderr.
    pub fn stdio() -> Ctx {
        Ctx::with_output(Box::new(std::io::stdout()), Box::new(std::io::stderr()))
    }
    /// A context writing to `stdout` and `stderr` (e.g. [`SharedBuf`]s).
    pub fn with_output(stdout: Box<dyn Write>, stderr: Box<dyn Write>) -> Ctx {
        Ctx { stdout, stderr, gensym_counter: 0, rng_state: 0x9E37_79B9_7F4A_7C15, procs: None }
    }
}

/// A `Write` into a shared in-memory buffer: hand a clone to
/// [`Ctx::with_output`] and read what the isolate printed with
/// [`SharedBuf::text`] (tests, embedders capturing output).
#[derive(Clone, Default)]
pub struct SharedBuf(pub Rc<RefCell<Vec<u8>>>);

impl SharedBuf {
    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
