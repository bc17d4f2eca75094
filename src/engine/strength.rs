//! Certainty during evaluation: which facts are strong enough to hold.
//!
//! A condition holds only for facts whose certainty is above the program's threshold, and a
//! negated condition counts a fact at or below it as absent (docs/semantics.md). Certainties
//! are therefore settled component by component, in evaluation order, before any rule that
//! reads the component runs:
//! - asserted facts (stated in the rule files, or input) have the certainty of their
//!   assertions, known before evaluation;
//! - a component that no uncertainty can reach (`Component::certain`) gives every fact it
//!   derives certainty 1: nothing to compute (the benchmarks' programs are all such);
//! - any other component, once its fixpoint is reached: each derived fact's evidence (one
//!   piece per rule, its strongest derivation) combined; in a recursive component, over
//!   minimal heights, as the fact graph explains them.
//!
//! Inside a recursive component, a fact's certainty is known only at the component's end. If
//! some fell to the threshold or below, the lowest of them (by minimal height) are banned (by
//! content), the component's facts and derivations are taken back, and it runs again with
//! the banned facts unable to serve as premises. The lowest are weak on their own evidence
//! and stay weak; a higher one may have been weak only through them (docs/semantics.md).
//! Each round bans at least one more fact, so this ends.

use super::algebra::{combine_evidence, combine_values, min_heights};
use super::facts::{FactId, FactStore, PredId, RunStore};
use super::{Assertion, Component, Derivation, KnowledgeBase, StatedFacts};
use rustc_hash::FxHashMap;

/// The stated facts' certainties, computed once per knowledge base.
#[derive(Debug, Default)]
pub(crate) struct Stated {
    /// By stated fact id; empty when every stated fact is certain (the usual case: a million
    /// stated facts would otherwise cost 9 MB to say so).
    cert: Vec<f64>,
    weak: Vec<bool>,
    /// By predicate: whether any stated fact of it is weak.
    pub pred_weak: Vec<bool>,
}

impl Stated {
    pub fn new(base: &FactStore, assertions: &StatedFacts, threshold: f64) -> Stated {
        if assertions.all_certain() && threshold < 1.0 {
            // Certain however often stated; nothing is weak.
            return Stated {
                cert: Vec::new(),
                weak: Vec::new(),
                pred_weak: vec![false; base.preds.len()],
            };
        }
        let n = base.len();
        let mut values: Vec<Vec<f64>> = Vec::new();
        let mut cert = vec![1.0; n];
        let mut several = false;
        let mut count = vec![0u32; n];
        for a in assertions.iter() {
            count[a.fact as usize] += 1;
            several |= count[a.fact as usize] > 1;
            cert[a.fact as usize] = a.certainty;
        }
        if several {
            // A fact stated twice is one fact with two assertions: combine them.
            values.resize(n, Vec::new());
            for a in assertions.iter() {
                values[a.fact as usize].push(a.certainty);
            }
            for (f, v) in values.iter_mut().enumerate() {
                if v.len() > 1 {
                    cert[f] = combine_values(v);
                }
            }
        }
        let weak: Vec<bool> = cert.iter().map(|&c| c <= threshold).collect();
        let mut pred_weak = vec![false; base.preds.len()];
        for (f, &w) in weak.iter().enumerate() {
            if w {
                pred_weak[base.pred_of(f as FactId) as usize] = true;
            }
        }
        Stated {
            cert,
            weak,
            pred_weak,
        }
    }

    /// The certainty of stated fact `f`.
    pub fn cert(&self, f: FactId) -> f64 {
        self.cert.get(f as usize).copied().unwrap_or(1.0)
    }

    /// Whether stated fact `f` is at the threshold or below.
    pub fn is_weak(&self, f: FactId) -> bool {
        self.weak.get(f as usize).copied().unwrap_or(false)
    }
}

/// The vectors of a [`Strength`], kept for another run.
#[derive(Default)]
pub(crate) struct Buffers {
    pub(crate) own: Vec<f64>,
    own_weak: Vec<bool>,
    restated: Vec<(FactId, f64, bool)>,
    pred_weak: Vec<bool>,
}

