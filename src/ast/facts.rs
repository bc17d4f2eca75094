//! The facts a rule file states, column-wise: a table per chunk of the file, with its own
//! names. Large rule files are mostly facts, and a fact here costs about 16 bytes plus 13 per
//! value, against some 300 bytes and three allocations as a syntax-tree item.
//!
//! The values: [`FactValue`] is one as a chunk gives it (symbols and strings as numbers in the
//! chunk's name table; kept as a type and 8 bytes); [`ConstRef`] is one read back, borrowed
//! from the chunk; `Const` is an owned constant of the syntax tree. The engine interns all of them into its own `Val`.

use super::Const;
use crate::span::{Span, Spanned};
use std::fmt;

/// The facts a file states (`fact written_in(django, python)`), column-wise, in the chunks
/// they were parsed in. A fact costs about 16 bytes plus 13 per value here, against some 300
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

impl FactValue {
    /// The value as a type and 8 bytes, as a chunk keeps it.
    fn split(self) -> (u8, u64) {
        match self {
            FactValue::Sym(i) => (0, u64::from(i)),
            FactValue::Str(i) => (1, u64::from(i)),
            FactValue::Int(i) => (2, i as u64),
            FactValue::Dec(d) => (3, d.to_bits()),
            FactValue::Bool(b) => (4, u64::from(b)),
            FactValue::NotPlain => (5, 0),
        }
    }
    fn join(tag: u8, bits: u64) -> FactValue {
        match tag {
            0 => FactValue::Sym(bits as u32),
            1 => FactValue::Str(bits as u32),
            2 => FactValue::Int(bits as i64),
            3 => FactValue::Dec(f64::from_bits(bits)),
            4 => FactValue::Bool(bits != 0),
            _ => FactValue::NotPlain,
        }
    }
}

/// A value's place in its chunk's `value_places`: its start from its fact's start in the
/// upper 16 bits, its length in the lower 16; [`FAR`] for a value that does not fit (a fact
/// over 64 KiB long), whose span is kept whole in `far_spans`.
fn place(fact: Span, value: Span) -> u32 {
    let off = value.start.wrapping_sub(fact.start);
    let len = value.end.wrapping_sub(value.start);
    if value.file == fact.file && value.start >= fact.start && off < 0xFFFF && len <= 0xFFFF {
        off << 16 | len
    } else {
        FAR
    }
}

/// See [`place`].
const FAR: u32 = u32::MAX;

/// A fact: 16 bytes (W3 parses 3.2 million at once), where its predicate, start and end
/// kept whole would be 24.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FactRow {
    /// The predicate's number in the chunk's name table.
    pred: u32,
    /// The number of the fact's first value (in `value_tags` and the columns beside it).
    values: u32,
    /// Where the fact starts, in the chunk's file.
    start: u32,
    /// Where its predicate's name starts from its start (upper 16 bits) and its length (lower
    /// 16); [`FAR`] for a fact that does not fit (65,536 bytes long or more, its predicate
    /// 65,535 bytes or more into it or before it, or in another file than the chunk's first
    /// fact), whose span and predicate's start are kept in `far_rows`.
    place: u32,
}

/// Facts parsed together (one group of items), with the names they use.
#[derive(Clone, Default)]
pub struct FactChunk {
    names: Vec<Box<str>>,
    /// Keyed (`crate::keyed`): the names come from facts files.
    name_ids: crate::keyed::KeyedMap<Box<str>, u32>,
    rows: Vec<FactRow>,
    /// The file of the chunk's first fact.
    file: crate::span::FileId,
    /// (row, span, predicate's start) of the facts whose place is [`FAR`], by row.
    far_rows: Vec<(u32, Span, u32)>,
    /// The values, each as a type and 8 bytes ([`FactValue::split`]): 9 bytes, where a
    /// `FactValue` is 16.
    value_tags: Vec<u8>,
    value_bits: Vec<u64>,
    /// Where each value is in its fact (see [`place`]): 4 bytes a value, where a span is 12.
    value_places: Vec<u32>,
    /// (value, span) of the values whose place is [`FAR`], by value.
    far_spans: Vec<(u32, Span)>,
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

/// Hashed as it compares (`==`): a decimal by its bits, its two zeros made one (facts and
/// answers hold no NaN: the readers reject what is not finite).
impl std::hash::Hash for ConstRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match *self {
            ConstRef::Sym(s) | ConstRef::Str(s) => s.hash(h),
            ConstRef::Int(i) => i.hash(h),
            ConstRef::Dec(d) => (if d == 0.0 { 0 } else { d.to_bits() }).hash(h),
            ConstRef::Bool(b) => b.hash(h),
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
        if self.rows.is_empty() {
            self.file = span.file;
        }
        let off = pred_span.start.wrapping_sub(span.start);
        let len = span.end.wrapping_sub(span.start);
        let row_place = if span.file == self.file
            && pred_span.start >= span.start
            && off < 0xFFFF
            && len <= 0xFFFF
        {
            off << 16 | len
        } else {
            self.far_rows.push((row, span, pred_span.start));
            FAR
        };
        self.rows.push(FactRow {
            pred: pred_id,
            values: self.value_tags.len() as u32,
            start: span.start,
            place: row_place,
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
            let (tag, bits) = v.split();
            let at = self.value_tags.len() as u32;
            self.value_tags.push(tag);
            self.value_bits.push(bits);
            let p = place(span, s);
            if p == FAR {
                self.far_spans.push((at, s));
            }
            self.value_places.push(p);
        }
        if let Some(c) = certainty {
            self.certainties.push((row, c));
        }
    }

