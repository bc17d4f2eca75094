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
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct HowOptions {
    /// Show every derivation of each fact, not only the minimal one.
    pub all: bool,
    /// Expand facts down to this depth (the target is depth 0); deeper facts are listed by
    /// handle only.
    pub depth: Option<usize>,
}

/// How a fact was reached, every node built ([`explain`]).
pub type How = HowOf<Vec<Node>>;

/// How a fact was reached, each node built as it is written ([`tree`]): a tree of millions
/// of nodes is written without being held. Both serialise to the same JSON, field for field,
/// since they are one type.
pub type Tree<'g> = HowOf<Nodes<'g>>;

#[derive(Debug, Clone, Serialize)]
pub struct HowOf<N> {
    pub schema_version: &'static str,
    pub kind: &'static str,
    pub target: String,
    /// Node ids are positions in `nodes`, in depth-first order from the target (node 1).
    pub nodes: N,
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

/// How `target` was reached, every node built.
pub fn explain(g: &FactGraph, target: FactId, opts: HowOptions) -> How {
    tree(g, target, opts).into_owned()
}

impl Tree<'_> {
    /// The tree with every node built.
    pub fn into_owned(self) -> How {
        HowOf {
            nodes: (0..self.nodes.len()).map(|i| self.nodes.node(i)).collect(),
            schema_version: self.schema_version,
            kind: self.kind,
            target: self.target,
            certainty: self.certainty,
            errors: self.errors,
        }
    }
}

/// How `target` was reached: which facts the tree shows, worked out now; each node's text
/// when it is asked for ([`Nodes::node`]) or written.
pub fn tree<'g>(g: &'g FactGraph<'g>, target: FactId, opts: HowOptions) -> Tree<'g> {
    let plan = Plan::of(g, target, opts);
    // What a rule shows the same way in every derivation, worked out once per rule shown.
    let mut rules: Vec<Option<RuleParts>> = vec![None; g.kb.rules.len()];
    for &d in &plan.shown {
        let rule = g.derivation(d).rule as usize;
        if rules[rule].is_none() {
            rules[rule] = Some(RuleParts::of(g, &g.kb.rules[rule]));
        }
    }
    // Run-time errors of the rules shown (by name: a rule's clauses share it).
    let names: std::collections::BTreeSet<&str> = rules
        .iter()
        .flatten()
        .map(|p| p.rule.name.as_str())
        .collect();
    let errors = super::errors_for(g, |r| {
        names.contains(g.kb.rules[r as usize].meta.name.as_str())
    });
    HowOf {
        schema_version: super::SCHEMA_VERSION,
        kind: "how",
        target: g.show_fact(target),
        certainty: certainty::explain(g, target),
        errors,
        nodes: Nodes { g, plan, rules },
    }
}

/// A tree's nodes, each built when asked for.
pub struct Nodes<'g> {
    g: &'g FactGraph<'g>,
    plan: Plan,
    /// The parts of each rule shown (indexed by rule id).
    rules: Vec<Option<RuleParts>>,
}

impl Nodes<'_> {
    pub fn len(&self) -> usize {
        self.plan.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.plan.order.is_empty()
    }

    /// Node `i` (0-based; its id is `i + 1`).
    pub fn node(&self, i: usize) -> Node {
        let (g, step) = (self.g, &self.plan.order[i]);
        let f = step.fact;
        let given = g
            .assertions_of(f)
            .map(|i| {
                let a = g.assertion(i);
                Given {
                    location: Location::from_origin(&a.origin),
                    key: a.origin.key.as_deref().map(str::to_string),
                    certainty: round_cf(a.certainty),
                }
            })
            .collect();
        let shown = self.plan.shown(i);
        let contribs = if shown.is_empty() {
            Vec::new()
        } else {
            g.contributions(f)
        };
        let derivations = shown
            .iter()
            .map(|&d| {
                let rule = g.derivation(d).rule as usize;
                let (cf, not_counted) = contribution(&contribs, d)
                    .map_or((0.0, None), |c| (c.certainty, c.not_counted));
                derivation(
                    g,
                    self.rules[rule].as_ref().expect("every shown rule's parts"),
                    d,
                    (round_cf(cf), not_counted.map(super::not_counted_code)),
                    &self.plan.ids,
                )
            })
            .collect();
        Node {
            id: i + 1,
            fact: g.show_fact(f),
            words: words(g, f),
            certainty: round_cf(g.certainty(f)),
            depth: step.depth as usize,
            given,
            derivations,
            other_derivations: if step.cut {
                0
            } else {
                step.total as usize - shown.len()
            },
            unrecorded_derivations: g.unrecorded_derivations(f),
            cut: step.cut,
        }
    }
}

impl std::fmt::Debug for Nodes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Nodes({})", self.len())
    }
}

