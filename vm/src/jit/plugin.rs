//! The C ABI between the `sxc` binary and its LLVM plugin
//! (`libsxc_llvm.so`, the `llvm-plugin` crate wrapping `codegen-llvm`).
//!
//! Why a plugin: libLLVM is a 100 MB shared library with some 350,000
//! relocations and thousands of static constructors; linking the binary
//! against it cost every start of `sxc` 17–30 ms before `main` (measured:
//! `sxc --version` 35 ms, a C program that only links libLLVM 31 ms, on
//! this project's 2-core machine). The binary instead `dlopen`s the plugin
//! the first time it compiles or links machine code, on the thread that
//! needs it (the background compile thread, a bundle's link thread), so a
//! start that compiles nothing never pays for LLVM. LLVM is still linked
//! dynamically — by the plugin.
//!
//! The boundary is narrow (what the host used of `codegen-llvm`: compile a
//! job, link objects, emit objects for bundles, the dumps of `sxc inspect`,
//! the target and ABI texts) and follows three rules:
//!
//! - **Inputs are borrowed.** A [`CompileJob`] crosses as a pointer: both
//!   sides are built from the same sources of `frontend`, `ir` and `vm`,
//!   which [`BUILD_ID`] hashes (with the lock file, features and profile);
//!   the host refuses a plugin whose id differs before calling anything
//!   else. The plugin only reads through the pointer, during the call.
//! - **Outputs are copied.** The host's global allocator is mimalloc, the
//!   plugin's the system's: nothing allocated on one side is freed on the
//!   other. Every text or byte output goes through a [`Sink`], which the
//!   host copies into its own memory during the call.
//! - **The runtime is the host's.** The plugin links its own copy of `vm`,
//!   whose `sx_rt_*` functions and statics must never run: the host passes
//!   the addresses of its runtime functions ([`super::runtime::symbols`]),
//!   and the plugin defines exactly those in its ORC session.
//!
//! Panics do not cross: each entry catches them and reports an error.

use super::CompileJob;
use std::ffi::c_void;

/// The exported symbol, a `extern "C" fn() -> *const Api`.
pub const ENTRY_SYMBOL: &[u8] = b"sxc_llvm_api_v1\0";

/// The plugin's file name (in the directory of the `sxc` binary, or its
/// `deps/` subdirectory, where cargo puts it when it builds the binary).
pub const FILE_NAME: &str = "libsxc_llvm.so";

/// Identifies the sources, features and profile `vm` was built from (16
/// hex digits, `vm/build.rs`).
pub const BUILD_ID: &str = env!("SXC_BUILD_ID");

/// A borrowed UTF-8 string or byte string.
#[repr(C)]
#[derive(Copy, Clone)]
pub struct Bytes {
    pub ptr: *const u8,
    pub len: usize,
}

impl Bytes {
    /// Borrows `b` for the duration of a call.
    pub fn of(b: &[u8]) -> Bytes {
        Bytes { ptr: b.as_ptr(), len: b.len() }
    }

    /// The bytes.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes that outlive `'a`.
    pub unsafe fn get<'a>(self) -> &'a [u8] {
        if self.len == 0 {
            return &[];
        }
        std::slice::from_raw_parts(self.ptr, self.len)
    }

    /// The bytes as text (lossy).
    ///
    /// # Safety
    /// As [`Bytes::get`].
    pub unsafe fn text<'a>(self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.get())
    }
}

/// A runtime function the generated code may call: its name and address
/// in the host.
#[repr(C)]
#[derive(Copy, Clone)]
pub struct Symbol {
    pub name: Bytes,
    pub addr: usize,
}

/// Where the plugin writes an output: `put(ctx, bytes)` copies them (it
/// may be called several times; the meaning of each call is the entry's).
#[repr(C)]
pub struct Sink {
    pub ctx: *mut c_void,
    pub put: extern "C" fn(*mut c_void, Bytes),
}

impl Sink {
    /// A sink appending every output to `out`, one element per call.
    pub fn into_vec(out: &mut Vec<Vec<u8>>) -> Sink {
        extern "C" fn put(ctx: *mut c_void, b: Bytes) {
            // SAFETY: `ctx` is the `&mut Vec<Vec<u8>>` of `into_vec`, alive
            // for the call the sink was made for; `b` is valid during `put`.
            let out = unsafe { &mut *(ctx as *mut Vec<Vec<u8>>) };
            out.push(unsafe { b.get() }.to_vec());
        }
        Sink { ctx: out as *mut Vec<Vec<u8>> as *mut c_void, put }
    }

    /// Writes `b` to the sink.
    pub fn write(&self, b: &[u8]) {
        (self.put)(self.ctx, Bytes::of(b))
    }
}

/// The opaque backend a plugin creates (one per process).
pub type Handle = *mut c_void;

/// The plugin's entries. Each returns `true` on success; on failure it
/// writes one error text to `err`.
#[repr(C)]
pub struct Api {
    /// The plugin's [`BUILD_ID`]; compared before any other call.
    pub build_id: Bytes,
    /// Creates the backend (its ORC session is made on first use) with the
    /// host's runtime functions; writes nothing on success.
    pub new_backend: extern "C" fn(symbols: *const Symbol, n: usize, perf_map: bool, out: *mut Handle, err: &Sink) -> bool,
    /// Compiles `job` into the session: its entry address and code size.
    pub compile: extern "C" fn(h: Handle, job: *const CompileJob, entry: *mut usize, size: *mut usize, err: &Sink) -> bool,
    /// Adds `objects` (from `emit_many`) to the session and writes the
    /// address of each of `symbols` to `addrs` (`n_symbols` of them).
    pub load_objects: extern "C" fn(h: Handle, objects: *const Bytes, n_objects: usize, symbols: *const Bytes, n_symbols: usize, addrs: *mut usize, err: &Sink) -> bool,
    /// `what`: 0 LLVM IR, 1 optimised LLVM IR, 2 assembly; the text to `out`.
    pub dump: extern "C" fn(job: *const CompileJob, what: u32, out: &Sink, err: &Sink) -> bool,
    /// Compiles `jobs` into one object, job `i` under `symbols[i]`: the
    /// object's bytes to `object` (one call); per job, `sizes[i]` is its
    /// code size, or -1 when it was left out, its reason then written to
    /// `failures` (one call per such job, in job order).
    pub emit_many: extern "C" fn(jobs: *const *const CompileJob, symbols: *const Bytes, n: usize, object: &Sink, sizes: *mut i64, failures: &Sink, err: &Sink) -> bool,
    /// This host's LLVM target: triple, CPU name and feature string, one
    /// call each.
    pub host_target: extern "C" fn(out: &Sink, err: &Sink) -> bool,
    /// The runtime ABI text (`codegen_llvm::object::abi_text`), one call.
    pub abi_text: extern "C" fn(out: &Sink, err: &Sink) -> bool,
}

// SAFETY: an `Api` is immutable static data: function pointers and a
// borrowed pointer to the plugin's static build id.
unsafe impl Sync for Api {}

/// The type of [`ENTRY_SYMBOL`].
pub type EntryFn = unsafe extern "C" fn() -> *const Api;
