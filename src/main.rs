//! The `because` binary: everything happens in the library's `cli` module.

fn main() -> std::process::ExitCode {
    because::cli::main()
}
