//! The part of a program that no answer can change, evaluated once and replayed.
//!
//! A component of the dependency graph is *closed* when none of its predicates is a
//! question's and none of its rules reads a question's predicate or a predicate of a component
//! that is not closed. Its facts, derivations, certainties and rule errors are then the same
//! in every run whose input states no fact of a predicate it reads or concludes: they depend
//! on the stated facts alone. In the shipped knowledge base that is three derivations in five.
//!
//! A run whose input states no fact of a predicate they read or conclude ([`Plan::serves`])
//! evaluates them first, before it stores its input, so their facts have the same ids in
//! every such run. Batch runs ([`KnowledgeBase::run_with`]) evaluate the closed components
//! once, the first time one is needed, and copy their results into a run instead of
//! evaluating them (the facts inserted in the same order get the same ids, the derivations
//! are recorded in the same order with their premises' ids mapped): a run with the copy is
//! the run without it. A batch's scratch then keeps them from one run to the next
//! (`eval::Prefix`): the next run starts where they end.

use super::eval::{self, Derivation, Limits, Record, RuleError, Share};
use super::facts::{FactId, PredId, RunStore};
use super::strength::Strength;
use super::value::Args;
use super::{Asserted, KnowledgeBase, RunInput};
use crate::engine::compile::{CLit, CRule};
use std::ops::Range;

/// Which components are closed (worked out once a knowledge base: every run whose input
/// leaves them alone evaluates them first, see `KnowledgeBase::run_from`).
pub(crate) struct Plan {
    /// By component, in evaluation order.
    pub(crate) closed: Vec<bool>,
    /// By predicate: whether a closed component reads or concludes it. An input fact of such
    /// a predicate could change them: that run evaluates everything in order.
    touched: Vec<bool>,
}

impl Plan {
    /// `None` when no component is closed.
    pub(crate) fn of(kb: &KnowledgeBase) -> Option<Plan> {
        let (closed, touched) = closed_components(kb);
        closed.contains(&true).then_some(Plan { closed, touched })
    }

    /// Whether a run of `input` can evaluate the closed components first, or copy them:
    /// when it states no fact of a predicate they read or conclude.
    pub(crate) fn serves(&self, input: RunInput<'_>, kb: &KnowledgeBase) -> bool {
        let mut all = true;
        input.each(|fact| match fact {
            Asserted::Named(pred, number, values, _, _) => {
                let arity = values.len() + usize::from(number.is_some());
                // A predicate the program does not know is read by no rule.
                all &= kb
                    .interner
                    .get(pred)
                    .and_then(|name| kb.base.find_pred(name, arity))
                    .is_none_or(|p| !self.touched[p as usize]);
            }
            Asserted::Known(p, _, _) => all &= !self.touched[p as usize],
        });
        all
    }
}

/// The closed components' results, with each component's share of them.
pub(crate) struct Closed {
    /// By component: its share, or `None` when it is not closed.
    parts: Vec<Option<Part>>,
    /// The fewest facts and derivations the limits must allow for every part to be copied
    /// (see [`Closed::fits`]).
    needs: (usize, usize),
    /// The first id of a run's own facts (the number of stated facts).
    first: FactId,
    /// The facts, by index from `first`: predicate and start of their arguments in
    /// `arg_tags` and `arg_bits` (each argument as its type and 8 bytes: `Val::hash_parts`).
    facts: Vec<(PredId, u32)>,
    arg_tags: Vec<u8>,
    arg_bits: Vec<u64>,
    /// The facts' hashes (`facts::hash_vals`, keyed once a process as this is made), by
    /// fact index: copying them does not hash them again.
    hashes: Vec<u64>,
    /// By fact index, up to the last one a component settled (the facts after it have
    /// certainty 1: a certain program keeps none).
    certainty: Vec<f64>,
    /// Derivations recorded per fact (see `eval::MAX_DERIVATIONS_PER_FACT`).
    per_fact: Vec<u16>,
    /// Derivations counted but not recorded, by fact (an id of the evaluation that made
    /// them: a closed rule may conclude a stated fact too).
    unrecorded: Vec<(FactId, u64)>,
    /// Facts and premises are ids of the evaluation that made them (stated facts below
    /// `first`, then these facts in order).
    derivations: Vec<Derivation>,
    premises: Vec<FactId>,
    errors: Vec<RuleError>,
}

