//! The LLVM tier as this binary sees it: the plugin `libsxc_llvm.so`
//! (`llvm-plugin`, wrapping `codegen-llvm`), loaded the first time machine
//! code is compiled, linked or dumped — on the thread that needs it, so
//! that a start which compiles nothing does not load libLLVM. The C ABI
//! and its rules are `vm::jit::plugin`'s.
//!
//! Where the plugin is looked for: `$SXC_LLVM_PLUGIN` only, when set; else
//! in order: beside
//! the running executable; in its `deps/` subdirectory (where cargo builds
//! it with the binary); beside its parent directory (a test binary in
//! `deps/` finds the one beside `sxc`). A plugin from another build of
//! sxc (another [`BUILD_ID`]) is refused. When none loads, everything runs
//! interpreted and the reason is given once.

use std::path::PathBuf;
use std::sync::OnceLock;
use vm::jit::plugin::{Api, Bytes, EntryFn, Handle, Sink, Symbol, BUILD_ID, ENTRY_SYMBOL, FILE_NAME};
use vm::jit::{Backend, CompileJob, Compiled};

/// The loaded plugin (never unloaded: code it compiled lives in it).
struct Plugin {
    api: &'static Api,
    _lib: &'static libloading::Library,
}

/// The candidate paths of the plugin, in search order.
fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("SXC_LLVM_PLUGIN") {
        return vec![PathBuf::from(p)];
    }
    if let Some(dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(PathBuf::from)) {
        out.push(dir.join(FILE_NAME));
        out.push(dir.join("deps").join(FILE_NAME));
        if let Some(up) = dir.parent() {
            out.push(up.join(FILE_NAME));
        }
    }
    out
}

/// Where the plugin would be loaded from, or why none can be: a check of
/// the file system only (nothing is loaded).
pub fn find() -> Result<PathBuf, String> {
    let paths = candidates();
    paths.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        let looked: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        format!("{FILE_NAME} not found (looked in {}; `cargo build -p sxc-llvm` builds it)", looked.join(", "))
    })
}

/// The plugin, loaded by the first caller. Errors: not found, not
/// loadable, or from another build.
fn plugin() -> Result<&'static Plugin, String> {
    static PLUGIN: OnceLock<Result<Plugin, String>> = OnceLock::new();
    PLUGIN.get_or_init(load).as_ref().map_err(Clone::clone)
}

fn load() -> Result<Plugin, String> {
    crate::startup::mark("LLVM plugin loading");
    let path = &find()?;
    // SAFETY: loading runs the plugin's initialisers (libLLVM's static
    // constructors); the plugin is this project's own library.
    let lib = unsafe { libloading::Library::new(path) }.map_err(|e| format!("{}: {e}", path.display()))?;
    let lib: &'static libloading::Library = Box::leak(Box::new(lib));
    // SAFETY: the symbol has type `EntryFn` in every plugin that exports it.
    let entry = unsafe { lib.get::<EntryFn>(ENTRY_SYMBOL) }.map_err(|e| format!("{}: {e}", path.display()))?;
    // SAFETY: the entry returns a pointer to the plugin's static `Api`.
    let api: &'static Api = unsafe { &*entry() };
    // SAFETY: `build_id` points into the plugin's static data.
    let id = unsafe { api.build_id.text() }.into_owned();
    if id != BUILD_ID {
        return Err(format!("{} is from another build of sxc (build {id}; this sxc is build {BUILD_ID}): rebuild it with `cargo build -p sxc-llvm`", path.display()));
    }
    crate::startup::mark("LLVM plugin loaded");
    Ok(Plugin { api, _lib: lib })
}

/// Collects the outputs of one plugin call.
#[derive(Default)]
struct Out(Vec<Vec<u8>>);

impl Out {
    fn sink(&mut self) -> Sink {
        Sink::into_vec(&mut self.0)
    }

    fn text(self) -> String {
        self.0.into_iter().map(|b| String::from_utf8_lossy(&b).into_owned()).collect::<Vec<_>>().join("\n")
    }
}

/// Runs a plugin call that reports failure through its `err` sink.
fn call(f: impl FnOnce(&Sink) -> bool) -> Result<(), String> {
    let mut err = Out::default();
    let ok = f(&err.sink());
    if ok {
        Ok(())
    } else {
        Err(err.text())
    }
}

