//! The fact graph: every fact (asserted, stated or derived) is a node; every distinct
//! derivation is a hyperedge from its premises to its conclusion, carrying the rule; the
//! variable bindings are read from the premises, and from them the compared values and the
//! negated atoms that were checked absent, exactly. Certainties are computed here, once,
//! after the fixpoint. Explanations read only this graph.

use crate::engine::eval::{Derivation, RuleError, RunState};
use crate::engine::facts::{FactId, PredId, RunStore};
use crate::engine::value::{cmp_vals, Interner, Val};
use crate::engine::{Assertion, KnowledgeBase};
use std::cmp::Ordering;

mod heights;

use crate::engine::algebra::csr;

pub use crate::engine::algebra::{
    combine, combine_all, combine_evidence, combine_values, strongest_per_rule, CombineStep,
    Formula,
};

pub type DerivId = u32;

/// Where one piece of evidence for a fact comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Evidence {
    /// Index of an assertion ([`FactGraph::assertion`]).
    Asserted(usize),
    Derived(DerivId),
}

/// One piece of evidence with its certainty, and whether it takes part in the combination
/// (see `docs/semantics.md`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contribution {
    pub evidence: Evidence,
    pub certainty: f64,
    pub counted: bool,
    pub not_counted: Option<NotCounted>,
}

/// Why a derivation is recorded but not combined into its fact's certainty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCounted {
    /// It rests on a fact derived no earlier than this one (a cycle).
    Cycle,
    /// Another derivation by the same rule is at least as strong: a rule is one piece of
    /// evidence, whatever its bindings or `or` alternatives.
    SameRule,
    /// The fact is asserted: its assertions alone decide its certainty.
    Asserted,
}

/// A run's vectors of assertions, kept from run to run by a batch's scratch (a run of many
/// fact sets asserts thousands of facts: allocated afresh, such vectors are mapped and
/// faulted in anew each time).
#[derive(Default)]
pub(crate) struct Buffers {
    pub(crate) assertions: Vec<Assertion>,
    own_asserted: Vec<(FactId, u32)>,
}

pub struct FactGraph<'kb> {
    pub(crate) kb: &'kb KnowledgeBase,
    /// The program's symbols, extended (copy on write) only when the input has new ones.
    pub(crate) interner: std::borrow::Cow<'kb, Interner>,
    pub(crate) store: RunStore<'kb>,
    pub(crate) derivations: Vec<Derivation>,
    premises: Vec<FactId>,
    /// Assertions of this run's input, in input order; the stated facts' are the knowledge base's
    /// (`kb.base_assertions`), shared by every run. Read both with [`FactGraph::assertion`].
    assertions: Vec<Assertion>,
    pub(crate) errors: Vec<RuleError>,
    /// Derivations past the per-fact cap, by fact: counted, not recorded.
    unrecorded: rustc_hash::FxHashMap<FactId, u64>,
    /// The derivations of each fact, worked out when first asked for (explanations ask;
    /// a count, a listing of facts or a batch line's outputs do not: W2's 4.5 million
    /// paths took 160 ms and 36 MB more to index).
    by_fact: std::sync::OnceLock<ByFact>,
    /// The run's own assertions by fact: (fact, assertion number), sorted. The stated
    /// facts' are the knowledge base's (`kb.base_asserted`).
    own_asserted: Vec<(FactId, u32)>,
    /// The certainty of each of the run's own facts (by `id - stated facts`), settled during
    /// evaluation (`engine::strength`), up to the last one set: the facts past the end have
    /// certainty 1. The stated facts' are the knowledge base's.
    certainty: Vec<f64>,
    /// Stated facts the input asserts too: their certainty in this run, by id.
    restated: Vec<(FactId, f64)>,
    /// Minimal derivation height within the fact's component of the predicate dependency
    /// graph: 0 for asserted facts; else 1 + the smallest, over the fact's derivations, of the
    /// largest height among premises of the same component (premises from lower components
    /// count as 0). Worked out when first asked for (explanations ask; a batch line's
    /// outputs do not).
    height: std::sync::OnceLock<Vec<u32>>,
    /// The vectors the run worked in, kept for the next (see [`FactGraph::into_parts`]).
    work: crate::engine::eval::Work,
    /// Where the run's closed components end, when a batch keeps them for the next run.
    prefix: Option<crate::engine::eval::Prefix>,
}

