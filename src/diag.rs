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
    /// Only on the summary of what a check found and did not keep (E0007, see
    /// [`MAX_KEPT`]): how many problems it stands for.
    pub omitted: Option<Box<Omitted>>,
}

/// Diagnostics one check keeps: the first errors by place, then warnings (see [`Bounded`]);
/// the others are counted, and one summary (E0007) says how many there were and where the
/// first was. Each diagnostic is a
/// few hundred bytes: a file of 500,000 copies of one broken rule gave 1.5 million of them,
/// 1.1 GB, where the first few show the mistake.
pub const MAX_KEPT: usize = 10_000;

/// The diagnostics a check keeps: [`MAX_KEPT`], or the number in `BECAUSE_MAX_DIAGNOSTICS`
/// (0 for no limit), read once a process.
pub fn max_kept() -> usize {
    static KEPT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *KEPT.get_or_init(|| {
        match std::env::var("BECAUSE_MAX_DIAGNOSTICS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
        {
            Some(0) => usize::MAX,
            Some(n) => n,
            None => MAX_KEPT,
        }
    })
}

/// Problems found and not kept (see [`MAX_KEPT`]), and where the first of them and the first
/// error among them are (in [`sort`]'s order; problems without a place have none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Omitted {
    pub errors: usize,
    pub warnings: usize,
    pub first: Option<Span>,
    pub first_error: Option<Span>,
}

impl Omitted {
    fn count(&mut self, d: &Diagnostic) {
        match d.severity {
            Severity::Error => {
                self.errors += 1;
                self.first_error = earlier(self.first_error, d.span);
            }
            Severity::Warning => self.warnings += 1,
        }
        self.first = earlier(self.first, d.span);
    }
    fn add(&mut self, other: Omitted) {
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.first = earlier(self.first, other.first);
        self.first_error = earlier(self.first_error, other.first_error);
    }
    fn is_empty(&self) -> bool {
        self.errors == 0 && self.warnings == 0
    }
}

/// The earlier of two places, in [`sort`]'s order (a missing one is no place).
fn earlier(a: Option<Span>, b: Option<Span>) -> Option<Span> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// How many errors and warnings `diags` stand for: each listed one, and those a summary
/// (E0007) counts, the summary itself not.
pub fn counts(diags: &[Diagnostic]) -> Omitted {
    let mut n = Omitted::default();
    for d in diags {
        match &d.omitted {
            Some(o) => n.add(**o),
            None => n.count(d),
        }
    }
    n
}

/// The errors of `diags`, a summary (E0007) among them counting only errors: what a
/// command that stops at errors shows (the warnings wait until the errors are fixed).
pub fn errors_only(diags: &[Diagnostic]) -> Vec<Diagnostic> {
    diags
        .iter()
        .filter_map(|d| match d.omitted.as_deref() {
            Some(o) if o.errors > 0 && o.warnings > 0 => Some(omitted_summary(
                max_kept(),
                Omitted {
                    warnings: 0,
                    first: o.first_error,
                    ..*o
                },
            )),
            Some(_) | None => d.is_error().then(|| d.clone()),
        })
        .collect()
}

/// "1 error", "2 errors".
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// E0007: the summary of `omitted` problems, after `kept`, at the first of them.
fn omitted_summary(kept: usize, omitted: Omitted) -> Diagnostic {
    let more = match (omitted.errors, omitted.warnings) {
        (e, 0) => plural(e, "more error"),
        (0, w) => plural(w, "more warning"),
        (e, w) => format!(
            "{} and {}",
            plural(e, "more error"),
            plural(w, "more warning")
        ),
    };
    let d = Diagnostic::error(
        "E0007",
        format!("more than {kept} problems: {more} not listed"),
        omitted.first.unwrap_or_default(),
    )
    .with_label("the first problem not listed")
    .with_help("fix the problems listed (often one mistake, repeated) and check again");
    Diagnostic {
        severity: if omitted.errors > 0 {
            Severity::Error
        } else {
            Severity::Warning
        },
        span: omitted.first,
        omitted: Some(Box::new(omitted)),
        ..d
    }
}

