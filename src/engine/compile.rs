//! Flat rules → compiled rules with join plans.
//!
//! Each rule alternative is compiled once per conclusion. A compiled rule has one plan per
//! positive condition (that condition reads the round's new facts, the others old or all
//! facts: semi-naive evaluation; the plan of a condition outside the rule's component never
//! runs and has no indexes), plus a `full` plan for a rule's first round. Join order is
//! chosen here: a join over stated facts starts where its first lookups reach the fewest
//! facts (by their sizes and distinct values); after that, and for other joins, the
//! most-bound condition first, then the smaller relation; tests (comparisons, negations,
//! memberships) run as soon as their variables are bound.

use super::facts::{FactId, FactStore, PredId};
use super::value::{Interner, Val};
use crate::ast::{self, ArithOp, CmpOp, ExprKind, Literal};
use crate::program::FlatRule;
use crate::span::Span;
use std::collections::BTreeMap;

pub type Var = u16;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Term {
    Var(Var),
    Const(Val),
    /// `_`: any value, bound to nothing.
    Any,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CExpr {
    Term(Term),
    Bin(ArithOp, Box<CExpr>, Box<CExpr>),
}

#[derive(Debug, Clone)]
pub struct CAtom {
    pub pred: PredId,
    pub args: Vec<Term>,
}

#[derive(Debug, Clone)]
pub enum CLit {
    Pos(CAtom),
    Neg(CAtom),
    Cmp(CExpr, CmpOp, CExpr),
    In(CExpr, bool, Vec<Val>),
}

/// How one argument of a scanned fact meets the bindings.
#[derive(Debug, Clone, Copy)]
pub enum ArgOp {
    Check(usize, Val),
    CheckVar(usize, Var),
    Bind(usize, Var),
}

/// Which facts a scan may read, relative to the round's delta `lo..hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// `lo..hi`: the facts the previous round added.
    Delta,
    /// `..lo`: facts known before the previous round.
    Old,
    /// `..hi`: every fact known at the start of this round.
    All,
    /// In a wide rule's full plan, whose steps its delta plans share: the range the scan's
    /// condition has in the plan that runs (see [`Plan::range_of`]); `All` in the full plan.
    BySlot,
}

#[derive(Debug, Clone)]
pub enum Step {
    Scan {
        /// Index of the condition in the rule body.
        lit: usize,
        /// Which positive condition this is (its premise slot).
        slot: usize,
        pred: PredId,
        /// An index on the bound positions, and the terms that give the key.
        index: Option<(usize, Vec<Term>)>,
        ops: Vec<ArgOp>,
        range: Range,
    },
    /// A comparison, membership or negation whose variables are bound.
    Test {
        lit: usize,
        index: Option<(usize, Vec<Term>)>,
    },
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// Shared between a wide rule's plans (see [`Plan::delta`]).
    pub steps: std::sync::Arc<[Step]>,
    /// The step of the first scan (`usize::MAX` if none): runs cut a large join into
    /// passes over its facts (`eval::outer_chunks`).
    pub first_scan: usize,
    /// For a wide rule's delta plan, the condition (premise slot) that reads the delta: the
    /// steps are the rule's full plan's, whose scans read [`Range::BySlot`] (see
    /// [`Plan::range_of`], [`MAX_DELTA_STEPS`]).
    pub delta: Option<usize>,
}

/// Steps a rule's delta plans may hold in all before they share its full plan's steps.
/// A plan of its own for each recursive condition, each starting from it, is the faster
/// join; but a rule of 250 recursive conditions had 250 plans of 250 steps (10 MB, and
/// cubic time to plan). Past this, the delta plans keep the full plan's order, scanning
/// the delta where the condition comes in it.
pub const MAX_DELTA_STEPS: usize = 4096;

#[cfg(not(test))]
fn max_delta_steps() -> usize {
    MAX_DELTA_STEPS
}

#[cfg(test)]
thread_local! {
    /// Tests share the full plan in every rule, to compare.
    pub(crate) static TEST_MAX_DELTA_STEPS: std::cell::Cell<usize> =
        const { std::cell::Cell::new(MAX_DELTA_STEPS) };
}

#[cfg(test)]
fn max_delta_steps() -> usize {
    TEST_MAX_DELTA_STEPS.with(|c| c.get())
}

