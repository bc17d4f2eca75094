//! The `because` binary: everything happens in the library's `cli` module.

// Runs allocate many small, short-lived vectors (one fact set after another in batch mode);
// mimalloc's thread-local free lists make that several times cheaper than the system
// allocator, and it scales across rayon's threads. Version 2 (Cargo feature `v2`): version
// 3 commits memory in large huge-paged arenas, which cost large programs a third more
// resident memory and the time to fault it in (bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    because::cli::main()
}
