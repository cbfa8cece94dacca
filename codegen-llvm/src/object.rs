//! Object code for ahead-of-time bundles (`sxc build`): the JIT's compile
//! path split in two — emit a function's relocatable object under a chosen
//! symbol (at build time, on any thread), and later add such objects to the
//! process's ORC session and look their entries up (at load time).
//!
//! Both halves are the JIT's own: the same lowering, the same `default<O2>`
//! pipeline, the same position-independent small-code-model `TargetMachine`
//! and the same JITLink session, so code from a bundle and code compiled in
//! the process are interchangeable. Runtime functions are referenced by name
//! only ([`crate::abi::RtFn`]), so an object carries no address of the
//! process that built it.

use crate::abi::RtFn;
use crate::{lower, LlvmBackend, TM};
use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{FileType, TargetMachine};
use vm::jit::CompileJob;

/// Bump when the runtime's contract with generated code changes in a way the
/// functions' signatures do not show (the meaning of an operand, a status, a
/// frame field): bundles built before then then run from their bytecode.
pub const ABI_REVISION: u32 = 7;

/// The machine the object code is emitted for (this host's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetInfo {
    /// LLVM target triple, e.g. `x86_64-unknown-linux-gnu`.
    pub triple: String,
    /// LLVM CPU name, e.g. `znver3`.
    pub cpu: String,
    /// LLVM feature string, e.g. `+sse2,+avx2,-avx512f` (comma-separated).
    pub features: String,
}

/// This host's target triple (cheap: no CPU probing, unlike [`host_target`]).
pub fn host_triple() -> String {
    TargetMachine::get_default_triple().as_str().to_string_lossy().into_owned()
}

/// This host's target: what [`emit_many`] compiles for and what loaded code
/// must match. Asked of LLVM once per process (reading the CPU's features
/// takes LLVM a few hundred microseconds, and a bundle start asks twice).
pub fn host_target() -> TargetInfo {
    static HOST: std::sync::OnceLock<TargetInfo> = std::sync::OnceLock::new();
    HOST.get_or_init(|| TargetInfo {
        triple: host_triple(),
        cpu: TargetMachine::get_host_cpu_name().to_string(),
        features: TargetMachine::get_host_cpu_features().to_string(),
    })
    .clone()
}

/// A text that changes whenever generated code and the runtime could
/// disagree: the crate version, [`ABI_REVISION`] and every runtime
/// function's name and LLVM signature. Bundles record a hash of it.
pub fn abi_text() -> String {
    let cx = Context::create();
    let m = cx.create_module("abi");
    let mut s = format!("sxc {} abi {}\n", env!("CARGO_PKG_VERSION"), ABI_REVISION);
    for f in RtFn::ALL {
        let fv = f.declare(&cx, &m);
        s.push_str(&format!("{} {}\n", f.name(), fv.get_type().print_to_string().to_string()));
    }
    s
}

/// Compiles `job` to a relocatable object (this host's target) whose entry
/// is the global function `symbol` (the JIT's path: `LlvmBackend::compile`).
pub(crate) fn emit_buffer(job: &CompileJob, symbol: &str) -> Result<MemoryBuffer<'static>, String> {
    let cx = Context::create();
    let m = cx.create_module(symbol);
    lower::FnGen::new(&cx, &m, job, symbol).emit()?;
    m.verify().map_err(|e| format!("LLVM verifier: {e}"))?;
    TM.with(|tm| {
        let tm = tm.as_ref().map_err(|e| e.clone())?;
        m.set_triple(&tm.get_triple());
        m.set_data_layout(&tm.get_target_data().get_data_layout());
        m.run_passes("default<O2>", tm, PassBuilderOptions::create()).map_err(|e| e.to_string())?;
        tm.write_to_memory_buffer(&m, FileType::Object).map_err(|e| e.to_string())
    })
}

