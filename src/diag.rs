//! Diagnostics as plain data; `render` turns them into text or JSON at the edge.

use crate::span::{SourceFile, SourceMap, Span};
use annotate_snippets::{Level, Renderer, Snippet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A secondary place shown with a diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, documented in `docs/diagnostics.md`.
    pub code: &'static str,
    pub message: String,
    /// Where the problem is; `None` only for problems with no place (an unreadable path).
    pub span: Option<Span>,
    /// Text under the primary underline.
    pub label: String,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: Some(span),
            label: String::new(),
            secondary: Vec::new(),
            help: None,
        }
    }
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Self::error(code, message, span)
        }
    }
    /// A problem that has no place in a file (for example a path that cannot be read).
    pub fn without_span(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            span: None,
            ..Self::error(code, message, Span::default())
        }
    }
    pub fn with_label(mut self, text: impl Into<String>) -> Self {
        self.label = text.into();
        self
    }
    pub fn with_secondary(mut self, span: Span, text: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            text: text.into(),
        });
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// An integer literal past 64 bits (rule files and facts files share the wording).
    pub fn integer_too_large(code: &'static str, text: &str, span: Span) -> Self {
        Diagnostic::error(
            code,
            format!("integer `{text}` does not fit in 64 bits"),
            span,
        )
        .with_label("too large")
        .with_help(format!("integers range from {} to {}", i64::MIN, i64::MAX))
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sort by file, position, then code, so output order never depends on check order.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| d.span.map(|s| (s.file, s.start, s.end));
        key(a)
            .cmp(&key(b))
            .then(a.code.cmp(b.code))
            .then(a.message.cmp(&b.message))
    });
}

/// How diagnostics are printed (`--error-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// rustc-like, coloured on a terminal
    Human,
    /// rustc-like, never coloured
    Plain,
    /// one JSON object per line
    Json,
}

/// Render diagnostics in the given format. `color` applies to `Human` only.
pub fn render(
    diags: &[Diagnostic],
    sources: &SourceMap,
    format: ErrorFormat,
    color: bool,
) -> String {
    let mut out = String::new();
    let mut shown = 0;
    for d in diags {
        match format {
            ErrorFormat::Json => {
                out.push_str(&serde_json::to_string(&to_wire(d, sources)).unwrap_or_default());
                out.push('\n');
            }
            ErrorFormat::Human | ErrorFormat::Plain => {
                if shown == MAX_SHOWN {
                    let rest = diags.len() - MAX_SHOWN;
                    out.push_str(&format!(
                        "... and {rest} more (the first {MAX_SHOWN} are shown; `--error-format json` lists every one)\n\n"
                    ));
                }
                shown += 1;
                if shown > MAX_SHOWN {
                    continue;
                }
                out.push_str(&render_one(
                    d,
                    sources,
                    color && format == ErrorFormat::Human,
                ));
                out.push_str("\n\n");
            }
        }
    }
    if format != ErrorFormat::Json {
        let errors = diags.iter().filter(|d| d.is_error()).count();
        let warnings = diags.len() - errors;
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        match (errors, warnings) {
            (0, 0) => {}
            (e, 0) => out.push_str(&format!("{}\n", plural(e, "error"))),
            (0, w) => out.push_str(&format!("{}\n", plural(w, "warning"))),
            (e, w) => out.push_str(&format!(
                "{}, {}\n",
                plural(e, "error"),
                plural(w, "warning")
            )),
        }
    }
    out
}

fn level(s: Severity) -> Level {
    match s {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    }
}

