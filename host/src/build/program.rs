//! A program's way into and out of a bundle: compiling the prelude and the
//! source to the optimised IR a bundle stores (with spans and source
//! texts), and rebuilding a runnable isolate from a bundle — IR parsed,
//! spans put back, bytecode compiled by the same deterministic compiler,
//! the prelude's top level run — with the bundle's object code installed
//! where it matches. A start from a bundle reads no source at all.
//!
//! The IR's text form has no spans, so they travel beside it, in the order
//! [`collect_spans`] visits them (per function: its span, then per block in
//! layout order each instruction's span and the terminator's).

use super::bundle::{Bundle, ModuleIr, Source, SpanRec};
use frontend::{Diagnostic, FileId, SourceMap, Span};
use std::path::Path;
use std::rc::Rc;
use vm::bytecode::Proto;
use vm::ctx::Ctx;
use vm::fiber::Fiber;
use vm::isolate::Isolate;

/// Every span of `m`, in the documented order.
pub fn collect_spans(m: &ir::Module) -> Vec<SpanRec> {
    let mut out = Vec::new();
    for f in &m.funcs {
        out.push(rec(f.span));
        for b in &f.blocks {
            for &i in &b.insts {
                out.push(rec(f.inst(i).span));
            }
            out.push(rec(b.term_span));
        }
    }
    out
}

fn rec(s: Span) -> SpanRec {
    (s.file.0, s.lo, s.hi)
}

/// Puts `spans` (from [`collect_spans`] of the module `m` was printed from)
/// back into `m`, mapping build-time file ids through `file`.
pub fn apply_spans(m: &mut ir::Module, spans: &[SpanRec], file: &dyn Fn(u32) -> FileId) -> Result<(), String> {
    let mut it = spans.iter();
    let mut next = || it.next().map(|&(f, lo, hi)| Span::new(file(f), lo, hi)).ok_or("the span table is shorter than the IR");
    for f in &mut m.funcs {
        f.span = next()?;
        for b in 0..f.blocks.len() {
            for k in 0..f.blocks[b].insts.len() {
                let i = f.blocks[b].insts[k];
                f.insts[i.index()].span = next()?;
            }
            f.blocks[b].term_span = next()?;
        }
    }
    if it.next().is_some() {
        return Err("the span table is longer than the IR".into());
    }
    Ok(())
}

/// A program compiled for a bundle.
pub struct Compiled {
    /// The prelude's and the program's optimised IR as text, with spans and
    /// function counts.
    pub modules: Vec<ModuleIr>,
    /// The source map's files (the prelude first).
    pub sources: Vec<Source>,
    /// The isolate the bytecode was compiled in, and the modules' root
    /// protos (compiled from the IR text exactly as a load does).
    pub isolate: Isolate,
    pub roots: Vec<Rc<Proto>>,
}

/// `m` printed, re-parsed and its spans put back (what loading a bundle
/// makes of it), with its text and spans.
fn round_trip(m: &ir::Module) -> (String, Vec<SpanRec>, ir::Module) {
    let text = m.to_string();
    let spans = collect_spans(m);
    let mut again = ir::parse_module(&text).unwrap_or_else(|e| panic!("the IR printer and parser disagree: {e}\n{text}"));
    apply_spans(&mut again, &spans, &FileId).expect("spans of the module just printed");
    (text, spans, again)
}

/// The number of protos of the module rooted at `root` (walk order).
fn proto_count(root: &Rc<Proto>) -> u32 {
    let mut n = 0;
    root.walk(&mut |_| n += 1);
    n
}

/// Reads, expands, lowers and optimises `text` (the program whose main file
/// is `path`, already wrapped for an app), then compiles the bytecode from
/// the IR's text form as loading the bundle will. Errors carry the source
/// map to render the diagnostic.
#[allow(clippy::result_large_err)]
pub fn compile(path: &Path, text: &str) -> Result<Compiled, (SourceMap, Diagnostic)> {
    let mut iso = Isolate::bare(Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink())));
    // The prelude first (file 0), run from its re-parsed IR as a load runs it.
    let (prelude_ir, prelude_spans, prelude) = round_trip(&iso.compile_prelude());
    if let Err(e) = iso.run_prelude(&prelude) {
        panic!("prelude failed: {e}");
    }
    let file = iso.source_map_mut().add_file(path.display().to_string(), std::fs::canonicalize(path).ok(), text);
    let mut host = vm::macros::MacroExpander::new();
    let program = match frontend::compile_to_ast(iso.source_map_mut(), file, &mut host) {
        Ok((_, p)) => p,
        Err(d) => return Err((iso.source_map().clone(), d)),
    };
    let (ir, spans, again) = round_trip(&iso.lower(&program));
    let map = iso.source_map();
    let sources = (0..map.len() as u32)
        .map(FileId)
        .map(|id| Source { build_id: id.0, name: map.file(id).name.clone(), text: map.file(id).text.clone() })
        .collect();
    let _ = iso.load_module(&again);
    let roots = iso.modules().to_vec();
    let modules = vec![
        ModuleIr { ir: prelude_ir, spans: prelude_spans, functions: proto_count(&roots[0]) },
        ModuleIr { ir, spans, functions: proto_count(&roots[1]) },
    ];
    Ok(Compiled { modules, sources, isolate: iso, roots })
}

