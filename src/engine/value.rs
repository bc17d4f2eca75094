//! Run-time values: small `Copy` values with interned symbols and strings.

use crate::ast::Const;
use crate::keyed::KeyedMap;
use std::fmt;

/// Index of an interned symbol or string.
pub type Sym = u32;

/// A value in a fact. Decimals are stored as bits (with -0.0 folded into 0.0) so values can be
/// hashed; an integer never equals a decimal when facts are matched, only in comparisons.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Val {
    Sym(Sym),
    Str(Sym),
    Int(i64),
    Dec(u64),
    Bool(bool),
}

impl Val {
    pub fn dec(d: f64) -> Val {
        Val::Dec(if d == 0.0 {
            0.0f64.to_bits()
        } else {
            d.to_bits()
        })
    }
    pub fn as_f64(self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(i as f64),
            Val::Dec(b) => Some(f64::from_bits(b)),
            _ => None,
        }
    }
    /// The value for hashing a fact: its type and its bits (two values are equal when both
    /// are).
    #[inline]
    pub fn hash_parts(self) -> (u8, u64) {
        match self {
            Val::Sym(s) => (0, u64::from(s)),
            Val::Str(s) => (1, u64::from(s)),
            Val::Int(i) => (2, i as u64),
            Val::Dec(b) => (3, b),
            Val::Bool(b) => (4, u64::from(b)),
        }
    }
    /// The value whose [`hash_parts`](Self::hash_parts) are `tag` and `bits`.
    #[inline]
    pub fn from_parts(tag: u8, bits: u64) -> Val {
        match tag {
            0 => Val::Sym(bits as Sym),
            1 => Val::Str(bits as Sym),
            2 => Val::Int(bits as i64),
            3 => Val::Dec(bits),
            _ => Val::Bool(bits != 0),
        }
    }
    pub fn type_name(self) -> &'static str {
        match self {
            Val::Sym(_) => "symbol",
            Val::Str(_) => "string",
            Val::Int(_) => "integer",
            Val::Dec(_) => "decimal",
            Val::Bool(_) => "boolean",
        }
    }
}

/// A stored fact's arguments: their bits, and their types as the fact's shape gives them (a
/// fact store keeps 8 bytes a value, and each predicate's few combinations of types once;
/// a [`Val`] is 16). Read by position ([`Args::get`]) or in order ([`Args::iter`]).
#[derive(Clone, Copy)]
pub struct Args<'s> {
    tags: &'s [u8],
    bits: &'s [u64],
}

impl<'s> Args<'s> {
    /// The arguments whose types are `tags` and bits `bits` (as many of each).
    #[inline]
    pub(crate) fn new(tags: &'s [u8], bits: &'s [u64]) -> Self {
        debug_assert_eq!(tags.len(), bits.len());
        Args { tags, bits }
    }
    #[inline]
    pub fn len(self) -> usize {
        self.bits.len()
    }
    #[inline]
    pub fn is_empty(self) -> bool {
        self.bits.is_empty()
    }
    /// The argument at position `i` (panics past the last one, as indexing a slice does).
    #[inline]
    pub fn get(self, i: usize) -> Val {
        Val::from_parts(self.tags[i], self.bits[i])
    }
    /// The argument at position `i`, if there is one.
    #[inline]
    pub fn try_get(self, i: usize) -> Option<Val> {
        (i < self.len()).then(|| self.get(i))
    }
    /// The arguments in order.
    #[inline]
    pub fn iter(self) -> ArgsIter<'s> {
        self.into_iter()
    }
    pub fn to_vec(self) -> Vec<Val> {
        self.iter().collect()
    }
    /// Whether the argument at position `i` is `v`.
    #[inline]
    pub fn is(self, i: usize, v: Val) -> bool {
        (self.tags[i], self.bits[i]) == v.hash_parts()
    }
}

/// The values of an [`Args`], in order.
pub type ArgsIter<'s> = std::iter::Map<
    std::iter::Zip<std::slice::Iter<'s, u8>, std::slice::Iter<'s, u64>>,
    fn((&u8, &u64)) -> Val,
>;

impl<'s> IntoIterator for Args<'s> {
    type Item = Val;
    type IntoIter = ArgsIter<'s>;
    #[inline]
    fn into_iter(self) -> ArgsIter<'s> {
        let from: fn((&u8, &u64)) -> Val = |(&t, &b)| Val::from_parts(t, b);
        self.tags.iter().zip(self.bits).map(from)
    }
}

