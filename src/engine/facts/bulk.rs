//! Bulk loading: the stated facts appended without looking for duplicates, then entered in
//! the dedup table region by region (cache-friendly), equal facts merged.

use super::{hash_half, hash_owned_vals, FactId, FactStore, PredId};
use crate::engine::value::Val;

/// Slots of the dedup table one pass of a bulk load fills at a time (see
/// [`FactStore::dedup_bulk`]): 32 KiB of entries, which stay in the processor's cache while
/// the pass fills them.
const BULK_SPAN: usize = 4096;

impl FactStore {
    /// Append a fact of a bulk load (the stated facts) without looking for an equal one;
    /// [`FactStore::dedup_bulk`] does that for all of them at once. Before any index exists.
    pub fn push_bulk(&mut self, pred: PredId, args: &[Val]) -> FactId {
        debug_assert!(self.indexes.is_empty());
        let id = self.end();
        self.push(pred, args, id);
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
        self.dedup.reserve(n);
        let halves = (0..n as FactId)
            .map(|f| hash_half(hash_owned_vals(self.pred_of(f), self.args(f).iter())));
        let buckets = self.dedup.slot_count();
        let order: Vec<(FactId, u32)> = if buckets <= BULK_SPAN {
            halves.enumerate().map(|(f, h)| (f as FactId, h)).collect()
        } else {
            let shift = BULK_SPAN.trailing_zeros();
            let dedup = &self.dedup;
            let region = |h: u32| dedup.home_of(h) >> shift;
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
            // The fact's own columns are read only if another fact's hash shares its half
            // (in the table's order, they lie at random places).
            let same = |g: FactId| columns.same(g, f);
            if dedup.find_or_insert(half, f, same).is_ok() {
                duplicates = true;
            }
        }
        duplicates.then(|| self.renumber_bulk())
    }

    /// Load the facts again one by one, so that equal ones become one; their new ids.
    fn renumber_bulk(&mut self) -> Vec<FactId> {
        let mut old = std::mem::take(self);
        self.first = old.first;
        self.preds = std::mem::take(&mut old.preds);
        self.pred_ids = std::mem::take(&mut old.pred_ids);
        // The table, emptied, for the facts again (two full tables at once would be tens of
        // megabytes on a large file).
        self.dedup = std::mem::take(&mut old.dedup);
        self.dedup.clear();
        for p in &mut self.preds {
            p.ids.clear();
        }
        self.reserve(old.len(), old.bits.len());
        let mut args = Vec::new();
        (old.first..old.end())
            .map(|f| {
                args.clear();
                args.extend(old.args(f).iter());
                self.insert(old.pred_of(f), &args).0
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
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
                assert_eq!(s.lookup(s.pred_of(f), &s.args(f).to_vec()), Some(f));
            }
            for p in 0..2 {
                let ids = |s: &FactStore| s.preds[p].ids.view().iter().collect::<Vec<_>>();
                assert_eq!(ids(&s), ids(&one));
            }
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

    /// Equal facts merged where one position holds values of several types: each keeps its
    /// own type through the renumbering (a fact's shape is made again), and values of
    /// different types with the same bits stay apart.
    #[test]
    fn duplicates_of_several_types_merge_by_type() {
        let mut s = FactStore::default();
        let p = s.pred(0, 2);
        let facts = [
            [Val::Int(1), Val::Int(0)],
            [Val::Str(1), Val::Int(0)],
            [Val::Int(1), Val::Int(0)],
            [Val::Sym(1), Val::Bool(false)],
            [Val::Str(1), Val::Int(0)],
            [Val::Sym(1), Val::Int(0)],
        ];
        for f in &facts {
            s.push_bulk(p, f);
        }
        assert_eq!(s.dedup_bulk(), Some(vec![0, 1, 0, 2, 1, 3]));
        assert_eq!(s.len(), 4);
        for (f, want) in [0, 1, 3, 5].iter().map(|&i| &facts[i]).enumerate() {
            assert_eq!(s.args(f as FactId), *want);
            assert_eq!(s.lookup(p, want), Some(f as FactId));
        }
    }
}
