//! Helpers: run SX source in a fresh isolate with captured output.

use vm::ctx::Ctx;
use vm::isolate::{Isolate, SxError};
use vm::value::Value;

/// The one IO path (`host::resolver::HostResolver`, the redb store `sxc
/// run` and `sxc serve` use) over a fresh temporary data directory, opened on
/// the first request. Keep the value alive while the resolver is used.
pub struct Io {
    _dir: tempfile::TempDir,
    pub resolver: host::resolver::HostResolver,
}

/// A fresh [`Io`].
pub fn io() -> Io {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let resolver = host::resolver::HostResolver::new(dir.path());
    Io { _dir: dir, resolver }
}

/// Captured output (the crate's shared buffer).
pub type Buf = vm::ctx::SharedBuf;

pub fn isolate() -> (Isolate, Buf) {
    let out = Buf::default();
    let iso = Isolate::new(Ctx::with_output(Box::new(out.clone()), Box::new(std::io::sink())));
    (iso, out)
}

/// Runs `src` with the host's resolver over a fresh temporary store; returns the result and stdout.
pub fn run(src: &str) -> (Result<Value, SxError>, String) {
    let (mut iso, out) = isolate();
    let mut fiber = match iso.compile_file("test.sx", src) {
        Ok(f) => f,
        Err(d) => panic!("compile error: {} at {}", d.message, iso.source_map().describe(d.span)),
    };
    let r = iso.run(&mut fiber, &mut io().resolver);
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
