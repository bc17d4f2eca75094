//! Fact storage: every fact once, in arrival order, found by its arguments through the dedup
//! table (`dedup.rs`), with indexes (hashed, or dense over stated facts: `index.rs`) on the
//! argument positions the compiled rules look up.
//!
//! Lifecycle: a fact's id is its arrival order and never changes. Facts arrive in rounds; a
//! round's "delta" is the id range of the facts the previous round added, so semi-naive
//! evaluation needs no copies: "old" facts are ids below the delta, "all" facts ids below its
//! end. Relation lists (a run of consecutive ids, or a list: `ids.rs`) and index buckets are
//! kept in id order, so a range is arithmetic or a binary search.

use super::value::{Args, Sym, Val};
use crate::keyed::Keyed;
use rustc_hash::FxHashMap;
use std::hash::{BuildHasher, Hasher};

pub type FactId = u32;
pub type PredId = u32;

#[derive(Debug, Clone)]
pub struct PredInfo {
    pub name: Sym,
    pub arity: usize,
    /// Facts of this predicate, in id order (a run of consecutive ids kept as two numbers).
    pub ids: Ids,
    /// Indexes over this predicate's facts.
    indexes: Vec<usize>,
    /// The shape its last fact had (see [`Shapes::of`]).
    shape: u32,
}

mod bulk;
mod column;
mod dedup;
mod ids;
mod index;
mod run;
mod shape;

use column::Column;
use dedup::Dedup;
pub use ids::{IdList, Ids};
use index::Index;
pub use run::RunStore;
use shape::Shapes;

#[derive(Debug, Clone, Default)]
pub struct FactStore {
    /// The id of this store's first fact: 0, or for a run's layer over the stated facts
    /// (see [`RunStore`]) the number of stated facts.
    first: FactId,
    pub preds: Vec<PredInfo>,
    pred_ids: FxHashMap<(Sym, usize), PredId>,
    /// Each fact's shape (its predicate and its arguments' types: `shape.rs`), by its place
    /// in this store (none kept while every fact has the same: `column.rs`).
    fact_shape: Column,
    /// Where each fact's arguments start in `bits` (none kept while all have one arity).
    fact_start: Column,
    /// The facts' arguments' bits (see [`Val::hash_parts`]), fact after fact.
    bits: Vec<u64>,
    shapes: Shapes,
    /// Every fact, found by the hash of its predicate and arguments (the table keeps the
    /// upper half of that hash beside each fact: it grows without rehashing facts from their
    /// arguments, and rejects most non-matches without comparing arguments).
    dedup: Dedup,
    indexes: Vec<Index>,
}

pub fn hash_vals<'a>(pred: PredId, vals: impl IntoIterator<Item = &'a Val>) -> u64 {
    hash_owned_vals(pred, vals.into_iter().copied())
}

/// [`hash_vals`] over values computed on the fly (the same hash for the same values).
///
/// Keyed once a process (`crate::keyed`): facts are hostile input. Each value is hashed as
/// its type and its bits, so no two facts of a predicate share their hash but by chance.
///
/// Each value is one 128-bit word (type above bits), one folded multiply of the keyed
/// hasher: written as a byte and a word, the values went through the hasher's 128-bit
/// buffer, about twice the instructions (every join probe and every new fact hashes).
#[inline]
pub fn hash_owned_vals(pred: PredId, vals: impl IntoIterator<Item = Val>) -> u64 {
    let mut h = Keyed.build_hasher();
    h.write_u128(u128::from(pred));
    for v in vals {
        let (tag, bits) = v.hash_parts();
        h.write_u128((u128::from(tag) << 64) | u128::from(bits));
    }
    h.finish()
}

impl FactStore {
    pub fn pred(&mut self, name: Sym, arity: usize) -> PredId {
        if let Some(&p) = self.pred_ids.get(&(name, arity)) {
            return p;
        }
        let p = self.preds.len() as PredId;
        self.preds.push(PredInfo {
            name,
            arity,
            ids: Ids::default(),
            indexes: Vec::new(),
            shape: u32::MAX,
        });
        self.pred_ids.insert((name, arity), p);
        p
    }
    /// Room for `facts` more facts with `args` arguments in all, in the columns (the dedup
    /// table grows when facts are entered in it: a bulk load sizes it once the parsed facts
    /// are freed, since the table is written whole when made).
    pub fn reserve(&mut self, facts: usize, args: usize) {
        self.fact_shape.reserve_exact(facts);
        self.fact_start.reserve_exact(facts);
        self.bits.reserve_exact(args);
    }

