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
use crate::explain::{atom_text, expr_text, pattern_words, rule_ref, show, test_text, Location};

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

/// `S = 1200 < 1000`-style text: each side's expression and value.
fn cmp_values(
    g: &FactGraph,
    x: &CExpr,
    op: &str,
    y: &CExpr,
    names: &[String],
    var: &dyn Fn(u16) -> Option<Val>,
) -> String {
    let side = |e: &CExpr| {
        let v = eval_expr(e, var).map_or_else(|e| format!("error: {e}"), |v| show(&g.interner, v));
        if crate::explain::is_plain(e) && !matches!(e, CExpr::Term(Term::Var(_))) {
            v
        } else {
            format!("{} = {v}", expr_text(g, e, names))
        }
    };
    format!("{} {op} {}", side(x), side(y))
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
                        .filter(|(w, v)| w.is_some_and(|w| w != **v))
                        .count()
                        == 1
                })
                .take(5)
                .collect();
            st.near_misses = near.iter().map(|&f| g.show_fact(f)).collect();
            let wanted = pattern_words(g, a.pred, &a.args, &var);
            // A fact that matches but is too weak to hold.
            let weak = all.iter().copied().find(|&f| {
                !g.holds(f)
                    && fixed
                        .iter()
                        .zip(g.store.args(f))
                        .all(|(w, v)| w.is_none_or(|w| w == *v))
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
                    Some(q) => format!(
                        "needs {wanted}, but the question `{}` was not answered",
                        q.name.node
                    ),
                    None => format!(
                        "needs {wanted}, but nothing says {}",
                        pname.replace('_', " ")
                    ),
                }
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
                    "fails: {} {} {} is false ({})",
                    value_text(g, x, &var),
                    op.symbol(),
                    value_text(g, y, &var),
                    cmp_values(g, x, op.symbol(), y, names, &var)
                ),
                (Err(e), _) | (_, Err(e)) => format!("could not be evaluated: {e}"),
            };
        }
        CLit::In(e, _, _) => {
            st.detail = format!(
                "fails: {} is {}",
                value_text(g, e, &var),
                test_text(g, l, names)
            );
        }
    }
}