impl Plan {
    /// The delta plan of a condition whose facts never come as a delta of its rule's rounds
    /// (see [`CRule::delta_plans`]): no steps.
    fn never_run() -> Plan {
        Plan {
            steps: std::sync::Arc::new([]),
            first_scan: usize::MAX,
            delta: None,
        }
    }

    /// This full plan's steps, as the delta plan of condition `slot` (see [`Plan::delta`]).
    fn as_delta(&self, slot: usize) -> Plan {
        Plan {
            steps: std::sync::Arc::clone(&self.steps),
            first_scan: self.first_scan,
            delta: Some(slot),
        }
    }

    /// The facts the scan of condition `slot` reads where its step says [`Range::BySlot`]: as
    /// semi-naive evaluation has it, the delta for the plan's condition, the facts before
    /// the delta for the conditions before it, and all for those after; all in a full plan.
    /// (Only a wide rule's steps say so: the other plans' scans never ask.)
    #[inline(never)]
    pub fn range_of(&self, slot: usize) -> Range {
        match self.delta {
            None => Range::All,
            Some(k) if slot == k => Range::Delta,
            Some(k) if slot < k => Range::Old,
            Some(_) => Range::All,
        }
    }

    /// This plan's steps with every scan's range [`Range::BySlot`], to be shared as delta
    /// plans (a full plan's scans all read every fact: `All`).
    fn shared(mut self) -> Plan {
        let steps: Vec<Step> = self
            .steps
            .iter()
            .cloned()
            .map(|mut s| {
                if let Step::Scan { range, .. } = &mut s {
                    debug_assert_eq!(*range, Range::All, "a full plan's scan");
                    *range = Range::BySlot;
                }
                s
            })
            .collect();
        self.steps = steps.into();
        self
    }

    /// Whether this is a plan that must never run (see [`Plan::never_run`]).
    pub fn is_never_run(&self) -> bool {
        self.steps.is_empty()
    }
}

/// What explanations need to know about a compiled rule.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub name: String,
    /// The number of the rule in the program (its alternatives and conclusions share it):
    /// derivations of one conclusion by one rule count once (the strongest).
    pub origin: u32,
    pub because: Option<String>,
    pub sources: Box<[String]>,
    pub span: Span,
    pub name_span: Span,
    /// Which `or` alternative (0 when the rule has none) and how many there are.
    pub alternative: usize,
    pub alternatives: usize,
    pub head_span: Span,
    pub var_names: Box<[String]>,
    /// Each body condition's span (its text: [`KnowledgeBase::text`](super::KnowledgeBase::text)).
    pub literals: Box<[Span]>,
}

/// A compiled conclusion: its predicate and argument expressions.
#[derive(Debug, Clone)]
pub struct CHead {
    pub pred: PredId,
    pub args: Box<[CExpr]>,
}

#[derive(Debug, Clone)]
pub struct CRule {
    pub meta: RuleMeta,
    pub head: CHead,
    /// The certainty factor (1.0 when the rule gives none).
    pub cf: f64,
    pub body: Box<[CLit]>,
    pub nvars: usize,
    /// Where each variable's value is found in a derivation: (premise slot, argument
    /// position) of the first positive condition that binds it; `None` for a variable only
    /// under `not` (never bound). Derivations store premises, not bindings.
    pub var_sources: Box<[Option<(u32, u32)>]>,
    /// Body indices of the positive conditions, in body order (premise slots).
    pub positives: Box<[usize]>,
    /// `delta_plans[k]`: the plan where positive condition `k` reads the delta; no steps
    /// ([`Plan::never_run`]) for a condition outside the rule's component, whose facts never
    /// come as a delta of the rule's rounds.
    pub delta_plans: Box<[Plan]>,
    /// The plan of the rule's first round, where every condition reads all facts; `None` for
    /// a rule with one positive condition, whose delta plan does the same (see
    /// [`CRule::full_plan`]).
    full_plan: Option<Plan>,
}

impl CRule {
    /// The plan of the rule's first round. With one positive condition the delta plan serves:
    /// the first round's delta is every fact known (`0..hi`), and there is no "old" range.
    pub fn full_plan(&self) -> &Plan {
        match &self.full_plan {
            Some(p) => p,
            None => &self.delta_plans[0],
        }
    }
}

