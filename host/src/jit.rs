//! The JIT policy flags of `sxc run`/`sxc serve` and the installation of the
//! LLVM backend (`codegen-llvm`) into `vm::jit`, once per process, before
//! any isolate exists.

use clap::{Args, ValueEnum};
use std::io::Write;
use vm::jit::{Config, Mode, Tier};

/// `--jit` modes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum JitMode {
    /// Interpret everything.
    Off,
    /// Compile hot functions on a background thread.
    Tiered,
    /// Compile every function before its first call (for tests).
    Eager,
}

/// JIT options shared by `run` and `serve`.
#[derive(Args, Debug, Clone)]
pub struct JitArgs {
    /// When functions are compiled to machine code by LLVM [env: SXC_JIT;
    /// default tiered: docs/jit.md].
    #[arg(long, value_enum, value_name = "MODE")]
    pub jit: Option<JitMode>,
    /// Calls after which a function is compiled (tiered) [env: SXC_JIT_THRESHOLD; default 1000].
    #[arg(long, value_name = "N")]
    pub jit_threshold: Option<u64>,
    /// Functions whose name matches stay interpreted (`*` wildcard; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub jit_exclude: Vec<String>,
    /// Print per-function tier, calls, compile time, code size and deopts to stderr at exit.
    #[arg(long)]
    pub jit_stats: bool,
}

/// Default tier-up threshold (calls).
pub const DEFAULT_THRESHOLD: u64 = 1000;

impl JitArgs {
    /// The mode: the flag, else `SXC_JIT`, else `tiered` — for a source
    /// program and a bundle alike (a bundle starts from its machine code;
    /// `off` runs its bytecode). Loops and recursion run 2.5–5× faster
    /// tiered, and no workload of `bench/run.sh` is slower in wall time
    /// than `--jit off` (docs/jit.md, "Where it stands").
    pub fn mode(&self) -> Mode {
        let from_env = std::env::var("SXC_JIT").ok().and_then(|v| JitMode::from_str(&v, true).ok());
        match self.jit.or(from_env).unwrap_or(JitMode::Tiered) {
            JitMode::Off => Mode::Off,
            JitMode::Tiered => Mode::Tiered,
            JitMode::Eager => Mode::Eager,
        }
    }

    /// Installs the policy and the LLVM backend, once per process (a
    /// backend that cannot start leaves everything interpreted, with one
    /// warning).
    pub fn install(&self) {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| self.install_mode(self.mode()));
    }

    fn install_mode(&self, mode: Mode) {
        if mode == Mode::Off {
            return;
        }
        let threshold = self
            .jit_threshold
            .or_else(|| std::env::var("SXC_JIT_THRESHOLD").ok().and_then(|v| v.parse().ok()))
            .unwrap_or(DEFAULT_THRESHOLD);
        let stress_deopt = std::env::var("SXC_JIT_STRESS_DEOPT").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
        // The plugin is loaded when first needed (`crate::llvm`); only its
        // file is looked for now.
        if let Err(e) = crate::llvm::find() {
            eprintln!("sxc: the LLVM tier is unavailable ({e}); running interpreted");
            return;
        }
        let backend = crate::llvm::LazyBackend::new(std::env::var("SXC_PERF_MAP").is_ok_and(|v| v == "1"));
        vm::jit::install(Config { mode, threshold, exclude: self.jit_exclude.clone(), backend: Box::new(backend), stress_deopt, compile_at_load: std::env::var("SXC_JIT_COMPILE_ALL").is_ok_and(|v| v == "1") });
    }
}

/// The stats of every function of an isolate's compiled `modules` (each
/// function once, in walk order). Must run on the isolate's thread.
pub fn collect(modules: &[std::rc::Rc<vm::bytecode::Proto>]) -> Vec<vm::jit::FunctionStats> {
    let mut stats = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for m in modules {
        vm::jit::collect_stats(m, &mut stats, &mut seen);
    }
    stats
}

/// The counts of the `--jit-stats` last line (and of `/__sxc/tiers`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub compiled: usize,
    pub failed: usize,
    pub excluded: usize,
    pub deopts: u64,
}

impl Summary {
    /// Counts over `stats`.
    pub fn of(stats: &[vm::jit::FunctionStats]) -> Summary {
        let count = |t: Tier| stats.iter().filter(|s| s.tier == t).count();
        Summary {
            compiled: count(Tier::Compiled),
            failed: count(Tier::Failed),
            excluded: count(Tier::Excluded),
            deopts: stats.iter().map(|s| s.deopts as u64).sum(),
        }
    }
}

/// The installed JIT mode's name (`off` when none is installed).
pub fn mode_name() -> &'static str {
    match vm::jit::config().map(|c| c.mode) {
        None | Some(Mode::Off) => "off",
        Some(Mode::Tiered) => "tiered",
        Some(Mode::Eager) => "eager",
    }
}

/// Writes the `--jit-stats` report for an isolate's compiled `modules` to stderr.
pub fn print_stats(modules: &[std::rc::Rc<vm::bytecode::Proto>]) {
    let stats = collect(modules);
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{:<32} {:<12} {:>10} {:>12} {:>9} {:>7} {:>8}", "function", "tier", "calls", "compile-us", "code", "deopts", "resumes");
    for s in &stats {
        let _ = writeln!(err, "{:<32} {:<12} {:>10} {:>12} {:>9} {:>7} {:>8}", s.name, s.tier.name(), s.calls, s.compile_us, s.code_size, s.deopts, s.resumes);
    }
    let sum = Summary::of(&stats);
    let _ = writeln!(
        err,
        "jit: {} compiled, {} failed, {} excluded, {} deopts",
        sum.compiled, sum.failed, sum.excluded, sum.deopts
    );
}

/// Installs the JIT as the environment says (`SXC_JIT`, `SXC_JIT_THRESHOLD`,
/// `SXC_JIT_STRESS_DEOPT`): for tests that run programs in-process.
pub fn install_from_env() {
    JitArgs { jit: None, jit_threshold: None, jit_exclude: Vec::new(), jit_stats: false }.install();
}
