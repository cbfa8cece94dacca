//! `sxc build`: ahead-of-time bundles. A bundle holds a program's optimised
//! IR (from which loading rebuilds the bytecode), one relocatable object per
//! function compiled by the LLVM tier's own code generator, the source texts
//! (for backtraces), the app's static files and a manifest, in one versioned,
//! checksummed file (docs/build.md).
//!
//! - `format`: the container (header, checksum, sections) and its errors.
//! - `bundle`: the sections' contents and the manifest.
//! - `program`: source → IR for a bundle, and bundle → runnable isolate.
//! - `native`: the ABI/CPU checks and installing the object code.
//! - `inspect`: `sxc inspect APP.sxb`.
//! - `profile`: recorded profiles (`--record-profile`, `sxc build --profile`).
//! - `served`: `sxc serve APP.sxb` (verified once, static files extracted).

pub mod bundle;
pub mod format;
pub mod inspect;
pub mod native;
pub mod profile;
pub mod program;
mod served;

pub use bundle::{Bundle, Kind, Manifest};
pub use format::BundleError;
pub use served::Served;

use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use vm::jit::CompileJob;

/// True when the file at `path` starts with the bundle magic.
pub fn is_bundle(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 8];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == format::MAGIC
}

/// Options of `sxc build`.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The app: an `.sx` file or a directory with `app.sx`.
    pub app: PathBuf,
    /// The bundle to write.
    pub out: PathBuf,
    /// Compile threads (at least 1).
    pub jobs: usize,
    /// A recorded profile (`--record-profile`) to compile the speculations of.
    pub profile: Option<PathBuf>,
}

/// The default output path: `APP.sxb` beside a file, `DIR.sxb` for a directory.
pub fn default_output(app: &Path) -> PathBuf {
    let base = if app.is_dir() { app.components().next_back().map(|c| PathBuf::from(c.as_os_str())).unwrap_or_else(|| "app".into()) } else { app.to_path_buf() };
    base.with_extension("sxb")
}

/// Why a bundle could not be made.
pub enum MakeError {
    /// The program does not compile: the diagnostic and the source map to render it.
    Compile(Box<(frontend::SourceMap, frontend::Diagnostic)>),
    /// Anything else (a file that cannot be read), as a message.
    Other(String),
}

/// Compiles the program whose main file is `file` with text `source` into
/// a bundle: every function compiled to object code on `jobs` threads
/// (`progress`: show a counter on stderr), the static files beside `file`.
/// Functions the code generator refuses have no object (warned on stderr).
pub fn make_bundle(file: &Path, source: String, jobs: usize, progress: bool, profile: Option<&Recorded>) -> Result<Bundle, MakeError> {
    let kind = if crate::serve::is_http_app(&source) { Kind::App } else { Kind::Script };
    let text = match kind {
        Kind::App => crate::serve::app_source(&source),
        Kind::Script => source,
    };
    make_bundle_of(file, &text, kind, jobs, progress, profile)
}

/// A profile read for `sxc build --profile`, with its identity for the manifest.
pub struct Recorded {
    pub profile: profile::Profile,
    /// SHA-256 (16 hex digits) of the profile file.
    pub hash: String,
}

impl Recorded {
    /// Reads the profile file at `path`.
    pub fn read(path: &Path) -> Result<Recorded, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| format!("{}: not an sxc profile (not UTF-8)", path.display()))?;
        let profile = profile::Profile::parse(path, &text)?;
        Ok(Recorded { profile, hash: hex::encode(&Sha256::digest(text.as_bytes())[..8]) })
    }
}

/// Which functions of a bundle get object code.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Objects {
    /// Every function, the prelude's too (`sxc build`).
    All,
    /// The program's functions only; the prelude's run from the bundle's
    /// bytecode and tier up. For the conformance suite from bundles, which
    /// builds ~1,000 bundles that would each compile the same prelude.
    ProgramOnly,
}

/// [`make_bundle`] of the program text `text` (for an app: already
/// wrapped as `sxc serve` compiles it), recorded as `kind`.
pub fn make_bundle_of(file: &Path, text: &str, kind: Kind, jobs: usize, progress: bool, profile: Option<&Recorded>) -> Result<Bundle, MakeError> {
    make_bundle_with(file, text, kind, jobs, progress, profile, Objects::All)
}