pub struct Compiler<'a> {
    pub interner: &'a mut Interner,
    pub store: &'a mut FactStore,
    /// How many distinct values the stated facts of a predicate have at a position, as the
    /// planner asked (see [`Compiler::first_scan`]).
    pub distinct: rustc_hash::FxHashMap<(PredId, usize), usize>,
    /// The component of the dependency graph a predicate (by name) is in: a condition reads
    /// a round's new facts only if it shares its rule's component.
    pub component: &'a dyn Fn(&str) -> Option<u32>,
}

impl Compiler<'_> {
    pub fn rule(
        &mut self,
        fr: &FlatRule<'_>,
        head_index: usize,
        alternatives: usize,
        origin: u32,
    ) -> CRule {
        let mut vars: BTreeMap<String, Var> = BTreeMap::new();
        let mut var_names = Vec::new();
        let mut var = |name: &str, vars: &mut BTreeMap<String, Var>| -> Term {
            if name == "_" {
                return Term::Any;
            }
            if let Some(&v) = vars.get(name) {
                return Term::Var(v);
            }
            let v = var_names.len() as Var;
            var_names.push(name.to_string());
            vars.insert(name.to_string(), v);
            Term::Var(v)
        };
        // Exact capacities: a large program has a hundred thousand compiled rules, and a
        // growing vector keeps room for four elements.
        let mut body = Vec::with_capacity(fr.body.len());
        let mut literals = Vec::with_capacity(fr.body.len());
        for lit in &fr.body {
            literals.push(lit.span());
            body.push(match lit {
                Literal::Positive(a) => CLit::Pos(self.atom(a, &mut |n| var(n, &mut vars))),
                Literal::Negative(a) => CLit::Neg(self.atom(a, &mut |n| var(n, &mut vars))),
                Literal::Compare(c) => {
                    let l = self.expr(&c.lhs, &mut |n| var(n, &mut vars));
                    let r = self.expr(&c.rhs, &mut |n| var(n, &mut vars));
                    CLit::Cmp(l, c.op, r)
                }
                Literal::Member(m) => {
                    let e = self.expr(&m.expr, &mut |n| var(n, &mut vars));
                    let vals = m
                        .values
                        .iter()
                        .map(|v| self.interner.value(&v.node))
                        .collect();
                    CLit::In(e, m.negated, vals)
                }
            });
        }
        let h = &fr.rule.heads[head_index];
        let head_args: Vec<CExpr> = h
            .atom
            .args
            .iter()
            .map(|e| self.expr(e, &mut |n| var(n, &mut vars)))
            .collect();
        let name = self.interner.intern(&h.atom.pred.node);
        let head_pred = self.store.pred(name, head_args.len());
        let nvars = var_names.len();
        var_names.shrink_to_fit();
        let is_positive = |l: &CLit| matches!(l, CLit::Pos(_));
        let mut positives = Vec::with_capacity(body.iter().filter(|l| is_positive(l)).count());
        positives.extend((0..body.len()).filter(|&i| is_positive(&body[i])));
        let mut var_sources = vec![None; nvars];
        for (slot, &lit) in positives.iter().enumerate() {
            if let CLit::Pos(a) = &body[lit] {
                for (pos, t) in a.args.iter().enumerate() {
                    if let Term::Var(v) = *t {
                        var_sources[v as usize].get_or_insert((slot as u32, pos as u32));
                    }
                }
            }
        }
        // After a component's first round (full plans), only the pairs of a rule and a
        // condition in the rule's own component are triggered (`Component::triggered`): the
        // delta plan of a condition in another component never runs. It is not made (a
        // rule of 250 conditions had 250 plans of 250 steps each, 7.8 MB and 0.2 s to
        // plan), and it asks for no indexes, which every fact of the others would have to
        // keep up (W2's plan for new edges indexed all 4.5 million paths by their end). (A
        // rule with one condition keeps its plan: its delta plan is its full plan too.)
        let head_component = (self.component)(&h.atom.pred.node);
        let runs: Vec<bool> = positives
            .iter()
            .map(|&p| {
                let CLit::Pos(a) = &body[p] else {
                    unreachable!("positives are atoms")
                };
                let name = self.interner.name(self.store.preds[a.pred as usize].name);
                positives.len() == 1
                    || (head_component.is_some() && (self.component)(name) == head_component)
            })
            .collect();
        let wide = runs.iter().filter(|&&r| r).count() * body.len() > max_delta_steps();
        let full_plan = (positives.len() != 1).then(|| {
            let full = self.plan(&body, &positives, None, nvars, true);
            if wide {
                full.shared()
            } else {
                full
            }
        });
        let delta_plans = (0..positives.len())
            .map(|k| match (&full_plan, runs[k]) {
                (_, false) => Plan::never_run(),
                (Some(full), true) if wide => full.as_delta(k),
                (_, true) => self.plan(&body, &positives, Some(k), nvars, true),
            })
            .collect();
        CRule {
            meta: RuleMeta {
                name: fr.rule.name.node.clone(),
                origin,
                because: fr.rule.because.as_ref().map(|b| b.node.clone()),
                sources: fr.rule.sources.iter().map(|s| s.node.clone()).collect(),
                span: fr.rule.span,
                name_span: fr.rule.name.span,
                alternative: fr.alternative,
                alternatives,
                head_span: h.atom.span,
                var_names: var_names.into(),
                literals: literals.into(),
            },
            head: CHead {
                pred: head_pred,
                args: head_args.into(),
            },
            cf: h.certainty.as_ref().map_or(1.0, |c| c.node),
            body: body.into(),
            nvars,
            var_sources: var_sources.into(),
            positives: positives.into(),
            delta_plans,
            full_plan,
        }
    }

    fn atom(&mut self, a: &ast::Atom, var: &mut dyn FnMut(&str) -> Term) -> CAtom {
        let name = self.interner.intern(&a.pred.node);
        let pred = self.store.pred(name, a.args.len());
        let args = a
            .args
            .iter()
            .map(|e| match &e.node {
                ExprKind::Var(v) => var(v),
                ExprKind::Const(c) => Term::Const(self.interner.value(c)),
                // Rejected by the lowering (E0005); never reached in a checked program.
                ExprKind::Binary(..) => Term::Any,
            })
            .collect();
        CAtom { pred, args }
    }

    fn expr(&mut self, e: &ast::Expr, var: &mut dyn FnMut(&str) -> Term) -> CExpr {
        match &e.node {
            ExprKind::Var(v) => CExpr::Term(var(v)),
            ExprKind::Const(c) => CExpr::Term(Term::Const(self.interner.value(c))),
            ExprKind::Binary(op, a, b) => CExpr::Bin(
                *op,
                Box::new(self.expr(a, var)),
                Box::new(self.expr(b, var)),
            ),
        }
    }

    /// The next positive condition to scan, greedily: one with bound arguments first (the
    /// most), then the smallest relation, then body order.
    fn greedy(&self, body: &[CLit], positives: &[usize], placed: &[bool], bound: &[bool]) -> usize {
        *positives
            .iter()
            .filter(|p| !placed[**p])
            .max_by_key(|&&p| {
                let CLit::Pos(a) = &body[p] else {
                    unreachable!("positives are atoms")
                };
                let nb = a.args.iter().filter(|t| has_value(t, bound)).count();
                let size = self.store.preds[a.pred as usize].ids.len();
                (nb > 0, nb, std::cmp::Reverse(size), std::cmp::Reverse(p))
            })
            .expect("a positive condition is left")
    }

    /// The first scan of a join whose conditions all read predicates with stated facts,
    /// none of them with a constant: the condition whose scan and first lookups reach the
    /// fewest facts, by the stated facts' sizes and distinct values (the smallest relation
    /// first can be far worse: W3 started from the 12 facts of `written_in(F, L)`, each of
    /// which then swept a sixth of a million projects, twelve sweeps of tables larger than
    /// the cache instead of one). `None` when the estimate does not apply (a condition with a constant, or over a
    /// predicate with no stated facts): the greedy choice then. The sizes are the stated
    /// facts' (a predicate that rules also derive may grow during a run).
    ///
    /// Starting from `x` costs its size times the largest fanout of a condition sharing a
    /// variable with it: `size(y) / distinct(y at a shared position)` (the most distinct
    /// values over the shared positions: a lower bound of their combinations'). Ties go to
    /// the larger relation (it is swept once, the others looked up), then to body order.
    fn first_scan(&mut self, body: &[CLit], positives: &[usize], bound: &[bool]) -> Option<usize> {
        let atoms: Vec<(usize, &CAtom, usize)> = positives
            .iter()
            .map(|&p| match &body[p] {
                CLit::Pos(a) => (p, a, self.store.preds[a.pred as usize].ids.len()),
                _ => unreachable!("positives are atoms"),
            })
            .collect();
        let plain = |a: &CAtom| !a.args.iter().any(|t| has_value(t, bound));
        if atoms.len() < 2 || !atoms.iter().all(|&(_, a, n)| plain(a) && n > 0) {
            return None;
        }
        let mut best: Option<(f64, std::cmp::Reverse<usize>, usize)> = None;
        for &(p, x, nx) in &atoms {
            let mut fanout = 1.0f64;
            for &(q, y, ny) in &atoms {
                if q == p {
                    continue;
                }
                let shared = y
                    .args
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| matches!(t, Term::Var(v) if atom_vars(x).any(|w| w == *v)))
                    .map(|(pos, _)| pos);
                let Some(d) = shared.map(|pos| self.distinct(y.pred, pos)).max() else {
                    continue;
                };
                fanout = fanout.max(ny as f64 / d.max(1) as f64);
            }
            let key = (nx as f64 * fanout, std::cmp::Reverse(nx), p);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
        best.map(|(_, _, p)| p)
    }

    /// How many distinct values the stated facts of `pred` have at `pos` (counted once).
    fn distinct(&mut self, pred: PredId, pos: usize) -> usize {
        if let Some(&d) = self.distinct.get(&(pred, pos)) {
            return d;
        }
        let store = &*self.store;
        let ids = store.preds[pred as usize].ids.view();
        let value = |f: FactId| store.args(f).get(pos);
        // Integers or symbols in a range at most 8 times the facts (identifiers, numbered
        // rows): a bitmap over the range, a few milliseconds for a million facts.
        let number = |v: Val| match v {
            Val::Int(i) => Some(i),
            Val::Sym(s) => Some(i64::from(s)),
            _ => None,
        };
        let kind = |v: Val| std::mem::discriminant(&v);
        let first = ids.iter().next().map(value);
        let range = first.and_then(|v0| {
            ids.iter().try_fold((i64::MAX, i64::MIN), |(lo, hi), f| {
                let v = value(f);
                let n = number(v).filter(|_| kind(v) == kind(v0))?;
                Some((lo.min(n), hi.max(n)))
            })
        });
        let d = match range {
            Some((lo, hi)) if u128::from(hi.abs_diff(lo)) <= 8 * ids.len() as u128 + 64 => {
                let mut bits = vec![0u64; (hi.abs_diff(lo) as usize >> 6) + 1];
                for f in ids {
                    let k = number(value(f)).unwrap_or(lo).abs_diff(lo) as usize;
                    bits[k >> 6] |= 1 << (k & 63);
                }
                bits.iter().map(|w| w.count_ones() as usize).sum()
            }
            _ => {
                // Keyed (`crate::keyed`): the values come from facts files.
                let mut seen = crate::keyed::KeyedSet::default();
                seen.extend(ids.iter().map(value));
                seen.len()
            }
        };
        self.distinct.insert((pred, pos), d);
        d
    }

    /// Order the conditions: the delta condition (if any) first, or the one
    /// [`first_scan`](Self::first_scan) picks, then greedily the positive condition with
    /// most bound arguments (ties: smaller relation, then body order), with every test
    /// placed as soon as its variables are bound.
    fn plan(
        &mut self,
        body: &[CLit],
        positives: &[usize],
        delta: Option<usize>,
        nvars: usize,
        indexed: bool,
    ) -> Plan {
        let mut bound = vec![false; nvars];
        let mut placed = vec![false; body.len()];
        let mut steps = Vec::with_capacity(body.len());
        let slot_of = |lit: usize| positives.iter().position(|&p| p == lit).unwrap_or(0);
        let place_tests = |bound: &[bool],
                           placed: &mut Vec<bool>,
                           steps: &mut Vec<Step>,
                           store: &mut FactStore| {
            for (i, l) in body.iter().enumerate() {
                if placed[i] || matches!(l, CLit::Pos(_)) {
                    continue;
                }
                let mut vs = Vec::new();
                lit_vars(l, &mut vs);
                let ready = match l {
                    // Variables only inside a negation are "any value" (`_X`): never bound.
                    CLit::Neg(a) => a.args.iter().all(|t| match t {
                        Term::Var(v) => bound[*v as usize] || !var_bound_anywhere(body, *v),
                        _ => true,
                    }),
                    _ => vs.iter().all(|&v| bound[v as usize]),
                };
                if ready {
                    placed[i] = true;
                    let index = match l {
                        CLit::Neg(a) if indexed => key_index(store, a, bound),
                        _ => None,
                    };
                    steps.push(Step::Test { lit: i, index });
                }
            }
        };
        place_tests(&bound, &mut placed, &mut steps, self.store);
        let mut first = delta.map(|k| positives[k]);
        for _ in 0..positives.len() {
            let next = match first.take() {
                Some(d) => d,
                None if !steps.iter().any(|s| matches!(s, Step::Scan { .. })) => self
                    .first_scan(body, positives, &bound)
                    .unwrap_or_else(|| self.greedy(body, positives, &placed, &bound)),
                None => self.greedy(body, positives, &placed, &bound),
            };
            let CLit::Pos(a) = &body[next] else {
                unreachable!("positives are atoms")
            };
            placed[next] = true;
            let index = indexed.then(|| key_index(self.store, a, &bound)).flatten();
            let mut ops = Vec::with_capacity(a.args.len());
            for (pos, t) in a.args.iter().enumerate() {
                match *t {
                    Term::Const(c) => ops.push(ArgOp::Check(pos, c)),
                    Term::Var(v) if bound[v as usize] => ops.push(ArgOp::CheckVar(pos, v)),
                    Term::Var(v) => {
                        ops.push(ArgOp::Bind(pos, v));
                        bound[v as usize] = true;
                    }
                    Term::Any => {}
                }
            }
            // Every bound position is checked, the index's too: a hash index returns the
            // facts of keys that share a hash, and a dense one on several positions the
            // facts that share the first (engine/facts/index.rs).
            let slot = slot_of(next);
            let range = match delta {
                None => Range::All,
                Some(k) if slot == k => Range::Delta,
                Some(k) if slot < k => Range::Old,
                Some(_) => Range::All,
            };
            steps.push(Step::Scan {
                lit: next,
                slot,
                pred: a.pred,
                index,
                ops,
                range,
            });
            place_tests(&bound, &mut placed, &mut steps, self.store);
        }
        // Tests that never became ready (only in unchecked programs) run last.
        for (i, l) in body.iter().enumerate() {
            if !placed[i] && !matches!(l, CLit::Pos(_)) {
                steps.push(Step::Test {
                    lit: i,
                    index: None,
                });
            }
        }
        let first_scan = steps
            .iter()
            .position(|s| matches!(s, Step::Scan { .. }))
            .unwrap_or(usize::MAX);
        Plan {
            steps: steps.into(),
            first_scan,
            delta: None,
        }
    }
}

