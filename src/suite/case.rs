//! Test case files (`*.test`): one case per file, readable on its own.
//!
//! ```text
//! # K2: a Python team with a non-relational database: Flask first.
//! --- facts
//! {"language": ["python"], "database": "nosql"}
//! --- expect
//! recommend(flask) holds
//! recommend(flask) certainty 0.80..0.90
//! recommend(flask) above recommend(django)
//! recommend(flask) by flask_for_flexible_data
//! recommend(flask) uses database(nosql)
//! rule nodejs_for_realtime does not fire
//! --- golden answer python-nosql.txt
//! --- golden explain recommend(flask) python-nosql-flask.txt
//! ```
//!
//! Sections: `--- facts [json|toml|native]` with the answers below it (JSON by default), or
//! `--- facts file PATH` (a facts file, relative to the case); `--- expect`, one expectation
//! per line; `--- golden WHAT PATH`, the output of `because query` (`answer`), `explain FACT`
//! or `why-not FACT` kept in a file (JSON when it ends in `.json`). Lines starting with `#`
//! are comments; those before the first section describe the case.

use crate::diag::Diagnostic;
use crate::facts_file::Format;
use crate::span::{FileId, SourceMap, Span};
use std::path::{Path, PathBuf};

/// A parsed case.
#[derive(Debug, Clone)]
pub struct Case {
    pub file: FileId,
    /// The case file as shown to users.
    pub name: String,
    pub path: PathBuf,
    /// The comment lines before the first section.
    pub description: String,
    pub facts: Option<FactsSource>,
    pub expects: Vec<Expect>,
    pub goldens: Vec<Golden>,
}

#[derive(Debug, Clone)]
pub enum FactsSource {
    /// Written in the case: the text (padded with blank lines, so that lines and columns
    /// are the case file's), and its format.
    Inline { text: String, format: Format },
    /// A facts file, resolved against the case's directory.
    File { path: PathBuf, span: Span },
}

/// A fact or a pattern, as written (parsed against the run's values when the case runs).
#[derive(Debug, Clone)]
pub struct Pat {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Expect {
    pub line: usize,
    pub span: Span,
    pub text: String,
    pub kind: ExpectKind,
}

#[derive(Debug, Clone)]
pub enum ExpectKind {
    Holds(Pat),
    NotHolds(Pat),
    Certainty(Pat, Bounds),
    Rank(Pat, usize),
    Above(Pat, Pat),
    Tied(Pat, Pat),
    By(Pat, String),
    NotBy(Pat, String),
    Uses(Pat, Pat),
    NotUses(Pat, Pat),
    Fires(String),
    NotFires(String),
}

/// A certainty's allowed range (inclusive, to two decimals).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
}

impl Bounds {
    pub fn contains(&self, v: f64) -> bool {
        let v = crate::explain::round_cf(v);
        v >= self.min - 1e-9 && v <= self.max + 1e-9
    }
}

#[derive(Debug, Clone)]
pub struct Golden {
    pub line: usize,
    pub span: Span,
    pub show: Show,
    /// As written, and resolved against the case's directory.
    pub written: String,
    pub path: PathBuf,
    pub json: bool,
}

#[derive(Debug, Clone)]
pub enum Show {
    Answer,
    Explain(Pat),
    WhyNot(Pat),
}

impl Show {
    pub fn describe(&self) -> String {
        match self {
            Show::Answer => "answer".to_string(),
            Show::Explain(p) => format!("explain {}", p.text),
            Show::WhyNot(p) => format!("why-not {}", p.text),
        }
    }
}

const HELP_EXPECT: &str = "write one of: FACT holds | FACT does not hold | FACT certainty 0.5..0.9 (or >= 0.5, or 0.85) | FACT rank 1 | FACT above FACT | FACT tied FACT | FACT by RULE | FACT not by RULE | FACT uses FACT | FACT does not use FACT | rule RULE fires | rule RULE does not fire";

