//! How a fact was reached: the tree of derivations down to given facts, read from the graph.
//! Built iteratively, so a derivation chain 100,000 rules deep needs no deep recursion.

use super::certainty::{self, CertaintyExplanation};
use super::{
    atom_text, expr_text, interpolate, round_cf, rule_ref, show, test_text, words, words_for,
    Binding, ErrorView, Location, RuleRef,
};
use crate::engine::compile::{CLit, CRule};
use crate::engine::eval::eval_expr;
use crate::engine::facts::FactId;
use crate::engine::graph::{Contribution, DerivId, Evidence, FactGraph};
use rustc_hash::FxHashMap;
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct HowOptions {
    /// Show every derivation of each fact, not only the minimal one.
    pub all: bool,
    /// Expand facts down to this depth (the target is depth 0); deeper facts are listed by
    /// handle only.
    pub depth: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct How {
    pub schema_version: &'static str,
    pub kind: &'static str,
    pub target: String,
    /// Node ids are positions in `nodes`, in depth-first order from the target (node 1).
    pub nodes: Vec<Node>,
    pub certainty: CertaintyExplanation,
    pub errors: Vec<ErrorView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: usize,
    pub fact: String,
    /// Plain-words form of the fact (question prompts' names, output labels).
    pub words: String,
    pub certainty: f64,
    pub depth: usize,
    pub given: Vec<Given>,
    pub derivations: Vec<DerivationView>,
    /// Derivations not shown (only the minimal one is, without `--all`).
    pub other_derivations: usize,
    /// Derivations past the per-fact cap: counted during the run, never recorded.
    #[serde(skip_serializing_if = "is_zero")]
    pub unrecorded_derivations: u64,
    /// Not expanded: deeper than `--depth`.
    pub cut: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Given {
    pub location: Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub certainty: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DerivationView {
    /// Shared by every derivation of the rule in the tree (a long chain has millions).
    pub rule: std::sync::Arc<RuleRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What this derivation brings: the rule's factor times its weakest condition.
    pub certainty: f64,
    /// Whether it is combined into the fact's certainty (see `docs/semantics.md`).
    pub counted: bool,
    /// Why not, if not: `cycle`, `same_rule` or `asserted` (as in the certainty section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_counted: Option<&'static str>,
    pub bindings: Vec<Binding>,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// A positive condition, met by a fact explained at node `node`.
    Fact {
        text: String,
        fact: String,
        node: usize,
    },
    /// A comparison, with both sides' values.
    Compare {
        text: String,
        left: String,
        left_value: String,
        op: String,
        right: String,
        right_value: String,
    },
    Member {
        text: String,
        value: String,
        negated: bool,
        values: Vec<String>,
    },
    /// A negated condition: this fact was neither given nor derived.
    Absent {
        text: String,
        fact: String,
        words: String,
    },
}

pub fn explain(g: &FactGraph, target: FactId, opts: HowOptions) -> How {
    // Two passes, so that a tree of millions of nodes is built without growing (and copying)
    // its vectors: first which facts it shows, in order, then each node in place.
    let plan = Plan::of(g, target, opts);
    // What a rule shows the same way in every derivation, worked out once per rule.
    let mut rules: Vec<Option<RuleParts>> = vec![None; g.kb.rules.len()];
    let mut nodes: Vec<Node> = Vec::with_capacity(plan.order.len());
    for (i, step) in plan.order.iter().enumerate() {
        let f = step.fact;
        let given = g
            .assertions_of(f)
            .map(|i| {
                let a = g.assertion(i);
                Given {
                    location: Location::from_origin(&a.origin),
                    key: a.origin.key.clone(),
                    certainty: round_cf(a.certainty),
                }
            })
            .collect();
        let shown = &plan.shown[step.shown.0..step.shown.1];
        let contribs = if shown.is_empty() {
            Vec::new()
        } else {
            g.contributions(f)
        };
        let mut derivations = Vec::with_capacity(shown.len());
        for &d in shown {
            let rule = g.derivation(d).rule as usize;
            if rules[rule].is_none() {
                rules[rule] = Some(RuleParts::of(g, &g.kb.rules[rule]));
            }
            let (cf, not_counted) =
                contribution(&contribs, d).map_or((0.0, None), |c| (c.certainty, c.not_counted));
            derivations.push(derivation(
                g,
                rules[rule].as_ref().expect("filled above"),
                d,
                (round_cf(cf), not_counted.map(super::not_counted_code)),
                &plan.ids,
            ));
        }
        nodes.push(Node {
            id: i + 1,
            fact: g.show_fact(f),
            words: words(g, f),
            certainty: round_cf(g.certainty(f)),
            depth: step.depth,
            given,
            derivations,
            other_derivations: if step.cut {
                0
            } else {
                step.total - shown.len()
            },
            unrecorded_derivations: g.unrecorded_derivations(f),
            cut: step.cut,
        });
    }
    let names: std::collections::BTreeSet<&str> = nodes
        .iter()
        .flat_map(|n| n.derivations.iter().map(|d| d.rule.name.as_str()))
        .collect();
    let errors = super::errors_for(g, |r| {
        names.contains(g.kb.rules[r as usize].meta.name.as_str())
    });
    How {
        schema_version: super::SCHEMA_VERSION,
        kind: "how",
        target: g.show_fact(target),
        nodes,
        certainty: certainty::explain(g, target),
        errors,
    }
}

/// Which facts a tree shows and how: its nodes in depth-first order (children in condition
/// order), each with the derivations it shows.
struct Plan {
    order: Vec<Step>,
    /// The shown derivations of every node, each node's a range of it.
    shown: Vec<DerivId>,
    /// Each shown fact's node id (1-based, as in the output).
    ids: FxHashMap<FactId, usize>,
}

struct Step {
    fact: FactId,
    depth: usize,
    shown: (usize, usize),
    /// How many derivations the fact has.
    total: usize,
    /// Not expanded: deeper than `--depth`.
    cut: bool,
}

impl Plan {
    fn of(g: &FactGraph, target: FactId, opts: HowOptions) -> Plan {
        let mut plan = Plan {
            order: Vec::new(),
            shown: Vec::new(),
            ids: FxHashMap::default(),
        };
        let mut stack = vec![(target, 0usize)];
        let mut children = Vec::new();
        while let Some((f, depth)) = stack.pop() {
            if plan.ids.contains_key(&f) {
                continue;
            }
            plan.ids.insert(f, plan.order.len() + 1);
            let cut = opts.depth.is_some_and(|d| depth > d) && !g.is_asserted(f);
            let mut ds: Vec<DerivId> = g.derivations_of(f).collect();
            let total = ds.len();
            if ds.len() > 1 {
                // Minimal height first; among those, the strongest support.
                let contribs = g.contributions(f);
                let cf_of = |d| contribution(&contribs, d).map_or(0.0, |c| c.certainty);
                ds.sort_by(|&a, &b| {
                    g.height(a)
                        .cmp(&g.height(b))
                        .then_with(|| {
                            cf_of(b)
                                .partial_cmp(&cf_of(a))
                                .unwrap_or(std::cmp::Ordering::Equal)
                        })
                        .then_with(|| g.cmp_derivations(a, b))
                });
            }
            if !opts.all {
                ds.truncate(1);
            }
            if cut {
                ds.clear();
            }
            children.clear();
            for &d in &ds {
                children.extend(premises_in_condition_order(g, d));
            }
            let start = plan.shown.len();
            plan.shown.extend_from_slice(&ds);
            plan.order.push(Step {
                fact: f,
                depth,
                shown: (start, plan.shown.len()),
                total,
                cut,
            });
            for &fact in children.iter().rev() {
                if !plan.ids.contains_key(&fact) {
                    stack.push((fact, depth + 1));
                }
            }
        }
        plan
    }
}

/// A derivation's premises in the order of the rule's positive conditions.
fn premises_in_condition_order<'g>(
    g: &'g FactGraph<'_>,
    d: DerivId,
) -> impl Iterator<Item = FactId> + 'g {
    let rule = &g.kb.rules[g.derivation(d).rule as usize];
    let prems = g.premises(d);
    rule.body
        .iter()
        .enumerate()
        .filter_map(move |(i, lit)| match lit {
            CLit::Pos(_) => Some(premise_of(rule, prems, i)),
            _ => None,
        })
}

/// The premise that met positive condition `i` of `rule`, among a derivation's premises (kept
/// in the order of the rule's positive conditions).
fn premise_of(rule: &CRule, prems: &[FactId], i: usize) -> FactId {
    let slot = rule.positives.iter().position(|&p| p == i).unwrap_or(0);
    prems[slot]
}

/// What derivation `d` brings to its fact, among the fact's contributions.
fn contribution(contribs: &[Contribution], d: DerivId) -> Option<&Contribution> {
    contribs.iter().find(|c| c.evidence == Evidence::Derived(d))
}

/// The parts of a rule's view that are the same in each of its derivations.
#[derive(Clone)]
struct RuleParts {
    rule: std::sync::Arc<RuleRef>,
    /// Each condition as written (blanks collapsed).
    texts: Vec<String>,
}

impl RuleParts {
    fn of(g: &FactGraph, rule: &CRule) -> RuleParts {
        RuleParts {
            rule: std::sync::Arc::new(rule_ref(g, rule)),
            texts: (0..rule.body.len())
                .map(|i| g.kb.text(rule.meta.literals[i]))
                .collect(),
        }
    }
}

/// One derivation's view; a positive condition names the node that explains its premise.
fn derivation(
    g: &FactGraph,
    parts: &RuleParts,
    d: DerivId,
    (cf, not_counted): (f64, Option<&'static str>),
    ids: &FxHashMap<FactId, usize>,
) -> DerivationView {
    let der = g.derivation(d);
    let rule = &g.kb.rules[der.rule as usize];
    let binds = g.bindings(d);
    let names = &rule.meta.var_names;
    let val = |v: u16| Some(binds[v as usize]);
    let prems = g.premises(d);
    let mut conditions = Vec::with_capacity(rule.body.len());
    for (i, lit) in rule.body.iter().enumerate() {
        let text = parts.texts[i].clone();
        conditions.push(match lit {
            CLit::Pos(_) => {
                let fact = premise_of(rule, prems, i);
                Condition::Fact {
                    text,
                    fact: g.show_fact(fact),
                    // Every premise of a shown derivation is a node of the plan.
                    node: ids[&fact],
                }
            }
            CLit::Neg(a) => {
                let pred = g.name_of(a.pred);
                let args: Vec<String> = a
                    .args
                    .iter()
                    .map(|t| match *t {
                        crate::engine::compile::Term::Const(c) => super::display(g, c),
                        crate::engine::compile::Term::Var(v)
                            if !names[v as usize].starts_with('_') =>
                        {
                            super::display(g, binds[v as usize])
                        }
                        _ => "anything".to_string(),
                    })
                    .collect();
                Condition::Absent {
                    text,
                    fact: atom_text(g, a.pred, &a.args, names, &val),
                    words: words_for(g, pred, &args),
                }
            }
            CLit::Cmp(l, op, r) => {
                let ev = |e| {
                    eval_expr(e, &val)
                        .map_or_else(|e| format!("error: {e}"), |v| show(&g.interner, v))
                };
                Condition::Compare {
                    text: test_text(g, lit, names),
                    left: expr_text(g, l, names),
                    left_value: ev(l),
                    op: op.symbol().to_string(),
                    right: expr_text(g, r, names),
                    right_value: ev(r),
                }
            }
            CLit::In(e, negated, vals) => Condition::Member {
                text: test_text(g, lit, names),
                value: eval_expr(e, &val)
                    .map_or_else(|e| format!("error: {e}"), |v| show(&g.interner, v)),
                negated: *negated,
                values: vals.iter().map(|v| show(&g.interner, *v)).collect(),
            },
        });
    }
    let reason = rule
        .meta
        .because
        .as_ref()
        .map(|t| interpolate(t, names, &|i| Some(super::display(g, binds[i]))));
    DerivationView {
        rule: parts.rule.clone(),
        reason,
        certainty: cf,
        counted: not_counted.is_none(),
        not_counted,
        bindings: names
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.starts_with('_'))
            .map(|(i, n)| Binding {
                var: n.clone(),
                value: show(&g.interner, binds[i]),
            })
            .collect(),
        conditions,
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
