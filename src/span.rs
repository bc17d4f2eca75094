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

/// Spans in 6 bytes each instead of 12, for lists of millions (a large file's stated facts):
/// each one's start and length, with the file once per run of spans in the same file. A
/// span 64 KiB long or more is kept whole beside them.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpanList {
    starts: Vec<u32>,
    /// The length, or `u16::MAX` for a span kept in `long`.
    lens: Vec<u16>,
    /// (first span, file) of each run of spans in one file.
    files: Vec<(u32, FileId)>,
    /// (span number, span) of the long ones, by number.
    long: Vec<(u32, Span)>,
}

impl SpanList {
    pub fn len(&self) -> usize {
        self.starts.len()
    }
    pub fn reserve_exact(&mut self, n: usize) {
        self.starts.reserve_exact(n);
        self.lens.reserve_exact(n);
    }
    pub fn push(&mut self, span: Span) {
        let i = self.starts.len() as u32;
        if self.files.last().is_none_or(|&(_, f)| f != span.file) {
            self.files.push((i, span.file));
        }
        self.starts.push(span.start);
        match u16::try_from(span.end.wrapping_sub(span.start)) {
            Ok(len) if len < u16::MAX && span.end >= span.start => self.lens.push(len),
            _ => {
                self.lens.push(u16::MAX);
                self.long.push((i, span));
            }
        }
    }
    /// Span `i`, if there are that many.
    pub fn get(&self, i: usize) -> Option<Span> {
        let start = *self.starts.get(i)?;
        let len = self.lens[i];
        if len == u16::MAX {
            let k = self
                .long
                .binary_search_by_key(&(i as u32), |&(j, _)| j)
                .ok()?;
            return Some(self.long[k].1);
        }
        let run = self
            .files
            .partition_point(|&(first, _)| first as usize <= i)
            - 1;
        Some(Span {
            file: self.files[run].1,
            start,
            end: start + u32::from(len),
        })
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
    /// source's text without being copied, 78 MB for W3's largest facts file). Empty once
    /// released ([`SourceFile::release_text`]) until first asked for again.
    text: std::sync::OnceLock<Arc<String>>,
    /// Where a file read from disk can be read again, and what it held.
    disk: Option<OnDisk>,
    /// Where each line starts, found when first asked for: a query that places nothing in
    /// its files never reads them (W3's 3.2 million lines: 13 MB).
    line_starts: std::sync::OnceLock<Vec<u32>>,
    /// Set when a released text could not be read back as it was.
    changed: std::sync::atomic::AtomicBool,
    /// Whether the text is all ASCII (then a column is a count of bytes), found when first
    /// asked for.
    ascii: std::sync::OnceLock<bool>,
    /// For a text that is not all ASCII: the characters before each [`CHAR_BLOCK`] bytes,
    /// found when a column is first asked for, so that a column is found in at most a
    /// block's bytes (counted from the line's start, a report on a long line of a minified
    /// JSON file was quadratic).
    char_blocks: std::sync::OnceLock<Vec<u32>>,
}

/// See `SourceFile::char_blocks`.
const CHAR_BLOCK: usize = 4096;

/// The characters that start in `bytes` (the bytes that do not continue one).
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// A file's path and, once its text is released, what the text was: its length and a hash.
#[derive(Debug)]
struct OnDisk {
    path: std::path::PathBuf,
    held: Option<Held>,
}

#[derive(Debug, Clone, Copy)]
struct Held {
    len: usize,
    hash: u64,
}

fn text_hash(text: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x6265_6361_7573_6521).hash_one(text.as_bytes())
}

/// The text of the file at `path` if it is still what was held: the same length and hash,
/// after a byte-order mark (which loading drops). Reads no more than that length, so a file
/// grown huge or turned into a device is not read whole.
fn read_back(path: &std::path::Path, held: &Held) -> Option<String> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(held.len + 4);
    std::fs::File::open(path)
        .ok()?
        .take(held.len as u64 + 4)
        .read_to_end(&mut bytes)
        .ok()?;
    let text = without_bom(String::from_utf8(bytes).ok()?);
    (text.len() == held.len && text_hash(&text) == held.hash).then_some(text)
}

/// `text` without a leading byte-order mark: loading a file drops it (so places count from
/// the first character), and so must reading it back.
pub(crate) fn without_bom(mut text: String) -> String {
    if text.starts_with('\u{FEFF}') {
        text.replace_range(..3, "");
    }
    text
}