/// The derivations of each fact (see [`FactGraph::derivations_of`]).
struct ByFact {
    /// Derivations of each of the run's own facts: `own[offsets[i]..offsets[i + 1]]` for
    /// fact `first + i` (a table over the stated facts too would cost every batch run over
    /// a large knowledge base a pass over all of them).
    offsets: Vec<u32>,
    own: Vec<DerivId>,
    /// Derivations of stated facts (a rule concluding a fact also stated), sorted by fact.
    of_stated: Vec<(FactId, DerivId)>,
}

impl ByFact {
    /// The index of `derivations` of a run with `own` facts after the `first` stated ones.
    fn build(first: FactId, own: usize, derivations: &[Derivation]) -> ByFact {
        let (offsets, by_fact) = csr(
            own,
            derivations
                .iter()
                .filter(|d| d.fact >= first)
                .map(|d| d.fact - first),
        );
        let mut of_stated: Vec<(FactId, DerivId)> = (0..derivations.len() as DerivId)
            .map(|d| (derivations[d as usize].fact, d))
            .filter(|&(f, _)| f < first)
            .collect();
        of_stated.sort_unstable();
        // `csr` numbers the items it was given, which skipped the stated facts' derivations:
        // back to derivation ids (nothing to do in the usual case, where none were skipped).
        let own = if of_stated.is_empty() {
            by_fact
        } else {
            let own_ids: Vec<DerivId> = (0..derivations.len() as DerivId)
                .filter(|&d| derivations[d as usize].fact >= first)
                .collect();
            by_fact.into_iter().map(|i| own_ids[i as usize]).collect()
        };
        ByFact {
            offsets,
            own,
            of_stated,
        }
    }
}

impl<'kb> FactGraph<'kb> {
    pub(crate) fn build(
        kb: &'kb KnowledgeBase,
        interner: std::borrow::Cow<'kb, Interner>,
        st: RunState<'kb>,
        assertions: Vec<Assertion>,
        buffers: Buffers,
    ) -> Self {
        let stated = kb.base_assertions.len() as u32;
        let mut own_asserted = buffers.own_asserted;
        own_asserted.clear();
        own_asserted.extend(
            assertions
                .iter()
                .enumerate()
                .map(|(i, a)| (a.fact, stated + i as u32)),
        );
        own_asserted.sort_unstable();
        FactGraph {
            kb,
            interner,
            store: st.store,
            derivations: st.derivations,
            premises: st.premises,
            assertions,
            errors: st.errors,
            by_fact: std::sync::OnceLock::new(),
            own_asserted,
            certainty: st.certainty,
            restated: st.restated,
            unrecorded: st.unrecorded,
            height: std::sync::OnceLock::new(),
            work: st.work,
            prefix: st.prefix,
        }
    }

    /// The graph's facts and its records, for reuse (see [`crate::engine::Scratch`]), with
    /// where its closed components end when a batch keeps them.
    pub(crate) fn into_parts(
        self,
    ) -> (
        RunStore<'kb>,
        crate::engine::eval::Records,
        Option<crate::engine::eval::Prefix>,
        Buffers,
    ) {
        let mut records = crate::engine::eval::Records {
            derivations: self.derivations,
            premises: self.premises,
            work: self.work,
        };
        records.work.strength.own = self.certainty;
        let mut buffers = Buffers {
            assertions: self.assertions,
            own_asserted: self.own_asserted,
        };
        buffers.assertions.clear();
        (self.store, records, self.prefix, buffers)
    }

