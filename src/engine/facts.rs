//! Fact storage: every fact once, in arrival order, with hash indexes on the argument
//! positions the compiled rules look up.
//!
//! Lifecycle: a fact's id is its arrival order and never changes. Facts arrive in rounds; a
//! round's "delta" is the id range of the facts the previous round added, so semi-naive
//! evaluation needs no copies: "old" facts are ids below the delta, "all" facts ids below its
//! end. Relation lists and index buckets are kept in id order, so a range is a binary search.

use super::spill::{Slot, Spill};
use super::value::{Sym, Val};
use hashbrown::hash_table::{Entry, HashTable};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

pub type FactId = u32;
pub type PredId = u32;

#[derive(Debug, Clone)]
pub struct PredInfo {
    pub name: Sym,
    pub arity: usize,
    /// Facts of this predicate, in id order.
    pub ids: Vec<FactId>,
    /// Indexes over this predicate's facts.
    indexes: Vec<usize>,
}

/// A hash index on some argument positions of one predicate.
#[derive(Debug, Clone, Default)]
struct Index {
    positions: Vec<usize>,
    /// One entry per key: the hash of the values at `positions` (collisions are resolved by
    /// the caller, which compares every argument anyway), and where its facts are.
    keys: HashTable<Key>,
    /// The facts of the keys that have several, in id order.
    lists: Spill<FactId>,
}

/// One key of an index, in 16 bytes. Most keys of a large relation hold one fact (a
/// project's size, a person's name), kept in the key itself.
#[derive(Debug, Clone, Copy)]
struct Key {
    hash: u64,
    facts: Slot<FactId>,
}

