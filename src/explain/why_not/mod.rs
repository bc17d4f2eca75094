//! Why a fact was not reached: every rule whose conclusion matches it, each condition marked
//! held / failed / not reached under the binding that got furthest, with near misses, what
//! blocked a negation, and (to a depth) why a failing derivable condition failed in turn.

use super::{
    errors_for, expr_text, interpolate, pattern_words, rule_ref, show, ErrorView, Location, RuleRef,
};
use crate::engine::compile::{CExpr, CLit, CRule, Term};
use crate::engine::eval::eval_expr;
use crate::engine::graph::FactGraph;
use crate::engine::value::Val;
use serde::Serialize;

mod detail;
mod search;

use detail::{fail_detail, held_detail};
use search::{display_order, Search, SEARCH_BUDGET};

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
    /// When the target is a bare value (`rails`): the outputs it could be asked of
    /// (`recommend(rails)`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub as_value: Vec<String>,
    /// Values of the target that the program never mentions (then no rule is tried).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_values: Vec<UnknownValue>,
    pub rules: Vec<Attempt>,
    pub errors: Vec<ErrorView>,
    /// When the target is one conclusion of an output that holds but does not come first
    /// (or is too weak, or ruled out): why the first one rather than it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contrast: Option<Box<super::contrast::Contrast>>,
    /// The smallest changes to the answers that would make the target hold (or come first,
    /// when it holds but does not); set by the caller, which has the answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what_if: Option<super::what_if::WhatIf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub fact: String,
    pub certainty: f64,
    /// `holds` (above the threshold), `too_weak` (above zero, not above the threshold) or
    /// `ruled_out` (zero or below).
    pub status: &'static str,
}

/// A value of the target that the program never mentions.
#[derive(Debug, Clone, Serialize)]
pub struct UnknownValue {
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
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
    /// The compiled rule's number (`kb.rule(id)`).
    #[serde(skip)]
    pub rule_id: usize,
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
    /// The condition's place in the rule's body, in the order written.
    #[serde(skip)]
    pub literal: usize,
    pub status: Status,
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

/// What became of a condition in the best partial match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Held,
    Failed,
    /// An earlier condition failed, so this one was not checked.
    NotReached,
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
    let matching = g.matching(&target.pred, &target.args);
    let holds: Vec<Held> = matching
        .iter()
        .map(|&f| {
            let c = g.certainty(f);
            // As the query says: certainty 0 with nothing against it was not established.
            let against = || {
                super::query::reasons_of(g, f)
                    .iter()
                    .any(|r| r.certainty < 0.0)
            };
            Held {
                fact: g.show_fact(f),
                certainty: super::round_cf(c),
                status: if c > g.kb.threshold() {
                    "holds"
                } else if c > 0.0 || (c == 0.0 && !against()) {
                    "too_weak"
                } else {
                    "ruled_out"
                },
            }
        })
        .collect();
    let contrast = match (matching.as_slice(), target.args.iter().all(Option::is_some)) {
        ([f], true) => super::contrast::with_the_top(g, *f).map(Box::new),
        _ => None,
    };
    // Values the program never mentions: no rule can conclude anything of them.
    let known = &g.kb.interner;
    let unknown_values: Vec<UnknownValue> = target
        .args
        .iter()
        .flatten()
        .filter_map(|&v| match v {
            Val::Sym(s) | Val::Str(s) => {
                let name = g.interner.name(s);
                known.get(name).is_none().then(|| UnknownValue {
                    value: name.to_string(),
                    did_you_mean: crate::diag::suggest(name, known.symbols()).map(str::to_string),
                })
            }
            _ => None,
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
                    .map(|f| show(&g.interner, g.store.args(f).get(0)))
                    .collect(),
            });
    let mut rule_ids: Vec<usize> = (0..g.kb.rules.len())
        .filter(|&r| {
            let head = &g.kb.rules[r].head;
            let (p, args) = (&head.pred, &head.args);
            g.name_of(*p) == target.pred && args.len() == arity
        })
        .collect();
    rule_ids.sort_by(|&a, &b| {
        let (x, y) = (&g.kb.rules[a].meta, &g.kb.rules[b].meta);
        (&x.name, x.alternative).cmp(&(&y.name, y.alternative))
    });
    let no_rule = rule_ids.is_empty();
    // `why-not rails` asks about a value: name the outputs it could be a value of.
    let as_value = if no_rule && arity == 0 && known.get(&target.pred).is_some() {
        value_of_outputs(g, &target.pred)
    } else {
        Vec::new()
    };
    let did_you_mean = if no_rule {
        let heads: Vec<&str> = g.kb.rules.iter().map(|r| g.name_of(r.head.pred)).collect();
        crate::diag::suggest(&target.pred, heads.iter().copied()).map(str::to_string)
    } else {
        None
    };
    let rules = if unknown_values.is_empty() {
        rule_ids
            .iter()
            .filter_map(|&r| attempt(g, r, target, depth))
            .collect()
    } else {
        Vec::new()
    };
    let errors = errors_for(g, |r| rule_ids.contains(&(r as usize)));
    WhyNot {
        schema_version: super::SCHEMA_VERSION,
        kind: "why_not",
        target: target.text(g),
        holds,
        question,
        no_rule,
        did_you_mean,
        as_value,
        unknown_values,
        rules,
        errors,
        contrast,
        what_if: None,
    }
}

