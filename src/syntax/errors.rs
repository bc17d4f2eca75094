//! Syntax errors in the language's own words: pest's errors (expected rules at a position)
//! turned into diagnostics that say what was expected and found, with a hint.

use super::parser::Rule as R;
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile};

/// Turn a pest error into a diagnostic worded in the language's own terms.
/// `offset` is where the parsed text starts in the file (items are parsed one by one).
pub(super) fn syntax_error(
    file: FileId,
    src: &SourceFile,
    e: &pest::error::Error<R>,
    offset: usize,
    end: usize,
) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = offset
        + match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let text = src.text();
    let mut expected: Vec<&'static str> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .flat_map(|r| match r {
                // The end of an item's text is the start of the next item, not the file's end.
                // After an item may come the next item (or, at the file's end, nothing).
                R::EOI if end < src.text().len() => {
                    vec!["`rule`", "`fact`", "`question`", "`output`"]
                }
                R::EOI => vec!["`rule`", "`fact`", "`question`", "`output`", "end of file"],
                // Nothing deeper was tried: a new top-level item was expected.
                R::program | R::item | R::chunk => {
                    vec!["`rule`", "`fact`", "`question`", "`output`"]
                }
                r => vec![describe(*r)],
            })
            .collect(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // A reserved word where a name was expected: the name is what was missing.
    if let ErrorVariant::ParsingError { negatives, .. } = &e.variant {
        if negatives.contains(&R::reserved) {
            expected = vec!["a name"];
        }
    }
    expected.sort_unstable();
    expected.dedup();
    let found = found_at(text, pos);
    let trimmed = text.trim_end().len();
    if text[pos.min(text.len())..].starts_with('"')
        && !text[pos + 1..].lines().next().unwrap_or("").contains('"')
    {
        return Diagnostic::error("E0001", "unclosed string", src.span(file, pos, pos + 1))
            .with_label("this string has no closing `\"` on its line")
            .with_help("close the string with `\"`; strings cannot span lines (write `\\n` for a line break)");
    }
    let message = match expected.len() {
        0 => format!("unexpected {found}"),
        1 => format!("expected {}, found {found}", expected[0]),
        n => format!(
            "expected {} or {}, found {found}",
            expected[..n - 1].join(", "),
            expected[n - 1]
        ),
    };
    let help = help_for(&expected, text, pos);
    let mut d = if pos >= trimmed {
        // Point at the last character so the place shows; an empty span past the last line
        // would print no source line.
        let last = text[..trimmed]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
        Diagnostic::error("E0001", message, src.span(file, last, trimmed))
            .with_label("the file ends after this")
    } else {
        let end = (pos + token_len(text, pos)).min(text.len());
        Diagnostic::error("E0001", message, src.span(file, pos, end)).with_label("unexpected here")
    };
    if let Some(h) = help {
        d = d.with_help(h);
    }
    d
}

