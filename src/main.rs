//! The `because` binary: everything happens in the library's `cli` module.

use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout, System};

// Small blocks from mimalloc, large ones from the system allocator (glibc).
//
// Runs allocate many small, short-lived vectors (one fact set after another in batch mode);
// mimalloc's thread-local free lists make that several times cheaper than the system
// allocator (W7: a third less CPU), and it scales across threads. Version 2 (Cargo feature
// `v2`): version 3 commits memory in large huge-paged arenas, which cost large programs a
// third more resident memory and the time to fault it in (bench/README.md).
//
// Large blocks are the columns and tables of large programs, and the fact chunks of large
// files. glibc grows a large vector in place (`mremap`), where mimalloc copies it and keeps
// the old block; and memory glibc frees is reused by blocks of other sizes, where mimalloc
// kept a parsed file's fact chunks (64 KiB each) resident to the end of the run, beside the
// fact store they were copied into. On the peers' workloads at their largest sizes
// (`bench/run`), the peak fell by 30% (W2, N = 3,000: 724 -> 512 MB) and 33% (W3, P =
// 1,000,000: 1,016 -> 677 MB), as did the system time spent faulting that memory in;
// W1 and W7 take the same time as with mimalloc alone. Threshold 16 KiB: 64 KiB left W3
// at 778 MB, 256 KiB at 1,030 MB.
#[global_allocator]
static GLOBAL: Hybrid = Hybrid;

/// Blocks of this many bytes or more come from the system allocator.
const LARGE: usize = 16 * 1024;

/// mimalloc for blocks under [`LARGE`] bytes, the system allocator for the others. Which
/// one made a block is told from its size, which Rust passes back unchanged when the block
/// is freed or resized.
struct Hybrid;

#[expect(
    unsafe_code,
    reason = "a global allocator; it only forwards each call to one of two allocators"
)]
// SAFETY: every block is freed and resized by the allocator that made it (chosen by the
// size of its layout, which the caller passes back as it was); a block that changes side
// when resized is copied into a block of the other allocator and freed by its own. The
// layouts passed on are the caller's, valid by the trait's contract.
unsafe impl GlobalAlloc for Hybrid {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE {
            unsafe { System.alloc(layout) }
        } else {
            unsafe { MiMalloc.alloc(layout) }
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE {
            unsafe { System.alloc_zeroed(layout) }
        } else {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= LARGE {
            unsafe { System.dealloc(ptr, layout) }
        } else {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (layout.size() >= LARGE, new_size >= LARGE) {
            (true, true) => unsafe { System.realloc(ptr, layout, new_size) },
            (false, false) => unsafe { MiMalloc.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees `new_size`, rounded up to the alignment,
                // does not overflow isize.
                let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                let moved = unsafe { self.alloc(new) };
                if !moved.is_null() {
                    // SAFETY: both blocks hold at least the smaller size and are distinct.
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                }
                moved
            }
        }
    }
}

/// `mi_option_purge_delay` in mimalloc 2's `mi_option_t` (the vendored
/// `include/mimalloc.h`; the binding names the options around it but not this one). Its
/// documented default is 10 (ms); the test below checks both, so a renumbering of the enum
/// fails the build's tests instead of setting the wrong option.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t =
    libmimalloc_sys::mi_option_eager_commit_delay + 1;

/// Never give freed memory back to the OS (the small blocks' memory, which mimalloc holds).
/// By default mimalloc returns it 10 ms after it is freed; when it is used again, the kernel
/// faults it in and zeroes it anew, 2 MiB at a time with transparent huge pages, and on a
/// virtual machine each such fault may also exit to the host. Large programs free and reuse
/// much (the syntax tree once compiled): W1 took 1,200-8,200 page faults and 0.01-0.39 s of
/// system time from run to run, depending on when the purges fell; without purging, 180
/// faults and 0.004-0.03 s, for 6 MiB more at the peak (bench/README.md). A process runs one
/// query or one batch and exits, so holding on to its memory costs nothing.
#[expect(
    unsafe_code,
    reason = "mimalloc's option API is C; setting an option is sound"
)]
fn keep_freed_memory() {
    // SAFETY: sets an integer option of the allocator; the option exists in mimalloc 2.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

/// Large blocks of at least [`MMAP_THRESHOLD`] bytes get mappings of their own, always.
///
/// glibc maps blocks from 128 KiB apart by default, but raises that threshold to the size of
/// any mapped block freed, up to 32 MiB: once a growing vector has left its first mapping,
/// blocks up to that size come from the heap, where a vector that doubles is copied to a
/// new place and leaves its old one resident for later blocks. Fixed (`mallopt` turns the
/// adjustment off), a vector grows in place (`mremap`) and a freed block goes back to the
/// system. Peaks, interleaved runs: W2 at N = 3,000 384 -> 332 MB, W3 at 1,000,000
/// 457 -> 406 MB, W1 and W7 unchanged; 32 KiB gave W3 398 MB for twice the mappings, and
/// 1 MiB 498 MB. W3 at 1,000,000 makes about 1,900 mappings in all.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: std::ffi::c_int = 64 * 1024;

/// Sets glibc's mapping threshold to [`MMAP_THRESHOLD`]; true if it took.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(
    unsafe_code,
    reason = "glibc's mallopt is C; setting a parameter is sound"
)]
fn fix_mmap_threshold() -> bool {
    // SAFETY: sets an integer parameter of the allocator; called once, through the one-shot
    // hint, after the arguments are read and before the command starts any thread (glibc's
    // `mallopt` is not safe to call beside other threads' allocations, so no test calls it:
    // its effect is the benchmarks' peaks).
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 }
}

