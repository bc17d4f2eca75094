//! The pest parser, derived from `grammar/because.pest`. Only `lower.rs` uses it.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/because.pest"]
pub(crate) struct BecauseParser;