/// Collects diagnostics as they come, keeping at most [`max_kept`] and counting the others:
/// the first errors by place, then in the room left the first warnings (so that warnings
/// never crowd out an error: commands that stop at errors show only those); with
/// [`focused`](Bounded::focused) files, theirs before others' of the same severity. A summary (E0007)
/// added to it is counted, not kept; the result is in [`sort`]'s order and ends with one
/// summary of everything not kept. Duplicates are dropped among those kept and within a
/// batch (checks do not repeat each other's diagnostics; one check may repeat its own, for
/// an `or`'s alternatives). Each batch is held whole until it is added: the bound is on what
/// accumulates.
#[derive(Debug)]
pub struct Bounded {
    kept: Vec<Diagnostic>,
    limit: usize,
    omitted: Omitted,
    /// Files whose diagnostics are kept before others' of the same severity (the files
    /// open in an editor: thousands of errors in another file must not hide theirs).
    focus: Vec<crate::span::FileId>,
}

impl Default for Bounded {
    fn default() -> Self {
        Self::with_limit(max_kept())
    }
}

impl Bounded {
    /// Keeping at most `limit` diagnostics (the tests' small limits).
    pub fn with_limit(limit: usize) -> Self {
        Bounded {
            kept: Vec::new(),
            limit,
            omitted: Omitted::default(),
            focus: Vec::new(),
        }
    }

    /// Keeping the diagnostics of `files` before others of the same severity.
    pub fn focused(mut self, files: &[crate::span::FileId]) -> Self {
        self.focus = files.to_vec();
        self
    }

    pub fn add(&mut self, batch: impl IntoIterator<Item = Diagnostic>) {
        for d in batch {
            match d.omitted {
                Some(o) => self.omitted.add(*o),
                None => self.kept.push(d),
            }
        }
        if self.kept.len() > self.limit.max(1).saturating_mul(2) {
            self.trim();
        }
    }

    /// Sorted, without duplicates, and at most `limit` long: errors first (those of the
    /// focus files before others), then warnings (the same way), each kind by place.
    fn trim(&mut self) {
        self.kept.dedup();
        sort(&mut self.kept);
        self.kept.dedup();
        if self.kept.len() <= self.limit {
            return;
        }
        let focus = &self.focus;
        let rank = |d: &Diagnostic| {
            let elsewhere = !d.span.is_some_and(|s| focus.contains(&s.file));
            usize::from(!d.is_error()) * 2 + usize::from(elsewhere)
        };
        let mut count = [0usize; 4];
        for d in &self.kept {
            count[rank(d)] += 1;
        }
        // Each rank in turn takes what room is left.
        let mut room = self.limit;
        let quota = count.map(|n| {
            let q = n.min(room);
            room -= q;
            q
        });
        let mut seen = [0usize; 4];
        let omitted = &mut self.omitted;
        self.kept.retain(|d| {
            let r = rank(d);
            seen[r] += 1;
            let keep = seen[r] <= quota[r];
            if !keep {
                omitted.count(d);
            }
            keep
        });
    }

