//! Why a fact was not reached: every rule whose conclusion matches it, each condition marked
//! held / failed / not reached under the binding that got furthest, with near misses, what
//! blocked a negation, and (to a depth) why a failing derivable condition failed in turn.

use super::{
    atom_text, errors_for, expr_text, interpolate, pattern_words, rule_ref, show, show_plain,
    test_text, ErrorView, Location, RuleRef,
};
use crate::engine::compile::{lit_vars, CExpr, CLit, CRule, Term};
use crate::engine::eval::{compare, eval_expr, values_equal};
use crate::engine::facts::FactId;
use crate::engine::graph::FactGraph;
use crate::engine::value::Val;
use serde::Serialize;

/// Most join steps spent looking for the best partial match of one rule.
const SEARCH_BUDGET: usize = 20_000;

#[derive(Debug, Clone, Serialize)]
pub struct WhyNot {
    pub schema_version: &'static str,
    pub kind: &'static str,
    pub target: String,
    /// Facts matching the target that do hold (then the question is moot, or the target
    /// has variables).
    pub holds: Vec<Held>,
    /// Set when the target's predicate is a question: it holds only when answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<QuestionView>,
    /// True when no rule concludes the target's predicate.
    pub no_rule: bool,
    /// A similarly named predicate that rules do conclude, if the target looks misspelt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    pub rules: Vec<Attempt>,
    pub errors: Vec<ErrorView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub fact: String,
    pub certainty: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    pub name: String,
    pub prompt: String,
    pub answers: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub rule: RuleRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The rule's conclusion under the best partial binding.
    pub conclusion: String,
    pub bindings: Vec<super::Binding>,
    pub conditions: Vec<ConditionStatus>,
    /// Index in `conditions` of the first one that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_failure: Option<usize>,
    /// The search for a match stopped early (very large relations).
    pub search_truncated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConditionStatus {
    pub text: String,
    /// `held`, `failed` or `not_reached`.
    pub status: &'static str,
    /// What was found or missing, in plain words.
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub near_misses: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<Blocker>,
    /// Why the failing condition (itself concluded by rules) did not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because: Option<Box<WhyNot>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Blocker {
    pub fact: String,
    /// `given` or `derived`.
    pub how: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// A target: a predicate and, per argument, a value or a variable (`None`).
#[derive(Debug, Clone)]
pub struct Target {
    pub pred: String,
    pub args: Vec<Option<Val>>,
}

impl Target {
    /// Parse a fact written in the rule language (`recommend(flask)`, `_` or a variable for
    /// any value) against a run's values.
    pub fn parse(
        g: &mut FactGraph,
        text: &str,
    ) -> Result<Target, (crate::span::SourceMap, Vec<crate::diag::Diagnostic>)> {
        let mut sources = crate::span::SourceMap::default();
        let file = sources.add("<argument>", text);
        match crate::syntax::parse_atom(file, sources.get(file)) {
            Ok(atom) => {
                let args = atom
                    .args
                    .iter()
                    .map(|e| match &e.node {
                        crate::ast::ExprKind::Const(c) => Some(g.interner.to_mut().value(c)),
                        _ => None,
                    })
                    .collect();
                Ok(Target {
                    pred: atom.pred.node,
                    args,
                })
            }
            Err(d) => Err((sources, d)),
        }
    }

    pub fn text(&self, g: &FactGraph) -> String {
        if self.args.is_empty() {
            return self.pred.clone();
        }
        let a: Vec<String> = self
            .args
            .iter()
            .enumerate()
            .map(|(i, v)| v.map_or_else(|| format!("_{}", i + 1), |v| show(&g.interner, v)))
            .collect();
        format!("{}({})", self.pred, a.join(", "))
    }
}

pub fn explain(g: &FactGraph, target: &Target, depth: usize) -> WhyNot {
    let arity = target.args.len();
    let holds: Vec<Held> = g
        .matching(&target.pred, &target.args)
        .into_iter()
        .map(|f| Held {
            fact: g.show_fact(f),
            certainty: super::round_cf(g.certainty(f)),
        })
        .collect();
    let question =
        g.kb.question(&target.pred)
            .filter(|_| arity == 1)
            .map(|q| QuestionView {
                name: q.name.node.clone(),
                prompt: q.prompt.node.clone(),
                answers: g
                    .facts_of(&q.name.node, 1)
                    .into_iter()
                    .map(|f| show(&g.interner, g.store.args(f)[0]))
                    .collect(),
            });
    let mut rule_ids: Vec<usize> = (0..g.kb.rules.len())
        .filter(|&r| {
            let head = &g.kb.rules[r].head;
            let (p, args) = (&head.pred, &head.args);
            g.interner.name(g.store.pred_info(*p).0) == target.pred && args.len() == arity
        })
        .collect();
    rule_ids.sort_by(|&a, &b| {
        let (x, y) = (&g.kb.rules[a].meta, &g.kb.rules[b].meta);
        (&x.name, x.alternative).cmp(&(&y.name, y.alternative))
    });
    let no_rule = rule_ids.is_empty();
    let did_you_mean = if no_rule {
        let heads: Vec<&str> =
            g.kb.rules
                .iter()
                .map(|r| g.interner.name(g.store.pred_info(r.head.pred).0))
                .collect();
        crate::diag::suggest(&target.pred, heads.iter().copied()).map(str::to_string)
    } else {
        None
    };
    let rules = rule_ids
        .iter()
        .filter_map(|&r| attempt(g, &g.kb.rules[r], target, depth))
        .collect();
    let errors = errors_for(g, |r| rule_ids.contains(&(r as usize)));
    WhyNot {
        schema_version: super::SCHEMA_VERSION,
        kind: "why_not",
        target: target.text(g),
        holds,
        question,
        no_rule,
        did_you_mean,
        rules,
        errors,
    }
}

/// Condition order for display and search: body order, with each test moved to just after
/// the condition that binds its last variable.
fn display_order(rule: &CRule, head_bound: &[Option<Val>]) -> Vec<usize> {
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

struct Search<'g, 'kb> {
    g: &'g FactGraph<'kb>,
    rule: &'g CRule,
    order: Vec<usize>,
    budget: usize,
    best: (usize, Vec<Option<Val>>, Vec<Option<FactId>>),
    complete: bool,
}

impl Search<'_, '_> {
    fn run(&mut self, i: usize, vars: &mut Vec<Option<Val>>, held: &mut Vec<Option<FactId>>) {
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
                let mut cands: Vec<FactId> = g
                    .store
                    .facts_of(a.pred)
                    .filter(|&f| matches(g.store.args(f), &a.args, vars))
                    .collect();
                cands.sort_by(|&x, &y| g.cmp_facts(x, y));
                for f in cands {
                    let saved = vars.clone();
                    for (t, &v) in a.args.iter().zip(g.store.args(f)) {
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

fn matches(fact: &[Val], args: &[Term], vars: &[Option<Val>]) -> bool {
    let mut local: Vec<(u16, Val)> = Vec::new();
    args.iter().zip(fact).all(|(t, &v)| match *t {
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

fn find_match(g: &FactGraph, pred: u32, args: &[Term], vars: &[Option<Val>]) -> Option<FactId> {
    let mut c: Vec<FactId> = g
        .store
        .facts_of(pred)
        .filter(|&f| matches(g.store.args(f), args, vars))
        .collect();
    c.sort_by(|&x, &y| g.cmp_facts(x, y));
    c.first().copied()
}

fn attempt(g: &FactGraph, rule: &CRule, target: &Target, depth: usize) -> Option<Attempt> {
    // Unify the conclusion with the target; expressions in the conclusion bind nothing.
    let mut vars: Vec<Option<Val>> = vec![None; rule.nvars];
    for (e, t) in rule.head.args.iter().zip(&target.args) {
        let Some(t) = t else { continue };
        match e {
            CExpr::Term(Term::Const(c)) if c != t => return None,
            CExpr::Term(Term::Var(v)) => match vars[*v as usize] {
                Some(b) if b != *t => return None,
                _ => vars[*v as usize] = Some(*t),
            },
            _ => {}
        }
    }
    let order = display_order(rule, &vars);
    let mut s = Search {
        g,
        rule,
        order: order.clone(),
        budget: SEARCH_BUDGET,
        best: (0, Vec::new(), Vec::new()),
        complete: false,
    };
    let mut held = vec![None; rule.body.len()];
    s.run(0, &mut vars.clone(), &mut held);
    let truncated = s.budget == 0;
    let (reached, best, held) = s.best;
    let names = &rule.meta.var_names;
    let mut conditions = Vec::new();
    let mut first_failure = None;
    for (pos, &lit) in order.iter().enumerate() {
        let text = g.kb.text(rule.meta.literals[lit]);
        let l = &rule.body[lit];
        let mut st = ConditionStatus {
            text,
            status: "not_reached",
            detail: String::new(),
            near_misses: Vec::new(),
            blocked_by: None,
            because: None,
        };
        if pos < reached {
            st.status = "held";
            st.detail = held_detail(g, l, &best, held[lit], names);
        } else if pos == reached && reached < order.len() {
            st.status = "failed";
            first_failure = Some(pos);
            fail_detail(g, rule, l, &best, depth, &mut st);
        } else {
            let none = |_: u16| None;
            st.detail = match l {
                CLit::Pos(a) => {
                    format!("not checked: {}", pattern_words(g, a.pred, &a.args, &none))
                }
                CLit::Neg(a) => format!(
                    "not checked: that no {} is known",
                    pattern_words(g, a.pred, &a.args, &none)
                ),
                _ => format!("not checked: {}", test_text(g, l, names)),
            };
        }
        conditions.push(st);
    }
    let val = |v: u16| best.get(v as usize).copied().flatten();
    let conclusion = atom_text_expr(g, rule, &val);
    let reason = rule.meta.because.as_ref().map(|t| {
        interpolate(t, names, &|i| {
            best.get(i)
                .copied()
                .flatten()
                .map(|v| show_plain(&g.interner, v))
        })
    });
    Some(Attempt {
        rule: rule_ref(g, rule),
        reason,
        conclusion,
        bindings: names
            .iter()
            .zip(&best)
            .filter(|(n, _)| !n.starts_with('_'))
            .filter_map(|(n, v)| {
                v.map(|v| super::Binding {
                    var: n.clone(),
                    value: show(&g.interner, v),
                })
            })
            .collect(),
        conditions,
        first_failure,
        search_truncated: truncated,
    })
}

fn atom_text_expr(g: &FactGraph, rule: &CRule, val: &dyn Fn(u16) -> Option<Val>) -> String {
    let name = g.interner.name(g.store.pred_info(rule.head.pred).0);
    if rule.head.args.is_empty() {
        return name.to_string();
    }
    let a: Vec<String> = rule
        .head
        .args
        .iter()
        .map(|e| match eval_expr(e, val) {
            Ok(v) => show(&g.interner, v),
            Err(_) => expr_text(g, e, &rule.meta.var_names),
        })
        .collect();
    format!("{name}({})", a.join(", "))
}

fn held_detail(
    g: &FactGraph,
    l: &CLit,
    vars: &[Option<Val>],
    fact: Option<FactId>,
    _names: &[String],
) -> String {
    let var = |v: u16| vars.get(v as usize).copied().flatten();
    match l {
        CLit::Pos(_) => fact.map_or_else(String::new, |f| {
            let w = super::words(g, f);
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
        if super::is_plain(e) && !matches!(e, CExpr::Term(Term::Var(_))) {
            v
        } else {
            format!("{} = {v}", expr_text(g, e, names))
        }
    };
    format!("{} {op} {}", side(x), side(y))
}

fn fail_detail(
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
            let wanted = atom_text(g, a.pred, &a.args, names, &var);
            let pname = g.interner.name(g.store.pred_info(a.pred).0).to_string();
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
            st.near_misses = all
                .iter()
                .filter(|&&f| {
                    let fa = g.store.args(f);
                    fixed
                        .iter()
                        .zip(fa)
                        .filter(|(w, v)| w.is_some_and(|w| w != **v))
                        .count()
                        == 1
                })
                .take(5)
                .map(|&f| g.show_fact(f))
                .collect();
            let _ = wanted;
            let wanted = pattern_words(g, a.pred, &a.args, &var);
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
            st.detail = if all.is_empty() {
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
                let says: Vec<String> = near.iter().map(|&f| super::words(g, f)).collect();
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
                let w = super::words(g, f);
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
