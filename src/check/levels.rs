//! Lint levels. Each warning can be allowed (not reported) or denied (reported as an error):
//! for a whole rule set, in `because.toml` beside its files (`[lints]` then `unread-fact =
//! "allow"`); for one file, with `#! allow(unread-fact)` anywhere in it; for one item, with
//! `# allow(W0205)` on the line above it or at the end of its first line. The nearest level
//! wins. Lints are named by code or by name; an unknown one is itself a warning (W0209).

use crate::ast::Module;
use crate::diag::{Diagnostic, Severity};
use crate::program::Program;
use crate::span::{FileId, Span};
use std::collections::BTreeMap;

/// Every lint: its code and its name.
pub const LINTS: &[(&str, &str)] = &[
    ("W0201", "singleton-variable"),
    ("W0202", "never-fires"),
    ("W0203", "output-never-concluded"),
    ("W0204", "question-never-used"),
    ("W0205", "unread-fact"),
    ("W0206", "unused-name"),
    ("W0207", "misspelt-fact"),
    ("W0208", "subsumed-rule"),
    ("W0209", "unknown-lint"),
    ("W0210", "unknown-source"),
    ("W0211", "uncited-advice"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }
}

/// The code of a lint named by code or by name.
pub fn lint_code(name: &str) -> Option<&'static str> {
    LINTS
        .iter()
        .find(|(c, n)| c.eq_ignore_ascii_case(name) || *n == name)
        .map(|(c, _)| *c)
}

/// Levels set for a whole rule set (`because.toml`), by lint code.
pub type ProjectLevels = BTreeMap<&'static str, Level>;

/// One directive in a comment: its level, the lints it names (with their spans, for the
/// unknown ones) and the range of the source it covers.
struct Directive {
    level: Level,
    lints: Vec<&'static str>,
    range: (u32, u32),
}

/// Every level of a program: its rule set's and its files' and items' directives, read
/// once and applied to each check's diagnostics as they come.
pub struct Levels<'p> {
    project: &'p ProjectLevels,
    by_file: BTreeMap<FileId, Vec<Directive>>,
}

impl<'p> Levels<'p> {
    /// The directives of every file of `program`, and a warning for each unknown lint name
    /// in them (W0209; levels apply to it too).
    pub fn new(program: &Program, project: &'p ProjectLevels) -> (Self, Vec<Diagnostic>) {
        let mut by_file: BTreeMap<FileId, Vec<Directive>> = BTreeMap::new();
        let mut unknown = Vec::new();
        for (file, module) in &program.modules {
            let text = &program.sources.get(*file).text();
            let d = directives(module, text, &mut unknown);
            if !d.is_empty() {
                by_file.insert(*file, d);
            }
        }
        (Levels { project, by_file }, unknown)
    }

    /// Apply every level to `diags`: allowed warnings go, denied ones become errors.
    pub fn apply(&self, diags: &mut Vec<Diagnostic>) {
        diags.retain_mut(|d| self.keep(d));
    }

    /// Whether `d` stays, made an error if denied.
    fn keep(&self, d: &mut Diagnostic) -> bool {
        let (project, by_file) = (self.project, &self.by_file);
        if d.severity != Severity::Warning {
            return true;
        }
        let mut level = project.get(d.code).copied().unwrap_or(Level::Warn);
        if let Some(span) = d.span {
            let mut best: Option<(u32, Level)> = None;
            for dir in by_file.get(&span.file).into_iter().flatten() {
                if !dir.lints.contains(&d.code) {
                    continue;
                }
                let (from, to) = dir.range;
                if span.start >= from && span.start < to {
                    // The narrowest range wins (an item's over its file's).
                    let width = to - from;
                    if best.is_none_or(|(w, _)| width <= w) {
                        best = Some((width, dir.level));
                    }
                }
            }
            if let Some((_, l)) = best {
                level = l;
            }
        }
        match level {
            Level::Allow => false,
            Level::Warn => true,
            Level::Deny => {
                d.severity = Severity::Error;
                let note =
                    "denied by a lint level (`because.toml`, `#! deny(...)` or `# deny(...)`)";
                d.help = Some(match d.help.take() {
                    Some(h) => format!("{h}; {note}"),
                    None => note.to_string(),
                });
                true
            }
        }
    }
}

