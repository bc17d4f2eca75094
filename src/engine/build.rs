//! The engine's passes over a checked program, in the order `load::compile` calls them:
//! stated facts into the fact store, declarations, rules into join plans, and the evaluation
//! order (stratification) from the dependency graph the check built.

use super::compile::{CLit, CRule, Compiler, Term};
use super::facts::{FactStore, PredId};
use super::spill::Slot;
use super::value::{Interner, Sym, Val};
use super::{Component, KnowledgeBase, Stated};
use crate::ast::{FactValue, Item, Output, Question};
use crate::deps::DepGraph;
use crate::diag::Diagnostic;
use crate::program::Program;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// A knowledge base being built, pass by pass.
#[derive(Default)]
pub(crate) struct Parts {
    interner: Interner,
    base: FactStore,
    base_assertions: super::StatedFacts,
    questions: Vec<Question>,
    outputs: Vec<Output>,
    rules: Vec<CRule>,
    components: Vec<Component>,
    pred_component: Vec<Option<u32>>,
    names: BTreeMap<String, String>,
    threshold: Option<f64>,
    uncertain: Vec<bool>,
}

/// Pass: the facts the rule files state, into the base fact store. Stated facts go first, so
/// relation sizes guide join order. Each chunk is freed once its facts are in the store (on
/// large fact files they are much of the memory), so the store can reuse its memory.
pub(crate) fn stated_facts(program: &mut Program, parts: &mut Parts) {
    let Parts {
        interner,
        base,
        base_assertions,
        ..
    } = parts;
    // Exact sizes: with hundreds of thousands of stated facts, a doubling vector's slack is
    // tens of megabytes.
    let (n_facts, n_args) = program
        .fact_chunks()
        .fold((0, 0), |(n, a), c| (n + c.len(), a + c.value_count()));
    base.reserve(n_facts, n_args);
    base_assertions.reserve_exact(n_facts);
    let mut args: Vec<Val> = Vec::new();
    for chunk in program.take_fact_chunks() {
        // A chunk's names are interned once, and its predicates registered once.
        let names: Vec<Sym> = chunk.names().iter().map(|n| interner.intern(n)).collect();
        let mut preds: FxHashMap<(u32, usize), PredId> = FxHashMap::default();
        for f in chunk.iter() {
            let values = f.raw_values();
            let pred = *preds
                .entry((f.pred_id(), values.len()))
                .or_insert_with(|| base.pred(names[f.pred_id() as usize], values.len()));
            args.clear();
            args.extend(values.map(|v| match v {
                FactValue::Sym(i) => Val::Sym(names[i as usize]),
                FactValue::Str(i) => Val::Str(names[i as usize]),
                FactValue::Int(i) => Val::Int(i),
                FactValue::Dec(d) => Val::dec(d),
                FactValue::Bool(b) => Val::Bool(b),
                // Reported by the check (E0114): a program with errors is not compiled.
                FactValue::NotPlain => Val::Bool(false),
            }));
            let fact = base.push_bulk(pred, &args);
            base_assertions.push(Stated {
                fact,
                certainty: f.certainty().map_or(1.0, |c| c.node),
                span: f.span(),
            });
        }
    }
    // A fact stated twice is one fact with two assertions.
    if let Some(remap) = base.dedup_bulk() {
        base_assertions.remap(&remap);
    }
}

/// Pass: questions and outputs. Their predicates exist even with no facts.
pub(crate) fn declarations(program: &Program, parts: &mut Parts) {
    for q in program.questions() {
        let name = parts.interner.intern(&q.name.node);
        parts.base.pred(name, 1);
        for v in &q.allowed {
            parts.interner.value(&v.node);
        }
    }
    for o in program.outputs() {
        let name = parts.interner.intern(&o.name.node);
        parts.base.pred(name, o.params.len());
    }
    parts.questions = program.questions().cloned().collect();
    parts.outputs = program.outputs().cloned().collect();
    for item in program.items() {
        match item {
            Item::Name(n) => {
                parts
                    .names
                    .entry(n.symbol.node.clone())
                    .or_insert_with(|| n.text.node.clone());
            }
            Item::Threshold(t) => parts.threshold = Some(t.value.node),
            _ => {}
        }
    }
}

/// Pass: every rule alternative, one compiled rule per conclusion. Rules are flattened and
/// compiled one at a time (the check flattened them too, borrowing the program), and their
/// items dropped as soon as compiled, so a large program's syntax tree and its compiled
/// rules are never all in memory at once.
pub(crate) fn rules(
    program: &mut Program,
    parts: &mut Parts,
    deps: &DepGraph,
    comps: &[Vec<petgraph::graph::NodeIndex>],
) {
    let n_rules: usize = program.rules().map(|r| r.heads.len()).sum();
    parts.rules.reserve_exact(n_rules);
    let node_component = node_components(deps, comps);
    let component = |name: &str| deps.index.get(name).map(|n| node_component[n.index()]);
    let mut c = Compiler {
        interner: &mut parts.interner,
        store: &mut parts.base,
        distinct: Default::default(),
        component: &component,
    };
    let mut origin = 0u32;
    for (_, module) in std::mem::take(&mut program.modules) {
        for item in module.items {
            let Item::Rule(rule) = item else { continue };
            origin += 1;
            // Rules past the alternatives limit were reported by the check (E0006).
            let Some(alts) = crate::program::flatten(&rule) else {
                continue;
            };
            let n = alts.len();
            for fr in &alts {
                for h in 0..rule.heads.len() {
                    parts.rules.push(c.rule(fr, h, n, origin - 1));
                }
            }
        }
    }
}