impl SourceFile {
    pub fn new(name: Arc<str>, text: impl Into<String>) -> Self {
        SourceFile {
            name,
            text: std::sync::OnceLock::from(Arc::new(text.into())),
            disk: None,
            line_starts: std::sync::OnceLock::new(),
            changed: std::sync::atomic::AtomicBool::new(false),
            ascii: std::sync::OnceLock::new(),
            char_blocks: std::sync::OnceLock::new(),
        }
    }

    /// A file read from `path`: its text can be released and read again when needed.
    pub fn from_disk(name: Arc<str>, path: std::path::PathBuf, text: impl Into<String>) -> Self {
        SourceFile {
            disk: Some(OnDisk { path, held: None }),
            ..Self::new(name, text)
        }
    }

    /// The file's text. A released text is read again from disk the first time it is asked
    /// for; if the file changed since (another length or hash) or cannot be read, the text
    /// is blank, line for line, and [`SourceFile::changed`] says so.
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| Arc::new(self.read_again()))
    }

    /// True if the text was released and the file on disk no longer holds it (it reads as
    /// blank lines). Reads a released text again to know.
    pub fn changed(&self) -> bool {
        self.text();
        self.changed.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn read_again(&self) -> String {
        let Some(OnDisk {
            path,
            held: Some(held),
        }) = &self.disk
        else {
            return String::new();
        };
        if let Some(text) = read_back(path, held) {
            return text;
        }
        self.changed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        // Blank, with the line breaks where they were: every place still falls on its line,
        // and nothing is quoted that the file no longer says.
        let mut blank = vec![b' '; held.len];
        for &s in &self.line_starts()[1..] {
            blank[s as usize - 1] = b'\n';
        }
        String::from_utf8(blank).unwrap_or_default()
    }

    /// Drop the text of a file read from disk (it is read again if asked for), keeping where
    /// its lines start so that every place is still found without it. Returns the bytes
    /// freed. Only an all-ASCII text read from a regular file is released: a column is then
    /// a count of bytes, so no place ever needs the text, and the file can be read again (a
    /// pipe cannot). Others keep their text.
    pub fn release_text(&mut self) -> usize {
        let Some(disk) = &self.disk else { return 0 };
        let Some(text) = self.text.get() else {
            return 0;
        };
        if !self.ascii() || !std::fs::metadata(&disk.path).is_ok_and(|m| m.is_file()) {
            return 0;
        }
        // On this thread: a second one's allocator would keep 60 MB more of W3 for the run.
        self.line_starts();
        let held = Held {
            len: text.len(),
            hash: text_hash(text),
        };
        let len = text.len();
        self.disk = Some(OnDisk {
            path: disk.path.clone(),
            held: Some(held),
        });
        self.text = std::sync::OnceLock::new();
        len
    }

    /// The text's length in bytes, without reading a released text again.
    pub fn byte_len(&self) -> usize {
        self.len()
    }

    /// The text's length, without reading a released text again.
    fn len(&self) -> usize {
        match (&self.text.get(), &self.disk) {
            (Some(t), _) => t.len(),
            (None, Some(OnDisk { held: Some(h), .. })) => h.len,
            _ => 0,
        }
    }

    fn ascii(&self) -> bool {
        *self.ascii.get_or_init(|| self.text().is_ascii())
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts
            .get_or_init(|| crate::bytemask::line_starts(self.text().as_bytes()))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.len());
        let line_starts = self.line_starts();
        let line = line_starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = line_starts[line] as usize;
        // A released text is all ASCII: it is not read again to place something.
        let col = if self.ascii()
            || !self.text().is_char_boundary(start)
            || !self.text().is_char_boundary(offset)
        {
            offset - start
        } else {
            self.chars_before(offset) - self.chars_before(start)
        };
        (line as u32 + 1, col as u32 + 1)
    }

    /// The 0-based line of byte `offset` and the offset where that line starts, found in
    /// the line starts known once (a search, not a count of the lines before).
    pub fn line_and_start(&self, offset: usize) -> (u32, usize) {
        let offset = offset.min(self.len());
        let line_starts = self.line_starts();
        let line = line_starts.partition_point(|&s| s as usize <= offset) - 1;
        (line as u32, line_starts[line] as usize)
    }

    /// The characters before byte `offset` of a text that is not all ASCII.
    fn chars_before(&self, offset: usize) -> usize {
        let bytes = self.text().as_bytes();
        let blocks = self.char_blocks.get_or_init(|| {
            let mut before = 0;
            let mut blocks = vec![0];
            for block in bytes.chunks(CHAR_BLOCK) {
                before += char_starts(block) as u32;
                blocks.push(before);
            }
            blocks
        });
        let k = offset / CHAR_BLOCK;
        blocks[k] as usize + char_starts(&bytes[k * CHAR_BLOCK..offset])
    }

    /// The byte range of 1-based lines `first..=last`, line ends included.
    pub fn lines_range(&self, first: u32, last: u32) -> std::ops::Range<usize> {
        let line_starts = self.line_starts();
        let n = line_starts.len();
        let a = (first as usize).saturating_sub(1).min(n - 1);
        let b = (last as usize).max(first as usize).min(n);
        let start = line_starts[a] as usize;
        let end = line_starts.get(b).map_or(self.len(), |&e| e as usize);
        start..end
    }

    /// The text of a 1-based line, without its line end.
    pub fn line_text(&self, line: u32) -> &str {
        let line_starts = self.line_starts();
        let i = (line as usize).saturating_sub(1).min(line_starts.len() - 1);
        let start = line_starts[i] as usize;
        let end = line_starts.get(i + 1).map_or(self.len(), |&e| e as usize);
        self.text()[start..end].trim_end_matches(['\n', '\r'])
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
        self.push(SourceFile::new(name.into(), text.into()))
    }
    /// Add a file read from `path` (its text can be released, see [`SourceMap::release`]).
    pub fn add_from_disk(
        &mut self,
        name: &str,
        path: std::path::PathBuf,
        text: impl Into<String>,
    ) -> FileId {
        self.push(SourceFile::from_disk(name.into(), path, text.into()))
    }
    fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(file);
        id
    }
    /// Release the text of every file of at least `min_bytes` that
    /// [`SourceFile::release_text`] can release (all ASCII, read from a regular file); it is
    /// read again if a diagnostic or an explanation quotes it. Returns the bytes freed.
    pub fn release(&mut self, min_bytes: usize) -> usize {
        self.files
            .iter_mut()
            .filter(|f| f.len() >= min_bytes)
            .map(SourceFile::release_text)
            .sum()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A file finds its lines when first asked where something is, not when loaded, and
    /// places offsets as before: lines from 1, columns in characters.
    #[test]
    fn a_file_finds_its_lines_when_first_asked() {
        let f = SourceFile::new("f.rules".into(), "fact a(1)\nfact é(2)\n\nfact c(3)");
        assert!(f.line_starts.get().is_none());
        assert_eq!(f.line_col(0), (1, 1));
        // `é` is two bytes and one column.
        assert_eq!(f.line_col(15), (2, 6));
        assert_eq!(f.line_col(17), (2, 7));
        assert_eq!(f.line_col(21), (3, 1));
        assert_eq!(f.line_col(22), (4, 1));
        assert_eq!(f.line_text(4), "fact c(3)");
        assert_eq!(f.lines_range(2, 3), 10..22);
        assert_eq!(f.line_starts.get().map(Vec::len), Some(4));
    }

    /// In a text that is not all ASCII, a column counts characters from the line's start
    /// wherever the line crosses the blocks whose characters are counted ahead: lines shorter
    /// and far longer than a block, characters of one to four bytes, and every offset, in
    /// the middle of a character too (where a column counts bytes, as before).
    #[test]
    fn columns_count_characters_across_blocks() {
        let mut text = String::new();
        for i in 0..3 * CHAR_BLOCK {
            text.push(match i % 7 {
                0 => 'é',
                1 => '€',
                2 => '𝄞',
                _ if i % 997 == 0 || (i > CHAR_BLOCK && i % 31 == 0 && i < CHAR_BLOCK + 200) => {
                    '\n'
                }
                _ => 'a',
            });
        }
        let f = SourceFile::new("f.json".into(), text.clone());
        let mut line_start = 0;
        let mut line = 1;
        for offset in 0..=text.len() {
            let expected = match text.get(line_start..offset) {
                Some(s) => s.chars().count(),
                None => offset - line_start,
            };
            assert_eq!(
                f.line_col(offset),
                (line, expected as u32 + 1),
                "at {offset}"
            );
            if text.as_bytes().get(offset) == Some(&b'\n') {
                line_start = offset + 1;
                line += 1;
            }
        }
    }

    /// A released text is read again when asked for, and places are found without it; a
    /// file changed since, or gone, reads as blank lines, every place still on its line.
    /// Only all-ASCII text from a regular file is released; a byte-order mark, which loading
    /// drops, is no change.
    #[test]
    fn a_released_text_is_read_again_or_blank_if_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.rules");
        let text = "fact a(1)\nfact b(2)\n";
        std::fs::write(&path, text).unwrap();
        let mut map = SourceMap::default();
        let given = map.add("given.rules", text);
        let read = map.add_from_disk("f.rules", path.clone(), text);
        // Only files read from disk, and only those large enough.
        assert_eq!(map.release(text.len() + 1), 0);
        assert_eq!(map.release(text.len()), text.len());
        assert_eq!(map.get(given).text(), text);
        let f = map.get(read);
        assert!(f.text.get().is_none());
        // Places are found with the text still released.
        assert_eq!(f.line_col(15), (2, 6));
        assert_eq!(f.lines_range(2, 2), 10..20);
        assert!(f.text.get().is_none());
        assert_eq!(f.line_text(2), "fact b(2)");
        assert_eq!(f.text(), text);
        assert!(!f.changed());

        // Same length, other bytes: changed, read as blank lines.
        let mut map = SourceMap::default();
        let read = map.add_from_disk("f.rules", path.clone(), text);
        map.release(0);
        std::fs::write(&path, "fact x(1)\nfact y(2)\n").unwrap();
        let f = map.get(read);
        assert_eq!(f.line_text(2), "         ");
        assert_eq!(f.text(), "         \n         \n");
        assert!(f.changed());
        assert_eq!(f.line_col(15), (2, 6));

        // Gone: the same.
        let mut map = SourceMap::default();
        let read = map.add_from_disk("f.rules", path.clone(), text);
        map.release(0);
        std::fs::remove_file(&path).unwrap();
        assert!(map.get(read).changed());
        assert_eq!(map.get(read).line_text(1), "         ");

        // A byte-order mark, dropped when loaded, is read back as the same text.
        std::fs::write(&path, format!("\u{FEFF}{text}")).unwrap();
        let mut map = SourceMap::default();
        let read = map.add_from_disk("f.rules", path.clone(), text);
        assert_eq!(map.release(0), text.len());
        assert_eq!(map.get(read).text(), text);
        assert!(!map.get(read).changed());

        // Not ASCII (a column counts characters, so needs the text): kept.
        let wide = "fact a(1)\nfact é(2)\n";
        std::fs::write(&path, wide).unwrap();
        let mut map = SourceMap::default();
        let read = map.add_from_disk("f.rules", path.clone(), wide);
        assert_eq!(map.release(0), 0);
        assert_eq!(map.get(read).line_col(17), (2, 7));

        // Not a regular file (it could not be read again): kept.
        #[cfg(unix)]
        {
            let link = dir.path().join("null.rules");
            std::os::unix::fs::symlink("/dev/null", &link).unwrap();
            let mut map = SourceMap::default();
            map.add_from_disk("null.rules", link, text);
            assert_eq!(map.release(0), 0);
        }
    }

    /// A span list gives back every span: across files, back to an earlier file, empty,
    /// and 64 KiB long or more (kept whole).
    #[test]
    fn a_span_list_gives_back_each_span() {
        let at = |file: u32, start: u32, end: u32| Span {
            file: FileId(file),
            start,
            end,
        };
        let spans = [
            at(0, 0, 10),
            at(0, 11, 11),
            at(1, 5, 5 + 0xFFFE),
            at(1, 7, 7 + 0xFFFF),
            at(1, 9, 9 + 0x1_0000),
            at(0, 40, 45),
            at(2, u32::MAX - 3, u32::MAX),
        ];
        let mut list = SpanList::default();
        for s in spans {
            list.push(s);
        }
        assert_eq!(list.len(), spans.len());
        let back: Vec<Span> = (0..spans.len()).filter_map(|i| list.get(i)).collect();
        assert_eq!(back, spans);
        assert_eq!(list.get(spans.len()), None);
        assert_eq!(list.long.len(), 2);
        assert_eq!(list.files.len(), 4);
    }
}
