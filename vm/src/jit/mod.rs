//! The LLVM tier's side of the vm: per-function tier state, the compile
//! policy (`--jit off|tiered|eager`, threshold, exclusions), the runtime
//! ABI that generated code calls (`runtime`), and the transitions between
//! the interpreter and compiled code.
//!
//! The code generator itself lives in the `codegen-llvm` crate (which
//! depends on this one); it is installed here as a [`Backend`] by the host,
//! so `vm` never links LLVM.
//!
//! Execution model (see `docs/jit.md`): a compiled function runs on the
//! interpreter's frame — the caller pushes the same [`crate::fiber::Frame`]
//! it would push for bytecode, and the compiled code keeps every IR value's
//! home in that frame's register window ([`map::JitMap`]). Leaving compiled
//! code for the interpreter at any IR position (a failed guard, a `perform`,
//! a call the interpreter must make, an interrupt) is therefore writing the
//! live values that are only in machine registers into their homes and
//! setting the frame's pc: the interpreter continues the same activation,
//! and nothing that already ran runs again.

pub mod aot;
pub mod map;
pub mod plugin;
pub mod runtime;
pub mod sites;

pub use map::{CallSite, Callee, JitMap};

use crate::bytecode::Proto;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// When functions are compiled.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Never: everything runs in the interpreter.
    Off,
    /// When a function's call count reaches the threshold, on a background
    /// compile thread; the interpreter runs it until the code is ready.
    Tiered,
    /// Every function before its first call, synchronously (for tests).
    Eager,
}

/// A function's tier.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Tier {
    Interpreted = 0,
    Queued = 1,
    Compiled = 2,
    Excluded = 3,
    Failed = 4,
}

impl Tier {
    fn from_u8(v: u8) -> Tier {
        match v {
            1 => Tier::Queued,
            2 => Tier::Compiled,
            3 => Tier::Excluded,
            4 => Tier::Failed,
            _ => Tier::Interpreted,
        }
    }
    /// Lower-case name for stats.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Interpreted => "interpreted",
            Tier::Queued => "queued",
            Tier::Compiled => "compiled",
            Tier::Excluded => "excluded",
            Tier::Failed => "failed",
        }
    }
}

/// A compiled function's entry: `fn(ctx, base, closure, state) -> status`
/// (see [`runtime`]); `closure` is the running closure's
/// [`crate::abi::closure_word`]; `state` is 0 to start the function, or a
/// resume state ([`sites::is_resume_state`]): the pc at which the frame's
/// activation continues.
pub type Entry = unsafe extern "C" fn(*mut runtime::JitCtx, u64, u64, u32) -> u32;

/// What the code generator is asked to compile.
pub struct CompileJob {
    /// Display name (for symbols, logs, perf maps).
    pub name: String,
    pub map: Arc<JitMap>,
    /// Per bytecode pc: the interpreter's observed operand kinds
    /// ([`crate::profile::kinds`]; 0 = only integers, or never run).
    pub feedback: Vec<u8>,
    /// Speculate on operand types (guards with side exits). Off when the
    /// function deoptimised too often.
    pub speculate: bool,
    /// `SXC_JIT_STRESS_DEOPT`: make every Nth guard execution fail (0 = never).
    pub stress_deopt: u32,
}

/// What the code generator produced.
pub struct Compiled {
    /// Address of the entry (an [`Entry`]).
    pub entry: usize,
    /// Machine code size in bytes (0 when unknown).
    pub code_size: usize,
}

/// The code generator (implemented by `codegen-llvm`). Must be usable from
/// any thread: the background compile thread and, under `--jit eager`, the
/// program's own threads.
pub trait Backend: Send + Sync {
    /// Compiles one function. An error leaves the function interpreted; it
    /// is logged once and never reaches the program.
    fn compile(&self, job: &CompileJob) -> Result<Compiled, String>;

