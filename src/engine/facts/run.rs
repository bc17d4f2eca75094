//! A run's facts: the stated facts in place, the run's own in a layer over them.

use super::{hash_vals, FactId, FactStore, IdList, PredId};
use crate::engine::value::{Args, Sym, Val};

/// The facts of a run: the knowledge base's stated facts, read in place, and a layer of the
/// run's own (its input and what it derives) over them, with ids following theirs. Runs
/// neither copy the stated facts nor their indexes.
#[derive(Debug)]
pub struct RunStore<'kb> {
    base: &'kb FactStore,
    pub(super) own: FactStore,
}

impl<'kb> RunStore<'kb> {
    /// A run over `base`, with `layer` (an empty [`FactStore::layer`] of `base`).
    pub fn new(base: &'kb FactStore, layer: FactStore) -> Self {
        debug_assert!(layer.is_empty() && layer.first as usize == base.len());
        RunStore { base, own: layer }
    }
    /// A run over `base` whose `layer` may hold facts of an earlier run (see
    /// `eval::Prefix`).
    pub fn resuming(base: &'kb FactStore, layer: FactStore) -> Self {
        debug_assert!(layer.first as usize == base.len());
        RunStore { base, own: layer }
    }
    /// The run's layer with its first `len - stated` facts only, and the program's
    /// predicates only, for another run over the same stated facts (see
    /// [`RunStore::resuming`]).
    pub fn into_layer_upto(self, len: usize) -> FactStore {
        let mut own = self.own;
        own.rewind(len - self.base.len(), self.base.preds.len());
        own
    }
    /// The run's layer, emptied, for another run over the same stated facts.
    pub fn into_layer(self) -> FactStore {
        let mut own = self.own;
        own.truncate(0, self.base.preds.len());
        own
    }
    /// Forget the run's facts from id `len` on (the predicates stay).
    pub fn truncate(&mut self, len: usize) {
        let preds = self.own.preds.len();
        self.own
            .truncate(len.saturating_sub(self.base.len()), preds);
    }
    /// The number of facts, stated and the run's.
    pub fn len(&self) -> usize {
        self.base.len() + self.own.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    #[inline]
    fn layer_of(&self, f: FactId) -> &FactStore {
        if f < self.own.first {
            self.base
        } else {
            &self.own
        }
    }
    #[inline]
    pub fn pred_of(&self, f: FactId) -> PredId {
        self.layer_of(f).pred_of(f)
    }
    #[inline]
    pub fn args(&self, f: FactId) -> Args<'_> {
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
    pub fn ids(&self, p: PredId) -> [IdList<'_>; 2] {
        let stated = self
            .base
            .preds
            .get(p as usize)
            .map_or(IdList::EMPTY, |i| i.ids.view());
        [stated, self.own.preds[p as usize].ids.view()]
    }
    /// How many facts `p` has.
    pub fn count(&self, p: PredId) -> usize {
        self.ids(p).iter().map(|v| v.len()).sum()
    }
    /// The facts of `p`, in id order.
    pub fn facts_of(&self, p: PredId) -> impl Iterator<Item = FactId> + '_ {
        self.ids(p).into_iter().flatten()
    }
    /// [`FactStore::bucket`] in both layers, in id order.
    pub fn bucket(&self, index: usize, hash: u64, first: Val) -> [IdList<'_>; 2] {
        self.bucket_by(index, || hash, first)
    }