impl Index {
    fn new(positions: Vec<usize>) -> Index {
        Index {
            positions,
            ..Index::default()
        }
    }
    /// The facts of the key that hashes to `hash`, in id order.
    fn ids(&self, hash: u64) -> &[FactId] {
        match self.keys.find(hash, |k| k.hash == hash) {
            None => &[],
            Some(k) => self.lists.get(&k.facts),
        }
    }
    /// Add `f` (the largest id so far) under `hash`.
    fn add(&mut self, hash: u64, f: FactId) {
        match self.keys.entry(hash, |k| k.hash == hash, |k| k.hash) {
            Entry::Occupied(mut e) => self.lists.push(&mut e.get_mut().facts, f),
            Entry::Vacant(e) => {
                e.insert(Key {
                    hash,
                    facts: Slot::One(f),
                });
            }
        }
    }
    /// Take `f`, the last fact added under `hash`, out again.
    fn remove_last(&mut self, hash: u64, f: FactId) {
        if let Ok(mut e) = self.keys.find_entry(hash, |k| k.hash == hash) {
            if !self.lists.pop(&mut e.get_mut().facts, f) {
                e.remove();
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FactStore {
    /// The id of this store's first fact: 0, or for a run's layer over the stated facts
    /// (see [`RunStore`]) the number of stated facts.
    first: FactId,
    pub preds: Vec<PredInfo>,
    pred_ids: FxHashMap<(Sym, usize), PredId>,
    fact_pred: Vec<PredId>,
    fact_start: Vec<u32>,
    args: Vec<Val>,
    /// Every fact, found by the hash of its predicate and arguments: (fact, the upper half
    /// of that hash). Keeping half the hash lets the table grow without rehashing facts from
    /// their arguments, and rejects most non-matches without comparing arguments.
    dedup: HashTable<(FactId, u32)>,
    indexes: Vec<Index>,
}

pub fn hash_vals<'a>(pred: PredId, vals: impl IntoIterator<Item = &'a Val>) -> u64 {
    hash_owned_vals(pred, vals.into_iter().copied())
}

/// [`hash_vals`] over values computed on the fly (the same hash for the same values).
pub fn hash_owned_vals(pred: PredId, vals: impl IntoIterator<Item = Val>) -> u64 {
    let mut h = FxHasher::default();
    pred.hash(&mut h);
    for v in vals {
        v.hash(&mut h);
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
            ids: Vec::new(),
            indexes: Vec::new(),
        });
        self.pred_ids.insert((name, arity), p);
        p
    }
    /// Room for `facts` more facts with `args` arguments in all.
    pub fn reserve(&mut self, facts: usize, args: usize) {
        self.fact_pred.reserve_exact(facts);
        self.fact_start.reserve_exact(facts);
        self.args.reserve_exact(args);
        self.dedup.reserve(facts, |&(_, half)| table_hash(half));
    }

    pub fn find_pred(&self, name: Sym, arity: usize) -> Option<PredId> {
        self.pred_ids.get(&(name, arity)).copied()
    }

    /// The number of facts this store holds (its ids are `first..first + len`).
    pub fn len(&self) -> usize {
        self.fact_pred.len()
    }
    pub fn is_empty(&self) -> bool {
        self.fact_pred.is_empty()
    }
    /// One past the last fact id.
    fn end(&self) -> FactId {
        self.first + self.fact_pred.len() as FactId
    }
    pub fn pred_of(&self, f: FactId) -> PredId {
        self.fact_pred[(f - self.first) as usize]
    }
    pub fn args(&self, f: FactId) -> &[Val] {
        self.columns().args(f)
    }
    fn columns(&self) -> Columns<'_> {
        Columns {
            first: self.first,
            fact_pred: &self.fact_pred,
            fact_start: &self.fact_start,
            args: &self.args,
            preds: &self.preds,
        }
    }
    /// The fact columns, and the dedup table to change while reading them.
    fn split(&mut self) -> (Columns<'_>, &mut HashTable<(FactId, u32)>) {
        let FactStore {
            first,
            preds,
            fact_pred,
            fact_start,
            args,
            dedup,
            ..
        } = self;
        let columns = Columns {
            first: *first,
            fact_pred,
            fact_start,
            args,
            preds,
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
                    ids: Vec::new(),
                    indexes: p.indexes.clone(),
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
        let mut idx = Index::new(positions);
        for &f in &self.preds[pred as usize].ids {
            let args = self.args(f);
            let h = hash_vals(pred, idx.positions.iter().map(|&p| &args[p]));
            idx.add(h, f);
        }
        let id = self.indexes.len();
        self.indexes.push(idx);
        self.preds[pred as usize].indexes.push(id);
        id
    }

    /// Facts whose values at the index's positions hash to `hash` (see [`hash_vals`]; the
    /// caller compares the values).
    pub fn bucket(&self, index: usize, hash: u64) -> &[FactId] {
        self.indexes[index].ids(hash)
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

    /// [`insert`](Self::insert), given `hash_vals(pred, args)`.
    fn insert_hashed(&mut self, pred: PredId, args: &[Val], h: u64) -> (FactId, bool) {
        let id = self.end();
        let half = hash_half(h);
        let (columns, dedup) = self.split();
        let same = |&e: &(FactId, u32)| columns.holds(e, half, pred, args);
        match dedup.entry(table_hash(half), same, |&(_, fh)| table_hash(fh)) {
            Entry::Occupied(e) => return (e.get().0, false),
            Entry::Vacant(e) => {
                e.insert((id, half));
            }
        }
        self.fact_pred.push(pred);
        self.fact_start.push(self.args.len() as u32);
        self.args.extend_from_slice(args);
        let info = &mut self.preds[pred as usize];
        info.ids.push(id);
        for &i in &info.indexes {
            let idx = &mut self.indexes[i];
            let kh = hash_vals(pred, idx.positions.iter().map(|&p| &args[p]));
            idx.add(kh, id);
        }
        (id, true)
    }
}

/// Buckets of the dedup table one pass of a bulk load fills at a time (see
/// [`FactStore::dedup_bulk`]): 32 KiB of entries and 4 KiB of control bytes, which stay in
/// the processor's cache while the pass fills them.
const BULK_SPAN: usize = 4096;

impl FactStore {
    /// Append a fact of a bulk load (the stated facts) without looking for an equal one;
    /// [`FactStore::dedup_bulk`] does that for all of them at once. Before any index exists.
    pub fn push_bulk(&mut self, pred: PredId, args: &[Val]) -> FactId {
        debug_assert!(self.indexes.is_empty());
        let id = self.end();
        self.fact_pred.push(pred);
        self.fact_start.push(self.args.len() as u32);
        self.args.extend_from_slice(args);
        self.preds[pred as usize].ids.push(id);
        id
    }

    /// Enter every fact, all appended by [`FactStore::push_bulk`], in the dedup table. If some
    /// are equal, only the first of each stays, the facts are renumbered in order, and the
    /// new id of each old one is returned (`remap[old]`).
    ///
    /// Inserting hundreds of thousands of facts in arrival order touches the table at random,
    /// a cache miss each. Here they go in by region of the table (a stable counting sort on
    /// the bucket their hash gives), so each region is filled while it is in cache. Equal
    /// facts hash alike, so they meet in the same region in arrival order: the first one is
    /// in the table when a later one finds it.
    pub fn dedup_bulk(&mut self) -> Option<Vec<FactId>> {
        debug_assert!(self.dedup.is_empty() && self.first == 0);
        let n = self.len();
        self.dedup.reserve(n, |&(_, half)| table_hash(half));
        let halves = (0..n as FactId).map(|f| hash_half(hash_vals(self.pred_of(f), self.args(f))));
        // The table's buckets: capacity is 7/8 of them (hashbrown's load factor).
        let cap = self.dedup.capacity();
        let buckets = (cap + cap / 7).next_power_of_two();
        let order: Vec<(FactId, u32)> = if buckets <= BULK_SPAN {
            halves.enumerate().map(|(f, h)| (f as FactId, h)).collect()
        } else {
            let shift = (BULK_SPAN.trailing_zeros()) as u64;
            let region = |h: u32| ((table_hash(h) & (buckets as u64 - 1)) >> shift) as usize;
            let halves: Vec<u32> = halves.collect();
            let mut start = vec![0u32; buckets / BULK_SPAN + 1];
            for &h in &halves {
                start[region(h) + 1] += 1;
            }
            for r in 1..start.len() {
                start[r] += start[r - 1];
            }
            let mut order = vec![(0, 0); n];
            for (f, &h) in halves.iter().enumerate() {
                let slot = &mut start[region(h)];
                order[*slot as usize] = (f as FactId, h);
                *slot += 1;
            }
            order
        };
        let mut duplicates = false;
        for (f, half) in order {
            let (columns, dedup) = self.split();
            let (pred, mine) = (columns.fact_pred[f as usize], columns.args(f));
            let same = |&e: &(FactId, u32)| columns.holds(e, half, pred, mine);
            match dedup.entry(table_hash(half), same, |&(_, gh)| table_hash(gh)) {
                Entry::Occupied(_) => duplicates = true,
                Entry::Vacant(e) => {
                    e.insert((f, half));
                }
            }
        }
        duplicates.then(|| self.renumber_bulk())
    }

    /// Load the facts again one by one, so that equal ones become one; their new ids.
    fn renumber_bulk(&mut self) -> Vec<FactId> {
        let fact_pred = std::mem::take(&mut self.fact_pred);
        let fact_start = std::mem::take(&mut self.fact_start);
        let args = std::mem::take(&mut self.args);
        self.dedup.clear();
        for p in &mut self.preds {
            p.ids.clear();
        }
        // A fact's arguments run to the next one's (they were appended in order).
        let ends = fact_start.iter().skip(1).map(|&e| e as usize);
        fact_start
            .iter()
            .zip(ends.chain([args.len()]))
            .zip(&fact_pred)
            .map(|((&start, end), &pred)| self.insert(pred, &args[start as usize..end]).0)
            .collect()
    }
}

/// A store's fact columns, borrowed apart from its dedup table (see [`FactStore::split`]).
#[derive(Clone, Copy)]
struct Columns<'s> {
    first: FactId,
    fact_pred: &'s [PredId],
    fact_start: &'s [u32],
    args: &'s [Val],
    preds: &'s [PredInfo],
}

impl<'s> Columns<'s> {
    /// The arguments of fact `f`.
    #[inline]
    fn args(self, f: FactId) -> &'s [Val] {
        let local = (f - self.first) as usize;
        let s = self.fact_start[local] as usize;
        &self.args[s..s + self.preds[self.fact_pred[local] as usize].arity]
    }
    /// Whether the dedup table's entry `(fact, half)` is `pred(args)`, whose hash has the
    /// upper half `half` (compared first: it rejects most other facts without reading them).
    #[inline]
    fn holds(self, (f, fh): (FactId, u32), half: u32, pred: PredId, args: &[Val]) -> bool {
        fh == half && self.fact_pred[(f - self.first) as usize] == pred && self.args(f) == args
    }
}

