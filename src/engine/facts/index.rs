//! A hash index on some argument positions of one predicate: keys by hash, each key's
//! facts in id order (one fact kept in the key itself).

use super::FactId;
use crate::engine::spill::{Slot, Spill};
use hashbrown::hash_table::{Entry, HashTable};

/// A hash index on some argument positions of one predicate.
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    pub(super) positions: Vec<usize>,
    /// One entry per key: the hash of the values at `positions` (collisions are resolved by
    /// the caller, which compares every argument anyway), and where its facts are.
    keys: HashTable<Key>,
    /// The facts of the keys that have several, in id order.
    lists: Spill<FactId>,
}

/// One key of an index, in 16 bytes. Most keys of a large relation hold one fact (a
/// project's size, a person's name), kept in the key itself.
#[derive(Debug, Clone, Copy)]
pub(super) struct Key {
    hash: u64,
    facts: Slot<FactId>,
}

impl Index {
    pub(super) fn new(positions: Vec<usize>) -> Index {
        Index {
            positions,
            ..Index::default()
        }
    }
    /// The facts of the key that hashes to `hash`, in id order.
    pub(super) fn ids(&self, hash: u64) -> &[FactId] {
        match self.keys.find(hash, |k| k.hash == hash) {
            None => &[],
            Some(k) => self.lists.get(&k.facts),
        }
    }
    /// Add `f` (the largest id so far) under `hash`.
    pub(super) fn add(&mut self, hash: u64, f: FactId) {
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
    pub(super) fn remove_last(&mut self, hash: u64, f: FactId) {
        if let Ok(mut e) = self.keys.find_entry(hash, |k| k.hash == hash) {
            if !self.lists.pop(&mut e.get_mut().facts, f) {
                e.remove();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{hash_vals, FactStore};
    use crate::engine::value::Val;

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
