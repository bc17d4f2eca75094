//! Many fact sets in one run, for batches (`query --format ndjson`).
//!
//! A run costs more than the work its facts need: every rule that reads an answer is fired,
//! each join set up, each component settled, for a few dozen conclusions (W7: 48 firings a
//! fact set, about 2,000 instructions each, for 36 conclusions). Here the knowledge base is
//! rewritten once so that every fact depending on the answers carries the number of its fact
//! set first: `rule r when language(L) and not legacy(F) then fits(F)` becomes
//! `rule r when language(S, L) and not legacy(S, F) then fits(S, F)`, and a rule that reads
//! no answer yet concludes such a fact reads `set(S)`, one fact a set. One run of the
//! rewritten program over many sets' answers, each numbered by its set, gives each set the
//! facts its own run gives, with the same certainties:
//! - every condition on a fact that depends on answers shares its rule's set, so no
//!   derivation mixes two sets, and a negated condition looks only in its own set;
//! - facts that depend on no answer are derived once for all, as they are in every run;
//! - `set(S)` is certain, and a derivation's certainty takes the smallest of its premises'.
//!
//! Where that argument does not hold, nothing is rewritten and each set runs alone
//! ([`SetProgram::of`] says `None`): a predicate depending on answers that also has stated
//! facts (they would need copying into every set), a rule that reads no answer yet concludes
//! both kinds of fact, a recursive component depending on answers (its weak facts are banned
//! by height across the component), a knowledge base whose text is gone or larger than
//! [`MAX_REWRITE_BYTES`]. A run of many sets that stops at a limit, or where a rule could not
//! be evaluated, is done again set by set ([`SetProgram::lines`] says `None`), so each set's
//! line says what its own run says.

use crate::ast::{Atom, Body, ExprKind, Item, Literal};
use crate::check::{expr_vars, visit_body};
use crate::engine::eval::Limits;
use crate::engine::facts::PredId;
use crate::engine::value::Val;
use crate::engine::{FactId, InputFact, KnowledgeBase, RunInput, Scratch, SetFacts};
use crate::program::Program;
use crate::wire::{BatchInput, LineWriter};
use std::collections::BTreeSet;

/// The knowledge base rewritten to run many fact sets at once.
pub struct SetProgram {
    kb: KnowledgeBase,
    /// The questions whose answers a batch line gives straight into a run of `kb`.
    answers: super::direct::Answers,
    /// The predicate with one fact a set, `set(S)` (named apart from the program's).
    set_pred: String,
    /// Each output of the knowledge base: its name, arity, and whether it depends on answers.
    outputs: Vec<(String, usize, bool)>,
}

/// How many fact sets a batch runs at once, at most: 64 sets' facts stay in the processor's
/// cache (W7: 256 sets a run were no faster than one; 32 and 64 were a fifth faster).
pub const AT_ONCE: usize = 64;

/// Fewer sets than this (a slow producer's lines, a small request) run one by one.
pub const AT_LEAST: usize = 8;

/// How a batch line's fact set was read for a run of many sets.
enum Read {
    /// Straight into the run's predicates and values (`ask::direct`).
    Known(Vec<(PredId, Val)>),
    /// By the facts-file reader ([`batch_read`](super::batch_read)): its facts, or the line
    /// of its errors.
    Facts(Result<Vec<InputFact>, String>),
}