    /// [`RunStore::bucket`] with the key's hash computed only if an index that holds facts
    /// looks keys up by hash, and once: a join's probes of stated facts through a dense
    /// index need none.
    #[inline]
    pub fn bucket_by(&self, index: usize, hash: impl Fn() -> u64, first: Val) -> [IdList<'_>; 2] {
        let mut known = None;
        let mut hash = || *known.get_or_insert_with(&hash);
        // Most of a run's probes are of predicates without stated facts (a batch's answers
        // and what rules conclude from them), or without facts of the run's (the stated
        // facts): a layer whose index surely holds nothing (a hashed one without keys) is
        // not looked in.
        #[inline(always)]
        fn look<'s>(
            store: &'s FactStore,
            index: usize,
            hash: &mut impl FnMut() -> u64,
            first: Val,
        ) -> IdList<'s> {
            if store.index_is_empty(index) {
                IdList::EMPTY
            } else {
                store.bucket_by(index, hash, first).into()
            }
        }
        [
            look(self.base, index, &mut hash, first),
            look(&self.own, index, &mut hash, first),
        ]
    }
    pub fn lookup(&self, pred: PredId, args: &[Val]) -> Option<FactId> {
        self.base
            .lookup(pred, args)
            .or_else(|| self.own.lookup(pred, args))
    }
    /// Add a fact to the run's layer unless known in either layer.
    pub fn insert(&mut self, pred: PredId, args: &[Val]) -> (FactId, bool) {
        self.insert_hashed(pred, args, hash_vals(pred, args))
    }

    /// Whether `pred` has stated facts (else a run's fact of it need not be looked for
    /// among them).
    #[inline]
    fn has_stated(&self, pred: PredId) -> bool {
        self.base
            .preds
            .get(pred as usize)
            .is_some_and(|p| !p.ids.is_empty())
    }

    /// Bring what inserting a fact of `pred` whose hash is `h` (see [`hash_vals`]) reads
    /// into the cache, a few insertions ahead of it.
    #[inline]
    pub fn warm(&self, pred: PredId, h: u64) {
        if self.has_stated(pred) {
            self.base.warm(h);
        }
        self.own.warm(h);
    }

    /// [`insert`](Self::insert), given `hash_vals(pred, args)`.
    pub fn insert_hashed(&mut self, pred: PredId, args: &[Val], h: u64) -> (FactId, bool) {
        if self.has_stated(pred) {
            if let Some(f) = self.base.lookup_hashed(pred, args, h) {
                return (f, false);
            }
        }
        self.own.insert_hashed(pred, args, h)
    }

    /// The facts of `p` whose arguments equal `pattern` where it gives a value, in id
    /// order. Looked up through the predicate's most selective index whose positions the
    /// pattern all gives (the indexes the compiled rules' plans that run use: W2's paths
    /// have none by their end, so `path(_, y)` is a scan), else by a scan.
    pub fn matching(&self, p: PredId, pattern: &[Option<Val>]) -> Vec<FactId> {
        let own = &self.own;
        let best = own.preds[p as usize]
            .indexes
            .iter()
            .copied()
            .filter(|&i| {
                own.indexes[i]
                    .positions
                    .iter()
                    .all(|&k| pattern[k].is_some())
            })
            .max_by_key(|&i| own.indexes[i].positions.len());
        let fits = |f: &FactId| {
            self.args(*f)
                .iter()
                .zip(pattern)
                .all(|(v, w)| w.is_none_or(|w| v == w))
        };
        match best {
            Some(i) => {
                let positions = &own.indexes[i].positions;
                let h = super::hash_owned_vals(p, positions.iter().filter_map(|&k| pattern[k]));
                let first = pattern[positions[0]].expect("an indexed position is given");
                self.bucket(i, h, first)
                    .into_iter()
                    .flatten()
                    .filter(fits)
                    .collect()
            }
            None => self.facts_of(p).filter(fits).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pattern finds the same facts with an index as by a scan.
    #[test]
    fn matching_through_an_index_equals_a_scan() {
        let mut base = FactStore::default();
        let p = base.pred(0, 2);
        for a in 0..20 {
            for b in 0..5 {
                base.insert(p, &[Val::Int(a % 7), Val::Int(b)]);
            }
        }
        let scan = |store: &RunStore<'_>, pat: &[Option<Val>]| -> Vec<FactId> {
            store
                .facts_of(p)
                .filter(|&f| {
                    store
                        .args(f)
                        .iter()
                        .zip(pat)
                        .all(|(v, w)| w.is_none_or(|w| v == w))
                })
                .collect()
        };
        let patterns: Vec<Vec<Option<Val>>> = vec![
            vec![Some(Val::Int(3)), None],
            vec![None, Some(Val::Int(4))],
            vec![Some(Val::Int(3)), Some(Val::Int(4))],
            vec![Some(Val::Int(99)), None],
            vec![None, None],
        ];
        let without = RunStore::new(&base, base.layer());
        for pat in &patterns {
            assert_eq!(without.matching(p, pat), scan(&without, pat));
        }
        base.index(p, vec![0]);
        let mut with = RunStore::new(&base, base.layer());
        with.insert(p, &[Val::Int(3), Val::Int(100)]);
        for pat in &patterns {
            let got = with.matching(p, pat);
            assert_eq!(got, scan(&with, pat), "{pat:?}");
        }
        assert_eq!(with.matching(p, &patterns[0]).len(), 5 + 1);
    }
}