/// The half of a fact's hash that the dedup table keeps (the upper half: FxHasher's best
/// bits).
fn hash_half(h: u64) -> u32 {
    (h >> 32) as u32
}

/// The dedup table's hash of a fact, from its kept half (spread over 64 bits: the table
/// takes buckets from the low bits and tags from the high ones).
fn table_hash(half: u32) -> u64 {
    u64::from(half).wrapping_mul(0x9E37_79B9_7F4A_7C15)
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
        while self.fact_pred.len() > facts {
            let local = self.fact_pred.len() - 1;
            let id = self.first + local as FactId;
            let pred = self.fact_pred[local];
            let start = self.fact_start[local] as usize;
            let arity = self.preds[pred as usize].arity;
            let args = &self.args[start..start + arity];
            let h = hash_vals(pred, args);
            if let Ok(e) = self
                .dedup
                .find_entry(table_hash(hash_half(h)), |&(f, _)| f == id)
            {
                e.remove();
            }
            let info = &mut self.preds[pred as usize];
            let popped = info.ids.pop();
            debug_assert_eq!(popped, Some(id));
            for &i in &info.indexes {
                let idx = &mut self.indexes[i];
                let kh = hash_vals(pred, idx.positions.iter().map(|&p| &args[p]));
                idx.remove_last(kh, id);
            }
            self.fact_pred.pop();
            self.fact_start.pop();
            self.args.truncate(start);
        }
        while self.preds.len() > preds {
            let p = self.preds.pop().expect("a predicate");
            // Indexes are registered when rules are compiled, on the program's predicates.
            debug_assert!(p.indexes.is_empty());
            self.pred_ids.remove(&(p.name, p.arity));
        }
    }
}

