//! The `sxc` binary's global allocator: mimalloc, called through its plain
//! entry points.
//!
//! The interpreter allocates and frees many small short-lived objects (list
//! cells, strings, closures): see docs/values.md, "Allocation". The
//! `mimalloc` crate's allocator calls `mi_malloc_aligned` for every request;
//! in mimalloc 3 that takes a slower generic path whenever the size class's
//! page has no ready free block (about 5% of nqueens' instructions). Every
//! block mimalloc returns is at least pointer-aligned, so requests with
//! alignment ≤ 8 (nearly all: `Value` and `Rc` boxes are 8-aligned) go to
//! `mi_malloc`/`mi_zalloc`/`mi_realloc`; larger alignments keep the aligned
//! calls.

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// Alignment every mimalloc block has (`sizeof(void*)`).
const MIN_ALIGN: usize = std::mem::size_of::<usize>();

/// mimalloc as a [`GlobalAlloc`] (see the module docs).
pub struct SxAlloc;

// SAFETY: mimalloc's functions are thread-safe and return blocks of at least
// the requested size, aligned as requested (plain calls only when the
// requested alignment is at most the alignment every block has), or null.
unsafe impl GlobalAlloc for SxAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= MIN_ALIGN {
                mi::mi_malloc(layout.size()) as *mut u8
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= MIN_ALIGN {
                mi::mi_zalloc(layout.size()) as *mut u8
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if layout.align() <= MIN_ALIGN {
                mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}
