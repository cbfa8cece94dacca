//! Whether a bundle's object code can run here, and putting it to work:
//! the runtime ABI and CPU checks, loading the objects into the JIT session
//! (once per process) and installing them into an isolate's protos.
//!
//! A bundle whose object code cannot be used (another runtime ABI, a CPU
//! without the features it was compiled for) still runs, from its bytecode;
//! the reason is printed once per process.

use super::bundle::Bundle;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::OnceLock;
use vm::bytecode::Proto;
use std::sync::Arc;
use vm::jit::aot::{Installed, Targets};

/// The runtime ABI hash recorded in bundles: SHA-256 (first 16 hex digits)
/// of `crate::llvm::abi_text()`. Errors: the LLVM plugin is unavailable.
pub fn abi_hash() -> Result<&'static str, String> {
    static HASH: OnceLock<Result<String, String>> = OnceLock::new();
    HASH.get_or_init(|| Ok(hex::encode(&Sha256::digest(crate::llvm::abi_text()?.as_bytes())[..8]))).as_deref().map_err(Clone::clone)
}

/// What became of a bundle's object code in one isolate.
#[derive(Debug)]
pub enum Native {
    /// The LLVM tier is off (`--jit off`): everything runs from bytecode.
    Off,
    /// The object code cannot be used here (the reason): bytecode.
    Unusable(String),
    /// Installed (some functions may still run bytecode: see the counts).
    Installed(Installed),
}

/// Why the object code of `bundle` cannot run on this machine, if it cannot.
pub fn unusable_reason(bundle: &Bundle) -> Option<String> {
    unusable_reason_of(&bundle.manifest)
}

/// [`unusable_reason`] from a bundle's manifest.
fn unusable_reason_of(m: &super::Manifest) -> Option<String> {
    let (abi, here) = match abi_hash().and_then(|abi| Ok((abi, crate::llvm::host_target()?))) {
        Ok(x) => x,
        Err(e) => return Some(format!("the LLVM tier is unavailable ({e})")),
    };
    if m.abi != abi {
        return Some(format!("its object code was built against another runtime ABI ({}; this sxc has {abi})", m.abi));
    }
    let missing = crate::llvm::missing_features(&m.cpu_features, &here.features);
    if !missing.is_empty() {
        return Some(format!("its object code needs CPU features this CPU lacks ({}; built for {})", missing.join(", "), m.cpu));
    }
    None
}

/// Starts loading `bundle`'s objects into the JIT session (creating the
/// session first) on a background thread, so that the LLVM work overlaps
/// opening the store and compiling the bytecode; [`install`] then finds
/// them loaded, or waits for the load in progress (`vm::jit::aot::load`
/// loads a bundle once per process, under a lock). Does nothing when the
/// LLVM tier is off or the object code cannot run here ([`install`] says
/// why). The thread works on a copy of the objects (a memory copy, far
/// cheaper than the link).
pub fn preload(bundle: &Bundle) {
    if vm::jit::config().is_none() || bundle.objects.is_empty() {
        return;
    }
    let key = bundle.manifest.id.clone();
    let objects = bundle.objects.clone();
    let functions: Vec<Option<(String, usize)>> = bundle.functions.iter().map(|f| f.object.map(|_| (f.symbol.clone(), f.code_size as usize))).collect();
    let manifest = bundle.manifest.clone();
    let spawned = std::thread::Builder::new().name("sxc-bundle-link".into()).spawn(move || {
        if unusable_reason_of(&manifest).is_some() {
            return;
        }
        let objects: Vec<&[u8]> = objects.iter().map(Vec::as_slice).collect();
        let functions: Vec<Option<(&str, usize)>> = functions.iter().map(|f| f.as_ref().map(|(s, n)| (s.as_str(), *n))).collect();
        // An error is reported by `install`, which loads again and fails the same way.
        let _ = vm::jit::aot::load(&key, &objects, &functions);
        crate::startup::mark("objects linked");
    });
    // Without a thread, `install` links on the caller's thread as before.
    drop(spawned);
}

/// Loads `bundle`'s objects (once per process) and installs them into the
/// protos of `modules`, the modules `super::program::instantiate` compiled
/// from it (the prelude's, then the program's: `Isolate::modules`).
pub fn install(bundle: &Bundle, modules: &[Rc<Proto>]) -> Native {
    if vm::jit::config().is_none() {
        return Native::Off;
    }
    let targets: Vec<Targets> = modules.iter().map(vm::jit::aot::targets).collect();
    install_targets(bundle, &targets)
}

