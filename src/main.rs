//! The `because` binary: everything happens in the library's `cli` module.

// Runs allocate many small, short-lived vectors (one fact set after another in batch mode);
// mimalloc's thread-local free lists make that several times cheaper than the system
// allocator, and it scales across rayon's threads. Version 2 (Cargo feature `v2`): version
// 3 commits memory in large huge-paged arenas, which cost large programs a third more
// resident memory and the time to fault it in (bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 2's `mi_option_t` (the vendored
/// `include/mimalloc.h`; the binding names the options around it but not this one). Its
/// documented default is 10 (ms); the test below checks both, so a renumbering of the enum
/// fails the build's tests instead of setting the wrong option.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t =
    libmimalloc_sys::mi_option_eager_commit_delay + 1;

/// Never give freed memory back to the OS. By default mimalloc returns it 10 ms after it is
/// freed; when it is used again, the kernel faults it in and zeroes it anew, 2 MiB at a time
/// with transparent huge pages, and on a virtual machine each such fault may also exit to the
/// host. Large programs free and reuse much (vectors that grow, the syntax tree once
/// compiled): W1 took 1,200-8,200 page faults and 0.01-0.39 s of system time from run to run,
/// depending on when the purges fell; without purging, 180 faults and 0.004-0.03 s, for 6
/// MiB more at the peak (bench/README.md). A process runs one query or one batch and exits,
/// so holding on to its memory costs nothing.
#[expect(
    unsafe_code,
    reason = "mimalloc's option API is C; setting an option is sound"
)]
fn keep_freed_memory() {
    // SAFETY: sets an integer option of the allocator; the option exists in mimalloc 2.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

fn main() -> because::cli::Exit {
    keep_freed_memory();
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