fn render_one(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let lvl = level(d.severity);
    let title = escape_controls(&d.message);
    let help = d.help.as_deref().map(escape_controls);
    let mut msg = lvl.title(&title).id(d.code);
    // Group labels per file: the primary span's file first.
    let mut snippets = Vec::new();
    if let Some(span) = d.span.filter(|s| {
        let file = sources.get(s.file);
        file.text().trim().is_empty() && !file.changed()
    }) {
        // An empty file has no line to show: give the place as text.
        let file = sources.get(span.file);
        let mut out = renderer.render(msg).to_string();
        out.push_str(&format!("\n  --> {}:1:1", file.name));
        if let Some(h) = &help {
            out.push_str(&format!("\n   = help: {h}"));
        }
        return out;
    }
    // Each file's annotations (the primary file first), in clusters of nearby lines: a
    // snippet shows a window of the file around each cluster, never the whole file (with
    // thousands of diagnostics on one large file, passing the whole text to each was
    // quadratic).
    let mut labels: Vec<Ann<'_>> = Vec::new();
    if let Some(span) = d.span {
        labels.push(Ann {
            span,
            level: lvl,
            text: &d.label,
        });
        let mut files = vec![span.file];
        for l in &d.secondary {
            if !files.contains(&l.span.file) {
                files.push(l.span.file);
            }
        }
        for f in files {
            labels.extend(
                d.secondary
                    .iter()
                    .filter(|l| l.span.file == f)
                    .map(|l| Ann {
                        span: l.span,
                        level: Level::Warning,
                        text: &l.text,
                    }),
            );
        }
    }
    let windows = windows(&labels, d.span, sources);
    let texts: Vec<Vec<String>> = windows
        .iter()
        .map(|w| {
            w.anns
                .iter()
                .map(|a| escape_controls(a.text).into_owned())
                .collect()
        })
        .collect();
    for (w, texts) in windows.iter().zip(&texts) {
        let mut snip = Snippet::source(&w.text)
            .origin(&w.file.name)
            .line_start(w.first_line as usize)
            .fold(true);
        for (a, t) in w.anns.iter().zip(texts) {
            let r = a.span.start as usize..a.span.end as usize;
            snip = snip.annotation(a.level.span(clamp(r, &w.text)).label(t));
        }
        snippets.push(snip);
    }
    msg = msg.snippets(snippets);
    if let Some(h) = &help {
        msg = msg.footer(Level::Help.title(h));
    }
    // A file whose text was released and has changed on disk since: its lines show blank.
    let changed: std::collections::BTreeSet<String> = windows
        .iter()
        .filter(|w| w.file.changed())
        .map(|w| {
            format!(
                "`{}` changed since it was read: its lines are not shown",
                w.file.name
            )
        })
        .collect();
    for c in &changed {
        msg = msg.footer(Level::Note.title(c));
    }
    let out = renderer.render(msg).to_string();
    out
}

/// One annotation: where, how (the primary's level, or a secondary's), what it says.
#[derive(Clone, Copy)]
struct Ann<'a> {
    span: Span,
    level: Level,
    text: &'a str,
}

/// A window of one file's lines around a cluster of annotations, whose spans are relative to
/// the window.
struct Window<'a> {
    file: &'a SourceFile,
    first_line: u32,
    text: String,
    anns: Vec<Ann<'a>>,
}