    /// The diagnostics kept, sorted, then the summary of the others if any.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.trim();
        if !self.omitted.is_empty() {
            self.kept.push(omitted_summary(self.limit, self.omitted));
        }
        self.kept
    }
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
            omitted: None,
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
    // A span orders by file, start, end; no place comes first.
    diags.sort_by(|a, b| {
        a.span
            .cmp(&b.span)
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
    if format == ErrorFormat::Json {
        for d in diags {
            out.push_str(&serde_json::to_string(&to_wire(d, sources)).unwrap_or_default());
            out.push('\n');
        }
        return out;
    }
    for d in diags.iter().take(MAX_SHOWN) {
        out.push_str(&render_one(
            d,
            sources,
            color && format == ErrorFormat::Human,
        ));
        out.push_str("\n\n");
    }
    // What is not shown: each diagnostic, and the problems each summary (E0007) counts.
    let hidden = diags.get(MAX_SHOWN..).unwrap_or_default();
    if !hidden.is_empty() {
        let rest: usize = hidden
            .iter()
            .map(|d| d.omitted.as_deref().map_or(1, |o| o.errors + o.warnings))
            .sum();
        let json = if diags.iter().any(|d| d.omitted.is_some()) {
            format!("lists the first {}", max_kept())
        } else {
            "lists every one".to_string()
        };
        out.push_str(&format!(
            "... and {rest} more (the first {MAX_SHOWN} are shown; `--error-format json` {json})\n\n"
        ));
    }
    let Omitted {
        errors, warnings, ..
    } = counts(diags);
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
    // A cut window's header is named by a placeholder, and given its file and true column
    // once rendered.
    let placeholders: Vec<String> = (0..windows.len())
        .map(|i| format!("\u{0}{i}\u{0}"))
        .collect();
    for ((w, texts), placeholder) in windows.iter().zip(&texts).zip(&placeholders) {
        let origin = match w.column {
            Some(_) => placeholder.as_str(),
            None => &*w.file.name,
        };
        let mut snip = Snippet::source(&w.text)
            .origin(origin)
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
    let mut out = renderer.render(msg).to_string();
    for (w, placeholder) in windows.iter().zip(&placeholders) {
        if let Some(column) = w.column {
            out = true_header(&out, placeholder, &w.file.name, column);
        }
    }
    out
}

/// `rendered` with the header `{placeholder}:{line}:{column}` written
/// `{name}:{line}:{true_column}` (the line is right: a cut keeps every line end). A header
/// without a place (the renderer gives none to a snippet without annotations) gets the name.
fn true_header(rendered: &str, placeholder: &str, name: &str, true_column: u32) -> String {
    let Some(at) = rendered.find(placeholder) else {
        return rendered.to_string();
    };
    let rest = &rendered[at + placeholder.len()..];
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let place = rest.strip_prefix(':').and_then(|r| {
        let line = &r[..digits(r)];
        let column = r[line.len()..].strip_prefix(':')?;
        (!line.is_empty() && digits(column) > 0).then(|| (line, &column[digits(column)..]))
    });
    match place {
        Some((line, after)) => format!("{}{name}:{line}:{true_column}{after}", &rendered[..at]),
        None => format!("{}{name}{rest}", &rendered[..at]),
    }
}

/// Lines longer than this are shown cut around their annotations (see [`cut_long_lines`]).
const LONG_LINE: usize = 4096;

#[cfg(not(test))]
fn long_line() -> usize {
    LONG_LINE
}

#[cfg(test)]
thread_local! {
    /// Tests render long lines whole too, to compare.
    static TEST_LONG_LINE: std::cell::Cell<usize> = const { std::cell::Cell::new(LONG_LINE) };
}

#[cfg(test)]
fn long_line() -> usize {
    TEST_LONG_LINE.with(|c| c.get())
}

/// How much of a cut line is kept on each side of an annotation's ends: more than the
/// renderer shows of a line (140 columns), so that the cut is seen only between annotations
/// too far apart to show at once.
const KEEP: usize = 512;

/// A window's text with each line longer than [`LONG_LINE`] cut down to the parts around its
/// annotations' ends (its first [`KEEP`] bytes when it has none), `...` where text was left
/// out, the annotations moved to match; `None` when no line is that long.
///
/// The renderer reads a snippet's whole text for each diagnostic: a facts file of one 16 MB
/// line with thousands of errors took 30 s for the 200 it shows.
fn cut_long_lines(text: &str, anns: &mut [Ann<'_>]) -> Option<String> {
    let long = long_line();
    if text.len() <= long || !text.split('\n').any(|l| l.len() > long) {
        return None;
    }
    let mut points: Vec<usize> = anns
        .iter()
        .flat_map(|a| [a.span.start as usize, a.span.end as usize])
        .collect();
    points.sort_unstable();
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ceil = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    // The parts kept, as (start in `text`, end, start in the cut text).
    let mut kept: Vec<(usize, usize, usize)> = Vec::new();
    let mut out = String::new();
    let mut line_start = 0;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i + 1);
        let body_end = if text.as_bytes()[line_end - 1] == b'\n' {
            line_end - 1
        } else {
            line_end
        };
        let mut parts: Vec<(usize, usize)> = Vec::new();
        if body_end - line_start <= long {
            parts.push((line_start, line_end));
        } else {
            let first = points.partition_point(|&p| p < line_start);
            let last = points.partition_point(|&p| p <= body_end);
            for &p in &points[first..last] {
                let (a, b) = (
                    floor(p.saturating_sub(KEEP).max(line_start)),
                    ceil((p + KEEP).min(body_end)),
                );
                match parts.last_mut() {
                    Some(part) if a <= part.1 => part.1 = part.1.max(b),
                    _ => parts.push((a, b)),
                }
            }
            if parts.is_empty() {
                parts.push((line_start, ceil(line_start + KEEP)));
            }
        }
        for (k, &(a, b)) in parts.iter().enumerate() {
            if k == 0 && a > line_start || k > 0 {
                out.push_str("...");
            }
            kept.push((a, b, out.len()));
            out.push_str(&text[a..b]);
        }
        if let Some(&(_, b)) = parts.last() {
            if b < body_end {
                out.push_str("...");
            }
            if b < line_end {
                out.push_str(&text[body_end..line_end]);
            }
        }
        line_start = line_end;
    }
    // Every annotation's ends are inside a kept part (each part is built around them).
    let moved = |p: usize| {
        let k = kept.partition_point(|&(_, b, _)| b < p).min(kept.len() - 1);
        let (a, b, at) = kept[k];
        (at + p.clamp(a, b) - a) as u32
    };
    for a in anns.iter_mut() {
        a.span.start = moved(a.span.start as usize);
        a.span.end = moved(a.span.end as usize);
    }
    Some(out)
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
    /// The column of the first annotation, when the window's lines were cut (see
    /// [`cut_long_lines`]) or its tabs widened (see [`expand_tabs`]): the renderer would
    /// count it from the text it is given.
    column: Option<u32>,
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
            // Where the renderer's header must place the window: its first annotation.
            let first_column = anns
                .first()
                .map_or(1, |a| file.line_col(a.span.start as usize).1);
            for a in &mut anns {
                let r = clamp(a.span.range(), file.text());
                a.span.start = r.start.saturating_sub(range.start).min(text.len()) as u32;
                a.span.end = r.end.saturating_sub(range.start).min(text.len()) as u32;
            }
            let (text, column) = match cut_long_lines(text, &mut anns) {
                Some(cut) => (cut, Some(first_column)),
                None => (text.to_string(), None),
            };
            // The renderer counts columns in the text it is given: a window with tabs
            // widened gets its true column too.
            let column = column.or_else(|| text.contains('\t').then_some(first_column));
            let text = expand_tabs(visible(&text), &mut anns);
            out.push(Window {
                file,
                first_line: first,
                text,
                anns,
                column,
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

/// How many columns a tab takes in a shown line (as rustc shows them).
const TAB_WIDTH: usize = 4;

/// A window's text with each tab written as [`TAB_WIDTH`] spaces, the annotations moved to
/// match. The renderer counts a tab as four columns in the line it shows but as none in the
/// line of marks under it, so the marks of a tab-indented line stood left of their text.
fn expand_tabs(text: String, anns: &mut [Ann<'_>]) -> String {
    if !text.contains('\t') {
        return text;
    }
    let tabs: Vec<usize> = text.match_indices('\t').map(|(i, _)| i).collect();
    // An offset moves by the room the tabs before it gained.
    let moved = |at: u32| {
        let before = tabs.partition_point(|&t| t < at as usize);
        at.saturating_add(u32::try_from((TAB_WIDTH - 1) * before).unwrap_or(u32::MAX))
    };
    for a in anns {
        a.span.start = moved(a.span.start);
        a.span.end = moved(a.span.end);
    }
    text.replace('\t', &" ".repeat(TAB_WIDTH))
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
    let chars = name.chars().count();
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .filter_map(|c| {
            let most = (name.len().max(c.len()) / 3).max(1);
            // The distance is at least the difference in length: most candidates are
            // ruled out before the distance is computed.
            if c.chars().count().abs_diff(chars) > most {
                return None;
            }
            let d = strsim::damerau_levenshtein(name, c);
            (d <= most).then_some((d, c))
        })
        .min()
        .map(|(_, c)| c)
}

/// Candidates compared in all by [`suggest_within`] before it stops suggesting.
pub const SUGGESTION_BUDGET: usize = 2_000_000;

/// [`suggest`] for one of many names against many candidates: `budget` is the comparisons
/// left (start from [`SUGGESTION_BUDGET`]); once it cannot pay for `candidates`, nothing is
/// suggested. 10,000 misspelt names among 10,000 defined took 29 s.
pub fn suggest_within<'a>(
    name: &str,
    candidates: &[&'a str],
    budget: &mut usize,
) -> Option<&'a str> {
    if *budget < candidates.len() {
        *budget = 0;
        return None;
    }
    *budget -= candidates.len();
    suggest(name, candidates.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: u32, code: &'static str, severity: Severity) -> Diagnostic {
        let span = Span {
            file: crate::span::FileId(0),
            start,
            end: start + 1,
        };
        Diagnostic {
            severity,
            ..Diagnostic::error(code, format!("problem at {start}"), span)
        }
    }

    /// Whatever order and batches diagnostics come in, the bound keeps the first errors by
    /// place (as sorting them all and cutting would), counts the others by severity, and
    /// ends with one summary that points at the first not kept; a duplicate in a batch
    /// counts once.
    #[test]
    fn a_bound_keeps_the_first_errors_by_place_and_counts_the_rest() {
        let all: Vec<Diagnostic> = (0..50u32)
            .map(|i| {
                let sev = if i % 3 == 0 {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                at((i * 37) % 50, "E0101", sev)
            })
            .collect();
        let mut sorted = all.clone();
        sort(&mut sorted);
        let first_errors: Vec<&Diagnostic> =
            sorted.iter().filter(|d| d.is_error()).take(4).collect();
        let rest: Vec<&Diagnostic> = sorted
            .iter()
            .filter(|d| !first_errors.contains(d))
            .collect();
        for batch in [1, 4, 7, 50] {
            let mut b = Bounded::with_limit(4);
            for chunk in all.chunks(batch) {
                // A check may repeat a diagnostic (an `or`'s alternatives).
                b.add(chunk.iter().chain(&chunk[..1]).cloned());
            }
            let out = b.finish();
            assert_eq!(
                out.iter().take(4).collect::<Vec<_>>(),
                first_errors,
                "batches of {batch}"
            );
            let summary = &out[4];
            assert_eq!(summary.code, "E0007");
            let o = summary.omitted.as_deref().copied().expect("counts");
            assert_eq!(o.errors, rest.iter().filter(|d| d.is_error()).count());
            assert_eq!(o.warnings, rest.len() - o.errors);
            assert_eq!(summary.span, rest[0].span);
            assert_eq!(
                o.first_error,
                rest.iter().find(|d| d.is_error()).and_then(|d| d.span)
            );
            assert_eq!(out.len(), 5);
        }
    }

    /// With focus files, the bound keeps their errors first, then others' errors, then
    /// their warnings, then others': each kind by place, whatever the batches.
    #[test]
    fn a_focused_bound_keeps_the_focus_files_first() {
        let in_file = |file: u32, start: u32, severity: Severity| {
            let mut d = at(start, "E0101", severity);
            d.span = d.span.map(|s| Span {
                file: crate::span::FileId(file),
                ..s
            });
            d
        };
        let mut all = Vec::new();
        for i in 0..20 {
            all.push(in_file(0, i, Severity::Error));
            all.push(in_file(0, 100 + i, Severity::Warning));
        }
        for i in 0..3 {
            all.push(in_file(1, i, Severity::Error));
            all.push(in_file(1, 100 + i, Severity::Warning));
        }
        let kept_of = |limit: usize, batch: usize| {
            let mut b = Bounded::with_limit(limit).focused(&[crate::span::FileId(1)]);
            for chunk in all.chunks(batch) {
                b.add(chunk.iter().cloned());
            }
            b.finish()
                .into_iter()
                .filter(|d| d.omitted.is_none())
                .map(|d| {
                    let s = d.span.expect("placed");
                    (s.file.0, s.start)
                })
                .collect::<Vec<_>>()
        };
        for batch in [1, 5, 46] {
            // The focus file's 3 errors, then the first 2 errors elsewhere (by place).
            assert_eq!(kept_of(5, batch), [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]);
            // Every error (23), then the focus file's warnings before others'.
            let kept = kept_of(25, batch);
            assert_eq!(kept.len(), 25);
            assert!(
                kept.contains(&(1, 100)) && kept.contains(&(1, 101)),
                "{kept:?}"
            );
            assert!(!kept.contains(&(0, 100)), "{kept:?}");
        }
    }

    /// Warnings before every error fill only the room the errors leave: a command that
    /// shows errors alone still shows every error, and no summary when only warnings were
    /// left out; a summary of both, shown errors-only, counts and points at errors.
    #[test]
    fn warnings_never_crowd_out_errors() {
        let mut b = Bounded::with_limit(5);
        b.add((0..10).map(|i| at(i, "W0201", Severity::Warning)));
        b.add([20, 21].map(|i| at(i, "E0101", Severity::Error)));
        let out = b.finish();
        let codes: Vec<_> = out.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            ["W0201", "W0201", "W0201", "E0101", "E0101", "E0007"]
        );
        assert_eq!(
            counts(&out),
            Omitted {
                errors: 2,
                warnings: 10,
                ..counts(&out)
            }
        );
        let errors: Vec<_> = errors_only(&out)
            .iter()
            .map(|d| d.span.map(|s| s.start))
            .collect();
        assert_eq!(errors, [Some(20), Some(21)]);

        let mut b = Bounded::with_limit(1);
        b.add([
            at(1, "W0201", Severity::Warning),
            at(5, "E0101", Severity::Error),
        ]);
        b.add([
            at(0, "W0201", Severity::Warning),
            at(7, "E0101", Severity::Error),
        ]);
        let only = errors_only(&b.finish());
        assert_eq!(only.len(), 2);
        let o = only[1].omitted.as_deref().copied().expect("a summary");
        assert_eq!((o.errors, o.warnings), (1, 0));
        assert_eq!(only[1].span.map(|s| s.start), Some(7));
        assert_eq!(
            only[1].message,
            "more than 10000 problems: 1 more error not listed"
        );
    }

    /// A summary added to a bound is counted, not kept (a file's syntax errors bounded in
    /// parsing, then the check's); under the limit nothing is summarised.
    #[test]
    fn summaries_add_up_and_nothing_is_summarised_under_the_limit() {
        let mut inner = Bounded::with_limit(2);
        inner.add((10..15).map(|i| at(i, "E0001", Severity::Error)));
        let mut outer = Bounded::with_limit(3);
        outer.add(inner.finish());
        outer.add([at(1, "W0201", Severity::Warning)]);
        let out = outer.finish();
        let codes: Vec<_> = out.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["W0201", "E0001", "E0001", "E0007"]);
        let o = out[3].omitted.as_deref().copied().expect("counts");
        assert_eq!((o.errors, o.warnings), (3, 0));
        assert_eq!(out[3].span.map(|s| s.start), Some(12));
        let mut sources = SourceMap::default();
        sources.add("t.rules", "fact a(1)\nfact b(2)\nfact c(3)\n");
        let text = render(&out, &sources, ErrorFormat::Plain, false);
        assert!(text.ends_with("5 errors, 1 warning\n"), "{text}");

        let mut b = Bounded::with_limit(3);
        b.add((0..3).map(|i| at(i, "E0001", Severity::Error)));
        assert!(b.finish().iter().all(|d| d.omitted.is_none()));
    }

    /// `d` rendered plain on `sources`, with long lines cut (as always) and whole.
    fn cut_and_whole(d: &Diagnostic, sources: &SourceMap) -> (String, String) {
        let cut = render(std::slice::from_ref(d), sources, ErrorFormat::Plain, false);
        TEST_LONG_LINE.with(|c| c.set(usize::MAX));
        let whole = render(std::slice::from_ref(d), sources, ErrorFormat::Plain, false);
        TEST_LONG_LINE.with(|c| c.set(LONG_LINE));
        (cut, whole)
    }

    /// On a line indented with tabs, and with tabs between its words, each mark stands under
    /// the text it marks (tabs shown four columns wide, in the line and under it), on short
    /// lines and on lines cut for length; the header's column counts a tab as one.
    #[test]
    fn marks_stand_under_their_text_on_tab_indented_lines() {
        let short = "rule r\n\t\twhen\tfoo(X) and bar(X)\n\tthen baz(X)\n".to_string();
        let long = format!("\t\twhen\tfoo(X) and {}bar(X)\n", "x(X) and ".repeat(600));
        for text in [short, long] {
            let mut sources = SourceMap::default();
            let file = sources.add("t.rules", text.as_str());
            let f = sources.get(file);
            for word in ["foo", "bar"] {
                let at = text.find(word).expect("the word is in the text");
                let span = f.span(file, at, at + word.len());
                let d = Diagnostic::error("E0101", "undefined", span).with_label("here");
                let out = render(
                    std::slice::from_ref(&d),
                    &sources,
                    ErrorFormat::Plain,
                    false,
                );
                let lines: Vec<&str> = out.lines().collect();
                let shown = lines
                    .iter()
                    .position(|l| l.contains(&format!("{word}(X)")) && l.contains(" | "))
                    .unwrap_or_else(|| panic!("the line is shown:\n{out}"));
                assert!(!lines[shown].contains('\t'), "{out}");
                let col = lines[shown].find(&format!("{word}(X)")).expect("shown");
                let marks = lines[shown + 1];
                assert_eq!(marks.find('^'), Some(col), "{out}");
                assert_eq!(marks[col..].find(' '), Some(word.len()), "{out}");
                let (l, c) = sources.line_col(span);
                assert!(out.contains(&format!("--> t.rules:{l}:{c}\n")), "{out}");
            }
        }
    }

    /// On a line too long to give the renderer whole, a report shows what it would show of
    /// the whole line, byte for byte, with the header's column counted on the whole line:
    /// at its start, middle and end, after characters of several bytes, after control
    /// characters, and on a line between shorter ones.
    #[test]
    fn a_report_on_a_long_line_reads_as_if_the_line_were_whole() {
        let line = |unit: &str, n: usize| unit.repeat(n);
        let texts = [
            line("\"auth\", ", 3000),
            line("\"é€𝄞\", ", 3000),
            line("\"a\u{1b}[2J\", ", 3000),
            format!("fact a(1)\n{}\nfact b(2)\n", line("x, ", 9000)),
        ];
        for text in &texts {
            let mut sources = SourceMap::default();
            let file = sources.add("long.json", text.as_str());
            let f = sources.get(file);
            let starts: Vec<usize> = [0, 1, 10, 4000, 13000, text.len() / 2, text.len() - 9]
                .into_iter()
                .map(|mut i| {
                    while !text.is_char_boundary(i) {
                        i += 1;
                    }
                    i
                })
                .collect();
            for &start in &starts {
                let mut end = start + 5;
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                let d = Diagnostic::error("E0306", "given twice", f.span(file, start, end))
                    .with_label("repeated");
                let (cut, whole) = cut_and_whole(&d, &sources);
                assert_eq!(cut, whole, "at {start}");
                let (l, c) = sources.line_col(f.span(file, start, end));
                assert!(cut.contains(&format!("--> long.json:{l}:{c}\n")), "{cut}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// Whatever the lines (long and short, characters of one to four bytes, control
        /// characters, blanks) and wherever a diagnostic's primary and secondary labels
        /// fall, a report with long lines cut renders, names the primary's line and column
        /// as the whole line would, and shows every label the whole line shows.
        #[test]
        fn reports_on_cut_lines_place_every_label(
            lines in proptest::collection::vec(
                (1usize..9000, proptest::sample::select(vec!["a", " ", "é", "€", "𝄞", "\u{1b}", "\t", "\"x\", "])),
                1..4,
            ),
            marks in proptest::collection::vec((0.0f64..1.0, 0usize..40), 1..4),
        ) {
            let text: String = lines
                .iter()
                .map(|&(n, unit)| format!("{}\n", unit.repeat(n / unit.len().max(1) + 1)))
                .collect();
            let mut sources = SourceMap::default();
            let file = sources.add("f.json", text.as_str());
            let f = sources.get(file);
            let at = |x: f64| {
                let mut i = (x * text.len() as f64) as usize;
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let spans: Vec<Span> = marks
                .iter()
                .map(|&(x, len)| {
                    let a = at(x);
                    let mut b = (a + len).min(text.len());
                    while !text.is_char_boundary(b) {
                        b -= 1;
                    }
                    f.span(file, a, b.max(a))
                })
                .collect();
            let mut d = Diagnostic::error("E0306", "given twice", spans[0]).with_label("label0");
            for (k, s) in spans.iter().enumerate().skip(1) {
                d = d.with_secondary(*s, format!("label{k}"));
            }
            let (cut, whole) = cut_and_whole(&d, &sources);
            let header = |r: &str| r.lines().nth(1).map(str::to_string);
            proptest::prop_assert_eq!(header(&cut), header(&whole));
            for k in 0..spans.len() {
                let label = format!("label{k}");
                // (The renderer drops some labels on a whole line of blanks; not on a cut one.)
                proptest::prop_assert!(cut.contains(&label) || !whole.contains(&label), "{}", label);
            }
        }
    }

    proptest::proptest! {
        /// Ruling candidates out by length first suggests what comparing every candidate
        /// suggested.
        #[test]
        fn suggestions_are_those_of_every_comparison(
            name in "[a-cé_]{0,9}",
            candidates in proptest::collection::vec("[a-cé_]{0,12}", 0..12),
        ) {
            let every = candidates
                .iter()
                .map(String::as_str)
                .filter(|c| *c != name)
                .map(|c| (strsim::damerau_levenshtein(&name, c), c))
                .filter(|&(d, c)| d <= (name.len().max(c.len()) / 3).max(1))
                .min()
                .map(|(_, c)| c);
            proptest::prop_assert_eq!(suggest(&name, candidates.iter().map(String::as_str)), every);
        }
    }

    /// Suggestions among many names stop once their comparisons would pass the budget.
    #[test]
    fn suggestions_stop_at_the_budget() {
        let known = ["language", "framework", "database"];
        let mut budget = 7;
        assert_eq!(
            suggest_within("langauge", &known, &mut budget),
            Some("language")
        );
        assert_eq!(budget, 4);
        assert_eq!(
            suggest_within("framwork", &known, &mut budget),
            Some("framework")
        );
        assert_eq!(budget, 1);
        assert_eq!(suggest_within("databse", &known, &mut budget), None);
        assert_eq!(budget, 0);
    }

    /// A cut window's header gets its file and true column, and nothing else changes; a
    /// header without a place gets the file alone.
    #[test]
    fn a_placeholder_header_gets_the_file_and_true_column() {
        let p = "\u{0}0\u{0}";
        assert_eq!(
            true_header(
                &format!("error\n --> {p}:1:513\n  |\n1 | x"),
                p,
                "big.json",
                1_000_021
            ),
            "error\n --> big.json:1:1000021\n  |\n1 | x"
        );
        assert_eq!(
            true_header(&format!(" --> {p}\n  |"), p, "f.json", 9),
            " --> f.json\n  |"
        );
        assert_eq!(true_header("no header", p, "f.json", 9), "no header");
    }

    /// Annotations too far apart on one long line to be shown at once: the report shows
    /// each with the text around it, `...` between, and places the primary.
    #[test]
    fn annotations_far_apart_on_a_long_line_are_shown_apart() {
        let text = format!(
            "{}HERE{}THERE{}",
            "a".repeat(100),
            "b".repeat(20_000),
            "c".repeat(50)
        );
        let mut sources = SourceMap::default();
        let file = sources.add("long.json", text.as_str());
        let f = sources.get(file);
        let there = text.find("THERE").unwrap();
        let d = Diagnostic::error("E0306", "given twice", f.span(file, there, there + 5))
            .with_label("again here")
            .with_secondary(f.span(file, 100, 104), "first here");
        let cut = render(&[d], &sources, ErrorFormat::Plain, false);
        assert!(
            cut.contains(&format!("--> long.json:1:{}\n", there + 1)),
            "{cut}"
        );
        assert!(cut.contains("HERE") && cut.contains("THERE"), "{cut}");
        assert!(cut.contains("b..."), "{cut}");
        assert!(
            cut.contains("first here") && cut.contains("again here"),
            "{cut}"
        );
        assert!(cut.len() < 6 * KEEP, "{} bytes:\n{cut}", cut.len());
    }

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