impl Buffers {
    /// Keep the certainties of the run's first `n` facts only.
    pub(crate) fn truncate(&mut self, n: usize) {
        self.own.truncate(n);
        self.own_weak.truncate(n);
    }
}

/// A run's certainties, over the stated facts'.
pub(crate) struct Strength<'kb> {
    stated: &'kb Stated,
    /// The first id of the run's own facts.
    first: FactId,
    /// The run's facts' certainties and weakness, by `id - first`; facts past the end have
    /// certainty 1 (derived in a certain component, or not settled yet).
    own: Vec<f64>,
    own_weak: Vec<bool>,
    /// Stated facts the input asserts too, by id: their certainty with every assertion
    /// combined, and whether that is weak. Almost always empty.
    restated: Vec<(FactId, f64, bool)>,
    /// By predicate: whether some fact of it may be weak (then scans check each fact).
    pred_weak: Vec<bool>,
    threshold: f64,
    /// Input gave a certainty other than 1 to a predicate the program deems certain: every
    /// component settles its certainties.
    pub all_uncertain: bool,
    /// The run's input facts are these ids (the stated facts, below `first`, are asserted
    /// too).
    asserted: std::ops::Range<FactId>,
}

impl<'kb> Strength<'kb> {
    /// Certainties of the stated facts (the run's input comes with
    /// [`assert_input`](Self::assert_input)).
    pub fn new(kb: &'kb KnowledgeBase) -> Self {
        Self::reusing(kb, Buffers::default())
    }

    /// [`new`](Self::new), in the vectors of an earlier run.
    pub fn reusing(kb: &'kb KnowledgeBase, mut bufs: Buffers) -> Self {
        bufs.own.clear();
        bufs.own_weak.clear();
        Self::resume(kb, bufs, &kb.strength.pred_weak)
    }

    /// [`reusing`](Self::reusing) the vectors of a run kept up to its closed components
    /// (see `eval::Prefix`): their certainties stay, and which predicates may have weak
    /// facts is `pred_weak`, as it was then.
    pub fn resume(kb: &'kb KnowledgeBase, bufs: Buffers, pred_weak: &[bool]) -> Self {
        let first = kb.base.len() as FactId;
        let Buffers {
            own,
            own_weak,
            mut restated,
            pred_weak: mut weak,
        } = bufs;
        restated.clear();
        weak.clear();
        weak.extend_from_slice(pred_weak);
        Strength {
            stated: &kb.strength,
            first,
            own,
            own_weak,
            restated,
            pred_weak: weak,
            threshold: kb.threshold,
            all_uncertain: false,
            asserted: first..first,
        }
    }

    /// By predicate: whether some fact of it may be weak.
    pub fn pred_weak(&self) -> &[bool] {
        &self.pred_weak
    }

