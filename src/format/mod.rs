//! `because fmt`: one canonical layout for rule files.
//!
//! The layout, in brief (`docs/maintaining.md` shows it at length):
//! - one item per line group; a blank line between items, except between one-line items
//!   (`fact`, `name`, `output`, `threshold`) that were written on adjacent lines; never
//!   more than one blank line;
//! - a rule is `rule NAME`, then indented by two spaces `because`, `source`, `when` and
//!   `then`, in that order; a `when` that does not fit in [`WIDTH`] columns is broken before
//!   each top-level `and` (or each `or`), continuation lines indented by four spaces; the same
//!   for several conclusions after `then`;
//! - a question is its name and prompt, then its answers (`many`, type, range, allowed
//!   values) on an indented line, wrapped at commas;
//! - single spaces around operators and after commas; parentheses only where the syntax tree
//!   needs them; numbers, strings and names exactly as written;
//! - every comment kept: a comment on a line of its own stays before what followed it, a
//!   comment after code stays at the end of that code's line.
//!
//! The printer only lays out what the syntax tree holds: a file with a syntax error is not
//! formatted. [`format_text`] checks its own output: the result parses to the same syntax
//! tree with the same comments, or the file is left as it is (a bug, reported as one).

mod print;

use crate::ast::Module;
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile, SourceMap};

/// The width lines are kept within where the syntax allows (strings are never broken).
pub const WIDTH: usize = 100;

/// Why a text was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// It has syntax errors (the diagnostics point into the source map given).
    Syntax(Vec<Diagnostic>),
    /// The layout would have changed the syntax tree or lost a comment: a bug in the
    /// formatter. The text is left as it is.
    Changed(String),
}

/// The canonical layout of the rule file `file` of `sources`.
pub fn format_file(file: FileId, src: &SourceFile) -> Result<String, FormatError> {
    let (module, diags) = crate::syntax::parse_module(file, src);
    let errors: Vec<Diagnostic> = diags.into_iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        return Err(FormatError::Syntax(errors));
    }
    let out = print::module(&module, src.text());
    verify(&module, &out)?;
    Ok(out)
}

/// The layout alone, without the check [`format_file`] makes (for tests that look at what
/// the check would refuse).
pub fn layout(module: &Module, text: &str) -> String {
    print::module(module, text)
}

/// [`format_file`] for a text of its own (`name` is shown in diagnostics).
pub fn format_text(name: &str, text: &str) -> Result<String, (FormatError, SourceMap)> {
    let mut sources = SourceMap::default();
    let file = sources.add(name, text);
    format_file(file, sources.get(file)).map_err(|e| (e, sources))
}

/// The formatted text must parse to the same items, facts and comments as the original.
fn verify(before: &Module, out: &str) -> Result<(), FormatError> {
    let mut sources = SourceMap::default();
    let file = sources.add("formatted", out);
    let (after, diags) = crate::syntax::parse_module(file, sources.get(file));
    if let Some(d) = diags.iter().find(|d| d.is_error()) {
        return Err(FormatError::Changed(format!(
            "the formatted text does not parse: [{}] {}",
            d.code, d.message
        )));
    }
    if shape(before) != shape(&after) {
        return Err(FormatError::Changed(
            "the formatted text parses to a different syntax tree".into(),
        ));
    }
    let comments = |m: &Module| -> Vec<(bool, String)> {
        m.comments
            .iter()
            .map(|c| (c.node.doc, c.node.text.clone()))
            .collect()
    };
    if comments(before) != comments(&after) {
        return Err(FormatError::Changed(
            "the formatted text does not keep every comment in order".into(),
        ));
    }
    Ok(())
}

/// A module's items and facts as text, with every position left out: two modules with
/// the same shape mean the same, wherever their parts sit in the file.
pub fn shape(m: &Module) -> String {
    strip_spans(&format!("{:?}\n{:?}", m.items, m.facts))
}

/// Remove the `@START..END` that spans print in debug output.
fn strip_spans(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if b[i] == b'@' {
            let mut j = i + 1;
            let digits = |j: &mut usize| {
                let from = *j;
                while *j < b.len() && b[*j].is_ascii_digit() {
                    *j += 1;
                }
                *j > from
            };
            if digits(&mut j) && b[j..].starts_with(b"..") {
                j += 2;
                if digits(&mut j) {
                    out.push_str(&s[copied..i]);
                    copied = j;
                    i = j;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&s[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        match format_text("t.rules", text) {
            Ok(s) => s,
            Err((e, _)) => panic!("{e:?}"),
        }
    }

    #[test]
    fn spans_are_stripped_from_debug_text() {
        assert_eq!(strip_spans("a@1..23, b@x..1 c@4..5"), "a, b@x..1 c");
    }

    #[test]
    fn a_rule_is_laid_out_on_indented_lines() {
        let got = fmt("rule r when p(X)and q( X ) then  s(X) with certainty 0.50 because \"x\"");
        assert_eq!(
            got,
            "rule r\n  because \"x\"\n  when p(X) and q(X)\n  then s(X) with certainty 0.50\n"
        );
    }

    #[test]
    fn parentheses_only_where_the_tree_needs_them() {
        let got =
            fmt("rule r when p(X) and ((q(X) or r(X))) and (X + 1) * 2 > 3 - (4 - 5) then s(X)");
        assert!(
            got.contains("when p(X) and (q(X) or r(X)) and (X + 1) * 2 > 3 - (4 - 5)\n"),
            "{got}"
        );
    }

    #[test]
    fn comments_stay_where_they_were() {
        let src =
            "# head\n\n## doc\nrule r # trailing\n  when p(X)\n  # before then\n  then q(X)\n";
        assert_eq!(
            fmt(src),
            "# head\n\n## doc\nrule r # trailing\n  when p(X)\n  # before then\n  then q(X)\n"
        );
    }

    #[test]
    fn formatting_is_idempotent_on_the_shipped_rules() {
        for (name, text) in crate::engine::EMBEDDED_RULES {
            let once = fmt(text);
            assert_eq!(fmt(&once), once, "{name}");
        }
    }
}