/// The windows for a diagnostic's annotations: per file (in the order given), clusters of
/// annotations at most [`CLUSTER_GAP`] lines apart, the primary first in its cluster (the
/// renderer takes the snippet's place from the first annotation).
fn windows<'a>(
    labels: &[Ann<'a>],
    primary: Option<Span>,
    sources: &'a SourceMap,
) -> Vec<Window<'a>> {
    let mut files: Vec<crate::span::FileId> = Vec::new();
    for a in labels {
        if !files.contains(&a.span.file) {
            files.push(a.span.file);
        }
    }
    let mut out = Vec::new();
    for fid in files {
        let file = sources.get(fid);
        let mut mine: Vec<(u32, u32, Ann<'a>)> = labels
            .iter()
            .filter(|a| a.span.file == fid)
            .map(|&a| {
                let (first, _) = file.line_col(a.span.start as usize);
                let (last, _) = file.line_col(a.span.end as usize);
                (first, last.max(first), a)
            })
            .collect();
        mine.sort_by_key(|m| m.0);
        let mut clusters: Vec<(u32, u32, Vec<Ann<'a>>)> = Vec::new();
        for (first, last, a) in mine {
            match clusters.last_mut() {
                Some(c) if first <= c.1 + CLUSTER_GAP => {
                    c.1 = c.1.max(last);
                    c.2.push(a);
                }
                _ => clusters.push((first, last, vec![a])),
            }
        }
        for (first, last, mut anns) in clusters {
            if let Some(k) = anns.iter().position(|a| Some(a.span) == primary) {
                let p = anns.remove(k);
                anns.insert(0, p);
            }
            let range = file.lines_range(first, last);
            let text = &file.text()[range.clone()];
            for a in &mut anns {
                let r = clamp(a.span.range(), file.text());
                a.span.start = r.start.saturating_sub(range.start).min(text.len()) as u32;
                a.span.end = r.end.saturating_sub(range.start).min(text.len()) as u32;
            }
            out.push(Window {
                file,
                first_line: first,
                text: visible(text),
                anns,
            });
        }
    }
    out
}

/// Diagnostics rendered with their source text per report; the count says how many more.
pub const MAX_SHOWN: usize = 200;

/// Annotations this many lines apart or closer share one window of the file.
const CLUSTER_GAP: u32 = 50;

/// Control characters from the input, written so that they show instead of acting on the
/// terminal (an escape sequence in a JSON key would otherwise recolour or move the cursor).
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A window of source text with its control characters (but line ends and tabs) replaced by
/// `?`, one per byte, so that spans keep their offsets.
///
/// Built in one string, a character at a time: a string for each character made a
/// report on a 1.6 MB line (a facts file of one line, with a list of 200,000 repeated
/// answers) take 6 s for its 200 shown errors.
fn visible(text: &str) -> String {
    let hidden = |c: char| c.is_control() && !matches!(c, '\n' | '\t' | '\r');
    if !text.chars().any(hidden) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if hidden(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// Keep a range inside the text and on character boundaries; an empty range at the end of a
/// file still gets a visible mark.
fn clamp(r: std::ops::Range<usize>, text: &str) -> std::ops::Range<usize> {
    let fix = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (s, e) = (fix(r.start), fix(r.end));
    s..e.max(s)
}

/// The diagnostic's wire form (`--error-format json`, batch errors).
pub fn to_wire(d: &Diagnostic, sources: &SourceMap) -> crate::wire::Diagnostic {
    let s = d.span;
    let start = s.map(|s| sources.line_col(s));
    let end = s.map(|s| sources.end_line_col(s));
    crate::wire::Diagnostic {
        severity: match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        code: d.code,
        message: d.message.clone(),
        file: s.map(|s| sources.name(s.file).to_string()),
        line: start.map(|p| p.0),
        column: start.map(|p| p.1),
        end_line: end.map(|p| p.0),
        end_column: end.map(|p| p.1),
        byte_start: s.map(|s| s.start),
        byte_end: s.map(|s| s.end),
        label: d.label.clone(),
        help: d.help.clone(),
    }
}

/// "did you mean" for a misspelt name, by edit distance.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|&(d, c)| d <= (name.len().max(c.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A diagnostic on a file whose text was released shows the same lines as before (read
    /// again); once the file has changed, it shows the place with blank lines and says why.
    #[test]
    fn a_released_file_is_quoted_as_it_was_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("facts.rules");
        let text = "fact a(1)\nfact b(2)\nfact c(3)\n";
        std::fs::write(&path, text).unwrap();
        let mut sources = SourceMap::default();
        let file = sources.add_from_disk("facts.rules", path.clone(), text);
        let span = sources.get(file).span(file, 15, 16);
        let d = [
            Diagnostic::warning("W0205", "no condition reads `b/1`", span)
                .with_label("stated, but no rule reads it"),
        ];
        let before = render(&d, &sources, ErrorFormat::Plain, false);
        assert!(before.contains("2 | fact b(2)"), "{before}");
        assert!(before.contains("facts.rules:2:6"), "{before}");

        sources.release(0);
        assert_eq!(render(&d, &sources, ErrorFormat::Plain, false), before);

        let mut sources = SourceMap::default();
        let file = sources.add_from_disk("facts.rules", path.clone(), text);
        sources.release(0);
        std::fs::write(&path, text.replace('b', "x")).unwrap();
        let after = render(&d, &sources, ErrorFormat::Plain, false);
        assert!(sources.get(file).changed());
        assert!(after.contains("facts.rules:2:6"), "{after}");
        assert!(
            !after.contains("fact b") && !after.contains("fact x"),
            "{after}"
        );
        assert!(
            after.contains("note: `facts.rules` changed since it was read"),
            "{after}"
        );
    }
}