    /// Adds relocatable objects this backend emitted ahead of time (`sxc
    /// build`) and returns the entry addresses of `symbols` (defined by
    /// them) in order. Backends without object code refuse.
    fn load_objects(&self, objects: &[&[u8]], symbols: &[&str]) -> Result<Vec<usize>, String> {
        let _ = (objects, symbols);
        Err("this backend cannot load object code".into())
    }

    /// Whether the backend found it cannot work at all (the host's LLVM
    /// plugin did not load): it has said so once, and its compile errors
    /// are not reported per function.
    fn unavailable(&self) -> bool {
        false
    }
}

/// Process-wide policy, set once by the host before any isolate exists.
pub struct Config {
    pub mode: Mode,
    /// Calls before a function is queued (tiered mode).
    pub threshold: u64,
    /// Name patterns (`*` matches any run of characters) of functions that
    /// stay interpreted.
    pub exclude: Vec<String>,
    pub backend: Box<dyn Backend>,
    pub stress_deopt: u32,
    /// Compile every function of a module as soon as it is loaded (not only
    /// before its first call): used to check that every function compiles.
    pub compile_at_load: bool,
}

static CONFIG: OnceLock<Config> = OnceLock::new();
/// The tier-up threshold read on the interpreter's call path (`u64::MAX`
/// when the JIT is off, so the comparison never matches).
static THRESHOLD: AtomicU64 = AtomicU64::new(u64::MAX);

/// How often a self-loop back-edge looks for compiled code: when
/// `iterations & LOOP_CHECK_MASK == 0` (every `threshold.next_power_of_two()`
/// iterations, at most 1,024; `u64::MAX` when the JIT is off, so it never
/// matches once the counter has moved).
static LOOP_CHECK_MASK: AtomicU64 = AtomicU64::new(u64::MAX);

/// Installs the policy and backend (once per process; later calls are ignored).
pub fn install(config: Config) {
    let t = match config.mode {
        Mode::Off => u64::MAX,
        Mode::Tiered => config.threshold.max(1),
        Mode::Eager => 1,
    };
    if CONFIG.set(config).is_ok() {
        THRESHOLD.store(t, Ordering::Relaxed);
        if t != u64::MAX {
            LOOP_CHECK_MASK.store(t.next_power_of_two().min(1024) - 1, Ordering::Relaxed);
        }
    }
}

/// The installed policy, if any.
pub fn config() -> Option<&'static Config> {
    CONFIG.get()
}

/// The call count at which a function is queued for compilation.
#[inline(always)]
pub(crate) fn threshold() -> u64 {
    THRESHOLD.load(Ordering::Relaxed)
}

/// The compiled entry of a function the interpreter is about to run from
/// its start (its call just counted): the existing one, or — once the call
/// count reaches the threshold — the one [`tier_up`] makes (at once under
/// `--jit eager`; under `tiered` the function is queued and `None` until
/// its code is ready).
#[inline(always)]
pub(crate) fn call_entry(proto: &Proto) -> Option<Entry> {
    let entry = proto.jit.entry();
    if entry.is_none() && proto.profile.calls.get() >= threshold() {
        tier_up(proto);
        return proto.jit.entry();
    }
    entry
}

/// The mask of [`LOOP_CHECK_MASK`], read at every `loop` instruction.
#[inline(always)]
pub(crate) fn loop_check_mask() -> u64 {
    LOOP_CHECK_MASK.load(Ordering::Relaxed)
}

