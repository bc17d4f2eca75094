//! pest pairs → AST. The only module that touches `Pair<Rule>`.

use super::errors::{found_at, syntax_error};
use super::parser::{BecauseParser, Rule as R};
use super::scan::scan;
use super::RESERVED;
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile, Span, Spanned};
use pest::iterators::Pair;
use pest::Parser;

struct Lowerer<'a> {
    file: FileId,
    src: &'a SourceFile,
    /// Byte offset of the text being lowered (an item's chunk) in the file.
    offset: usize,
    diags: Vec<Diagnostic>,
}

/// Parse a single atom such as `recommend(flask)`, as given on the command line.
pub fn parse_atom(file: FileId, src: &SourceFile) -> Result<Atom, Vec<Diagnostic>> {
    let scanned = scan(file, src);
    if !scanned.diags.is_empty() {
        return Err(scanned.diags);
    }
    let mut lw = Lowerer {
        file,
        src,
        offset: 0,
        diags: Vec::new(),
    };
    let text = src.text().trim_end();
    match BecauseParser::parse(R::atom, text) {
        Ok(mut pairs) => {
            let pair = pairs.next().expect("atom rule yields one pair");
            if pair.as_span().end() != text.len() {
                let at = pair.as_span().end();
                // `recommend(flask`: the atom parsed as the bare name, and its arguments
                // never closed.
                let d = if text[at..].trim_start().starts_with('(') && !text[at..].contains(')') {
                    let open = at + (text[at..].len() - text[at..].trim_start().len());
                    Diagnostic::error(
                        "E0001",
                        "the arguments are not closed: `)` is missing",
                        src.span(file, open, open + 1),
                    )
                    .with_label("opened here")
                    .with_help(format!("close them: `{})`", text.trim_end()))
                } else {
                    Diagnostic::error(
                        "E0001",
                        format!("expected end of input, found {}", found_at(text, at)),
                        src.span(file, at, at + 1),
                    )
                    .with_label("unexpected here")
                    .with_help("write one fact, for example `recommend(flask)`")
                };
                return Err(vec![d]);
            }
            let atom = lw.atom(pair);
            // A fact to explain holds values (or `_` and variables for any value), never
            // arithmetic: `recommend(flask + 1)` is not a pattern.
            for arg in &atom.args {
                if let ExprKind::Binary(..) = arg.node {
                    lw.diags.push(
                        Diagnostic::error("E0005", "arithmetic in a fact's arguments", arg.span)
                            .with_label("a value or `_` is expected here")
                            .with_help("write the value itself, for example `recommend(flask)`"),
                    );
                }
            }
            if lw.diags.is_empty() {
                Ok(atom)
            } else {
                Err(lw.diags)
            }
        }
        Err(e) => Err(vec![syntax_error(file, src, &e, 0, src.text().len())]),
    }
}

/// Most arithmetic operators in one expression (E0008).
pub const MAX_OPERATORS: usize = 256;

/// What the general parser starts from: one item, or a run of this many items (as the scan
/// cut them).
#[derive(Debug, Clone, Copy)]
pub(super) enum Entry {
    Item,
    Items(usize),
}

/// Parse `file`'s text `start..end` with the general parser, lowering its facts into
/// `facts` and its other items into `items`. Returns the lowering's diagnostics, or the
/// syntax error (then nothing is added).
pub(super) fn parse_items(
    file: FileId,
    src: &SourceFile,
    start: usize,
    end: usize,
    entry: Entry,
    items: &mut Vec<Item>,
    facts: &mut FactChunk,
) -> Result<Vec<Diagnostic>, Diagnostic> {
    let rule = match entry {
        Entry::Item => R::chunk,
        Entry::Items(_) => R::program,
    };
    let mut lw = Lowerer {
        file,
        src,
        offset: start,
        diags: Vec::new(),
    };
    match BecauseParser::parse(rule, &src.text()[start..end]) {
        Ok(mut pairs) => {
            let top = pairs.next().expect("the entry rule yields one pair");
            let found: Vec<Pair<R>> = top.into_inner().filter(|p| p.as_rule() != R::EOI).collect();
            // The grammar takes `name` and `threshold` anywhere, the scan only first on a line:
            // a run whose items are not the ones the scan cut (`fact p(a) name a "A"` on one
            // line) is parsed again item by item, which reports it.
            if let Entry::Items(n) = entry {
                if found.len() != n {
                    let at = found.get(n.min(found.len().saturating_sub(1)));
                    let span = at.map_or(src.span(file, start, start), |p| lw.span(p));
                    return Err(Diagnostic::error("E0001", "items run together", span));
                }
            }
            for pair in found {
                lw.item(pair, items, facts);
            }
            Ok(lw.diags)
        }
        Err(e) => Err(syntax_error(file, src, &e, start, end)),
    }
}