/// [`make_bundle_of`] with object code for `objects`.
pub fn make_bundle_with(file: &Path, text: &str, kind: Kind, jobs: usize, progress: bool, profile: Option<&Recorded>, objects: Objects) -> Result<Bundle, MakeError> {
    let with_objects = objects;
    let compiled = program::compile(file, text).map_err(|e| MakeError::Compile(Box::new(e)))?;
    // What needs LLVM's plugin first: without it, one error, not a warning
    // per function that could not be compiled.
    let target = crate::llvm::host_target().map_err(MakeError::Other)?;
    let abi = native::abi_hash().map_err(MakeError::Other)?.to_string();
    let id = {
        let mut h = Sha256::new();
        for m in &compiled.modules {
            h.update(m.ir.as_bytes());
            for (f, lo, hi) in &m.spans {
                h.update(format!("{f}:{lo}:{hi};").as_bytes());
            }
        }
        hex::encode(&h.finalize()[..8])
    };
    // Every module's functions: the prelude's, then the program's.
    let mut jobs_: Vec<CompileJob> = compiled.roots.iter().flat_map(vm::jit::aot::jobs).collect();
    if let Some(rec) = profile {
        // The recorded feedback replaces the "nothing seen yet" of a fresh
        // proto where the function matches (index, name, bytecode length).
        // A profile covers the program's functions (not the prelude's).
        let program = jobs_.len() - compiled.modules.last().map_or(0, |m| m.functions as usize);
        let mut used = 0;
        for (i, job) in jobs_[program..].iter_mut().enumerate() {
            if let Some(fb) = rec.profile.feedback_for(i, &job.name, job.feedback.len()) {
                job.feedback = fb.to_vec();
                used += 1;
            }
        }
        eprintln!("sxc build: profile {}: feedback for {used} of {} functions", rec.hash, jobs_.len() - program);
    }
    let symbols: Vec<String> = (0..jobs_.len()).map(|i| format!("sxb_{id}_{i}")).collect();
    // Chunks never mix modules (a module's functions in runs of FUNCTIONS_PER_OBJECT).
    let mut ranges = Vec::new();
    let mut at = 0;
    for (k, m) in compiled.modules.iter().enumerate() {
        let end = at + m.functions as usize;
        let program = k + 1 == compiled.modules.len();
        if program || with_objects == Objects::All {
            ranges.extend((at..end).step_by(FUNCTIONS_PER_OBJECT).map(|s| s..(s + FUNCTIONS_PER_OBJECT).min(end)));
        }
        at = end;
    }
    let chunks = compile_objects(&jobs_, &symbols, &ranges, jobs.max(1), progress);
    let mut functions: Vec<bundle::Function> = jobs_
        .iter()
        .zip(&symbols)
        .map(|(job, symbol)| bundle::Function { name: job.name.clone(), fingerprint: vm::jit::aot::fingerprint(&job.map), symbol: symbol.clone(), object: None, code_size: 0 })
        .collect();
    let mut objects = Vec::new();
    for (range, chunk) in ranges.into_iter().zip(chunks) {
        let results: Vec<Result<usize, String>> = match chunk {
            Ok(code) => {
                objects.push(code.bytes);
                code.functions
            }
            Err(e) => vec![Err(e); range.len()],
        };
        for (i, r) in range.zip(results) {
            match r {
                Ok(size) => {
                    functions[i].object = Some(objects.len() as u32 - 1);
                    functions[i].code_size = size as u64;
                }
                Err(e) => eprintln!("warning: {} has no object code (it will run as bytecode): {e}", functions[i].name),
            }
        }
    }
    let map = compiled.isolate.source_map();
    let sources = compiled
        .sources
        .iter()
        .map(|s| {
            // Hash what is on disk (an app's main file is compiled wrapped).
            let f = map.file(frontend::FileId(s.build_id));
            let bytes = f.path.as_ref().and_then(|p| std::fs::read(p).ok()).unwrap_or_else(|| f.text.clone().into_bytes());
            (hex::encode(Sha256::digest(&bytes)), s.name.clone())
        })
        .collect();
    let statics = static_files(file).map_err(MakeError::Other)?;
    Ok(Bundle {
        manifest: Manifest {
            sxc_version: env!("CARGO_PKG_VERSION").to_string(),
            kind,
            entry: file.display().to_string(),
            target: target.triple,
            cpu: target.cpu,
            cpu_features: target.features,
            abi,
            id,
            sources,
            profile: profile.map_or_else(|| "none".to_string(), |r| r.hash.clone()),
        },
        sources: compiled.sources,
        modules: compiled.modules,
        functions,
        objects,
        statics,
    })
}