/// Whether a served bundle's object code is installed before the app's top
/// level runs ([`preload`] at start, [`install`] in each worker): under
/// `--jit eager` only. Otherwise each worker answers from the bytecode and
/// installs it once the app has loaded ([`install_later`] says why).
pub fn serve_links_before_start() -> bool {
    vm::jit::config().is_some_and(|c| c.mode == vm::jit::Mode::Eager)
}

/// A bundle's object code to install into an isolate later, from a thread
/// of its own ([`Pending::start`]).
pub struct Pending {
    served: Arc<super::Served>,
    path: PathBuf,
    targets: Vec<Targets>,
}

/// What [`install`] needs to run later (`None` under `--jit off`), taken
/// on the isolate's thread: `sxc serve` of a bundle under `--jit tiered`
/// answers from the bytecode at once and switches each function to machine
/// code at its first call after the objects are linked.
///
/// Why later, and not overlapped with the start as [`preload`] does: the
/// link loads the LLVM plugin, and `dlopen` holds glibc's loader lock for
/// the ~25 ms libLLVM's initialisers run, a lock a worker also takes the
/// first time it uses a thread-local with a destructor (measured: the
/// blog's worker stalled from 4 to 36 ms of its start). After the app's
/// top level has run, the worker has met its thread-locals.
pub fn install_later(served: &Arc<super::Served>, path: &Path, modules: &[Rc<Proto>]) -> Option<Pending> {
    vm::jit::config()?;
    Some(Pending { served: served.clone(), path: path.to_path_buf(), targets: modules.iter().map(vm::jit::aot::targets).collect() })
}

impl Pending {
    /// Links and installs on a new thread; what became of the object code
    /// is reported from there ([`report`]).
    pub fn start(self) {
        let path = self.path.clone();
        let spawned = std::thread::Builder::new().name("sxc-bundle-install".into()).spawn(move || {
            let native = install_targets(&self.served.bundle, &self.targets);
            crate::startup::mark("native code installed");
            report(&self.path, &native);
        });
        if let Err(e) = spawned {
            report(&path, &Native::Unusable(format!("no thread to install its object code: {e}")));
        }
    }
}

/// Loads `bundle`'s objects (once per process) and installs them into
/// `targets` (per module of the isolate, walk order).
fn install_targets(bundle: &Bundle, targets: &[Targets]) -> Native {
    if let Some(reason) = unusable_reason(bundle) {
        return Native::Unusable(reason);
    }
    let objects: Vec<&[u8]> = bundle.objects.iter().map(Vec::as_slice).collect();
    let functions: Vec<Option<(&str, usize)>> =
        bundle.functions.iter().map(|f| f.object.map(|_| (f.symbol.as_str(), f.code_size as usize))).collect();
    match vm::jit::aot::load(&bundle.manifest.id, &objects, &functions) {
        Ok(entries) => {
            let fingerprints: Vec<u64> = bundle.functions.iter().map(|f| f.fingerprint).collect();
            let mut all = Installed::default();
            let mut at = 0;
            for (t, m) in targets.iter().zip(&bundle.modules) {
                let range = at..at + m.functions as usize;
                at = range.end;
                let (Some(f), Some(e)) = (fingerprints.get(range.clone()), entries.get(range)) else { break };
                let one = vm::jit::aot::install_targets(t, f, e);
                all.native += one.native;
                all.missing += one.missing;
                all.mismatched.extend(one.mismatched);
            }
            Native::Installed(all)
        }
        Err(e) => Native::Unusable(format!("its object code does not load: {e}")),
    }
}

/// Prints, once per process, why `path`'s object code is not used, and
/// (also once) which functions run bytecode because theirs does not match.
pub fn report(path: &Path, native: &Native) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    match native {
        Native::Unusable(reason) => ONCE.call_once(|| eprintln!("sxc: {}: {reason}; running its bytecode", path.display())),
        Native::Installed(i) if !i.mismatched.is_empty() => ONCE.call_once(|| {
            eprintln!(
                "sxc: {}: {} function(s) run their bytecode (built by another bytecode compiler): {}",
                path.display(),
                i.mismatched.len(),
                i.mismatched.join(", ")
            )
        }),
        _ => {}
    }
}
