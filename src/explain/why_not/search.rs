//! The search for the best partial match of a rule: its conditions in display order, each
//! met by the facts the engine's indexes give for the values bound so far, stopping at the
//! first complete match or after a budget of steps.

use crate::engine::compile::{lit_vars, CLit, CRule, Term};
use crate::engine::eval::{compare, eval_expr, values_equal};
use crate::engine::facts::FactId;
use crate::engine::graph::FactGraph;
use crate::engine::value::{Args, Val};

/// Most join steps spent looking for the best partial match of one rule.
pub(super) const SEARCH_BUDGET: usize = 20_000;

/// Condition order for display and search: body order, with each test moved to just after
/// the condition that binds its last variable.
pub(super) fn display_order(rule: &CRule, head_bound: &[Option<Val>]) -> Vec<usize> {
    let mut bound: Vec<bool> = head_bound.iter().map(Option::is_some).collect();
    let mut placed = vec![false; rule.body.len()];
    let mut order = Vec::new();
    let ready = |l: &CLit, bound: &[bool]| {
        let mut vs = Vec::new();
        lit_vars(l, &mut vs);
        match l {
            CLit::Neg(a) => a.args.iter().all(|t| match t {
                Term::Var(v) => {
                    bound[*v as usize]
                        || !rule
                            .body
                            .iter()
                            .any(|x| matches!(x, CLit::Pos(p) if p.args.contains(t)))
                }
                _ => true,
            }),
            _ => vs.iter().all(|&v| bound[v as usize]),
        }
    };
    // Body order; a test whose variables are not bound yet waits for the condition that
    // binds them.
    for (i, l) in rule.body.iter().enumerate() {
        match l {
            CLit::Pos(a) => {
                placed[i] = true;
                order.push(i);
                for t in &a.args {
                    if let Term::Var(v) = t {
                        bound[*v as usize] = true;
                    }
                }
                for (j, w) in rule.body.iter().enumerate().take(i) {
                    if !placed[j] && !matches!(w, CLit::Pos(_)) && ready(w, &bound) {
                        placed[j] = true;
                        order.push(j);
                    }
                }
            }
            _ if ready(l, &bound) => {
                placed[i] = true;
                order.push(i);
            }
            _ => {}
        }
    }
    for (i, p) in placed.iter().enumerate() {
        if !p {
            order.push(i);
        }
    }
    order
}

pub(super) struct Search<'g, 'kb> {
    pub g: &'g FactGraph<'kb>,
    pub rule: &'g CRule,
    pub order: Vec<usize>,
    pub budget: usize,
    /// How far the best partial match got, its bindings and the facts that met its
    /// conditions.
    pub best: (usize, Vec<Option<Val>>, Vec<Option<FactId>>),
    pub complete: bool,
}

impl Search<'_, '_> {
    pub fn run(&mut self, i: usize, vars: &mut Vec<Option<Val>>, held: &mut Vec<Option<FactId>>) {
        if self.complete || self.budget == 0 {
            return;
        }
        self.budget -= 1;
        if i > self.best.0 || self.best.1.is_empty() {
            self.best = (i, vars.clone(), held.clone());
        }
        let Some(&lit) = self.order.get(i) else {
            self.complete = true;
            return;
        };
        let g = self.g;
        match &self.rule.body[lit] {
            CLit::Pos(a) => {
                let cands = candidates(g, a.pred, &a.args, vars);
                for f in cands {
                    let saved = vars.clone();
                    for (t, v) in a.args.iter().zip(g.store.args(f)) {
                        if let Term::Var(x) = t {
                            vars[*x as usize] = Some(v);
                        }
                    }
                    held[lit] = Some(f);
                    self.run(i + 1, vars, held);
                    held[lit] = None;
                    *vars = saved;
                    if self.complete || self.budget == 0 {
                        return;
                    }
                }
            }
            l => {
                if test(g, l, vars) == Some(true) {
                    self.run(i + 1, vars, held);
                }
            }
        }
    }
}

fn matches(fact: Args<'_>, args: &[Term], vars: &[Option<Val>]) -> bool {
    let mut local: Vec<(u16, Val)> = Vec::new();
    args.iter().zip(fact).all(|(t, v)| match *t {
        Term::Const(c) => c == v,
        Term::Var(x) => match vars[x as usize] {
            Some(b) => b == v,
            None => match local.iter().find(|(y, _)| *y == x) {
                Some((_, b)) => *b == v,
                None => {
                    local.push((x, v));
                    true
                }
            },
        },
        Term::Any => true,
    })
}

/// Evaluate a test under partial bindings: `None` when it cannot be evaluated.
fn test(g: &FactGraph, l: &CLit, vars: &[Option<Val>]) -> Option<bool> {
    let var = |v: u16| vars[v as usize];
    match l {
        CLit::Neg(a) => Some(find_match(g, a.pred, &a.args, vars).is_none()),
        CLit::Cmp(x, op, y) => {
            let (a, b) = (eval_expr(x, &var).ok()?, eval_expr(y, &var).ok()?);
            compare(&g.interner, a, *op, b).ok()
        }
        CLit::In(e, neg, vals) => {
            let v = eval_expr(e, &var).ok()?;
            Some(vals.iter().any(|&x| values_equal(v, x)) != *neg)
        }
        CLit::Pos(_) => None,
    }
}

pub(super) fn find_match(
    g: &FactGraph,
    pred: u32,
    args: &[Term],
    vars: &[Option<Val>],
) -> Option<FactId> {
    candidates(g, pred, args, vars).first().copied()
}

/// The facts that meet an atom under partial bindings (those that hold: above the
/// certainty threshold), ordered by content (so that the best
/// partial match does not depend on arrival order), found through the engine's indexes.
fn candidates(g: &FactGraph, pred: u32, args: &[Term], vars: &[Option<Val>]) -> Vec<FactId> {
    let pattern: Vec<Option<Val>> = args
        .iter()
        .map(|t| match *t {
            Term::Const(c) => Some(c),
            Term::Var(x) => vars[x as usize],
            Term::Any => None,
        })
        .collect();
    let mut c: Vec<FactId> = g
        .store
        .matching(pred, &pattern)
        .into_iter()
        // Facts too weak to hold meet no condition (and count as absent under `not`); a
        // variable repeated in the atom must take one value.
        .filter(|&f| g.holds(f) && matches(g.store.args(f), args, vars))
        .collect();
    c.sort_by(|&x, &y| g.cmp_facts(x, y));
    c
}