    pub fn find_pred(&self, name: Sym, arity: usize) -> Option<PredId> {
        self.pred_ids.get(&(name, arity)).copied()
    }

    /// The number of facts this store holds (its ids are `first..first + len`).
    pub fn len(&self) -> usize {
        self.fact_shape.len()
    }
    pub fn is_empty(&self) -> bool {
        self.fact_shape.len() == 0
    }
    /// One past the last fact id.
    fn end(&self) -> FactId {
        self.first + self.fact_shape.len() as FactId
    }
    #[inline]
    pub fn pred_of(&self, f: FactId) -> PredId {
        self.columns().pred_of(f)
    }
    #[inline]
    pub fn args(&self, f: FactId) -> Args<'_> {
        self.columns().args(f)
    }
    #[inline]
    fn columns(&self) -> Columns<'_> {
        Columns {
            first: self.first,
            fact_shape: &self.fact_shape,
            fact_start: &self.fact_start,
            bits: &self.bits,
            shapes: &self.shapes,
        }
    }
    /// The fact columns, and the dedup table to change while reading them.
    fn split(&mut self) -> (Columns<'_>, &mut Dedup) {
        let FactStore {
            first,
            fact_shape,
            fact_start,
            bits,
            shapes,
            dedup,
            ..
        } = self;
        let columns = Columns {
            first: *first,
            fact_shape,
            fact_start,
            bits,
            shapes,
        };
        (columns, dedup)
    }

    /// An empty store for the facts of a run over this one: the same predicates and indexes,
    /// no facts, ids following this store's.
    pub fn layer(&self) -> FactStore {
        FactStore {
            first: self.end(),
            preds: self
                .preds
                .iter()
                .map(|p| PredInfo {
                    name: p.name,
                    arity: p.arity,
                    ids: Ids::default(),
                    indexes: p.indexes.clone(),
                    shape: u32::MAX,
                })
                .collect(),
            pred_ids: self.pred_ids.clone(),
            indexes: self
                .indexes
                .iter()
                .map(|i| Index::new(i.positions.clone()))
                .collect(),
            ..FactStore::default()
        }
    }

    /// Register an index on `positions` of `pred` (idempotent); returns its id.
    pub fn index(&mut self, pred: PredId, positions: Vec<usize>) -> usize {
        // A predicate has a few indexes at most: look among its own.
        let known = &self.preds[pred as usize].indexes;
        if let Some(&i) = known
            .iter()
            .find(|&&i| self.indexes[i].positions == positions)
        {
            return i;
        }
        let idx = self.build_index(pred, positions, true);
        let id = self.indexes.len();
        self.indexes.push(idx);
        self.preds[pred as usize].indexes.push(id);
        id
    }

    /// An index on `positions` of `pred` over its facts so far (dense if `dense` and they
    /// allow it).
    fn build_index(&self, pred: PredId, positions: Vec<usize>, dense: bool) -> Index {
        let columns = self.columns();
        let facts = self.preds[pred as usize]
            .ids
            .view()
            .iter()
            .map(move |f| (f, columns.args(f)));
        Index::build(positions, pred, facts, dense)
    }

    /// Facts whose values at the index's positions hash to `hash` (see [`hash_vals`]) and
    /// whose value at its first position is `first`, and possibly others: the caller
    /// compares the values.
    pub fn bucket(&self, index: usize, hash: u64, first: Val) -> &[FactId] {
        self.indexes[index].ids(hash, first)
    }

    /// [`FactStore::bucket`] with the hash computed only if the index needs it, at most
    /// once however many stores ask (see [`RunStore::bucket_by`]).
    #[inline]
    fn bucket_by(&self, index: usize, hash: &mut impl FnMut() -> u64, first: Val) -> &[FactId] {
        self.indexes[index].ids_by(hash, first)
    }

    /// True only if index `index` surely holds no fact (see [`Index::is_empty`]).
    #[inline]
    pub(super) fn index_is_empty(&self, index: usize) -> bool {
        self.indexes[index].is_empty()
    }

    /// The fact with exactly these arguments, if known.
    pub fn lookup(&self, pred: PredId, args: &[Val]) -> Option<FactId> {
        self.lookup_hashed(pred, args, hash_vals(pred, args))
    }

    /// Add a fact unless present. Returns its id and whether it is new.
    pub fn insert(&mut self, pred: PredId, args: &[Val]) -> (FactId, bool) {
        let h = hash_vals(pred, args);
        self.insert_hashed(pred, args, h)
    }

    /// Bring the dedup table's slot for a fact whose hash is `h` into the cache (see
    /// [`Dedup::warm`]).
    #[inline]
    pub(super) fn warm(&self, h: u64) {
        self.dedup.warm(hash_half(h));
    }

    /// [`insert`](Self::insert), given `hash_vals(pred, args)`.
    fn insert_hashed(&mut self, pred: PredId, args: &[Val], h: u64) -> (FactId, bool) {
        let id = self.end();
        let half = hash_half(h);
        let (columns, dedup) = self.split();
        if let Ok(known) = dedup.find_or_insert(half, id, |f| columns.holds(f, pred, args)) {
            return (known, false);
        }
        self.push(pred, args, id);
        let info = &self.preds[pred as usize];
        let mut outgrown = None;
        for &i in &info.indexes {
            if !self.indexes[i].add_fact(pred, args, id) {
                outgrown.get_or_insert_with(Vec::new).push(i);
            }
        }
        // A fact outside a dense index's range: that index is built again, hashed (dense
        // again, a run of ever larger values would rebuild it at every fact).
        if let Some(outgrown) = outgrown {
            for i in outgrown {
                let positions = std::mem::take(&mut self.indexes[i].positions);
                self.indexes[i] = self.build_index(pred, positions, false);
            }
        }
        (id, true)
    }

    /// Append fact `id`, `pred(args)`, to the columns and its predicate's list.
    #[inline]
    fn push(&mut self, pred: PredId, args: &[Val], id: FactId) {
        let info = &mut self.preds[pred as usize];
        let shape = self.shapes.of(pred, args, id, &mut info.shape);
        info.ids.push(id);
        self.fact_shape.push(shape);
        let start = u32::try_from(self.bits.len()).expect("the fact limits keep starts in 32 bits");
        self.fact_start.push(start);
        self.bits.extend(args.iter().map(|v| v.hash_parts().1));
    }
}

