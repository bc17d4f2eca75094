//! The fact graph: every fact (asserted, stated or derived) is a node; every distinct
//! derivation is a hyperedge from its premises to its conclusion, carrying the rule; the
//! variable bindings are read from the premises, and from them the compared values and the
//! negated atoms that were checked absent, exactly. Certainties are computed here, once,
//! after the fixpoint. Explanations read only this graph.
//!
//! The graph implements petgraph's visit traits (nodes are facts, edges lead from a fact to
//! the premises of its derivations), so petgraph's traversals run on it directly.

use crate::engine::eval::{Derivation, RuleError, RunState};
use crate::engine::facts::{FactId, PredId, RunStore};
use crate::engine::value::{cmp_vals, Interner, Val};
use crate::engine::{Assertion, KnowledgeBase};
use std::cmp::Ordering;

pub type DerivId = u32;

/// Where one piece of evidence for a fact comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evidence {
    /// Index of an assertion ([`FactGraph::assertion`]).
    Asserted(usize),
    Derived(DerivId),
}

/// One piece of evidence with its certainty, and whether it takes part in the combination
/// (a derivation counts only when all its premises appeared strictly before the fact; see
/// `docs/semantics.md`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contribution {
    pub evidence: Evidence,
    pub certainty: f64,
    pub counted: bool,
}

/// One step of combining certainties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CombineStep {
    pub before: f64,
    pub with: f64,
    pub after: f64,
    pub formula: Formula,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formula {
    /// `a + b(1 - a)`
    BothPositive,
    /// `a + b(1 + a)`
    BothNegative,
    /// `(a + b) / (1 - min(|a|, |b|))`
    Mixed,
}

pub fn combine(a: f64, b: f64) -> (f64, Formula) {
    if a >= 0.0 && b >= 0.0 {
        (a + b * (1.0 - a), Formula::BothPositive)
    } else if a < 0.0 && b < 0.0 {
        (a + b * (1.0 + a), Formula::BothNegative)
    } else {
        let d = 1.0 - a.abs().min(b.abs());
        (if d == 0.0 { 0.0 } else { (a + b) / d }, Formula::Mixed)
    }
}

/// The combined certainty of `values` (reordered in place), without recording the steps:
/// the fact graph combines every fact's evidence with it.
pub fn combine_values(values: &mut [f64]) -> f64 {
    combine_into(values, |_| {})
}

/// Combine certainties the MYCIN way, independently of their order: supporting evidence
/// together, opposing evidence together, then the two totals once. Returns the steps.
pub fn combine_all(values: &[f64]) -> (f64, Vec<CombineStep>) {
    let mut steps = Vec::new();
    let total = combine_into(&mut values.to_vec(), |s| steps.push(s));
    (total, steps)
}

/// The combination both of the above perform: `values` is sorted (stably) into supporting
/// evidence then opposing evidence, each strongest first, and every step is reported.
fn combine_into(values: &mut [f64], mut step: impl FnMut(CombineStep)) -> f64 {
    values.sort_by(|a, b| {
        (*a < 0.0)
            .cmp(&(*b < 0.0))
            .then_with(|| b.abs().partial_cmp(&a.abs()).unwrap_or(Ordering::Equal))
    });
    let split = values.partition_point(|v| *v >= 0.0);
    let mut fold = |vals: &[f64]| -> Option<f64> {
        let (&first, rest) = vals.split_first()?;
        Some(rest.iter().fold(first, |acc, &v| {
            let (after, formula) = combine(acc, v);
            step(CombineStep {
                before: acc,
                with: v,
                after,
                formula,
            });
            after
        }))
    };
    let (pos, neg) = values.split_at(split);
    let (pos, neg) = (fold(pos), fold(neg));
    match (pos, neg) {
        (Some(p), Some(n)) => {
            let (after, formula) = combine(p, n);
            step(CombineStep {
                before: p,
                with: n,
                after,
                formula,
            });
            after
        }
        (Some(p), None) => p,
        (None, Some(n)) => n,
        (None, None) => 0.0,
    }
}

pub struct FactGraph<'kb> {
    pub kb: &'kb KnowledgeBase,
    /// The program's symbols, extended (copy on write) only when the input has new ones.
    pub interner: std::borrow::Cow<'kb, Interner>,
    pub store: RunStore<'kb>,
    pub derivations: Vec<Derivation>,
    premises: Vec<FactId>,
    /// Assertions of this run's input, in input order; the stated facts' are the knowledge base's
    /// (`kb.base_assertions`), shared by every run. Read both with [`FactGraph::assertion`].
    assertions: Vec<Assertion>,
    pub errors: Vec<RuleError>,
    /// Derivations of each fact: `by_fact[offsets[f]..offsets[f + 1]]`.
    offsets: Vec<u32>,
    by_fact: Vec<DerivId>,
    asserted_offsets: Vec<u32>,
    asserted_by_fact: Vec<u32>,
    certainty: Vec<f64>,
    /// Minimal derivation height within the fact's component of the predicate dependency
    /// graph: 0 for asserted facts; else 1 + the smallest, over the fact's derivations, of the
    /// largest height among premises of the same component (premises from lower components
    /// count as 0).
    height: Vec<u32>,
}