/// The facts of a run: the knowledge base's stated facts, read in place, and a layer of the
/// run's own (its input and what it derives) over them, with ids following theirs. Runs
/// neither copy the stated facts nor their indexes.
#[derive(Debug)]
pub struct RunStore<'kb> {
    base: &'kb FactStore,
    own: FactStore,
}

impl<'kb> RunStore<'kb> {
    /// A run over `base`, with `layer` (an empty [`FactStore::layer`] of `base`).
    pub fn new(base: &'kb FactStore, layer: FactStore) -> Self {
        debug_assert!(layer.is_empty() && layer.first as usize == base.len());
        RunStore { base, own: layer }
    }
    /// The run's layer, emptied, for another run over the same stated facts.
    pub fn into_layer(self) -> FactStore {
        let mut own = self.own;
        own.truncate(0, self.base.preds.len());
        own
    }
    /// The number of facts, stated and the run's.
    pub fn len(&self) -> usize {
        self.base.len() + self.own.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn layer_of(&self, f: FactId) -> &FactStore {
        if f < self.own.first {
            self.base
        } else {
            &self.own
        }
    }
    pub fn pred_of(&self, f: FactId) -> PredId {
        self.layer_of(f).pred_of(f)
    }
    pub fn args(&self, f: FactId) -> &[Val] {
        self.layer_of(f).args(f)
    }
    /// The predicate's name and arity (the run's layer knows every predicate).
    pub fn pred_info(&self, p: PredId) -> (Sym, usize) {
        let info = &self.own.preds[p as usize];
        (info.name, info.arity)
    }
    pub fn pred(&mut self, name: Sym, arity: usize) -> PredId {
        self.own.pred(name, arity)
    }
    pub fn find_pred(&self, name: Sym, arity: usize) -> Option<PredId> {
        self.own.find_pred(name, arity)
    }
    /// The facts of `p`, in id order: the stated ones, then the run's.
    pub fn ids(&self, p: PredId) -> [&[FactId]; 2] {
        let stated = self.base.preds.get(p as usize).map_or(&[][..], |i| &i.ids);
        [stated, &self.own.preds[p as usize].ids]
    }
    /// How many facts `p` has.
    pub fn count(&self, p: PredId) -> usize {
        self.ids(p).iter().map(|v| v.len()).sum()
    }
    /// The facts of `p`, in id order.
    pub fn facts_of(&self, p: PredId) -> impl Iterator<Item = FactId> + '_ {
        self.ids(p).into_iter().flatten().copied()
    }
    /// [`FactStore::bucket`] in both layers, in id order.
    pub fn bucket(&self, index: usize, hash: u64) -> [&[FactId]; 2] {
        [self.base.bucket(index, hash), self.own.bucket(index, hash)]
    }
    pub fn lookup(&self, pred: PredId, args: &[Val]) -> Option<FactId> {
        self.base
            .lookup(pred, args)
            .or_else(|| self.own.lookup(pred, args))
    }
    /// Add a fact to the run's layer unless known in either layer.
    pub fn insert(&mut self, pred: PredId, args: &[Val]) -> (FactId, bool) {
        let h = hash_vals(pred, args);
        if (pred as usize) < self.base.preds.len() {
            if let Some(f) = self.base.lookup_hashed(pred, args, h) {
                return (f, false);
            }
        }
        self.own.insert_hashed(pred, args, h)
    }
}