/// Whether a term has a value before a scan: a constant, or a variable already bound.
fn has_value(t: &Term, bound: &[bool]) -> bool {
    match t {
        Term::Const(_) => true,
        Term::Var(v) => bound[*v as usize],
        Term::Any => false,
    }
}

/// The variables of an atom.
fn atom_vars(a: &CAtom) -> impl Iterator<Item = Var> + '_ {
    a.args.iter().filter_map(|t| match *t {
        Term::Var(v) => Some(v),
        _ => None,
    })
}

fn var_bound_anywhere(body: &[CLit], v: Var) -> bool {
    body.iter().any(|l| match l {
        CLit::Pos(a) => a.args.contains(&Term::Var(v)),
        _ => false,
    })
}

/// An index on the atom's bound or constant positions, if any.
fn key_index(store: &mut FactStore, a: &CAtom, bound: &[bool]) -> Option<(usize, Vec<Term>)> {
    let mut positions = Vec::with_capacity(a.args.len());
    let mut key = Vec::with_capacity(a.args.len());
    for (pos, t) in a.args.iter().enumerate() {
        if has_value(t, bound) {
            positions.push(pos);
            key.push(*t);
        }
    }
    if positions.is_empty() {
        return None;
    }
    Some((store.index(a.pred, positions), key))
}

