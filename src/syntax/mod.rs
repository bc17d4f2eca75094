//! Rule-file text → AST, with syntax diagnostics. pest stays behind this module: only
//! `lower.rs` walks pest's pairs, and `errors.rs` words pest's errors.
//!
//! `driver` runs one file: `scan` (comments, item boundaries, nesting), then each item by
//! `fast` (plain facts and rules) or by the general parser and `lower`.

mod driver;
mod errors;
mod fast;
mod lower;
mod parser;
mod scan;
#[cfg(test)]
mod tests;

pub use driver::parse_module;
pub use lower::parse_atom;

/// Deepest nesting of parentheses and brackets accepted; deeper input is rejected before
/// parsing so that the recursive-descent parser cannot overflow the stack.
pub const MAX_NESTING: usize = 64;

/// Words that cannot name a predicate or a rule.
const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "when", "then", "with", "rule", "fact", "question", "output",
    "because", "true", "false",
];