/// How many parts [`instantiate`] splits the program's IR into: enough for
/// two threads to finish close together whatever the prelude costs.
const PARSE_PARTS: usize = 8;

/// An isolate running `bundle`'s program: its source texts in the source
/// map (for backtraces), the prelude's IR compiled to bytecode and its top
/// level run, the program's IR compiled to bytecode. Returns the isolate
/// (whose `modules()` are the bundle's modules, in order), the fiber of the
/// program's top level (not started) and the program module's root proto.
/// Errors: an IR or a span table does not read, or a module's function
/// count differs from the bundle's (a bundle of another build of sxc), or
/// the prelude raised.
pub fn instantiate(bundle: &Bundle, ctx: Ctx) -> Result<(Isolate, Fiber, Rc<Proto>), String> {
    let mut iso = Isolate::bare(ctx);
    let mut ids = std::collections::HashMap::new();
    for s in &bundle.sources {
        ids.insert(s.build_id, iso.source_map_mut().add(s.name.clone(), s.text.clone()));
    }
    let (last, before) = bundle.modules.split_last().ok_or("it has no module")?;
    let with_spans = |mut parsed: ir::Module, m: &ModuleIr| -> Result<ir::Module, String> {
        let missing = std::cell::Cell::new(None);
        apply_spans(&mut parsed, &m.spans, &|f| {
            ids.get(&f).copied().unwrap_or_else(|| {
                missing.set(Some(f));
                FileId(0)
            })
        })?;
        match missing.get() {
            Some(f) => Err(format!("its spans refer to source file {f}, which it does not hold")),
            None => Ok(parsed),
        }
    };
    let parse = |m: &ModuleIr| -> Result<ir::Module, String> {
        with_spans(ir::parse_module(&m.ir).map_err(|e| format!("its IR does not read: {e}"))?, m)
    };
    // The program's IR is parsed in parts (whole functions) by a second
    // thread, and by this one once it has compiled and run the prelude:
    // pure work on the bundle's text, 1–7 ms of a start of 10–20 ms.
    let parts = ir::split_functions(&last.ir, PARSE_PARTS);
    let parsed: Vec<std::sync::Mutex<Option<Result<ir::Module, String>>>> = parts.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || loop {
        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(&(text, first, line)) = parts.get(k) else { break };
        let r = ir::parse_functions(text, first, line);
        *parsed[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
    };
    let prelude = std::thread::scope(|s| {
        // Without a second thread, this one parses every part.
        let _helper = std::thread::Builder::new().name("sxc-ir-parse".into()).spawn_scoped(s, work);
        let prelude = before.iter().try_for_each(|m| iso.run_prelude(&parse(m)?).map_err(|e| format!("its prelude failed: {e}")));
        crate::startup::mark("prelude run");
        work();
        prelude
    });
    prelude?;
    let mut program = ir::Module::default();
    for slot in parsed {
        let part = slot.into_inner().unwrap_or_else(|e| e.into_inner()).unwrap_or_else(|| Err("a part was not parsed".into()));
        let part = part.map_err(|e| format!("its IR does not read: {e}"))?;
        program.entry = program.entry.or(part.entry);
        program.funcs.extend(part.funcs);
    }
    let m = with_spans(program, last)?;
    crate::startup::mark("IR parsed");
    let fiber = iso.load_module(&m);
    for (root, m) in iso.modules().iter().zip(&bundle.modules) {
        let n = proto_count(root);
        if n != m.functions {
            return Err(format!("a module compiles to {n} functions here, {} in the bundle (built by another sxc)", m.functions));
        }
    }
    let root = iso.modules().last().expect("a module was just loaded").clone();
    Ok((iso, fiber, root))
}
