//! What a condition's status says, in words: what held (and which fact met it), what failed
//! (the values compared, the near misses, what blocked a negation, and, to a depth, why a
//! failing derivable condition failed in turn).

use super::search::find_match;
use super::{explain, Blocker, ConditionStatus, Target};
use crate::engine::compile::{CExpr, CLit, CRule, Term};
use crate::engine::eval::eval_expr;
use crate::engine::facts::FactId;
use crate::engine::graph::FactGraph;
use crate::engine::value::Val;
use crate::explain::{atom_text, pattern_words, rule_ref, show, Location};

pub(super) fn held_detail(
    g: &FactGraph,
    l: &CLit,
    vars: &[Option<Val>],
    fact: Option<FactId>,
) -> String {
    let var = |v: u16| vars.get(v as usize).copied().flatten();
    match l {
        CLit::Pos(_) => fact.map_or_else(String::new, |f| {
            let w = crate::explain::words(g, f);
            if g.is_asserted(f) {
                let a = g.assertion(g.assertions_of(f).next().unwrap_or(0));
                let how = if a.origin.key.is_some() {
                    "given"
                } else {
                    "stated"
                };
                format!("{w} ({how} in {}:{})", a.origin.file, a.origin.line)
            } else {
                format!("{w} (derived)")
            }
        }),
        CLit::Neg(a) => format!(
            "no {} was given or derived",
            pattern_words(g, a.pred, &a.args, &var)
        ),
        CLit::Cmp(x, op, y) => format!(
            "{} {} {}",
            value_text(g, x, &var),
            op.symbol(),
            value_text(g, y, &var)
        ),
        CLit::In(e, neg, vals) => {
            let list: Vec<String> = vals.iter().map(|v| show(&g.interner, *v)).collect();
            format!(
                "{} is {}one of {}",
                value_text(g, e, &var),
                if *neg { "not " } else { "" },
                list.join(", ")
            )
        }
    }
}

fn value_text(g: &FactGraph, e: &CExpr, var: &dyn Fn(u16) -> Option<Val>) -> String {
    eval_expr(e, var).map_or_else(|e| format!("(error: {e})"), |v| show(&g.interner, v))
}

