//! Implementations of the `sxc` subcommands. Each returns the process exit code.

use crate::cli::{Cli, Command, StageArg};
use crate::diagnostics;
use crate::procs::StoreSlot;
use crate::serve::ServeConfig;
use std::time::Duration;
use std::io::{IsTerminal, Write};
use std::path::Path;
use vm::ctx::Ctx;
use vm::isolate::Isolate;

/// Runs the parsed command line; returns the exit code.
pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Run { file, data, tier, memory_mb, mut jit, record_profile } => {
            if let Some(p) = record_profile {
                let _ = RECORD_PROFILE.set(p);
            }
            if tier == Some(crate::cli::Tier::Interp) {
                jit.jit = Some(crate::jit::JitMode::Off);
            }
            jit.install();
            if crate::build::is_bundle(&file) {
                return run_bundle(&file, &data, memory_mb, jit.jit_stats);
            }
            run(&file, &data, memory_mb, jit.jit_stats)
        }
        Command::Serve { app, addr, workers, data, dev, body_limit, handler_timeout, read_timeout, request_memory_mb, jit, record_profile } => {
            if let Some(p) = record_profile {
                let _ = RECORD_PROFILE.set(p);
            }
            jit.install();
            crate::startup::mark("jit installed");
            let mut cfg = ServeConfig::new(app);
            cfg.addr = addr;
            if let Some(n) = workers {
                cfg.workers = n.max(1);
            }
            cfg.data_dir = data;
            cfg.dev = dev;
            cfg.body_limit = body_limit;
            cfg.handler_timeout = Duration::from_millis(handler_timeout);
            cfg.read_timeout = Duration::from_millis(read_timeout);
            cfg.request_memory = request_memory_mb.saturating_mul(1 << 20);
            serve(cfg)
        }
        Command::Inspect { file, stage, func } => {
            // A dump piped into `head` ends quietly when the reader goes
            // away, as other Unix tools do, instead of panicking on the
            // broken pipe (Rust ignores SIGPIPE; only this command, which
            // writes nothing but stdout, restores the default — a server
            // must see EPIPE on its sockets).
            // SAFETY: setting a signal disposition; no other thread runs yet.
            unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
            if crate::build::is_bundle(&file) {
                return inspect_bundle(&file, stage, func.as_deref());
            }
            inspect(&file, stage.unwrap_or(StageArg::Ir), func.as_deref())
        }
        Command::Build(args) => {
            let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let out = args.output.clone().unwrap_or_else(|| crate::build::default_output(&args.app));
            crate::build::build(&crate::build::BuildOptions { app: args.app, out, jobs, profile: args.profile })
        }
    }
}

/// `--record-profile FILE` of `run`/`serve`: where the program's profile goes at exit.
static RECORD_PROFILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

fn serve(mut cfg: ServeConfig) -> i32 {
    if let Some(p) = RECORD_PROFILE.get() {
        cfg.record_profile = Some((p.clone(), Default::default()));
    }
    match crate::serve::serve(cfg) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

fn read_source(path: &Path) -> Result<String, i32> {
    std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        2
    })
}

fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `sxc run FILE`: compile, run to completion with the host resolver. A file
/// that calls `(http-listen handler)` is served exactly as `sxc serve` would
/// (default options), as the language reference asks. `memory_mb` limits
/// what the program allocates (`host::memory`; for an app: per request).
pub fn run(path: &Path, data_dir: &Path, memory_mb: Option<usize>, jit_stats: bool) -> i32 {
    let source = match read_source(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if crate::serve::is_http_app(&source) {
        let mut cfg = ServeConfig::new(path.to_path_buf());
        cfg.data_dir = data_dir.to_path_buf();
        if let Some(mb) = memory_mb {
            cfg.request_memory = mb.saturating_mul(1 << 20);
        }
        return serve(cfg);
    }
    let mut isolate = Isolate::new(Ctx::stdio());
    let fiber = match isolate.compile_path(path, &source) {
        Ok(f) => f,
        Err(d) => {
            eprint!("{}", diagnostics::render(isolate.source_map(), &d, stderr_color()));
            return 1;
        }
    };
    run_compiled(isolate, fiber, data_dir, memory_mb, jit_stats)
}

/// `sxc run APP.sxb`: verify the bundle, rebuild its bytecode, install its
/// machine code and run it (an app bundle is served, as `sxc run` serves an
/// app's source).
pub fn run_bundle(path: &Path, data_dir: &Path, memory_mb: Option<usize>, jit_stats: bool) -> i32 {
    let bundle = match crate::build::Bundle::open(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if bundle.manifest.kind == crate::build::Kind::App {
        // Served: `serve` opens it again (and preloads its objects).
        let mut cfg = ServeConfig::new(path.to_path_buf());
        cfg.data_dir = data_dir.to_path_buf();
        if let Some(mb) = memory_mb {
            cfg.request_memory = mb.saturating_mul(1 << 20);
        }
        return serve(cfg);
    }
    crate::build::native::preload(&bundle);
    let (isolate, fiber, _) = match crate::build::program::instantiate(&bundle, Ctx::stdio()) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return 1;
        }
    };
    let native = crate::build::native::install(&bundle, isolate.modules());
    crate::build::native::report(path, &native);
    run_compiled(isolate, fiber, data_dir, memory_mb, jit_stats)
}

