//! The rule-file AST, produced by `syntax::lower`. No pest type appears here.

use crate::span::{Span, Spanned};
use std::fmt;

mod facts;
pub use facts::{ConstRef, FactChunk, FactRef, FactValue, Facts};

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
    Name(Box<NameDecl>),
    Advice(Box<Advice>),
    Threshold(Box<Threshold>),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Rule(r) => r.span,
            Item::Question(q) => q.span,
            Item::Output(o) => o.span,
            Item::Name(n) => n.span,
            Item::Advice(a) => a.span,
            Item::Threshold(t) => t.span,
        }
    }
}

/// `name aspnet_core "ASP.NET Core"`: what people read for a symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct NameDecl {
    pub docs: Vec<String>,
    pub symbol: Spanned<String>,
    pub text: Spanned<String>,
    pub span: Span,
}

/// `advice K2 "Flask suits flexible data"`: an advice ID rules may cite, and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    pub docs: Vec<String>,
    pub id: Spanned<String>,
    pub text: Spanned<String>,
    pub span: Span,
}

/// `threshold 0.2`: conditions hold only for facts whose certainty is above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub docs: Vec<String>,
    pub value: Spanned<f64>,
    pub span: Span,
}

/// The threshold when a program sets none: MYCIN's 0.2 (docs/semantics.md).
pub const DEFAULT_THRESHOLD: f64 = 0.2;

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
    /// `from N` and `to N`: the smallest and largest numbers allowed.
    pub min: Option<Spanned<Const>>,
    pub max: Option<Spanned<Const>>,
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
    /// `as "{Subject} {Topic}"`: how one conclusion reads in a sentence.
    pub display: Option<Spanned<String>>,
    pub span: Span,
}