/// A store's fact columns, borrowed apart from its dedup table (see [`FactStore::split`]).
#[derive(Clone, Copy)]
struct Columns<'s> {
    first: FactId,
    fact_shape: &'s Column,
    fact_start: &'s Column,
    bits: &'s [u64],
    shapes: &'s Shapes,
}

impl<'s> Columns<'s> {
    #[inline]
    fn pred_of(self, f: FactId) -> PredId {
        self.shapes
            .pred(self.fact_shape.get((f - self.first) as usize))
    }
    /// The arguments of fact `f` (read in every join's inner loop).
    #[inline(always)]
    fn args(self, f: FactId) -> Args<'s> {
        let local = (f - self.first) as usize;
        let shape = self.fact_shape.get(local);
        let s = self.fact_start.get(local) as usize;
        let arity = self.shapes.arity(shape);
        self.shapes.args(shape, &self.bits[s..s + arity])
    }
    /// Whether fact `f` is `pred(args)` (the dedup table asks only of facts whose hash
    /// shares its upper half with theirs).
    #[inline]
    fn holds(self, f: FactId, pred: PredId, args: &[Val]) -> bool {
        self.pred_of(f) == pred && self.args(f) == *args
    }
    /// Whether facts `f` and `g` are equal.
    #[inline]
    fn same(self, f: FactId, g: FactId) -> bool {
        self.pred_of(f) == self.pred_of(g) && self.args(f) == self.args(g)
    }
}

/// The half of a fact's hash that the dedup table keeps (the upper half).
fn hash_half(h: u64) -> u32 {
    (h >> 32) as u32
}