impl<'kb> FactGraph<'kb> {
    pub(crate) fn build(
        kb: &'kb KnowledgeBase,
        interner: std::borrow::Cow<'kb, Interner>,
        st: RunState<'kb>,
        assertions: Vec<Assertion>,
    ) -> Self {
        let n = st.store.len();
        let (offsets, by_fact) = csr(n, st.derivations.iter().map(|d| d.fact));
        let (asserted_offsets, asserted_by_fact) = csr(
            n,
            kb.base_assertions
                .iter()
                .map(|s| s.fact)
                .chain(assertions.iter().map(|a| a.fact)),
        );
        let mut g = FactGraph {
            kb,
            interner,
            store: st.store,
            derivations: st.derivations,
            premises: st.premises,
            assertions,
            errors: st.errors,
            offsets,
            by_fact,
            asserted_offsets,
            asserted_by_fact,
            certainty: vec![0.0; n],
            height: Vec::new(),
        };
        g.height = g.min_heights();
        // A fact without derivations has the certainty its assertions give (most facts of a
        // large run are stated ones). The others in an order where every counted premise
        // comes first: it is in a lower component, or in the same one with a smaller height.
        // (Facts with the same key never rest on each other, so any order among them works.)
        let mut values = Vec::new();
        let mut order: Vec<(i64, u32, FactId)> = Vec::new();
        for f in 0..n as FactId {
            if g.derivations_of(f).next().is_some() {
                order.push((
                    g.component(f).map_or(-1, i64::from),
                    g.height[f as usize],
                    f,
                ));
                continue;
            }
            values.clear();
            values.extend(g.assertions_of(f).map(|i| g.asserted(i).1));
            g.certainty[f as usize] = combine_values(&mut values);
        }
        order.sort_unstable();
        for (_, _, f) in order {
            values.clear();
            values.extend(g.assertions_of(f).map(|i| g.asserted(i).1));
            for d in g.derivations_of(f) {
                let (certainty, counted) = g.derived_evidence(f, d);
                if counted {
                    values.push(certainty);
                }
            }
            g.certainty[f as usize] = combine_values(&mut values);
        }
        g
    }