fn help_for(expected: &[&str], text: &str, pos: usize) -> Option<String> {
    let next = text[pos.min(text.len())..].chars().next();
    let word: String = text[pos.min(text.len())..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if super::RESERVED.contains(&word.as_str())
        && (expected.contains(&"a name") || expected.contains(&"a condition"))
    {
        let before = text[..pos.min(text.len())]
            .trim_end()
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        return Some(match before {
            "when" | "and" | "or" | "not" => {
                format!("`{word}` is a keyword, not a condition: a condition is missing before it")
            }
            "rule" => format!("every rule needs a name after `rule`; `{word}` is a keyword"),
            _ => format!("`{word}` is a reserved word and cannot name a predicate or a rule"),
        });
    }
    // Letters outside ASCII in a name: names are ASCII, and look-alikes (a Cyrillic `а`)
    // are easy to type and hard to see.
    if let Some(c) = next.filter(|c| c.is_alphabetic() && !c.is_ascii()) {
        return Some(format!(
            "`{c}` (U+{:04X}) is not an ASCII letter: names use a-z, A-Z, 0-9 and `_`; a look-alike from another alphabet may have slipped in",
            c as u32
        ));
    }
    if expected.contains(&"`then`") && next == Some(',') {
        return Some("join conditions with `and`; a comma only separates arguments".into());
    }
    if expected.iter().any(|e| e.starts_with("a type"))
        && next.is_some_and(|c| c.is_ascii_lowercase())
    {
        return Some("a question reads `question NAME \"prompt\" [one|many] [TYPE] [of VALUE, ...]`; the types are symbol, string, integer, decimal and boolean".into());
    }
    if expected.contains(&"`when`") {
        return Some("a rule reads `rule NAME when CONDITIONS then CONCLUSIONS`".into());
    }
    if expected.contains(&"`then`") {
        return Some(
            "every rule needs `then` and at least one conclusion after its conditions".into(),
        );
    }
    // A number running into a word (`0.5fact`, `12abc`): the error lands on the number.
    let rest = &text[pos.min(text.len())..];
    let digits = rest
        .trim_start_matches('-')
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let number_len = rest.len() - digits.len();
    let number_before =
        text[..pos.min(text.len())].ends_with(|c: char| c.is_ascii_digit()) && next == Some('.');
    // An exponent (`1e308`, `2.5E-3`) or a word for infinity (`-inf`): not numbers here.
    let exponent = number_len > 0
        && digits.starts_with(['e', 'E'])
        && digits[1..]
            .trim_start_matches(['+', '-'])
            .starts_with(|c: char| c.is_ascii_digit());
    // (Compared in place: a lowercase copy of the rest of the file, made for each error,
    // was quadratic: 40,000 broken lines took 6.5 s.)
    let infinity = {
        let word = rest.trim_start_matches(['-', '+']).as_bytes();
        let starts = |w: &[u8]| {
            word.get(..w.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(w))
        };
        starts(b"inf") || starts(b"nan")
    };
    if exponent {
        return Some("numbers are written out, such as 1000000 or 0.001: no exponent".into());
    }
    if infinity && (rest.starts_with('-') || rest.starts_with('+')) {
        return Some("numbers are finite: write the largest or smallest value you mean".into());
    }
    if (number_len > 0 && digits.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        || number_before
    {
        return Some("a number must not run into a word: put a blank after it".into());
    }
    let at_line_start = text[..pos.min(text.len())]
        .rsplit('\n')
        .next()
        .is_some_and(|l| l.trim().is_empty());
    if expected.contains(&"`rule`") && at_line_start && next.is_some_and(|c| c.is_ascii_lowercase())
    {
        return Some("a top-level line starts with `rule`, `fact`, `question` or `output`; to state a fact, write `fact` before it".into());
    }
    if next.is_some_and(|c| c.is_ascii_uppercase()) && expected.contains(&"a name") {
        return Some("names of predicates and symbols start with a lowercase letter; capitalised words are variables".into());
    }
    if next == Some('"') {
        return Some("check that every string is closed with `\"` on the same line".into());
    }
    None
}

fn describe(r: R) -> &'static str {
    match r {
        R::kw_rule | R::rule_def => "`rule`",
        R::kw_fact | R::fact_def => "`fact`",
        R::kw_question | R::question_def => "`question`",
        R::kw_output | R::output_def => "`output`",
        R::kw_when => "`when`",
        R::kw_then => "`then`",
        R::kw_and => "`and`",
        R::kw_or => "`or`",
        R::kw_not | R::not_in | R::negation => "`not`",
        R::kw_in => "`in`",
        R::kw_with | R::certainty => "`with certainty`",
        R::kw_certainty => "`certainty`",
        R::kw_because | R::because_clause => "`because`",
        R::kw_source | R::source_clause => "`source`",
        R::kw_of | R::allowed => "`of`",
        R::kw_from | R::range => "`from`",
        R::kw_to => "`to`",
        R::kw_as | R::output_as => "`as`",
        R::kw_name | R::name_def => "`name`",
        R::kw_advice | R::advice_def => "`advice`",
        R::kw_threshold | R::threshold_def => "`threshold`",
        R::lparen | R::group => "`(`",
        R::rparen => "`)`",
        R::lbracket => "`[`",
        R::rbracket => "`]`",
        R::comma => "`,`",
        R::EOI => "end of file",
        R::rule_name | R::predicate | R::symbol | R::reserved => "a name",
        R::variable => "a variable",
        R::string => "a string",
        R::number | R::decimal | R::integer => "a number",
        R::boolean => "`true` or `false`",
        R::cmp_op => "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`)",
        R::add_op | R::mul_op => "an operator",
        R::source_id => "a source identifier",
        R::cardinality => "`one` or `many`",
        R::value_type => "a type (`symbol`, `string`, `integer`, `decimal`, `boolean`)",
        R::atom | R::head => "a fact such as `p(x)`",
        R::expr | R::product | R::value | R::test | R::test_start => "a value",
        R::body | R::disjunction | R::conjunction => "a condition",
        R::chunk
        | R::program
        | R::item
        | R::WHITESPACE
        | R::COMMENT
        | R::ident_char
        | R::factor
        | R::literal
        | R::clause => "more input",
    }
}

/// The token at `pos`, quoted, for "found ..." messages.
pub(super) fn found_at(text: &str, pos: usize) -> String {
    if pos >= text.len() {
        return "end of file".into();
    }
    let len = token_len(text, pos);
    let tok = &text[pos..pos + len];
    match tok {
        "\n" | "\r\n" | "\r" => "end of line".into(),
        _ => format!("`{}`", tok.escape_debug()),
    }
}

fn token_len(text: &str, pos: usize) -> usize {
    let rest = &text[pos.min(text.len())..];
    let mut chars = rest.char_indices();
    match chars.next() {
        None => 0,
        // A word, cut at 40 characters (never inside a character).
        Some((_, c)) if c.is_alphanumeric() || c == '_' => rest
            .char_indices()
            .take_while(|&(_, c)| c.is_alphanumeric() || c == '_')
            .take(40)
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8()),
        Some((_, c)) => c.len_utf8(),
    }
}

#[cfg(test)]
mod tests {
    use super::help_for;

    /// A word for infinity or not-a-number after a sign is named in any case, and only a
    /// whole such word: `-in` is not one.
    #[test]
    fn infinity_is_recognised_in_any_case() {
        let finite =
            Some("numbers are finite: write the largest or smallest value you mean".into());
        for text in [
            "fact p(-inf)",
            "fact p(-INF)",
            "fact p(+NaN)",
            "fact p(-Infinity)",
        ] {
            assert_eq!(help_for(&["a value"], text, 7), finite, "{text}");
        }
        for text in ["fact p(-in)", "fact p(-na)", "fact p(-x)"] {
            assert_ne!(help_for(&["a value"], text, 7), finite, "{text}");
        }
    }
}
