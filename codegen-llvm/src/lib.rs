//! The LLVM tier: SX IR → LLVM IR (inkwell) → machine code loaded into an
//! ORC LLJIT session, behind `vm::jit::Backend`.
//!
//! - `abi`: the runtime functions generated code calls (one enum).
//! - `lower`: IR → LLVM IR for one function (frames, side exits, guards).
//! - `orc`: the LLJIT session (absolute runtime symbols, object files).
//! - `object`: object code for `sxc build` bundles (emit now, load later).
//!
//! Each function is its own LLVM module in a fresh context (one context per
//! compile, on the compiling thread: contexts are never shared between
//! threads), optimised with LLVM's `default<O2>` pipeline, compiled to a
//! position-independent object and added to the process-wide session.

pub mod abi;
mod lower;
pub mod object;
pub mod orc;

use inkwell::context::Context;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine};
use inkwell::OptimizationLevel;
use std::sync::atomic::{AtomicUsize, Ordering};
use vm::jit::{Backend, CompileJob, Compiled};

#[derive(Copy, Clone, PartialEq, Eq)]
enum Dump {
    Ir,
    Optimised,
    Asm,
}

/// The LLVM backend: one ORC session for the process, created when first
/// needed (the first compile, or the first bundle's objects): creating an
/// LLJIT session and its target machine takes about a millisecond that a
/// start from source with nothing hot, or a bundle start that links its
/// objects on another thread (`host::build::native::preload`), should not
/// wait for.
pub struct LlvmBackend {
    jit: std::sync::OnceLock<Result<orc::Jit, String>>,
    /// The runtime functions defined in the session: `(name, address)`.
    runtime: Vec<(String, usize)>,
    next: AtomicUsize,
    /// Write `/tmp/perf-PID.map` lines for compiled functions.
    perf_map: bool,
}

fn target_machine() -> Result<TargetMachine, String> {
    Target::initialize_native(&InitializationConfig::default()).map_err(|e| e.to_string())?;
    let triple = TargetMachine::get_default_triple();
    let target = Target::from_triple(&triple).map_err(|e| e.to_string())?;
    let cpu = TargetMachine::get_host_cpu_name();
    let features = TargetMachine::get_host_cpu_features();
    target
        .create_target_machine(
            &triple,
            cpu.to_str().unwrap_or("generic"),
            features.to_str().unwrap_or(""),
            OptimizationLevel::Default,
            RelocMode::PIC,
            CodeModel::Small,
        )
        .ok_or_else(|| "no target machine for this host".to_string())
}

thread_local! {
    static TM: Result<TargetMachine, String> = target_machine();
}

impl LlvmBackend {
    /// A backend for this host (its session is created on first use) whose
    /// generated code calls the runtime functions `runtime` (`(name,
    /// address)`: the host's `vm::jit::runtime::symbols()`; loaded as a
    /// plugin, this crate's own copy of `vm` must not be called). With
    /// `perf_map`, compiled functions are written to `/tmp/perf-PID.map`.
    /// Errors: LLVM has no code generator for this machine.
    pub fn new(runtime: Vec<(String, usize)>, perf_map: bool) -> Result<LlvmBackend, String> {
        Target::initialize_native(&InitializationConfig::default()).map_err(|e| e.to_string())?;
        Ok(LlvmBackend { jit: std::sync::OnceLock::new(), runtime, next: AtomicUsize::new(0), perf_map })
    }

    /// The process's session, with the runtime functions defined in it
    /// (created by the first caller; the others wait for it). Errors: the
    /// session could not be created.
    fn jit(&self) -> Result<&orc::Jit, String> {
        self.jit
            .get_or_init(|| {
                let symbols: Vec<(&str, usize)> = self.runtime.iter().map(|(n, a)| (n.as_str(), *a)).collect();
                orc::Jit::new(&symbols).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| e.clone())
    }

    /// The LLVM IR of `job`'s function (optimised when `optimise`), for `sxc inspect`.
    pub fn llvm_ir(job: &CompileJob, optimise: bool) -> Result<String, String> {
        Self::dump(job, if optimise { Dump::Optimised } else { Dump::Ir })
    }

    /// The machine code of `job`'s function as assembly, for `sxc inspect`.
    pub fn asm(job: &CompileJob) -> Result<String, String> {
        Self::dump(job, Dump::Asm)
    }

    fn dump(job: &CompileJob, what: Dump) -> Result<String, String> {
        let cx = Context::create();
        let m = cx.create_module("sx");
        lower::FnGen::new(&cx, &m, job, "sx_fn").emit()?;
        m.verify().map_err(|e| e.to_string())?;
        if what == Dump::Ir {
            return Ok(m.print_to_string().to_string());
        }
        TM.with(|tm| {
            let tm = tm.as_ref().map_err(|e| e.clone())?;
            m.set_triple(&tm.get_triple());
            m.set_data_layout(&tm.get_target_data().get_data_layout());
            m.run_passes("default<O2>", tm, PassBuilderOptions::create()).map_err(|e| e.to_string())?;
            if what == Dump::Optimised {
                return Ok(m.print_to_string().to_string());
            }
            let buf = tm.write_to_memory_buffer(&m, FileType::Assembly).map_err(|e| e.to_string())?;
            Ok(String::from_utf8_lossy(buf.as_slice()).into_owned())
        })
    }
}

impl Backend for LlvmBackend {
    fn compile(&self, job: &CompileJob) -> Result<Compiled, String> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let symbol = format!("sx_fn_{n}");
        let obj = object::emit_buffer(job, &symbol)?;
        let size = obj.get_size();
        let jit = self.jit()?;
        jit.add_object(obj).map_err(|e| e.to_string())?;
        let entry = jit.lookup(&symbol).map_err(|e| e.to_string())?;
        if self.perf_map {
            use std::io::Write;
            let path = format!("/tmp/perf-{}.map", std::process::id());
            if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
                let _ = writeln!(f, "{entry:x} {size:x} sx:{}", job.name);
            }
        }
        Ok(Compiled { entry, code_size: size })
    }

    fn load_objects(&self, objects: &[&[u8]], symbols: &[&str]) -> Result<Vec<usize>, String> {
        self.load(objects, symbols)
    }
}
