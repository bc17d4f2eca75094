//! The engine: a checked program compiled into a [`KnowledgeBase`], which runs on facts and
//! returns a [`FactGraph`](crate::engine::graph::FactGraph).

pub(crate) mod algebra;
pub(crate) mod build;
mod closed;
pub(crate) mod compile;
pub mod eval;
pub(crate) mod facts;
pub mod graph;
pub mod relevance;
mod spill;
mod strength;
pub mod value;
pub mod view;

use crate::ast::{Const, Output, Question};
use crate::deps::DepGraph;
use crate::diag::Diagnostic;
use crate::span::{SourceMap, Span};
use compile::CRule;
use eval::{Limits, RunError};
pub use facts::FactId;
use facts::{FactStore, PredId, RunStore};
use graph::FactGraph;
use rustc_hash::{FxHashMap, FxHashSet};
use spill::{Slot, Spill};
use std::collections::BTreeMap;
use value::{Interner, Val};

/// One recorded derivation: rule `rule` concluded `fact` from the premise facts
/// `premises[prem_start..][..positives]`. The variable bindings are not stored: every bound
/// variable is an argument of a premise (see `CRule::var_sources`), so they are read back.
#[derive(Debug, Clone, Copy)]
pub struct Derivation {
    pub rule: u32,
    pub fact: FactId,
    pub prem_start: u32,
}

/// Where an asserted fact came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Origin {
    /// File name as shown to users (relative to the working directory when inside it).
    pub file: std::sync::Arc<str>,
    pub line: u32,
    pub col: u32,
    pub start: u32,
    pub end: u32,
    /// The facts-file key the fact was given under, if it came from a facts file (shared by
    /// the values of a list, and by a run's assertion of the fact).
    pub key: Option<std::sync::Arc<str>>,
}

impl Origin {
    pub fn from_span(
        sources: &crate::span::SourceMap,
        span: Span,
        key: Option<std::sync::Arc<str>>,
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

/// What a run asserts: one fact set, or many at once.
#[derive(Clone, Copy)]
pub(crate) enum RunInput<'a> {
    /// One fact set.
    Facts(&'a [InputFact]),
    /// Many fact sets in one run, numbered from 0: each fact of set `i` with `i` put first
    /// among its arguments, and `set(i)` (`set` names the predicate) for every set. For a
    /// program rewritten to keep sets apart (`ask::sets`).
    Sets {
        sets: &'a [SetFacts<'a>],
        set: &'a str,
    },
}

/// One fact set of [`RunInput::Sets`].
#[derive(Clone, Copy)]
pub(crate) enum SetFacts<'a> {
    /// Its facts as read from a facts file.
    Input(&'a [InputFact]),
    /// Its facts already found in the running knowledge base (`ask::direct`): each a
    /// predicate (whose first argument is the set's number) and its one other value,
    /// certain, with no origin to show (batch lines show none).
    Known(&'a [(PredId, Val)]),
}

impl SetFacts<'_> {
    fn len(self) -> usize {
        match self {
            SetFacts::Input(f) => f.len(),
            SetFacts::Known(f) => f.len(),
        }
    }
}

/// A fact a run asserts (see [`RunInput::each`]).
pub(crate) enum Asserted<'a> {
    /// By name: predicate, set number (put first), arguments, certainty, origin.
    Named(&'a str, Option<i64>, &'a [Const], f64, &'a Origin),
    /// A fact of [`SetFacts::Known`]: predicate, set number, value.
    Known(PredId, i64, Val),
}

impl RunInput<'_> {
    pub(crate) fn len(self) -> usize {
        match self {
            RunInput::Facts(f) => f.len(),
            RunInput::Sets { sets, .. } => sets.iter().map(|s| s.len() + 1).sum(),
        }
    }

