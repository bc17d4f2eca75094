//! The printer: items, facts and comments in file order, each item laid out as lines that
//! remember which parts of the source they hold (so comments can be put back beside them).

use super::WIDTH;
use crate::ast::{
    Body, Comment, Expr, ExprKind, FactRef, Head, Item, Literal, Module, Output, Question, Rule,
    ValueType,
};
use crate::span::{Span, Spanned};

/// One output line: its text, where in the source the parts it holds lie, and the comments
/// put beside it (on lines of their own before it, at its end, on lines of their own after).
struct Line {
    text: String,
    indent: usize,
    units: Vec<(u32, u32)>,
    before: Vec<String>,
    trail: Option<String>,
    after: Vec<String>,
}

/// Where a comment goes, relative to a line: before it, at its end, after it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Before,
    Trail,
    After,
}

impl Line {
    fn new(indent: usize, text: String, units: Vec<(u32, u32)>) -> Line {
        Line {
            text,
            indent,
            units,
            before: Vec::new(),
            trail: None,
            after: Vec::new(),
        }
    }

    /// Put a comment in `slot`, or after the line when its end is taken; returns the slot.
    fn put(&mut self, slot: Slot, comment: String) -> Slot {
        match slot {
            Slot::Before => self.before.push(comment),
            Slot::Trail if self.trail.is_none() && self.after.is_empty() => {
                self.trail = Some(comment)
            }
            Slot::Trail | Slot::After => {
                self.after.push(comment);
                return Slot::After;
            }
        }
        slot
    }
}

/// A top-level piece of the file, in order.
enum Elem<'a> {
    Item(&'a Item),
    Fact(FactRef<'a>),
    Comment(&'a Spanned<Comment>),
}

impl Elem<'_> {
    /// From the first to the last token (an item's own span may take in the blanks and
    /// comments after it).
    fn span(&self, text: &str) -> Span {
        let (span, end) = match self {
            Elem::Item(i) => (i.span(), item_end(i, text)),
            Elem::Fact(f) => {
                let mut end = f.pred_span().end;
                if let Some((_, last)) = f.values().last() {
                    // The closing parenthesis.
                    end = text[last.end as usize..]
                        .find(')')
                        .map_or(last.end, |i| last.end + i as u32 + 1);
                }
                if let Some(c) = f.certainty() {
                    end = end.max(c.span.end);
                }
                (f.span(), end)
            }
            Elem::Comment(c) => return c.span,
        };
        Span {
            end: code_end(text, span.start, end.min(span.end).max(span.start)),
            ..span
        }
    }
    /// Items laid out on more than one line are set apart by blank lines (`fact`, `name`,
    /// `advice`, `output` and `threshold` items are one line each).
    fn multi_line(&self) -> bool {
        matches!(self, Elem::Item(Item::Rule(_) | Item::Question(_)))
    }
}

pub(super) fn module(m: &Module, text: &str) -> String {
    let mut elems: Vec<Elem> = m
        .items
        .iter()
        .map(Elem::Item)
        .chain(m.facts.iter().map(Elem::Fact))
        .chain(m.comments.iter().map(Elem::Comment))
        .collect();
    // A comment and an item starting at one place: the comment first.
    elems.sort_by_key(|e| (e.span(text).start, !matches!(e, Elem::Comment(_))));
    let p = Printer { text };

    let mut out = String::new();
    // The previous top-level piece: whether it was a comment or a multi-line item, where
    // it ended in the source, and its lines (still open to a trailing comment).
    let mut prev: Option<(bool, bool, u32)> = None;
    let mut open: Vec<Line> = Vec::new();
    let mut i = 0;
    while i < elems.len() {
        let e = &elems[i];
        let span = e.span(text);
        i += 1;
        if let (Elem::Comment(c), Some(last), Some(pr)) = (e, open.last_mut(), &mut prev) {
            // A comment after code on its line stays at the line's end; a comment right
            // under a rule or a question (no blank line) that does not lead to the next
            // one stays with it.
            let slot = if p.trailing(c.span) {
                Some(Slot::Trail)
            } else if pr.1
                && !p.blank_between(pr.2, c.span.start)
                && !p.heads_multi_line(&elems[i..], c.span.end)
            {
                Some(Slot::After)
            } else {
                None
            };
            if let Some(slot) = slot {
                last.put(slot, p.comment(c));
                pr.2 = c.span.end;
                continue;
            }
        }
        // The comments inside an item go with it.
        let mut inner: Vec<&Spanned<Comment>> = Vec::new();
        while let Some(Elem::Comment(c)) = elems.get(i) {
            if c.span.start >= span.end {
                break;
            }
            inner.push(c);
            i += 1;
        }
        let lines = match e {
            Elem::Item(item) => p.item(item, &inner),
            Elem::Fact(f) => p.place(
                vec![Line::new(0, p.fact(f), vec![(span.start, span.end)])],
                &inner,
            ),
            Elem::Comment(c) => vec![Line::new(0, p.comment(c), Vec::new())],
        };
        let is_comment = matches!(e, Elem::Comment(_));
        // Comments right above a rule or a question are set apart with it.
        let multi = e.multi_line() || (is_comment && p.heads_multi_line(&elems[i..], span.end));
        if let Some((prev_comment, prev_multi, prev_end)) = prev {
            let blank_in_source = p.blank_between(prev_end, span.start);
            if blank_in_source || prev_multi || (multi && !prev_comment) {
                flush(&mut out, &mut open);
                out.push('\n');
            }
        }
        flush(&mut out, &mut open);
        open = lines;
        prev = Some((is_comment, e.multi_line(), span.end));
    }
    flush(&mut out, &mut open);
    out
}

fn flush(out: &mut String, lines: &mut Vec<Line>) {
    // Comments after a line are indented as the line that follows (formatting again puts
    // them before it).
    let next_indent: Vec<usize> = (0..lines.len())
        .map(|i| lines.get(i + 1).map_or(lines[i].indent, |n| n.indent))
        .collect();
    for (l, next) in lines.drain(..).zip(next_indent) {
        let pad = " ".repeat(l.indent);
        for c in &l.before {
            out.push_str(&format!("{pad}{c}\n"));
        }
        let mut text = format!("{pad}{}", l.text);
        if let Some(c) = &l.trail {
            text.push(' ');
            text.push_str(c);
        }
        out.push_str(text.trim_end_matches(blank));
        out.push('\n');
        let pad = " ".repeat(next);
        for c in &l.after {
            out.push_str(&format!("{pad}{c}\n"));
        }
    }
}

struct Printer<'t> {
    text: &'t str,
}

