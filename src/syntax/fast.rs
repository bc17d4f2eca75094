//! A fast path for the commonest items of large files: plain ground facts such as
//! `fact edge(17, 18)` and plain rules such as
//! `rule r1 because "…" source K2 when p(X, Y) and not q(Y) then r(X) with certainty 0.5`.
//!
//! Large rule and fact files spend most of their load time in the general parser, which is
//! built for the whole language and for good error messages. This recogniser accepts only a
//! strict subset of the grammar and builds exactly the AST, spans included, that
//! `grammar/because.pest` and `lower.rs` would build:
//! - facts: `fact P(V, …) [with certainty N]`, straight into the file's fact table, without
//!   allocating;
//! - rules: `rule NAME [clauses] when L and L … then H and H … [clauses]`, where a condition
//!   `L` is `P(A, …)` or `not P(A, …)`, a conclusion `H` is `P(A, …) [with certainty N]`, and
//!   clauses are `because "…"` and `source ID, …`;
//! - arguments are variables and integers, decimals, booleans, symbols and strings without
//!   escapes; blanks between tokens; comments only after the item.
//!
//! Anything else (`or`, comparisons, memberships, arithmetic, escapes, atoms without
//! parentheses, reserved words, a number out of range, any syntax error) returns `None` and
//! the item goes to the general parser, so diagnostics always come from the grammar.
//! `lower::tests` checks that both paths give the same AST on every fixture and on generated
//! items.

use crate::ast::{
    Atom, Body, Const, ConstRef, Expr, ExprKind, FactChunk, Head, Item, Literal, Rule,
};
use crate::bytemask::is_ident;
use crate::span::Spanned;
use crate::span::{FileId, SourceFile, Span};

