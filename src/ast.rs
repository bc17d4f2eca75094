//! The rule-file AST, produced by `syntax::lower`. No pest type appears here.

use crate::span::{Span, Spanned};
use std::fmt;

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    /// Rules, questions and outputs, in order.
    pub items: Items,
    /// The facts the file states, in order (kept apart from the items, column-wise: large
    /// files are mostly facts).
    pub facts: Facts,
    /// Every comment in the file, in order (doc comments are also attached to their item).
    pub comments: Vec<Spanned<Comment>>,
}

/// A file's items in order, kept in the chunks they were parsed in (files are parsed by
/// groups of items): gathering them into one vector would hold every item twice at the
/// moment memory peaks.
#[derive(Clone, Default)]
pub struct Items {
    chunks: Vec<Vec<Item>>,
}

impl Items {
    pub fn push_chunk(&mut self, chunk: Vec<Item>) {
        if !chunk.is_empty() {
            self.chunks.push(chunk);
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = &Item> {
        self.chunks.iter().flatten()
    }
    /// Keep only the items `keep` accepts (emptied chunks are freed).
    pub fn retain(&mut self, mut keep: impl FnMut(&Item) -> bool) {
        for c in &mut self.chunks {
            c.retain(&mut keep);
            c.shrink_to_fit();
        }
        self.chunks.retain(|c| !c.is_empty());
    }
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Item> {
        self.chunks.iter_mut().flatten()
    }
}

impl IntoIterator for Items {
    type Item = Item;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<Item>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

/// Compared and shown as one list, whatever the chunks.
impl PartialEq for Items {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Items {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// `##` comments document the item that follows them.
    pub doc: bool,
    pub text: String,
}

/// An item other than a fact (facts are in [`Facts`]). Every variant is boxed: large rule
/// files hold hundreds of thousands of items.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Rule(Box<Rule>),
    Question(Box<Question>),
    Output(Box<Output>),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Rule(r) => r.span,
            Item::Question(q) => q.span,
            Item::Output(o) => o.span,
        }
    }
}

/// `rule NAME because "..." source K2 when BODY then HEADS`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub docs: Vec<String>,
    pub name: Spanned<String>,
    /// The `because` text shown to users, with `{X}` placeholders.
    pub because: Option<Spanned<String>>,
    pub sources: Vec<Spanned<String>>,
    pub body: Body,
    pub heads: Vec<Head>,
    pub span: Span,
}

/// A rule body before disjunctions are desugared.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    And(Vec<Body>),
    Or(Vec<Body>),
    Literal(Literal),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Positive(Atom),
    Negative(Atom),
    /// Boxed (rarer and larger than atoms), so that a condition stays small.
    Compare(Box<Compare>),
    Member(Box<Member>),
}

impl Literal {
    pub fn span(&self) -> Span {
        match self {
            Literal::Positive(a) | Literal::Negative(a) => a.span,
            Literal::Compare(c) => c.span,
            Literal::Member(m) => m.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Compare {
    pub lhs: Expr,
    pub op: CmpOp,
    pub rhs: Expr,
    pub span: Span,
}

/// `X in [a, b]` (or `not in`).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub expr: Expr,
    pub negated: bool,
    pub values: Vec<Spanned<Const>>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
    /// The operator that holds exactly when this one fails.
    pub fn negate(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }
}

/// A conclusion with its optional certainty factor.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub atom: Atom,
    pub certainty: Option<Spanned<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Atom {
    pub pred: Spanned<String>,
    pub args: Vec<Expr>,
    pub span: Span,
}

pub type Expr = Spanned<ExprKind>;

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Const(Const),
    Var(String),
    Binary(ArithOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}

/// A constant written in a rule or facts file.
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Sym(String),
    Str(String),
    Int(i64),
    Dec(f64),
    Bool(bool),
}

impl Const {
    pub fn type_name(&self) -> ValueType {
        match self {
            Const::Sym(_) => ValueType::Symbol,
            Const::Str(_) => ValueType::String,
            Const::Int(_) => ValueType::Integer,
            Const::Dec(_) => ValueType::Decimal,
            Const::Bool(_) => ValueType::Boolean,
        }
    }
}

impl fmt::Display for Const {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Const::Sym(s) => f.write_str(s),
            Const::Str(s) => write!(f, "{s:?}"),
            Const::Int(i) => write!(f, "{i}"),
            Const::Dec(d) => write!(f, "{d:?}"),
            Const::Bool(b) => write!(f, "{b}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    Symbol,
    String,
    Integer,
    Decimal,
    Boolean,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Symbol => "symbol",
            ValueType::String => "string",
            ValueType::Integer => "integer",
            ValueType::Decimal => "decimal",
            ValueType::Boolean => "boolean",
        }
    }
    /// Whether a constant of type `t` may stand where this type is expected.
    pub fn accepts(self, t: ValueType) -> bool {
        self == t || (self == ValueType::Decimal && t == ValueType::Integer)
    }
}