impl FactStore {
    /// The number of predicates known.
    pub fn pred_count(&self) -> usize {
        self.preds.len()
    }

    /// Forget every fact but the first `facts` and every predicate from `preds` on, leaving
    /// the store as it was when it had that many. Costs what the forgotten facts cost to add,
    /// not the store's size: batch runs empty a run's layer with it.
    pub fn truncate(&mut self, facts: usize, preds: usize) {
        self.shorten(facts, preds, facts == 0);
    }

    /// [`truncate`](Self::truncate), keeping every shape (see [`Shapes::keep`]): the store
    /// is emptied down to what a batch keeps from run to run, and the next run's facts have
    /// the shapes this one's had.
    pub fn rewind(&mut self, facts: usize, preds: usize) {
        self.shorten(facts, preds, true);
    }

    fn shorten(&mut self, facts: usize, preds: usize, keep_shapes: bool) {
        if facts == 0 && self.dedup.slot_count() <= CLEAR_SLOTS_PER_FACT * self.len() {
            self.clear();
        }
        let gone = self.len().saturating_sub(facts);
        // Many facts out of small tables (a batch's run, back to the facts it keeps): one
        // pass over each table instead of a probe a fact.
        if gone > 0
            && gone * FORGET_SLOTS_PER_FACT >= self.dedup.slot_count()
            && self.indexes.iter().all(Index::is_hashed)
        {
            let end = self.first + facts as FactId;
            for id in (end..self.end()).rev() {
                let pred = self.pred_of(id);
                let popped = self.preds[pred as usize].ids.pop();
                debug_assert_eq!(popped, Some(id));
            }
            self.dedup.forget_from(end);
            for index in &mut self.indexes {
                index.forget_from(end);
            }
            let start = self.fact_start.get(facts);
            self.fact_shape.truncate(facts);
            self.fact_start.truncate(facts);
            self.bits.truncate(start as usize);
        }
        // Each fact's arguments, copied out to take it from the tables (reused).
        let mut args = Vec::new();
        while self.len() > facts {
            let id = self.end() - 1;
            let pred = self.pred_of(id);
            args.clear();
            args.extend(self.args(id));
            self.dedup.remove(hash_half(hash_vals(pred, &args)), id);
            let info = &mut self.preds[pred as usize];
            let popped = info.ids.pop();
            debug_assert_eq!(popped, Some(id));
            for &i in &info.indexes {
                self.indexes[i].remove_fact(pred, &args[..], id);
            }
            self.fact_shape.pop();
            let start = self.fact_start.pop().expect("a fact");
            self.bits.truncate(start as usize);
        }
        if keep_shapes {
            self.shapes.keep();
        } else {
            self.shapes.truncate(self.first + facts as FactId);
        }
        while self.preds.len() > preds {
            let p = self.preds.pop().expect("a predicate");
            // Indexes are registered when rules are compiled, on the program's predicates.
            debug_assert!(p.indexes.is_empty());
            self.pred_ids.remove(&(p.name, p.arity));
        }
    }
}

/// Truncating a store takes its facts out of its tables in one pass over each when it
/// takes out at least one fact for this many slots of its dedup table (see
/// [`Dedup::forget_from`]).
const FORGET_SLOTS_PER_FACT: usize = 4;

/// Emptying a store clears its tables whole (a write over every slot) when they have at most
/// this many slots a fact, else takes each fact out (a probe each).
const CLEAR_SLOTS_PER_FACT: usize = 16;

impl FactStore {
    /// Forget every fact, clearing the tables of the predicates that have some (batch runs
    /// empty a run's layer of a few dozen facts after each fact set).
    fn clear(&mut self) {
        for s in self.fact_shape.iter() {
            let info = &mut self.preds[self.shapes.pred(s) as usize];
            if !info.ids.is_empty() {
                info.ids.clear();
                for &i in &info.indexes {
                    self.indexes[i].clear();
                }
            }
        }
        self.dedup.clear();
        self.fact_shape.clear();
        self.fact_start.clear();
        self.bits.clear();
        self.shapes.keep();
    }