/// The LLVM backend installed into `vm::jit`: the plugin's, created when
/// first used (loading the plugin then).
pub struct LazyBackend {
    handle: OnceLock<Result<usize, String>>,
    perf_map: bool,
}

impl LazyBackend {
    /// A backend that loads the plugin on first use; with `perf_map`,
    /// compiled functions are written to `/tmp/perf-PID.map`.
    pub fn new(perf_map: bool) -> LazyBackend {
        LazyBackend { handle: OnceLock::new(), perf_map }
    }

    fn handle(&self) -> Result<(&'static Api, Handle), String> {
        let h = self.handle.get_or_init(|| {
            let p = plugin().inspect_err(|e| unavailable(e))?;
            let names: Vec<(&str, usize)> = vm::jit::runtime::symbols();
            let symbols: Vec<Symbol> = names.iter().map(|(n, a)| Symbol { name: Bytes::of(n.as_bytes()), addr: *a }).collect();
            let mut h: Handle = std::ptr::null_mut();
            call(|err| (p.api.new_backend)(symbols.as_ptr(), symbols.len(), self.perf_map, &mut h, err)).inspect_err(|e| unavailable(e))?;
            Ok(h as usize)
        });
        let h = h.as_ref().map_err(|e| format!("the LLVM tier is unavailable: {e}"))?;
        Ok((plugin()?.api, *h as Handle))
    }
}

/// Says once per process that the LLVM tier cannot be used, and why.
fn unavailable(why: &str) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| eprintln!("sxc: the LLVM tier is unavailable ({why}); running interpreted"));
}

impl Backend for LazyBackend {
    fn unavailable(&self) -> bool {
        self.handle.get().is_some_and(|h| h.is_err())
    }

    fn compile(&self, job: &CompileJob) -> Result<Compiled, String> {
        let (api, h) = self.handle()?;
        let (mut entry, mut code_size) = (0usize, 0usize);
        call(|err| (api.compile)(h, job, &mut entry, &mut code_size, err))?;
        Ok(Compiled { entry, code_size })
    }

    fn load_objects(&self, objects: &[&[u8]], symbols: &[&str]) -> Result<Vec<usize>, String> {
        let (api, h) = self.handle()?;
        let objects: Vec<Bytes> = objects.iter().map(|o| Bytes::of(o)).collect();
        let names: Vec<Bytes> = symbols.iter().map(|s| Bytes::of(s.as_bytes())).collect();
        let mut addrs = vec![0usize; names.len()];
        call(|err| (api.load_objects)(h, objects.as_ptr(), objects.len(), names.as_ptr(), names.len(), addrs.as_mut_ptr(), err))?;
        Ok(addrs)
    }
}

/// A dump of `sxc inspect`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Dump {
    /// LLVM IR as generated.
    Ir,
    /// LLVM IR after `default<O2>`.
    Optimised,
    /// The machine code as assembly.
    Asm,
}

/// `job`'s function as `what`. Errors: the plugin is unavailable, or the
/// code generator refused the function.
pub fn dump(job: &CompileJob, what: Dump) -> Result<String, String> {
    let api = plugin()?.api;
    let mut out = Out::default();
    let code = match what {
        Dump::Ir => 0,
        Dump::Optimised => 1,
        Dump::Asm => 2,
    };
    call(|err| (api.dump)(job, code, &out.sink(), err))?;
    Ok(out.text())
}

/// Several functions compiled into one relocatable object ([`emit_many`]).
pub struct ObjectCode {
    /// The object's bytes.
    pub bytes: Vec<u8>,
    /// Per job: its machine code size (bytes), or why it is not in the object.
    pub functions: Vec<Result<usize, String>>,
}