    /// Each fact asserted, in order.
    pub(crate) fn each(self, mut f: impl FnMut(Asserted<'_>)) {
        match self {
            RunInput::Facts(facts) => {
                for x in facts {
                    f(Asserted::Named(
                        &x.pred,
                        None,
                        &x.args,
                        x.certainty,
                        &x.origin,
                    ));
                }
            }
            RunInput::Sets { sets, set } => {
                let origin = Origin::default();
                for (i, facts) in sets.iter().enumerate() {
                    let n = i as i64;
                    f(Asserted::Named(set, Some(n), &[], 1.0, &origin));
                    match *facts {
                        SetFacts::Input(facts) => {
                            for x in facts {
                                f(Asserted::Named(
                                    &x.pred,
                                    Some(n),
                                    &x.args,
                                    x.certainty,
                                    &x.origin,
                                ));
                            }
                        }
                        SetFacts::Known(facts) => {
                            for &(p, v) in facts {
                                f(Asserted::Known(p, n, v));
                            }
                        }
                    }
                }
            }
        }
    }
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

/// The stated facts' assertions, in 6 bytes each: the place (a
/// [`SpanList`](crate::span::SpanList)), with the fact beside it only once an assertion is not
/// of the fact with its own number (a fact stated twice), and the
/// certainties only once one is not 1 (a million stated facts are a million assertions;
/// `Stated` is 32 bytes).
#[derive(Debug, Default)]
pub(crate) struct StatedFacts {
    spans: crate::span::SpanList,
    /// `None` while assertion `i` is of fact `i`.
    facts: Option<Vec<FactId>>,
    /// `None` while every certainty is 1.
    certainty: Option<Vec<f64>>,
}

impl StatedFacts {
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn reserve_exact(&mut self, n: usize) {
        self.spans.reserve_exact(n);
    }
    /// Whether every assertion gives certainty 1.
    pub fn all_certain(&self) -> bool {
        self.certainty
            .as_ref()
            .is_none_or(|c| c.iter().all(|&x| x == 1.0))
    }
    pub fn push(&mut self, s: Stated) {
        let i = self.spans.len();
        if s.certainty != 1.0 && self.certainty.is_none() {
            self.certainty = Some(vec![1.0; i]);
        }
        if let Some(c) = &mut self.certainty {
            c.push(s.certainty);
        }
        if s.fact as usize != i && self.facts.is_none() {
            self.facts = Some((0..i as FactId).collect());
        }
        if let Some(f) = &mut self.facts {
            f.push(s.fact);
        }
        self.spans.push(s.span);
    }
    /// The fact of assertion `i` (below [`len`](Self::len)).
    fn fact(&self, i: usize) -> FactId {
        self.facts.as_ref().map_or(i as FactId, |f| f[i])
    }
    /// Assertion `i`.
    pub fn get(&self, i: usize) -> Option<Stated> {
        let span = self.spans.get(i)?;
        let certainty = self.certainty.as_ref().map_or(1.0, |c| c[i]);
        Some(Stated {
            fact: self.fact(i),
            certainty,
            span,
        })
    }
    pub fn iter(&self) -> impl Iterator<Item = Stated> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
    /// The fact of each assertion.
    pub fn facts(&self) -> impl Iterator<Item = FactId> + Clone + '_ {
        (0..self.len()).map(|i| self.fact(i))
    }
    /// Give each assertion the fact `remap` gives its fact (stated facts merged).
    pub fn remap(&mut self, remap: &[FactId]) {
        let facts = match self.facts.take() {
            Some(f) => f,
            None => (0..self.len() as FactId).collect(),
        };
        let facts: Vec<FactId> = facts.into_iter().map(|f| remap[f as usize]).collect();
        let identity = facts.iter().enumerate().all(|(i, &f)| f as usize == i);
        self.facts = (!identity).then_some(facts);
    }
}

/// The assertions of each stated fact.
pub(crate) enum BaseAsserted {
    /// Stated fact `i` has one assertion, number `i` (every fact stated once, in order: the
    /// usual case, which needs no table).
    Identity,
    /// Fact `f`'s assertions are `by_fact[offsets[f]..offsets[f + 1]]`.
    Table {
        offsets: Vec<u32>,
        by_fact: Vec<u32>,
    },
}

impl BaseAsserted {
    pub(crate) fn of(base_len: usize, assertions: &StatedFacts) -> BaseAsserted {
        let identity = assertions.len() == base_len
            && assertions.facts().enumerate().all(|(i, f)| f as usize == i);
        if identity {
            return BaseAsserted::Identity;
        }
        let (offsets, by_fact) = algebra::csr(base_len, assertions.facts());
        BaseAsserted::Table { offsets, by_fact }
    }

