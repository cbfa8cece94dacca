//! Test support: run an SX program the way `sxc run` does, capturing output.
//! Used by the conformance harness (`host/tests/conformance.rs`).

use crate::resolver::HostResolver;
use vm::ctx::Ctx;
use vm::isolate::Isolate;

/// What a program did: its stdout, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseOutcome {
    pub stdout: String,
    /// The message of an uncaught runtime error, if the program ended with one.
    pub error: Option<String>,
    /// `ID: message` of a read/expand/compile diagnostic, if compilation failed.
    pub compile_error: Option<String>,
}

pub use vm::ctx::SharedBuf;

/// Compiles and runs `source` (labelled `label` in diagnostics) in a fresh
/// isolate against a fresh, empty store in a temporary data directory — the
/// same resolver `sxc run` uses.
pub fn run_case(label: &str, source: &str) -> CaseOutcome {
    let out = SharedBuf::default();
    let mut isolate = Isolate::new(Ctx::with_output(Box::new(out.clone()), Box::new(std::io::sink())));
    let stdout = SharedBuf::text;
    let mut fiber = match isolate.compile_file(label, source) {
        Ok(f) => f,
        Err(d) => {
            return CaseOutcome {
                stdout: stdout(&out),
                error: None,
                compile_error: Some(format!("{}: {}", d.id, d.message)),
            }
        }
    };
    let dir = tempfile::tempdir().expect("temporary data directory");
    let mut resolver = HostResolver::open(dir.path()).expect("open store");
    let error = isolate.run(&mut fiber, &mut resolver).err().map(|e| e.message);
    CaseOutcome { stdout: stdout(&out), error, compile_error: None }
}
