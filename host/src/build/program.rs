//! A program's way into and out of a bundle: compiling the source to the
//! optimised IR a bundle stores (with its spans and source texts), and
//! rebuilding a runnable isolate from a bundle — IR parsed, spans put back,
//! bytecode compiled by the same deterministic compiler — with the
//! bundle's object code installed where it matches.
//!
//! The IR's text form has no spans, so they travel beside it, in the order
//! [`collect_spans`] visits them (per function: its span, then per block in
//! layout order each instruction's span and the terminator's).

use super::bundle::{Bundle, Source, SpanRec};
use frontend::{Diagnostic, FileId, SourceMap, Span};
use std::path::Path;
use std::rc::Rc;
use vm::bytecode::Proto;
use vm::ctx::Ctx;
use vm::fiber::Fiber;
use vm::isolate::{Isolate, PRELUDE_FILE};

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
    /// The optimised IR as text, and its spans.
    pub ir: String,
    pub spans: Vec<SpanRec>,
    /// The source map's files (not the prelude).
    pub sources: Vec<Source>,
    /// The isolate the bytecode was compiled in, and the module's root proto
    /// (compiled from the IR text exactly as a load does).
    pub isolate: Isolate,
    pub root: Rc<Proto>,
}

/// Reads, expands, lowers and optimises `text` (the program whose main file
/// is `path`, already wrapped for an app), then compiles the bytecode from
/// the IR's text form as loading the bundle will. Errors carry the source
/// map to render the diagnostic.
#[allow(clippy::result_large_err)]
pub fn compile(path: &Path, text: &str) -> Result<Compiled, (SourceMap, Diagnostic)> {
    let mut iso = Isolate::new(Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink())));
    let file = iso.source_map_mut().add_file(path.display().to_string(), std::fs::canonicalize(path).ok(), text);
    let mut host = vm::macros::MacroExpander::new();
    let program = match frontend::compile_to_ast(iso.source_map_mut(), file, &mut host) {
        Ok((_, p)) => p,
        Err(d) => return Err((iso.source_map().clone(), d)),
    };
    let m = iso.lower(&program);
    let ir = m.to_string();
    let spans = collect_spans(&m);
    let map = iso.source_map();
    let sources = (0..map.len() as u32)
        .map(FileId)
        .filter(|&id| map.file(id).name != PRELUDE_FILE)
        .map(|id| Source { build_id: id.0, name: map.file(id).name.clone(), text: map.file(id).text.clone() })
        .collect();
    let mut again = ir::parse_module(&ir).unwrap_or_else(|e| panic!("the IR printer and parser disagree: {e}\n{ir}"));
    apply_spans(&mut again, &spans, &FileId).expect("spans of the module just printed");
    let _ = iso.load_module(&again);
    let root = iso.modules().last().expect("a module was just loaded").clone();
    Ok(Compiled { ir, spans, sources, isolate: iso, root })
}

/// An isolate running `bundle`'s program: its source texts in the source
/// map (for backtraces), its IR compiled to bytecode. Returns the isolate,
/// the fiber of the top level (not started) and the module's root proto.
/// Errors: the IR or the span table does not read (a bundle of another
/// build of sxc).
pub fn instantiate(bundle: &Bundle, ctx: Ctx) -> Result<(Isolate, Fiber, Rc<Proto>), String> {
    let mut iso = Isolate::new(ctx);
    crate::startup::mark("prelude compiled");
    let mut ids = std::collections::HashMap::new();
    for s in &bundle.sources {
        ids.insert(s.build_id, iso.source_map_mut().add(s.name.clone(), s.text.clone()));
    }
    // Files not in the bundle are the prelude's, which every isolate compiles first.
    let prelude = (0..iso.source_map().len() as u32).map(FileId).find(|&id| iso.source_map().file(id).name == PRELUDE_FILE).unwrap_or_default();
    let mut m = ir::parse_module(&bundle.ir).map_err(|e| format!("its IR does not read: {e}"))?;
    apply_spans(&mut m, &bundle.spans, &|f| ids.get(&f).copied().unwrap_or(prelude))?;
    crate::startup::mark("IR parsed");
    let fiber = iso.load_module(&m);
    let root = iso.modules().last().expect("a module was just loaded").clone();
    Ok((iso, fiber, root))
}
