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
//!
//! Blocks of [`LARGE`] bytes or more (a dict's entry vector past about 800,000
//! entries, say) are mapped directly with `mmap` and grown with `mremap`, as
//! glibc does above its mmap threshold: growing moves page-table entries
//! instead of faulting in a fresh block, copying into it and freeing the old
//! one (which then costs the kernel's page clearing twice; on a 3.5-million-key
//! dict that was a fifth of the kernel time). They ask for transparent huge
//! pages, which mimalloc also does for its own arenas.
//!
//! Every block's size is reported to `host::memory` (a thread-local
//! countdown: per-fiber memory budgets, `--request-memory-mb`).

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// Alignment every mimalloc block has (`sizeof(void*)`).
const MIN_ALIGN: usize = std::mem::size_of::<usize>();

/// Size, in bytes, from which a block is its own mapping (see the module docs).
/// High enough that a program allocating and freeing big buffers in a loop
/// still gets mimalloc's reuse for everything but giant ones.
pub const LARGE: usize = 32 << 20;

/// Largest alignment a mapping has without over-mapping (the page size).
const PAGE: usize = 4096;

/// mimalloc as a [`GlobalAlloc`] (see the module docs).
pub struct SxAlloc;

/// True when a block of `size` bytes aligned to `align` is a mapping.
#[inline]
fn is_large(size: usize, align: usize) -> bool {
    size >= LARGE && align <= PAGE
}

/// The large-block mappings: anonymous, private, page-rounded.
mod large {
    use super::PAGE;
    use std::ptr::null_mut;

    fn rounded(size: usize) -> usize {
        size.div_ceil(PAGE) * PAGE
    }

    /// A fresh zeroed mapping of at least `size` bytes, or null.
    pub unsafe fn map(size: usize) -> *mut u8 {
        // SAFETY: an anonymous mapping at an address the kernel picks touches
        // no existing memory.
        unsafe {
            let p = libc::mmap(null_mut(), rounded(size), libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0);
            if p == libc::MAP_FAILED {
                return null_mut();
            }
            // Advice only: failure (THP disabled) leaves ordinary pages.
            libc::madvise(p, rounded(size), libc::MADV_HUGEPAGE);
            p as *mut u8
        }
    }

    /// Grows or shrinks the mapping at `p` (made by [`map`] for `old` bytes)
    /// to `new` bytes, moving it when it cannot grow in place; null on
    /// failure (the old mapping is then untouched).
    pub unsafe fn remap(p: *mut u8, old: usize, new: usize) -> *mut u8 {
        // SAFETY: `p..p+rounded(old)` is a whole mapping owned by the caller.
        unsafe {
            let q = libc::mremap(p as *mut libc::c_void, rounded(old), rounded(new), libc::MREMAP_MAYMOVE);
            if q == libc::MAP_FAILED { null_mut() } else { q as *mut u8 }
        }
    }

    /// Unmaps the mapping at `p` made by [`map`] for `size` bytes.
    pub unsafe fn unmap(p: *mut u8, size: usize) {
        // SAFETY: as for `remap`; the caller gives the block up.
        unsafe {
            libc::munmap(p as *mut libc::c_void, rounded(size));
        }
    }
}

