//! Fact storage: every fact once, in arrival order, with hash indexes on the argument
//! positions the compiled rules look up.
//!
//! Lifecycle: a fact's id is its arrival order and never changes. Facts arrive in rounds; a
//! round's "delta" is the id range of the facts the previous round added, so semi-naive
//! evaluation needs no copies: "old" facts are ids below the delta, "all" facts ids below its
//! end. Relation lists and index buckets are kept in id order, so a range is a binary search.

use super::value::{Sym, Val};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::{Hash, Hasher};

pub type FactId = u32;
pub type PredId = u32;

/// No fact: the end of a hash chain.
const NONE: FactId = FactId::MAX;

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
#[derive(Debug, Clone)]
struct Index {
    positions: Vec<usize>,
    /// Hash of the values at `positions` → facts in id order (collisions are resolved by the
    /// caller, which compares every argument anyway).
    buckets: FxHashMap<u64, Bucket>,
}

/// The facts of one index key, in id order. Most keys of a large relation hold one fact
/// (a project's size, a person's name), which then needs no vector of its own: building,
/// copying and resetting an index costs one allocation per key that has several facts.
#[derive(Debug, Clone)]
enum Bucket {
    One(FactId),
    Many(Vec<FactId>),
}

impl Bucket {
    fn ids(&self) -> &[FactId] {
        match self {
            Bucket::One(f) => std::slice::from_ref(f),
            Bucket::Many(v) => v,
        }
    }
    fn push(&mut self, f: FactId) {
        match self {
            Bucket::One(first) => *self = Bucket::Many(vec![*first, f]),
            Bucket::Many(v) => v.push(f),
        }
    }
}

/// Add `f` to the bucket of `hash`.
fn add_to_bucket(buckets: &mut FxHashMap<u64, Bucket>, hash: u64, f: FactId) {
    buckets
        .entry(hash)
        .and_modify(|b| b.push(f))
        .or_insert(Bucket::One(f));
}

#[derive(Debug, Clone, Default)]
pub struct FactStore {
    pub preds: Vec<PredInfo>,
    pred_ids: FxHashMap<(Sym, usize), PredId>,
    fact_pred: Vec<PredId>,
    fact_start: Vec<u32>,
    args: Vec<Val>,
    dedup: FxHashMap<u64, FactId>,
    chain: Vec<FactId>,
    indexes: Vec<Index>,
    index_ids: FxHashMap<(PredId, Vec<usize>), usize>,
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
        self.chain.reserve_exact(facts);
        self.args.reserve_exact(args);
        self.dedup.reserve(facts);
    }

    pub fn find_pred(&self, name: Sym, arity: usize) -> Option<PredId> {
        self.pred_ids.get(&(name, arity)).copied()
    }

    pub fn len(&self) -> usize {
        self.fact_pred.len()
    }
    pub fn is_empty(&self) -> bool {
        self.fact_pred.is_empty()
    }
    pub fn pred_of(&self, f: FactId) -> PredId {
        self.fact_pred[f as usize]
    }
    pub fn args(&self, f: FactId) -> &[Val] {
        let s = self.fact_start[f as usize] as usize;
        &self.args[s..s + self.preds[self.fact_pred[f as usize] as usize].arity]
    }

    /// Register an index on `positions` of `pred` (idempotent); returns its id.
    pub fn index(&mut self, pred: PredId, positions: Vec<usize>) -> usize {
        if let Some(&i) = self.index_ids.get(&(pred, positions.clone())) {
            return i;
        }
        let mut idx = Index {
            positions: positions.clone(),
            buckets: FxHashMap::default(),
        };
        for &f in &self.preds[pred as usize].ids {
            let s = self.fact_start[f as usize] as usize;
            let h = hash_vals(pred, positions.iter().map(|&p| &self.args[s + p]));
            add_to_bucket(&mut idx.buckets, h, f);
        }
        let id = self.indexes.len();
        self.indexes.push(idx);
        self.preds[pred as usize].indexes.push(id);
        self.index_ids.insert((pred, positions), id);
        id
    }

    /// Facts whose values at the index's positions hash to `hash` (see [`hash_vals`]; the
    /// caller compares the values).
    pub fn bucket(&self, index: usize, hash: u64) -> &[FactId] {
        self.indexes[index]
            .buckets
            .get(&hash)
            .map_or(&[], Bucket::ids)
    }

    /// The fact with exactly these arguments, if known.
    pub fn lookup(&self, pred: PredId, args: &[Val]) -> Option<FactId> {
        let mut f = *self.dedup.get(&hash_vals(pred, args))?;
        while f != NONE {
            if self.fact_pred[f as usize] == pred && self.args(f) == args {
                return Some(f);
            }
            f = self.chain[f as usize];
        }
        None
    }

    /// Add a fact unless present. Returns its id and whether it is new.
    pub fn insert(&mut self, pred: PredId, args: &[Val]) -> (FactId, bool) {
        let h = hash_vals(pred, args);
        let head = self.dedup.get(&h).copied();
        let mut f = head.unwrap_or(NONE);
        while f != NONE {
            if self.fact_pred[f as usize] == pred && self.args(f) == args {
                return (f, false);
            }
            f = self.chain[f as usize];
        }
        let id = self.fact_pred.len() as FactId;
        self.fact_pred.push(pred);
        self.fact_start.push(self.args.len() as u32);
        self.args.extend_from_slice(args);
        self.chain.push(head.unwrap_or(NONE));
        self.dedup.insert(h, id);
        let info = &mut self.preds[pred as usize];
        info.ids.push(id);
        for &i in &info.indexes {
            let idx = &mut self.indexes[i];
            let kh = hash_vals(pred, idx.positions.iter().map(|&p| &args[p]));
            add_to_bucket(&mut idx.buckets, kh, id);
        }
        (id, true)
    }
}

impl FactStore {
    /// The number of predicates known.
    pub fn pred_count(&self) -> usize {
        self.preds.len()
    }

    /// Forget every fact from id `facts` on and every predicate from `preds` on, leaving the
    /// store as it was when it had that many. Costs what the forgotten facts cost to add, not
    /// the store's size: batch runs reset a store to the stated facts with it.
    pub fn truncate(&mut self, facts: usize, preds: usize) {
        while self.fact_pred.len() > facts {
            let id = (self.fact_pred.len() - 1) as FactId;
            let pred = self.fact_pred[id as usize];
            let start = self.fact_start[id as usize] as usize;
            let arity = self.preds[pred as usize].arity;
            let args = &self.args[start..start + arity];
            let h = hash_vals(pred, args);
            match self.chain[id as usize] {
                NONE => self.dedup.remove(&h),
                prev => self.dedup.insert(h, prev),
            };
            let info = &mut self.preds[pred as usize];
            let popped = info.ids.pop();
            debug_assert_eq!(popped, Some(id));
            for &i in &info.indexes {
                let idx = &mut self.indexes[i];
                let kh = hash_vals(pred, idx.positions.iter().map(|&p| &args[p]));
                // The forgotten fact is the bucket's last; a bucket it alone filled goes.
                match idx.buckets.get_mut(&kh) {
                    Some(Bucket::Many(v)) => {
                        let popped = v.pop();
                        debug_assert_eq!(popped, Some(id));
                    }
                    Some(Bucket::One(f)) => {
                        debug_assert_eq!(*f, id);
                        idx.buckets.remove(&kh);
                    }
                    None => {}
                }
            }
            self.fact_pred.pop();
            self.fact_start.pop();
            self.chain.pop();
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
