//! Per-isolate context handed to primitives: output streams and counters.

use std::io::Write;

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
}

impl Ctx {
    /// A context writing to the process's stdout/stderr.
    pub fn stdio() -> Ctx {
        Ctx::with_output(Box::new(std::io::stdout()), Box::new(std::io::stderr()))
    }
    pub fn with_output(stdout: Box<dyn Write>, stderr: Box<dyn Write>) -> Ctx {
        Ctx { stdout, stderr, gensym_counter: 0, rng_state: 0x9E37_79B9_7F4A_7C15 }
    }
}
