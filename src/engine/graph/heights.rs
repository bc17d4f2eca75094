//! Minimal derivation heights: how far each fact is, within its component of the predicate
//! dependency graph, from the facts it ultimately rests on. Certainties count a derivation
//! only when its same-component premises are strictly lower (see `docs/semantics.md`).

use super::{DerivId, FactGraph};
use crate::engine::facts::FactId;

impl FactGraph<'_> {
    /// Minimal derivation heights within components (the height Soufflé records for minimal
    /// proofs, restricted to the component), by a Knuth-style generalisation of Dijkstra's
    /// algorithm with a bucket queue: a fact's height is final when it is the smallest left; a
    /// derivation offers `1 + max(same-component premise heights)` to its conclusion once
    /// those premises are final (which, heights being settled in increasing order, is one more
    /// than the height being settled). Linear in the size of the graph.
    pub(super) fn min_heights(&self) -> Vec<u32> {
        let n = self.store.len();
        let nd = self.derivations.len();
        let mut owner = Vec::new();
        let mut keys = Vec::new();
        let mut pending = vec![0u32; nd];
        for d in 0..nd as DerivId {
            let head = self.derivations[d as usize].fact;
            for &p in self.premises(d) {
                if self.same_component(p, head) {
                    keys.push(p);
                    owner.push(d);
                    pending[d as usize] += 1;
                }
            }
        }
        // Which derivations wait on each fact.
        let (uses_off, uses) = csr(n, keys.into_iter());
        let mut height = vec![u32::MAX; n];
        // Heights become final in increasing order, so the premise that completes a
        // derivation is its highest one, whose height is the one being settled: a derivation
        // always offers the next height. Two buckets suffice (a breadth-first search by
        // levels): the facts of height `h`, and those offered `h + 1`.
        let mut current: Vec<FactId> = (0..self.assertion_count())
            .map(|i| self.asserted(i).0)
            .collect();
        let mut next: Vec<FactId> = pending
            .iter()
            .enumerate()
            .filter(|&(_, &p)| p == 0)
            .map(|(d, _)| self.derivations[d].fact)
            .collect();
        let mut h = 0u32;
        while !current.is_empty() || !next.is_empty() {
            for f in current.drain(..) {
                if height[f as usize] != u32::MAX {
                    continue;
                }
                height[f as usize] = h;
                let (a, b) = (
                    uses_off[f as usize] as usize,
                    uses_off[f as usize + 1] as usize,
                );
                for &slot in &uses[a..b] {
                    let d = owner[slot as usize] as usize;
                    pending[d] -= 1;
                    if pending[d] == 0 {
                        let head = self.derivations[d].fact;
                        if height[head as usize] == u32::MAX {
                            next.push(head);
                        }
                    }
                }
            }
            std::mem::swap(&mut current, &mut next);
            h += 1;
        }
        height
    }
}

/// Compressed rows: for keys `0..n`, the positions in `keys` of each key's items, as
/// `(offsets, items)` with key `k`'s items at `items[offsets[k]..offsets[k + 1]]`.
pub(super) fn csr(n: usize, keys: impl Iterator<Item = FactId> + Clone) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; n + 1];
    for k in keys.clone() {
        offsets[k as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut items = vec![0u32; offsets[n] as usize];
    for (i, k) in keys.enumerate() {
        items[fill[k as usize] as usize] = i as u32;
        fill[k as usize] += 1;
    }
    (offsets, items)
}