impl<'a> Lowerer<'a> {
    fn span(&self, p: &Pair<R>) -> Span {
        let s = p.as_span();
        self.src
            .span(self.file, self.offset + s.start(), self.offset + s.end())
    }

    /// An item's span: from its keyword to the end of its last token. (pest's span of a
    /// sequence that ends in optional parts also covers the blanks and comments after it, at
    /// every level, so this descends to the last token.)
    fn item_span(&self, p: &Pair<R>) -> Span {
        let s = p.as_span();
        let mut last = p.clone();
        while let Some(q) = last.clone().into_inner().last() {
            last = q;
        }
        let end = last.as_span().end();
        self.src
            .span(self.file, self.offset + s.start(), self.offset + end)
    }

    fn spanned_str(&self, p: &Pair<R>) -> Spanned<String> {
        Spanned::new(p.as_str().to_string(), self.span(p))
    }

    /// A declared name (predicate or rule), refusing reserved words.
    fn name(&mut self, p: &Pair<R>) -> Spanned<String> {
        let s = self.spanned_str(p);
        if RESERVED.contains(&s.node.as_str()) {
            self.diags.push(
                Diagnostic::error(
                    "E0001",
                    format!("`{}` is a reserved word, not a name", s.node),
                    s.span,
                )
                .with_label("reserved")
                .with_help(format!(
                    "the reserved words are {}; choose another name",
                    RESERVED.join(", ")
                )),
            );
        }
        s
    }

    /// Lower one item: a fact into `facts`, anything else into `items`.
    fn item(&mut self, pair: Pair<R>, items: &mut Vec<Item>, facts: &mut FactChunk) {
        match pair.as_rule() {
            R::fact_def => self.fact(pair, facts),
            R::rule_def => items.push(Item::Rule(Box::new(self.rule(pair)))),
            R::question_def => items.push(Item::Question(Box::new(self.question(pair)))),
            R::output_def => items.push(Item::Output(Box::new(self.output(pair)))),
            R::name_def => items.push(Item::Name(Box::new(self.name_decl(pair)))),
            R::advice_def => items.push(Item::Advice(Box::new(self.advice(pair)))),
            R::threshold_def => items.push(Item::Threshold(Box::new(self.threshold(pair)))),
            _ => {}
        }
    }