/// Compiles `jobs` into one object for this host, job `i`'s entry under
/// `symbols[i]` (`codegen_llvm::object::emit_many`; deterministic; any
/// thread). Errors: the plugin is unavailable, or LLVM failed the module.
pub fn emit_many(jobs: &[&CompileJob], symbols: &[&str]) -> Result<ObjectCode, String> {
    let api = plugin()?.api;
    let ptrs: Vec<*const CompileJob> = jobs.iter().map(|j| *j as *const CompileJob).collect();
    let names: Vec<Bytes> = symbols.iter().map(|s| Bytes::of(s.as_bytes())).collect();
    let (mut object, mut failures) = (Out::default(), Out::default());
    let mut sizes = vec![0i64; jobs.len()];
    call(|err| (api.emit_many)(ptrs.as_ptr(), names.as_ptr(), ptrs.len(), &object.sink(), sizes.as_mut_ptr(), &failures.sink(), err))?;
    let mut failures = failures.0.into_iter();
    let functions = sizes
        .iter()
        .map(|&s| match s {
            -1 => Err(failures.next().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()),
            n => Ok(n as usize),
        })
        .collect();
    Ok(ObjectCode { bytes: object.0.into_iter().flatten().collect(), functions })
}

/// The machine object code is compiled for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetInfo {
    /// LLVM target triple, e.g. `x86_64-pc-linux-gnu`.
    pub triple: String,
    /// LLVM CPU name, e.g. `znver3`.
    pub cpu: String,
    /// LLVM feature string, e.g. `+sse2,+avx2,-avx512f`.
    pub features: String,
}

/// This host's target, as LLVM sees it (asked once per process).
/// Errors: the plugin is unavailable.
pub fn host_target() -> Result<TargetInfo, String> {
    static HOST: OnceLock<Result<TargetInfo, String>> = OnceLock::new();
    HOST.get_or_init(|| {
        let api = plugin()?.api;
        let mut out = Out::default();
        call(|err| (api.host_target)(&out.sink(), err))?;
        let mut it = out.0.into_iter().map(|b| String::from_utf8_lossy(&b).into_owned());
        Ok(TargetInfo { triple: it.next().unwrap_or_default(), cpu: it.next().unwrap_or_default(), features: it.next().unwrap_or_default() })
    })
    .clone()
}

/// The runtime ABI text that bundles record a hash of
/// (`codegen_llvm::object::abi_text`). Errors: the plugin is unavailable.
pub fn abi_text() -> Result<String, String> {
    let api = plugin()?.api;
    let mut out = Out::default();
    call(|err| (api.abi_text)(&out.sink(), err))?;
    Ok(out.text())
}

/// Whether an LLVM target triple names this machine's architecture and
/// operating system — decided without LLVM, so that a bundle for another
/// machine is refused before anything loads. Vendor and environment are
/// not compared (LLVM says `x86_64-pc-linux-gnu` where Rust says
/// `x86_64-unknown-linux-gnu`).
pub fn triple_is_this_machine(triple: &str) -> bool {
    let mut parts = triple.split('-');
    let arch = match parts.next().unwrap_or("") {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        a => a,
    };
    let rest: Vec<&str> = parts.collect();
    let os = std::env::consts::OS;
    let os_matches = rest.iter().any(|p| p.starts_with(os) || (os == "macos" && (p.starts_with("darwin") || p.starts_with("macosx"))));
    arch == std::env::consts::ARCH && os_matches
}

/// This machine as a triple, for messages (Rust's spelling).
pub fn this_machine() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

/// The features (`+name`) of `needed` (an LLVM feature string) that `have`
/// does not enable: empty when code built for `needed` runs on `have`.
pub fn missing_features(needed: &str, have: &str) -> Vec<String> {
    let enabled: std::collections::HashSet<&str> = have.split(',').filter_map(|f| f.strip_prefix('+')).collect();
    needed.split(',').filter_map(|f| f.strip_prefix('+')).filter(|f| !enabled.contains(f)).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_features_lists_only_enabled_ones_absent_here() {
        assert!(missing_features("+sse2,-avx512f", "+sse2,+avx2").is_empty());
        assert_eq!(missing_features("+sse2,+avx512f", "+sse2,-avx512f"), vec!["avx512f".to_string()]);
    }

    #[test]
    fn triples_match_by_architecture_and_system() {
        let here = format!("{}-pc-{}-gnu", std::env::consts::ARCH, std::env::consts::OS);
        assert!(triple_is_this_machine(&here), "{here}");
        assert_eq!(triple_is_this_machine("riscv64gc-unknown-linux-gnu"), std::env::consts::ARCH == "riscv64");
        assert!(!triple_is_this_machine(&format!("{}-unknown-plan9", std::env::consts::ARCH)));
    }
}