// SAFETY: mimalloc's functions are thread-safe and return blocks of at least
// the requested size, aligned as requested (plain calls only when the
// requested alignment is at most the alignment every block has), or null.
// Large blocks are page-aligned mappings (only for alignments up to a page)
// of at least the requested size, or null; a block is unmapped or remapped
// only by the layout size that made it a mapping (`is_large` of the layout
// `dealloc`/`realloc` receive is the one `alloc` saw).
//
// Shape of the fast paths: the accounting (`host::memory::charge`, a
// thread-local subtract and sign test) and then a tail call into mimalloc;
// everything else (a budget trip, large blocks, big alignments) is out of
// line, so `alloc` needs no stack frame (with the trip call inline it saved
// and restored two registers on every allocation).
unsafe impl GlobalAlloc for SxAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if host::memory::charge(layout.size()) | (layout.size() >= LARGE) | (layout.align() > MIN_ALIGN) {
            return unsafe { alloc_slow(layout, false) };
        }
        unsafe { mi::mi_malloc(layout.size()) as *mut u8 }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if host::memory::charge(layout.size()) | (layout.size() >= LARGE) | (layout.align() > MIN_ALIGN) {
            return unsafe { alloc_slow(layout, true) };
        }
        unsafe { mi::mi_zalloc(layout.size()) as *mut u8 }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        host::memory::note_free(layout.size());
        unsafe {
            if layout.size() >= LARGE && is_large(layout.size(), layout.align()) {
                large::unmap(ptr, layout.size())
            } else {
                mi::mi_free(ptr as *mut c_void)
            }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            let (was_large, will_be_large) = (is_large(layout.size(), layout.align()), is_large(new_size, layout.align()));
            if was_large || will_be_large {
                // Accounted by the `alloc`/`dealloc` (or here, for `mremap`) it makes.
                return realloc_large(ptr, layout, new_size, was_large, will_be_large);
            }
            if new_size >= layout.size() {
                host::memory::note_alloc(new_size - layout.size());
            } else {
                host::memory::note_free(layout.size() - new_size);
            }
            if layout.align() <= MIN_ALIGN {
                mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

/// `alloc`/`alloc_zeroed` off the fast path, after the block was charged:
/// the budget trip if the charge went below zero, then a mapping for a
/// large block, an aligned mimalloc call for a big alignment, or the plain
/// call.
#[cold]
#[inline(never)]
unsafe fn alloc_slow(layout: Layout, zeroed: bool) -> *mut u8 {
    if host::memory::left_is_negative() {
        host::memory::over_budget();
    }
    unsafe {
        if is_large(layout.size(), layout.align()) {
            // A fresh mapping reads as zeros.
            large::map(layout.size())
        } else if layout.align() <= MIN_ALIGN {
            (if zeroed { mi::mi_zalloc(layout.size()) } else { mi::mi_malloc(layout.size()) }) as *mut u8
        } else if zeroed {
            mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }
}

/// `realloc` when the old or the new size is a mapping: `mremap` when both
/// are, else a copy between a mapping and a mimalloc block. Null on failure,
/// with the old block untouched (the `GlobalAlloc::realloc` contract).
#[cold]
unsafe fn realloc_large(ptr: *mut u8, layout: Layout, new_size: usize, was_large: bool, will_be_large: bool) -> *mut u8 {
    unsafe {
        if was_large && will_be_large {
            if new_size >= layout.size() {
                host::memory::note_alloc(new_size - layout.size());
            } else {
                host::memory::note_free(layout.size() - new_size);
            }
            return large::remap(ptr, layout.size(), new_size);
        }
        // SAFETY: `new_size` with the old alignment is a valid layout (the
        // `realloc` contract); `alloc` routes it to a mapping or mimalloc.
        let new = SxAlloc.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if new.is_null() {
            return new;
        }
        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
        SxAlloc.dealloc(ptr, layout);
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills `n` bytes at `p` with a pattern depending on `seed`.
    unsafe fn fill(p: *mut u8, n: usize, seed: u8) {
        for i in (0..n).step_by(4093) {
            unsafe { *p.add(i) = (i as u8).wrapping_add(seed) };
        }
    }

    unsafe fn check(p: *const u8, n: usize, seed: u8) {
        for i in (0..n).step_by(4093) {
            assert_eq!(unsafe { *p.add(i) }, (i as u8).wrapping_add(seed), "byte {i}");
        }
    }

    #[test]
    fn blocks_keep_their_contents_across_every_size_class_change() {
        let a = SxAlloc;
        // small -> small -> large -> larger -> small, each step keeping the prefix.
        let sizes = [1000, 100_000, LARGE + 5, 3 * LARGE, 4096];
        unsafe {
            let mut layout = Layout::from_size_align(sizes[0], 8).unwrap();
            let mut p = a.alloc(layout);
            assert!(!p.is_null());
            fill(p, sizes[0], 7);
            for &n in &sizes[1..] {
                p = a.realloc(p, layout, n);
                assert!(!p.is_null());
                check(p, layout.size().min(n), 7);
                layout = Layout::from_size_align(n, 8).unwrap();
                fill(p, n, 7);
            }
            a.dealloc(p, layout);
        }
    }

    #[test]
    fn large_zeroed_blocks_read_as_zero() {
        let a = SxAlloc;
        unsafe {
            let layout = Layout::from_size_align(LARGE, 16).unwrap();
            let p = a.alloc_zeroed(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % PAGE, 0);
            for i in (0..LARGE).step_by(PAGE / 2) {
                assert_eq!(*p.add(i), 0);
            }
            a.dealloc(p, layout);
        }
    }

    #[test]
    fn a_budget_trips_the_fibers_memory_bit_past_its_limit_and_kills_past_the_slack() {
        use host::memory::MemoryBudget;
        use vm::interrupt::{service, Action, MEMORY};
        let mut fiber = vm::fiber::Fiber::new_call(vm::Value::Nil, Vec::new());
        let h = fiber.interrupt_handle();
        let mut budget = MemoryBudget::new(1 << 20, h.clone());
        let small = budget.run(|| vec![0u8; 100_000]);
        assert_eq!(h.pending(), 0, "under the limit");
        let big = budget.run(|| vec![1u8; 1 << 20]);
        assert_eq!(h.pending(), MEMORY);
        // Exact per block: the two vectors, and nothing for the slack the trip added.
        assert_eq!(budget.used(), (1 << 20) + 100_000);
        assert!(matches!(service(&mut fiber), Action::Raise(_)));
        // Outside `run` nothing is armed.
        drop(big);
        let outside = vec![0u8; 4 << 20];
        assert_eq!(h.pending(), 0);
        // Once tripped, the fiber may use a quarter of the budget more (its
        // cleanup) before the bit is set again, which kills it.
        let more = budget.run(|| vec![2u8; 100_000]);
        assert_eq!(h.pending(), 0);
        let over = budget.run(|| vec![3u8; 1 << 20]);
        assert_eq!(h.pending(), MEMORY);
        assert!(matches!(service(&mut fiber), Action::Kill(_)));
        drop((small, more, over, outside));
    }
}
