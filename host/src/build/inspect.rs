//! `sxc inspect APP.sxb`: the manifest and each function's object size; with
//! `--stage ir-opt` the bundle's IR, with `--stage bytecode` the bytecode
//! loading it compiles.

use super::{native, program, Bundle};
use crate::cli::StageArg;
use std::fmt::Write;

/// The report for `bundle` at `stage` (`None`: the manifest and functions).
/// `func` keeps only functions with that name. Errors: a stage a bundle does
/// not hold.
pub fn render(bundle: &Bundle, stage: Option<StageArg>, func: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    match stage {
        None => {
            out.push_str(&bundle.manifest.to_text());
            let program = bundle.program_functions();
            let prelude = &bundle.functions[..bundle.functions.len() - program.len()];
            let with = program.iter().filter(|f| f.object.is_some()).count();
            let code: u64 = program.iter().map(|f| f.code_size).sum();
            let objects: usize = bundle.objects.iter().map(Vec::len).sum();
            let statics: usize = bundle.statics.iter().map(|(_, b)| b.len()).sum();
            let _ = writeln!(out, "functions = {} ({} with object code, {} bytes of machine code)", program.len(), with, code);
            let _ = writeln!(
                out,
                "prelude-functions = {} ({} with object code, {} bytes of machine code)",
                prelude.len(),
                prelude.iter().filter(|f| f.object.is_some()).count(),
                prelude.iter().map(|f| f.code_size).sum::<u64>()
            );
            let _ = writeln!(out, "objects = {} ({} bytes)", bundle.objects.len(), objects);
            let _ = writeln!(out, "static-files = {} ({} bytes)", bundle.statics.len(), statics);
            if let Some(reason) = native::unusable_reason(bundle) {
                let _ = writeln!(out, "native = no: {reason}");
            } else {
                out.push_str("native = yes\n");
            }
            let _ = writeln!(out, "\n{:<6} {:<32} {:>9} {:>6}  {}", "#", "function", "code", "object", "symbol");
            for (i, f) in bundle.functions.iter().enumerate() {
                if func.is_some_and(|n| n != f.name) {
                    continue;
                }
                let (size, obj) = match f.object {
                    Some(o) => (f.code_size.to_string(), o.to_string()),
                    None => ("-".to_string(), "-".to_string()),
                };
                let _ = writeln!(out, "{:<6} {:<32} {:>9} {:>6}  {}", i, f.name, size, obj, f.symbol);
            }
            for (p, b) in &bundle.statics {
                let _ = writeln!(out, "static {p} {} bytes", b.len());
            }
        }
        Some(StageArg::IrOpt) => match func {
            None => out.push_str(&bundle.program().ir),
            Some(f) => {
                let m = ir::parse_module(&bundle.program().ir).map_err(|e| format!("the bundle's IR does not read: {e}"))?;
                for (i, g) in m.funcs.iter().enumerate() {
                    if g.name.as_deref() == Some(f) {
                        out.push_str(&ir::print::function_to_string(&m, ir::FuncId::new(i)));
                        out.push('\n');
                    }
                }
            }
        },
        Some(StageArg::Bytecode) => {
            let ctx = vm::ctx::Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink()));
            let (_, _, root) = program::instantiate(bundle, ctx)?;
            out.push_str(&root.disassemble(func));
        }
        Some(other) => {
            return Err(format!(
                "a bundle holds the optimised IR, its bytecode and object code: --stage {} works on sources (bundles: ir-opt, bytecode)",
                clap::ValueEnum::to_possible_value(&other).map(|v| v.get_name().to_string()).unwrap_or_default()
            ))
        }
    }
    Ok(out)
}
