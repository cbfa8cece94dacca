//! A small safe wrapper over ORC LLJIT (LLVM's C API, re-exported by
//! inkwell as `inkwell::llvm_sys`): one process-wide session, the runtime
//! functions defined as absolute symbols by name, relocatable object files
//! added with JITLink, lookups by name. Modelled on paradigmxyz/revmc's
//! `orc.rs`.
//!
//! Code is added as object files (compiled by our own `TargetMachine`,
//! position independent, small code model) rather than as IR: the JIT and
//! `sxc build` bundles then share one path, and we know each function's
//! machine code size. Code is never removed while the process runs:
//! activations of an old version may still be on some fiber's stack when a
//! function is recompiled.

use inkwell::llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
use inkwell::llvm_sys::orc2::lljit::*;
use inkwell::llvm_sys::orc2::*;
use inkwell::memory_buffer::MemoryBuffer;
use std::ffi::{CStr, CString};

/// An error from LLVM or ORC.
#[derive(Debug, thiserror::Error)]
pub enum OrcError {
    #[error("creating the LLJIT session: {0}")]
    Create(String),
    #[error("defining runtime symbols: {0}")]
    Define(String),
    #[error("adding an object file: {0}")]
    AddObject(String),
    #[error("looking up `{0}`: {1}")]
    Lookup(String, String),
}

fn take_error(e: LLVMErrorRef) -> Option<String> {
    if e.is_null() {
        return None;
    }
    // SAFETY: `e` is a live error owned by us; the message is disposed after copying.
    unsafe {
        let m = LLVMGetErrorMessage(e);
        let s = CStr::from_ptr(m).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(m);
        Some(s)
    }
}

/// One LLJIT session. Thread-safe (ORC's own locking): functions may be
/// added and looked up from any thread.
pub struct Jit {
    raw: LLVMOrcLLJITRef,
}

// SAFETY: LLJIT is internally synchronised; the handle is only disposed on drop.
unsafe impl Send for Jit {}
unsafe impl Sync for Jit {}

impl Jit {
    /// A session for the host, with `symbols` (name, address) defined as
    /// absolute, callable symbols in its main JITDylib.
    pub fn new(symbols: &[(&str, usize)]) -> Result<Jit, OrcError> {
        let mut raw: LLVMOrcLLJITRef = std::ptr::null_mut();
        // SAFETY: a null builder asks for the default configuration.
        if let Some(e) = take_error(unsafe { LLVMOrcCreateLLJIT(&mut raw, std::ptr::null_mut()) }) {
            return Err(OrcError::Create(e));
        }
        let jit = Jit { raw };
        let mut pairs: Vec<LLVMOrcCSymbolMapPair> = Vec::with_capacity(symbols.len());
        for (name, addr) in symbols {
            let c = CString::new(*name).expect("symbol names have no NUL");
            // SAFETY: `raw` is live; interning copies the name.
            let interned = unsafe { LLVMOrcLLJITMangleAndIntern(raw, c.as_ptr()) };
            pairs.push(LLVMOrcCSymbolMapPair {
                Name: interned,
                Sym: LLVMJITEvaluatedSymbol {
                    Address: *addr as u64,
                    Flags: LLVMJITSymbolFlags {
                        GenericFlags: LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsExported as u8
                            | LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsCallable as u8,
                        TargetFlags: 0,
                    },
                },
            });
        }
        // SAFETY: the pairs' names are owned references the unit takes over;
        // defining hands the unit to the dylib.
        let err = unsafe {
            let mu = LLVMOrcAbsoluteSymbols(pairs.as_mut_ptr(), pairs.len());
            LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(raw), mu)
        };
        if let Some(e) = take_error(err) {
            return Err(OrcError::Define(e));
        }
        Ok(jit)
    }

    /// Adds a relocatable object file to the main JITDylib.
    pub fn add_object(&self, object: MemoryBuffer) -> Result<(), OrcError> {
        let raw_buf = object.as_mut_ptr();
        // ORC takes ownership of the buffer.
        std::mem::forget(object);
        // SAFETY: `raw` is live and the buffer is now ORC's.
        let err = unsafe { LLVMOrcLLJITAddObjectFile(self.raw, LLVMOrcLLJITGetMainJITDylib(self.raw), raw_buf) };
        match take_error(err) {
            Some(e) => Err(OrcError::AddObject(e)),
            None => Ok(()),
        }
    }

    /// The address of symbol `name` (materialising it, i.e. linking its object).
    pub fn lookup(&self, name: &str) -> Result<usize, OrcError> {
        let c = CString::new(name).expect("symbol names have no NUL");
        let mut addr: LLVMOrcExecutorAddress = 0;
        // SAFETY: `raw` is live.
        let err = unsafe { LLVMOrcLLJITLookup(self.raw, &mut addr, c.as_ptr()) };
        match take_error(err) {
            Some(e) => Err(OrcError::Lookup(name.to_string(), e)),
            None => Ok(addr as usize),
        }
    }
}

impl Drop for Jit {
    fn drop(&mut self) {
        // SAFETY: disposed once; nothing uses the code after the session ends.
        let _ = take_error(unsafe { LLVMOrcDisposeLLJIT(self.raw) });
    }
}
