//! The integration tests, in one test binary: the library and its dependencies link once
//! (not once per file), and the harness runs every module's tests in parallel. A module per
//! area; fixtures stay in `tests/fixtures/`, snapshots are in `tests/it/snapshots/` (named
//! `it__<module>__<test>`). Run one area with `cargo test --test it <module>::`, for example
//! `cargo test --test it serve::`.

mod common;

mod advice;
mod architecture;
mod cli;
mod corpus;
mod determinism;
mod differential;
mod docs;
mod explain;
mod format;
mod lsp;
mod reliability;
mod rules;
mod save;
mod scenarios;
mod semantics;
mod serve;
mod sets;
mod suite;
mod svg;
