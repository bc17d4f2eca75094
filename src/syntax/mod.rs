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
pub const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "when", "then", "with", "rule", "fact", "question", "output",
    "because", "true", "false",
];

/// Whether `word` is one of [`RESERVED`], by a `match` (the fast path asks for every name
/// and symbol of a facts file; a search of the list compared up to 14 strings).
pub(crate) fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "and"
            | "or"
            | "not"
            | "in"
            | "when"
            | "then"
            | "with"
            | "rule"
            | "fact"
            | "question"
            | "output"
            | "because"
            | "true"
            | "false"
    )
}

/// A rule file parsed with and without the fast path, each as its syntax tree and
/// diagnostics (spans included) printed with `{:#?}`: they must be equal. For the tests and
/// the fuzz target `fast_path`; not a stable interface.
#[doc(hidden)]
pub fn fast_and_general(text: &str) -> (String, String) {
    let src = crate::span::SourceFile::new("t.rules".into(), text);
    let fast = driver::parse_module_with(crate::span::FileId(0), &src, true, false);
    let slow = driver::parse_module_with(crate::span::FileId(0), &src, false, false);
    (format!("{fast:#?}"), format!("{slow:#?}"))
}
