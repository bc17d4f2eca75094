//! Source files and spans: every AST node points back into a named file.

use std::fmt;
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct FileId(pub u32);

/// A byte range in one file. Line and column are computed when shown
/// ([`SourceMap::line_col`]): spans sit on every AST node, and large files hold millions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span covering `self` through `other` (same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            end: other.end,
            ..self
        }
    }
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}..{}", self.start, self.end)
    }
}

/// A value with the place it came from. Equality ignores the span.
#[derive(Clone)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)?;
        self.span.fmt(f)
    }
}

/// One loaded file: its name as shown to users, its text, and where its lines start.
#[derive(Debug)]
pub struct SourceFile {
    pub name: Arc<str>,
    /// The text (an `Arc<String>`, not `Arc<str>`: a file read into a `String` becomes the
    /// source's text without being copied, 78 MB for W3's largest facts file).
    pub text: Arc<String>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(name: Arc<str>, text: impl Into<String>) -> Self {
        let text = Arc::new(text.into());
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        SourceFile {
            name,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = self.line_starts[line] as usize;
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line as u32 + 1, col as u32 + 1)
    }

    /// The byte range of 1-based lines `first..=last`, line ends included.
    pub fn lines_range(&self, first: u32, last: u32) -> std::ops::Range<usize> {
        let n = self.line_starts.len();
        let a = (first as usize).saturating_sub(1).min(n - 1);
        let b = (last as usize).max(first as usize).min(n);
        let start = self.line_starts[a] as usize;
        let end = self
            .line_starts
            .get(b)
            .map_or(self.text.len(), |&e| e as usize);
        start..end
    }

    /// The text of a 1-based line, without its line end.
    pub fn line_text(&self, line: u32) -> &str {
        let i = (line as usize)
            .saturating_sub(1)
            .min(self.line_starts.len() - 1);
        let start = self.line_starts[i] as usize;
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |&e| e as usize);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn span(&self, file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }
}

/// All files of a program (and of facts files), so spans can be shown with their text.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: &str, text: impl Into<String>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(name.into(), text.into()));
        id
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    pub fn name(&self, id: FileId) -> &str {
        &self.get(id).name
    }
    /// 1-based line and column (in characters) where a span starts.
    pub fn line_col(&self, span: Span) -> (u32, u32) {
        self.get(span.file).line_col(span.start as usize)
    }
    /// 1-based line and column where a span ends.
    pub fn end_line_col(&self, span: Span) -> (u32, u32) {
        self.get(span.file).line_col(span.end as usize)
    }
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}