impl FactStore {
    /// [`lookup`](Self::lookup), given `hash_vals(pred, args)`.
    fn lookup_hashed(&self, pred: PredId, args: &[Val], h: u64) -> Option<FactId> {
        let (half, columns) = (hash_half(h), self.columns());
        self.dedup
            .find(table_hash(half), |&e| columns.holds(e, half, pred, args))
            .map(|&(f, _)| f)
    }
}

/// The part of an id-sorted list that lies in `lo..hi`.
pub fn id_range(ids: &[FactId], lo: FactId, hi: FactId) -> &[FactId] {
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
        let none: &[FactId] = &[];
        assert_eq!(run.bucket(idx, h), [none, &[2]]);
        let layer = run.into_layer();
        assert!(layer.is_empty());
        assert_eq!(layer.pred_count(), base.pred_count());
        let run = RunStore::new(&base, layer);
        assert_eq!(run.lookup(p, &[Val::Int(3)]), None);
        assert!(run.bucket(idx, h).iter().all(|ids| ids.is_empty()));
        assert_eq!(run.find_pred(1, 2), None);
    }
}

#[cfg(test)]
mod bulk_tests {
    use super::*;

    /// The value of the `i`th pair of facts: every `dup_every`th repeats an earlier one.
    fn value(i: i64, dup_every: i64) -> i64 {
        if dup_every > 0 && i % dup_every == dup_every - 1 {
            i / 2
        } else {
            i
        }
    }

    fn bulk(n: i64, dup_every: i64) -> (FactStore, Option<Vec<FactId>>) {
        let mut s = FactStore::default();
        let p = s.pred(0, 2);
        let q = s.pred(1, 1);
        for i in 0..n {
            let v = value(i, dup_every);
            s.push_bulk(p, &[Val::Int(v), Val::Int(v * 7)]);
            s.push_bulk(q, &[Val::Int(-v)]);
        }
        let remap = s.dedup_bulk();
        (s, remap)
    }