/// On-stack replacement at a self-loop back-edge: called by the interpreter
/// every [`loop_check_mask`]` + 1` iterations of a loop made of `proto`'s
/// self tail calls, once the new parameter values are in their registers.
/// Queues `proto` for compilation when the loop has run
/// `threshold × LOOP_FACTOR` iterations (a loop entered once — a named `let` over a long list, the
/// prelude's `map` over 100,000 elements — is as hot as a function called
/// that often); returns its entry when compiled code exists. The caller
/// then enters it at state 0: a self-loop iteration *is* a restart with the
/// parameters in their homes (the entry prologue re-reads only captures and
/// the closure itself), so no state has to be transferred — compiled code
/// runs on the interpreter's frame (HotSpot's and V8's OSR build a frame
/// for the optimised code; here there is nothing to build).
#[cold]
#[inline(never)]
pub(crate) fn loop_entry(proto: &Proto, iterations: u64) -> Option<Entry> {
    if let Some(e) = proto.jit.entry() {
        return Some(e);
    }
    if iterations >= threshold().saturating_mul(LOOP_FACTOR) {
        tier_up(proto);
    }
    proto.jit.entry()
}

/// Loop iterations per call of the threshold: a loop is queued for
/// compilation after `threshold × LOOP_FACTOR` iterations (64,000 at the
/// default threshold). An iteration of a simple loop costs the interpreter
/// 10–20 ns and a compile 15–40 ms, so a loop must be long before its
/// compile can pay; HotSpot's tiered policy likewise sets the back-edge
/// threshold far above the invocation one (`Tier3BackEdgeThreshold` 60,000
/// against `Tier3InvocationThreshold` 200). Measured: at `threshold`
/// iterations, dict-churn's two 200,000-iteration loops were compiled
/// (75 ms of compile for a 90 ms program) and gained nothing.
const LOOP_FACTOR: u64 = 64;

/// Deoptimisations after which a function is recompiled without speculation.
pub const DEOPT_LIMIT: u32 = 8;

/// The tier state of one function, shared with the compile thread.
#[derive(Debug, Default)]
pub struct JitSlot {
    entry: AtomicUsize,
    tier: AtomicU8,
    /// Side exits taken (guard failures and other deoptimisations).
    pub deopts: AtomicU32,
    /// Re-entries of the compiled code at a resume state (after a
    /// suspension, or a call the interpreter made, returned).
    pub resumes: AtomicU64,
    /// Whether the current code speculates (cleared after [`DEOPT_LIMIT`] deopts).
    pub speculating: AtomicU8,
    /// Total compile time (ns) and machine code size (bytes).
    pub compile_ns: AtomicU64,
    pub code_size: AtomicUsize,
    /// Compilations of this function (recompiles included).
    pub compiles: AtomicU32,
}

impl JitSlot {
    pub fn tier(&self) -> Tier {
        Tier::from_u8(self.tier.load(Ordering::Acquire))
    }
    fn set_tier(&self, t: Tier) {
        self.tier.store(t as u8, Ordering::Release)
    }
}

/// A proto's LLVM-tier view: its IR and bytecode map, and its tier slot.
#[derive(Debug)]
pub struct JitInfo {
    pub map: Arc<JitMap>,
    pub slot: Arc<JitSlot>,
}

impl JitInfo {
    pub(crate) fn new(map: JitMap) -> JitInfo {
        JitInfo { map: Arc::new(map), slot: Arc::new(JitSlot::default()) }
    }
    /// The compiled entry, when there is one.
    #[inline(always)]
    pub fn entry(&self) -> Option<Entry> {
        let e = self.slot.entry.load(Ordering::Acquire);
        if e == 0 {
            None
        } else {
            // SAFETY: only `install_code` stores non-zero values, and those
            // are entries produced by the backend for this function.
            Some(unsafe { std::mem::transmute::<usize, Entry>(e) })
        }
    }
}

fn excluded(name: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| glob_match(p.as_bytes(), name.as_bytes()))
}

/// `*` matches any run of bytes; everything else matches itself.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob_match(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && glob_match(rest, &s[1..]),
    }
}

fn job_for(proto: &Proto, speculate: bool, cfg: &Config) -> CompileJob {
    compile_job(proto, speculate, cfg.stress_deopt)
}