/// Parse the case file `file` of `sources` (at `path`).
pub fn parse(sources: &SourceMap, file: FileId, path: &Path) -> Result<Case, Vec<Diagnostic>> {
    let src = sources.get(file);
    let text: &str = src.text();
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut case = Case {
        file,
        name: src.name.to_string(),
        path: path.to_path_buf(),
        description: String::new(),
        facts: None,
        expects: Vec::new(),
        goldens: Vec::new(),
    };
    let mut diags = Vec::new();
    let mut section: Option<&str> = None;
    let mut block: Option<(usize, String, Format)> = None;
    let mut offset = 0usize;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = i + 1;
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let span_of = |from: usize, len: usize| src.span(file, start + from, start + from + len);
        if let Some(head) = line.strip_prefix("--- ") {
            if let Some((first, body, format)) = block.take() {
                case.facts = Some(FactsSource::Inline {
                    text: pad(text, first, &body),
                    format,
                });
            }
            let words: Vec<&str> = head.split_whitespace().collect();
            section = None;
            match words.as_slice() {
                ["facts"] => {
                    block = Some((start + raw.len(), String::new(), Format::Json));
                    section = Some("facts");
                }
                ["facts", "file", p] => {
                    let at = line.rfind(p).unwrap_or(0);
                    case.facts = Some(FactsSource::File {
                        path: dir.join(p),
                        span: span_of(at, p.len()),
                    });
                }
                ["facts", f] if matches!(*f, "json" | "toml" | "native") => {
                    let format = match *f {
                        "json" => Format::Json,
                        "toml" => Format::Toml,
                        _ => Format::Native,
                    };
                    block = Some((start + raw.len(), String::new(), format));
                    section = Some("facts");
                }
                ["expect"] => section = Some("expect"),
                ["golden", what, rest @ ..] if !rest.is_empty() => {
                    let written = rest[rest.len() - 1];
                    let fact_text = rest[..rest.len() - 1].join(" ");
                    let fact_at = line.find(&fact_text).unwrap_or(0);
                    let pat = Pat {
                        span: span_of(fact_at, fact_text.len()),
                        text: fact_text.clone(),
                    };
                    let show = match (*what, fact_text.is_empty()) {
                        ("answer", true) => Some(Show::Answer),
                        ("explain", false) => Some(Show::Explain(pat)),
                        ("why-not", false) => Some(Show::WhyNot(pat)),
                        _ => None,
                    };
                    match show {
                        Some(show) => case.goldens.push(Golden {
                            line: line_no,
                            span: span_of(0, line.len()),
                            show,
                            written: written.to_string(),
                            path: dir.join(written),
                            json: written.ends_with(".json"),
                        }),
                        None => diags.push(
                            Diagnostic::error(
                                "E0601",
                                format!("`--- {head}` is not a golden file line"),
                                span_of(0, line.len()),
                            )
                            .with_label("not understood")
                            .with_help("write `--- golden answer PATH`, `--- golden explain FACT PATH` or `--- golden why-not FACT PATH`"),
                        ),
                    }
                }
                _ => diags.push(
                    Diagnostic::error(
                        "E0601",
                        format!("`--- {head}` is not a section of a test case"),
                        span_of(0, line.len()),
                    )
                    .with_label("unknown section")
                    .with_help("the sections are `--- facts [json|toml|native]`, `--- facts file PATH`, `--- expect` and `--- golden WHAT PATH`"),
                ),
            }
            continue;
        }
        match section {
            Some("facts") => {
                if let Some((_, body, _)) = &mut block {
                    body.push_str(raw);
                }
            }
            Some("expect") => {
                let trimmed = line.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let lead = line.len() - line.trim_start().len();
                match expectation(trimmed, &|from, len| span_of(lead + from, len)) {
                    Some(kind) => case.expects.push(Expect {
                        line: line_no,
                        span: span_of(lead, trimmed.len()),
                        text: trimmed.to_string(),
                        kind,
                    }),
                    None => diags.push(
                        Diagnostic::error(
                            "E0602",
                            format!("`{trimmed}` is not an expectation"),
                            span_of(lead, trimmed.len()),
                        )
                        .with_label("not understood")
                        .with_help(HELP_EXPECT),
                    ),
                }
            }
            _ => {
                let t = line.trim();
                if let Some(c) = t.strip_prefix('#') {
                    if case.expects.is_empty() && case.facts.is_none() && block.is_none() {
                        if !case.description.is_empty() {
                            case.description.push(' ');
                        }
                        case.description.push_str(c.trim());
                    }
                } else if !t.is_empty() {
                    diags.push(
                        Diagnostic::error(
                            "E0601",
                            "text outside a section",
                            span_of(line.len() - line.trim_start().len(), t.len()),
                        )
                        .with_label("not in a section")
                        .with_help("start a section with `--- facts` or `--- expect`; `#` starts a comment"),
                    );
                }
            }
        }
    }
    if let Some((first, body, format)) = block.take() {
        case.facts = Some(FactsSource::Inline {
            text: pad(text, first, &body),
            format,
        });
    }
    if case.expects.is_empty() && case.goldens.is_empty() && diags.is_empty() {
        diags.push(
            Diagnostic::error("E0603", "the case expects nothing", src.span(file, 0, 0)).with_help(
                "add a `--- expect` section with at least one expectation, or a `--- golden` line",
            ),
        );
    }
    if diags.is_empty() {
        Ok(case)
    } else {
        Err(diags)
    }
}

/// A block of the case file as a text of its own whose lines and columns are the case
/// file's: everything before it is blanked, newlines kept.
fn pad(whole: &str, first: usize, body: &str) -> String {
    let lines = whole[..first].matches('\n').count();
    let mut s = "\n".repeat(lines);
    s.push_str(body);
    s
}