/// The directives of one file.
fn directives(module: &Module, text: &str, unknown: &mut Vec<Diagnostic>) -> Vec<Directive> {
    let mut out = Vec::new();
    // Items and facts, by where they start and end.
    let mut spans: Option<Vec<Span>> = None;
    for c in &module.comments {
        let raw = &text[c.span.range()];
        let (body, file_wide) = match raw.strip_prefix("#!") {
            Some(rest) => (rest.trim_start(), true),
            None => (raw.trim_start_matches('#').trim_start(), false),
        };
        let Some((level, names, names_at)) = parse(body) else {
            continue;
        };
        let names_at = c.span.start + (raw.len() - body.len()) as u32 + names_at as u32;
        let mut lints = Vec::new();
        for (name, at) in names {
            match lint_code(name) {
                Some(code) => lints.push(code),
                None => {
                    let span = Span {
                        start: names_at + at as u32,
                        end: names_at + (at + name.len()) as u32,
                        ..c.span
                    };
                    let names: Vec<&str> = LINTS.iter().map(|(_, n)| *n).collect();
                    let help = crate::diag::suggest(name, names.iter().copied()).map_or(
                        "`docs/diagnostics.md` lists the lints (W0201 to W0211)".to_string(),
                        |s| format!("did you mean `{s}`?"),
                    );
                    unknown.push(
                        Diagnostic::warning("W0209", format!("unknown lint `{name}`"), span)
                            .with_label("no such lint")
                            .with_help(help),
                    );
                }
            }
        }
        let range = if file_wide {
            (0, u32::MAX)
        } else {
            let spans = spans.get_or_insert_with(|| {
                let mut v: Vec<Span> = module
                    .items
                    .iter()
                    .map(|i| i.span())
                    .chain(module.facts.iter().map(|f| f.span()))
                    .collect();
                v.sort();
                v
            });
            let line_start = text[..c.span.start as usize]
                .rfind('\n')
                .map_or(0, |i| i + 1) as u32;
            let trailing = !text[line_start as usize..c.span.start as usize]
                .trim()
                .is_empty();
            let item = if trailing {
                // The item whose line this is.
                spans.iter().rev().find(|s| s.start <= c.span.start)
            } else {
                spans.iter().find(|s| s.start > c.span.start)
            };
            match item {
                Some(s) => (s.start, s.end.max(s.start + 1)),
                None => continue,
            }
        };
        out.push(Directive {
            level,
            lints,
            range,
        });
    }
    out
}

/// A directive as written: the level, each name with its offset inside the parentheses,
/// and where the parentheses' contents start in the comment's body.
type Parsed<'a> = (Level, Vec<(&'a str, usize)>, usize);

/// `allow(a, b)` (or `warn`, `deny`) at the start of a comment.
fn parse(body: &str) -> Option<Parsed<'_>> {
    let open = body.find('(')?;
    let level = Level::parse(body[..open].trim_end())?;
    let close = body[open..].find(')')? + open;
    let inner = &body[open + 1..close];
    let mut names = Vec::new();
    let mut at = 0;
    for part in inner.split(',') {
        let lead = part.len() - part.trim_start().len();
        let name = part.trim();
        if !name.is_empty() {
            names.push((name, at + lead));
        }
        at += part.len() + 1;
    }
    Some((level, names, open + 1))
}

/// Read the `[lints]` table of a rule set's `because.toml`.
pub fn read_project(
    file: FileId,
    src: &crate::span::SourceFile,
    levels: &mut ProjectLevels,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let doc = match toml_edit::ImDocument::parse(src.text().to_string()) {
        Ok(d) => d,
        Err(e) => {
            let r = e.span().unwrap_or(0..0);
            diags.push(
                Diagnostic::error(
                    "E0121",
                    format!(
                        "invalid TOML: {}",
                        e.message().lines().next().unwrap_or("syntax error")
                    ),
                    src.span(file, r.start, r.end.max(r.start + 1)),
                )
                .with_label("here")
                .with_help(
                    "write `[lints]`, then one `name = \"allow\"` (or \"warn\", \"deny\") per line",
                ),
            );
            return diags;
        }
    };
    let span_of = |r: Option<std::ops::Range<usize>>| {
        let r = r.unwrap_or(0..0);
        src.span(file, r.start, r.end)
    };
    let Some(table) = doc.get("lints").and_then(|i| i.as_table_like()) else {
        return diags;
    };
    for (key, item) in table.iter() {
        let key_span = span_of(table.get_key_value(key).and_then(|(k, _)| k.span()));
        let Some(code) = lint_code(key) else {
            let names: Vec<&str> = LINTS.iter().map(|(_, n)| *n).collect();
            let help = crate::diag::suggest(key, names.iter().copied())
                .map_or("the lints are W0201 to W0211".to_string(), |s| {
                    format!("did you mean `{s}`?")
                });
            diags.push(
                Diagnostic::warning("W0209", format!("unknown lint `{key}`"), key_span)
                    .with_label("no such lint")
                    .with_help(help),
            );
            continue;
        };
        match item.as_str().and_then(Level::parse) {
            Some(l) => {
                levels.insert(code, l);
            }
            None => diags.push(
                Diagnostic::error(
                    "E0121",
                    format!("`{key}` needs a level"),
                    span_of(item.span()),
                )
                .with_label("not a level")
                .with_help("write \"allow\", \"warn\" or \"deny\""),
            ),
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_parse() {
        let (l, names, at) = parse("allow(unread-fact, W0201): kept for later").expect("parses");
        assert_eq!(l, Level::Allow);
        assert_eq!(names, vec![("unread-fact", 0), ("W0201", 13)]);
        assert_eq!(at, 6);
        assert!(parse("allowing this (sometimes)").is_none());
        assert!(parse("a plain comment").is_none());
        assert_eq!(lint_code("subsumed-rule"), Some("W0208"));
        assert_eq!(lint_code("w0205"), Some("W0205"));
    }
}