/// `question language "Which languages..." many of python, java`.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub docs: Vec<String>,
    pub name: Spanned<String>,
    pub prompt: Spanned<String>,
    pub many: bool,
    pub ty: ValueType,
    pub allowed: Vec<Spanned<Const>>,
    pub span: Span,
}

/// `output recommend(Framework) "Recommended framework"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub docs: Vec<String>,
    pub name: Spanned<String>,
    pub params: Vec<Spanned<String>>,
    pub label: Spanned<String>,
    pub span: Span,
}

/// The facts a file states (`fact written_in(django, python)`), column-wise, in the chunks
/// they were parsed in. A fact costs about 24 bytes plus 28 per value here, against some 300
/// bytes and three allocations as an item with an atom, strings and expressions of its own.
#[derive(Clone, Default)]
pub struct Facts {
    chunks: Vec<FactChunk>,
}

impl Facts {
    pub fn push_chunk(&mut self, chunk: FactChunk) {
        if !chunk.rows.is_empty() {
            self.chunks.push(chunk);
        }
    }
    pub fn chunks(&self) -> &[FactChunk] {
        &self.chunks
    }
    pub fn into_chunks(self) -> Vec<FactChunk> {
        self.chunks
    }
    pub fn chunks_mut(&mut self) -> &mut [FactChunk] {
        &mut self.chunks
    }
    pub fn iter(&self) -> impl Iterator<Item = FactRef<'_>> {
        self.chunks.iter().flat_map(FactChunk::iter)
    }
}

/// Compared and shown fact by fact, whatever the chunks and the order of their name tables.
impl PartialEq for Facts {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Facts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A value stated in a fact. Symbols and strings are numbers in their chunk's name table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FactValue {
    Sym(u32),
    Str(u32),
    Int(i64),
    Dec(f64),
    Bool(bool),
    /// Not a plain value (a variable, arithmetic): kept so that the check reports it (E0114)
    /// and the fact still counts as stating its predicate.
    NotPlain,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct FactRow {
    /// The predicate's number in the chunk's name table.
    pred: u32,
    /// Where the predicate's name starts.
    pred_start: u32,
    /// The first of the fact's values in `values`.
    values: u32,
    span: Span,
}

/// Facts parsed together (one group of items), with the names they use.
#[derive(Clone, Default)]
pub struct FactChunk {
    names: Vec<Box<str>>,
    name_ids: rustc_hash::FxHashMap<Box<str>, u32>,
    rows: Vec<FactRow>,
    values: Vec<FactValue>,
    value_spans: Vec<Span>,
    /// (row, certainty) of the facts that give one, by row.
    certainties: Vec<(u32, Spanned<f64>)>,
    /// (row, doc comments) of the facts that have some, by row.
    docs: Vec<(u32, Vec<String>)>,
}

/// A constant of a fact, borrowed from its chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConstRef<'a> {
    Sym(&'a str),
    Str(&'a str),
    Int(i64),
    Dec(f64),
    Bool(bool),
}

impl ConstRef<'_> {
    pub fn to_const(self) -> Const {
        match self {
            ConstRef::Sym(s) => Const::Sym(s.to_string()),
            ConstRef::Str(s) => Const::Str(s.to_string()),
            ConstRef::Int(i) => Const::Int(i),
            ConstRef::Dec(d) => Const::Dec(d),
            ConstRef::Bool(b) => Const::Bool(b),
        }
    }
}

impl<'a> From<&'a Const> for ConstRef<'a> {
    fn from(c: &'a Const) -> Self {
        match c {
            Const::Sym(s) => ConstRef::Sym(s),
            Const::Str(s) => ConstRef::Str(s),
            Const::Int(i) => ConstRef::Int(*i),
            Const::Dec(d) => ConstRef::Dec(*d),
            Const::Bool(b) => ConstRef::Bool(*b),
        }
    }
}

