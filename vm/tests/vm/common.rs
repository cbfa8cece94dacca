//! Helpers: run SX source in a fresh isolate with captured output.

use vm::ctx::Ctx;
use vm::isolate::{Isolate, SxError};
use vm::memory_resolver::MemoryResolver;
use vm::value::Value;

/// Captured output (the crate's shared buffer).
pub type Buf = vm::ctx::SharedBuf;

pub fn isolate() -> (Isolate, Buf) {
    let out = Buf::default();
    let iso = Isolate::new(Ctx::with_output(Box::new(out.clone()), Box::new(std::io::sink())));
    (iso, out)
}

/// Runs `src` with a fresh MemoryResolver; returns the result and stdout.
pub fn run(src: &str) -> (Result<Value, SxError>, String) {
    let (mut iso, out) = isolate();
    let mut fiber = match iso.compile_file("test.sx", src) {
        Ok(f) => f,
        Err(d) => panic!("compile error: {} at {}", d.message, iso.source_map().describe(d.span)),
    };
    let r = iso.run(&mut fiber, &mut MemoryResolver::new());
    (r, out.text())
}

/// Runs `src` and returns its stdout; panics on an uncaught error.
pub fn out(src: &str) -> String {
    let (r, o) = run(src);
    if let Err(e) = r {
        panic!("uncaught: {e}\noutput so far: {o}");
    }
    o
}

/// The printed form of the program's value.
pub fn val(src: &str) -> String {
    match run(src).0 {
        Ok(v) => vm::print::repr(&v),
        Err(e) => panic!("uncaught: {e}"),
    }
}

/// The uncaught error of the program.
pub fn err(src: &str) -> SxError {
    match run(src).0 {
        Ok(v) => panic!("expected an error, got {}", vm::print::repr(&v)),
        Err(e) => e,
    }
}