pub fn lit_vars(l: &CLit, out: &mut Vec<Var>) {
    match l {
        CLit::Pos(a) | CLit::Neg(a) => out.extend(a.args.iter().filter_map(|t| match t {
            Term::Var(v) => Some(*v),
            _ => None,
        })),
        CLit::Cmp(a, _, b) => {
            expr_vars(a, out);
            expr_vars(b, out);
        }
        CLit::In(e, _, _) => expr_vars(e, out),
    }
}

pub fn expr_vars(e: &CExpr, out: &mut Vec<Var>) {
    match e {
        CExpr::Term(Term::Var(v)) => out.push(*v),
        CExpr::Term(_) => {}
        CExpr::Bin(_, a, b) => {
            expr_vars(a, out);
            expr_vars(b, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::KnowledgeBase;

    /// The predicates a rule's full plan scans, in order.
    fn scans(src: &str, rule: &str) -> Vec<String> {
        let kb = KnowledgeBase::from_sources(&[("plan.rules", src)])
            .map_err(|e| e.report.diagnostics.len())
            .expect("the program compiles");
        let r = kb
            .rules
            .iter()
            .find(|r| r.meta.name == rule)
            .expect("the rule");
        r.full_plan()
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Scan { pred, .. } => Some(
                    kb.interner
                        .name(kb.base.preds[*pred as usize].name)
                        .to_string(),
                ),
                Step::Test { .. } => None,
            })
            .collect()
    }

    /// A join over stated facts starts where its scan and first lookups reach the fewest
    /// facts: 300 projects with one of three languages, joined with 6 frameworks by
    /// language, start from their sizes (each size finds one language), not from the
    /// frameworks, the smallest relation (each would sweep a third of the projects), nor
    /// from the languages (each finds two frameworks).
    #[test]
    fn a_join_starts_where_its_lookups_reach_the_fewest_facts() {
        let mut src = String::from(
            "rule pick when language(P, L) and size(P, S) and S < 200 and written_in(F, L) \
             then candidate(P, F)\n",
        );
        for p in 0..300 {
            src += &format!("fact language(p{p}, l{})\nfact size(p{p}, {p})\n", p % 3);
        }
        for f in 0..6 {
            src += &format!("fact written_in(f{f}, l{})\n", f % 3);
        }
        assert_eq!(scans(&src, "pick")[0], "size");
    }

    /// A small table whose key picks few facts of a large one still comes first: one setting
    /// selects one row of a thousand.
    #[test]
    fn a_selective_small_table_still_comes_first() {
        let mut src = String::from("rule read when setting(K) and table(K, V) then value(V)\n");
        src += "fact setting(k7)\n";
        for k in 0..1000 {
            src += &format!("fact table(k{k}, {k})\n");
        }
        assert_eq!(scans(&src, "read"), ["setting", "table"]);
    }

    /// A condition outside its rule's component never reads a round's new facts: its delta
    /// plan is not made, and builds no index (an index on paths by their end, kept up for
    /// every path, was a tenth of W2's time), whether no rule concludes its predicate or a
    /// lower component's rules do (`link` here). The plan for new paths still looks links
    /// up, and a rule of one condition keeps its plan, which is its first round's too.
    #[test]
    fn a_plan_that_never_runs_is_not_made() {
        let mut src = String::from(
            "rule road when edge(X, Y) then link(X, Y)\n\
             rule base when link(X, Y) then path(X, Y)\n\
             rule step when path(X, Y) and link(Y, Z) then path(X, Z)\n",
        );
        for i in 0..10 {
            src += &format!("fact edge({i}, {})\n", i + 1);
        }
        let kb = KnowledgeBase::from_sources(&[("tc.rules", &src)])
            .map_err(|e| e.report.diagnostics.len())
            .expect("the program compiles");
        let step = kb
            .rules
            .iter()
            .find(|r| r.meta.name == "step")
            .expect("step");
        let indexed = |plan: &Plan| {
            plan.steps
                .iter()
                .filter(|s| matches!(s, Step::Scan { index: Some(_), .. }))
                .count()
        };
        assert_eq!(indexed(&step.delta_plans[0]), 1, "new paths look links up");
        assert!(
            step.delta_plans[1].is_never_run(),
            "new links never come in a round: no plan"
        );
        assert_eq!(indexed(&step.delta_plans[1]), 0);
        // A rule with one condition keeps its plan: it is the rule's full plan too.
        let base = kb
            .rules
            .iter()
            .find(|r| r.meta.name == "base")
            .expect("base");
        assert!(!base.delta_plans[0].is_never_run());
        assert_eq!(base.full_plan().steps.len(), 1);
    }
}