/// One closed component's share of [`Closed`]'s vectors (facts by index, not id) and of its
/// unrecorded counts.
#[derive(Clone)]
struct Part {
    share: Share,
    unrecorded: Range<usize>,
}

/// The predicates a rule's conditions read (positively or under `not`).
fn reads(rule: &CRule) -> impl Iterator<Item = PredId> + '_ {
    rule.body.iter().filter_map(|lit| match lit {
        CLit::Pos(a) | CLit::Neg(a) => Some(a.pred),
        _ => None,
    })
}

/// Which components are closed, in evaluation order, and by predicate whether a closed
/// component reads or concludes it.
fn closed_components(kb: &KnowledgeBase) -> (Vec<bool>, Vec<bool>) {
    let npreds = kb.base.preds.len();
    // Predicates whose facts may change from run to run: the questions', then every one
    // concluded by a component that reads one.
    let mut open: Vec<bool> = kb
        .base
        .preds
        .iter()
        .map(|p| kb.question_index.contains_key(kb.interner.name(p.name)))
        .collect();
    let mut touched = vec![false; npreds];
    let mut closed = Vec::with_capacity(kb.components.len());
    for comp in &kb.components {
        let rules = || comp.rules.iter().map(|&r| &kb.rules[r]);
        let reads_open = rules().any(|rule| {
            open[rule.head.pred as usize]
                || reads(rule).any(|p| p as usize >= npreds || open[p as usize])
        });
        for rule in rules() {
            if reads_open {
                open[rule.head.pred as usize] = true;
            } else {
                touched[rule.head.pred as usize] = true;
                for p in reads(rule) {
                    touched[p as usize] = true;
                }
            }
        }
        closed.push(!reads_open);
    }
    (closed, touched)
}

impl Closed {
    /// Evaluate the closed components of `kb` on its stated facts alone; `None` when no
    /// component is closed, or when they stop at a limit (runs then evaluate everything).
    pub(crate) fn of(kb: &KnowledgeBase, limits: Limits) -> Option<Closed> {
        let plan = kb.closed_plan()?;
        let (state, bounds) = eval::run_closed(kb, &plan.closed, limits).ok()?;
        let first = kb.base.len() as FactId;
        let store = &state.store;
        let n = store.len() - first as usize;
        let mut facts = Vec::with_capacity(n);
        let (mut arg_tags, mut arg_bits) = (Vec::new(), Vec::new());
        let mut hashes = Vec::with_capacity(n);
        for f in first..store.len() as FactId {
            let pred = store.pred_of(f);
            facts.push((pred, arg_tags.len() as u32));
            hashes.push(super::facts::hash_owned_vals(pred, store.args(f).iter()));
            for v in store.args(f) {
                let (tag, bits) = v.hash_parts();
                arg_tags.push(tag);
                arg_bits.push(bits);
            }
        }
        arg_tags.shrink_to_fit();
        arg_bits.shrink_to_fit();
        // Each fact's unrecorded count goes with the component of its predicate (the one
        // whose rules conclude it), in component order.
        let comp_of = |f: FactId| {
            kb.pred_component
                .get(store.pred_of(f) as usize)
                .copied()
                .flatten()
        };
        let mut unrecorded: Vec<(Option<u32>, FactId, u64)> = state
            .unrecorded
            .iter()
            .map(|(&f, &c)| (comp_of(f), f, c))
            .collect();
        unrecorded.sort_unstable();
        let mut parts = vec![None; kb.components.len()];
        // A run copies a part when the facts and derivations it holds then, with the part's
        // peak, are within the limits; runs copy the closed components first, as they were
        // evaluated here, so it holds what this run held.
        let needs = bounds.iter().fold((0, 0), |(f, d), (_, share)| {
            (
                f.max(share.facts.start + share.peak.0),
                d.max(share.derivations.start + share.peak.1),
            )
        });
        for (ci, share) in bounds {
            let local = |f: usize| f - first as usize;
            let facts = local(share.facts.start)..local(share.facts.end);
            let c = Some(ci as u32);
            let from = unrecorded.partition_point(|&(comp, ..)| comp < c);
            let to = unrecorded.partition_point(|&(comp, ..)| comp <= c);
            parts[ci] = Some(Part {
                share: Share { facts, ..share },
                unrecorded: from..to,
            });
        }
        let unrecorded = unrecorded.into_iter().map(|(_, f, c)| (f, c)).collect();
        Some(Closed {
            parts,
            needs,
            first,
            certainty: {
                let mut c = state.certainty;
                c.shrink_to_fit();
                c
            },
            per_fact: (first as usize..store.len())
                .map(|f| state.per_fact.get(f).copied().unwrap_or(0))
                .collect(),
            facts,
            arg_tags,
            arg_bits,
            hashes,
            unrecorded,
            derivations: state.derivations,
            premises: state.premises,
            errors: state.errors,
        })
    }