struct Cursor<'a> {
    file: FileId,
    src: &'a SourceFile,
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn span(&self, start: usize, end: usize) -> Span {
        self.src.span(self.file, start, end)
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn blanks(&mut self) -> usize {
        let s = self.i;
        while self.i < self.b.len() && (b'\t'..=b' ').contains(&self.b[self.i]) {
            self.i += 1;
        }
        self.i - s
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> usize {
        let s = self.i;
        while self.i < self.b.len() && is_ident(self.b[self.i]) {
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
    /// `integer` or `decimal` as the grammar has them (no letter may follow).
    fn number(&mut self) -> Option<Const> {
        let s = self.i;
        let negative = self.eat(b'-');
        // The integer's value as its digits go by (`str::parse` took a tenth of W3's
        // parsing); `None` past i64's range, which the parser then reports. Negative
        // numbers are summed downwards, so that i64::MIN is in range.
        let mut value: Option<i64> = Some(0);
        let from = self.i;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            let d = i64::from(d - b'0');
            value = value.and_then(|v| v.checked_mul(10)).and_then(|v| {
                if negative {
                    v.checked_sub(d)
                } else {
                    v.checked_add(d)
                }
            });
            self.i += 1;
        }
        if self.i == from {
            return None;
        }
        let c = if self.eat(b'.') {
            if self.digits() == 0 {
                return None;
            }
            let d: f64 = self.text[s..self.i].parse().ok()?;
            Const::Dec(d.is_finite().then_some(d)?)
        } else {
            Const::Int(value?)
        };
        if self.ident() > 0 || self.peek() == Some(b'.') {
            return None;
        }
        Some(c)
    }
    /// A keyword: the word, followed by no identifier character.
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
    /// Blanks, then `kw`; on failure the position is unchanged.
    fn next_keyword(&mut self, kw: &[u8]) -> bool {
        let s = self.i;
        self.blanks();
        if self.keyword(kw) {
            return true;
        }
        self.i = s;
        false
    }
    /// A lowercase name that is not a reserved word (a predicate or a rule name).
    fn name(&mut self) -> Option<Spanned<String>> {
        let s = self.i;
        let name = self.name_str()?;
        Some(Spanned::new(name.to_string(), self.span(s, self.i)))
    }
    /// [`name`](Self::name), borrowed from the text.
    fn name_str(&mut self) -> Option<&'a str> {
        let s = self.i;
        if !self.peek()?.is_ascii_lowercase() {
            return None;
        }
        self.ident();
        let name = &self.text[s..self.i];
        if super::is_reserved(name) {
            return None;
        }
        Some(name)
    }
    /// A fact's value (a constant), borrowed from the text, with its span.
    fn value(&mut self) -> Option<(ConstRef<'a>, Span)> {
        let s = self.i;
        let v = match self.peek()? {
            b'-' | b'0'..=b'9' => match self.number()? {
                Const::Int(i) => ConstRef::Int(i),
                Const::Dec(d) => ConstRef::Dec(d),
                _ => return None,
            },
            b'"' => {
                self.string_str()?;
                ConstRef::Str(&self.text[s + 1..self.i - 1])
            }
            b'a'..=b'z' => {
                self.ident();
                match &self.text[s..self.i] {
                    "true" => ConstRef::Bool(true),
                    "false" => ConstRef::Bool(false),
                    // A reserved word is no constant: the general parser reports it.
                    sym if super::is_reserved(sym) => return None,
                    sym => ConstRef::Sym(sym),
                }
            }
            _ => return None,
        };
        Some((v, self.span(s, self.i)))
    }
    /// A string without escapes or line breaks, quotes included in its span.
    fn string(&mut self) -> Option<Spanned<String>> {
        let s = self.i;
        self.string_str()?;
        Some(Spanned::new(
            self.text[s + 1..self.i - 1].to_string(),
            self.span(s, self.i),
        ))
    }
    /// Past a string without escapes, line breaks or control characters (`0xC2` starts
    /// the C1 controls, and a few other characters the parser then takes).
    fn string_str(&mut self) -> Option<()> {
        if !self.eat(b'"') {
            return None;
        }
        while self.peek()? != b'"' {
            if matches!(self.b[self.i], b'\\' | 0..=8 | 10..=31 | 0x7f | 0xc2) {
                return None;
            }
            self.i += 1;
        }
        self.i += 1;
        Some(())
    }
    /// A rule's argument: a variable or a constant.
    fn arg(&mut self) -> Option<Expr> {
        let s = self.i;
        if matches!(self.peek()?, b'A'..=b'Z' | b'_') {
            self.ident();
            let var = ExprKind::Var(self.text[s..self.i].to_string());
            return Some(Spanned::new(var, self.span(s, self.i)));
        }
        let (v, span) = self.value()?;
        Some(Spanned::new(ExprKind::Const(v.to_const()), span))
    }
    /// `(A, …)`: `each` reads one argument (blanks around it are skipped here).
    fn arg_list(&mut self, mut each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if !self.eat(b'(') {
            return None;
        }
        self.blanks();
        if self.eat(b')') {
            return Some(());
        }
        loop {
            each(self)?;
            self.blanks();
            if self.eat(b')') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
            self.blanks();
        }
    }
    /// How many arguments the parenthesised list ahead holds, counting the commas outside
    /// strings up to the closing parenthesis (a hint: the list is parsed afterwards).
    fn count_args(&self) -> usize {
        let rest = self.b.get(self.i..).unwrap_or(&[]);
        let (mut n, mut in_string, mut empty) = (1, false, true);
        for &b in rest.iter().skip(1) {
            match b {
                b'"' => in_string = !in_string,
                b',' if !in_string => n += 1,
                b')' if !in_string => return if empty { 0 } else { n },
                b'\n' => break,
                _ => {}
            }
            empty &= (b'\t'..=b' ').contains(&b);
        }
        n
    }
    /// `P(A, …)`, with parentheses.
    fn atom(&mut self) -> Option<Atom> {
        let s = self.i;
        let pred = self.name()?;
        self.blanks();
        // Room for exactly the arguments the list seems to have, so the vector is allocated
        // once and never shrunk (a large program has hundreds of thousands of atoms).
        let mut args = Vec::with_capacity(self.count_args());
        self.arg_list(|c| {
            args.push(c.arg()?);
            Some(())
        })?;
        args.shrink_to_fit();
        Some(Atom {
            pred,
            args,
            span: self.span(s, self.i),
        })
    }
    /// ` with certainty N`, if it follows (the position is unchanged when it does not).
    fn certainty(&mut self) -> Option<Option<Spanned<f64>>> {
        if !self.next_keyword(b"with") {
            return Some(None);
        }
        self.blanks();
        if !self.keyword(b"certainty") {
            return None;
        }
        self.blanks();
        let s = self.i;
        let v = match self.number()? {
            Const::Int(i) => i as f64,
            Const::Dec(d) => d,
            _ => return None,
        };
        Some(Some(Spanned::new(v, self.span(s, self.i))))
    }
    /// Blanks and whole-line comments up to `end`, and nothing else.
    fn only_trailing(&mut self, end: usize) -> bool {
        loop {
            self.blanks();
            if self.i >= end {
                return self.i == end;
            }
            if self.b[self.i] != b'#' {
                return false;
            }
            while self.i < end && self.b[self.i] != b'\n' {
                self.i += 1;
            }
        }
    }
}

/// Most values a fact may have on the fast path (longer facts take the parser).
const MAX_FAST_VALUES: usize = 16;

/// `text[start..end]` is one item as cut by `lower::scan`. When it is a plain fact or rule,
/// adds it (a fact to `facts`, a rule to `items`) and returns true; otherwise adds nothing
/// and returns false (the general parser then takes it).
pub fn item(
    file: FileId,
    src: &SourceFile,
    start: usize,
    end: usize,
    items: &mut Vec<Item>,
    facts: &mut FactChunk,
) -> bool {
    let text = &src.text()[..end];
    let mut c = Cursor {
        file,
        src,
        text,
        b: text.as_bytes(),
        i: start,
    };
    if c.keyword(b"fact") {
        fact(&mut c, start, end, facts).is_some()
    } else if c.keyword(b"rule") {
        match rule(&mut c, start) {
            Some(r) if c.only_trailing(end) => {
                items.push(Item::Rule(Box::new(r)));
                true
            }
            _ => false,
        }
    } else {
        false
    }
}

/// `fact P(V, …) [with certainty N]`, read without allocating: values are borrowed from the
/// text until the fact goes into its chunk.
fn fact(c: &mut Cursor<'_>, start: usize, end: usize, facts: &mut FactChunk) -> Option<()> {
    c.blanks();
    let s = c.i;
    let pred = c.name_str()?;
    let pred_span = c.span(s, c.i);
    c.blanks();
    let mut values = [(ConstRef::Int(0), Span::default()); MAX_FAST_VALUES];
    let mut n = 0;
    c.arg_list(|c| {
        *values.get_mut(n)? = c.value()?;
        n += 1;
        Some(())
    })?;
    let certainty = c.certainty()?;
    let span = c.span(start, c.i);
    if !c.only_trailing(end) {
        return None;
    }
    facts.push(
        pred,
        pred_span,
        values[..n].iter().map(|&(v, s)| (Some(v), s)),
        certainty,
        span,
    );
    Some(())
}

fn rule(c: &mut Cursor<'_>, start: usize) -> Option<Rule> {
    c.blanks();
    let name = c.name()?;
    let mut because = None;
    let mut sources = Vec::new();
    clauses(c, &mut because, &mut sources)?;
    if !c.next_keyword(b"when") {
        return None;
    }
    // A body of one condition (the commonest) needs no list.
    let mut first = None;
    let mut parts = Vec::new();
    loop {
        c.blanks();
        let s = c.i;
        let literal = if c.keyword(b"not") {
            c.blanks();
            let mut atom = c.atom()?;
            atom.span = c.span(s, c.i);
            Literal::Negative(atom)
        } else {
            Literal::Positive(c.atom()?)
        };
        let part = Body::Literal(literal);
        match first.take() {
            None if parts.is_empty() => first = Some(part),
            None => parts.push(part),
            Some(f) => {
                parts.reserve_exact(2);
                parts.extend([f, part]);
            }
        }
        if c.next_keyword(b"then") {
            break;
        }
        if !c.next_keyword(b"and") {
            return None;
        }
    }
    let body = match first {
        Some(only) => only,
        None => {
            parts.shrink_to_fit();
            Body::And(parts)
        }
    };
    // Most rules have one conclusion.
    let mut heads = Vec::with_capacity(1);
    loop {
        c.blanks();
        let atom = c.atom()?;
        let certainty = c.certainty()?;
        heads.push(Head { atom, certainty });
        if !c.next_keyword(b"and") {
            break;
        }
    }
    heads.shrink_to_fit();
    clauses(c, &mut because, &mut sources)?;
    sources.shrink_to_fit();
    Some(Rule {
        docs: Vec::new(),
        name,
        because,
        sources,
        body,
        heads,
        span: c.span(start, c.i),
    })
}

/// Any number of `because "…"` and `source ID, …` clauses (a later `because` replaces an
/// earlier one, as in the parser).
fn clauses(
    c: &mut Cursor<'_>,
    because: &mut Option<Spanned<String>>,
    sources: &mut Vec<Spanned<String>>,
) -> Option<()> {
    loop {
        if c.next_keyword(b"because") {
            c.blanks();
            *because = Some(c.string()?);
        } else if c.next_keyword(b"source") {
            loop {
                c.blanks();
                let s = c.i;
                while c
                    .peek()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                {
                    c.i += 1;
                }
                if c.i == s {
                    return None;
                }
                sources.push(Spanned::new(c.text[s..c.i].to_string(), c.span(s, c.i)));
                let before = c.i;
                c.blanks();
                if !c.eat(b',') {
                    c.i = before;
                    break;
                }
            }
        } else {
            return Some(());
        }
    }
}