/// Ask for transparent huge pages for a block read at random (see `because::memhint`): a
/// machine whose setting is `madvise` gives them only to blocks that ask.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(
    unsafe_code,
    reason = "madvise is C; advising huge pages changes no memory's contents"
)]
fn advise_huge_pages(start: *const u8, len: usize) {
    // The advice covers whole pages, from the page the block starts in (a block this large
    // has a mapping of its own in a command that runs once, see MMAP_THRESHOLD; in a server
    // its first and last pages may also hold a neighbour's bytes, which the advice leaves as
    // they are too).
    let page = start as usize & !4095;
    let len = len + (start as usize - page);
    // SAFETY: MADV_HUGEPAGE only marks the range as eligible for huge pages; it neither
    // reads, writes nor frees memory, and the range lies in a mapping the caller owns. A
    // failure (an old kernel, no transparent huge pages) leaves the memory as it was.
    unsafe { libc::madvise(page as *mut libc::c_void, len, libc::MADV_HUGEPAGE) };
}

fn main() -> because::cli::Exit {
    keep_freed_memory();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        because::memhint::set_random_access_hint(advise_huge_pages);
        // Fixed for the commands that run once; the servers keep glibc's own threshold
        // (see `because::memhint`).
        because::memhint::set_one_shot_hint(|| {
            fix_mmap_threshold();
        });
    }
    because::cli::main()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(unsafe_code, reason = "reads an allocator option")]
    fn purge_delay() -> std::ffi::c_long {
        // SAFETY: reads an integer option of the allocator.
        unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }
    }

    /// Blocks keep their contents when resized within either allocator and across the
    /// threshold both ways, at the alignments Rust asks for; zeroed blocks are zero.
    #[test]
    #[expect(unsafe_code, reason = "calls the global allocator directly")]
    fn the_hybrid_allocator_keeps_contents_across_its_threshold() {
        for align in [1, 8, 16, 64, 4096] {
            for (from, to) in [
                (100, 200),
                (LARGE - 1, LARGE),
                (LARGE, LARGE - 1),
                (64, 1 << 20),
                (1 << 20, 64),
                (LARGE, 4 * LARGE),
                (1 << 20, 3 << 20),
            ] {
                let layout = Layout::from_size_align(from, align).expect("a layout");
                // SAFETY: sizes are non-zero; every block is freed with its layout.
                unsafe {
                    let zeroed = Hybrid.alloc_zeroed(layout);
                    assert!(!zeroed.is_null());
                    assert!(std::slice::from_raw_parts(zeroed, from)
                        .iter()
                        .all(|&b| b == 0));
                    Hybrid.dealloc(zeroed, layout);
                    let p = Hybrid.alloc(layout);
                    assert!(!p.is_null() && (p as usize).is_multiple_of(align));
                    for i in 0..from {
                        *p.add(i) = (i % 251) as u8;
                    }
                    let q = Hybrid.realloc(p, layout, to);
                    assert!(
                        !q.is_null() && (q as usize).is_multiple_of(align),
                        "{from} -> {to}"
                    );
                    let kept = std::slice::from_raw_parts(q, from.min(to));
                    assert!(kept.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
                    Hybrid.dealloc(q, Layout::from_size_align(to, align).expect("a layout"));
                }
            }
        }
    }

    /// The option set is the purge delay (its default is 10 ms), and it reads back as "never".
    #[test]
    fn the_allocator_never_purges() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(purge_delay(), 10, "not mimalloc 2's purge delay");
        }
        keep_freed_memory();
        assert_eq!(purge_delay(), -1);
    }
}
