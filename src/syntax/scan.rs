//! The first look at a rule file, without pest: comments, the places where items start
//! (outside strings, comments and brackets), and nesting deeper than [`MAX_NESTING`]
//! rejected before the recursive-descent parser could overflow its stack.

use super::MAX_NESTING;
use crate::ast::Comment;
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile, Spanned};

/// What [`scan`] finds.
pub(super) struct Scanned {
    pub comments: Vec<Spanned<Comment>>,
    /// Where each top-level item keyword (`rule`, `fact`, `question`, `output`) starts.
    pub starts: Vec<usize>,
    pub diags: Vec<Diagnostic>,
}

/// The bytes [`scan`] stops at: the first letters of the item keywords, quotes,
/// comments and brackets.
const SCAN_STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let stops = b"rfqo\"#()[]";
    let mut k = 0;
    while k < stops.len() {
        t[stops[k] as usize] = true;
        k += 1;
    }
    t
};
/// Collect comments and reject nesting deeper than [`MAX_NESTING`], without pest.
/// Also returns where each top-level item keyword (`rule`, `fact`, `question`, `output`)
/// starts, outside strings, comments and brackets: the items' boundaries.
pub(super) fn scan(file: FileId, src: &SourceFile) -> Scanned {
    let text: &str = &src.text;
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut starts = Vec::new();
    let mut diags = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        // Skip, in a tight loop, the bytes that start nothing this scan looks for (most
        // of a large fact file).
        while i < bytes.len() && !SCAN_STOPS[bytes[i] as usize] {
            i += 1;
        }
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'r' | b'f' | b'q' | b'o' if depth == 0 && (i == 0 || !is_ident(bytes[i - 1])) => {
                let rest = &bytes[i..];
                for kw in [&b"rule"[..], b"fact", b"question", b"output"] {
                    if rest.starts_with(kw) && rest.get(kw.len()).is_none_or(|&b| !is_ident(b)) {
                        starts.push(i);
                        break;
                    }
                }
            }
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
                let body = body.strip_prefix(' ').unwrap_or(body).to_string();
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
                    return Scanned {
                        comments,
                        starts,
                        diags,
                    };
                }
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Scanned {
        comments,
        starts,
        diags,
    }
}
