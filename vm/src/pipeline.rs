//! Stage dumps for `sxc inspect`: the resolved AST, the expanded forms, the IR
//! before and after optimisation, and the bytecode of one source file.

use crate::bytecode::compile_module;
use crate::ctx::Ctx;
use crate::isolate::Isolate;
use frontend::{Diagnostic, SourceMap};
use std::path::Path;

/// Which stage to dump.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The resolved core AST.
    Ast,
    /// The expanded core forms (as s-expressions).
    Expanded,
    /// IR straight out of lowering.
    Ir,
    /// IR after `ir::optimise` (what the interpreter runs).
    IrOpt,
    /// The register bytecode.
    Bytecode,
}

impl Stage {
    /// Parses `ast|expanded|ir|ir-opt|bytecode`.
    pub fn parse(s: &str) -> Option<Stage> {
        Some(match s {
            "ast" => Stage::Ast,
            "expanded" => Stage::Expanded,
            "ir" => Stage::Ir,
            "ir-opt" => Stage::IrOpt,
            "bytecode" => Stage::Bytecode,
            _ => return None,
        })
    }
}

/// Renders `stage` of `source`, the text of the file at `path`, compiled in a
/// fresh isolate with the prelude; the files it `load`s are part of the
/// program (as with [`Isolate::compile_path`]). `func_filter` keeps only the
/// functions with that name (IR and bytecode stages). Errors carry the source
/// map to render the diagnostic.
#[allow(clippy::result_large_err)]
pub fn dump(
    path: impl AsRef<Path>,
    source: &str,
    stage: Stage,
    func_filter: Option<&str>,
) -> Result<String, (SourceMap, Diagnostic)> {
    let path = path.as_ref();
    let mut iso = Isolate::new(Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink())));
    let file = iso.source_map_mut().add_file(path.display().to_string(), std::fs::canonicalize(path).ok(), source);
    let mut host = crate::macros::MacroExpander::new();
    let (expanded, program) = match frontend::compile_to_ast(iso.source_map_mut(), file, &mut host) {
        Ok(x) => x,
        Err(d) => return Err((iso.source_map().clone(), d)),
    };
    Ok(match stage {
        Stage::Ast => frontend::dump::dump_program(&program),
        Stage::Expanded => frontend::print::print_program(&expanded),
        Stage::Ir | Stage::IrOpt => {
            let m = if stage == Stage::Ir {
                ir::lower_program(&program, &|n: &str| iso.is_builtin(n))
            } else {
                iso.lower(&program)
            };
            match func_filter {
                None => m.to_string(),
                Some(f) => {
                    let mut out = String::new();
                    for (i, func) in m.funcs.iter().enumerate() {
                        if func.name.as_deref() == Some(f) {
                            out.push_str(&ir::print::function_to_string(&m, ir::FuncId::new(i)));
                            out.push('\n');
                        }
                    }
                    out
                }
            }
        }
        Stage::Bytecode => {
            let m = iso.lower(&program);
            let proto = compile_module(&m, iso.globals_mut());
            proto.disassemble(func_filter)
        }
    })
}

/// Compile jobs for the LLVM tier of every function of `source` (named
/// `func_filter` when given), in the order the bytecode disassembler lists
/// them: what `sxc inspect --stage llvm|llvm-opt|asm` prints. The jobs
/// speculate as a function compiled before its first call does.
#[allow(clippy::result_large_err)]
pub fn jit_jobs(path: impl AsRef<Path>, source: &str, func_filter: Option<&str>) -> Result<Vec<crate::jit::CompileJob>, (SourceMap, Diagnostic)> {
    let path = path.as_ref();
    let mut iso = Isolate::new(Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink())));
    let file = iso.source_map_mut().add_file(path.display().to_string(), std::fs::canonicalize(path).ok(), source);
    let mut host = crate::macros::MacroExpander::new();
    let program = match frontend::compile_to_ast(iso.source_map_mut(), file, &mut host) {
        Ok((_, p)) => p,
        Err(d) => return Err((iso.source_map().clone(), d)),
    };
    let m = iso.lower(&program);
    let proto = compile_module(&m, iso.globals_mut());
    let mut jobs = Vec::new();
    proto.walk(&mut |p| {
        if func_filter.is_none_or(|f| p.display_name() == f) {
            jobs.push(crate::jit::compile_job(p, true, 0));
        }
    });
    Ok(jobs)
}