pub(super) fn fail_detail(
    g: &FactGraph,
    rule: &CRule,
    l: &CLit,
    vars: &[Option<Val>],
    depth: usize,
    st: &mut ConditionStatus,
) {
    let names = &rule.meta.var_names;
    let var = |v: u16| vars.get(v as usize).copied().flatten();
    match l {
        CLit::Pos(a) => {
            let pname = g.name_of(a.pred).to_string();
            let all: Vec<FactId> = g.facts_of(&pname, a.args.len());
            // Near misses: facts that differ from the pattern in exactly one fixed position.
            let fixed: Vec<Option<Val>> = a
                .args
                .iter()
                .map(|t| match *t {
                    Term::Const(c) => Some(c),
                    Term::Var(v) => var(v),
                    Term::Any => None,
                })
                .collect();
            let near: Vec<FactId> = all
                .iter()
                .copied()
                .filter(|&f| {
                    let fa = g.store.args(f);
                    fixed
                        .iter()
                        .zip(fa)
                        .filter(|(w, v)| w.is_some_and(|w| w != *v))
                        .count()
                        == 1
                })
                .take(5)
                .collect();
            st.near_misses = near.iter().map(|&f| g.show_fact(f)).collect();
            let wanted = wanted_words(g, a.pred, &a.args, &var);
            // A fact that matches but is too weak to hold.
            let weak = all.iter().copied().find(|&f| {
                !g.holds(f)
                    && fixed
                        .iter()
                        .zip(g.store.args(f))
                        .all(|(w, v)| w.is_none_or(|w| w == v))
            });
            st.detail = if let Some(f) = weak {
                format!(
                    "needs {wanted}: {} is known, but with certainty {}, not above the threshold {}",
                    crate::explain::words(g, f),
                    crate::explain::fmt_cf(g.certainty(f)),
                    crate::explain::fmt_cf(g.kb.threshold())
                )
            } else if all.is_empty() {
                match g.kb.question(&pname) {
                    Some(_) => format!("needs {wanted}, but the question was not answered"),
                    None => format!("needs {wanted}, but nothing says so"),
                }
            } else if g.kb.question(&pname).is_some() {
                let given: Vec<String> = all
                    .iter()
                    .map(|&f| crate::explain::display(g, g.store.args(f).get(0)))
                    .collect();
                format!(
                    "needs {wanted}, but the answer given is {}",
                    given.join(", ")
                )
            } else if near.is_empty() {
                format!("needs {wanted}; nothing given or derived matches")
            } else {
                let says: Vec<String> = near.iter().map(|&f| crate::explain::words(g, f)).collect();
                format!("needs {wanted}, but the facts say {}", says.join("; "))
            };
            let concluded = g.kb.rules.iter().any(|r| r.head.pred == a.pred);
            if concluded && depth > 0 {
                let sub = Target {
                    pred: pname,
                    args: fixed,
                };
                st.because = Some(Box::new(explain(g, &sub, depth - 1)));
            }
        }
        CLit::Neg(a) => {
            let blocked = atom_text(g, a.pred, &a.args, names, &var);
            if let Some(f) = find_match(g, a.pred, &a.args, vars) {
                let (how, rule_v, location) = if g.is_asserted(f) {
                    let a = g.assertion(g.assertions_of(f).next().unwrap_or(0));
                    ("given", None, Some(Location::from_origin(&a.origin)))
                } else {
                    let d = g.best_derivation(f);
                    let r = d.map(|d| rule_ref(g, &g.kb.rules[g.derivation(d).rule as usize]));
                    ("derived", r, None)
                };
                let w = crate::explain::words(g, f);
                st.detail = match (&rule_v, &location) {
                    (Some(r), _) => format!(
                        "blocked by `not {blocked}`: {w} was derived by rule `{}` at {}",
                        r.name, r.location
                    ),
                    (None, Some(loc)) => format!(
                        "blocked by `not {blocked}`: {w} was given in {}:{}",
                        loc.file, loc.line
                    ),
                    _ => format!("blocked by `not {blocked}`"),
                };
                st.blocked_by = Some(Blocker {
                    fact: g.show_fact(f),
                    how,
                    rule: rule_v,
                    location,
                });
            }
        }
        CLit::Cmp(x, op, y) => {
            st.detail = match (eval_expr(x, &var), eval_expr(y, &var)) {
                (Ok(_), Ok(_)) => format!(
                    "fails: {} {} {} is false",
                    value_text(g, x, &var),
                    op.symbol(),
                    value_text(g, y, &var),
                ),
                (Err(e), _) | (_, Err(e)) => format!("could not be evaluated: {e}"),
            };
        }
        CLit::In(e, negated, vals) => {
            let list: Vec<String> = vals
                .iter()
                .map(|&v| crate::explain::display(g, v))
                .collect();
            let value = eval_expr(e, &var).map_or_else(
                |e| format!("(error: {e})"),
                |v| crate::explain::display(g, v),
            );
            st.detail = if *negated {
                format!("fails: {value} is one of {}", list.join(", "))
            } else {
                format!("fails: {value} is not one of {}", list.join(", "))
            };
        }
    }
}

/// What a positive condition needs, in words: for a question, the answer (by its prompt);
/// otherwise the fact in words. Variables without a value read "any".
pub(super) fn wanted_words(
    g: &FactGraph,
    pred: u32,
    args: &[Term],
    var: &dyn Fn(u16) -> Option<Val>,
) -> String {
    match g.kb.question(g.name_of(pred)).filter(|_| args.len() == 1) {
        Some(q) => {
            let value = match args[0] {
                Term::Const(c) => Some(c),
                Term::Var(v) => var(v),
                Term::Any => None,
            };
            match value {
                Some(v) => format!(
                    "the answer {} to “{}”",
                    crate::explain::display(g, v),
                    q.prompt.node
                ),
                None => format!("an answer to “{}”", q.prompt.node),
            }
        }
        None => pattern_words(g, pred, args, var),
    }
}
