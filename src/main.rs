//! The `because` binary: everything happens in the library's `cli` module.

// Runs allocate many small, short-lived vectors (one fact set after another in batch mode);
// mimalloc's thread-local free lists make that several times cheaper than the system
// allocator, and it scales across rayon's threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    because::cli::main()
}
