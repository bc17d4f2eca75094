//! The engine: a checked program compiled into a [`KnowledgeBase`], which runs on facts and
//! returns a [`FactGraph`](crate::graph::FactGraph).

pub mod compile;
pub mod eval;
pub mod facts;
mod spill;
pub mod value;

use crate::ast::{Const, FactValue, Item, Output, Question};
use crate::check::{self, Report};
use crate::deps::DepGraph;
use crate::diag::Diagnostic;
use crate::graph::FactGraph;
use crate::program::Program;
use crate::syntax::span::{SourceMap, Span};
use compile::{CLit, CRule, Compiler, Term};
use eval::{Limits, RunError};
use facts::{FactId, FactStore, PredId, RunStore};
use rustc_hash::{FxHashMap, FxHashSet};
use spill::{Slot, Spill};
use std::collections::BTreeMap;
use value::{Interner, Sym, Val};

/// Where an asserted fact came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Origin {
    /// File name as shown to users (relative to the working directory when inside it).
    pub file: std::sync::Arc<str>,
    pub line: u32,
    pub col: u32,
    pub start: u32,
    pub end: u32,
    /// The facts-file key the fact was given under, if it came from a facts file.
    pub key: Option<String>,
}

impl Origin {
    pub fn from_span(
        sources: &crate::syntax::span::SourceMap,
        span: Span,
        key: Option<String>,
    ) -> Origin {
        let (line, col) = sources.line_col(span);
        Origin {
            file: std::sync::Arc::clone(&sources.get(span.file).name),
            line,
            col,
            start: span.start,
            end: span.end,
            key,
        }
    }
}

/// A fact given as input: from a facts file, an answer, or the API.
#[derive(Debug, Clone)]
pub struct InputFact {
    pub pred: String,
    pub args: Vec<Const>,
    pub certainty: f64,
    pub origin: Origin,
}

/// An asserted fact with its certainty and origin.
#[derive(Debug, Clone)]
pub struct Assertion {
    pub fact: FactId,
    pub certainty: f64,
    pub origin: Origin,
}

/// A fact stated in a rule file: an [`Assertion`] whose origin is a place in the rule files
/// (kept as a span: large fact files state hundreds of thousands of facts, and a full
/// origin costs three times the memory).
#[derive(Debug, Clone, Copy)]
pub struct Stated {
    pub fact: FactId,
    pub certainty: f64,
    pub span: Span,
}

impl KnowledgeBase {
    /// The stated fact's assertion, with its origin.
    pub fn stated_assertion(&self, s: &Stated) -> Assertion {
        Assertion {
            fact: s.fact,
            certainty: s.certainty,
            origin: Origin::from_span(&self.sources, s.span, None),
        }
    }
}

/// One strongly connected component of the predicate dependency graph, with the rules that
/// conclude its predicates and the index that finds which rules a new fact can trigger.
#[derive(Debug, Clone, Default)]
pub struct Component {
    pub rules: Vec<usize>,
    pub recursive: bool,
    /// (rule, positive slot) pairs reading a predicate of this component, by predicate.
    wild: FxHashMap<PredId, Vec<(usize, usize)>>,
    /// Those whose condition has a constant at some position, by (predicate, position, value).
    /// A chain of rules has one key per rule, each with one pair, kept in the key (no
    /// allocation, and no second cache miss to read it).
    keyed: FxHashMap<(PredId, u32, Val), Slot<(u32, u32)>>,
    keyed_lists: Spill<(u32, u32)>,
    keyed_positions: FxHashMap<PredId, Vec<usize>>,
}