    /// [`lookup`](Self::lookup), given `hash_vals(pred, args)`.
    fn lookup_hashed(&self, pred: PredId, args: &[Val], h: u64) -> Option<FactId> {
        let (half, columns) = (hash_half(h), self.columns());
        self.dedup.find(half, |f| columns.holds(f, pred, args))
    }
}

/// The part of an id-sorted list that lies in `lo..hi`.
fn id_range(ids: &[FactId], lo: FactId, hi: FactId) -> &[FactId] {
    let a = if lo == 0 {
        0
    } else {
        ids.partition_point(|&f| f < lo)
    };
    let b = ids.partition_point(|&f| f < hi);
    &ids[a..b.max(a)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store truncated to its first facts, through its tables one fact at a time or in one
    /// pass over each (`FactStore::truncate` picks by how many facts go against the tables'
    /// size), is the store that only ever had those facts: the same lookups, index buckets,
    /// lists and arguments, and the same ids for the facts added after.
    #[test]
    fn a_truncated_store_is_the_store_of_its_first_facts() {
        use proptest::prelude::*;
        let fact = (0u8..3, 0i64..6, 0i64..4);
        let facts = prop::collection::vec(fact.clone(), 0..60);
        let more = prop::collection::vec(fact, 0..10);
        proptest!(|(all in facts, keep_at in 0usize..60, after in more)| {
            let new_store = || {
                let mut s = FactStore::default();
                for p in 0..3 {
                    s.pred(p, 2);
                }
                let i0 = s.index(0, vec![0]);
                let i1 = s.index(1, vec![1, 0]);
                (s, [i0, i1])
            };
            let add = |s: &mut FactStore, f: &[(u8, i64, i64)]| {
                for &(p, a, b) in f {
                    s.insert(PredId::from(p), &[Val::Int(a), Val::Int(b)]);
                }
            };
            let (mut cut, idx) = new_store();
            add(&mut cut, &all);
            let keep = keep_at.min(cut.len());
            cut.truncate(keep, 3);
            let (mut kept, _) = new_store();
            for f in 0..keep as FactId {
                let (p, args) = (cut.pred_of(f), cut.args(f).to_vec());
                prop_assert_eq!(kept.insert(p, &args), (f, true));
            }
            add(&mut cut, &after);
            add(&mut kept, &after);
            prop_assert_eq!(cut.len(), kept.len());
            for p in 0..3u32 {
                prop_assert_eq!(
                    cut.preds[p as usize].ids.view().iter().collect::<Vec<_>>(),
                    kept.preds[p as usize].ids.view().iter().collect::<Vec<_>>()
                );
                for a in 0..6 {
                    for b in 0..4 {
                        let args = [Val::Int(a), Val::Int(b)];
                        prop_assert_eq!(cut.lookup(p, &args), kept.lookup(p, &args));
                        for (i, &index) in idx.iter().enumerate() {
                            if i as u32 != p {
                                continue;
                            }
                            let key: Vec<Val> = if i == 0 {
                                vec![args[0]]
                            } else {
                                vec![args[1], args[0]]
                            };
                            let h = hash_vals(p, &key);
                            prop_assert_eq!(
                                cut.bucket(index, h, key[0]),
                                kept.bucket(index, h, key[0])
                            );
                        }
                    }
                }
            }
            for f in 0..cut.len() as FactId {
                prop_assert_eq!(cut.args(f).to_vec(), kept.args(f).to_vec());
            }
        });
    }

    /// A run's layer: ids follow the stated facts', a fact known in either layer is not added
    /// again, scans see both layers in id order, and emptying the layer forgets only the
    /// run's facts and predicates.
    #[test]
    fn a_run_layers_its_facts_over_the_stated_ones() {
        let mut base = FactStore::default();
        let p = base.pred(0, 1);
        let idx = base.index(p, vec![0]);
        for v in [1, 2] {
            base.insert(p, &[Val::Int(v)]);
        }
        let mut run = RunStore::new(&base, base.layer());
        assert_eq!(run.insert(p, &[Val::Int(2)]), (1, false));
        assert_eq!(run.insert(p, &[Val::Int(3)]), (2, true));
        assert_eq!(run.insert(p, &[Val::Int(3)]), (2, false));
        let q = run.pred(1, 2);
        assert_eq!(run.insert(q, &[Val::Int(1), Val::Int(1)]), (3, true));
        assert_eq!(run.len(), 4);
        assert_eq!(run.facts_of(p).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(run.args(2), [Val::Int(3)]);
        assert_eq!(run.pred_of(3), q);
        assert_eq!(run.lookup(p, &[Val::Int(1)]), Some(0));
        let h = hash_vals(p, &[Val::Int(3)]);
        let bucket = run
            .bucket(idx, h, Val::Int(3))
            .map(|l| l.iter().collect::<Vec<_>>());
        assert_eq!(bucket, [vec![], vec![2]]);
        let layer = run.into_layer();
        assert!(layer.is_empty());
        assert_eq!(layer.pred_count(), base.pred_count());
        let run = RunStore::new(&base, layer);
        assert_eq!(run.lookup(p, &[Val::Int(3)]), None);
        assert!(run
            .bucket(idx, h, Val::Int(3))
            .iter()
            .all(|ids| ids.is_empty()));
        assert_eq!(run.find_pred(1, 2), None);
    }

    /// The five types at one position, every combination of them over three positions:
    /// each fact reads back with its own types (a store keeps the types once a shape, the
    /// bits once a value), is found by them and not by another type's equal bits.
    #[test]
    fn facts_of_one_predicate_keep_each_its_own_types() {
        let one = [
            Val::Int(1),
            Val::dec(f64::from_bits(1)),
            Val::Sym(1),
            Val::Str(1),
            Val::Bool(true),
        ];
        let mut store = FactStore::default();
        let p = store.pred(0, 3);
        let q = store.pred(1, 0);
        let facts: Vec<[Val; 3]> = (0..125)
            .map(|i| [one[i % 5], one[i / 5 % 5], one[i / 25]])
            .collect();
        for (i, args) in facts.iter().enumerate() {
            assert_eq!(store.insert(p, args), (i as FactId, true));
        }
        assert_eq!(store.insert(q, &[]), (125, true));
        assert_eq!(store.shapes.len(), 126);
        for (i, args) in facts.iter().enumerate() {
            let f = i as FactId;
            assert_eq!(store.args(f), *args);
            assert_eq!(store.args(f).to_vec(), args.to_vec());
            assert_eq!(store.pred_of(f), p);
            assert_eq!(store.lookup(p, args), Some(f));
            assert_eq!(store.insert(p, args), (f, false));
        }
        assert!(store.args(125).is_empty());
        assert_eq!(store.pred_of(125), q);
        assert_eq!(
            store.lookup(p, &[Val::Int(2), Val::Int(1), Val::Int(1)]),
            None
        );
        assert_eq!(store.shapes.len(), 126);
    }

    /// A run's layer truncated forgets the shapes its forgotten facts made. Emptied for the
    /// next run, it keeps its shapes, as ones no later truncation forgets (up to
    /// `KEEP_SHAPES`; past that it forgets them all), and facts of other types at the same
    /// places read back with their own.
    #[test]
    fn an_emptied_layer_keeps_its_shapes() {
        let mut base = FactStore::default();
        let p = base.pred(0, 1);
        base.insert(p, &[Val::Int(1)]);
        let mut run = RunStore::new(&base, base.layer());
        assert_eq!(run.insert(p, &[Val::Str(7)]), (1, true));
        assert_eq!(run.insert(p, &[Val::Int(7)]), (2, true));
        run.truncate(2);
        assert_eq!(run.own.shapes.len(), 1);
        let mut run = RunStore::new(&base, run.into_layer());
        assert_eq!(run.own.shapes.len(), 1);
        assert_eq!(run.insert(p, &[Val::Bool(true)]), (1, true));
        assert_eq!(run.insert(p, &[Val::Str(7)]), (2, true));
        assert_eq!(run.args(1), [Val::Bool(true)]);
        assert_eq!(run.args(2), [Val::Str(7)]);
        assert_eq!(run.lookup(p, &[Val::Int(7)]), None);
        assert_eq!(run.own.shapes.len(), 2);
        // The kept shape outlives a truncation below the fact that uses it now; a new one
        // goes with its fact.
        run.truncate(2);
        assert_eq!(run.own.shapes.len(), 2);
        assert_eq!(run.insert(p, &[Val::Int(5)]), (2, true));
        assert_eq!(run.own.shapes.len(), 3);
        run.truncate(2);
        assert_eq!(run.own.shapes.len(), 2);
        assert_eq!(run.insert(p, &[Val::Str(8)]), (2, true));
        assert_eq!(run.args(2), [Val::Str(8)]);
        assert_eq!(run.own.shapes.len(), 2);
        // A layer with more shapes than it keeps forgets them all.
        let mut run = RunStore::new(&base, run.into_layer());
        for name in 1..=shape::KEEP_SHAPES as u32 + 1 {
            let q = run.pred(name, 1);
            run.insert(q, &[Val::Int(0)]);
        }
        assert_eq!(run.own.shapes.len(), shape::KEEP_SHAPES + 3);
        let mut run = RunStore::new(&base, run.into_layer());
        assert_eq!(run.own.shapes.len(), 0);
        assert_eq!(run.insert(p, &[Val::Int(9)]), (1, true));
        assert_eq!(run.args(1), [Val::Int(9)]);
    }

    /// Facts crafted against an unkeyed hash do not pile up: 20,000 integers whose FxHash
    /// (the fact hash before it was keyed) shares its upper half, the half the dedup table
    /// places facts by. With that hash they formed one run of slots, and each insertion
    /// walked all the facts before it (40,000 such facts took 3.75 s to load).
    #[test]
    fn values_crafted_against_an_unkeyed_hash_spread_out() {
        use rustc_hash::FxHasher;
        use std::hash::Hash;
        // rustc-hash 2: a word is added, then the state multiplied by K; the result is
        // rotated left by 26, so its upper half is bits 6 to 37 of the state.
        const K: u64 = 0xf1357aea2e62a9c5;
        // K's inverse modulo 2^64 (each Newton step doubles the bits that are right).
        let mut inv = K;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(K.wrapping_mul(inv)));
        }
        let mut store = FactStore::default();
        let p = store.pred(0, 1);
        // FxHash of `p` then `Val::Int(x)` (its discriminant, 2, then x): ((p·K + 2)·K + x)·K.
        let c = u64::from(p).wrapping_mul(K).wrapping_add(2).wrapping_mul(K);
        let crafted: Vec<i64> = (0..20_000u64)
            .map(|j| (12_345 + (j << 38)).wrapping_mul(inv).wrapping_sub(c) as i64)
            .collect();
        let fx_half = |x: i64| {
            let mut h = FxHasher::default();
            p.hash(&mut h);
            Val::Int(x).hash(&mut h);
            hash_half(h.finish())
        };
        assert!(
            crafted.iter().all(|&x| fx_half(x) == fx_half(crafted[0])),
            "the crafted values share FxHash's upper half"
        );
        for &x in &crafted {
            assert!(store.insert(p, &[Val::Int(x)]).1);
        }
        // Keyed, they land where chance puts them: at 61% load the farthest entry is a few
        // dozen slots from where its probe starts (unkeyed, 19,999).
        let farthest = store.dedup.farthest_from_home();
        assert!(farthest < 500, "an entry {farthest} slots from its home");
        assert!(crafted
            .iter()
            .enumerate()
            .all(|(i, &x)| store.lookup(p, &[Val::Int(x)]) == Some(i as FactId)));
    }

    /// Values of different types with the same bits hash apart: 4,096 facts of twelve
    /// arguments, each `false` or the integer 3 << 32 (one word once stood for both, so all
    /// of these shared a hash under any key), spread out like any others.
    #[test]
    fn values_of_different_types_hash_apart() {
        let mut store = FactStore::default();
        let p = store.pred(0, 12);
        for m in 0..4096u32 {
            let args: Vec<Val> = (0..12)
                .map(|k| {
                    if m >> k & 1 == 1 {
                        Val::Int(3 << 32)
                    } else {
                        Val::Bool(false)
                    }
                })
                .collect();
            assert!(store.insert(p, &args).1);
        }
        let farthest = store.dedup.farthest_from_home();
        assert!(farthest < 500, "an entry {farthest} slots from its home");
    }
}