    /// The graph's facts, for reuse (see [`crate::engine::Scratch`]).
    pub fn into_store(self) -> RunStore<'kb> {
        self.store
    }

    pub fn fact_count(&self) -> usize {
        self.store.len()
    }
    pub fn certainty(&self, f: FactId) -> f64 {
        self.certainty[f as usize]
    }
    /// The component (of the predicate dependency graph) of a fact's predicate.
    pub fn component(&self, f: FactId) -> Option<u32> {
        self.kb
            .pred_component
            .get(self.store.pred_of(f) as usize)
            .copied()
            .flatten()
    }

    /// The fact's minimal derivation height within its component.
    pub fn fact_height(&self, f: FactId) -> u32 {
        self.height[f as usize]
    }

    /// Whether premise `p` of a derivation of `f` must be strictly lower than `f` (same
    /// component: a cycle is possible) or is lower by construction (an earlier component).
    fn same_component(&self, p: FactId, f: FactId) -> bool {
        let c = self.component(f);
        c.is_some() && self.component(p) == c
    }

    /// Minimal derivation heights within components (the height Soufflé records for minimal
    /// proofs, restricted to the component), by a Knuth-style generalisation of Dijkstra's
    /// algorithm with a bucket queue: a fact's height is final when it is the smallest left; a
    /// derivation offers `1 + max(same-component premise heights)` to its conclusion once
    /// those premises are final (which, heights being settled in increasing order, is one more
    /// than the height being settled). Linear in the size of the graph.
    fn min_heights(&self) -> Vec<u32> {
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
    pub fn derivations_of(&self, f: FactId) -> impl Iterator<Item = DerivId> + '_ {
        let (a, b) = (
            self.offsets[f as usize] as usize,
            self.offsets[f as usize + 1] as usize,
        );
        self.by_fact[a..b].iter().copied()
    }
    /// How many assertions there are: the stated facts' and the input's.
    pub fn assertion_count(&self) -> usize {
        self.kb.base_assertions.len() + self.assertions.len()
    }
    /// Assertion `i`: the stated facts' first, then the input's, in order.
    pub fn assertion(&self, i: usize) -> Assertion {
        let stated = &self.kb.base_assertions;
        match stated.get(i) {
            Some(s) => self.kb.stated_assertion(s),
            None => self.assertions[i - stated.len()].clone(),
        }
    }
    /// The fact and certainty of assertion `i` (see [`assertion`](Self::assertion)).
    pub fn asserted(&self, i: usize) -> (FactId, f64) {
        let stated = &self.kb.base_assertions;
        match stated.get(i) {
            Some(s) => (s.fact, s.certainty),
            None => {
                let a = &self.assertions[i - stated.len()];
                (a.fact, a.certainty)
            }
        }
    }
    pub fn assertions_of(&self, f: FactId) -> impl Iterator<Item = usize> + '_ {
        let (a, b) = (
            self.asserted_offsets[f as usize] as usize,
            self.asserted_offsets[f as usize + 1] as usize,
        );
        self.asserted_by_fact[a..b].iter().map(|&i| i as usize)
    }
    pub fn is_asserted(&self, f: FactId) -> bool {
        self.asserted_offsets[f as usize] != self.asserted_offsets[f as usize + 1]
    }
    pub fn derivation(&self, d: DerivId) -> &Derivation {
        &self.derivations[d as usize]
    }
    pub fn premises(&self, d: DerivId) -> &[FactId] {
        let d = &self.derivations[d as usize];
        let n = self.kb.rules[d.rule as usize].positives.len();
        &self.premises[d.prem_start as usize..d.prem_start as usize + n]
    }
    /// The values of the rule's variables in derivation `d`, read from its premises (a
    /// variable bound by no condition, such as one only under `not`, has no value to show and
    /// reads as `false`, which is also what evaluation held for it).
    pub fn bindings(&self, d: DerivId) -> Vec<Val> {
        let rule = &self.kb.rules[self.derivations[d as usize].rule as usize];
        let prem = self.premises(d);
        rule.var_sources
            .iter()
            .map(|s| match *s {
                Some((slot, pos)) => self.store.args(prem[slot as usize])[pos as usize],
                None => Val::Bool(false),
            })
            .collect()
    }

    /// Height of a derivation: the largest height among its same-component premises.
    pub fn height(&self, d: DerivId) -> u32 {
        self.premises(d)
            .iter()
            .filter(|&&p| self.same_component(p, self.derivations[d as usize].fact))
            .map(|&p| self.fact_height(p))
            .max()
            .unwrap_or(0)
    }

    /// Every piece of evidence for a fact, in a deterministic order: assertions first, then
    /// derivations by rule name, height and premises.
    pub fn contributions(&self, f: FactId) -> Vec<Contribution> {
        let mut out: Vec<Contribution> = self
            .assertions_of(f)
            .map(|i| Contribution {
                evidence: Evidence::Asserted(i),
                certainty: self.asserted(i).1,
                counted: true,
            })
            .collect();
        let mut ds: Vec<DerivId> = self.derivations_of(f).collect();
        ds.sort_by(|&a, &b| self.cmp_derivations(a, b));
        for d in ds {
            let (certainty, counted) = self.derived_evidence(f, d);
            out.push(Contribution {
                evidence: Evidence::Derived(d),
                certainty,
                counted,
            });
        }
        out
    }

    /// What derivation `d` of `f` brings: the rule's factor times its weakest premise, and
    /// whether it counts (an asserted fact rests on its assertions alone; a premise of the
    /// same component must have a smaller height).
    fn derived_evidence(&self, f: FactId, d: DerivId) -> (f64, bool) {
        let prem = self.premises(d);
        let own = self.fact_height(f);
        let counted = !self.is_asserted(f)
            && prem
                .iter()
                .all(|&p| !self.same_component(p, f) || self.fact_height(p) < own);
        let weakest = prem
            .iter()
            .map(|&p| self.certainty[p as usize])
            .fold(1.0f64, f64::min);
        let rule = &self.kb.rules[self.derivations[d as usize].rule as usize];
        (rule.cf * weakest.max(0.0), counted)
    }

    /// A deterministic order on derivations: lower height, then rule name and alternative,
    /// then premises by content.
    pub fn cmp_derivations(&self, a: DerivId, b: DerivId) -> Ordering {
        let (ra, rb) = (
            &self.kb.rules[self.derivations[a as usize].rule as usize].meta,
            &self.kb.rules[self.derivations[b as usize].rule as usize].meta,
        );
        self.height(a)
            .cmp(&self.height(b))
            .then_with(|| ra.name.cmp(&rb.name))
            .then_with(|| ra.alternative.cmp(&rb.alternative))
            .then_with(|| {
                let (pa, pb) = (self.premises(a), self.premises(b));
                pa.iter()
                    .zip(pb)
                    .map(|(&x, &y)| self.cmp_facts(x, y))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
    }

    /// Facts ordered by content (predicate name, then arguments), never by id.
    pub fn cmp_facts(&self, a: FactId, b: FactId) -> Ordering {
        let (pa, pb) = (self.store.pred_of(a), self.store.pred_of(b));
        let name = |p: PredId| self.interner.name(self.store.pred_info(p).0);
        name(pa).cmp(name(pb)).then_with(|| {
            let (xa, xb) = (self.store.args(a), self.store.args(b));
            xa.len().cmp(&xb.len()).then_with(|| {
                xa.iter()
                    .zip(xb)
                    .map(|(&x, &y)| cmp_vals(&self.interner, x, y))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
        })
    }

    /// The minimal derivation of a derived fact (lowest height, then the order above).
    pub fn best_derivation(&self, f: FactId) -> Option<DerivId> {
        self.derivations_of(f)
            .min_by(|&a, &b| self.cmp_derivations(a, b))
    }

    pub fn pred_name(&self, f: FactId) -> &str {
        self.interner
            .name(self.store.pred_info(self.store.pred_of(f)).0)
    }

    /// A fact written in the rule language: `recommend(flask)`.
    pub fn show_fact(&self, f: FactId) -> String {
        let args = self.store.args(f);
        if args.is_empty() {
            return self.pred_name(f).to_string();
        }
        let a: Vec<String> = args
            .iter()
            .map(|&v| self.interner.show(v).to_string())
            .collect();
        format!("{}({})", self.pred_name(f), a.join(", "))
    }

    /// The predicate of this name and arity, if the run knows it.
    fn pred(&self, name: &str, arity: usize) -> Option<PredId> {
        self.store.find_pred(self.interner.get(name)?, arity)
    }

    /// How many facts a predicate has (no sorting, unlike [`facts_of`](Self::facts_of)).
    pub fn count_of(&self, name: &str, arity: usize) -> usize {
        self.pred(name, arity).map_or(0, |p| self.store.count(p))
    }

    /// A predicate's facts, ordered by content.
    pub fn facts_of(&self, name: &str, arity: usize) -> Vec<FactId> {
        let Some(p) = self.pred(name, arity) else {
            return Vec::new();
        };
        let mut v: Vec<FactId> = self.store.facts_of(p).collect();
        v.sort_by(|&a, &b| self.cmp_facts(a, b));
        v
    }

    /// Find a fact by predicate name and argument values.
    pub fn find(&self, name: &str, args: &[Val]) -> Option<FactId> {
        self.store.lookup(self.pred(name, args.len())?, args)
    }

    /// The facts of a predicate whose arguments match `args` (`None` matches anything),
    /// ordered by content. A fully given fact is looked up directly, so the cost follows the
    /// answer, not the number of facts.
    pub fn matching(&self, name: &str, args: &[Option<Val>]) -> Vec<FactId> {
        if let Some(ground) = args.iter().copied().collect::<Option<Vec<Val>>>() {
            return self.find(name, &ground).into_iter().collect();
        }
        self.facts_of(name, args.len())
            .into_iter()
            .filter(|&f| {
                self.store
                    .args(f)
                    .iter()
                    .zip(args)
                    .all(|(v, w)| w.is_none_or(|w| *v == w))
            })
            .collect()
    }
}

fn csr(n: usize, keys: impl Iterator<Item = FactId> + Clone) -> (Vec<u32>, Vec<u32>) {
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

// petgraph's view of the fact graph: a node's neighbours are the premises of its derivations.
impl petgraph::visit::GraphBase for FactGraph<'_> {
    type NodeId = FactId;
    type EdgeId = (DerivId, u32);
}

impl petgraph::visit::IntoNeighbors for &FactGraph<'_> {
    type Neighbors = std::vec::IntoIter<FactId>;
    fn neighbors(self, f: FactId) -> Self::Neighbors {
        let mut v: Vec<FactId> = self
            .derivations_of(f)
            .flat_map(|d| self.premises(d).iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v.into_iter()
    }
}

impl petgraph::visit::Visitable for FactGraph<'_> {
    type Map = fixedbitset::FixedBitSet;
    fn visit_map(&self) -> Self::Map {
        fixedbitset::FixedBitSet::with_capacity(self.store.len())
    }
    fn reset_map(&self, map: &mut Self::Map) {
        map.clear();
        map.grow(self.store.len());
    }
}

impl petgraph::visit::NodeCount for FactGraph<'_> {
    fn node_count(&self) -> usize {
        self.store.len()
    }
}