/// The component (index in `comps`) of each node of the dependency graph.
fn node_components(deps: &DepGraph, comps: &[Vec<petgraph::graph::NodeIndex>]) -> Vec<u32> {
    let mut of = vec![u32::MAX; deps.graph.node_count()];
    for (i, c) in comps.iter().enumerate() {
        for n in c {
            of[n.index()] = i as u32;
        }
    }
    of
}

/// Pass: the evaluation order. Each strongly connected component of the dependency graph
/// (in dependency order) gets the rules that conclude its predicates and the trigger tables
/// that find which rules a new fact can fire.
pub(crate) fn stratify(
    deps: &DepGraph,
    comps: &[Vec<petgraph::graph::NodeIndex>],
    parts: &mut Parts,
) {
    let node_component = node_components(deps, comps);
    parts.pred_component = parts
        .base
        .preds
        .iter()
        .map(|p| {
            let name = parts.interner.name(p.name);
            deps.index.get(name).map(|n| node_component[n.index()])
        })
        .collect();
    parts.components = components(comps.len(), &parts.pred_component, &parts.rules);
    let uncertain = uncertain_predicates(parts);
    parts.uncertain = uncertain.clone();
    for c in &mut parts.components {
        c.certain = !c
            .rules
            .iter()
            .any(|&r| uncertain[parts.rules[r].head.pred as usize]);
    }
}

/// Which predicates' facts may have a certainty other than 1: questions (answers may carry
/// one), predicates with a stated fact that does, conclusions of rules with a factor other
/// than 1, and, through the rules, conclusions resting on any of these. A component with
/// none of them gives every fact it derives certainty 1, so the run needs to compute
/// nothing for it (see `engine::strength`).
fn uncertain_predicates(parts: &Parts) -> Vec<bool> {
    let n = parts.base.preds.len();
    let mut uncertain = vec![false; n];
    for q in &parts.questions {
        if let Some(p) = parts
            .interner
            .get(&q.name.node)
            .and_then(|name| parts.base.find_pred(name, 1))
        {
            uncertain[p as usize] = true;
        }
    }
    if !parts.base_assertions.all_certain() {
        for s in parts.base_assertions.iter() {
            if s.certainty != 1.0 {
                uncertain[parts.base.pred_of(s.fact) as usize] = true;
            }
        }
    }
    // Rules by the predicates they read positively (premises pass their certainty on).
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut todo = Vec::new();
    for (r, rule) in parts.rules.iter().enumerate() {
        for &lit in rule.positives.iter() {
            if let CLit::Pos(a) = &rule.body[lit] {
                readers[a.pred as usize].push(r);
            }
        }
        if rule.cf != 1.0 && !uncertain[rule.head.pred as usize] {
            uncertain[rule.head.pred as usize] = true;
        }
    }
    todo.extend((0..n).filter(|&p| uncertain[p]));
    while let Some(p) = todo.pop() {
        for &r in &readers[p] {
            let h = parts.rules[r].head.pred as usize;
            if !uncertain[h] {
                uncertain[h] = true;
                todo.push(h);
            }
        }
    }
    uncertain
}

impl Parts {
    /// The finished knowledge base.
    pub(crate) fn finish(
        self,
        sources: crate::span::SourceMap,
        deps: DepGraph,
        warnings: Vec<Diagnostic>,
    ) -> KnowledgeBase {
        let mut question_index = rustc_hash::FxHashMap::default();
        for (i, q) in self.questions.iter().enumerate() {
            question_index.entry(q.name.node.clone()).or_insert(i);
        }
        let threshold = self.threshold.unwrap_or(crate::ast::DEFAULT_THRESHOLD);
        let strength = super::strength::Stated::new(&self.base, &self.base_assertions, threshold);
        let base_asserted = super::BaseAsserted::of(self.base.len(), &self.base_assertions);
        KnowledgeBase {
            names: self.names,
            threshold,
            strength,
            uncertain: self.uncertain,
            questions: self.questions,
            question_index,
            outputs: self.outputs,
            warnings,
            sources,
            interner: self.interner,
            base: self.base,
            base_asserted,
            base_assertions: self.base_assertions,
            rules: self.rules,
            components: self.components,
            pred_component: self.pred_component,
            deps,
            closed: std::sync::OnceLock::new(),
            closed_plan: std::sync::OnceLock::new(),
        }
    }
}

/// The components' rules and trigger tables, given each predicate's component.
fn components(n: usize, pred_component: &[Option<u32>], rules: &[CRule]) -> Vec<Component> {
    let pred_comp = |p: PredId| pred_component[p as usize].map(|c| c as usize);
    let mut out: Vec<Component> = vec![Component::default(); n];
    for (r, rule) in rules.iter().enumerate() {
        let Some(c) = pred_comp(rule.head.pred) else {
            continue;
        };
        let comp = &mut out[c];
        comp.rules.push(r);
        for (k, &lit) in rule.positives.iter().enumerate() {
            let CLit::Pos(a) = &rule.body[lit] else {
                continue;
            };
            if pred_comp(a.pred) != Some(c) {
                continue;
            }
            comp.recursive = true;
            match a.args.iter().enumerate().find_map(|(pos, t)| match t {
                Term::Const(v) => Some((pos, *v)),
                _ => None,
            }) {
                Some((pos, v)) => {
                    let (lists, pair) = (&mut comp.keyed_lists, (r as u32, k as u32));
                    comp.keyed
                        .entry((a.pred, pos as u32, v))
                        .and_modify(|slot| lists.push(slot, pair))
                        .or_insert(Slot::One(pair));
                    let ps = comp.keyed_positions.entry(a.pred).or_default();
                    if !ps.contains(&pos) {
                        ps.push(pos);
                    }
                }
                None => comp.wild.entry(a.pred).or_default().push((r, k)),
            }
        }
    }
    out
}
