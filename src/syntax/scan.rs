//! The first look at a rule file, without pest: comments, the places where items start
//! (outside strings, comments and brackets), and nesting deeper than [`MAX_NESTING`]
//! rejected before the recursive-descent parser could overflow its stack.

use super::MAX_NESTING;
use crate::ast::Comment;
use crate::bytemask::{is_ident, Block, BLOCK};
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile, Spanned};

/// What [`scan`] finds.
pub(super) struct Scanned {
    pub comments: Vec<Spanned<Comment>>,
    /// Where each top-level item keyword (`rule`, `fact`, `question`, `output`, and `name`
    /// and `threshold` where they start an item) starts: 4 bytes each, as a span's places
    /// (W3's facts file has 3.2 million items).
    pub starts: Vec<u32>,
    pub diags: Vec<Diagnostic>,
}

/// The first letters of the item keywords, where a word starts with one of them.
const KEYWORD_STARTS: &[u8] = b"rfqonta";
/// Quotes, comments and brackets, wherever they are.
const STRUCTURE: &[u8] = b"\"#()[]";

/// The places [`scan_part`] looks at, found a block of 64 bytes at a time
/// (see [`crate::bytemask`]): quotes, comment signs and brackets, and the words that start
/// with the first letter of an item keyword. Nothing else starts anything the scan looks for
/// (a keyword counts only after a character that is no identifier's), and most of a large
/// facts file is neither: `fact language(17, 3)` has three places, where a byte at a time
/// stopped at eight and tested every byte between.
struct Stops<'a> {
    bytes: &'a [u8],
    /// The block `mask` is of, or `usize::MAX` before the first.
    base: usize,
    mask: u64,
}

impl<'a> Stops<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Stops {
            bytes,
            base: usize::MAX,
            mask: 0,
        }
    }

    /// The first place at or after `i`, if any before the text's end.
    #[inline]
    fn next(&mut self, i: usize) -> Option<usize> {
        let mut base = i & !(BLOCK - 1);
        if base != self.base {
            self.load(base);
        }
        let mut m = self.mask & (u64::MAX << (i - base));
        while m == 0 {
            base += BLOCK;
            if base >= self.bytes.len() {
                return None;
            }
            self.load(base);
            m = self.mask;
        }
        Some(base + m.trailing_zeros() as usize)
    }

    fn load(&mut self, base: usize) {
        self.base = base;
        self.mask = if base >= self.bytes.len() {
            0
        } else {
            let block = Block::at(self.bytes, base);
            let before = base > 0 && is_ident(self.bytes[base - 1]);
            let after_ident = block.ident() << 1 | u64::from(before);
            block.any_of(STRUCTURE) | (block.any_of(KEYWORD_STARTS) & !after_ident)
        };
    }
}

/// Whether `rest` starts with a keyword that starts an item wherever it is (`rule`, `fact`,
/// `question`, `output`) as a whole word.
fn item_keyword_at(rest: &[u8]) -> bool {
    [&b"rule"[..], b"fact", b"question", b"output"]
        .iter()
        .any(|kw| rest.starts_with(kw) && rest.get(kw.len()).is_none_or(|&b| !is_ident(b)))
}

/// Whether only blanks stand between the start of `i`'s line and `i` (walking back over
/// blanks only, so a long line costs no more than its length in all).
fn first_on_line(bytes: &[u8], i: usize) -> bool {
    bytes[..i]
        .iter()
        .rev()
        .find(|&&b| !matches!(b, b' ' | b'\t' | b'\r'))
        .is_none_or(|&b| b == b'\n')
}

/// Whether the `name`, `advice` or `threshold` at `i` starts an item. They are not reserved
/// words (a predicate may be called `name`), so they count only first on their line and
/// followed by what their item needs: `name` a blank and a lowercase letter, `advice` a blank
/// and an ID, `threshold` a blank and a number.
fn starts_item_line(bytes: &[u8], i: usize) -> bool {
    if !first_on_line(bytes, i) {
        return false;
    }
    let rest = &bytes[i..];
    let (kw, next): (&[u8], fn(u8) -> bool) = if rest.starts_with(b"name") {
        (b"name", |b| b.is_ascii_lowercase())
    } else if rest.starts_with(b"advice") {
        (b"advice", is_ident)
    } else if rest.starts_with(b"threshold") {
        (b"threshold", |b| {
            b.is_ascii_digit() || b == b'-' || b == b'.'
        })
    } else {
        return false;
    };
    let after = &rest[kw.len()..];
    let blanks = after
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    blanks > 0 && after.get(blanks).is_some_and(|&b| next(b))
}

/// Collect comments and reject nesting deeper than [`MAX_NESTING`], without pest.
/// Also returns where each top-level item keyword (`rule`, `fact`, `question`, `output`)
/// starts, outside strings, comments and brackets: the items' boundaries.
pub(super) fn scan(file: FileId, src: &SourceFile) -> Scanned {
    scan_part(file, src, 0, src.text().len()).0
}

