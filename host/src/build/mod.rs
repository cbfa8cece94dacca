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
//! - `served`: `sxc serve APP.sxb` (verified once, static files extracted).

pub mod bundle;
pub mod format;
pub mod inspect;
pub mod native;
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
}

/// The default output path: `APP.sxb` beside a file, `DIR.sxb` for a directory.
pub fn default_output(app: &Path) -> PathBuf {
    let base = if app.is_dir() { app.components().next_back().map(|c| PathBuf::from(c.as_os_str())).unwrap_or_else(|| "app".into()) } else { app.to_path_buf() };
    base.with_extension("sxb")
}

/// `sxc build`: returns the exit code (1: the program does not compile or
/// the bundle cannot be written).
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
    let kind = if crate::serve::is_http_app(&source) { Kind::App } else { Kind::Script };
    let text = match kind {
        Kind::App => crate::serve::app_source(&source),
        Kind::Script => source,
    };
    let compiled = match program::compile(&file, &text) {
        Ok(c) => c,
        Err((map, d)) => {
            eprint!("{}", crate::diagnostics::render(&map, &d, std::io::stderr().is_terminal()));
            return 1;
        }
    };
    let id = {
        let mut h = Sha256::new();
        h.update(compiled.ir.as_bytes());
        for (f, lo, hi) in &compiled.spans {
            h.update(format!("{f}:{lo}:{hi};").as_bytes());
        }
        hex::encode(&h.finalize()[..8])
    };
    let jobs = vm::jit::aot::jobs(&compiled.root);
    let symbols: Vec<String> = (0..jobs.len()).map(|i| format!("sxb_{id}_{i}")).collect();
    let objects = compile_objects(&jobs, &symbols, opts.jobs.max(1), std::io::stderr().is_terminal());
    let mut functions = Vec::with_capacity(jobs.len());
    let mut failed = 0;
    for ((job, symbol), obj) in jobs.iter().zip(symbols).zip(objects) {
        let object = obj.unwrap_or_else(|e| {
            eprintln!("warning: {} has no object code (it will run as bytecode): {e}", job.name);
            failed += 1;
            Vec::new()
        });
        functions.push(bundle::Function { name: job.name.clone(), fingerprint: vm::jit::aot::fingerprint(&job.map), symbol, object });
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
    let target = codegen_llvm::object::host_target();
    let statics = match static_files(&file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let b = Bundle {
        manifest: Manifest {
            sxc_version: env!("CARGO_PKG_VERSION").to_string(),
            kind,
            entry: file.display().to_string(),
            target: target.triple,
            cpu: target.cpu,
            cpu_features: target.features,
            abi: native::abi_hash().to_string(),
            id,
            sources,
            profile: "none".into(),
        },
        sources: compiled.sources,
        ir: compiled.ir,
        spans: compiled.spans,
        functions,
        statics,
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
        b.functions.len() - failed,
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

/// Compiles every job to an object under its symbol on `threads` threads
/// (each with its own LLVM context and target machine), showing progress on
/// a terminal. Results are in job order.
fn compile_objects(jobs: &[CompileJob], symbols: &[String], threads: usize, progress: bool) -> Vec<Result<Vec<u8>, String>> {
    let shared = SharedJobs(jobs);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Vec<u8>, String>>>> = Mutex::new(vec![None; jobs.len()]);
    let total = jobs.len();
    std::thread::scope(|s| {
        for _ in 0..threads.min(total.max(1)) {
            let (shared, next, done, results) = (&shared, &next, &done, &results);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let r = codegen_llvm::object::emit(&shared.0[i], &symbols[i]);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
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