/// The batch lines of a chunk of fact sets, in order, with whether each has results. Each
/// input comes with its text when it is a line of JSON; `read(i)` reads and checks the
/// chunk's `i`-th the full way ([`batch_read`](super::batch_read)): its facts, or the line
/// of its errors. Those that read well run at once where `sets` allows it (a line of plain
/// answers is read straight into that run), else one by one (`one` and `many` are the
/// scratch stores for either kind of run). `limits` gives each run's limits as it starts:
/// where a deadline is counted from a run's start (the server's), a run of many sets that
/// meets it leaves each set its own full time.
pub fn chunk_lines(
    kb: &KnowledgeBase,
    sets: Option<&SetProgram>,
    (one, many): (&mut Scratch, &mut Scratch),
    chunk: &[(BatchInput<'_>, Option<&str>)],
    read: &dyn Fn(usize) -> Result<Vec<InputFact>, String>,
    limits: &dyn Fn() -> Limits,
) -> Vec<(String, bool)> {
    let mut reads: Vec<Read> = Vec::new();
    if let Some(sets) = sets.filter(|_| chunk.len() >= AT_LEAST) {
        reads = chunk
            .iter()
            .enumerate()
            .map(|(i, (_, text))| {
                let mut known = Vec::new();
                match text.and_then(|t| sets.answers.read(t, &mut known)) {
                    Some(()) => Read::Known(known),
                    None => Read::Facts(read(i)),
                }
            })
            .collect();
        let good: Vec<(BatchInput<'_>, SetFacts<'_>)> = chunk
            .iter()
            .zip(&reads)
            .filter_map(|((input, _), r)| match r {
                Read::Known(known) => Some((*input, SetFacts::Known(known))),
                Read::Facts(Ok(facts)) => Some((*input, SetFacts::Input(facts))),
                Read::Facts(Err(_)) => None,
            })
            .collect();
        if let Some(lines) = sets.lines_of(many, &good, limits()) {
            let mut lines = lines.into_iter();
            return reads
                .into_iter()
                .map(|r| match r {
                    Read::Facts(Err(line)) => (line, false),
                    _ => (lines.next().unwrap_or_default(), true),
                })
                .collect();
        }
    }
    // One by one: each read the full way (again, if it was read straight for the run that
    // gave way: its own run shows where its answers came from).
    let mut reads = reads.into_iter();
    (0..chunk.len())
        .map(|i| {
            let r = match reads.next() {
                Some(Read::Facts(r)) => r,
                _ => read(i),
            };
            match r {
                Ok(facts) => super::batch_run(kb, one, chunk[i].0, &facts, limits()),
                Err(line) => (line, false),
            }
        })
        .collect()
}

/// Rule files larger than this in all are not rewritten: the rewriting parses and compiles
/// them again, which for a file of hundreds of thousands of stated facts costs more than a
/// batch of small runs saves (and holds the program twice).
pub const MAX_REWRITE_BYTES: usize = 4 << 20;

/// A fact set's facts, and the input it came from.
pub struct SetInput<'a> {
    pub input: BatchInput<'a>,
    pub facts: &'a [InputFact],
}

impl SetProgram {
    /// The knowledge base rewritten, or `None` where one run of many sets would not give
    /// each set what its own run gives (see the module's documentation).
    pub fn of(kb: &KnowledgeBase) -> Option<SetProgram> {
        let bytes: usize = kb.sources().files().map(|(_, f)| f.byte_len()).sum();
        if bytes > MAX_REWRITE_BYTES {
            return None;
        }
        let mut program = Program::default();
        for (_, file) in kb.sources().files() {
            if file.name.ends_with("because.toml") {
                continue;
            }
            let text = file.text().to_string();
            if file.changed() {
                return None;
            }
            if program
                .add_text(&file.name, text)
                .iter()
                .any(|d| d.is_error())
            {
                return None;
            }
        }
        let questions: Vec<String> = program.questions().map(|q| q.name.node.clone()).collect();
        let open = open_predicates(&program, &questions);
        if program.facts().any(|f| open.contains(f.pred())) {
            return None;
        }
        let outputs: Vec<(String, usize, bool)> = program
            .outputs()
            .map(|o| {
                let name = o.name.node.clone();
                let open = open.contains(&name);
                (name, o.params.len(), open)
            })
            .collect();
        // Names no rule uses: a variable for the set, a predicate for `set(S)`.
        let mut names = BTreeSet::new();
        let mut preds = BTreeSet::new();
        for r in program.rules() {
            let mut vars = Vec::new();
            visit_body(&r.body, &mut |l| match l {
                Literal::Positive(a) | Literal::Negative(a) => {
                    preds.insert(a.pred.node.clone());
                    a.args.iter().for_each(|e| expr_vars(e, &mut vars));
                }
                Literal::Compare(c) => {
                    expr_vars(&c.lhs, &mut vars);
                    expr_vars(&c.rhs, &mut vars);
                }
                Literal::Member(m) => expr_vars(&m.expr, &mut vars),
            });
            for h in &r.heads {
                preds.insert(h.atom.pred.node.clone());
                h.atom.args.iter().for_each(|e| expr_vars(e, &mut vars));
            }
            names.extend(vars.into_iter().map(|(v, _)| v.to_string()));
        }
        preds.extend(program.facts().map(|f| f.pred().to_string()));
        preds.extend(questions.iter().cloned());
        let var = fresh("Set", &names, "_");
        let set_pred = fresh("set", &preds, "_");
        for (_, module) in &mut program.modules {
            module
                .items
                .retain(|it| !matches!(it, Item::Question(_) | Item::Output(_)));
            for item in module.items.iter_mut() {
                let Item::Rule(rule) = item else { continue };
                let reads = mentions(&rule.body, &open);
                let concludes = rule
                    .heads
                    .iter()
                    .filter(|h| open.contains(&h.atom.pred.node))
                    .count();
                if !reads && concludes == 0 {
                    continue;
                }
                if !reads && concludes < rule.heads.len() {
                    return None;
                }
                let mut number = |a: &mut Atom| {
                    if open.contains(&a.pred.node) {
                        let span = a.pred.span;
                        a.args.insert(
                            0,
                            crate::span::Spanned::new(ExprKind::Var(var.clone()), span),
                        );
                    }
                };
                each_atom_mut(&mut rule.body, &mut number);
                for h in &mut rule.heads {
                    number(&mut h.atom);
                }
                if !binds_set(&rule.body, &open) {
                    let span = rule.name.span;
                    let set = Atom {
                        pred: crate::span::Spanned::new(set_pred.clone(), span),
                        args: vec![crate::span::Spanned::new(ExprKind::Var(var.clone()), span)],
                        span,
                    };
                    let body = std::mem::replace(&mut rule.body, Body::And(Vec::new()));
                    rule.body = Body::And(vec![Body::Literal(Literal::Positive(set)), body]);
                }
            }
        }
        program.supplied = questions;
        program.supplied.push(set_pred.clone());
        let mut sets = crate::load::compile(program, Vec::new()).ok()?;
        // The questions' allowed values, which its rules may not mention: answers read
        // straight into a run need their symbols, and a run given a symbol its program
        // does not know copies the program's whole table of them.
        for q in kb.questions() {
            for a in &q.allowed {
                sets.know_value(&a.node);
            }
        }
        let recursive_open = sets.components.iter().any(|c| {
            c.recursive
                && c.rules
                    .iter()
                    .any(|&r| open.contains(sets.pred_name(sets.rules[r].head.pred)))
        });
        if recursive_open || (sets.threshold() - kb.threshold()).abs() > 0.0 {
            return None;
        }
        Some(SetProgram {
            answers: super::direct::Answers::of(kb, &sets),
            kb: sets,
            set_pred,
            outputs,
        })
    }

    /// The batch lines of `sets`, evaluated in one run: each line what
    /// [`batch_line`](super::batch_line) gives its set (the tests compare them). `None` when
    /// the run stopped at a limit or a rule could not be evaluated: then each set must run
    /// alone, to stop where its own run stops and to count its own rule errors.
    pub fn lines(
        &self,
        scratch: &mut Scratch,
        sets: &[SetInput<'_>],
        limits: Limits,
    ) -> Option<Vec<String>> {
        let sets: Vec<(BatchInput<'_>, SetFacts<'_>)> = sets
            .iter()
            .map(|s| (s.input, SetFacts::Input(s.facts)))
            .collect();
        self.lines_of(scratch, &sets, limits)
    }

    #[cfg(test)]
    pub(crate) fn answers(&self) -> &super::direct::Answers {
        &self.answers
    }
    #[cfg(test)]
    pub(crate) fn kb(&self) -> &KnowledgeBase {
        &self.kb
    }

    /// [`lines`](Self::lines) for sets read either way.
    fn lines_of(
        &self,
        scratch: &mut Scratch,
        sets: &[(BatchInput<'_>, SetFacts<'_>)],
        limits: Limits,
    ) -> Option<Vec<String>> {
        let facts: Vec<SetFacts<'_>> = sets.iter().map(|s| s.1).collect();
        let input = RunInput::Sets {
            sets: &facts,
            set: &self.set_pred,
        };
        let g = self.kb.run_input(scratch, input, limits).ok()?;
        let n = sets.len();
        let set_of = |f: FactId| match g.store.args(f).get(0) {
            Val::Int(i) if (0..n as i64).contains(&i) => Some(i as usize),
            _ => None,
        };
        // A set's own run meets no limit this run passed: this run ends with every set's
        // facts and derivations, and a join's conclusions pending here are those of every
        // set's run of it (the limits are checked on both).
        if !g.errors.is_empty() {
            scratch.recycle(g);
            return None;
        }
        let threshold = self.kb.threshold();
        // Each output's conclusions above the threshold, strongest first (as
        // `explain::query::ranked` orders them): by set for an output that depends on the
        // answers, once for all sets for one that does not.
        let holds = |f: &FactId| g.certainty(*f) > threshold;
        let row = |f: FactId| (crate::explain::round_cf(g.certainty(f)), f);
        let ordered: Vec<Vec<Vec<(f64, FactId)>>> = self
            .outputs
            .iter()
            .map(|(name, arity, open)| {
                if *open {
                    let mut by_set: Vec<Vec<(f64, FactId)>> = vec![Vec::new(); n];
                    for f in g.facts_unordered(name, arity + 1).filter(holds) {
                        if let Some(i) = set_of(f) {
                            by_set[i].push(row(f));
                        }
                    }
                    by_set
                        .into_iter()
                        .map(|r| crate::explain::query::strongest_first(&g, r))
                        .collect()
                } else {
                    let all = g.facts_unordered(name, *arity).filter(holds).map(row);
                    vec![crate::explain::query::strongest_first(&g, all.collect())]
                }
            })
            .collect();
        // Each set's line written straight from the run (no vector of values a conclusion).
        let lines = sets
            .iter()
            .enumerate()
            .map(|(i, set)| {
                let mut line = LineWriter::new(set.0);
                line.begin_outputs();
                for ((name, _, open), by_set) in self.outputs.iter().zip(&ordered) {
                    line.output(name);
                    let (rows, skip) = if *open {
                        (&by_set[i], 1)
                    } else {
                        (&by_set[0], 0)
                    };
                    for (values, cf, rank) in crate::explain::query::ranked_rows(&g, rows, skip) {
                        line.row(values, cf, rank);
                    }
                }
                line.finish(None)
            })
            .collect();
        scratch.recycle(g);
        Some(lines)
    }
}

/// The predicates whose facts depend on the answers: the questions', and those concluded by
/// a rule with a condition (or a negated one) on such a predicate.
fn open_predicates(program: &Program, questions: &[String]) -> BTreeSet<String> {
    let mut open: BTreeSet<String> = questions.iter().cloned().collect();
    loop {
        let before = open.len();
        for r in program.rules() {
            if mentions(&r.body, &open) {
                open.extend(r.heads.iter().map(|h| h.atom.pred.node.clone()));
            }
        }
        if open.len() == before {
            return open;
        }
    }
}

/// Whether a condition of `body`, negated or not, is on a predicate of `open`.
fn mentions(body: &Body, open: &BTreeSet<String>) -> bool {
    let mut any = false;
    each_atom(body, &mut |a| any |= open.contains(&a.pred.node));
    any
}

/// Whether every alternative of `body` has a positive condition on a predicate of `open`
/// (which then binds the set's variable).
fn binds_set(body: &Body, open: &BTreeSet<String>) -> bool {
    match body {
        Body::Literal(Literal::Positive(a)) => open.contains(&a.pred.node),
        Body::Literal(_) => false,
        Body::And(parts) => parts.iter().any(|b| binds_set(b, open)),
        Body::Or(parts) => parts.iter().all(|b| binds_set(b, open)),
    }
}

fn each_atom(body: &Body, f: &mut impl FnMut(&Atom)) {
    visit_body(body, &mut |l| {
        if let Literal::Positive(a) | Literal::Negative(a) = l {
            f(a);
        }
    });
}

fn each_atom_mut(body: &mut Body, f: &mut impl FnMut(&mut Atom)) {
    match body {
        Body::Literal(Literal::Positive(a) | Literal::Negative(a)) => f(a),
        Body::Literal(_) => {}
        Body::And(parts) | Body::Or(parts) => parts.iter_mut().for_each(|b| each_atom_mut(b, f)),
    }
}

/// `base`, or `base` with `more` appended until no name of `taken` is it.
fn fresh(base: &str, taken: &BTreeSet<String>, more: &str) -> String {
    let mut name = base.to_string();
    while taken.contains(&name) {
        name.push_str(more);
    }
    name
}