/// [`scan`], a large text cut into `parts` scanned on as many threads: W3's 78 MB of facts
/// took 100 ms to scan on one. Gives exactly what [`scan`] gives (`tests.rs` compares them).
///
/// A part starts at a line that starts with an item keyword (`rule`, `fact`, `question`,
/// `output`): there the scan is in no string or comment (both end with their line) and
/// sets the depth of brackets to 0 whatever it was, so a part scanned from there alone
/// finds what the whole scan finds from there. The one exception, a string whose last
/// character escapes its line's end, is seen as the part before running past its end: then
/// the text is scanned whole, on one thread.
pub(super) fn scan_parallel(file: FileId, src: &SourceFile, parts: usize) -> Scanned {
    let bytes = src.text().as_bytes();
    let mut cuts = vec![0];
    for k in 1..parts {
        let from = (bytes.len() / parts * k).max(*cuts.last().expect("a cut") + 1);
        if let Some(at) = item_line_from(bytes, from) {
            cuts.push(at);
        }
    }
    cuts.push(bytes.len());
    if cuts.len() < 3 {
        return scan(file, src);
    }
    let ranges: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let scanned: Vec<(Scanned, bool)> = std::thread::scope(|scope| {
        let others: Vec<_> = ranges[1..]
            .iter()
            .map(|&(a, b)| scope.spawn(move || scan_part(file, src, a, b)))
            .collect();
        let mut all = vec![scan_part(file, src, ranges[0].0, ranges[0].1)];
        all.extend(
            others
                .into_iter()
                .map(|h| h.join().expect("a scan does not panic")),
        );
        all
    });
    let mut whole = Scanned {
        comments: Vec::new(),
        starts: Vec::new(),
        diags: Vec::new(),
    };
    for (part, ended_at_its_end) in scanned {
        whole.comments.extend(part.comments);
        whole.starts.extend(part.starts);
        if !part.diags.is_empty() {
            // The whole scan stops at the first error too.
            whole.diags = part.diags;
            return whole;
        }
        if !ended_at_its_end {
            return scan(file, src);
        }
    }
    whole
}

/// The first place at or after `from` where a line starts with an item keyword (see
/// [`scan_parallel`]), looked for in the next megabyte.
fn item_line_from(bytes: &[u8], from: usize) -> Option<usize> {
    let end = bytes.len().min(from.saturating_add(1 << 20));
    let mut i = from;
    while i < end {
        let nl = i + bytes.get(i..end)?.iter().position(|&b| b == b'\n')?;
        let at = nl + 1;
        let rest = &bytes[at..];
        if item_keyword_at(rest) {
            return Some(at);
        }
        i = at;
    }
    None
}

/// The scan of `text[from..to]`, and whether it ended at `to` (a string or comment ran no
/// further; always so for the text's last part).
fn scan_part(file: FileId, src: &SourceFile, from: usize, to: usize) -> (Scanned, bool) {
    let mut stops = Stops::new(src.text().as_bytes());
    scan_part_with(file, src, from, to, |i| stops.next(i))
}

/// [`scan_part`], `next(i)` giving the first place at or after `i` that may start something
/// (any superset of [`Stops`]' places gives the same scan: the tests give every place).
pub(super) fn scan_part_with(
    file: FileId,
    src: &SourceFile,
    from: usize,
    to: usize,
    mut next: impl FnMut(usize) -> Option<usize>,
) -> (Scanned, bool) {
    let text: &str = src.text();
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut starts = Vec::new();
    let mut diags = Vec::new();
    let mut depth = 0usize;
    let mut i = from;
    while i < to {
        // Skip the bytes that start nothing this scan looks for (most of a large facts file).
        match next(i) {
            Some(at) if at < to => i = at,
            _ => {
                i = to;
                break;
            }
        }
        let b = bytes[i];
        match b {
            // Inside brackets a keyword starts an item only first on its line: then an
            // earlier item left a bracket open, and that item's own syntax error says so
            // (instead of every later line counting as deeper nesting).
            b'r' | b'f' | b'q' | b'o'
                if (i == 0 || !is_ident(bytes[i - 1]))
                    && (depth == 0 || first_on_line(bytes, i))
                    && item_keyword_at(&bytes[i..]) =>
            {
                starts.push(i as u32);
                depth = 0;
            }
            b'n' | b't' | b'a' if depth == 0 && starts_item_line(bytes, i) => starts.push(i as u32),
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                let raw = text[start..i].trim_end_matches('\r');
                let doc = raw.starts_with("##");
                let body = raw.trim_start_matches('#');
                // Blanks at the end of a comment (the grammar's: tab to space, control
                // characters included) are not part of what it says, and `fmt` drops them.
                let body = body
                    .strip_prefix(' ')
                    .unwrap_or(body)
                    .trim_end_matches(|c| ('\t'..=' ').contains(&c))
                    .to_string();
                comments.push(Spanned::new(
                    Comment { doc, text: body },
                    src.span(file, start, start + raw.len()),
                ));
                continue;
            }
            b'(' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    diags.push(
                        Diagnostic::error(
                            "E0003",
                            format!("nesting deeper than {MAX_NESTING} levels"),
                            src.span(file, i, i + 1),
                        )
                        .with_label("too deep here")
                        .with_help(
                            "split the expression, or name a part of it with a rule of its own",
                        ),
                    );
                    return (
                        Scanned {
                            comments,
                            starts,
                            diags,
                        },
                        true,
                    );
                }
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    (
        Scanned {
            comments,
            starts,
            diags,
        },
        i == to,
    )
}