impl FactChunk {
    /// The number of `name` in this chunk's name table.
    fn name_id(&mut self, name: &str) -> u32 {
        // Facts come in runs of one predicate: try the last fact's first.
        if let Some(last) = self.rows.last() {
            if *self.names[last.pred as usize] == *name {
                return last.pred;
            }
        }
        if let Some(&i) = self.name_ids.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.into());
        self.name_ids.insert(name.into(), i);
        i
    }

    /// Add a fact. `values` gives each value with its span; `None` for one that is not a
    /// plain value.
    pub fn push<'v>(
        &mut self,
        pred: &str,
        pred_span: Span,
        values: impl IntoIterator<Item = (Option<ConstRef<'v>>, Span)>,
        certainty: Option<Spanned<f64>>,
        span: Span,
    ) {
        let row = self.rows.len() as u32;
        let pred_id = self.name_id(pred);
        self.rows.push(FactRow {
            pred: pred_id,
            pred_start: pred_span.start,
            values: self.values.len() as u32,
            span,
        });
        for (v, s) in values {
            let v = match v {
                Some(ConstRef::Sym(x)) => FactValue::Sym(self.name_id(x)),
                Some(ConstRef::Str(x)) => FactValue::Str(self.name_id(x)),
                Some(ConstRef::Int(i)) => FactValue::Int(i),
                Some(ConstRef::Dec(d)) => FactValue::Dec(d),
                Some(ConstRef::Bool(b)) => FactValue::Bool(b),
                None => FactValue::NotPlain,
            };
            self.values.push(v);
            self.value_spans.push(s);
        }
        if let Some(c) = certainty {
            self.certainties.push((row, c));
        }
    }

    /// Append another chunk's facts after this one's.
    pub fn append(&mut self, other: FactChunk) {
        let map: Vec<u32> = other.names.iter().map(|n| self.name_id(n)).collect();
        let (rows0, values0) = (self.rows.len() as u32, self.values.len() as u32);
        self.rows.extend(other.rows.iter().map(|r| FactRow {
            pred: map[r.pred as usize],
            values: r.values + values0,
            ..*r
        }));
        self.values.extend(other.values.iter().map(|v| match *v {
            FactValue::Sym(i) => FactValue::Sym(map[i as usize]),
            FactValue::Str(i) => FactValue::Str(map[i as usize]),
            v => v,
        }));
        self.value_spans.extend_from_slice(&other.value_spans);
        self.certainties
            .extend(other.certainties.into_iter().map(|(r, c)| (r + rows0, c)));
        self.docs
            .extend(other.docs.into_iter().map(|(r, d)| (r + rows0, d)));
    }

    /// Done adding: the lookup table goes, and vectors shrink to their contents.
    pub fn finish(&mut self) {
        self.name_ids = Default::default();
        self.rows.shrink_to_fit();
        self.values.shrink_to_fit();
        self.value_spans.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// The number of values of all the chunk's facts.
    pub fn value_count(&self) -> usize {
        self.values.len()
    }
    /// The chunk's name table: predicate names, symbols and strings.
    pub fn names(&self) -> &[Box<str>] {
        &self.names
    }
    pub fn iter(&self) -> impl Iterator<Item = FactRef<'_>> {
        (0..self.rows.len()).map(move |row| FactRef { chunk: self, row })
    }
    /// Set the doc comments of fact `row` (rows are given in increasing order).
    pub fn set_docs(&mut self, row: usize, docs: Vec<String>) {
        if !docs.is_empty() {
            self.docs.push((row as u32, docs));
        }
    }
}

/// One stated fact, read from its chunk.
#[derive(Clone, Copy)]
pub struct FactRef<'a> {
    chunk: &'a FactChunk,
    row: usize,
}