    fn fact(&mut self, pair: Pair<R>, facts: &mut FactChunk) {
        let span = self.item_span(&pair);
        let mut atom = None;
        let mut certainty = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::atom => atom = Some(self.atom(p)),
                R::certainty => certainty = Some(self.certainty(p)),
                _ => {}
            }
        }
        let atom = atom.expect("grammar: fact has an atom");
        // A value that is not plain is kept as such, for the check to report (E0114).
        let values = atom.args.iter().map(|a| match &a.node {
            ExprKind::Const(c) => (Some(ConstRef::from(c)), a.span),
            _ => (None, a.span),
        });
        facts.push(&atom.pred.node, atom.pred.span, values, certainty, span);
    }

    fn certainty(&mut self, pair: Pair<R>) -> Spanned<f64> {
        let num = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), R::decimal | R::integer))
            .expect("grammar: certainty has a number");
        let span = self.span(&num);
        let v = match self.constant(num).node {
            Const::Int(i) => i as f64,
            Const::Dec(d) => d,
            _ => 0.0,
        };
        Spanned::new(v, span)
    }

    fn rule(&mut self, pair: Pair<R>) -> Rule {
        let span = self.item_span(&pair);
        let mut name = None;
        let mut because = None;
        let mut sources = Vec::new();
        let mut body = None;
        let mut heads = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::rule_name => name = Some(self.name(&p)),
                R::because_clause => {
                    let s = p
                        .into_inner()
                        .find(|p| p.as_rule() == R::string)
                        .expect("grammar");
                    because = Some(self.string(&s));
                }
                R::source_clause => {
                    for s in p.into_inner().filter(|p| p.as_rule() == R::source_id) {
                        sources.push(self.spanned_str(&s));
                    }
                }
                R::body => body = Some(self.disjunction(p.into_inner().next().expect("grammar"))),
                R::head => heads.push(self.head(p)),
                _ => {}
            }
        }
        heads.shrink_to_fit();
        sources.shrink_to_fit();
        Rule {
            docs: Vec::new(),
            name: name.expect("grammar: rule has a name"),
            because,
            sources,
            body: body.expect("grammar: rule has a body"),
            heads,
            span,
        }
    }

    fn head(&mut self, pair: Pair<R>) -> Head {
        let mut atom = None;
        let mut certainty = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::atom => atom = Some(self.atom(p)),
                R::certainty => certainty = Some(self.certainty(p)),
                _ => {}
            }
        }
        Head {
            atom: atom.expect("grammar: head has an atom"),
            certainty,
        }
    }

    fn disjunction(&mut self, pair: Pair<R>) -> Body {
        let mut alts: Vec<Body> = pair
            .into_inner()
            .filter(|p| p.as_rule() == R::conjunction)
            .map(|p| self.conjunction(p))
            .collect();
        if alts.len() == 1 {
            alts.pop().expect("one alternative")
        } else {
            alts.shrink_to_fit();
            Body::Or(alts)
        }
    }

    fn conjunction(&mut self, pair: Pair<R>) -> Body {
        let mut parts: Vec<Body> = pair
            .into_inner()
            .filter(|p| p.as_rule() != R::kw_and)
            .map(|p| self.literal(p))
            .collect();
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            parts.shrink_to_fit();
            Body::And(parts)
        }
    }

    fn literal(&mut self, pair: Pair<R>) -> Body {
        let span = self.span(&pair);
        match pair.as_rule() {
            R::group => {
                let inner = pair
                    .into_inner()
                    .find(|p| p.as_rule() == R::disjunction)
                    .expect("grammar");
                self.disjunction(inner)
            }
            R::negation => {
                let atom = pair
                    .into_inner()
                    .find(|p| p.as_rule() == R::atom)
                    .expect("grammar");
                let mut atom = self.atom(atom);
                self.check_plain_args(&atom);
                atom.span = span;
                Body::Literal(Literal::Negative(atom))
            }
            R::atom => {
                let atom = self.atom(pair);
                self.check_plain_args(&atom);
                Body::Literal(Literal::Positive(atom))
            }
            R::test => {
                let mut inner = pair.into_inner();
                let lhs = self.expr(
                    inner
                        .next()
                        .expect("grammar: a test starts with an expression"),
                );
                let next = inner.next().expect("grammar: a test has an operator");
                if next.as_rule() == R::cmp_op {
                    let op = match next.as_str() {
                        "=" => CmpOp::Eq,
                        "!=" => CmpOp::Ne,
                        "<" => CmpOp::Lt,
                        "<=" => CmpOp::Le,
                        ">" => CmpOp::Gt,
                        _ => CmpOp::Ge,
                    };
                    let rhs = self.expr(
                        inner
                            .next()
                            .expect("grammar: a comparison has a right side"),
                    );
                    Body::Literal(Literal::Compare(Box::new(Compare { lhs, op, rhs, span })))
                } else {
                    let negated = next.as_rule() == R::not_in;
                    let values = inner
                        .filter(|p| {
                            !matches!(p.as_rule(), R::kw_in | R::lbracket | R::rbracket | R::comma)
                        })
                        .map(|p| self.constant(p))
                        .collect();
                    Body::Literal(Literal::Member(Box::new(Member {
                        expr: lhs,
                        negated,
                        values,
                        span,
                    })))
                }
            }
            r => unreachable!("grammar: unexpected literal {r:?}"),
        }
    }

    /// Conditions match stored facts, so their arguments must be plain values or variables.
    fn check_plain_args(&mut self, atom: &Atom) {
        for arg in &atom.args {
            if let ExprKind::Binary(..) = arg.node {
                self.diags.push(
                    Diagnostic::error(
                        "E0005",
                        "arithmetic inside a condition's arguments",
                        arg.span,
                    )
                    .with_label("a plain value or variable is expected here")
                    .with_help("bind a new variable here and compare it: `p(Y) and Y = X + 1`"),
                );
            }
        }
    }

    fn atom(&mut self, pair: Pair<R>) -> Atom {
        let span = self.span(&pair);
        let mut pred = None;
        let mut args = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::predicate => pred = Some(self.name(&p)),
                R::expr => args.push(self.expr(p)),
                _ => {}
            }
        }
        // Exact capacities throughout the AST: large files hold hundreds of thousands of
        // atoms, and a growing vector keeps room for four.
        args.shrink_to_fit();
        Atom {
            pred: pred.expect("grammar: atom has a predicate"),
            args,
            span,
        }
    }

    fn expr(&mut self, pair: Pair<R>) -> Expr {
        // expr = product (add_op product)*; product = factor (mul_op factor)*
        let mut inner = pair
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), R::lparen | R::rparen));
        let first = inner.next().expect("grammar: expr has an operand");
        let mut acc = self.operand(first);
        let mut operators = 0;
        while let Some(op) = inner.next() {
            operators += 1;
            if operators > MAX_OPERATORS {
                // Later passes walk expressions recursively: a chain as long as the input
                // allows would overflow the stack. Report it, keep what came before.
                let rest = op.as_span().start();
                self.diags.push(
                    Diagnostic::error(
                        "E0008",
                        format!("an expression with more than {MAX_OPERATORS} operators"),
                        self.src
                            .span(self.file, self.offset + rest, self.offset + rest + 1),
                    )
                    .with_label("too long from here")
                    .with_help("split the computation into several rules, each computing a part"),
                );
                break;
            }
            let op = match op.as_str() {
                "+" => ArithOp::Add,
                "-" => ArithOp::Sub,
                "*" => ArithOp::Mul,
                _ => ArithOp::Div,
            };
            let rhs = self.operand(inner.next().expect("grammar: operator has a right operand"));
            let span = acc.span.to(rhs.span);
            acc = Spanned::new(ExprKind::Binary(op, Box::new(acc), Box::new(rhs)), span);
        }
        acc
    }

    fn operand(&mut self, pair: Pair<R>) -> Expr {
        match pair.as_rule() {
            R::product | R::expr => self.expr(pair),
            R::variable => {
                let span = self.span(&pair);
                Spanned::new(ExprKind::Var(pair.as_str().to_string()), span)
            }
            _ => {
                let c = self.constant(pair);
                Spanned::new(ExprKind::Const(c.node), c.span)
            }
        }
    }

    fn string(&mut self, pair: &Pair<R>) -> Spanned<String> {
        let raw = pair.as_str();
        let inner = &raw[1..raw.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        let mut control_reported = false;
        while let Some(c) = chars.next() {
            if c.is_control() && c != '\t' && !control_reported {
                // Sent as is to a terminal, it could recolour or rewrite what the user reads.
                control_reported = true;
                self.diags.push(
                    Diagnostic::error(
                        "E0004",
                        format!("a control character (U+{:04X}) in a string", u32::from(c)),
                        self.span(pair),
                    )
                    .with_label("in this string")
                    .with_help("remove it; write `\\n` or `\\t` for a line break or a tab"),
                );
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('{') => out.push_str("\\{"),
                other => {
                    let e = other.map_or(String::new(), |c| c.to_string());
                    self.diags.push(
                        Diagnostic::error(
                            "E0004",
                            format!("unknown escape `\\{e}` in a string"),
                            self.span(pair),
                        )
                        .with_label("in this string")
                        .with_help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\{`"),
                    );
                }
            }
        }
        Spanned::new(out, self.span(pair))
    }

    fn constant(&mut self, pair: Pair<R>) -> Spanned<Const> {
        let span = self.span(&pair);
        let s = pair.as_str();
        let c = match pair.as_rule() {
            R::integer => match s.parse::<i64>() {
                Ok(i) => Const::Int(i),
                Err(_) => {
                    self.diags
                        .push(Diagnostic::integer_too_large("E0004", s, span));
                    Const::Int(0)
                }
            },
            R::decimal => match s.parse::<f64>() {
                Ok(d) if d.is_finite() => Const::Dec(d),
                _ => {
                    self.diags.push(
                        Diagnostic::error("E0004", format!("decimal `{s}` is out of range"), span)
                            .with_label("too large")
                            .with_help("decimals must be finite 64-bit floating-point numbers"),
                    );
                    Const::Dec(0.0)
                }
            },
            R::string => Const::Str(self.string(&pair).node),
            R::boolean => Const::Bool(s == "true"),
            _ => Const::Sym(s.to_string()),
        };
        Spanned::new(c, span)
    }

    fn question(&mut self, pair: Pair<R>) -> Question {
        let span = self.item_span(&pair);
        let mut name = None;
        let mut prompt = None;
        let mut many = false;
        let mut ty = None;
        let (mut min, mut max) = (None, None);
        let mut allowed = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::predicate => name = Some(self.name(&p)),
                R::string => prompt = Some(self.string(&p)),
                R::cardinality => many = p.as_str() == "many",
                R::value_type => {
                    ty = Some(match p.as_str() {
                        "string" => ValueType::String,
                        "integer" => ValueType::Integer,
                        "decimal" => ValueType::Decimal,
                        "boolean" => ValueType::Boolean,
                        _ => ValueType::Symbol,
                    })
                }
                R::range => {
                    let mut to = false;
                    for r in p.into_inner() {
                        match r.as_rule() {
                            R::kw_from => to = false,
                            R::kw_to => to = true,
                            _ => {
                                let c = self.constant(r);
                                if to {
                                    max = Some(c);
                                } else {
                                    min = Some(c);
                                }
                            }
                        }
                    }
                }
                R::allowed => {
                    for v in p
                        .into_inner()
                        .filter(|p| !matches!(p.as_rule(), R::kw_of | R::comma))
                    {
                        allowed.push(self.constant(v));
                    }
                }
                _ => {}
            }
        }
        Question {
            docs: Vec::new(),
            name: name.expect("grammar: question has a name"),
            prompt: prompt.expect("grammar: question has a prompt"),
            many,
            ty: ty.unwrap_or(ValueType::Symbol),
            min,
            max,
            allowed,
            span,
        }
    }

    fn output(&mut self, pair: Pair<R>) -> Output {
        let span = self.span(&pair);
        let mut name = None;
        let mut params = Vec::new();
        let mut label = None;
        let mut display = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::predicate => name = Some(self.name(&p)),
                R::variable => params.push(self.spanned_str(&p)),
                R::string => label = Some(self.string(&p)),
                R::output_as => {
                    if let Some(s) = p.into_inner().find(|q| q.as_rule() == R::string) {
                        display = Some(self.string(&s));
                    }
                }
                _ => {}
            }
        }
        Output {
            docs: Vec::new(),
            name: name.expect("grammar: output has a name"),
            params,
            label: label.expect("grammar: output has a label"),
            display,
            span,
        }
    }

    fn name_decl(&mut self, pair: Pair<R>) -> NameDecl {
        let span = self.item_span(&pair);
        let mut symbol = None;
        let mut text = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::symbol => symbol = Some(self.spanned_str(&p)),
                R::string => text = Some(self.string(&p)),
                _ => {}
            }
        }
        NameDecl {
            docs: Vec::new(),
            symbol: symbol.expect("grammar: a name names a symbol"),
            text: text.expect("grammar: a name has its text"),
            span,
        }
    }

    fn advice(&mut self, pair: Pair<R>) -> Advice {
        let span = self.item_span(&pair);
        let mut id = None;
        let mut text = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::source_id => id = Some(self.spanned_str(&p)),
                R::string => text = Some(self.string(&p)),
                _ => {}
            }
        }
        Advice {
            docs: Vec::new(),
            id: id.expect("grammar: advice has an ID"),
            text: text.expect("grammar: advice has its text"),
            span,
        }
    }

    fn threshold(&mut self, pair: Pair<R>) -> Threshold {
        let span = self.item_span(&pair);
        let value = pair
            .into_inner()
            .find(|p| p.as_rule() != R::kw_threshold)
            .map(|p| self.constant(p))
            .map_or(Spanned::new(DEFAULT_THRESHOLD, span), |c| {
                let v = match c.node {
                    Const::Int(i) => i as f64,
                    Const::Dec(d) => d,
                    _ => DEFAULT_THRESHOLD,
                };
                Spanned::new(v, c.span)
            });
        Threshold {
            docs: Vec::new(),
            value,
            span,
        }
    }
}