    /// The certainties of the run's input (`assertions`), whose new facts are ids `from`
    /// to the store's end.
    pub fn assert_input(
        &mut self,
        kb: &KnowledgeBase,
        store: &RunStore<'_>,
        assertions: &[Assertion],
        from: FactId,
    ) {
        let first = self.first;
        self.asserted = from..store.len() as FactId;
        // Usually each fact is asserted once, in id order, and none is stated: each
        // certainty is its fact's (one value combines to itself).
        let plain = assertions.first().is_none_or(|a| a.fact >= first)
            && assertions.windows(2).all(|w| w[0].fact < w[1].fact);
        if plain {
            // Room for them all at once (a batch run asserts a thousand).
            if let Some(last) = assertions.last() {
                let len = (last.fact - first) as usize + 1;
                if self.own.len() < len {
                    self.own.resize(len, 1.0);
                    self.own_weak.resize(len, false);
                }
            }
            for a in assertions {
                let p = store.pred_of(a.fact);
                if a.certainty != 1.0 && !kb.uncertain.get(p as usize).copied().unwrap_or(false) {
                    self.all_uncertain = true;
                }
                self.set(a.fact, a.certainty, p);
            }
            return;
        }
        // The run's asserted facts by id (a fact answered twice has two assertions), each
        // fact's certainties combined.
        let mut own: Vec<(FactId, f64)> = Vec::with_capacity(assertions.len());
        for a in assertions {
            own.push((a.fact, a.certainty));
            let p = store.pred_of(a.fact);
            if a.certainty != 1.0 && !kb.uncertain.get(p as usize).copied().unwrap_or(false) {
                self.all_uncertain = true;
            }
        }
        own.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut values = Vec::new();
        for group in own.chunk_by(|a, b| a.0 == b.0) {
            values.clear();
            values.extend(group.iter().map(|&(_, c)| c));
            let f = group[0].0;
            if f < first {
                // Stated too: one fact, every assertion combined.
                values.extend(stated_certainties(kb, f));
                let c = combine_values(&mut values);
                let weak = c <= self.threshold;
                if weak {
                    self.pred_weak[store.pred_of(f) as usize] = true;
                }
                self.restated.push((f, c, weak));
                continue;
            }
            self.set(f, combine_values(&mut values), store.pred_of(f));
        }
    }

    /// A stated fact's certainty in this run.
    fn restated(&self, f: FactId) -> Option<&(FactId, f64, bool)> {
        if self.restated.is_empty() {
            return None;
        }
        self.restated
            .binary_search_by_key(&f, |r| r.0)
            .ok()
            .map(|i| &self.restated[i])
    }

    pub fn cert(&self, f: FactId) -> f64 {
        if f < self.first {
            self.restated(f)
                .map_or_else(|| self.stated.cert(f), |r| r.1)
        } else {
            self.own
                .get((f - self.first) as usize)
                .copied()
                .unwrap_or(1.0)
        }
    }

    pub fn is_weak(&self, f: FactId) -> bool {
        if f < self.first {
            self.restated(f)
                .map_or_else(|| self.stated.is_weak(f), |r| r.2)
        } else {
            self.own_weak
                .get((f - self.first) as usize)
                .copied()
                .unwrap_or(false)
        }
    }

    /// Whether facts of `p` need checking one by one.
    pub fn pred_may_be_weak(&self, p: PredId) -> bool {
        self.pred_weak.get(p as usize).copied().unwrap_or(false)
    }

    /// Set a run fact's certainty (and its weakness).
    pub fn set(&mut self, f: FactId, c: f64, pred: PredId) {
        let i = (f - self.first) as usize;
        if self.own.len() <= i {
            self.own.resize(i + 1, 1.0);
            self.own_weak.resize(i + 1, false);
        }
        self.own[i] = c;
        let weak = c <= self.threshold;
        self.own_weak[i] = weak;
        if weak {
            if self.pred_weak.len() <= pred as usize {
                self.pred_weak.resize(pred as usize + 1, false);
            }
            self.pred_weak[pred as usize] = true;
        }
    }

    /// A fact banned from holding (it fell to the threshold in an earlier pass of its
    /// component); its certainty is settled with the component's.
    pub fn mark_weak(&mut self, f: FactId, pred: PredId) {
        self.set(f, 0.0, pred);
    }

    /// Forget the run's facts from `len` on (a component taken back).
    pub fn truncate(&mut self, len: usize) {
        let keep = len.saturating_sub(self.first as usize);
        self.own.truncate(keep);
        self.own_weak.truncate(keep);
    }

    /// The run facts' certainties up to the last one set (the facts after it have
    /// certainty 1: a run whose components are all certain keeps none), and the stated
    /// facts' the input asserts too (by id), for the fact graph.
    /// And the other vectors, for another run (see [`Strength::reusing`]).
    pub fn into_own(self) -> (Vec<f64>, Vec<(FactId, f64)>, Buffers) {
        let restated = self.restated.iter().map(|&(f, c, _)| (f, c)).collect();
        let spare = Buffers {
            own: Vec::new(),
            own_weak: self.own_weak,
            restated: self.restated,
            pred_weak: self.pred_weak,
        };
        (self.own, restated, spare)
    }