/// The compile job of `proto` with its current profile.
pub fn compile_job(proto: &Proto, speculate: bool, stress_deopt: u32) -> CompileJob {
    CompileJob {
        name: proto.display_name().to_string(),
        map: proto.jit.map.clone(),
        feedback: proto.profile.feedback.iter().map(|c| c.get()).collect(),
        speculate,
        stress_deopt,
    }
}

/// Code already compiled in this process, by everything that determines it
/// (IR, bytecode map, feedback, speculation): a function is compiled once
/// per process, however many isolates (server workers, test cases) load it.
/// Compiled code reaches its isolate only through its context argument, so
/// one copy serves them all.
static CODE_CACHE: OnceLock<Mutex<std::collections::HashMap<u64, (usize, usize)>>> = OnceLock::new();

fn job_key(job: &CompileJob) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{:?}", job.map).hash(&mut h);
    job.feedback.hash(&mut h);
    job.speculate.hash(&mut h);
    job.stress_deopt.hash(&mut h);
    h.finish()
}

fn compile_cached(cfg: &Config, job: &CompileJob) -> Result<Compiled, String> {
    let key = job_key(job);
    let cache = CODE_CACHE.get_or_init(|| Mutex::new(std::collections::HashMap::new()));
    if let Some(&(entry, code_size)) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(Compiled { entry, code_size });
    }
    let c = {
        let _compiling = COMPILING.lock().unwrap_or_else(|e| e.into_inner());
        if STOPPING.load(Ordering::Acquire) {
            return Err("the process is exiting".into());
        }
        cfg.backend.compile(job)?
    };
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key, (c.entry, c.code_size));
    Ok(c)
}

/// Held while the backend compiles (on the compile thread or, under
/// `--jit eager`, on a program thread). [`shutdown`] takes it for good.
static COMPILING: Mutex<()> = Mutex::new(());
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Stops compilation for the rest of the process: waits for a compile in
/// progress to finish and makes every later one fail without touching the
/// backend. The host calls it just before the process exits: LLVM's global
/// state is torn down by the C++ static destructors `exit` runs, and a
/// compile still running on the background thread then crashes inside LLVM
/// (seen as segfaults and "Scalarization of scalable vectors is not
/// supported" in instruction selection on `sxc-jit`, in ~3 of 4 runs of a
/// program that ended while functions were queued). An `atexit` handler is
/// too late: LLVM registers the destructors of its function-local statics
/// lazily, after any handler the host could register at start-up. (`sxc`
/// itself ends with `_exit`, which runs no destructors and needs no wait;
/// this is for embedders that end with `exit`.)
pub fn shutdown() {
    STOPPING.store(true, Ordering::Release);
    // Keep the lock held until the process is gone.
    std::mem::forget(COMPILING.lock().unwrap_or_else(|e| e.into_inner()));
}

fn run_job(cfg: &Config, job: &CompileJob, slot: &JitSlot) {
    let t0 = std::time::Instant::now();
    let r = compile_cached(cfg, job);
    slot.compile_ns.fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
    slot.compiles.fetch_add(1, Ordering::Relaxed);
    match r {
        Ok(c) => {
            slot.code_size.store(c.code_size, Ordering::Relaxed);
            slot.speculating.store(job.speculate as u8, Ordering::Relaxed);
            slot.entry.store(c.entry, Ordering::Release);
            slot.set_tier(Tier::Compiled);
        }
        Err(_) if STOPPING.load(Ordering::Acquire) => {}
        Err(_) if cfg.backend.unavailable() => slot.set_tier(Tier::Failed),
        Err(e) => {
            // Logged once per function; the function stays interpreted.
            eprintln!("sxc jit: {} not compiled: {e}", job.name);
            slot.set_tier(Tier::Failed);
        }
    }
}

struct Queued {
    job: CompileJob,
    slot: Arc<JitSlot>,
}

// SAFETY: a job is plain data (IR, maps, counters) shared through `Arc`s;
// nothing in it refers to an isolate's heap.
unsafe impl Send for Queued {}

static QUEUE: OnceLock<Mutex<std::sync::mpsc::Sender<Queued>>> = OnceLock::new();