/// Several functions compiled into one object by [`emit_many`].
pub struct ObjectCode {
    /// The relocatable object's bytes.
    pub bytes: Vec<u8>,
    /// Per job: the machine code size of its function (bytes, from the
    /// object's symbol table), or why it is not in the object.
    pub functions: Vec<Result<usize, String>>,
}

/// Compiles `jobs` into one relocatable object, job `i`'s entry under
/// `symbols[i]` — one LLVM module, so loading links one object instead of
/// one per function (each JITLink link allocates and protects its own
/// pages). Each function is lowered on its own and optimised with the
/// same `default<O2>` pipeline; functions do not call each other directly,
/// so the code of each is what the JIT makes of it alone. A function the
/// code generator refuses is left out (its `Err`); the others go on.
/// Deterministic. Uses this thread's LLVM context and target machine.
pub fn emit_many(jobs: &[&CompileJob], symbols: &[&str]) -> Result<ObjectCode, String> {
    let cx = Context::create();
    let m = cx.create_module(symbols.first().copied().unwrap_or("sx"));
    let mut functions = Vec::with_capacity(jobs.len());
    for (job, symbol) in jobs.iter().zip(symbols) {
        match lower::FnGen::new(&cx, &m, job, symbol).emit() {
            Ok(_) => functions.push(Ok(0)),
            Err(err) => {
                if let Some(f) = m.get_function(symbol) {
                    // SAFETY: nothing refers to the half-built function: it is
                    // only called through its symbol, which no one has looked up.
                    unsafe { f.delete() };
                }
                functions.push(Err(err));
            }
        }
    }
    m.verify().map_err(|e| format!("LLVM verifier: {e}"))?;
    let buf = TM.with(|tm| {
        let tm = tm.as_ref().map_err(|e| e.clone())?;
        m.set_triple(&tm.get_triple());
        m.set_data_layout(&tm.get_target_data().get_data_layout());
        m.run_passes("default<O2>", tm, PassBuilderOptions::create()).map_err(|e| e.to_string())?;
        tm.write_to_memory_buffer(&m, FileType::Object).map_err(|e| e.to_string())
    })?;
    let sizes = symbol_sizes(&buf)?;
    for (r, symbol) in functions.iter_mut().zip(symbols) {
        if let Ok(size) = r {
            *size = sizes.get(*symbol).copied().unwrap_or(0);
        }
    }
    Ok(ObjectCode { bytes: buf.as_slice().to_vec(), functions })
}

/// The sizes of the defined symbols of an object file.
fn symbol_sizes(buf: &MemoryBuffer) -> Result<std::collections::HashMap<String, usize>, String> {
    let bin = buf.create_binary_file(None).map_err(|e| e.to_string())?;
    let mut out = std::collections::HashMap::new();
    if let Some(mut syms) = bin.get_symbols() {
        while let Some(s) = syms.next_symbol() {
            if let Some(name) = s.get_name() {
                out.insert(name.to_string_lossy().into_owned(), s.get_size() as usize);
            }
        }
    }
    Ok(out)
}

impl LlvmBackend {
    /// Adds `objects` (bytes of objects from [`emit_many`]) to
    /// the session and looks up `symbols` (linking the objects that define
    /// them); returns their entry addresses in order. Symbols must be unique
    /// in the process. Objects added before an error stay in the session (unused).
    pub fn load(&self, objects: &[&[u8]], symbols: &[&str]) -> Result<Vec<usize>, String> {
        let jit = self.jit()?;
        for (i, bytes) in objects.iter().enumerate() {
            let buf = MemoryBuffer::create_from_memory_range_copy(bytes, &format!("object{i}"));
            jit.add_object(buf).map_err(|e| format!("object {i}: {e}"))?;
        }
        symbols.iter().map(|s| jit.lookup(s).map_err(|e| e.to_string())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_text_names_every_runtime_function() {
        let t = abi_text();
        for f in RtFn::ALL {
            assert!(t.contains(f.name()));
        }
    }
}