/// One expectation line.
fn expectation(line: &str, span: &dyn Fn(usize, usize) -> Span) -> Option<ExpectKind> {
    if let Some(rest) = line.strip_prefix("rule ") {
        let (name, tail) = rest.trim().split_once(char::is_whitespace)?;
        return match tail.trim() {
            "fires" => Some(ExpectKind::Fires(name.to_string())),
            "does not fire" => Some(ExpectKind::NotFires(name.to_string())),
            _ => None,
        };
    }
    let (fact, rest) = split_fact(line)?;
    let pat = Pat {
        text: fact.to_string(),
        span: span(0, fact.len()),
    };
    let rest = rest.trim_start();
    let second = |after: &str| -> Option<Pat> {
        let t = rest.strip_prefix(after)?.trim_start();
        let (f, tail) = split_fact(t)?;
        if !tail.trim().is_empty() {
            return None;
        }
        Some(Pat {
            text: f.to_string(),
            span: span(line.len() - t.len(), f.len()),
        })
    };
    let word_after = |after: &str| -> Option<String> {
        let t = rest.strip_prefix(after)?.trim();
        (!t.is_empty() && !t.contains(char::is_whitespace)).then(|| t.to_string())
    };
    Some(match rest {
        "holds" => ExpectKind::Holds(pat),
        "does not hold" => ExpectKind::NotHolds(pat),
        _ if rest.starts_with("certainty ") => {
            ExpectKind::Certainty(pat, bounds(rest["certainty ".len()..].trim())?)
        }
        _ if rest.starts_with("rank ") => ExpectKind::Rank(pat, word_after("rank ")?.parse().ok()?),
        _ if rest.starts_with("above ") => ExpectKind::Above(pat, second("above ")?),
        _ if rest.starts_with("tied ") => ExpectKind::Tied(pat, second("tied ")?),
        _ if rest.starts_with("not by ") => ExpectKind::NotBy(pat, word_after("not by ")?),
        _ if rest.starts_with("by ") => ExpectKind::By(pat, word_after("by ")?),
        _ if rest.starts_with("uses ") => ExpectKind::Uses(pat, second("uses ")?),
        _ if rest.starts_with("does not use ") => {
            ExpectKind::NotUses(pat, second("does not use ")?)
        }
        _ => return None,
    })
}

/// The fact at the start of `s` (up to its closing parenthesis, or a name alone), and
/// the rest.
fn split_fact(s: &str) -> Option<(&str, &str)> {
    let name_end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    if name_end == 0 {
        return None;
    }
    if !s[name_end..].starts_with('(') {
        return Some((&s[..name_end], &s[name_end..]));
    }
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for (i, c) in s.char_indices().skip(name_end) {
        match c {
            _ if esc => esc = false,
            '\\' if in_str => esc = true,
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return Some((&s[..=i], &s[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// `0.5..0.9`, `>= 0.5`, `<= 0.2`, `> 0`, `< 0`, or one value (to two decimals).
fn bounds(s: &str) -> Option<Bounds> {
    let num = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    let step = 0.01;
    if let Some((a, b)) = s.split_once("..") {
        let (min, max) = (num(a)?, num(b)?);
        return (min <= max).then_some(Bounds { min, max });
    }
    for (op, f) in [
        (">=", (|v| (v, 1.0)) as fn(f64) -> (f64, f64)),
        ("<=", |v| (-1.0, v)),
    ] {
        if let Some(t) = s.strip_prefix(op) {
            let (min, max) = f(num(t)?);
            return Some(Bounds { min, max });
        }
    }
    if let Some(t) = s.strip_prefix('>') {
        return Some(Bounds {
            min: num(t)? + step,
            max: 1.0,
        });
    }
    if let Some(t) = s.strip_prefix('<') {
        return Some(Bounds {
            min: -1.0,
            max: num(t)? - step,
        });
    }
    let v = num(s)?;
    Some(Bounds { min: v, max: v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(line: &str) -> Option<ExpectKind> {
        expectation(line, &|_, _| Span::default())
    }

    #[test]
    fn expectations_parse() {
        assert!(
            matches!(kind("recommend(flask) holds"), Some(ExpectKind::Holds(p)) if p.text == "recommend(flask)")
        );
        assert!(
            matches!(kind("caution(rails, slow_at_scale) does not hold"), Some(ExpectKind::NotHolds(p)) if p.text == "caution(rails, slow_at_scale)")
        );
        assert!(
            matches!(kind("a(x) certainty 0.5..0.9"), Some(ExpectKind::Certainty(_, b)) if b == Bounds { min: 0.5, max: 0.9 })
        );
        assert!(
            matches!(kind("a(x) certainty >= 0.5"), Some(ExpectKind::Certainty(_, b)) if b == Bounds { min: 0.5, max: 1.0 })
        );
        assert!(
            matches!(kind("a(x) above b(\"y)\")"), Some(ExpectKind::Above(_, p)) if p.text == "b(\"y)\")")
        );
        assert!(matches!(kind("a(x) not by r1"), Some(ExpectKind::NotBy(_, r)) if r == "r1"));
        assert!(
            matches!(kind("rule r1 does not fire"), Some(ExpectKind::NotFires(r)) if r == "r1")
        );
        assert!(kind("a(x) is great").is_none());
        assert!(kind("a(x) certainty 0.9..0.5").is_none());
        assert!(kind("a(x) above b(y) and more").is_none());
    }
}
