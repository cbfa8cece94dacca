//! Whether a bundle's object code can run here, and putting it to work:
//! the runtime ABI and CPU checks, loading the objects into the JIT session
//! (once per process) and installing them into an isolate's protos.
//!
//! A bundle whose object code cannot be used (another runtime ABI, a CPU
//! without the features it was compiled for) still runs, from its bytecode;
//! the reason is printed once per process.

use super::bundle::Bundle;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::rc::Rc;
use std::sync::OnceLock;
use vm::bytecode::Proto;
use vm::jit::aot::Installed;

/// The runtime ABI hash recorded in bundles: SHA-256 (first 16 hex digits)
/// of `codegen_llvm::object::abi_text()`.
pub fn abi_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hex::encode(&Sha256::digest(codegen_llvm::object::abi_text().as_bytes())[..8]))
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
    let m = &bundle.manifest;
    if m.abi != abi_hash() {
        return Some(format!("its object code was built against another runtime ABI ({}; this sxc has {})", m.abi, abi_hash()));
    }
    let here = codegen_llvm::object::host_target();
    let missing = codegen_llvm::object::missing_features(&m.cpu_features, &here.features);
    if !missing.is_empty() {
        return Some(format!("its object code needs CPU features this CPU lacks ({}; built for {})", missing.join(", "), m.cpu));
    }
    None
}

/// Loads `bundle`'s objects (once per process) and installs them into the
/// protos of `root`, the module `super::program::instantiate` compiled from it.
pub fn install(bundle: &Bundle, root: &Rc<Proto>) -> Native {
    if vm::jit::config().is_none() {
        return Native::Off;
    }
    if let Some(reason) = unusable_reason(bundle) {
        return Native::Unusable(reason);
    }
    let objects: Vec<&[u8]> = bundle.objects.iter().map(Vec::as_slice).collect();
    let functions: Vec<Option<(&str, usize)>> =
        bundle.functions.iter().map(|f| f.object.map(|_| (f.symbol.as_str(), f.code_size as usize))).collect();
    match vm::jit::aot::load(&bundle.manifest.id, &objects, &functions) {
        Ok(entries) => {
            let fingerprints: Vec<u64> = bundle.functions.iter().map(|f| f.fingerprint).collect();
            Native::Installed(vm::jit::aot::install(root, &fingerprints, &entries))
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