    /// Append another chunk's facts after this one's.
    pub fn append(&mut self, other: FactChunk) {
        let map: Vec<u32> = other.names.iter().map(|n| self.name_id(n)).collect();
        let (rows0, values0) = (self.rows.len() as u32, self.value_tags.len() as u32);
        if self.rows.is_empty() {
            self.file = other.file;
        }
        // The other chunk's facts in another file than this one's are far here.
        let moved = other.file != self.file;
        for (i, r) in other.rows.iter().enumerate() {
            let f = FactRef {
                chunk: &other,
                row: i,
            };
            let far = r.place == FAR || moved;
            if far {
                self.far_rows
                    .push((rows0 + i as u32, f.span(), f.pred_span().start));
            }
            self.rows.push(FactRow {
                pred: map[r.pred as usize],
                values: r.values + values0,
                start: r.start,
                place: if far { FAR } else { r.place },
            });
        }
        self.value_bits.extend(
            other
                .value_tags
                .iter()
                .zip(&other.value_bits)
                .map(|(&t, &b)| match FactValue::join(t, b) {
                    FactValue::Sym(i) | FactValue::Str(i) => u64::from(map[i as usize]),
                    _ => b,
                }),
        );
        self.value_tags.extend_from_slice(&other.value_tags);
        self.value_places.extend_from_slice(&other.value_places);
        self.far_spans
            .extend(other.far_spans.iter().map(|&(v, s)| (v + values0, s)));
        self.certainties
            .extend(other.certainties.into_iter().map(|(r, c)| (r + rows0, c)));
        self.docs
            .extend(other.docs.into_iter().map(|(r, d)| (r + rows0, d)));
    }

    /// Room for `facts` more facts with `values` more values in all: a file of millions of
    /// facts is parsed without its columns growing (each growth copies them, and the copies'
    /// memory stays with the process). Room not used is never touched, so costs no memory.
    pub fn reserve(&mut self, facts: usize, values: usize) {
        self.rows.reserve(facts);
        self.value_tags.reserve(values);
        self.value_bits.reserve(values);
        self.value_places.reserve(values);
    }

