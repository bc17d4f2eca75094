//! A fast path for the commonest item of large files: a plain ground fact on its own, such
//! as `fact edge(17, 18)` or `fact written_in(django, python) with certainty 0.9`.
//!
//! Bulk fact files (hundreds of thousands of lines) spend most of their load time in the
//! general parser, which is built for rules and for good error messages. This recogniser
//! accepts only a strict subset of the grammar (integers, decimals, booleans, symbols and
//! strings without escapes as arguments; blanks between tokens; no comments inside the item)
//! and builds exactly the AST, spans included, that `grammar/because.pest` and `lower.rs`
//! would build. Anything else (a comment, a variable, an escape, an expression, a reserved
//! word, an integer out of range, any syntax error) returns `None` and the item goes to the
//! general parser, so diagnostics always come from the grammar. `lower::tests` checks that
//! both paths give the same AST on every fixture and on generated facts.

use super::span::{FileId, SourceFile};
use crate::ast::{Atom, Const, ExprKind, Fact};
use crate::syntax::span::Spanned;

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn blanks(&mut self) -> usize {
        let s = self.i;
        while self.i < self.b.len() && (b'\t'..=b' ').contains(&self.b[self.i]) {
            self.i += 1;
        }
        self.i - s
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> usize {
        let s = self.i;
        while self.i < self.b.len()
            && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_')
        {
            self.i += 1;
        }
        self.i - s
    }
    fn digits(&mut self) -> usize {
        let s = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.i - s
    }
    /// `integer` or `decimal` as the grammar has them.
    fn number(&mut self, text: &str) -> Option<Const> {
        let s = self.i;
        self.eat(b'-');
        if self.digits() == 0 {
            return None;
        }
        if self.eat(b'.') {
            if self.digits() == 0 {
                return None;
            }
            let d: f64 = text[s..self.i].parse().ok()?;
            return d.is_finite().then_some(Const::Dec(d));
        }
        text[s..self.i].parse().ok().map(Const::Int)
    }
    /// A word made only of identifier characters, followed by no identifier character.
    fn keyword(&mut self, kw: &[u8]) -> bool {
        let s = self.i;
        if self.b[s..].starts_with(kw) {
            self.i += kw.len();
            if self.ident() == 0 {
                return true;
            }
        }
        self.i = s;
        false
    }
}

/// `text[start..end]` is one item as cut by `lower::scan`. Returns the fact it holds when it
/// is a plain one, else `None` (the general parser then takes it).
pub fn fact(file: FileId, src: &SourceFile, start: usize, end: usize) -> Option<Fact> {
    let text = &src.text[..end];
    let mut c = Cursor {
        b: text.as_bytes(),
        i: start,
    };
    if !c.keyword(b"fact") || c.blanks() == 0 {
        return None;
    }
    let pred_start = c.i;
    if !c.b.get(c.i)?.is_ascii_lowercase() {
        return None;
    }
    c.ident();
    let pred = &text[pred_start..c.i];
    if super::lower::RESERVED.contains(&pred) {
        return None;
    }
    let pred = Spanned::new(pred.to_string(), src.span(file, pred_start, c.i));
    c.blanks();
    if !c.eat(b'(') {
        return None;
    }
    let mut args = Vec::new();
    c.blanks();
    if !c.eat(b')') {
        loop {
            let s = c.i;
            let value = match *c.b.get(c.i)? {
                b'-' | b'0'..=b'9' => c.number(text)?,
                b'"' => {
                    c.i += 1;
                    while *c.b.get(c.i)? != b'"' {
                        if matches!(c.b[c.i], b'\\' | b'\n') {
                            return None;
                        }
                        c.i += 1;
                    }
                    c.i += 1;
                    Const::Str(text[s + 1..c.i - 1].to_string())
                }
                b'a'..=b'z' => {
                    c.ident();
                    match &text[s..c.i] {
                        "true" => Const::Bool(true),
                        "false" => Const::Bool(false),
                        sym => Const::Sym(sym.to_string()),
                    }
                }
                _ => return None,
            };
            args.push(Spanned::new(ExprKind::Const(value), src.span(file, s, c.i)));
            c.blanks();
            if c.eat(b')') {
                break;
            }
            if !c.eat(b',') {
                return None;
            }
            c.blanks();
        }
    }
    args.shrink_to_fit();
    let atom_end = c.i;
    let mut certainty = None;
    let mut fact_end = atom_end;
    if c.blanks() > 0 && c.keyword(b"with") {
        if c.blanks() == 0 || !c.keyword(b"certainty") || c.blanks() == 0 {
            return None;
        }
        let s = c.i;
        let v = match c.number(text)? {
            Const::Int(i) => i as f64,
            Const::Dec(d) => d,
            _ => return None,
        };
        if c.ident() > 0 || c.b.get(c.i) == Some(&b'.') {
            return None;
        }
        certainty = Some(Spanned::new(v, src.span(file, s, c.i)));
        fact_end = c.i;
        c.blanks();
    }
    // Only blanks may follow: a comment, another token or an error goes to the parser.
    if c.i != end {
        return None;
    }
    Some(Fact {
        docs: Vec::new(),
        atom: Atom {
            pred,
            args,
            span: src.span(file, pred_start, atom_end),
        },
        certainty,
        span: src.span(file, start, fact_end),
    })
}