/// Hands a job to the background compile thread (started on first use).
fn enqueue(q: Queued) {
    let tx = QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Queued>();
        std::thread::Builder::new()
            .name("sxc-jit".into())
            .spawn(move || {
                let Some(cfg) = config() else { return };
                for q in rx {
                    run_job(cfg, &q.job, &q.slot);
                }
            })
            .expect("spawn the JIT compile thread");
        Mutex::new(tx)
    });
    let _ = tx.lock().unwrap_or_else(|e| e.into_inner()).send(q);
}

/// Called by the interpreter when `proto`'s call count reaches the threshold.
#[cold]
pub(crate) fn tier_up(proto: &Proto) {
    let Some(cfg) = config() else { return };
    let slot = &proto.jit.slot;
    if slot.tier() != Tier::Interpreted {
        return;
    }
    if excluded(proto.display_name(), &cfg.exclude) {
        slot.set_tier(Tier::Excluded);
        return;
    }
    if cfg.mode == Mode::Eager {
        run_job(cfg, &job_for(proto, true, cfg), slot);
        return;
    }
    slot.set_tier(Tier::Queued);
    enqueue(Queued { job: job_for(proto, true, cfg), slot: slot.clone() });
}

/// Called when a bytecode module has been compiled: under `--jit eager`,
/// compiles every function of it now.
pub(crate) fn on_load(protos: &[std::rc::Rc<Proto>]) {
    let Some(cfg) = config() else { return };
    if !cfg.compile_at_load || cfg.mode == Mode::Off {
        return;
    }
    for p in protos {
        let slot = &p.jit.slot;
        if slot.tier() != Tier::Interpreted {
            continue;
        }
        if excluded(p.display_name(), &cfg.exclude) {
            slot.set_tier(Tier::Excluded);
            continue;
        }
        run_job(cfg, &job_for(p, true, cfg), slot);
    }
}

/// Called on a side exit: counts it, and after [`DEOPT_LIMIT`] of them has
/// the function recompiled without speculation (the old code stays valid
/// for activations still running it).
pub(crate) fn on_deopt(proto: &Proto) {
    let slot = &proto.jit.slot;
    let n = slot.deopts.fetch_add(1, Ordering::Relaxed) + 1;
    if n != DEOPT_LIMIT || slot.speculating.load(Ordering::Relaxed) == 0 {
        return;
    }
    let Some(cfg) = config() else { return };
    slot.speculating.store(0, Ordering::Relaxed);
    let job = job_for(proto, false, cfg);
    match cfg.mode {
        Mode::Eager => run_job(cfg, &job, slot),
        _ => enqueue(Queued { job, slot: slot.clone() }),
    }
}

/// One line per function for `--jit-stats`.
#[derive(Clone, Debug)]
pub struct FunctionStats {
    pub name: String,
    pub tier: Tier,
    pub calls: u64,
    pub compile_us: u64,
    pub code_size: usize,
    pub deopts: u32,
    /// Times the interpreter re-entered the compiled code at a resume state.
    pub resumes: u64,
}

/// Stats of `proto` and every proto below it.
pub fn collect_stats(root: &Proto, out: &mut Vec<FunctionStats>, seen: &mut std::collections::HashSet<usize>) {
    if !seen.insert(root as *const Proto as usize) {
        return;
    }
    let s = &root.jit.slot;
    out.push(FunctionStats {
        name: root.display_name().to_string(),
        tier: s.tier(),
        calls: root.profile.calls.get(),
        compile_us: s.compile_ns.load(Ordering::Relaxed) / 1000,
        code_size: s.code_size.load(Ordering::Relaxed),
        deopts: s.deopts.load(Ordering::Relaxed),
        resumes: s.resumes.load(Ordering::Relaxed),
    });
    for c in root.children() {
        if let Some(p) = c.get() {
            collect_stats(&p, out, seen);
        }
    }
}