impl Printer<'_> {
    /// The source text of a span (numbers, strings and names are printed as written).
    fn src(&self, s: Span) -> &str {
        &self.text[s.range()]
    }

    /// Whether a blank line separates two places of the source.
    fn blank_between(&self, from: u32, to: u32) -> bool {
        self.text[from as usize..to as usize].matches('\n').count() >= 2
    }

    /// Whether the comments at the start of `rest` (after one ending at `end`) lead, with
    /// no blank line, to a multi-line item.
    fn heads_multi_line(&self, rest: &[Elem], mut end: u32) -> bool {
        for e in rest {
            let span = e.span(self.text);
            if self.blank_between(end, span.start) {
                return false;
            }
            match e {
                Elem::Comment(_) => end = span.end,
                _ => return e.multi_line(),
            }
        }
        false
    }

    fn comment(&self, c: &Spanned<Comment>) -> String {
        self.src(c.span).trim_end_matches(blank).to_string()
    }

    /// Whether code precedes the comment on its line.
    fn trailing(&self, s: Span) -> bool {
        let before = &self.text[..s.start as usize];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        !before[line_start..].trim_matches(blank).is_empty()
    }

    /// Put an item's inner comments beside the lines that hold what they were beside: a
    /// comment inside a part after that part's line, one at the end of a source line at the
    /// end of the line holding the part before it, one on a line of its own before the line
    /// holding the part after it. Never before a comment placed already: the order is kept.
    fn place(&self, mut lines: Vec<Line>, comments: &[&Spanned<Comment>]) -> Vec<Line> {
        let mut cursor = (0, Slot::Before);
        for c in comments {
            let pos = c.span.start;
            let units = || {
                lines.iter().enumerate().flat_map(|(i, l)| {
                    l.units
                        .iter()
                        .map(move |&(s, e)| (i, (s, code_end(self.text, s, e))))
                })
            };
            let inside = units().find(|(_, (s, e))| *s < pos && pos < *e);
            let natural = if let Some((i, _)) = inside {
                (i, Slot::After)
            } else if self.trailing(c.span) {
                let before = units()
                    .filter(|(_, (s, _))| *s < pos)
                    .max_by_key(|(_, (s, _))| *s);
                (before.map_or(0, |(i, _)| i), Slot::Trail)
            } else {
                let next = units()
                    .filter(|(_, (s, _))| *s > pos)
                    .min_by_key(|(_, (s, _))| *s);
                next.map_or((lines.len() - 1, Slot::After), |(i, _)| (i, Slot::Before))
            };
            let (line, slot) = natural.max(cursor);
            cursor = (line, lines[line].put(slot, self.comment(c)));
        }
        lines
    }

    fn item(&self, item: &Item, comments: &[&Spanned<Comment>]) -> Vec<Line> {
        let unit = vec![(item.span().start, item_end(item, self.text))];
        let lines = match item {
            Item::Rule(r) => self.rule(r, comments),
            Item::Question(q) => self.question(q),
            Item::Output(o) => vec![Line::new(0, self.output(o), unit)],
            Item::Name(n) => vec![Line::new(
                0,
                format!("name {} {}", n.symbol.node, self.src(n.text.span)),
                unit,
            )],
            Item::Threshold(t) => vec![Line::new(
                0,
                format!("threshold {}", self.src(t.value.span)),
                unit,
            )],
            Item::Advice(a) => vec![Line::new(
                0,
                format!("advice {} {}", a.id.node, self.src(a.text.span)),
                unit,
            )],
        };
        self.place(lines, comments)
    }

    fn fact(&self, f: &FactRef) -> String {
        let mut s = format!("fact {}", f.pred());
        let values: Vec<&str> = f.values().map(|(_, span)| self.src(span)).collect();
        if !values.is_empty() {
            s.push_str(&format!("({})", values.join(", ")));
        }
        if let Some(c) = f.certainty() {
            s.push_str(&format!(" with certainty {}", self.src(c.span)));
        }
        s
    }

    fn output(&self, o: &Output) -> String {
        let mut s = format!("output {}", o.name.node);
        if !o.params.is_empty() {
            let params: Vec<&str> = o.params.iter().map(|p| p.node.as_str()).collect();
            s.push_str(&format!("({})", params.join(", ")));
        }
        s.push(' ');
        s.push_str(self.src(o.label.span));
        if let Some(d) = &o.display {
            s.push_str(&format!(" as {}", self.src(d.span)));
        }
        s
    }

    fn question(&self, q: &Question) -> Vec<Line> {
        let mut lines = vec![Line::new(
            0,
            format!("question {} {}", q.name.node, self.src(q.prompt.span)),
            vec![(q.span.start, q.prompt.span.end)],
        )];
        let mut words: Vec<String> = Vec::new();
        if q.many {
            words.push("many".into());
        } else if !q.allowed.is_empty() {
            words.push("one".into());
        }
        if q.ty != ValueType::Symbol {
            words.push(q.ty.name().into());
        }
        if let Some(m) = &q.min {
            words.push(format!("from {}", self.src(m.span)));
        }
        if let Some(m) = &q.max {
            words.push(format!("to {}", self.src(m.span)));
        }
        if words.is_empty() && q.allowed.is_empty() {
            return lines;
        }
        let unit = vec![(
            next_token(self.text, q.prompt.span.end),
            item_end_of_question(q, self.text),
        )];
        let head = words.join(" ");
        if q.allowed.is_empty() {
            lines.push(Line::new(2, head, unit));
            return lines;
        }
        let values: Vec<&str> = q.allowed.iter().map(|v| self.src(v.span)).collect();
        let first = if head.is_empty() {
            "of".to_string()
        } else {
            format!("{head} of")
        };
        for (i, text) in fill(&first, &values, 2, 4).into_iter().enumerate() {
            let (indent, units) = if i == 0 {
                (2, unit.clone())
            } else {
                (4, Vec::new())
            };
            lines.push(Line::new(indent, text, units));
        }
        lines
    }

    fn rule(&self, r: &Rule, comments: &[&Spanned<Comment>]) -> Vec<Line> {
        // A comment among the parts of `when` or `then` puts each part on a line of its own
        let among = |units: &[(u32, u32)]| {
            let (Some(first), Some(last)) = (units.first(), units.last()) else {
                return false;
            };
            // (One inside the last part goes after its line.)
            comments
                .iter()
                .any(|c| first.0 < c.span.start && c.span.start < last.0)
        };
        let mut lines = vec![Line::new(
            0,
            format!("rule {}", r.name.node),
            vec![(r.span.start, r.name.span.end)],
        )];
        if let Some(b) = &r.because {
            lines.push(Line::new(
                2,
                format!("because {}", self.src(b.span)),
                vec![(b.span.start, b.span.end)],
            ));
        }
        if !r.sources.is_empty() {
            let ids: Vec<&str> = r.sources.iter().map(|s| s.node.as_str()).collect();
            let unit = (r.sources[0].span.start, r.sources[ids.len() - 1].span.end);
            lines.push(Line::new(
                2,
                format!("source {}", ids.join(", ")),
                vec![unit],
            ));
        }
        // The conditions: one line, or one line per top-level part.
        let (parts, joiner): (Vec<&Body>, &str) = match &r.body {
            Body::And(parts) => (parts.iter().collect(), "and"),
            Body::Or(alts) => (alts.iter().collect(), "or"),
            b @ Body::Literal(_) => (vec![b], "and"),
        };
        let texts: Vec<String> = parts.iter().map(|b| self.part(b)).collect();
        let units: Vec<(u32, u32)> = parts.iter().map(|b| body_range(b)).collect();
        self.broken(&mut lines, "when", joiner, &texts, &units, among(&units));
        let heads: Vec<String> = r.heads.iter().map(|h| self.head(h)).collect();
        let units: Vec<(u32, u32)> = r
            .heads
            .iter()
            .map(|h| {
                let end = h.certainty.as_ref().map_or(h.atom.span.end, |c| c.span.end);
                (h.atom.span.start, end)
            })
            .collect();
        self.broken(&mut lines, "then", "and", &heads, &units, among(&units));
        lines
    }

    /// `  KEYWORD a JOINER b ...` on one line if it fits (and no comment sits among the
    /// parts), else one part per line.
    fn broken(
        &self,
        lines: &mut Vec<Line>,
        keyword: &str,
        joiner: &str,
        texts: &[String],
        units: &[(u32, u32)],
        has_comments: bool,
    ) {
        let one = format!("{keyword} {}", texts.join(&format!(" {joiner} ")));
        if !has_comments && 2 + one.len() <= WIDTH || texts.len() == 1 {
            lines.push(Line::new(2, one, units.to_vec()));
            return;
        }
        for (i, (t, &u)) in texts.iter().zip(units).enumerate() {
            if i == 0 {
                lines.push(Line::new(2, format!("{keyword} {t}"), vec![u]));
            } else {
                lines.push(Line::new(4, format!("{joiner} {t}"), vec![u]));
            }
        }
    }

    fn head(&self, h: &Head) -> String {
        let mut s = self.atom(&h.atom.pred.node, &h.atom.args);
        if let Some(c) = &h.certainty {
            s.push_str(&format!(" with certainty {}", self.src(c.span)));
        }
        s
    }

    /// A part of a conjunction or a disjunction: a group in parentheses unless a single
    /// condition (`and` binds tighter than `or`, but an `and` inside an `or` is still
    /// parenthesised: nobody has to remember which binds tighter).
    fn part(&self, b: &Body) -> String {
        match b {
            Body::Literal(l) => self.literal(l),
            _ => format!("({})", self.body(b)),
        }
    }

    fn body(&self, b: &Body) -> String {
        match b {
            Body::Literal(l) => self.literal(l),
            Body::And(parts) => {
                let t: Vec<String> = parts.iter().map(|p| self.part(p)).collect();
                t.join(" and ")
            }
            Body::Or(alts) => {
                let t: Vec<String> = alts.iter().map(|p| self.part(p)).collect();
                t.join(" or ")
            }
        }
    }

    fn literal(&self, l: &Literal) -> String {
        match l {
            Literal::Positive(a) => self.atom(&a.pred.node, &a.args),
            Literal::Negative(a) => format!("not {}", self.atom(&a.pred.node, &a.args)),
            Literal::Compare(c) => format!(
                "{} {} {}",
                self.expr(&c.lhs),
                c.op.symbol(),
                self.expr(&c.rhs)
            ),
            Literal::Member(m) => {
                let values: Vec<&str> = m.values.iter().map(|v| self.src(v.span)).collect();
                format!(
                    "{} {}in [{}]",
                    self.expr(&m.expr),
                    if m.negated { "not " } else { "" },
                    values.join(", ")
                )
            }
        }
    }

    fn atom(&self, pred: &str, args: &[Expr]) -> String {
        if args.is_empty() {
            return pred.to_string();
        }
        let args: Vec<String> = args.iter().map(|a| self.expr(a)).collect();
        format!("{pred}({})", args.join(", "))
    }

    fn expr(&self, e: &Expr) -> String {
        match &e.node {
            ExprKind::Const(_) | ExprKind::Var(_) => self.src(e.span).to_string(),
            ExprKind::Binary(op, l, r) => {
                let p = precedence(*op);
                let side = |x: &Expr, needs: &dyn Fn(u8) -> bool| match &x.node {
                    ExprKind::Binary(o, _, _) if needs(precedence(*o)) => {
                        format!("({})", self.expr(x))
                    }
                    _ => self.expr(x),
                };
                // Operators group to the left: a right operand of the same precedence
                // keeps its parentheses.
                format!(
                    "{} {} {}",
                    side(l, &|q| q < p),
                    op.symbol(),
                    side(r, &|q| q <= p)
                )
            }
        }
    }
}

