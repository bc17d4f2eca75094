//! An index on some argument positions of one predicate: for each key, its facts in id
//! order (one fact kept in the key itself).
//!
//! Two forms. A hash index finds a key by the hash of its values. A dense index, chosen when
//! an index is built over facts whose values at its first position are numbers of one kind
//! (integers, or symbols or strings, which are numbered as they are first seen) filling most
//! of a range, keeps a slot per number in the range: one probe, and facts scanned in the
//! order of those values probe neighbouring slots, where a hash index sends each probe to a
//! random place in a table too large for the cache (W3: project ids joined with a million
//! projects' sizes).

use super::{hash_owned_vals, FactId, PredId};
use crate::engine::spill::{Slot, Spill};
use crate::engine::value::{Args, Val, ValsAt};
use hashbrown::hash_table::{Entry, HashTable};

/// An index on some argument positions of one predicate.
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    pub(super) positions: Vec<usize>,
    keys: Keys,
    /// The facts of the keys that have several, in id order.
    lists: Spill<FactId>,
}

#[derive(Debug, Clone)]
enum Keys {
    /// One entry per key: the hash of the values at `positions` (collisions are resolved by
    /// the caller, which compares every argument anyway), and where its facts are.
    Hashed(HashTable<Key>),
    /// A slot per number in `min..min + slots.len()` of the values of kind `kind` at the
    /// first position: the facts with that value there (whatever their values at the other
    /// positions, which the caller compares).
    Dense {
        kind: Kind,
        min: i64,
        slots: Vec<Option<Slot<FactId>>>,
    },
}

impl Default for Keys {
    fn default() -> Self {
        Keys::Hashed(HashTable::new())
    }
}

/// The kinds of values a dense index numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Sym,
    Str,
}

/// A value's kind and number, if a dense index can hold it.
fn number(v: Val) -> Option<(Kind, i64)> {
    match v {
        Val::Int(i) => Some((Kind::Int, i)),
        Val::Sym(s) => Some((Kind::Sym, i64::from(s))),
        Val::Str(s) => Some((Kind::Str, i64::from(s))),
        Val::Dec(_) | Val::Bool(_) => None,
    }
}

/// A dense index's slots may number at most this many per fact (plus [`DENSE_SLACK`]):
/// denser than a hash table's 16 bytes a key at its usual load.
const DENSE_SLOTS_PER_FACT: u64 = 2;
const DENSE_SLACK: u64 = 64;
/// An index on several positions is dense on its first only if no value there has more
/// facts than this (the caller compares the other positions fact by fact).
const DENSE_MAX_SHARED: usize = 8;

/// One key of a hash index, in 16 bytes. Most keys of a large relation hold one fact (a
/// project's size, a person's name), kept in the key itself.
#[derive(Debug, Clone, Copy)]
pub(super) struct Key {
    hash: u64,
    facts: Slot<FactId>,
}

impl Index {
    /// An empty hash index on `positions`.
    pub(super) fn new(positions: Vec<usize>) -> Index {
        Index {
            positions,
            ..Index::default()
        }
    }

    /// An index on `positions` over `facts` of `pred` (in id order, with their arguments):
    /// dense if `dense` and their values at the first position allow it, else hashed.
    pub(super) fn build<'a>(
        positions: Vec<usize>,
        pred: PredId,
        facts: impl Iterator<Item = (FactId, Args<'a>)> + Clone,
        dense: bool,
    ) -> Index {
        let mut idx = Index::new(positions);
        if let Some(dense) = dense.then(|| idx.dense(facts.clone())).flatten() {
            return dense;
        }
        for (f, args) in facts {
            let added = idx.add_fact(pred, args, f);
            debug_assert!(added, "a hash index takes every fact");
        }
        idx
    }

    /// The hash of a fact's key: its values at the index's positions (see [`hash_vals`]).
    fn key_hash(&self, pred: PredId, args: impl ValsAt) -> u64 {
        hash_owned_vals(pred, self.positions.iter().map(|&p| args.val_at(p)))
    }