    /// A bulk load gives the store that inserting the same facts one by one gives, with and
    /// without equal facts, on tables small enough for one pass and large enough for many.
    #[test]
    fn a_bulk_load_equals_inserting_one_by_one() {
        for (n, dup_every) in [(10, 0), (10, 4), (20_000, 0), (20_000, 1_000)] {
            let (s, remap) = bulk(n, dup_every);
            let mut one = FactStore::default();
            let (p, q) = (one.pred(0, 2), one.pred(1, 1));
            let mut ids = Vec::new();
            for i in 0..n {
                let v = value(i, dup_every);
                ids.push(one.insert(p, &[Val::Int(v), Val::Int(v * 7)]).0);
                ids.push(one.insert(q, &[Val::Int(-v)]).0);
            }
            match remap {
                None => {
                    assert_eq!(dup_every, 0);
                    assert!(ids.iter().enumerate().all(|(i, &f)| f == i as FactId));
                }
                Some(remap) => {
                    assert!(dup_every > 0, "n = {n}: no equal facts, yet renumbered");
                    assert_eq!(remap, ids, "n = {n}");
                }
            }
            assert_eq!(s.len(), one.len());
            for f in 0..one.len() as FactId {
                assert_eq!((s.pred_of(f), s.args(f)), (one.pred_of(f), one.args(f)));
                assert_eq!(s.lookup(s.pred_of(f), s.args(f)), Some(f));
            }
            assert_eq!(s.preds[0].ids, one.preds[0].ids);
            assert_eq!(s.preds[1].ids, one.preds[1].ids);
        }
    }

    /// Distinct facts keep their ids and need no renumbering; each is found again.
    #[test]
    fn distinct_facts_keep_their_ids() {
        let mut s = FactStore::default();
        let p = s.pred(0, 1);
        for i in 0..50_000 {
            assert_eq!(s.push_bulk(p, &[Val::Int(i)]), i as FactId);
        }
        assert_eq!(s.dedup_bulk(), None);
        for i in [0, 1, 4_095, 4_096, 49_999] {
            assert_eq!(s.lookup(p, &[Val::Int(i)]), Some(i as FactId));
        }
        assert_eq!(s.lookup(p, &[Val::Int(50_000)]), None);
        assert_eq!(s.insert(p, &[Val::Int(7)]), (7, false));
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;

    /// A key holds its one fact inline and moves to a list at the second; taking facts out
    /// again returns it to one fact and frees the list for the next key that needs one.
    #[test]
    fn index_keys_grow_into_lists_and_back() {
        let mut s = FactStore::default();
        let q = s.pred(0, 2);
        let idx = s.index(q, vec![0]);
        let key = |v: i64| hash_vals(q, &[Val::Int(v)]);
        for b in 1..=3 {
            s.insert(q, &[Val::Int(1), Val::Int(b)]);
        }
        s.insert(q, &[Val::Int(2), Val::Int(9)]);
        assert_eq!(s.bucket(idx, key(1)), [0, 1, 2]);
        assert_eq!(s.bucket(idx, key(2)), [3]);
        s.truncate(2, 1);
        assert_eq!(s.bucket(idx, key(1)), [0, 1]);
        assert!(s.bucket(idx, key(2)).is_empty());
        s.truncate(1, 1);
        assert_eq!(s.bucket(idx, key(1)), [0]);
        assert_eq!(s.indexes[idx].lists.free_lists(), 1);
        // The freed list serves the next key with several facts.
        s.insert(q, &[Val::Int(2), Val::Int(1)]);
        s.insert(q, &[Val::Int(2), Val::Int(2)]);
        assert_eq!(s.bucket(idx, key(2)), [1, 2]);
        assert_eq!(s.indexes[idx].lists.free_lists(), 0);
        assert_eq!(s.lookup(q, &[Val::Int(1), Val::Int(2)]), None);
        assert_eq!(s.lookup(q, &[Val::Int(2), Val::Int(2)]), Some(2));
        assert_eq!(s.insert(q, &[Val::Int(2), Val::Int(2)]), (2, false));
    }
}