impl Component {
    /// The (rule, slot) pairs that the facts `lo..hi` can trigger, sorted, into `out`
    /// (`seen` is scratch; both are reused from round to round: a chain of rules has a
    /// round per rule).
    pub(crate) fn triggered(
        &self,
        store: &RunStore<'_>,
        lo: FactId,
        hi: FactId,
        out: &mut Vec<(usize, usize)>,
        seen: &mut FxHashSet<PredId>,
    ) {
        out.clear();
        seen.clear();
        for f in lo..hi {
            let p = store.pred_of(f);
            if seen.insert(p) {
                if let Some(v) = self.wild.get(&p) {
                    out.extend_from_slice(v);
                }
            }
            if let Some(positions) = self.keyed_positions.get(&p) {
                let args = store.args(f);
                for &pos in positions {
                    if let Some(slot) = self.keyed.get(&(p, pos as u32, args[pos])) {
                        let pairs = self.keyed_lists.get(slot);
                        out.extend(pairs.iter().map(|&(r, k)| (r as usize, k as usize)));
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// A checked, compiled program: rules with join plans, the facts its files state, and its
/// questions and outputs. Immutable; [`KnowledgeBase::run`] may be called from many threads.
pub struct KnowledgeBase {
    /// The rule files' text, for showing where things are. (The parsed items are dropped
    /// once compiled: on large fact files they were most of the memory.)
    pub sources: SourceMap,
    pub interner: Interner,
    /// Facts stated in rule files, with the indexes the rules need.
    pub base: FactStore,
    pub base_assertions: Vec<Stated>,
    pub rules: Vec<CRule>,
    pub components: Vec<Component>,
    /// Index in `components` (dependency order) of each predicate's component; predicates
    /// that no rule mentions have none.
    pub pred_component: Vec<Option<u32>>,
    /// Warnings found while checking (errors prevent compiling).
    pub warnings: Vec<Diagnostic>,
    /// Declarations, kept apart from the program's items so that looking one up does not
    /// walk every stated fact.
    questions: Vec<Question>,
    question_index: BTreeMap<String, usize>,
    outputs: Vec<Output>,
}

/// The shipped knowledge base, embedded in the binary.
pub const EMBEDDED_RULES: &[(&str, &str)] = &[
    (
        "rules/questions.rules",
        include_str!("../../rules/questions.rules"),
    ),
    (
        "rules/frameworks.rules",
        include_str!("../../rules/frameworks.rules"),
    ),
    (
        "rules/choosing.rules",
        include_str!("../../rules/choosing.rules"),
    ),
    (
        "rules/architecture.rules",
        include_str!("../../rules/architecture.rules"),
    ),
    (
        "rules/cautions.rules",
        include_str!("../../rules/cautions.rules"),
    ),
];

impl KnowledgeBase {
    /// Load, check and compile files and directories of `.rules` files.
    pub fn load_paths(paths: &[std::path::PathBuf]) -> Result<KnowledgeBase, (Program, Report)> {
        let (program, diags) = Program::load_paths(paths);
        Self::compile(program, diags)
    }

    /// Check and compile rule text given as (name, text) pairs.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<KnowledgeBase, (Program, Report)> {
        let mut program = Program::default();
        let mut diags = Vec::new();
        for (name, text) in sources {
            diags.extend(program.add_text(name, text));
        }
        Self::compile(program, diags)
    }

    /// The shipped knowledge base.
    pub fn embedded() -> Result<KnowledgeBase, (Program, Report)> {
        Self::from_sources(EMBEDDED_RULES)
    }

    /// Check a parsed program and compile it if it has no errors.
    pub fn compile(
        mut program: Program,
        parse_diags: Vec<Diagnostic>,
    ) -> Result<KnowledgeBase, (Program, Report)> {
        let report = crate::timing::phase("check", || check::check_program(&program, parse_diags));
        if report.has_errors() {
            return Err((program, report));
        }
        let mut interner = Interner::default();
        let mut base = FactStore::default();
        // Exact sizes: with hundreds of thousands of stated facts, a doubling vector's slack
        // is tens of megabytes.
        let (n_facts, n_args) = program
            .fact_chunks()
            .fold((0, 0), |(n, a), c| (n + c.len(), a + c.value_count()));
        base.reserve(n_facts, n_args);
        let mut base_assertions = Vec::with_capacity(n_facts);
        // Stated facts first, so relation sizes guide join order. A chunk's names are
        // interned once, and its predicates registered once.
        // Each chunk is freed once its facts are in the store (on large fact files they are
        // much of the memory), so the store can reuse its memory.
        crate::timing::phase("store stated facts", || {
            let mut args: Vec<Val> = Vec::new();
            for chunk in program.take_fact_chunks() {
                let names: Vec<Sym> = chunk.names().iter().map(|n| interner.intern(n)).collect();
                let mut preds: FxHashMap<(u32, usize), PredId> = FxHashMap::default();
                for f in chunk.iter() {
                    let values = f.raw_values();
                    let pred = *preds
                        .entry((f.pred_id(), values.len()))
                        .or_insert_with(|| base.pred(names[f.pred_id() as usize], values.len()));
                    args.clear();
                    args.extend(values.iter().map(|v| match *v {
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
                for s in &mut base_assertions {
                    s.fact = remap[s.fact as usize];
                }
            }
        });
        // Declared predicates exist even with no facts.
        for q in program.questions() {
            let name = interner.intern(&q.name.node);
            base.pred(name, 1);
            for v in &q.allowed {
                interner.value(&v.node);
            }
        }
        for o in program.outputs() {
            let name = interner.intern(&o.name.node);
            base.pred(name, o.params.len());
        }
        let questions: Vec<Question> = program.questions().cloned().collect();
        let outputs: Vec<Output> = program.outputs().cloned().collect();
        // One compiled rule per conclusion of each alternative (`or` adds more than this).
        let n_rules: usize = program.rules().map(|r| r.heads.len()).sum();
        let sources = std::mem::take(&mut program.sources);
        // Rules are compiled one at a time and their items dropped as soon as compiled, so a
        // large program's syntax tree and its compiled rules are never all in memory at once.
        // `groups[i]` is the range of `rules` compiled from one alternative of one rule.
        let mut rules = Vec::with_capacity(n_rules);
        let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
        crate::timing::phase("compile rules", || {
            let mut c = Compiler {
                interner: &mut interner,
                store: &mut base,
            };
            for (_, module) in std::mem::take(&mut program.modules) {
                for item in module.items {
                    let Item::Rule(rule) = item else { continue };
                    // Rules past the alternatives limit were reported by the check (E0006).
                    let Some(alts) = crate::program::flatten(&rule) else {
                        continue;
                    };
                    let n = alts.len();
                    for fr in &alts {
                        let start = rules.len();
                        for h in 0..rule.heads.len() {
                            rules.push(c.rule(fr, h, n));
                        }
                        groups.push(start..rules.len());
                    }
                }
            }
        });
        let deps = crate::timing::phase("dependency graph", || {
            DepGraph::from_compiled(&rules, &groups, &interner, &base)
        });
        let comps = deps.components();
        let comp_index: BTreeMap<&str, u32> = comps
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.iter().map(move |n| (n, i as u32)))
            .map(|(n, i)| (deps.graph[*n].as_str(), i))
            .collect();
        let pred_component: Vec<Option<u32>> = base
            .preds
            .iter()
            .map(|p| comp_index.get(interner.name(p.name)).copied())
            .collect();
        let components = components(comps.len(), &pred_component, &rules);
        let mut question_index = BTreeMap::new();
        for (i, q) in questions.iter().enumerate() {
            question_index.entry(q.name.node.clone()).or_insert(i);
        }
        Ok(KnowledgeBase {
            questions,
            question_index,
            outputs,
            warnings: report.diagnostics,
            sources,
            interner,
            base,
            base_assertions,
            rules,
            components,
            pred_component,
        })
    }

    /// The source text of a span in the rule files, blanks and line breaks folded to single
    /// spaces: how explanations quote a condition or a conclusion.
    pub fn text(&self, span: Span) -> String {
        let t = &self.sources.get(span.file).text;
        t.get(span.range())
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn question(&self, name: &str) -> Option<&Question> {
        self.question_index.get(name).map(|&i| &self.questions[i])
    }
    /// The questions, in declaration order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.questions.iter()
    }
    /// The outputs, in declaration order.
    pub fn outputs(&self) -> impl Iterator<Item = &Output> {
        self.outputs.iter()
    }

    /// Run the rules on the stated facts plus `facts`, to the fixpoint.
    pub fn run(&self, facts: &[InputFact], limits: Limits) -> Result<FactGraph<'_>, RunError> {
        self.run_keep(facts, limits).map_err(|b| b.0)
    }

    /// Like [`run`](Self::run), for many runs in a row: each reuses the scratch's store for
    /// the run's own facts instead of allocating one. Hand the graph back with
    /// [`Scratch::recycle`] when done with it. Gives the same graph as [`run`](Self::run).
    pub fn run_with(
        &self,
        scratch: &mut Scratch,
        facts: &[InputFact],
        limits: Limits,
    ) -> Result<FactGraph<'_>, RunError> {
        let layer = scratch.layer.take().unwrap_or_else(|| self.base.layer());
        self.run_from(layer, facts, limits).map_err(|b| b.0)
    }

    /// Like [`run`](Self::run), but on failure also returns the facts derived so far.
    pub fn run_keep(
        &self,
        facts: &[InputFact],
        limits: Limits,
    ) -> Result<FactGraph<'_>, Box<(RunError, FactGraph<'_>)>> {
        self.run_from(self.base.layer(), facts, limits)
    }

    /// Run with `layer` (empty) for the run's facts over the stated facts.
    fn run_from(
        &self,
        layer: FactStore,
        facts: &[InputFact],
        limits: Limits,
    ) -> Result<FactGraph<'_>, Box<(RunError, FactGraph<'_>)>> {
        let mut store = RunStore::new(&self.base, layer);
        // Input values are almost always symbols the program already knows: share its table
        // and copy it only when a new symbol or string arrives.
        let mut interner: std::borrow::Cow<'_, Interner> =
            std::borrow::Cow::Borrowed(&self.interner);
        let mut assertions = Vec::with_capacity(facts.len());
        for f in facts {
            let name = interner
                .get(&f.pred)
                .unwrap_or_else(|| interner.to_mut().intern(&f.pred));
            let pred = store.pred(name, f.args.len());
            let args: Vec<Val> = f
                .args
                .iter()
                .map(|c| {
                    interner
                        .known_value(c)
                        .unwrap_or_else(|| interner.to_mut().value(c))
                })
                .collect();
            let (fact, _) = store.insert(pred, &args);
            assertions.push(Assertion {
                fact,
                certainty: f.certainty,
                origin: f.origin.clone(),
            });
        }
        match crate::timing::phase("evaluate", || eval::run(self, &interner, store, limits)) {
            Ok(st) => Ok(crate::timing::phase("fact graph", || {
                FactGraph::build(self, interner, st, assertions)
            })),
            Err(b) => {
                let (e, st) = *b;
                Err(Box::new((
                    e,
                    FactGraph::build(self, interner, st, assertions),
                )))
            }
        }
    }
}

/// A reusable store for the facts of one run after another, for
/// [`KnowledgeBase::run_with`]: batch queries run thousands of fact sets, and each run's
/// store (its predicates and indexes) would otherwise be allocated afresh.
#[derive(Default)]
pub struct Scratch {
    layer: Option<FactStore>,
}

impl Scratch {
    /// Take back the store of a finished run, emptied (in the time the run's facts took to
    /// add).
    pub fn recycle(&mut self, g: FactGraph<'_>) {
        self.layer = Some(g.into_store().into_layer());
    }
}

/// The components' rules and trigger tables, given each predicate's component.
fn components(n: usize, pred_component: &[Option<u32>], rules: &[CRule]) -> Vec<Component> {
    let pred_comp = |p: PredId| pred_component[p as usize].map(|c| c as usize);
    let mut out: Vec<Component> = vec![Component::default(); n];
    for (r, rule) in rules.iter().enumerate() {
        let Some(c) = pred_comp(rule.head.0) else {
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