    pub fn fact_count(&self) -> usize {
        self.store.len()
    }
    /// The knowledge base this graph is a run of.
    pub fn knowledge_base(&self) -> &'kb KnowledgeBase {
        self.kb
    }
    /// How many derivations the run recorded.
    pub fn derivation_count(&self) -> usize {
        self.derivations.len()
    }
    /// The ids of the rules that concluded something ([`KnowledgeBase::rule`]), in order.
    pub fn fired_rules(&self) -> Vec<usize> {
        let mut fired = vec![false; self.kb.rules.len()];
        for d in &self.derivations {
            fired[d.rule as usize] = true;
        }
        (0..fired.len()).filter(|&r| fired[r]).collect()
    }
    /// How many rule instances could not be evaluated (division by zero, overflow...).
    pub fn rule_error_count(&self) -> usize {
        self.errors.len()
    }
    /// A fact's arguments, as constants.
    pub fn values(&self, f: FactId) -> Vec<crate::ast::Const> {
        self.store
            .args(f)
            .iter()
            .map(|v| self.interner.to_const(v))
            .collect()
    }
    /// The fact with this predicate and these arguments, if the run holds it.
    pub fn lookup(&self, name: &str, args: &[crate::ast::Const]) -> Option<FactId> {
        let vals: Option<Vec<Val>> = args.iter().map(|c| self.interner.known_value(c)).collect();
        self.find(name, &vals?)
    }
    pub fn certainty(&self, f: FactId) -> f64 {
        let stated = self.kb.base.len();
        match (f as usize).checked_sub(stated) {
            None => match self.restated.binary_search_by_key(&f, |r| r.0) {
                Ok(i) => self.restated[i].1,
                Err(_) => self.kb.strength.cert(f),
            },
            Some(own) => {
                debug_assert!((f as usize) < self.store.len(), "fact {f} of the run");
                self.certainty.get(own).copied().unwrap_or(1.0)
            }
        }
    }
    /// Derivations of `f` past the per-fact cap
    /// ([`MAX_DERIVATIONS_PER_FACT`](crate::engine::eval::MAX_DERIVATIONS_PER_FACT)): counted,
    /// not recorded.
    pub fn unrecorded_derivations(&self, f: FactId) -> u64 {
        self.unrecorded.get(&f).copied().unwrap_or(0)
    }
    /// Whether a fact holds for conditions: its certainty is above the threshold.
    pub fn holds(&self, f: FactId) -> bool {
        self.certainty(f) > self.kb.threshold
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
        self.height.get_or_init(|| self.min_heights())[f as usize]
    }

    /// Whether premise `p` of a derivation of `f` must be strictly lower than `f` (same
    /// component: a cycle is possible) or is lower by construction (an earlier component).
    fn same_component(&self, p: FactId, f: FactId) -> bool {
        let c = self.component(f);
        c.is_some() && self.component(p) == c
    }

    pub fn derivations_of(&self, f: FactId) -> impl Iterator<Item = DerivId> + '_ {
        let first = self.kb.base.len() as FactId;
        let index = self.by_fact.get_or_init(|| {
            ByFact::build(first, self.store.len() - first as usize, &self.derivations)
        });
        let own: &[DerivId] = match f.checked_sub(first) {
            Some(i) => {
                let i = i as usize;
                &index.own[index.offsets[i] as usize..index.offsets[i + 1] as usize]
            }
            None => &[],
        };
        let from = index.of_stated.partition_point(|&(g, _)| g < f);
        let stated = index.of_stated[from..]
            .iter()
            .take_while(move |&&(g, _)| g == f)
            .map(|&(_, d)| d);
        own.iter().copied().chain(stated)
    }
    /// How many facts the input gave (a facts file's answers), before any rule ran.
    pub fn input_count(&self) -> usize {
        self.assertions.len()
    }
    /// How many assertions there are: the stated facts' and the input's.
    pub fn assertion_count(&self) -> usize {
        self.kb.base_assertions.len() + self.assertions.len()
    }
    /// Assertion `i`: the stated facts' first, then the input's, in order.
    pub fn assertion(&self, i: usize) -> Assertion {
        let stated = &self.kb.base_assertions;
        match stated.get(i) {
            Some(s) => self.kb.stated_assertion(&s),
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
    /// The assertions of `f`: the stated ones first, then the input's, each in order.
    pub fn assertions_of(&self, f: FactId) -> impl Iterator<Item = usize> + '_ {
        let stated = ((f as usize) < self.kb.base.len())
            .then(|| self.kb.base_asserted.of_fact(f))
            .into_iter()
            .flatten();
        let from = self.own_asserted.partition_point(|&(g, _)| g < f);
        let input = self.own_asserted[from..]
            .iter()
            .take_while(move |&&(g, _)| g == f)
            .map(|&(_, i)| i as usize);
        stated.chain(input)
    }
    pub fn is_asserted(&self, f: FactId) -> bool {
        self.assertions_of(f).next().is_some()
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
                Some((slot, pos)) => self.store.args(prem[slot as usize]).get(pos as usize),
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
                not_counted: None,
            })
            .collect();
        let mut ds: Vec<DerivId> = self.derivations_of(f).collect();
        ds.sort_by(|&a, &b| self.cmp_derivations(a, b));
        let first_derived = out.len();
        for d in ds {
            let (certainty, not_counted) = self.derived_evidence(f, d);
            out.push(Contribution {
                evidence: Evidence::Derived(d),
                certainty,
                counted: not_counted.is_none(),
                not_counted,
            });
        }
        // One rule is one piece of evidence: of its derivations, only the strongest counts
        // (as the run counted them; see `combine_evidence`). Ties: the first in order.
        let rule_of = |c: &Contribution| match c.evidence {
            Evidence::Derived(d) => {
                self.kb.rules[self.derivations[d as usize].rule as usize]
                    .meta
                    .origin
            }
            Evidence::Asserted(_) => u32::MAX,
        };
        let mut best: rustc_hash::FxHashMap<u32, usize> = Default::default();
        for (i, c) in out.iter().enumerate().skip(first_derived) {
            if !c.counted {
                continue;
            }
            let e = best.entry(rule_of(c)).or_insert(i);
            if c.certainty.abs() > out[*e].certainty.abs() {
                *e = i;
            }
        }
        for (i, c) in out.iter_mut().enumerate().skip(first_derived) {
            if c.counted && best.get(&rule_of(c)) != Some(&i) {
                c.counted = false;
                c.not_counted = Some(NotCounted::SameRule);
            }
        }
        out
    }

    /// What derivation `d` of `f` brings: the rule's factor times its weakest premise, and
    /// why it does not count, if it does not (an asserted fact rests on its assertions alone;
    /// a premise of the same component must have a smaller height).
    fn derived_evidence(&self, f: FactId, d: DerivId) -> (f64, Option<NotCounted>) {
        let prem = self.premises(d);
        let own = self.fact_height(f);
        let not_counted = if self.is_asserted(f) {
            Some(NotCounted::Asserted)
        } else if prem
            .iter()
            .any(|&p| self.same_component(p, f) && self.fact_height(p) >= own)
        {
            Some(NotCounted::Cycle)
        } else {
            None
        };
        let weakest = prem
            .iter()
            .map(|&p| self.certainty(p))
            .fold(1.0f64, f64::min);
        let rule = &self.kb.rules[self.derivations[d as usize].rule as usize];
        (rule.cf * weakest.max(0.0), not_counted)
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
        let name = |p: PredId| self.name_of(p);
        name(pa).cmp(name(pb)).then_with(|| {
            let (xa, xb) = (self.store.args(a), self.store.args(b));
            xa.len().cmp(&xb.len()).then_with(|| {
                xa.iter()
                    .zip(xb)
                    .map(|(x, y)| cmp_vals(&self.interner, x, y))
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

    /// The name of predicate `p` (the run knows every predicate of the program, and those of
    /// its input).
    pub(crate) fn name_of(&self, p: PredId) -> &str {
        self.interner.name(self.store.pred_info(p).0)
    }

    /// The name of fact `f`'s predicate.
    pub fn pred_name(&self, f: FactId) -> &str {
        self.name_of(self.store.pred_of(f))
    }

    /// A fact written in the rule language: `recommend(flask)`.
    pub fn show_fact(&self, f: FactId) -> String {
        use std::fmt::Write;
        // One allocation: explanations show millions of facts (a long chain's every step).
        let (name, args) = (self.pred_name(f), self.store.args(f));
        let mut out = String::with_capacity(name.len() + 2 + 8 * args.len());
        out.push_str(name);
        if args.is_empty() {
            return out;
        }
        out.push('(');
        for (i, v) in args.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            // Symbols and integers, the usual values, without the formatter.
            match v {
                Val::Sym(s) => out.push_str(self.interner.name(s)),
                Val::Int(n) => out.push_str(itoa::Buffer::new().format(n)),
                v => {
                    let _ = write!(out, "{}", self.interner.show(v));
                }
            }
        }
        out.push(')');
        out
    }

    /// The predicate of this name and arity, if the run knows it.
    fn pred(&self, name: &str, arity: usize) -> Option<PredId> {
        self.store.find_pred(self.interner.get(name)?, arity)
    }

    /// How many facts a predicate has (no sorting, unlike [`facts_of`](Self::facts_of)).
    pub fn count_of(&self, name: &str, arity: usize) -> usize {
        self.pred(name, arity).map_or(0, |p| self.store.count(p))
    }

    /// A predicate's facts, in id order.
    pub(crate) fn facts_unordered(
        &self,
        name: &str,
        arity: usize,
    ) -> impl Iterator<Item = FactId> + '_ {
        self.pred(name, arity)
            .into_iter()
            .flat_map(|p| self.store.facts_of(p))
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
    pub(crate) fn find(&self, name: &str, args: &[Val]) -> Option<FactId> {
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
                    .all(|(v, w)| w.is_none_or(|w| v == w))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::eval::Limits;
    use crate::engine::KnowledgeBase;

    /// Each of the run's facts with its certainty, from the stated facts' end on.
    fn own_certainties(src: &str) -> (Vec<(String, f64)>, usize) {
        let kb = KnowledgeBase::from_sources(&[("t.rules", src)])
            .map_err(|e| e.report.diagnostics.len())
            .expect("the program compiles");
        let g = kb.run(&[], Limits::default()).expect("the run ends");
        let facts = (kb.base.len()..g.fact_count())
            .map(|f| (g.show_fact(f as u32), g.certainty(f as u32)))
            .collect();
        (facts, g.certainty.len())
    }

    /// A run keeps its facts' certainties up to the last one set (by a component that
    /// settles certainties): a run of certain rules keeps none (W2's 4.5 million paths would take 36 MB), and the facts
    /// past the last one set read 1.
    #[test]
    fn certainties_are_kept_up_to_the_last_one_set() {
        let (facts, kept) = own_certainties(
            "fact e(1)\nfact e(2)\nrule r when e(X) then p(X)\nrule s when p(X) then q(X)\n",
        );
        assert_eq!(kept, 0);
        assert_eq!(facts.len(), 4);
        assert!(facts.iter().all(|(_, c)| *c == 1.0), "{facts:?}");
        let (facts, kept) = own_certainties(
            "fact e(1)\nfact e(2)\n\
             rule weak when e(X) then w(X) with certainty 0.4\n\
             rule none when w(X) and e(3) then z(X)\n\
             rule later when e(X) and not z(X) then p(X)\n",
        );
        let shown: Vec<String> = facts.iter().map(|(f, c)| format!("{f} {c}")).collect();
        assert_eq!(shown, ["w(1) 0.4", "w(2) 0.4", "p(1) 1", "p(2) 1"]);
        // The uncertain component's two: the later, certain one sets none.
        assert_eq!(kept, 2);
    }
}
