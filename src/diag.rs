//! Diagnostics as plain data; `render` turns them into text or JSON at the edge.

use crate::span::{SourceMap, Span};
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
    for d in diags {
        match format {
            ErrorFormat::Json => {
                out.push_str(&serde_json::to_string(&to_wire(d, sources)).unwrap_or_default());
                out.push('\n');
            }
            ErrorFormat::Human | ErrorFormat::Plain => {
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
    let mut msg = lvl.title(&d.message).id(d.code);
    // Group labels per file: the primary span's file first.
    let mut snippets = Vec::new();
    if let Some(span) = d
        .span
        .filter(|s| sources.get(s.file).text.trim().is_empty())
    {
        // An empty file has no line to show: give the place as text.
        let file = sources.get(span.file);
        let mut out = renderer.render(msg).to_string();
        out.push_str(&format!("\n  --> {}:1:1", file.name));
        if let Some(h) = &d.help {
            out.push_str(&format!("\n   = help: {h}"));
        }
        return out;
    }
    if let Some(span) = d.span {
        let file = sources.get(span.file);
        let mut snip = Snippet::source(&file.text)
            .origin(&file.name)
            .line_start(1)
            .fold(true)
            .annotation(lvl.span(clamp(span.range(), &file.text)).label(&d.label));
        for l in d.secondary.iter().filter(|l| l.span.file == span.file) {
            snip = snip.annotation(
                Level::Warning
                    .span(clamp(l.span.range(), &file.text))
                    .label(&l.text),
            );
        }
        snippets.push(snip);
        let mut other_files: Vec<_> = d
            .secondary
            .iter()
            .filter(|l| l.span.file != span.file)
            .map(|l| l.span.file)
            .collect();
        other_files.dedup();
        for f in other_files {
            let file = sources.get(f);
            let mut snip = Snippet::source(&file.text)
                .origin(&file.name)
                .line_start(1)
                .fold(true);
            for l in d.secondary.iter().filter(|l| l.span.file == f) {
                snip = snip.annotation(
                    Level::Warning
                        .span(clamp(l.span.range(), &file.text))
                        .label(&l.text),
                );
            }
            snippets.push(snip);
        }
    }
    msg = msg.snippets(snippets);
    if let Some(h) = &d.help {
        msg = msg.footer(Level::Help.title(h));
    }
    let out = renderer.render(msg).to_string();
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