impl<'a> FactRef<'a> {
    fn row(&self) -> &'a FactRow {
        &self.chunk.rows[self.row]
    }
    fn value_range(&self) -> std::ops::Range<usize> {
        let start = self.row().values as usize;
        let end = self
            .chunk
            .rows
            .get(self.row + 1)
            .map_or(self.chunk.values.len(), |r| r.values as usize);
        start..end
    }
    /// The predicate's number in the chunk's name table.
    pub fn pred_id(&self) -> u32 {
        self.row().pred
    }
    pub fn pred(&self) -> &'a str {
        &self.chunk.names[self.row().pred as usize]
    }
    pub fn pred_span(&self) -> Span {
        let r = self.row();
        Span {
            file: r.span.file,
            start: r.pred_start,
            end: r.pred_start + self.pred().len() as u32,
        }
    }
    pub fn arity(&self) -> usize {
        self.value_range().len()
    }
    /// The values as stored (symbols and strings as numbers in the chunk's name table).
    pub fn raw_values(&self) -> &'a [FactValue] {
        &self.chunk.values[self.value_range()]
    }
    /// Each value (`None` for one that is not plain) with its span.
    pub fn values(&self) -> impl Iterator<Item = (Option<ConstRef<'a>>, Span)> + 'a {
        let chunk = self.chunk;
        let r = self.value_range();
        chunk.values[r.clone()]
            .iter()
            .zip(&chunk.value_spans[r])
            .map(move |(v, s)| {
                let c = match *v {
                    FactValue::Sym(i) => Some(ConstRef::Sym(&chunk.names[i as usize])),
                    FactValue::Str(i) => Some(ConstRef::Str(&chunk.names[i as usize])),
                    FactValue::Int(i) => Some(ConstRef::Int(i)),
                    FactValue::Dec(d) => Some(ConstRef::Dec(d)),
                    FactValue::Bool(b) => Some(ConstRef::Bool(b)),
                    FactValue::NotPlain => None,
                };
                (c, *s)
            })
    }
    pub fn certainty(&self) -> Option<Spanned<f64>> {
        let c = &self.chunk.certainties;
        c.binary_search_by_key(&(self.row as u32), |(r, _)| *r)
            .ok()
            .map(|i| c[i].1.clone())
    }
    pub fn docs(&self) -> &'a [String] {
        let d = &self.chunk.docs;
        d.binary_search_by_key(&(self.row as u32), |(r, _)| *r)
            .map_or(&[], |i| &d[i].1)
    }
    pub fn span(&self) -> Span {
        self.row().span
    }
}

impl PartialEq for FactRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.pred() == other.pred()
            && self.pred_span() == other.pred_span()
            && self.span() == other.span()
            && self.values().eq(other.values())
            && self.certainty() == other.certainty()
            && self.docs() == other.docs()
    }
}

impl fmt::Debug for FactRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fact")
            .field("pred", &self.pred())
            .field("pred_span", &self.pred_span())
            .field("values", &self.values().collect::<Vec<_>>())
            .field("certainty", &self.certainty())
            .field("docs", &self.docs())
            .field("span", &self.span())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::FileId;

    fn span(start: u32) -> Span {
        Span {
            file: FileId(0),
            start,
            end: start + 1,
        }
    }

    /// Appending renumbers the other chunk's names into this one's table: shared names
    /// keep one number, new ones get the next, and rows, values, certainties and docs follow.
    #[test]
    fn appending_a_chunk_renumbers_its_names() {
        let mut a = FactChunk::default();
        a.push(
            "p",
            span(0),
            [(Some(ConstRef::Sym("x")), span(2))],
            None,
            span(0),
        );
        let mut b = FactChunk::default();
        b.push(
            "q",
            span(10),
            [
                (Some(ConstRef::Sym("x")), span(12)),
                (Some(ConstRef::Str("y")), span(14)),
                (None, span(16)),
            ],
            Some(Spanned::new(0.5, span(20))),
            span(10),
        );
        b.set_docs(0, vec!["about q".into()]);
        b.push(
            "p",
            span(30),
            [(Some(ConstRef::Int(7)), span(32))],
            None,
            span(30),
        );
        a.append(b);
        a.finish();
        let facts: Vec<FactRef<'_>> = a.iter().collect();
        assert_eq!(facts.len(), 3);
        assert_eq!(facts[1].pred(), "q");
        let values: Vec<_> = facts[1].values().map(|(v, _)| v).collect();
        assert_eq!(
            values,
            [Some(ConstRef::Sym("x")), Some(ConstRef::Str("y")), None]
        );
        assert_eq!(facts[1].certainty().map(|c| c.node), Some(0.5));
        assert_eq!(facts[1].docs(), ["about q".to_string()]);
        assert_eq!(facts[2].pred(), "p");
        assert_eq!(facts[2].pred_id(), facts[0].pred_id());
        assert_eq!(
            facts[2].values().next().map(|(v, s)| (v, s.start)),
            Some((Some(ConstRef::Int(7)), 32))
        );
        assert!(facts[0].certainty().is_none() && facts[0].docs().is_empty());
        // "p", "x", "q", "y": shared names once.
        assert_eq!(a.names().len(), 4);
    }
}