    fn is_asserted(&self, f: FactId) -> bool {
        f < self.first || self.asserted.contains(&f)
    }
}

/// The vectors [`settle`] works in, kept from one component to the next (a run settles
/// dozens of components, most with a handful of facts).
#[derive(Default)]
pub(crate) struct Settling {
    by_head: Vec<(FactId, usize)>,
    /// For grouping `by_head` by counting (see [`group_by_fact`]).
    counts: Vec<u32>,
    grouped: Vec<(FactId, usize)>,
    order: Vec<FactId>,
    evidence: Vec<(u32, f64)>,
    values: Vec<f64>,
    /// What [`settle`] found: the facts that fell to the threshold or below, as (height,
    /// fact), lowest first.
    pub weak: Vec<(u32, FactId)>,
}

/// Settle the certainties of the facts component `ci` derived (`derivations`, each with its
/// premises in `premises`); the derived facts at the threshold or below are left in
/// `bufs.weak`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn settle(
    kb: &KnowledgeBase,
    ci: u32,
    comp: &Component,
    store: &RunStore<'_>,
    derivations: &[Derivation],
    premises: &[FactId],
    st: &mut Strength<'_>,
    bufs: &mut Settling,
) {
    let Settling {
        by_head,
        counts,
        grouped,
        order,
        evidence,
        values,
        weak,
    } = bufs;
    weak.clear();
    if derivations.is_empty() {
        return;
    }
    let prem = |d: &Derivation| {
        let n = kb.rules[d.rule as usize].positives.len();
        &premises[d.prem_start as usize..d.prem_start as usize + n]
    };
    let value = |d: &Derivation, st: &Strength<'_>| {
        let rule = &kb.rules[d.rule as usize];
        let weakest = prem(d).iter().map(|&p| st.cert(p)).fold(1.0f64, f64::min);
        (rule.meta.origin, rule.cf * weakest.max(0.0))
    };
    // The derived (not asserted) facts, with their derivations, in id order.
    by_head.clear();
    by_head.extend(
        derivations
            .iter()
            .enumerate()
            .filter(|(_, d)| !st.is_asserted(d.fact))
            .map(|(i, d)| (d.fact, i)),
    );
    group_by_fact(by_head, counts, grouped);
    order.clear();
    order.extend(by_head.iter().map(|&(f, _)| f));
    order.dedup();
    let same = |p: FactId| {
        kb.pred_component
            .get(store.pred_of(p) as usize)
            .copied()
            .flatten()
            == Some(ci)
    };
    // In a recursive component: heights, and facts settled lowest first.
    let mut height: FxHashMap<FactId, u32> = FxHashMap::default();
    if comp.recursive {
        let mut local: FxHashMap<FactId, u32> = FxHashMap::default();
        let mut ids: Vec<FactId> = Vec::new();
        let mut number = |f: FactId, local: &mut FxHashMap<FactId, u32>| {
            *local.entry(f).or_insert_with(|| {
                ids.push(f);
                ids.len() as u32 - 1
            })
        };
        let mut heads = Vec::with_capacity(derivations.len());
        let mut same_prem: Vec<Vec<u32>> = Vec::with_capacity(derivations.len());
        for d in derivations {
            heads.push(number(d.fact, &mut local));
            same_prem.push(
                prem(d)
                    .iter()
                    .filter(|&&p| same(p))
                    .map(|&p| number(p, &mut local))
                    .collect(),
            );
        }
        let roots: Vec<u32> = ids
            .iter()
            .enumerate()
            .filter(|(_, &f)| st.is_asserted(f))
            .map(|(i, _)| i as u32)
            .collect();
        let h = min_heights(
            ids.len(),
            roots.into_iter(),
            derivations.len(),
            |d| heads[d],
            |d, out| out.extend_from_slice(&same_prem[d]),
        );
        for (i, &f) in ids.iter().enumerate() {
            height.insert(f, h[i]);
        }
        order.sort_by_key(|f| (height[f], *f));
    }
    // Where the last fact's derivations ended: in id order (all but recursive components),
    // the next fact's start there.
    let mut next = 0;
    for &f in order.iter() {
        evidence.clear();
        let start = if by_head.get(next).is_some_and(|&(g, _)| g == f) {
            next
        } else {
            by_head.partition_point(|&(g, _)| g < f)
        };
        let end = start
            + by_head[start..]
                .iter()
                .take_while(|&&(g, _)| g == f)
                .count();
        next = end;
        for &(_, i) in &by_head[start..end] {
            let d = &derivations[i];
            // A derivation counts when its same-component premises are all lower.
            let counted = !comp.recursive
                || prem(d)
                    .iter()
                    .all(|&p| !same(p) || height.get(&p).copied().unwrap_or(0) < height[&f]);
            if counted {
                evidence.push(value(d, st));
            }
        }
        let c = combine_evidence(&[], evidence, values);
        st.set(f, c, store.pred_of(f));
        if c <= st.threshold {
            weak.push((height.get(&f).copied().unwrap_or(0), f));
        }
    }
    weak.sort_unstable();
}