fn precedence(op: crate::ast::ArithOp) -> u8 {
    use crate::ast::ArithOp::*;
    match op {
        Add | Sub => 1,
        Mul | Div => 2,
    }
}

/// Where an item's last token ends.
fn item_end(item: &Item, text: &str) -> u32 {
    match item {
        Item::Rule(r) => {
            let heads = r
                .heads
                .iter()
                .map(|h| h.certainty.as_ref().map_or(h.atom.span.end, |c| c.span.end));
            let because = r.because.iter().map(|b| b.span.end);
            let sources = r.sources.iter().map(|s| s.span.end);
            heads
                .chain(because)
                .chain(sources)
                .max()
                .unwrap_or(r.span.end)
        }
        Item::Question(q) => [Some(q.prompt.span.end), q.min.as_ref().map(|m| m.span.end)]
            .into_iter()
            .chain([q.max.as_ref().map(|m| m.span.end)])
            .chain(q.allowed.iter().map(|v| Some(v.span.end)))
            .flatten()
            .max()
            .unwrap_or(q.span.end)
            .max(words_end(q, text)),
        Item::Output(o) => o.display.as_ref().map_or(o.label.span.end, |d| d.span.end),
        Item::Name(n) => n.text.span.end,
        Item::Threshold(t) => t.value.span.end,
        Item::Advice(a) => a.text.span.end,
    }
}

