//! Minimal derivation heights: how far each fact is, within its component of the predicate
//! dependency graph, from the facts it ultimately rests on. Certainties count a derivation
//! only when its same-component premises are strictly lower (see `docs/semantics.md`).

use super::{DerivId, FactGraph};
use crate::engine::algebra::min_heights;
use crate::engine::facts::FactId;

impl FactGraph<'_> {
    /// Minimal derivation heights within components, over the whole graph (see
    /// [`min_heights`]).
    pub(super) fn min_heights(&self) -> Vec<u32> {
        let mut premises = Vec::new();
        min_heights(
            self.store.len(),
            (0..self.assertion_count()).map(|i| self.asserted(i).0),
            self.derivations.len(),
            |d| self.derivations[d].fact,
            |d, out: &mut Vec<FactId>| {
                let head = self.derivations[d].fact;
                premises.clear();
                premises.extend_from_slice(self.premises(d as DerivId));
                out.extend(
                    premises
                        .iter()
                        .copied()
                        .filter(|&p| self.same_component(p, head)),
                );
            },
        )
    }
}