/// Runs a compiled program's top level (and its processes) to completion.
fn run_compiled(isolate: Isolate, fiber: vm::fiber::Fiber, data_dir: &Path, memory_mb: Option<usize>, jit_stats: bool) -> i32 {
    crate::serve::init_tracing();
    let store = StoreSlot::lazy(data_dir);
    // The compiled modules, for `--jit-stats` and `--record-profile` after
    // the run (which takes the isolate); the program's is the last.
    let modules = isolate.modules().to_vec();
    // The budget covers the whole run: the program and its processes share the thread.
    let result = match memory_mb {
        Some(mb) => {
            let mut budget = crate::memory::MemoryBudget::new(mb.saturating_mul(1 << 20), fiber.interrupt_handle());
            budget.run(|| crate::procs::run_main(isolate, fiber, store))
        }
        None => crate::procs::run_main(isolate, fiber, store),
    };
    let _ = std::io::stdout().flush();
    if jit_stats {
        crate::jit::print_stats(&modules);
    }
    if let (Some(path), Some(root)) = (RECORD_PROFILE.get(), modules.last()) {
        if let Err(e) = std::fs::write(path, crate::build::profile::Profile::of(root).to_text()) {
            eprintln!("error: cannot write {}: {e}", path.display());
        }
    }
    match result {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("error: {}", e.message);
            for line in &e.backtrace {
                eprintln!("{line}");
            }
            1
        }
    }
}

/// `sxc inspect FILE --stage S [--fn NAME]`.
/// `sxc inspect --stage llvm|llvm-opt|asm`: each function's LLVM IR or machine code.
fn inspect_llvm(path: &Path, source: &str, stage: StageArg, func: Option<&str>) -> i32 {
    let jobs = match vm::pipeline::jit_jobs(path, source, func) {
        Ok(j) => j,
        Err((map, d)) => {
            eprint!("{}", diagnostics::render(&map, &d, stderr_color()));
            return 1;
        }
    };
    let mut status = 0;
    for job in &jobs {
        let r = match stage {
            StageArg::Llvm => crate::llvm::dump(job, crate::llvm::Dump::Ir),
            StageArg::LlvmOpt => crate::llvm::dump(job, crate::llvm::Dump::Optimised),
            _ => crate::llvm::dump(job, crate::llvm::Dump::Asm),
        };
        match r {
            Ok(text) => print!("; function {}\n{text}\n", job.name),
            Err(e) => {
                eprintln!("error: {} does not compile: {e}", job.name);
                status = 1;
            }
        }
    }
    status
}

/// `sxc inspect APP.sxb [--stage ir-opt|bytecode] [--fn NAME]`.
fn inspect_bundle(path: &Path, stage: Option<StageArg>, func: Option<&str>) -> i32 {
    let bundle = match crate::build::Bundle::open(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    match crate::build::inspect::render(&bundle, stage, func) {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            1
        }
    }
}

pub fn inspect(path: &Path, stage: StageArg, func: Option<&str>) -> i32 {
    let source = match read_source(path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let stage = match stage {
        StageArg::Llvm | StageArg::LlvmOpt | StageArg::Asm => return inspect_llvm(path, &source, stage, func),
        StageArg::Ast => vm::pipeline::Stage::Ast,
        StageArg::Expanded => vm::pipeline::Stage::Expanded,
        StageArg::Ir => vm::pipeline::Stage::Ir,
        StageArg::IrOpt => vm::pipeline::Stage::IrOpt,
        StageArg::Bytecode => vm::pipeline::Stage::Bytecode,
    };
    match vm::pipeline::dump(path, &source, stage, func) {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err((map, d)) => {
            eprint!("{}", diagnostics::render(&map, &d, stderr_color()));
            1
        }
    }
}