/// The end of the words (`one`, `many`, a type) after a question's prompt: they have no
/// span of their own.
fn words_end(q: &Question, text: &str) -> u32 {
    const WORDS: [&str; 7] = [
        "one", "many", "symbol", "string", "integer", "decimal", "boolean",
    ];
    let mut at = q.prompt.span.end;
    loop {
        let t = next_token(text, at);
        let word: &str = text[t as usize..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if !WORDS.contains(&word) {
            return at;
        }
        at = t + word.len() as u32;
    }
}

/// Where a body starts and ends in the source (its first and last conditions; the
/// parentheses of a group are outside).
fn body_range(b: &Body) -> (u32, u32) {
    match b {
        Body::Literal(l) => (l.span().start, l.span().end),
        Body::And(parts) | Body::Or(parts) => {
            let first = parts.first().map_or((0, 0), body_range);
            let last = parts.last().map_or((0, 0), body_range);
            (first.0, last.1)
        }
    }
}

/// A blank, as the grammar has it: tab, newline, carriage return, space, and the control
/// characters between them.
fn blank(c: char) -> bool {
    ('\t'..=' ').contains(&c)
}

/// Where the code of `start..end` ends: the parser's spans of some nodes take in the blanks
/// and comments after them.
fn code_end(text: &str, start: u32, end: u32) -> u32 {
    let b = &text.as_bytes()[start as usize..end as usize];
    let (mut i, mut last) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                last = (i + 1).min(b.len());
            }
            c if !blank(c as char) => last = i + 1,
            _ => {}
        }
        i += 1;
    }
    start + last as u32
}

