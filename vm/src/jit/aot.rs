//! Ahead-of-time object code (`sxc build` bundles): the jobs a bundle
//! compiles, a fingerprint that ties each object to the exact bytecode it
//! was compiled against, and the installation of loaded entries into a
//! freshly compiled module's protos.
//!
//! A bundle carries a program's optimised IR; loading it compiles the IR to
//! bytecode again (the bytecode compiler is deterministic) and installs the
//! objects by the protos' walk order ([`Proto::walk`]). Compiled code bakes
//! in the bytecode's pcs and register homes ([`JitMap`]), so an object is
//! installed only when the proto's map has the fingerprint recorded at build
//! time; any other proto keeps running its bytecode (and tiers up as usual).

use super::{config, CompileJob, JitMap, Tier, COMPILING, STOPPING};
use crate::bytecode::Proto;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

/// The compile jobs of every function of a module, in walk order, as a
/// function compiled before its first call speculates (no profile yet).
pub fn jobs(root: &Rc<Proto>) -> Vec<CompileJob> {
    let mut out = Vec::new();
    root.walk(&mut |p| out.push(super::compile_job(p, true, 0)));
    out
}

/// A stable 64-bit fingerprint of everything in `map` that the code
/// generator reads: the IR as printed (no spans, so not where the source
/// was loaded from), the register homes, live intervals, positions, pcs and
/// site kinds and call sites (global slots are baked into the code). Equal
/// fingerprints mean an object compiled for one map is valid for the other.
///
/// Computed for every function when a bundle loads, so it hashes the
/// vectors' bytes directly ([`Fingerprint`], 8 bytes a step) rather than a
/// formatted text (which was most of a 300-function bundle's install time).
pub fn fingerprint(map: &JitMap) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = Fingerprint::default();
    h.write(map.ir.to_string().as_bytes());
    map.reg_of.hash(&mut h);
    map.has_reg.hash(&mut h);
    map.lo.hash(&mut h);
    map.hi.hash(&mut h);
    map.pos.hash(&mut h);
    map.inst_pc.hash(&mut h);
    map.term_pc.hash(&mut h);
    map.uses.hash(&mut h);
    map.dies_at_term.hash(&mut h);
    map.self_loop.hash(&mut h);
    map.ops.hash(&mut h);
    map.call_sites.hash(&mut h);
    map.tmp.hash(&mut h);
    map.nregs.hash(&mut h);
    h.finish()
}

/// The hasher of [`fingerprint`]: a multiply-rotate mix of 8-byte
/// little-endian words (the tail zero-padded, its length mixed in),
/// finished with the SplitMix64 finaliser (Steele et al., "Fast splittable
/// pseudorandom number generators", 2014). Fixed constants, no seed: the
/// same bytes give the same value in every process and on every build.
/// A consistency check between a build and a load, not a defence against
/// crafted input (the bundle's SHA-256 covers tampering in transit).
struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Fingerprint {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    #[inline]
    fn mix(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
}

impl std::hash::Hasher for Fingerprint {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.mix(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut last = [0u8; 8];
            last[..tail.len()].copy_from_slice(tail);
            self.mix(u64::from_le_bytes(last) ^ ((tail.len() as u64) << 56));
        }
    }
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Loaded entries of one bundle: per function (walk order), its entry
/// address and code size, or `None` when it has no object.
pub type Entries = Arc<Vec<Option<(usize, usize)>>>;

/// Bundles whose objects were added to this process's session, by key, or
/// why that failed (remembered: a second attempt would find the first
/// one's objects in the session and fail differently).
static LOADED: OnceLock<Mutex<HashMap<String, Result<Entries, String>>>> = OnceLock::new();

/// Adds the objects of the bundle `key` to the JIT session — once per
/// process, whichever thread (a server worker, the host's preloading
/// thread) asks first; the others wait for it — and returns the entries
/// per function. `functions[i]` is function `i`'s `(entry symbol,
/// code size)` in one of `objects`, or `None`. Errors: no backend is
/// installed (`--jit off`), the process is exiting, or the backend refused
/// an object.
pub fn load(key: &str, objects: &[&[u8]], functions: &[Option<(&str, usize)>]) -> Result<Entries, String> {
    let cache = LOADED.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = cache.get(key) {
        return e.clone();
    }
    let cfg = config().ok_or("the LLVM tier is off")?;
    let symbols: Vec<&str> = functions.iter().flatten().map(|(s, _)| *s).collect();
    let addrs = {
        let _compiling = COMPILING.lock().unwrap_or_else(|e| e.into_inner());
        if STOPPING.load(Ordering::Acquire) {
            return Err("the process is exiting".into());
        }
        cfg.backend.load_objects(objects, &symbols)
    };
    let r = addrs.map(|addrs| {
        let mut it = addrs.into_iter();
        let entries: Entries = Arc::new(functions.iter().map(|f| f.and_then(|(_, size)| it.next().map(|a| (a, size)))).collect());
        entries
    });
    cache.insert(key.to_string(), r.clone());
    r
}

/// What [`install`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Installed {
    /// Functions now running loaded code.
    pub native: usize,
    /// Functions without object code in the bundle.
    pub missing: usize,
    /// Functions whose bytecode differs from the one their object was built
    /// against (by name): they run their bytecode.
    pub mismatched: Vec<String>,
}

/// The JIT state of every function of a module (walk order): what
/// [`install_targets`] needs, `Send`, so that a bundle's objects can be
/// installed from the thread that linked them while the isolate runs.
pub type Targets = Vec<(String, Arc<JitMap>, Arc<super::JitSlot>)>;

/// [`Targets`] of `root`'s functions. Must run on the isolate's thread.
pub fn targets(root: &Rc<Proto>) -> Targets {
    let mut out = Vec::new();
    root.walk(&mut |p| out.push((p.display_name().to_string(), p.jit.map.clone(), p.jit.slot.clone())));
    out
}

/// Installs `entries` (from [`load`]) into the protos of `root` (walk
/// order), each only if its map's [`fingerprint`] is `fingerprints[i]`.
pub fn install(root: &Rc<Proto>, fingerprints: &[u64], entries: &[Option<(usize, usize)>]) -> Installed {
    install_targets(&targets(root), fingerprints, entries)
}

/// [`install`] into `targets` (any thread): function `i` gets `entries[i]`
/// if its map's [`fingerprint`] is `fingerprints[i]`. A function running
/// its bytecode meanwhile switches at its next call, as after a
/// background compile.
pub fn install_targets(targets: &Targets, fingerprints: &[u64], entries: &[Option<(usize, usize)>]) -> Installed {
    let mut out = Installed::default();
    for (k, (name, map, slot)) in targets.iter().enumerate() {
        let Some(Some((entry, size))) = entries.get(k).copied() else {
            out.missing += 1;
            continue;
        };
        if fingerprints.get(k).copied() != Some(fingerprint(map)) {
            out.mismatched.push(name.clone());
            continue;
        }
        slot.code_size.store(size, Ordering::Relaxed);
        slot.speculating.store(1, Ordering::Relaxed);
        slot.compiles.fetch_add(1, Ordering::Relaxed);
        // The entry was produced by the backend for a function with this
        // very map (same fingerprint), which is what `JitInfo::entry` relies on.
        slot.entry.store(entry, Ordering::Release);
        slot.set_tier(Tier::Compiled);
        out.native += 1;
    }
    out
}