/// Sort `(fact, derivation)` pairs, each derivation listed once, as `sort_unstable` would:
/// by fact, then derivation. A component's facts are mostly its own, numbered one after
/// another, so when their ids span at most four times the pairs they are counted into place
/// (on W7's runs of 64 fact sets the sort was about a third of settling's instructions);
/// otherwise sorted. Listed in derivation order, a fact's pairs stay in that order.
fn group_by_fact(
    pairs: &mut Vec<(FactId, usize)>,
    counts: &mut Vec<u32>,
    grouped: &mut Vec<(FactId, usize)>,
) {
    let Some(lo) = pairs.iter().map(|&(f, _)| f).min() else {
        return;
    };
    let hi = pairs.iter().map(|&(f, _)| f).max().unwrap_or(lo);
    let span = (hi - lo) as usize + 1;
    // The caller lists the pairs in derivation order (what keeps a fact's pairs in it).
    debug_assert!(pairs.is_sorted_by_key(|&(_, i)| i));
    if pairs.len() < 32 || span > 4 * pairs.len() {
        pairs.sort_unstable();
        return;
    }
    counts.clear();
    counts.resize(span + 1, 0);
    for &(f, _) in pairs.iter() {
        counts[(f - lo) as usize + 1] += 1;
    }
    for k in 1..counts.len() {
        counts[k] += counts[k - 1];
    }
    grouped.clear();
    grouped.resize(pairs.len(), (0, 0));
    for &(f, i) in pairs.iter() {
        let slot = &mut counts[(f - lo) as usize];
        grouped[*slot as usize] = (f, i);
        *slot += 1;
    }
    std::mem::swap(pairs, grouped);
}

/// The certainties stated for fact `f` (a stated fact), one an assertion.
fn stated_certainties(kb: &KnowledgeBase, f: FactId) -> impl Iterator<Item = f64> + '_ {
    kb.base_asserted
        .of_fact(f)
        .map(|i| kb.base_assertions.get(i).map_or(1.0, |s| s.certainty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Grouping by counting gives what sorting gives, over narrow and wide spans of ids.
        #[test]
        fn grouping_by_fact_sorts(
            facts in prop::collection::vec(0u32..200, 0..300),
            base in prop::sample::select(vec![0u32, 1_000_000]),
            wide in any::<bool>(),
        ) {
            let pairs: Vec<(FactId, usize)> = facts
                .iter()
                .enumerate()
                .map(|(i, &f)| (base + if wide { f * 1000 } else { f }, i))
                .collect();
            let mut sorted = pairs.clone();
            sorted.sort_unstable();
            let (mut grouped, mut counts, mut spare) = (pairs, Vec::new(), Vec::new());
            group_by_fact(&mut grouped, &mut counts, &mut spare);
            prop_assert_eq!(grouped, sorted);
        }
    }
}