impl PartialEq<[Val]> for Args<'_> {
    #[inline]
    fn eq(&self, other: &[Val]) -> bool {
        if self.len() != other.len() {
            return false;
        }
        for (i, &v) in other.iter().enumerate() {
            if !self.is(i, v) {
                return false;
            }
        }
        true
    }
}

impl<const N: usize> PartialEq<[Val; N]> for Args<'_> {
    fn eq(&self, other: &[Val; N]) -> bool {
        *self == other[..]
    }
}

impl PartialEq for Args<'_> {
    fn eq(&self, other: &Args<'_>) -> bool {
        self.tags == other.tags && self.bits == other.bits
    }
}

impl fmt::Debug for Args<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Values read by position: a slice of them, or a stored fact's [`Args`].
pub trait ValsAt: Copy {
    fn val_at(self, i: usize) -> Val;
}

impl ValsAt for &[Val] {
    #[inline]
    fn val_at(self, i: usize) -> Val {
        self[i]
    }
}

impl ValsAt for Args<'_> {
    #[inline]
    fn val_at(self, i: usize) -> Val {
        self.get(i)
    }
}

/// Symbol and string table shared by a program and its facts.
#[derive(Default, Debug, Clone)]
pub struct Interner {
    /// Keyed (`crate::keyed`): names come from facts files.
    map: KeyedMap<Box<str>, Sym>,
    names: Vec<Box<str>>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        let id = self.names.len() as Sym;
        self.names.push(s.into());
        self.map.insert(s.into(), id);
        id
    }
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }
    /// Every symbol and string, in the order interned.
    pub fn symbols(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }
    pub fn name(&self, id: Sym) -> &str {
        &self.names[id as usize]
    }
    /// The value of a constant without adding to the table: `None` for a symbol or string
    /// the table does not hold. (Runs share the program's table and copy it only then.)
    pub fn known_value(&self, c: &Const) -> Option<Val> {
        Some(match c {
            Const::Sym(s) => Val::Sym(self.get(s)?),
            Const::Str(s) => Val::Str(self.get(s)?),
            Const::Int(i) => Val::Int(*i),
            Const::Dec(d) => Val::dec(*d),
            Const::Bool(b) => Val::Bool(*b),
        })
    }
    pub fn value(&mut self, c: &Const) -> Val {
        match c {
            Const::Sym(s) => Val::Sym(self.intern(s)),
            Const::Str(s) => Val::Str(self.intern(s)),
            Const::Int(i) => Val::Int(*i),
            Const::Dec(d) => Val::dec(*d),
            Const::Bool(b) => Val::Bool(*b),
        }
    }
    /// A value for display: symbols bare, strings quoted, numbers as written.
    pub fn show(&self, v: Val) -> Shown<'_> {
        Shown(self, v)
    }
    pub fn to_const(&self, v: Val) -> Const {
        match v {
            Val::Sym(s) => Const::Sym(self.name(s).to_string()),
            Val::Str(s) => Const::Str(self.name(s).to_string()),
            Val::Int(i) => Const::Int(i),
            Val::Dec(b) => Const::Dec(f64::from_bits(b)),
            Val::Bool(b) => Const::Bool(b),
        }
    }
}

pub struct Shown<'a>(&'a Interner, Val);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Val::Sym(s) => f.write_str(self.0.name(s)),
            Val::Str(s) => write!(f, "{:?}", self.0.name(s)),
            Val::Int(i) => write!(f, "{i}"),
            Val::Dec(b) => write!(f, "{:?}", f64::from_bits(b)),
            Val::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// Total order used to sort values for deterministic output: by type, then value; symbols
/// and strings by text.
pub fn cmp_vals(i: &Interner, a: Val, b: Val) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let rank = |v: Val| match v {
        Val::Bool(_) => 0,
        Val::Int(_) | Val::Dec(_) => 1,
        Val::Sym(_) => 2,
        Val::Str(_) => 3,
    };
    match (a, b) {
        (Val::Sym(x), Val::Sym(y)) | (Val::Str(x), Val::Str(y)) => i.name(x).cmp(i.name(y)),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(&y),
        (Val::Int(x), Val::Int(y)) => x.cmp(&y),
        _ if rank(a) == 1 && rank(b) == 1 => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y)
                .unwrap_or(Ordering::Equal)
                .then(rank(a).cmp(&rank(b)))
        }
        _ => rank(a).cmp(&rank(b)),
    }
}