    /// Add fact `f` of `pred` (the largest id so far), whose arguments are `args`. False if
    /// the index cannot take it (see [`Index::add`]): the caller rebuilds the index.
    #[must_use]
    pub(super) fn add_fact(&mut self, pred: PredId, args: impl ValsAt, f: FactId) -> bool {
        // A dense index finds keys by their first value alone.
        let hash = match self.keys {
            Keys::Hashed(_) => self.key_hash(pred, args),
            Keys::Dense { .. } => 0,
        };
        self.add(hash, args.val_at(self.positions[0]), f)
    }

    /// Take fact `f` of `pred`, the last added, whose arguments are `args`, out again.
    pub(super) fn remove_fact(&mut self, pred: PredId, args: impl ValsAt, f: FactId) {
        let hash = match self.keys {
            Keys::Hashed(_) => self.key_hash(pred, args),
            Keys::Dense { .. } => 0,
        };
        self.remove_last(hash, args.val_at(self.positions[0]), f);
    }

    /// True only if the index surely holds no fact (a dense one always says false).
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        match &self.keys {
            Keys::Hashed(keys) => keys.is_empty(),
            Keys::Dense { .. } => false,
        }
    }

    /// Whether the index finds keys by hash (a dense one cannot forget facts in bulk).
    pub(super) fn is_hashed(&self) -> bool {
        matches!(self.keys, Keys::Hashed(_))
    }

    /// Take out the facts `end` and later of a hash index, in one pass over its keys (see
    /// `Dedup::forget_from`).
    pub(super) fn forget_from(&mut self, end: FactId) {
        let Index { keys, lists, .. } = self;
        let Keys::Hashed(keys) = keys else {
            unreachable!("only a hash index forgets in bulk")
        };
        if keys.is_empty() {
            return;
        }
        keys.retain(|k| loop {
            // A key's facts are in id order: the last ones go.
            let last = *lists.get(&k.facts).last().expect("a key has a fact");
            if last < end {
                return true;
            }
            if !lists.pop(&mut k.facts, last) {
                return false;
            }
        });
    }

    /// This (empty) index made dense over `facts`, if their first key values allow it.
    fn dense<'a>(&self, facts: impl Iterator<Item = (FactId, Args<'a>)> + Clone) -> Option<Index> {
        let first = self.positions[0];
        let (mut kind, mut lo, mut hi, mut n) = (None, i64::MAX, i64::MIN, 0u64);
        for (_, args) in facts.clone() {
            let (k, x) = number(args.get(first))?;
            if *kind.get_or_insert(k) != k {
                return None;
            }
            (lo, hi, n) = (lo.min(x), hi.max(x), n + 1);
        }
        let kind = kind?;
        let span = hi.abs_diff(lo).checked_add(1)?;
        if span
            > n.saturating_mul(DENSE_SLOTS_PER_FACT)
                .saturating_add(DENSE_SLACK)
        {
            return None;
        }
        let mut idx = Index {
            positions: self.positions.clone(),
            keys: Keys::Dense {
                kind,
                min: lo,
                slots: vec![None; usize::try_from(span).ok()?],
            },
            lists: Spill::default(),
        };
        // Every value is in range; on several positions, a value shared by more than
        // DENSE_MAX_SHARED facts is refused.
        for (f, args) in facts {
            if !idx.add(0, args.get(first), f) {
                return None;
            }
        }
        Some(idx)
    }

    /// Forget every fact (a dense index keeps its range).
    pub(super) fn clear(&mut self) {
        match &mut self.keys {
            Keys::Hashed(keys) => keys.clear(),
            Keys::Dense { slots, .. } => slots.fill(None),
        }
        self.lists.clear();
    }

    /// Whether the index holds its keys densely (see [`Index::build`]).
    #[cfg(test)]
    pub(super) fn is_dense(&self) -> bool {
        matches!(self.keys, Keys::Dense { .. })
    }

    /// The slot of a dense index's facts with `first` at the first position, if in range.
    fn dense_slot(kind: Kind, min: i64, len: usize, first: Val) -> Option<usize> {
        let (k, x) = number(first)?;
        if k != kind {
            return None;
        }
        let at = usize::try_from(x.checked_sub(min)?).ok()?;
        (at < len).then_some(at)
    }

    /// The facts of the key whose values hash to `hash` and whose first value is `first`,
    /// in id order (possibly with others: the caller compares the values).
    #[inline]
    pub(super) fn ids(&self, hash: u64, first: Val) -> &[FactId] {
        self.ids_by(&mut || hash, first)
    }

    /// [`Index::ids`] with the hash computed only if the index looks keys up by hash (a
    /// dense one needs `first` alone).
    #[inline]
    pub(super) fn ids_by(&self, hash: &mut impl FnMut() -> u64, first: Val) -> &[FactId] {
        let slot = match &self.keys {
            Keys::Hashed(keys) => {
                let hash = hash();
                keys.find(hash, |k| k.hash == hash).map(|k| &k.facts)
            }
            Keys::Dense { kind, min, slots } => {
                Self::dense_slot(*kind, *min, slots.len(), first).and_then(|at| slots[at].as_ref())
            }
        };
        slot.map_or(&[], |s| self.lists.get(s))
    }

    /// Add `f` (the largest id so far) under `hash` and `first` (its value at the first
    /// position). False if a dense index has no slot for it, or (on several positions) its
    /// slot holds [`DENSE_MAX_SHARED`] facts already: the caller rebuilds the index.
    #[must_use]
    fn add(&mut self, hash: u64, first: Val, f: FactId) -> bool {
        match &mut self.keys {
            Keys::Hashed(keys) => match keys.entry(hash, |k| k.hash == hash, |k| k.hash) {
                Entry::Occupied(mut e) => self.lists.push(&mut e.get_mut().facts, f),
                Entry::Vacant(e) => {
                    e.insert(Key {
                        hash,
                        facts: Slot::One(f),
                    });
                }
            },
            Keys::Dense { kind, min, slots } => {
                let Some(at) = Self::dense_slot(*kind, *min, slots.len(), first) else {
                    return false;
                };
                match &mut slots[at] {
                    // On several positions, a value shared by more facts than the build
                    // allowed makes the index hashed again.
                    Some(s)
                        if self.positions.len() > 1
                            && self.lists.get(s).len() >= DENSE_MAX_SHARED =>
                    {
                        return false;
                    }
                    Some(s) => self.lists.push(s, f),
                    empty => *empty = Some(Slot::One(f)),
                }
            }
        }
        true
    }

    /// Take `f`, the last fact added under `hash` and `first`, out again.
    fn remove_last(&mut self, hash: u64, first: Val, f: FactId) {
        match &mut self.keys {
            Keys::Hashed(keys) => {
                if let Ok(mut e) = keys.find_entry(hash, |k| k.hash == hash) {
                    if !self.lists.pop(&mut e.get_mut().facts, f) {
                        e.remove();
                    }
                }
            }
            Keys::Dense { kind, min, slots } => {
                if let Some(at) = Self::dense_slot(*kind, *min, slots.len(), first) {
                    if let Some(s) = &mut slots[at] {
                        if !self.lists.pop(s, f) {
                            slots[at] = None;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{hash_vals, FactId, FactStore, RunStore};
    use crate::engine::value::Val;
    use proptest::prelude::*;

    /// A key holds its one fact inline and moves to a list at the second; taking facts out
    /// again returns it to one fact and frees the list for the next key that needs one.
    /// (A hash index: the index is made before the facts.)
    #[test]
    fn index_keys_grow_into_lists_and_back() {
        let mut s = FactStore::default();
        let q = s.pred(0, 2);
        let idx = s.index(q, vec![0]);
        assert!(!s.indexes[idx].is_dense());
        let key = |v: i64| (hash_vals(q, &[Val::Int(v)]), Val::Int(v));
        let bucket = |s: &FactStore, v: i64| s.bucket(idx, key(v).0, key(v).1).to_vec();
        for b in 1..=3 {
            s.insert(q, &[Val::Int(1), Val::Int(b)]);
        }
        s.insert(q, &[Val::Int(2), Val::Int(9)]);
        assert_eq!(bucket(&s, 1), [0, 1, 2]);
        assert_eq!(bucket(&s, 2), [3]);
        s.truncate(2, 1);
        assert_eq!(bucket(&s, 1), [0, 1]);
        assert!(bucket(&s, 2).is_empty());
        s.truncate(1, 1);
        assert_eq!(bucket(&s, 1), [0]);
        assert_eq!(s.indexes[idx].lists.free_lists(), 1);
        // The freed list serves the next key with several facts.
        s.insert(q, &[Val::Int(2), Val::Int(1)]);
        s.insert(q, &[Val::Int(2), Val::Int(2)]);
        assert_eq!(bucket(&s, 2), [1, 2]);
        assert_eq!(s.indexes[idx].lists.free_lists(), 0);
        assert_eq!(s.lookup(q, &[Val::Int(1), Val::Int(2)]), None);
        assert_eq!(s.lookup(q, &[Val::Int(2), Val::Int(2)]), Some(2));
        assert_eq!(s.insert(q, &[Val::Int(2), Val::Int(2)]), (2, false));
    }

    /// The facts of `p` in `store`, with the index `idx` on `positions`, that a probe for
    /// `key` returns once the caller has compared the values (as the rules' joins do).
    fn probe(
        store: &FactStore,
        p: u32,
        idx: usize,
        positions: &[usize],
        key: &[Val],
    ) -> Vec<FactId> {
        let h = hash_vals(p, key);
        store
            .bucket(idx, h, key[0])
            .iter()
            .copied()
            .filter(|&f| {
                positions
                    .iter()
                    .zip(key)
                    .all(|(&at, v)| store.args(f).get(at) == *v)
            })
            .collect()
    }

    fn store_of(facts: &[(Val, Val)]) -> (FactStore, u32) {
        let mut s = FactStore::default();
        let p = s.pred(0, 2);
        for &(a, b) in facts {
            s.insert(p, &[a, b]);
        }
        (s, p)
    }

    /// Which facts make an index dense: values of one kind filling most of their range at
    /// the first position (integers, symbols or strings, negative too), and for an index on
    /// several positions few facts sharing a first value.
    #[test]
    fn an_index_is_dense_when_its_first_values_fill_their_range() {
        let ints = |vals: &[i64]| -> Vec<(Val, Val)> {
            vals.iter().map(|&v| (Val::Int(v), Val::Int(0))).collect()
        };
        let dense = |facts: &[(Val, Val)], positions: Vec<usize>| {
            let (mut s, p) = store_of(facts);
            let idx = s.index(p, positions);
            s.indexes[idx].is_dense()
        };
        let many: Vec<i64> = (-500..500).collect();
        assert!(dense(&ints(&many), vec![0]));
        assert!(dense(&ints(&[7]), vec![0]));
        // A range of 2 slots a fact and 64 more.
        let spread: Vec<i64> = (0..100).map(|v| v * 2).collect();
        assert!(dense(&ints(&spread), vec![0]));
        let sparse: Vec<i64> = (0..100).map(|v| v * 3).collect();
        assert!(!dense(&ints(&sparse), vec![0]));
        assert!(!dense(&ints(&[i64::MIN, i64::MAX]), vec![0]));
        assert!(!dense(&ints(&[i64::MIN, 0]), vec![0]));
        let syms: Vec<(Val, Val)> = (0..50).map(|v| (Val::Sym(v), Val::Int(0))).collect();
        assert!(dense(&syms, vec![0]));
        let mixed = [(Val::Sym(1), Val::Int(0)), (Val::Str(1), Val::Int(0))];
        assert!(!dense(&mixed, vec![0]));
        let decs = [(Val::dec(1.0), Val::Int(0)), (Val::dec(2.0), Val::Int(0))];
        assert!(!dense(&decs, vec![0]));
        assert!(!dense(&[], vec![0]));
        // On two positions: 8 facts sharing a first value at most.
        let shared =
            |n: i64| -> Vec<(Val, Val)> { (0..n).map(|b| (Val::Int(1), Val::Int(b))).collect() };
        assert!(dense(&shared(8), vec![0, 1]));
        assert!(!dense(&shared(9), vec![0, 1]));
        assert!(dense(&shared(9), vec![0]));
    }

    /// A fact outside a dense index's range (or of another kind) makes it a hash index
    /// that still finds every fact; taking the facts out again empties their slots.
    #[test]
    fn a_dense_index_outgrown_is_rebuilt_hashed() {
        let facts: Vec<(Val, Val)> = (0..10).map(|v| (Val::Int(v), Val::Int(v * 10))).collect();
        let (mut s, p) = store_of(&facts);
        let idx = s.index(p, vec![0]);
        assert!(s.indexes[idx].is_dense());
        assert_eq!(probe(&s, p, idx, &[0], &[Val::Int(3)]), [3]);
        assert!(probe(&s, p, idx, &[0], &[Val::Int(10)]).is_empty());
        assert!(probe(&s, p, idx, &[0], &[Val::Int(-1)]).is_empty());
        assert!(probe(&s, p, idx, &[0], &[Val::Sym(3)]).is_empty());
        s.insert(p, &[Val::Int(3), Val::Int(0)]);
        assert!(s.indexes[idx].is_dense());
        assert_eq!(probe(&s, p, idx, &[0], &[Val::Int(3)]), [3, 10]);
        s.truncate(10, 1);
        assert_eq!(probe(&s, p, idx, &[0], &[Val::Int(3)]), [3]);
        s.truncate(9, 1);
        assert!(probe(&s, p, idx, &[0], &[Val::Int(9)]).is_empty());
        s.insert(p, &[Val::Int(9), Val::Int(1)]);
        s.insert(p, &[Val::Sym(0), Val::Int(1)]);
        assert!(!s.indexes[idx].is_dense());
        assert_eq!(probe(&s, p, idx, &[0], &[Val::Int(9)]), [9]);
        assert_eq!(probe(&s, p, idx, &[0], &[Val::Sym(0)]), [10]);
        for v in 0..9 {
            assert_eq!(probe(&s, p, idx, &[0], &[Val::Int(v)]), [v as FactId]);
        }
    }

    /// On two positions, a dense index takes at most 8 facts sharing a first value: the
    /// ninth makes it hashed, and every fact is still found by its full key.
    #[test]
    fn a_dense_index_on_two_positions_turns_hashed_past_eight_shared() {
        let facts: Vec<(Val, Val)> = (0..8).map(|b| (Val::Int(1), Val::Int(b))).collect();
        let (mut s, p) = store_of(&facts);
        let idx = s.index(p, vec![0, 1]);
        assert!(s.indexes[idx].is_dense());
        s.insert(p, &[Val::Int(1), Val::Int(8)]);
        assert!(!s.indexes[idx].is_dense());
        for b in 0..9 {
            let key = [Val::Int(1), Val::Int(b)];
            assert_eq!(probe(&s, p, idx, &[0, 1], &key), [b as FactId]);
        }
    }

    fn val() -> impl Strategy<Value = Val> {
        prop_oneof![
            (-20i64..20).prop_map(Val::Int),
            (0u32..20).prop_map(Val::Sym),
            (0u32..3).prop_map(Val::Str),
            prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(1 << 40)].prop_map(Val::Int),
            Just(Val::Bool(true)),
        ]
    }

    fn relation() -> impl Strategy<Value = Vec<(Val, Val)>> {
        prop_oneof![
            // Mostly integers in a small range: dense indexes.
            prop::collection::vec(((-30i64..30).prop_map(Val::Int), val()), 0..80),
            prop::collection::vec((val(), val()), 0..80),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Whatever the facts, an index built over them (dense or hashed), and the facts a
        /// run adds over them in its layer, find exactly the facts a scan finds, for every
        /// key on one position or two; and the same after the stated store is changed.
        #[test]
        fn an_index_finds_what_a_scan_finds(
            stated in relation(),
            added in prop::collection::vec((val(), val()), 0..10),
            probes in prop::collection::vec((val(), val()), 1..30),
        ) {
            let (mut base, p) = store_of(&stated);
            for positions in [vec![0], vec![0, 1], vec![1]] {
                base.index(p, positions);
            }
            let scan = |s: &RunStore<'_>, key: &[Option<Val>]| -> Vec<FactId> {
                s.facts_of(p)
                    .filter(|&f| s.args(f).iter().zip(key).all(|(v, k)| k.is_none_or(|k| v == k)))
                    .collect()
            };
            let check = |base: &FactStore| -> Result<(), TestCaseError> {
                let mut run = RunStore::new(base, base.layer());
                for &(a, b) in &added {
                    run.insert(p, &[a, b]);
                }
                for &(a, b) in &probes {
                    for key in [[Some(a), None], [Some(a), Some(b)], [None, Some(b)]] {
                        prop_assert_eq!(run.matching(p, &key), scan(&run, &key), "{:?}", key);
                    }
                }
                Ok(())
            };
            check(&base)?;
            for &(a, b) in &added {
                base.insert(p, &[a, b]);
            }
            check(&base)?;
        }
    }
}
