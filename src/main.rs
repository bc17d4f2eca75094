//! The `because` binary: everything happens in the library's `cli` module.

// Runs allocate many small, short-lived vectors (one fact set after another in batch mode);
// mimalloc's thread-local free lists make that several times cheaper than the system
// allocator, and it scales across rayon's threads. Version 2 (Cargo feature `v2`): version
// 3 commits memory in large huge-paged arenas, which cost large programs a third more
// resident memory and the time to fault it in (bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's option API, from the C library the `mimalloc` crate links (its Rust binding
// needs the `extended` feature, whose `cty` dependency we do not otherwise need).
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}
/// `mi_option_purge_delay` in mimalloc 2's `mi_option_t` (include/mimalloc.h).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() -> because::cli::Exit {
    // Never give freed memory back to the OS. By default mimalloc returns it 10 ms after it
    // is freed; when it is used again, the kernel faults it in and zeroes it anew, 2 MiB at
    // a time with transparent huge pages, and on a virtual machine each such fault may also
    // exit to the host. Large programs free and reuse much (vectors that grow, the syntax
    // tree once compiled): W1 took 1,200-8,200 page faults and 0.01-0.39 s of system time
    // from run to run, depending on when the purges fell; without purging, 180 faults and
    // 0.004-0.03 s, for 6 MiB more at the peak (bench/README.md). A process runs one query
    // or one batch and exits, so holding on to its memory costs nothing.
    // SAFETY: sets an integer option of the allocator; no other thread runs yet.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    because::cli::main()
}