/// `sxc build`: returns the exit code (1: the program does not compile or
/// the bundle cannot be written; 2: the app cannot be read).
pub fn build(opts: &BuildOptions) -> i32 {
    let t0 = std::time::Instant::now();
    let file = crate::serve::app_file(&opts.app);
    let source = match std::fs::read_to_string(&file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return 2;
        }
    };
    let recorded = match opts.profile.as_deref().map(Recorded::read).transpose() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let b = match make_bundle(&file, source, opts.jobs, std::io::stderr().is_terminal(), recorded.as_ref()) {
        Ok(b) => b,
        Err(MakeError::Compile(e)) => {
            eprint!("{}", crate::diagnostics::render(&e.0, &e.1, std::io::stderr().is_terminal()));
            return 1;
        }
        Err(MakeError::Other(e)) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let bytes = b.encode();
    if let Err(e) = std::fs::write(&opts.out, &bytes) {
        eprintln!("error: cannot write {}: {e}", opts.out.display());
        return 1;
    }
    eprintln!(
        "sxc build: wrote {} ({} functions, {} with object code, {} static files, {} bytes) in {:.2} s",
        opts.out.display(),
        b.functions.len(),
        b.functions.iter().filter(|f| f.object.is_some()).count(),
        b.statics.len(),
        bytes.len(),
        t0.elapsed().as_secs_f64()
    );
    0
}

/// The jobs, shared read-only with the compile threads.
struct SharedJobs<'a>(&'a [CompileJob]);

// SAFETY: the compile threads only read the jobs (lowering reads the IR,
// the bytecode map and the feedback; it never clones, drops or mutates
// anything inside), and the thread that owns them does not touch them until
// every compile thread has ended (`std::thread::scope`). This is the same
// sharing the JIT's own background compile thread does.
unsafe impl Sync for SharedJobs<'_> {}

/// Functions per object: loading links one object per this many functions
/// (per-object link costs dominate a bundle's start-up otherwise), while
/// `--jobs` threads still have chunks to share. Fixed, so the bytes do not
/// depend on the thread count.
pub const FUNCTIONS_PER_OBJECT: usize = 32;

/// Compiles the jobs of each of `chunks` (ranges of job indices) to one
/// object (job `i`'s entry named `symbols[i]`), on `threads` threads (each
/// with its own LLVM context and target machine), showing progress on a
/// terminal. Results are in chunk order.
fn compile_objects(jobs: &[CompileJob], symbols: &[String], chunks: &[std::ops::Range<usize>], threads: usize, progress: bool) -> Vec<Result<crate::llvm::ObjectCode, String>> {
    let shared = SharedJobs(jobs);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let nchunks = chunks.len();
    let results: Mutex<Vec<Option<Result<crate::llvm::ObjectCode, String>>>> = Mutex::new((0..nchunks).map(|_| None).collect());
    let total: usize = chunks.iter().map(|r| r.len()).sum();
    std::thread::scope(|s| {
        for _ in 0..threads.min(nchunks.max(1)) {
            let (shared, next, done, results) = (&shared, &next, &done, &results);
            s.spawn(move || loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= nchunks {
                    break;
                }
                let range = chunks[k].clone();
                let chunk: Vec<&CompileJob> = shared.0[range.clone()].iter().collect();
                let names: Vec<&str> = symbols[range.clone()].iter().map(String::as_str).collect();
                let r = crate::llvm::emit_many(&chunk, &names);
                results.lock().unwrap_or_else(|e| e.into_inner())[k] = Some(r);
                let n = done.fetch_add(range.len(), Ordering::Relaxed) + range.len();
                if progress {
                    eprint!("\rsxc build: compiled {n}/{total} functions");
                    let _ = std::io::stderr().flush();
                }
            });
        }
    });
    if progress && total > 0 {
        eprintln!();
    }
    results.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().map(|r| r.unwrap_or_else(|| Err("not compiled".into()))).collect()
}

/// The files of the `static/` folder beside `app_file` (none when there is
/// no such folder): paths relative to it with `/` separators, sorted, and
/// their contents. Symlinks are followed only to files inside the folder,
/// as the server serves them.
fn static_files(app_file: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let dir = app_file.parent().unwrap_or(Path::new(".")).join(crate::serve::static_files::DIR);
    let Ok(root) = std::fs::canonicalize(&dir) else { return Ok(Vec::new()) };
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut stack = vec![(root.clone(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for e in entries {
            let e = e.map_err(|e| format!("cannot read {}: {e}", d.display()))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            let Ok(real) = std::fs::canonicalize(e.path()) else { continue };
            if !real.starts_with(&root) {
                continue;
            }
            if real.is_dir() {
                stack.push((real, rel));
            } else if real.is_file() {
                let bytes = std::fs::read(&real).map_err(|e| format!("cannot read {}: {e}", real.display()))?;
                out.push((rel, bytes));
            }
        }
    }
    out.sort();
    Ok(out)
}