/// Where the next token starts after `from` (blanks and comments skipped).
fn next_token(text: &str, from: u32) -> u32 {
    let mut at = from as usize;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start_matches(blank);
        at += rest.len() - trimmed.len();
        if trimmed.starts_with('#') {
            at += trimmed.find('\n').unwrap_or(trimmed.len());
        } else {
            return at as u32;
        }
    }
}

fn item_end_of_question(q: &Question, text: &str) -> u32 {
    let end = [q.min.as_ref(), q.max.as_ref()]
        .into_iter()
        .flatten()
        .map(|m| m.span.end)
        .chain(q.allowed.iter().map(|v| v.span.end))
        .max()
        .unwrap_or(0);
    end.max(words_end(q, text))
}

/// `head v1, v2, ...` filled to [`WIDTH`]: the first line indented by `first`, the rest by
/// `rest`; a line breaks only after a comma.
fn fill(head: &str, values: &[&str], first: usize, rest: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = head.to_string();
    let mut indent = first;
    for (i, v) in values.iter().enumerate() {
        let piece = if i + 1 < values.len() {
            format!("{v},")
        } else {
            v.to_string()
        };
        let fresh = cur.is_empty();
        if !fresh && indent + cur.len() + 1 + piece.len() > WIDTH {
            lines.push(std::mem::take(&mut cur));
            indent = rest;
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&piece);
    }
    lines.push(cur);
    lines
}