/// Written one node at a time: each is built, written and dropped. A large tree's nodes are
/// built on a second thread, a batch ahead of the writer (building a node and writing it
/// take about as long).
impl Serialize for Nodes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        const BATCH: usize = 1024;
        let mut seq = s.serialize_seq(Some(self.len()))?;
        if self.len() <= 4 * BATCH {
            for i in 0..self.len() {
                seq.serialize_element(&self.node(i))?;
            }
            return seq.end();
        }
        std::thread::scope(|scope| {
            // Two batches in flight: the builder stays ahead without holding the tree.
            let (send, batches) = std::sync::mpsc::sync_channel::<Vec<Node>>(2);
            let builder = std::thread::Builder::new().spawn_scoped(scope, move || {
                for start in (0..self.len()).step_by(BATCH) {
                    let end = (start + BATCH).min(self.len());
                    // The writer stopped (a write failed, and it returned): stop building.
                    if send
                        .send((start..end).map(|i| self.node(i)).collect())
                        .is_err()
                    {
                        return;
                    }
                }
            });
            if builder.is_err() {
                // No thread to be had: build each node here.
                for i in 0..self.len() {
                    seq.serialize_element(&self.node(i))?;
                }
                return seq.end();
            }
            for batch in batches {
                for node in &batch {
                    seq.serialize_element(node)?;
                }
            }
            seq.end()
        })
    }
}

/// Which facts a tree shows and how: its nodes in depth-first order (children in condition
/// order), each with the derivations it shows. About 20 bytes a node, and 4 a fact of the
/// graph: a chain of a million facts is planned in a few tens of megabytes.
struct Plan {
    order: Vec<Step>,
    /// The shown derivations of every node, each node's a range of it (from the end of the
    /// previous node's).
    shown: Vec<DerivId>,
    /// Each shown fact's node id (1-based, as in the output).
    ids: NodeIds,
}

/// Node ids by fact: a hash table while the tree is small beside the graph, a table over
/// every fact once it is not (a chain of a million facts would spend most of its planning
/// hashing; a two-node tree in a graph of millions must not clear megabytes).
enum NodeIds {
    Sparse(rustc_hash::FxHashMap<FactId, u32>),
    Dense(Vec<u32>),
}

impl NodeIds {
    /// The node of fact `f`, if it has one.
    fn get(&self, f: FactId) -> Option<u32> {
        match self {
            NodeIds::Sparse(m) => m.get(&f).copied(),
            NodeIds::Dense(v) => Some(v[f as usize]).filter(|&id| id != 0),
        }
    }

    /// Give fact `f` node `id`, in a graph of `facts` facts.
    fn insert(&mut self, f: FactId, id: u32, facts: usize) {
        match self {
            NodeIds::Sparse(m) => {
                m.insert(f, id);
                if m.len() > (facts / 64).max(1024) {
                    let mut v = vec![0; facts];
                    for (&f, &id) in m.iter() {
                        v[f as usize] = id;
                    }
                    *self = NodeIds::Dense(v);
                }
            }
            NodeIds::Dense(v) => v[f as usize] = id,
        }
    }
}

struct Step {
    fact: FactId,
    depth: u32,
    /// The end of this node's range of `shown`.
    shown_end: u32,
    /// How many derivations the fact has.
    total: u32,
    /// Not expanded: deeper than `--depth`.
    cut: bool,
}

impl Plan {
    fn of(g: &FactGraph, target: FactId, opts: HowOptions) -> Plan {
        let mut plan = Plan {
            order: Vec::new(),
            shown: Vec::new(),
            ids: NodeIds::Sparse(Default::default()),
        };
        let facts = g.fact_count();
        let mut stack = vec![(target, 0u32)];
        let mut ds: Vec<DerivId> = Vec::new();
        let mut children = Vec::new();
        while let Some((f, depth)) = stack.pop() {
            if plan.ids.get(f).is_some() {
                continue;
            }
            let id = u32::try_from(plan.order.len() + 1).expect("under 2^32 nodes");
            plan.ids.insert(f, id, facts);
            let cut = opts.depth.is_some_and(|d| depth as usize > d) && !g.is_asserted(f);
            ds.clear();
            ds.extend(g.derivations_of(f));
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
            plan.shown.extend_from_slice(&ds);
            plan.order.push(Step {
                fact: f,
                depth,
                shown_end: plan.shown.len() as u32,
                total: total as u32,
                cut,
            });
            for &fact in children.iter().rev() {
                if plan.ids.get(fact).is_none() {
                    stack.push((fact, depth + 1));
                }
            }
        }
        plan
    }

    /// The derivations node `i` (0-based) shows.
    fn shown(&self, i: usize) -> &[DerivId] {
        let start = if i == 0 {
            0
        } else {
            self.order[i - 1].shown_end as usize
        };
        &self.shown[start..self.order[i].shown_end as usize]
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
    ids: &NodeIds,
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
                    node: ids
                        .get(fact)
                        .expect("a premise of a shown derivation is a node")
                        as usize,
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