    /// Done adding: the lookup table goes, and vectors shrink to their contents.
    pub fn finish(&mut self) {
        self.name_ids = Default::default();
        self.rows.shrink_to_fit();
        self.value_tags.shrink_to_fit();
        self.value_bits.shrink_to_fit();
        self.value_places.shrink_to_fit();
        self.far_spans.shrink_to_fit();
        self.far_rows.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// The number of values of all the chunk's facts.
    pub fn value_count(&self) -> usize {
        self.value_tags.len()
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
            .map_or(self.chunk.value_tags.len(), |r| r.values as usize);
        start..end
    }
    /// The predicate's number in the chunk's name table.
    pub fn pred_id(&self) -> u32 {
        self.row().pred
    }
    pub fn pred(&self) -> &'a str {
        &self.chunk.names[self.row().pred as usize]
    }
    /// The fact's span and its predicate's start.
    fn placed(&self) -> (Span, u32) {
        let r = self.row();
        if r.place == FAR {
            let far = &self.chunk.far_rows;
            let i = far
                .binary_search_by_key(&(self.row as u32), |&(at, ..)| at)
                .expect("a far fact's span is kept");
            return (far[i].1, far[i].2);
        }
        let span = Span {
            file: self.chunk.file,
            start: r.start,
            end: r.start + (r.place & 0xFFFF),
        };
        (span, r.start + (r.place >> 16))
    }
    pub fn pred_span(&self) -> Span {
        let (span, start) = self.placed();
        Span {
            file: span.file,
            start,
            end: start + self.pred().len() as u32,
        }
    }
    pub fn arity(&self) -> usize {
        self.value_range().len()
    }
    /// The values as stored (symbols and strings as numbers in the chunk's name table).
    pub fn raw_values(&self) -> impl ExactSizeIterator<Item = FactValue> + 'a {
        let r = self.value_range();
        let chunk = self.chunk;
        chunk.value_tags[r.clone()]
            .iter()
            .zip(&chunk.value_bits[r])
            .map(|(&t, &b)| FactValue::join(t, b))
    }
    /// The span of the chunk's value number `v`, of this fact.
    fn value_span(&self, v: usize) -> Span {
        let (fact, p) = (self.span(), self.chunk.value_places[v]);
        if p == FAR {
            let far = &self.chunk.far_spans;
            let i = far
                .binary_search_by_key(&(v as u32), |&(at, _)| at)
                .expect("a far value's span is kept");
            return far[i].1;
        }
        let start = fact.start + (p >> 16);
        Span {
            file: fact.file,
            start,
            end: start + (p & 0xFFFF),
        }
    }
    /// Each value (`None` for one that is not plain) with its span.
    pub fn values(&self) -> impl Iterator<Item = (Option<ConstRef<'a>>, Span)> + 'a {
        let (chunk, this) = (self.chunk, *self);
        self.raw_values()
            .zip(self.value_range())
            .map(move |(v, at)| {
                let s = this.value_span(at);
                let c = match v {
                    FactValue::Sym(i) => Some(ConstRef::Sym(&chunk.names[i as usize])),
                    FactValue::Str(i) => Some(ConstRef::Str(&chunk.names[i as usize])),
                    FactValue::Int(i) => Some(ConstRef::Int(i)),
                    FactValue::Dec(d) => Some(ConstRef::Dec(d)),
                    FactValue::Bool(b) => Some(ConstRef::Bool(b)),
                    FactValue::NotPlain => None,
                };
                (c, s)
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
        self.placed().0
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

    /// Every fact's span and predicate's place come back exact: kept as a place from the
    /// fact's start, or whole for a fact 64 KiB long or more, one whose predicate starts
    /// 65,535 bytes or more into it, and one in another file than the chunk's first fact; through
    /// appending, also of a chunk of another file.
    #[test]
    fn each_fact_keeps_its_span() {
        let at = |file: u32, start: u32, end: u32| Span {
            file: FileId(file),
            start,
            end,
        };
        // (fact's span, predicate's start)
        let facts = [
            (at(0, 10, 30), 10),
            (at(0, 40, 40 + 0xFFFF), 45),
            (at(0, 200_000, 200_000 + 0x1_0000), 200_001),
            (at(0, 300_000, 300_000 + 0x2_0000), 300_000 + 0xFFFF),
            (at(0, 500_000, 500_000 + 0xFFFF), 500_000 + 0xFFFE),
            (at(1, 7, 20), 8),
            (at(0, 900_000, 900_005), 900_000),
        ];
        let chunk = |facts: &[(Span, u32)]| {
            let mut c = FactChunk::default();
            for &(span, pred) in facts {
                let p = Span {
                    file: span.file,
                    start: pred,
                    end: pred + 1,
                };
                c.push("p", p, [(Some(ConstRef::Int(1)), p)], None, span);
            }
            c
        };
        let got = |c: &FactChunk| -> Vec<(Span, u32)> {
            c.iter().map(|f| (f.span(), f.pred_span().start)).collect()
        };
        let whole = chunk(&facts);
        assert_eq!(got(&whole), facts);
        // Far: 0x1_0000 long, the predicate 0xFFFF in, the other file.
        assert_eq!(whole.far_rows.len(), 3);
        assert_eq!(
            whole.iter().map(|f| f.pred()).collect::<String>(),
            "ppppppp"
        );
        for split in [1, 5, 6] {
            let mut a = chunk(&facts[..split]);
            a.append(chunk(&facts[split..]));
            a.finish();
            assert_eq!(got(&a), facts, "split at {split}");
        }
    }

    /// Every value's span comes back exact, kept as a place in its fact or, for a fact over
    /// 64 KiB long, whole; through appending, which moves the values' numbers.
    #[test]
    fn each_value_keeps_its_span() {
        let at = |start: u32, end: u32| Span {
            file: FileId(0),
            start,
            end,
        };
        let facts: [(u32, Vec<Span>); 3] = [
            (
                10,
                vec![
                    at(12, 13),
                    at(15, 15 + 0x1_0000),
                    at(15 + 0x1_0000, 15 + 0x1_0001),
                ],
            ),
            (
                100_000,
                vec![
                    at(100_002, 100_003),
                    at(100_000 + 0xFFFF, 100_000 + 0x1_0001),
                ],
            ),
            (
                300_000,
                vec![
                    at(300_006, 300_006),
                    at(300_000 + 0xFFFE, 300_000 + 0x1_FFFD),
                ],
            ),
        ];
        let chunk = |facts: &[(u32, Vec<Span>)]| {
            let mut c = FactChunk::default();
            for (start, spans) in facts {
                let end = spans.last().map_or(start + 1, |s| s.end + 1);
                let values = spans.iter().map(|&s| (Some(ConstRef::Int(7)), s));
                c.push("p", at(*start, start + 1), values, None, at(*start, end));
            }
            c
        };
        let spans = |c: &FactChunk| -> Vec<Vec<Span>> {
            c.iter()
                .map(|f| f.values().map(|(_, s)| s).collect())
                .collect()
        };
        let want: Vec<Vec<Span>> = facts.iter().map(|(_, s)| s.clone()).collect();
        let whole = chunk(&facts);
        assert_eq!(spans(&whole), want);
        // Far: 0x1_0000 long, 0x1_0005 and 0xFFFF from their facts' starts. Near: 0xFFFE
        // from its start and 0xFFFF long.
        assert_eq!(whole.far_spans.len(), 3);
        let mut a = chunk(&facts[..1]);
        a.append(chunk(&facts[1..]));
        a.finish();
        assert_eq!(spans(&a), want);
    }
}
