//! Test support: run an SX program the way `sxc run` does, capturing output.
//! Used by the conformance harness (`host/tests/conformance.rs`).

use crate::procs::StoreSlot;
use std::path::Path;
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
    /// Where it failed: the compile error's `file:line:col`, or the
    /// `file:line:col` of every frame of the uncaught error's backtrace,
    /// innermost first; empty when the program ended normally.
    pub locations: Vec<String>,
}

pub use vm::ctx::SharedBuf;

/// Compiles and runs `source` (labelled `label` in diagnostics) in a fresh
/// isolate against a fresh, empty store in a temporary data directory — the
/// same driver (processes included) and resolver `sxc run` uses.
pub fn run_case(label: &str, source: &str) -> CaseOutcome {
    run(|iso| iso.compile_file(label, source))
}

/// [`run_case`] for `source` compiled as the file at `path` (which need not
/// hold exactly `source`): diagnostics and backtraces name `path`, and
/// `(load "x.sx")` resolves relative to its directory.
pub fn run_case_file(path: &Path, source: &str) -> CaseOutcome {
    run(|iso| iso.compile_path(path, source))
}

/// [`run_case_file`] through a bundle, as `sxc build` then `sxc run` of
/// the bundle would run it: every function of the program compiled to
/// object code (the prelude's runs from the bundle's bytecode: see
/// [`crate::build::Objects::ProgramOnly`]), the
/// bundle encoded and decoded, its bytecode rebuilt from its IR and its
/// objects loaded (the JIT must be on: `SXC_JIT=tiered` or `eager`). Errors:
/// a function without object code, or object code not installed.
pub fn run_case_bundle(path: &Path, source: &str) -> Result<CaseOutcome, String> {
    use crate::build::{native, program, Bundle, Kind, MakeError, Objects};
    crate::jit::install_from_env();
    // The prelude's object code is the same in every case's bundle: it is
    // compiled once per bundle test (tests/bundles.rs), not ~1,000 times here.
    let bundle = match crate::build::make_bundle_with(path, source, Kind::Script, 1, false, None, Objects::ProgramOnly) {
        Ok(b) => b,
        Err(MakeError::Compile(e)) => {
            let (map, d) = *e;
            return Ok(CaseOutcome {
                stdout: String::new(),
                error: None,
                compile_error: Some(format!("{}: {}", d.id, d.message)),
                locations: vec![map.describe(d.span)],
            });
        }
        Err(MakeError::Other(e)) => return Err(e),
    };
    if let Some(f) = bundle.program_functions().iter().find(|f| f.object.is_none()) {
        return Err(format!("function {} has no object code", f.name));
    }
    let bundle = Bundle::decode(path, &bundle.encode()).map_err(|e| e.to_string())?;
    let out = SharedBuf::default();
    let (isolate, fiber, _) = program::instantiate(&bundle, Ctx::with_output(Box::new(out.clone()), Box::new(std::io::sink())))?;
    match native::install(&bundle, isolate.modules()) {
        native::Native::Installed(i) if i.native == bundle.program_functions().len() => {}
        other => return Err(format!("the bundle's object code was not installed: {other:?}")),
    }
    Ok(finish(isolate, fiber, out))
}

fn run(compile: impl FnOnce(&mut Isolate) -> Result<vm::fiber::Fiber, frontend::Diagnostic>) -> CaseOutcome {
    crate::jit::install_from_env();
    let out = SharedBuf::default();
    let mut isolate = Isolate::new(Ctx::with_output(Box::new(out.clone()), Box::new(std::io::sink())));
    let fiber = match compile(&mut isolate) {
        Ok(f) => f,
        Err(d) => {
            return CaseOutcome {
                stdout: SharedBuf::text(&out),
                error: None,
                compile_error: Some(format!("{}: {}", d.id, d.message)),
                locations: vec![isolate.source_map().describe(d.span)],
            }
        }
    };
    finish(isolate, fiber, out)
}

/// Runs a compiled program (its processes included) against a fresh store.
fn finish(isolate: Isolate, fiber: vm::fiber::Fiber, out: SharedBuf) -> CaseOutcome {
    let stdout = SharedBuf::text;
    let dir = tempfile::tempdir().expect("temporary data directory");
    let (error, locations) = match crate::procs::run_main(isolate, fiber, StoreSlot::lazy(dir.path())) {
        Ok(_) => (None, Vec::new()),
        Err(e) => (Some(e.message), e.backtrace.iter().filter_map(|l| frame_location(l)).collect()),
    };
    CaseOutcome { stdout: stdout(&out), error, compile_error: None, locations }
}

/// The `file:line:col` of a backtrace line `  at NAME (file:line:col)`.
fn frame_location(line: &str) -> Option<String> {
    let inner = line.trim_end().strip_suffix(')')?;
    Some(inner[inner.rfind('(')? + 1..].to_string())
}