    /// Whether a run within `limits` copies every closed component (the replayer then
    /// evaluates none of them).
    pub(crate) fn fits(&self, limits: Limits) -> bool {
        self.needs.0 <= limits.max_facts && self.needs.1 <= limits.max_derivations
    }

    /// What copies the closed components into a run, for `eval::Run::closed`. A component that
    /// would have taken the run past `limits` at some point is evaluated instead (and every
    /// closed one after it), so that the run stops where and as it would have.
    pub(crate) fn replayer(
        &self,
        limits: Limits,
    ) -> impl for<'s> FnMut(usize, &mut RunStore<'s>, &mut Record, &mut Strength<'s>) -> bool + '_
    {
        // The run's id of each closed fact, by its index here.
        let mut map = vec![0; self.facts.len()];
        let mut copying = true;
        move |ci, store, rec, strength| {
            let Some(part) = &self.parts[ci] else {
                return false;
            };
            copying &= store.len() + part.share.peak.0 <= limits.max_facts
                && rec.derivations.len() + part.share.peak.1 <= limits.max_derivations;
            if copying {
                self.replay(part, store, rec, strength, &mut map);
            }
            copying
        }
    }

    /// Copy component `part` into a run: its facts (their ids into `map`, by fact index),
    /// certainties, derivations (premises mapped to the run's ids), and errors.
    fn replay(
        &self,
        part: &Part,
        store: &mut RunStore<'_>,
        rec: &mut Record,
        strength: &mut Strength<'_>,
        map: &mut [FactId],
    ) {
        let share = &part.share;
        let mut args = Vec::new();
        for i in share.facts.clone() {
            let (pred, start) = self.facts[i];
            let end = self
                .facts
                .get(i + 1)
                .map_or(self.arg_tags.len(), |&(_, s)| s as usize);
            let range = start as usize..end;
            args.clear();
            args.extend(Args::new(
                &self.arg_tags[range.clone()],
                &self.arg_bits[range],
            ));
            let (id, new) = store.insert_hashed(pred, &args, self.hashes[i]);
            debug_assert!(new, "a closed component's fact is new to the run");
            map[i] = id;
            let f = id as usize;
            if rec.per_fact.len() <= f {
                eval::grow_zeroed(&mut rec.per_fact, f + 1);
            }
            rec.per_fact[f] = self.per_fact[i];
            let c = self.certainty.get(i).copied().unwrap_or(1.0);
            if c != 1.0 {
                strength.set(id, c, pred);
            }
        }
        let first = self.first;
        let id = |f: FactId| {
            if f < first {
                f
            } else {
                map[(f - first) as usize]
            }
        };
        let shift = rec.premises.len() as i64 - share.premises.start as i64;
        rec.premises
            .extend(self.premises[share.premises.clone()].iter().map(|&p| id(p)));
        rec.derivations
            .extend(
                self.derivations[share.derivations.clone()]
                    .iter()
                    .map(|d| Derivation {
                        rule: d.rule,
                        fact: id(d.fact),
                        prem_start: (i64::from(d.prem_start) + shift) as u32,
                    }),
            );
        rec.errors
            .extend_from_slice(&self.errors[share.errors.clone()]);
        for &(f, c) in &self.unrecorded[part.unrecorded.clone()] {
            rec.unrecorded.insert(id(f), c);
        }
    }
}