fn attempt(g: &FactGraph, rule_id: usize, target: &Target, depth: usize) -> Option<Attempt> {
    let rule: &CRule = &g.kb.rules[rule_id];
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
            literal: lit,
            status: Status::NotReached,
            detail: String::new(),
            near_misses: Vec::new(),
            blocked_by: None,
            because: None,
        };
        if pos < reached {
            st.status = Status::Held;
            st.detail = held_detail(g, l, &best, held[lit]);
        } else if pos == reached && reached < order.len() {
            st.status = Status::Failed;
            first_failure = Some(pos);
            fail_detail(g, rule, l, &best, depth, &mut st);
        } else {
            let none = |_: u16| None;
            st.detail = match l {
                CLit::Pos(a) => format!(
                    "not checked: {}",
                    detail::wanted_words(g, a.pred, &a.args, &none)
                ),
                CLit::Neg(a) => format!(
                    "not checked: that no {} is known",
                    pattern_words(g, a.pred, &a.args, &none)
                ),
                _ => format!("not checked: the test `{}`", super::test_text(g, l, names)),
            };
        }
        conditions.push(st);
    }
    let val = |v: u16| best.get(v as usize).copied().flatten();
    let conclusion = atom_text_expr(g, rule, &val);
    // Variables the best partial match did not bind read "…" (what they would be is not
    // known).
    let reason = rule.meta.because.as_ref().map(|t| {
        interpolate(t, names, &|i| {
            Some(
                best.get(i)
                    .copied()
                    .flatten()
                    .map_or_else(|| "…".to_string(), |v| super::display(g, v)),
            )
        })
    });
    Some(Attempt {
        rule: rule_ref(g, rule),
        rule_id,
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
    let name = g.name_of(rule.head.pred);
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

/// The outputs `value` could be a value of, each written with it (`recommend(rails)`): those
/// with a conclusion holding it in this run, and those a rule concludes with a variable that
/// a condition takes from stated facts holding it (`recommend(F)` from `written_in(F, L)`).
fn value_of_outputs(g: &FactGraph, value: &str) -> Vec<String> {
    let Some(sym) = g.interner.get(value) else {
        return Vec::new();
    };
    let v = Val::Sym(sym);
    let mut out: Vec<String> = Vec::new();
    for o in g.kb.outputs() {
        let n = o.params.len();
        let mut position = g
            .facts_of(&o.name.node, n)
            .into_iter()
            .find_map(|f| g.store.args(f).iter().position(|x| x == v));
        for r in
            g.kb.rules
                .iter()
                .filter(|r| g.name_of(r.head.pred) == o.name.node)
        {
            if position.is_some() {
                break;
            }
            for (i, e) in r.head.args.iter().enumerate() {
                let CExpr::Term(Term::Var(hv)) = e else {
                    continue;
                };
                let from_facts = r.body.iter().any(|l| match l {
                    CLit::Pos(a) => a.args.iter().enumerate().any(|(k, t)| {
                        *t == Term::Var(*hv)
                            && g.store
                                .facts_of(a.pred)
                                .any(|f| g.store.args(f).try_get(k) == Some(v))
                    }),
                    _ => false,
                });
                if from_facts {
                    position = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = position {
            let args: Vec<String> = (0..n)
                .map(|k| {
                    if k == i {
                        value.to_string()
                    } else {
                        "_".to_string()
                    }
                })
                .collect();
            out.push(format!("{}({})", o.name.node, args.join(", ")));
        }
    }
    out
}
