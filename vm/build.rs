//! Computes `SXC_BUILD_ID`: a hash of everything that decides the layout of
//! the types `vm::jit::plugin` passes by reference between the `sxc` binary
//! and the LLVM plugin (`libsxc_llvm.so`) — the sources of `frontend`, `ir`
//! and `vm`, the lock file, the features and the profile. The two sides
//! compare their ids before the first call (`vm::jit::plugin::BUILD_ID`),
//! so a plugin left over from another build is refused instead of reading
//! a `CompileJob` laid out differently.
//!
//! Cargo re-runs this script when a file under the listed paths changes;
//! another compiler, profile or feature set is another build of `vm`, with
//! its own run of this script.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs" || x == "toml" || x == "sx") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.parent().expect("vm is a workspace member").to_path_buf();
    let mut paths = Vec::new();
    for krate in ["frontend", "ir", "vm"] {
        let dir = root.join(krate);
        println!("cargo:rerun-if-changed={}", dir.join("src").display());
        println!("cargo:rerun-if-changed={}", dir.join("Cargo.toml").display());
        files(&dir.join("src"), &mut paths);
        paths.push(dir.join("Cargo.toml"));
    }
    println!("cargo:rerun-if-changed={}", root.join("Cargo.lock").display());
    paths.push(root.join("Cargo.lock"));
    paths.sort();
    // SipHash with fixed keys: the same inputs give the same id within one
    // toolchain, which is all the comparison needs.
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    for p in &paths {
        h.write(p.strip_prefix(&root).unwrap_or(p).to_string_lossy().as_bytes());
        h.write(&std::fs::read(p).unwrap_or_default());
    }
    let mut env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with("CARGO_FEATURE_") || k.starts_with("CARGO_CFG_") || ["PROFILE", "OPT_LEVEL", "DEBUG", "TARGET", "RUSTC"].contains(&k.as_str())).collect();
    env.sort();
    for (k, v) in env {
        h.write(k.as_bytes());
        h.write(v.as_bytes());
    }
    println!("cargo:rustc-env=SXC_BUILD_ID={:016x}", h.finish());
}
