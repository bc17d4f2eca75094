//! `because`: a rule engine and expert system that explains every conclusion it reaches.
//!
//! The pipeline, one module per step:
//! - [`syntax`]: rule-file text → [`ast`] (pest stays inside `syntax::lower`), with spans;
//! - [`program`]: files and directories → parsed modules; `or` desugared into flat rules;
//! - [`check`]: static checks → [`diag::Diagnostic`]s (rendered in [`diag`]);
//! - [`engine`]: flat rules → join plans (`compile`) → semi-naive fixpoint (`eval`) over
//!   indexed facts (`facts`), recording every derivation;
//! - [`graph`]: the fact graph (facts as nodes, derivations as edges) and certainties;
//! - [`explain`]: how / why-not / certainty, rendered as text, JSON or DOT;
//! - [`facts_file`]: JSON, TOML and native facts files → answers with spans;
//! - [`cli`]: the command line, a thin layer over the above.
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "diagnostics travel only on error paths, where their size costs nothing that matters"
)]

pub mod ast;
pub mod check;
pub mod cli;
pub mod deps;
pub mod deps_dot;
pub mod diag;
pub mod engine;
pub mod explain;
pub mod facts_file;
pub mod graph;
pub mod program;
pub mod syntax;
pub mod timing;
