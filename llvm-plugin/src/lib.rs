//! `libsxc_llvm.so`: `codegen-llvm` behind the C ABI of `vm::jit::plugin`,
//! which says why the `sxc` binary loads LLVM as a plugin and the rules of
//! the boundary (inputs borrowed, outputs copied, the host's runtime).
//!
//! Every entry catches panics, so none unwinds into the host.

use codegen_llvm::LlvmBackend;
use std::panic::{catch_unwind, AssertUnwindSafe};
use vm::jit::plugin::{Api, Bytes, Handle, Sink, Symbol, BUILD_ID};
use vm::jit::{Backend, CompileJob};

/// The entries of this plugin (the host checks `build_id` first).
#[no_mangle]
pub extern "C" fn sxc_llvm_api_v1() -> *const Api {
    static API: Api = Api {
        build_id: Bytes { ptr: BUILD_ID.as_ptr(), len: BUILD_ID.len() },
        new_backend,
        compile,
        load_objects,
        dump,
        emit_many,
        host_target,
        abi_text,
    };
    &API
}

/// Runs `f`, turning an error or a panic into `false` and a text in `err`.
fn guarded(err: &Sink, f: impl FnOnce() -> Result<(), String>) -> bool {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            err.write(e.as_bytes());
            false
        }
        Err(panic) => {
            let what = panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
            err.write(format!("the LLVM plugin panicked: {what}").as_bytes());
            false
        }
    }
}

extern "C" fn new_backend(symbols: *const Symbol, n: usize, perf_map: bool, out: *mut Handle, err: &Sink) -> bool {
    guarded(err, || {
        // SAFETY: the host passes `n` symbols whose names live for the call.
        let symbols = if n == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(symbols, n) } };
        let runtime = symbols.iter().map(|s| (unsafe { s.name.text() }.into_owned(), s.addr)).collect();
        let backend = Box::new(LlvmBackend::new(runtime, perf_map)?);
        // SAFETY: `out` is the host's slot for the handle. The backend lives
        // as long as the process (the host never frees it).
        unsafe { *out = Box::into_raw(backend) as Handle };
        Ok(())
    })
}

/// The backend behind a handle from [`new_backend`].
///
/// # Safety
/// `h` must come from `new_backend` (backends are never freed).
unsafe fn backend<'a>(h: Handle) -> &'a LlvmBackend {
    &*(h as *const LlvmBackend)
}

extern "C" fn compile(h: Handle, job: *const CompileJob, entry: *mut usize, size: *mut usize, err: &Sink) -> bool {
    guarded(err, || {
        // SAFETY: the host checked BUILD_ID, so `CompileJob` has one layout
        // on both sides; the job and the out-pointers live for the call.
        let c = unsafe { backend(h) }.compile(unsafe { &*job })?;
        unsafe {
            *entry = c.entry;
            *size = c.code_size;
        }
        Ok(())
    })
}

extern "C" fn load_objects(h: Handle, objects: *const Bytes, n_objects: usize, symbols: *const Bytes, n_symbols: usize, addrs: *mut usize, err: &Sink) -> bool {
    guarded(err, || {
        // SAFETY: the host passes arrays of the given lengths, alive for the call.
        let objects: Vec<&[u8]> = unsafe { slice(objects, n_objects) }.iter().map(|b| unsafe { b.get() }).collect();
        let names: Vec<std::borrow::Cow<str>> = unsafe { slice(symbols, n_symbols) }.iter().map(|b| unsafe { b.text() }).collect();
        let names: Vec<&str> = names.iter().map(|s| s.as_ref()).collect();
        let found = unsafe { backend(h) }.load(&objects, &names)?;
        for (i, a) in found.into_iter().enumerate().take(n_symbols) {
            unsafe { *addrs.add(i) = a };
        }
        Ok(())
    })
}

/// `n` elements at `p` (empty when `n` is 0, whatever `p` is).
///
/// # Safety
/// When `n > 0`, `p` must point to `n` initialised elements alive for `'a`.
unsafe fn slice<'a, T>(p: *const T, n: usize) -> &'a [T] {
    if n == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(p, n)
    }
}

extern "C" fn dump(job: *const CompileJob, what: u32, out: &Sink, err: &Sink) -> bool {
    guarded(err, || {
        // SAFETY: as in `compile`.
        let job = unsafe { &*job };
        let text = match what {
            0 => LlvmBackend::llvm_ir(job, false),
            1 => LlvmBackend::llvm_ir(job, true),
            _ => LlvmBackend::asm(job),
        }?;
        out.write(text.as_bytes());
        Ok(())
    })
}

extern "C" fn emit_many(jobs: *const *const CompileJob, symbols: *const Bytes, n: usize, object: &Sink, sizes: *mut i64, failures: &Sink, err: &Sink) -> bool {
    guarded(err, || {
        // SAFETY: as in `compile`, for `n` jobs and `n` symbol names.
        let jobs: Vec<&CompileJob> = unsafe { slice(jobs, n) }.iter().map(|j| unsafe { &**j }).collect();
        let names: Vec<std::borrow::Cow<str>> = unsafe { slice(symbols, n) }.iter().map(|b| unsafe { b.text() }).collect();
        let names: Vec<&str> = names.iter().map(|s| s.as_ref()).collect();
        let code = codegen_llvm::object::emit_many(&jobs, &names)?;
        object.write(&code.bytes);
        for (i, f) in code.functions.iter().enumerate() {
            let size = match f {
                Ok(size) => *size as i64,
                Err(e) => {
                    failures.write(e.as_bytes());
                    -1
                }
            };
            unsafe { *sizes.add(i) = size };
        }
        Ok(())
    })
}

extern "C" fn host_target(out: &Sink, err: &Sink) -> bool {
    guarded(err, || {
        let t = codegen_llvm::object::host_target();
        for s in [t.triple, t.cpu, t.features] {
            out.write(s.as_bytes());
        }
        Ok(())
    })
}

extern "C" fn abi_text(out: &Sink, err: &Sink) -> bool {
    guarded(err, || {
        out.write(codegen_llvm::object::abi_text().as_bytes());
        Ok(())
    })
}