    /// The assertions of stated fact `f` (any fact below the stated facts' count), by
    /// number.
    pub(crate) fn of_fact(&self, f: FactId) -> impl Iterator<Item = usize> + '_ {
        let (one, table): (Option<usize>, &[u32]) = match self {
            BaseAsserted::Identity => (Some(f as usize), &[]),
            BaseAsserted::Table { offsets, by_fact } => (
                None,
                &by_fact[offsets[f as usize] as usize..offsets[f as usize + 1] as usize],
            ),
        };
        one.into_iter().chain(table.iter().map(|&i| i as usize))
    }
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
    /// Every fact the component derives has certainty 1 (no predicate of it can carry
    /// another; see `build::uncertain_predicates`): runs compute no certainty for it.
    pub certain: bool,
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
                    if let Some(slot) = self.keyed.get(&(p, pos as u32, args.get(pos))) {
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
/// Built by [`crate::load`]; read from outside the engine through [`KnowledgeBase::view`]
/// and the accessors below.
pub struct KnowledgeBase {
    /// The rule files' text, for showing where things are. (The parsed items are dropped
    /// once compiled: on large fact files they were most of the memory.)
    pub(crate) sources: SourceMap,
    pub(crate) interner: Interner,
    /// Facts stated in rule files, with the indexes the rules need.
    pub(crate) base: FactStore,
    pub(crate) base_assertions: StatedFacts,
    /// Which stated assertions are each stated fact's (worked out once; runs add their own).
    pub(crate) base_asserted: BaseAsserted,
    pub(crate) rules: Vec<CRule>,
    pub(crate) components: Vec<Component>,
    /// Index in `components` (dependency order) of each predicate's component; predicates
    /// that no rule mentions have none.
    pub(crate) pred_component: Vec<Option<u32>>,
    /// The predicate dependency graph the check built.
    pub(crate) deps: DepGraph,
    /// Warnings found while checking (errors prevent compiling).
    pub(crate) warnings: Vec<Diagnostic>,
    /// Declarations, kept apart from the program's items so that looking one up does not
    /// walk every stated fact.
    pub(crate) questions: Vec<Question>,
    /// Looked up once per answer of every fact set (a batch reads millions).
    pub(crate) question_index: rustc_hash::FxHashMap<String, usize>,
    pub(crate) outputs: Vec<Output>,
    /// Display names of symbols (`name x "..."`).
    pub(crate) names: BTreeMap<String, String>,
    /// Conditions hold only for facts whose certainty is above this.
    pub(crate) threshold: f64,
    /// The stated facts' certainties, and which are too weak to hold.
    pub(crate) strength: strength::Stated,
    /// By predicate: whether its facts may have a certainty other than 1.
    pub(crate) uncertain: Vec<bool>,
    /// What no answer can change, evaluated by the first batch run (see `closed`).
    pub(crate) closed: std::sync::OnceLock<Option<closed::Closed>>,
    /// Which components no answer can change (see `closed`), worked out by the first run.
    pub(crate) closed_plan: std::sync::OnceLock<Option<closed::Plan>>,
}

/// The shipped knowledge base, embedded in the binary.
pub const EMBEDDED_RULES: &[(&str, &str)] = &[
    (
        "rules/advice.rules",
        include_str!("../../rules/advice.rules"),
    ),
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
    /// The rule files' text.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }
    /// The warnings the check found (a knowledge base with errors is never built).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
    /// The predicate dependency graph.
    pub fn deps(&self) -> &DepGraph {
        &self.deps
    }
    /// Conditions hold only for facts whose certainty is above this (`threshold N`, else
    /// 0.2).
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
    /// The name people read for a symbol (`name x "..."`), if it has one.
    pub fn display_name(&self, symbol: &str) -> Option<&str> {
        self.names.get(symbol).map(String::as_str)
    }

    /// The name of a predicate of the program.
    pub(crate) fn pred_name(&self, p: PredId) -> &str {
        self.interner.name(self.base.preds[p as usize].name)
    }

    /// The source text of a span in the rule files, blanks and line breaks folded to single
    /// spaces: how explanations quote a condition or a conclusion.
    pub fn text(&self, span: Span) -> String {
        let t = self.sources.get(span.file).text();
        t.get(span.range())
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn question(&self, name: &str) -> Option<&Question> {
        self.question_numbered(name).map(|(_, q)| q)
    }
    /// A question's number in declaration order, with the question.
    pub(crate) fn question_numbered(&self, name: &str) -> Option<(usize, &Question)> {
        self.question_index
            .get(name)
            .map(|&i| (i, &self.questions[i]))
    }
    /// The predicate `name/arity`, if the program knows it (a run's input otherwise adds
    /// it to the run's store).
    pub(crate) fn known_pred(&self, name: &str, arity: usize) -> Option<PredId> {
        self.base.find_pred(self.interner.get(name)?, arity)
    }
    /// Make constant `c` one the program knows (see [`known_value`](Self::known_value)).
    pub(crate) fn know_value(&mut self, c: &Const) {
        self.interner.value(c);
    }
    /// The value of constant `c` in runs, if the program knows it (a run's input otherwise
    /// adds it to the run's copy of the symbols).
    pub(crate) fn known_value(&self, c: &Const) -> Option<Val> {
        self.interner.known_value(c)
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
        self.run_input(scratch, RunInput::Facts(facts), limits)
    }

    /// [`run_with`](Self::run_with) for any [`RunInput`].
    pub(crate) fn run_input(
        &self,
        scratch: &mut Scratch,
        facts: RunInput<'_>,
        limits: Limits,
    ) -> Result<FactGraph<'_>, RunError> {
        // A scratch holds a layer over one knowledge base's stated facts.
        let owner = std::ptr::from_ref(self) as usize;
        if scratch.owner != owner {
            *scratch = Scratch {
                owner,
                ..Scratch::default()
            };
        }
        let layer = scratch.layer.take().unwrap_or_else(|| self.base.layer());
        let records = std::mem::take(&mut scratch.records);
        let prefix = scratch.prefix.take();
        let buffers = std::mem::take(&mut scratch.buffers);
        // Batch runs take what no answer can change from one evaluation of it.
        self.prepare(limits);
        self.run_from(layer, records, Some(prefix), buffers, facts, limits)
            .map_err(|b| b.0)
    }

    /// Evaluate, once, what no answer can change (the rules that read only stated facts and
    /// each other's conclusions), so that every later run copies it instead of deriving it
    /// again: worth it before many runs (a server, a batch; [`run_with`](Self::run_with)
    /// does it itself), not before one. Runs give the same graph either way.
    ///
    /// The first call decides, once for this knowledge base: within `limits`; past them,
    /// nothing is kept and every run evaluates everything. What is kept stays as long as the
    /// knowledge base (its facts and derivations, copied into each run).
    pub fn prepare(&self, limits: Limits) {
        self.closed.get_or_init(|| closed::Closed::of(self, limits));
    }

    /// Like [`run`](Self::run), but on failure also returns the facts derived so far.
    pub fn run_keep(
        &self,
        facts: &[InputFact],
        limits: Limits,
    ) -> Result<FactGraph<'_>, Box<(RunError, FactGraph<'_>)>> {
        self.run_from(
            self.base.layer(),
            eval::Records::default(),
            None,
            graph::Buffers::default(),
            RunInput::Facts(facts),
            limits,
        )
    }

    /// A run in `layer`, with `records`. `kept`: a batch's scratch, with where the closed
    /// components of its last run end if it kept them (the layer and records then hold
    /// them); this run keeps them in turn.
    fn run_from(
        &self,
        layer: FactStore,
        mut records: eval::Records,
        kept: Option<Option<eval::Prefix>>,
        mut buffers: graph::Buffers,
        facts: RunInput<'_>,
        limits: Limits,
    ) -> Result<FactGraph<'_>, Box<(RunError, FactGraph<'_>)>> {
        let mut store = RunStore::resuming(&self.base, layer);
        // Input values are almost always symbols the program already knows: share its table
        // and copy it only when a new symbol or string arrives.
        let mut interner: std::borrow::Cow<'_, Interner> =
            std::borrow::Cow::Borrowed(&self.interner);
        let mut assertions = std::mem::take(&mut buffers.assertions);
        assertions.clear();
        assertions.reserve(facts.len());
        // What no answer can change comes first when the input leaves it alone: its facts
        // then have the same ids in every run, whether evaluated or copied (batch runs, or
        // after `prepare`, copy what they evaluated once).
        let plan = self.closed_plan().filter(|p| p.serves(facts, self));
        let closed = self.closed.get().and_then(Option::as_ref);
        // A batch keeps the closed components in its scratch from run to run when they are
        // copied whole.
        let keep = kept.is_some() && plan.is_some() && closed.is_some_and(|c| c.fits(limits));
        let mut run = match kept.flatten() {
            Some(prefix) if keep => eval::Run::resume(self, store, records, prefix, limits),
            held => {
                if held.is_some() {
                    store.truncate(self.base.len());
                    records.clear();
                }
                eval::Run::start(self, store, records, limits)
            }
        };
        let resumed = run.resumed();
        let done = crate::timing::phase("evaluate", || {
            if let Some(plan) = plan.filter(|_| !resumed) {
                let mut replayer = closed.map(|c| c.replayer(limits));
                let replay = replayer.as_mut().map(|r| r as &mut eval::Replay<'_>);
                run.closed(&self.interner, &plan.closed, replay)?;
                if keep {
                    run.keep_prefix();
                }
            }
            let from = run.store.len() as FactId;
            let mut args: Vec<Val> = Vec::new();
            let known_origin = Origin::default();
            facts.each(|fact| {
                let (pred, certainty, origin) = match fact {
                    Asserted::Named(pred, number, values, certainty, origin) => {
                        let name = interner
                            .get(pred)
                            .unwrap_or_else(|| interner.to_mut().intern(pred));
                        let arity = values.len() + usize::from(number.is_some());
                        let pred = run.store.pred(name, arity);
                        args.clear();
                        args.extend(number.map(Val::Int));
                        args.extend(values.iter().map(|c| {
                            interner
                                .known_value(c)
                                .unwrap_or_else(|| interner.to_mut().value(c))
                        }));
                        (pred, certainty, origin)
                    }
                    Asserted::Known(pred, number, value) => {
                        args.clear();
                        args.extend([Val::Int(number), value]);
                        (pred, 1.0, &known_origin)
                    }
                };
                let (fact, _) = run.store.insert(pred, &args);
                assertions.push(Assertion {
                    fact,
                    certainty,
                    origin: origin.clone(),
                });
            });
            run.assert_input(&assertions, from);
            run.evaluate(&interner, plan.map(|p| &p.closed[..]))
        });
        let st = run.finish();
        match done {
            Ok(()) => Ok(crate::timing::phase("fact graph", || {
                FactGraph::build(self, interner, st, assertions, buffers)
            })),
            Err(e) => Err(Box::new((
                e,
                FactGraph::build(self, interner, st, assertions, buffers),
            ))),
        }
    }

    /// Which components no answer can change (`None` when none is).
    pub(crate) fn closed_plan(&self) -> Option<&closed::Plan> {
        self.closed_plan
            .get_or_init(|| closed::Plan::of(self))
            .as_ref()
    }
}

/// A reusable store for the facts of one run after another, for
/// [`KnowledgeBase::run_with`]: batch queries run thousands of fact sets, and each run's
/// store (its predicates and indexes) would otherwise be allocated afresh.
#[derive(Default)]
pub struct Scratch {
    /// The knowledge base whose runs it holds (its address): another one's run starts
    /// afresh.
    owner: usize,
    layer: Option<FactStore>,
    /// The vectors a run records its derivations in, at the size the last run needed.
    records: eval::Records,
    /// Where the last run's closed components end, when the layer and records hold them
    /// (see `closed`): the next run whose input leaves them alone starts there, instead
    /// of copying them again. Otherwise the layer and records are empty.
    prefix: Option<eval::Prefix>,
    /// The vectors of the last run's assertions, emptied.
    buffers: graph::Buffers,
}

impl Scratch {
    /// Take back the store and the derivation records of a finished run, emptied but for
    /// its closed components (in the time the run's facts took to add).
    pub fn recycle(&mut self, g: FactGraph<'_>) {
        let first = g.kb.base.len();
        let (store, mut records, prefix, buffers) = g.into_parts();
        self.buffers = buffers;
        match &prefix {
            Some(p) => {
                records.rewind(p, first);
                self.layer = Some(store.into_layer_upto(p.facts));
            }
            None => {
                records.clear();
                self.layer = Some(store.into_layer());
            }
        }
        self.records = records;
        self.prefix = prefix;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::FileId;

    fn stated(fact: FactId, certainty: f64, at: u32) -> Stated {
        let span = Span {
            file: FileId(0),
            start: at,
            end: at + 1,
        };
        Stated {
            fact,
            certainty,
            span,
        }
    }

    /// Assertions keep their fact, certainty and place, whether each is of the fact with its
    /// own number (no table of facts) or not (a fact stated twice), and through merging.
    #[test]
    fn stated_facts_keep_each_assertion() {
        let mut s = StatedFacts::default();
        s.push(stated(0, 1.0, 10));
        s.push(stated(1, 0.5, 20));
        assert!(s.facts.is_none());
        s.push(stated(0, 1.0, 30));
        assert_eq!(s.facts().collect::<Vec<_>>(), [0, 1, 0]);
        let got: Vec<(FactId, f64, u32)> = s
            .iter()
            .map(|a| (a.fact, a.certainty, a.span.start))
            .collect();
        assert_eq!(got, [(0, 1.0, 10), (1, 0.5, 20), (0, 1.0, 30)]);
        // Facts 0 and 1 merged into 0.
        s.remap(&[0, 0]);
        assert_eq!(s.facts().collect::<Vec<_>>(), [0, 0, 0]);
        // A remap onto the assertions' own numbers needs no table.
        let mut t = StatedFacts::default();
        t.push(stated(1, 1.0, 0));
        t.push(stated(0, 1.0, 1));
        t.remap(&[1, 0]);
        assert!(t.facts.is_none());
        assert_eq!(t.facts().collect::<Vec<_>>(), [0, 1]);
    }
}
