//! Semi-naive evaluation of compiled rules, recording every derivation.
//!
//! Components of the predicate dependency graph are evaluated in dependency order. A
//! component's first round runs every rule on all known facts; later rounds (recursive
//! components only) run just the rules that a new fact can trigger, each with one condition
//! reading the previous round's new facts. Every (rule, premises) combination is therefore
//! found exactly once. (Certainties need minimal derivation heights; the fact graph computes
//! them after the fixpoint, see `graph.rs`.)

use super::compile::{ArgOp, CExpr, CLit, CRule, Plan, Range, Step, Term};
use super::facts::{hash_owned_vals, hash_vals, FactId, IdList, PredId, RunStore};
use super::strength::Strength;
use super::value::{Interner, Val};
use super::KnowledgeBase;
use crate::ast::{ArithOp, CmpOp};
use std::time::Instant;

pub use super::Derivation;

/// A rule instance that could not be evaluated (division by zero, overflow, a comparison of
/// values that have no order).
#[derive(Debug, Clone)]
pub struct RuleError {
    pub rule: u32,
    /// Body index of the condition that failed, or `None` for the conclusion.
    pub literal: Option<usize>,
    pub bindings: Vec<Option<Val>>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunError {
    /// More facts than the limit; the rules that were still concluding new facts.
    TooManyFacts {
        limit: usize,
        rules: Vec<String>,
    },
    Timeout {
        seconds: f64,
        rules: Vec<String>,
    },
    /// More derivations recorded than the limit.
    TooManyDerivations {
        limit: usize,
        rules: Vec<String>,
    },
    /// More premises in derivations, recorded or pending in a join, than the limit
    /// ([`Limits::max_premises`]).
    TooManyPremises {
        limit: usize,
        rules: Vec<String>,
    },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, rules) = match self {
            RunError::TooManyFacts { limit, rules } => {
                (format!("the run stopped at {limit} facts"), rules)
            }
            RunError::Timeout { seconds, rules } => {
                (format!("the run stopped after {seconds} s"), rules)
            }
            RunError::TooManyDerivations { limit, rules } => {
                (format!("the run stopped at {limit} derivations"), rules)
            }
            RunError::TooManyPremises { limit, rules } => (
                format!("the run stopped at {limit} premises of derivations"),
                rules,
            ),
        };
        write!(
            f,
            "{what}; rules still deriving new facts: {}",
            rules.join(", ")
        )
    }
}

impl std::error::Error for RunError {}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_facts: usize,
    pub max_derivations: usize,
    pub deadline: Option<Instant>,
    pub timeout_secs: f64,
}

impl Limits {
    /// The premises derivations may hold, recorded or pending in a join: [`PREMISES_PER_DERIVATION`]
    /// a derivation of `max_derivations`.
    pub fn max_premises(&self) -> usize {
        self.max_derivations.saturating_mul(PREMISES_PER_DERIVATION)
    }
}

/// The premises allowed per derivation of `--max-derivations`, on average. A derivation
/// records the facts it rests on, one for each of its rule's conditions: without a bound on
/// them, a rule of 250 conditions joined through every path of a chain held 10 GB of
/// pending premises before the facts limit stopped it.
pub const PREMISES_PER_DERIVATION: usize = 4;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_facts: DEFAULT_MAX_FACTS,
            max_derivations: DEFAULT_MAX_DERIVATIONS,
            deadline: None,
            timeout_secs: 0.0,
        }
    }
}

/// A fact costs about 100 bytes with its indexes at worst, a recorded derivation about 40
/// with its premises and the fact graph's tables: with these two defaults a run stays under
/// about 2 GiB, whatever the rules and the input. The limits are checked inside joins too
/// (every [`BUDGET_STEP`] candidate facts), so one rule's join cannot run past them.
pub const DEFAULT_MAX_FACTS: usize = 10_000_000;
pub const DEFAULT_MAX_DERIVATIONS: usize = 20_000_000;

/// Derivations kept per fact; more are counted, not recorded (a fact concluded a hundred
/// thousand ways would make its explanation unreadable and slow). Its certainty rests on the
/// ones kept.
pub const MAX_DERIVATIONS_PER_FACT: u32 = 1_000;

/// Candidate facts a join examines between two checks of the limits.
pub const BUDGET_STEP: u32 = 4096;

/// What a run produces before certainties are computed.
pub struct RunState<'kb> {
    pub store: RunStore<'kb>,
    /// Derivations past [`MAX_DERIVATIONS_PER_FACT`], by fact: counted, not recorded.
    pub unrecorded: rustc_hash::FxHashMap<FactId, u64>,
    /// The run's own facts' certainties, by `id - stated facts` (see `strength`), up to
    /// the last one set (the facts past the end have certainty 1).
    pub certainty: Vec<f64>,
    /// Stated facts the input asserts too: their certainty in this run, by id.
    pub restated: Vec<(FactId, f64)>,
    pub derivations: Vec<Derivation>,
    pub premises: Vec<FactId>,
    pub errors: Vec<RuleError>,
    /// The vectors the run worked in, emptied, for the next run (see [`Records`]).
    pub(crate) work: Work,
    /// Where its closed components end, when a batch keeps them for the next run.
    pub(crate) prefix: Option<Prefix>,
}

/// Where a run's closed components end (they come first, see `closed`): a batch keeps a
/// run's store and records up to here for the next run of input that leaves them alone,
/// instead of copying them again.
pub(crate) struct Prefix {
    pub(crate) facts: usize,
    derivations: usize,
    premises: usize,
    errors: Vec<RuleError>,
    unrecorded: rustc_hash::FxHashMap<FactId, u64>,
    pred_weak: Vec<bool>,
}

#[derive(Default)]
struct Pending {
    vals: Vec<Val>,
    prems: Vec<FactId>,
    count: usize,
    /// Reused binding buffers of [`Exec`]: values, which are bound, premises.
    frame: (Vec<Val>, Vec<bool>, Vec<FactId>),
    /// Reused: the passes of a join (see [`outer_chunks`]).
    passes: Vec<(FactId, FactId)>,
}

/// A run in the making, step by step (see `KnowledgeBase::run_from`): the closed
/// components, then the input, then the rest; or the input, then every component.
pub(crate) struct Run<'kb> {
    kb: &'kb KnowledgeBase,
    pub(crate) store: RunStore<'kb>,
    rec: Record,
    strength: Strength<'kb>,
    work: Work,
    limits: Limits,
    prefix: Option<Prefix>,
}

impl<'kb> Run<'kb> {
    pub(crate) fn start(
        kb: &'kb KnowledgeBase,
        store: RunStore<'kb>,
        records: Records,
        limits: Limits,
    ) -> Self {
        Self::open(kb, store, records, limits, None)
    }

    /// A run whose store and records hold an earlier run's closed components, up to
    /// `prefix` (see [`Records::rewind`]): it goes on from there.
    pub(crate) fn resume(
        kb: &'kb KnowledgeBase,
        store: RunStore<'kb>,
        records: Records,
        prefix: Prefix,
        limits: Limits,
    ) -> Self {
        Self::open(kb, store, records, limits, Some(prefix))
    }

    fn open(
        kb: &'kb KnowledgeBase,
        store: RunStore<'kb>,
        records: Records,
        limits: Limits,
        prefix: Option<Prefix>,
    ) -> Self {
        let Records {
            derivations,
            premises,
            mut work,
        } = records;
        let mut per_fact = std::mem::take(&mut work.per_fact);
        let bufs = std::mem::take(&mut work.strength);
        let (strength, errors, unrecorded) = match &prefix {
            Some(p) => {
                debug_assert_eq!(store.len(), p.facts);
                debug_assert_eq!(derivations.len(), p.derivations);
                let strength = Strength::resume(kb, bufs, &p.pred_weak);
                (strength, p.errors.clone(), p.unrecorded.clone())
            }
            None => {
                debug_assert!(derivations.is_empty() && premises.is_empty());
                per_fact.clear();
                (Strength::reusing(kb, bufs), Vec::new(), Default::default())
            }
        };
        Run {
            kb,
            store,
            rec: Record {
                derivations,
                premises,
                per_fact,
                errors,
                unrecorded,
            },
            strength,
            work,
            limits,
            prefix,
        }
    }

    /// Whether the run went on from an earlier one's closed components.
    pub(crate) fn resumed(&self) -> bool {
        self.prefix.is_some()
    }

    /// Mark where the closed components end, for the next run (see [`Prefix`]).
    pub(crate) fn keep_prefix(&mut self) {
        self.prefix = Some(Prefix {
            facts: self.store.len(),
            derivations: self.rec.derivations.len(),
            premises: self.rec.premises.len(),
            errors: self.rec.errors.clone(),
            unrecorded: self.rec.unrecorded.clone(),
            pred_weak: self.strength.pred_weak().to_vec(),
        });
    }

    /// Evaluate the components marked `closed` only, each copied by `replay` instead when
    /// it can.
    pub(crate) fn closed(
        &mut self,
        interner: &Interner,
        closed: &[bool],
        replay: Option<&mut Replay<'_>>,
    ) -> Result<(), RunError> {
        self.fixpoint(interner, Mode::Closed(closed, replay, None))
    }

    /// The run's input, stored from id `from` on: its certainties.
    pub(crate) fn assert_input(&mut self, assertions: &[super::Assertion], from: FactId) {
        self.strength
            .assert_input(self.kb, &self.store, assertions, from);
    }

    /// Evaluate every component but those marked in `skip`.
    pub(crate) fn evaluate(
        &mut self,
        interner: &Interner,
        skip: Option<&[bool]>,
    ) -> Result<(), RunError> {
        self.fixpoint(interner, skip.map_or(Mode::All, Mode::Except))
    }

    fn fixpoint(&mut self, interner: &Interner, mode: Mode<'_, '_>) -> Result<(), RunError> {
        fixpoint(
            self.kb,
            interner,
            &mut self.store,
            &mut self.rec,
            &mut self.strength,
            self.limits,
            mode,
            &mut self.work,
        )
    }

    pub(crate) fn finish(self) -> RunState<'kb> {
        let Run {
            store,
            rec,
            strength,
            mut work,
            prefix,
            ..
        } = self;
        let (certainty, restated, spare) = strength.into_own();
        work.strength = spare;
        work.per_fact = rec.per_fact;
        RunState {
            work,
            prefix,
            certainty,
            restated,
            store,
            derivations: rec.derivations,
            premises: rec.premises,
            errors: rec.errors,
            unrecorded: rec.unrecorded,
        }
    }
}

/// Empty vectors for a run's derivations and premises, and those it works in, kept from an
/// earlier run (batch runs reuse them rather than grow new ones each time: a fact set of a
/// few dozen facts spent a tenth of its time growing vectors from nothing).
#[derive(Default)]
pub struct Records {
    pub(crate) derivations: Vec<Derivation>,
    pub(crate) premises: Vec<FactId>,
    pub(crate) work: Work,
}

impl Records {
    /// Forget everything.
    pub(crate) fn clear(&mut self) {
        self.derivations.clear();
        self.premises.clear();
        self.work.per_fact.clear();
    }

    /// Forget what came after `prefix`, as it was when the run that made it ran its last
    /// closed component (`first`: the number of stated facts).
    pub(crate) fn rewind(&mut self, prefix: &Prefix, first: usize) {
        let per_fact = &mut self.work.per_fact;
        // Each recorded derivation added one to its fact's count.
        for d in &self.derivations[prefix.derivations..] {
            let f = d.fact as usize;
            if f < prefix.facts {
                per_fact[f] -= 1;
            }
        }
        per_fact.truncate(prefix.facts);
        self.derivations.truncate(prefix.derivations);
        self.premises.truncate(prefix.premises);
        self.work.strength.truncate(prefix.facts - first);
    }
}

/// The vectors evaluation works in besides its records (their contents do not outlast a
/// run; see [`Records`]).
#[derive(Default)]
pub(crate) struct Work {
    pending: Pending,
    /// The rules a round triggers, and the predicates it has seen (see
    /// `Component::triggered`).
    triggered: Vec<(usize, usize)>,
    seen: rustc_hash::FxHashSet<PredId>,
    /// The rules that concluded something new this round.
    productive: Vec<usize>,
    banned: Banned,
    settling: super::strength::Settling,
    per_fact: Vec<u16>,
    /// The run's certainties (its `own` vector is the fact graph's meanwhile).
    pub(crate) strength: super::strength::Buffers,
}

/// What a run records besides facts.
#[derive(Default)]
pub(crate) struct Record {
    pub(crate) derivations: Vec<Derivation>,
    pub(crate) premises: Vec<FactId>,
    pub(crate) errors: Vec<RuleError>,
    /// Derivations recorded per fact (saturating at the cap), by fact id.
    pub(crate) per_fact: Vec<u16>,
    /// Derivations past the cap, by fact: counted, not recorded.
    pub(crate) unrecorded: rustc_hash::FxHashMap<FactId, u64>,
}

/// Lengthen `counts` to `len` with zeros. Counts are by fact id, and a run's first
/// derivation is of a fact past the stated ones (3.2 million on W3): the first vector comes
/// zeroed from the allocator, whose untouched pages cost no memory, and later growth writes
/// only the new part.
pub(crate) fn grow_zeroed(counts: &mut Vec<u16>, len: usize) {
    if counts.is_empty() {
        *counts = vec![0; len];
    } else {
        counts.resize(len, 0);
    }
}

/// Copies component `ci`'s results into a run instead of evaluating it, when it can
/// (see `closed`); returns whether it did.
pub(crate) type Replay<'a> =
    dyn for<'s> FnMut(usize, &mut RunStore<'s>, &mut Record, &mut Strength<'s>) -> bool + 'a;

/// One component's share of what a run records: its facts (ids), derivations, premises and
/// errors (positions in the records).
#[derive(Clone, Debug, Default)]
pub(crate) struct Share {
    pub facts: std::ops::Range<usize>,
    pub derivations: std::ops::Range<usize>,
    pub premises: std::ops::Range<usize>,
    pub errors: std::ops::Range<usize>,
    /// The most facts and derivations the component added at any time (more than it keeps
    /// when it bans facts and runs again): what the limits were checked against.
    pub peak: (usize, usize),
}

/// Which components a run evaluates.
enum Mode<'a, 'r> {
    /// Every one.
    All,
    /// The marked (closed) ones only, each copied by `Replay` instead when given and it
    /// can, noting each one's share of what the run records when asked.
    Closed(
        &'a [bool],
        Option<&'a mut Replay<'r>>,
        Option<&'a mut Vec<(usize, Share)>>,
    ),
    /// Every one but the marked ones.
    Except(&'a [bool]),
}

/// What [`run_closed`] gives: the run's facts and records (with each fact's derivation
/// count, which [`RunState`] does not keep).
pub(crate) struct ClosedRun<'kb> {
    pub store: RunStore<'kb>,
    /// By `id - stated facts`, up to the last one set (see [`RunState::certainty`]).
    pub certainty: Vec<f64>,
    pub per_fact: Vec<u16>,
    pub unrecorded: rustc_hash::FxHashMap<FactId, u64>,
    pub derivations: Vec<Derivation>,
    pub premises: Vec<FactId>,
    pub errors: Vec<RuleError>,
}

/// Evaluate the components marked `closed` on the stated facts alone (see `closed`).
pub(crate) fn run_closed<'kb>(
    kb: &'kb KnowledgeBase,
    closed: &[bool],
    limits: Limits,
) -> Result<(ClosedRun<'kb>, Vec<(usize, Share)>), RunError> {
    let mut store = RunStore::new(&kb.base, kb.base.layer());
    let mut rec = Record::default();
    let mut strength = Strength::new(kb);
    let mut parts = Vec::new();
    fixpoint(
        kb,
        &kb.interner,
        &mut store,
        &mut rec,
        &mut strength,
        limits,
        Mode::Closed(closed, None, Some(&mut parts)),
        &mut Work::default(),
    )?;
    Ok((
        ClosedRun {
            certainty: strength.into_own().0,
            store,
            per_fact: rec.per_fact,
            unrecorded: rec.unrecorded,
            derivations: rec.derivations,
            premises: rec.premises,
            errors: rec.errors,
        },
        parts,
    ))
}

/// Facts of a recursive component that fell to the threshold or below, by content: when the
/// component runs again, they are derived but cannot serve as premises. (Keyed, as facts
/// are: `crate::keyed`.)
type Banned = crate::keyed::KeyedSet<(PredId, Box<[Val]>)>;

/// Evaluate every component in dependency order, to the fixpoint or a limit, settling the
/// certainties of each before the next reads it (see `strength`).
#[allow(clippy::too_many_arguments)]
fn fixpoint<'kb>(
    kb: &'kb KnowledgeBase,
    interner: &Interner,
    store: &mut RunStore<'kb>,
    rec: &mut Record,
    strength: &mut Strength<'kb>,
    limits: Limits,
    mut mode: Mode<'_, '_>,
    work: &mut Work,
) -> Result<(), RunError> {
    // Reused from round to round (a chain of rules has a round per rule) and, in batch runs,
    // from run to run.
    let Work {
        pending,
        triggered,
        seen,
        productive,
        banned,
        settling,
        ..
    } = work;
    // A run stopped at a limit may have left conclusions pending.
    pending.vals.clear();
    pending.prems.clear();
    pending.count = 0;
    for (ci, comp) in kb.components.iter().enumerate() {
        let skip = match &mut mode {
            Mode::All => false,
            Mode::Except(which) => which[ci],
            Mode::Closed(which, replay, _) => {
                !which[ci] || replay.as_mut().is_some_and(|r| r(ci, store, rec, strength))
            }
        };
        if skip {
            continue;
        }
        let settles = !comp.certain || strength.all_uncertain;
        let start = (
            store.len(),
            rec.derivations.len(),
            rec.premises.len(),
            rec.errors.len(),
        );
        banned.clear();
        let mut peak = (start.0, start.1);
        // Counts past the cap as they were, to start again from when the component is
        // taken back (it may conclude earlier facts too, whose counts stay).
        let unrecorded_before = (comp.recursive && settles).then(|| rec.unrecorded.clone());
        loop {
            let mut cx = Firing {
                kb,
                interner,
                rec: &mut *rec,
                pending: &mut *pending,
                strength: &mut *strength,
                banned: &*banned,
                limits: &limits,
                high: peak.0,
            };
            component(&mut cx, comp, store, productive, triggered, seen)?;
            // The most the component held or was checked against (it may be taken back
            // and run again): copying it must not pass a limit evaluating it would hit.
            peak = (cx.high.max(store.len()), peak.1.max(rec.derivations.len()));
            if !settles {
                break;
            }
            super::strength::settle(
                kb,
                ci as u32,
                comp,
                store,
                &rec.derivations[start.1..],
                &rec.premises,
                strength,
                settling,
            );
            if !comp.recursive {
                break;
            }
            // Ban the lowest weak facts only: their evidence comes from facts that hold, so
            // they stay weak whatever is banned later. A higher one may be weak only because
            // its lowest derivation went through a lower weak fact, and once that is banned
            // it can hold again.
            let mut again = false;
            let mut lowest = None;
            for &(height, f) in &settling.weak {
                if lowest.is_some_and(|h| h < height) {
                    break;
                }
                let key = (store.pred_of(f), store.args(f).iter().collect());
                if !banned.contains(&key) {
                    banned.insert(key);
                    lowest = Some(height);
                    again = true;
                }
            }
            if !again {
                break;
            }
            // Take the component back and run it again without the banned facts.
            store.truncate(start.0);
            strength.truncate(start.0);
            rec.derivations.truncate(start.1);
            rec.premises.truncate(start.2);
            rec.errors.truncate(start.3);
            // The component's facts are new ones (asserted facts keep their counts only if
            // they were concluded here too; recount them from what stays).
            rec.per_fact.truncate(start.0);
            if let Some(before) = &unrecorded_before {
                rec.unrecorded.clone_from(before);
            }
            for v in rec.per_fact.iter_mut() {
                *v = 0;
            }
            for d in &rec.derivations {
                let c = &mut rec.per_fact[d.fact as usize];
                *c = c.saturating_add(1);
            }
        }
        if let Mode::Closed(_, _, Some(parts)) = &mut mode {
            parts.push((
                ci,
                Share {
                    facts: start.0..store.len(),
                    derivations: start.1..rec.derivations.len(),
                    premises: start.2..rec.premises.len(),
                    errors: start.3..rec.errors.len(),
                    peak: (peak.0 - start.0, peak.1 - start.1),
                },
            ));
        }
    }
    Ok(())
}

/// What firing rules needs.
struct Firing<'a, 'kb> {
    kb: &'kb KnowledgeBase,
    interner: &'a Interner,
    rec: &'a mut Record,
    pending: &'a mut Pending,
    strength: &'a mut Strength<'kb>,
    banned: &'a Banned,
    limits: &'a Limits,
    /// The most facts a join's limit check could have seen: the facts at its start and its
    /// conclusions still pending (duplicates too), over the firings so far.
    high: usize,
}

impl Firing<'_, '_> {
    /// Apply one plan of one rule to the facts `lo..hi`, record what it concludes, and stop
    /// at the limits.
    fn fire(
        &mut self,
        store: &mut RunStore<'_>,
        r: usize,
        plan: &Plan,
        (lo, hi): (FactId, FactId),
        productive: &mut Vec<usize>,
    ) -> Result<(), RunError> {
        let kb = self.kb;
        let mut productive_here = false;
        let mut stopped = None;
        let mut passes = std::mem::take(&mut self.pending.passes);
        outer_chunks(store, plan, (lo, hi), &mut passes);
        let whole = [(0, FactId::MAX)];
        for &outer in if passes.is_empty() {
            &whole[..]
        } else {
            &passes
        } {
            let at = store.len();
            let premises = self.rec.premises.len();
            stopped = exec(
                self.interner,
                store,
                &kb.rules[r],
                r as u32,
                plan,
                (lo, hi),
                outer,
                self.pending,
                &mut self.rec.errors,
                self.strength,
                (self.limits, premises),
            );
            self.high = self.high.max(at + self.pending.count);
            if stopped.is_some() {
                // The run ends with an error; what the join kept pending would only cost the
                // time and memory of storing it.
                self.pending.vals.clear();
                self.pending.prems.clear();
                self.pending.count = 0;
            }
            productive_here |= flush(
                store,
                self.rec,
                kb,
                r as u32,
                self.pending,
                self.strength,
                self.banned,
            );
            if stopped.is_some() {
                break;
            }
        }
        self.pending.passes = passes;
        if productive_here || stopped.is_some() {
            // A join that ran past a limit is named, whatever it concluded.
            productive.push(r);
        }
        check_limits(store, self.rec, self.limits, kb, productive, stopped)
    }
}

/// How many facts of a plan's first scan one pass of a join reads before its conclusions
/// are stored: the conclusions wait in [`Pending`] meanwhile (W3 at 1,000,000 projects kept
/// 1.4 million of them, 70 MB, when a join was one pass).
const OUTER_CHUNK: usize = 16_384;

#[cfg(not(test))]
fn outer_chunk() -> usize {
    OUTER_CHUNK
}

#[cfg(test)]
thread_local! {
    /// Tests cut joins into passes of a few facts, to compare them with one pass.
    static TEST_OUTER_CHUNK: std::cell::Cell<usize> = const { std::cell::Cell::new(OUTER_CHUNK) };
}

#[cfg(test)]
fn outer_chunk() -> usize {
    TEST_OUTER_CHUNK.with(|c| c.get())
}

/// The id ranges that cut the facts a plan's first scan reads into passes of
/// [`OUTER_CHUNK`], into `passes` (left empty for one pass: they are fewer).
///
/// The passes read the facts in the order one pass would, so the conclusions, derivations
/// and errors come in the same order. What a pass stores is not seen by the next: every
/// scan stops at the round's last fact (`hi`), and a negated condition is of a
/// lower component (E0106), which this rule does not add to. Only the limits see a
/// difference: a join's fact limit counts the facts stored so far and the pass's pending
/// conclusions, so duplicates concluded in earlier passes no longer count twice.
fn outer_chunks(
    store: &RunStore<'_>,
    plan: &Plan,
    (lo, hi): (FactId, FactId),
    passes: &mut Vec<(FactId, FactId)>,
) {
    passes.clear();
    let Some(Step::Scan {
        pred,
        index,
        range,
        slot,
        ..
    }) = plan.steps.get(plan.first_scan)
    else {
        return;
    };
    let chunk = outer_chunk();
    // A scan reads at most its predicate's facts: with as few as a pass, no index is looked
    // up (a batch fires each rule once a set on a few dozen facts: 8% of its evaluation).
    if store.count(*pred) <= chunk {
        return;
    }
    let (rlo, rhi) = bounds(*range, *slot, plan, (lo, hi));
    // Nothing is bound before the first scan: an index it reads is keyed by constants.
    let layers = match index {
        Some((idx, key)) if key.iter().all(|t| matches!(t, Term::Const(_))) => {
            store.bucket(*idx, key_hash(*pred, key, &[]), key_first(key, &[]))
        }
        _ => store.ids(*pred),
    }
    .map(|ids| ids.within(rlo, rhi));
    if layers.iter().map(|l| l.len()).sum::<usize>() <= chunk {
        return;
    }
    let mut starts = layers.into_iter().flatten().step_by(chunk);
    let mut start = starts.next().unwrap_or(0);
    for next in starts {
        passes.push((start, next));
        start = next;
    }
    passes.push((start, FactId::MAX));
}

/// The ids a scan of `slot` reads in a round whose delta is `lo..hi`.
#[inline(always)]
fn bounds(range: Range, slot: usize, plan: &Plan, (lo, hi): (FactId, FactId)) -> (FactId, FactId) {
    match range {
        Range::Delta => (lo, hi),
        Range::Old => (0, lo),
        Range::All => (0, hi),
        // Only a wide rule's scans (see `compile::MAX_DELTA_STEPS`) say so.
        Range::BySlot => match plan.range_of(slot) {
            Range::Delta => (lo, hi),
            Range::Old => (0, lo),
            Range::All | Range::BySlot => (0, hi),
        },
    }
}

/// One component to its fixpoint: a first round of every rule on all known facts, then
/// (recursive components only) rounds of the rules the previous round's new facts trigger.
fn component(
    cx: &mut Firing<'_, '_>,
    comp: &super::Component,
    store: &mut RunStore<'_>,
    productive: &mut Vec<usize>,
    triggered: &mut Vec<(usize, usize)>,
    seen: &mut rustc_hash::FxHashSet<PredId>,
) -> Result<(), RunError> {
    let kb = cx.kb;
    let hi = store.len() as FactId;
    productive.clear();
    for &r in &comp.rules {
        let rule = &kb.rules[r];
        // A condition on a predicate without facts: the rule concludes nothing (a batch's
        // fact set leaves a quarter of the shipped rules so).
        let empty = rule.positives.iter().any(|&b| match &rule.body[b] {
            CLit::Pos(a) => store.count(a.pred) == 0,
            _ => false,
        });
        if empty {
            // Still checked where firing it would check them.
            check_limits(store, cx.rec, cx.limits, kb, productive, None)?;
        } else {
            cx.fire(store, r, rule.full_plan(), (0, hi), productive)?;
        }
    }
    if !comp.recursive {
        return Ok(());
    }
    let mut lo = hi;
    loop {
        let hi = store.len() as FactId;
        if lo == hi {
            return Ok(());
        }
        productive.clear();
        comp.triggered(store, lo, hi, triggered, seen);
        for &(r, k) in triggered.iter() {
            let plan = &kb.rules[r].delta_plans[k];
            debug_assert!(!plan.is_never_run(), "rule {r} triggered on condition {k}");
            cx.fire(store, r, plan, (lo, hi), productive)?;
        }
        lo = hi;
    }
}

fn check_limits(
    store: &RunStore<'_>,
    rec: &Record,
    limits: &Limits,
    kb: &KnowledgeBase,
    productive: &[usize],
    join_stopped: Option<Stop>,
) -> Result<(), RunError> {
    let names = || {
        let mut v: Vec<String> = productive
            .iter()
            .map(|&r| kb.rules[r].meta.name.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    if store.len() > limits.max_facts {
        return Err(RunError::TooManyFacts {
            limit: limits.max_facts,
            rules: names(),
        });
    }
    if rec.derivations.len() > limits.max_derivations {
        return Err(RunError::TooManyDerivations {
            limit: limits.max_derivations,
            rules: names(),
        });
    }
    if rec.premises.len() > limits.max_premises() {
        return Err(RunError::TooManyPremises {
            limit: limits.max_premises(),
            rules: names(),
        });
    }
    if let Some(d) = limits.deadline {
        if Instant::now() >= d {
            return Err(RunError::Timeout {
                seconds: limits.timeout_secs,
                rules: names(),
            });
        }
    }
    match join_stopped {
        // The join stopped at the facts limit (the time limit is reported above): the
        // conclusions it was keeping count as facts.
        Some(Stop::Facts) => Err(RunError::TooManyFacts {
            limit: limits.max_facts,
            rules: names(),
        }),
        // Or at the premises its conclusions would record.
        Some(Stop::Premises) => Err(RunError::TooManyPremises {
            limit: limits.max_premises(),
            rules: names(),
        }),
        None => Ok(()),
    }
}

/// Why a join stopped early (see [`Budget::spend`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The time limit, or the facts limit: the store's facts and the join's pending
    /// conclusions.
    Facts,
    /// The premises limit: those recorded and those of the pending conclusions.
    Premises,
}

/// How many conclusions ahead [`flush`] reads the dedup table's slots.
const WARM_AHEAD: usize = 16;

/// Insert pending conclusions and record their derivations. Returns whether any fact was new.
fn flush(
    store: &mut RunStore<'_>,
    st: &mut Record,
    kb: &KnowledgeBase,
    r: u32,
    p: &mut Pending,
    strength: &mut Strength<'_>,
    banned: &Banned,
) -> bool {
    let rule = &kb.rules[r as usize];
    let (pred, args) = (rule.head.pred, &rule.head.args);
    let arity = args.len();
    let np = rule.positives.len();
    let mut any_new = false;
    // Each insertion reads a random slot of a table that may be far larger than the cache:
    // the slots of the next WARM_AHEAD conclusions are read ahead, so that their misses
    // overlap instead of following one another.
    let hash = |i: usize| hash_vals(pred, &p.vals[i * arity..(i + 1) * arity]);
    let mut ahead = [0u64; WARM_AHEAD];
    for (i, h) in ahead.iter_mut().enumerate().take(p.count) {
        *h = hash(i);
        store.warm(pred, *h);
    }
    for i in 0..p.count {
        let args = &p.vals[i * arity..(i + 1) * arity];
        let h = ahead[i % WARM_AHEAD];
        if i + WARM_AHEAD < p.count {
            let next = hash(i + WARM_AHEAD);
            store.warm(pred, next);
            ahead[i % WARM_AHEAD] = next;
        }
        let (fact, new) = store.insert_hashed(pred, args, h);
        any_new |= new;
        if new && !banned.is_empty() && banned.contains(&(pred, args.into())) {
            strength.mark_weak(fact, pred);
        }
        let f = fact as usize;
        if st.per_fact.len() <= f {
            grow_zeroed(&mut st.per_fact, f + 1);
        }
        if u32::from(st.per_fact[f]) >= MAX_DERIVATIONS_PER_FACT {
            *st.unrecorded.entry(fact).or_insert(0) += 1;
            continue;
        }
        st.per_fact[f] += 1;
        st.derivations.push(Derivation {
            rule: r,
            fact,
            prem_start: st.premises.len() as u32,
        });
        st.premises
            .extend_from_slice(&p.prems[i * np..(i + 1) * np]);
    }
    p.vals.clear();
    p.prems.clear();
    p.count = 0;
    any_new
}

struct Exec<'a> {
    interner: &'a Interner,
    store: &'a RunStore<'a>,
    rule: &'a CRule,
    rule_id: u32,
    plan: &'a Plan,
    lo: FactId,
    hi: FactId,
    /// The ids this pass reads of the plan's first scan (see [`outer_chunks`]).
    outer: (FactId, FactId),
    vars: Vec<Val>,
    set: Vec<bool>,
    prems: Vec<FactId>,
    out: &'a mut Pending,
    errors: &'a mut Vec<RuleError>,
    /// Which facts are too weak to hold.
    strength: &'a Strength<'a>,
    budget: Budget<'a>,
}

#[allow(clippy::too_many_arguments)]
fn exec(
    interner: &Interner,
    store: &RunStore<'_>,
    rule: &CRule,
    rule_id: u32,
    plan: &Plan,
    (lo, hi): (FactId, FactId),
    outer: (FactId, FactId),
    out: &mut Pending,
    errors: &mut Vec<RuleError>,
    strength: &Strength<'_>,
    (limits, premises): (&Limits, usize),
) -> Option<Stop> {
    // The binding buffers live in `out` between calls, so firing a rule does not allocate.
    let (mut vars, mut set, mut prems) = std::mem::take(&mut out.frame);
    vars.clear();
    vars.resize(rule.nvars, Val::Bool(false));
    set.clear();
    set.resize(rule.nvars, false);
    prems.clear();
    prems.resize(rule.positives.len(), 0);
    let mut ex = Exec {
        interner,
        store,
        rule,
        rule_id,
        plan,
        lo,
        hi,
        outer,
        vars,
        set,
        prems,
        out,
        errors,
        strength,
        budget: Budget {
            limits,
            facts: store.len(),
            premises,
            conditions: rule.positives.len(),
            work: 0,
            stopped: None,
        },
    };
    ex.step(0);
    let Exec {
        vars,
        set,
        prems,
        out,
        budget,
        ..
    } = ex;
    out.frame = (vars, set, prems);
    budget.stopped
}

/// The limits, checked inside a join: a rule joining three relations of a thousand facts
/// each would otherwise make a billion conclusions, or run for minutes, before the limits
/// were checked between rules.
struct Budget<'a> {
    limits: &'a Limits,
    /// Facts in the store when the join started.
    facts: usize,
    /// Premises recorded when the join started.
    premises: usize,
    /// The premises of each conclusion: the rule's positive conditions.
    conditions: usize,
    /// Candidate facts examined since the last check.
    work: u32,
    stopped: Option<Stop>,
}

impl Budget<'_> {
    /// Count one candidate; every [`BUDGET_STEP`], check the time, the facts the join has
    /// concluded so far and the premises they would record. True when the join must stop.
    #[inline]
    fn spend(&mut self, pending: usize) -> bool {
        self.work += 1;
        if self.work < BUDGET_STEP {
            return self.stopped.is_some();
        }
        self.work = 0;
        let over_time = self.limits.deadline.is_some_and(|d| Instant::now() >= d);
        if over_time || self.facts + pending > self.limits.max_facts {
            self.stopped = Some(Stop::Facts);
        } else if self.premises + pending.saturating_mul(self.conditions)
            > self.limits.max_premises()
        {
            self.stopped = Some(Stop::Premises);
        }
        self.stopped.is_some()
    }
}

/// Hash of an index key given by terms under bindings.
#[inline]
pub fn key_hash(pred: PredId, key: &[Term], vars: &[Val]) -> u64 {
    hash_owned_vals(pred, key.iter().map(|&t| term_value(t, vars)))
}

/// The value of an index key's first term under bindings.
#[inline]
pub fn key_first(key: &[Term], vars: &[Val]) -> Val {
    term_value(key[0], vars)
}

#[inline]
fn term_value(t: Term, vars: &[Val]) -> Val {
    match t {
        Term::Const(c) => c,
        Term::Var(v) => vars[v as usize],
        Term::Any => Val::Bool(false),
    }
}

impl Exec<'_> {
    fn step(&mut self, i: usize) {
        let Some(step) = self.plan.steps.get(i) else {
            self.conclude();
            return;
        };
        match step {
            Step::Scan {
                slot,
                pred,
                index,
                ops,
                range,
                ..
            } => {
                let (mut lo, mut hi) = bounds(*range, *slot, self.plan, (self.lo, self.hi));
                if self.plan.first_scan == i {
                    (lo, hi) = (lo.max(self.outer.0), hi.min(self.outer.1));
                }
                if lo >= hi {
                    return;
                }
                let store = self.store;
                // Facts too weak to hold meet no condition (checked only for the predicates
                // that have some).
                let check_weak = self.strength.pred_may_be_weak(*pred);
                // The stated facts, then the run's (both in id order).
                let layers = match index {
                    Some((idx, key)) => store.bucket_by(
                        *idx,
                        || key_hash(*pred, key, &self.vars),
                        key_first(key, &self.vars),
                    ),
                    None => store.ids(*pred),
                };
                for ids in layers {
                    // One plain loop per form of the ids (a range, or a list).
                    let go = match ids.within(lo, hi) {
                        IdList::Run(a, b) => {
                            (a..b).all(|f| self.scanned(f, i, *slot, ops, check_weak))
                        }
                        IdList::List(v) => v
                            .iter()
                            .all(|&f| self.scanned(f, i, *slot, ops, check_weak)),
                    };
                    if !go {
                        return;
                    }
                }
                for op in ops {
                    if let ArgOp::Bind(_, v) = *op {
                        self.set[v as usize] = false;
                    }
                }
            }
            Step::Test { lit, index } => {
                let pass = match &self.rule.body[*lit] {
                    CLit::Neg(a) => !self.exists(a.pred, &a.args, index.as_ref()),
                    CLit::Cmp(l, op, r) => match (self.eval(l), self.eval(r)) {
                        (Ok(a), Ok(b)) => match compare(self.interner, a, *op, b) {
                            Ok(t) => t,
                            Err(e) => self.error(Some(*lit), e),
                        },
                        (Err(e), _) | (_, Err(e)) => self.error(Some(*lit), e),
                    },
                    CLit::In(e, negated, vals) => match self.eval(e) {
                        Ok(v) => vals.iter().any(|&x| values_equal(v, x)) != *negated,
                        Err(e) => self.error(Some(*lit), e),
                    },
                    CLit::Pos(_) => true,
                };
                if pass {
                    self.step(i + 1);
                }
            }
        }
    }

    /// Fact `f`, met by the scan of step `i`: if it matches the step's condition, bind its
    /// values and go on to the next step. False once the budget is spent (the join stops).
    #[inline(always)]
    fn scanned(
        &mut self,
        f: FactId,
        i: usize,
        slot: usize,
        ops: &[ArgOp],
        check_weak: bool,
    ) -> bool {
        if self.budget.spend(self.out.count) {
            return false;
        }
        if check_weak && self.strength.is_weak(f) {
            return true;
        }
        let args = self.store.args(f);
        // A plain loop: `Iterator::all` with this closure was a call per argument.
        for op in ops {
            let ok = match *op {
                ArgOp::Check(p, v) => args.is(p, v),
                ArgOp::CheckVar(p, v) => args.is(p, self.vars[v as usize]),
                ArgOp::Bind(p, v) => {
                    self.vars[v as usize] = args.get(p);
                    self.set[v as usize] = true;
                    true
                }
            };
            if !ok {
                return true;
            }
        }
        self.prems[slot] = f;
        self.step(i + 1);
        true
    }

    fn exists(&self, pred: PredId, args: &[Term], index: Option<&(usize, Vec<Term>)>) -> bool {
        let layers = match index {
            Some((idx, key)) => self.store.bucket_by(
                *idx,
                || key_hash(pred, key, &self.vars),
                key_first(key, &self.vars),
            ),
            None => self.store.ids(pred),
        };
        let check_weak = self.strength.pred_may_be_weak(pred);
        // Plain loops, as in `scanned`.
        for ids in layers {
            'facts: for f in ids {
                if check_weak && self.strength.is_weak(f) {
                    continue;
                }
                let fa = self.store.args(f);
                for (p, t) in args.iter().enumerate() {
                    let ok = match *t {
                        Term::Const(c) => fa.is(p, c),
                        Term::Var(v) if self.set[v as usize] => fa.is(p, self.vars[v as usize]),
                        _ => true,
                    };
                    if !ok {
                        continue 'facts;
                    }
                }
                return true;
            }
        }
        false
    }

    fn error(&mut self, literal: Option<usize>, message: String) -> bool {
        let known = self
            .errors
            .iter()
            .filter(|e| e.rule == self.rule_id)
            .count();
        if known < 20
            && !self
                .errors
                .iter()
                .any(|e| e.rule == self.rule_id && e.literal == literal && e.message == message)
        {
            self.errors.push(RuleError {
                rule: self.rule_id,
                literal,
                bindings: self
                    .vars
                    .iter()
                    .zip(&self.set)
                    .map(|(v, s)| s.then_some(*v))
                    .collect(),
                message,
            });
        }
        false
    }

    fn eval(&self, e: &CExpr) -> Result<Val, String> {
        eval_expr(e, &|v| self.set[v as usize].then(|| self.vars[v as usize]))
    }

    fn conclude(&mut self) {
        // Straight into the pending values (no vector per derivation); taken back on error.
        let start = self.out.vals.len();
        for a in &self.rule.head.args {
            // Most conclusions' values are the join's variables, read without the evaluator.
            let value = match a {
                CExpr::Term(Term::Var(v)) if self.set[*v as usize] => Ok(self.vars[*v as usize]),
                CExpr::Term(Term::Const(c)) => Ok(*c),
                e => self.eval(e),
            };
            match value {
                Ok(v) => self.out.vals.push(v),
                Err(e) => {
                    self.out.vals.truncate(start);
                    self.error(None, e);
                    return;
                }
            }
        }
        self.out.prems.extend_from_slice(&self.prems);
        self.out.count += 1;
    }
}

/// Evaluate an expression; `var` gives a variable's value if it has one.
pub fn eval_expr(e: &CExpr, var: &dyn Fn(u16) -> Option<Val>) -> Result<Val, String> {
    match e {
        CExpr::Term(Term::Const(c)) => Ok(*c),
        CExpr::Term(Term::Var(v)) => var(*v).ok_or_else(|| "a variable has no value".to_string()),
        CExpr::Term(Term::Any) => Err("`_` has no value".into()),
        CExpr::Bin(op, a, b) => arith(*op, eval_expr(a, var)?, eval_expr(b, var)?),
    }
}

pub fn arith(op: ArithOp, a: Val, b: Val) -> Result<Val, String> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => {
            let r = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Div => {
                    if y == 0 {
                        return Err(format!("division by zero in `{x} / {y}`"));
                    }
                    // `checked_rem`: i64::MIN % -1 overflows (the quotient does not fit).
                    match x.checked_rem(y) {
                        Some(0) => x.checked_div(y),
                        Some(_) => return Ok(Val::dec(x as f64 / y as f64)),
                        None => None,
                    }
                }
            };
            r.map(Val::Int)
                .ok_or_else(|| format!("`{x} {} {y}` overflows a 64-bit integer", op.symbol()))
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => {
                if op == ArithOp::Div && y == 0.0 {
                    return Err(format!("division by zero in `{x:?} / {y:?}`"));
                }
                let r = match op {
                    ArithOp::Add => x + y,
                    ArithOp::Sub => x - y,
                    ArithOp::Mul => x * y,
                    ArithOp::Div => x / y,
                };
                if r.is_finite() {
                    Ok(Val::dec(r))
                } else {
                    Err(format!("`{x:?} {} {y:?}` is out of range", op.symbol()))
                }
            }
            _ => Err(format!(
                "cannot compute `{}` on {} and {}",
                op.symbol(),
                crate::check::article(a.type_name()),
                crate::check::article(b.type_name())
            )),
        },
    }
}

/// Equality used by comparisons and membership: numbers compare by value across types.
pub fn values_equal(a: Val, b: Val) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

pub fn compare(interner: &Interner, a: Val, op: CmpOp, b: Val) -> Result<bool, String> {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(&y)),
        _ if a.as_f64().is_some() && b.as_f64().is_some() => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(x, y)| x.partial_cmp(&y)),
        (Val::Sym(x), Val::Sym(y)) | (Val::Str(x), Val::Str(y)) => {
            Some(interner.name(x).cmp(interner.name(y)))
        }
        _ => None,
    };
    match (op, ord) {
        (CmpOp::Eq, o) => Ok(o == Some(Ordering::Equal) || (o.is_none() && a == b)),
        (CmpOp::Ne, o) => Ok(!(o == Some(Ordering::Equal) || (o.is_none() && a == b))),
        (_, None) => Err(format!(
            "cannot order {} and {} with `{}`",
            crate::check::article(a.type_name()),
            crate::check::article(b.type_name()),
            op.symbol()
        )),
        (CmpOp::Lt, Some(o)) => Ok(o == Ordering::Less),
        (CmpOp::Le, Some(o)) => Ok(o != Ordering::Greater),
        (CmpOp::Gt, Some(o)) => Ok(o == Ordering::Greater),
        (CmpOp::Ge, Some(o)) => Ok(o != Ordering::Less),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Type errors name both types, each with its article.
    #[test]
    fn type_errors_name_both_types() {
        let mut i = Interner::default();
        let s = Val::Str(i.intern("x"));
        assert_eq!(
            compare(&i, Val::Int(1), CmpOp::Gt, s),
            Err("cannot order an integer and a string with `>`".into())
        );
        assert_eq!(
            arith(ArithOp::Add, s, Val::Bool(true)),
            Err("cannot compute `+` on a string and a boolean".into())
        );
    }

    /// Every fact (text, certainty) and derivation (rule, fact, premises) of a run, in id
    /// order, and its rule errors.
    fn everything(kb: &KnowledgeBase) -> String {
        let g = kb.run(&[], Limits::default()).expect("the run ends");
        let mut out = format!("rule errors {}\n", g.rule_error_count());
        for f in 0..g.fact_count() as FactId {
            out += &format!("{f} {} {}\n", g.show_fact(f), g.certainty(f));
        }
        for d in 0..g.derivation_count() as u32 {
            let der = g.derivation(d);
            out += &format!("{} {} {:?}\n", der.rule, der.fact, g.premises(d));
        }
        out
    }

    /// Every fact (text, certainty) and derivation (rule, fact, premises, as text) of a run,
    /// sorted: what a run concludes and how, whatever the order it found them in.
    fn everything_unordered(kb: &KnowledgeBase) -> Vec<String> {
        let g = kb.run(&[], Limits::default()).expect("the run ends");
        let mut out = vec![format!("rule errors {}", g.rule_error_count())];
        for f in 0..g.fact_count() as FactId {
            out.push(format!("fact {} {}", g.show_fact(f), g.certainty(f)));
        }
        for d in 0..g.derivation_count() as u32 {
            let der = g.derivation(d);
            let premises: Vec<String> = g.premises(d).iter().map(|&p| g.show_fact(p)).collect();
            out.push(format!(
                "{} {} {premises:?}",
                der.rule,
                g.show_fact(der.fact)
            ));
        }
        out.sort();
        out
    }

    /// Rules whose delta plans share their full plan (see `compile::MAX_DELTA_STEPS`)
    /// conclude the same facts, as certain, by the same derivations, as rules with a plan
    /// for each recursive condition: transitive closure both ways, same generation,
    /// mutual recursion, a negation of a lower component, certainties with facts too weak
    /// to hold banned and evaluated again, and a rule reading one recursive predicate
    /// three times.
    #[test]
    fn shared_delta_plans_derive_what_their_own_plans_do() {
        let programs = [
            "rule base when e(X, Y) then path(X, Y)\n\
             rule right when path(X, Y) and e(Y, Z) then path(X, Z)\n\
             rule both when path(X, Y) and path(Y, Z) then path(X, Z)\n",
            "rule sib when parent(P, X) and parent(P, Y) then sg(X, Y)\n\
             rule up when parent(A, X) and sg(A, B) and parent(B, Y) then sg(X, Y)\n",
            "rule a when e(X, Y) and not blocked(Y) then odd(X, Y)\n\
             rule b when odd(X, Y) and e(Y, Z) then even(X, Z)\n\
             rule c when even(X, Y) and e(Y, Z) and not blocked(Z) then odd(X, Z)\n",
            "threshold 0.3\n\
             rule base when e(X, Y) then link(X, Y) with certainty 0.9\n\
             rule far when link(X, Y) and link(Y, Z) then link(X, Z) with certainty 0.6\n\
             rule tri when link(X, Y) and link(Y, Z) and link(Z, W) then link(X, W) with certainty 0.8\n",
        ];
        for (n, rules) in programs.iter().enumerate() {
            let mut src = String::from(*rules);
            for i in 0..12 {
                src += &format!(
                    "fact e({i}, {})\nfact parent({}, {i})\n",
                    (i * 5 + 1) % 12,
                    i / 3
                );
                if i % 4 == 0 {
                    src += &format!("fact blocked({i})\n");
                }
            }
            let compile = || {
                KnowledgeBase::from_sources(&[("p.rules", &src)])
                    .map_err(|e| e.report.diagnostics.len())
                    .expect("the program compiles")
            };
            let own = everything_unordered(&compile());
            super::super::compile::TEST_MAX_DELTA_STEPS.with(|c| c.set(0));
            let kb = compile();
            super::super::compile::TEST_MAX_DELTA_STEPS
                .with(|c| c.set(super::super::compile::MAX_DELTA_STEPS));
            assert!(
                kb.rules
                    .iter()
                    .any(|r| r.delta_plans.iter().any(|p| p.delta.is_some())),
                "program {n} shares no plan"
            );
            let shared = everything_unordered(&kb);
            assert!(own.len() > 20, "program {n}: {own:?}");
            assert_eq!(shared, own, "program {n}");
        }
    }

    /// A join cut into passes (see `outer_chunks`) records what one pass does, in the same
    /// order: the first round's joins and the recursive rounds' (a delta first), a first scan
    /// through an index (a constant), conclusions repeated across passes (stored by one
    /// pass, found by the next), negation, uncertain conclusions and rule errors.
    #[test]
    fn a_join_cut_into_passes_records_what_one_pass_does() {
        let mut src = String::from(
            "rule base when e(X, Y) then path(X, Y)\n\
             rule step when path(X, Y) and e(Y, Z) then path(X, Z)\n\
             rule kind when e(X, Y) and m(Y, K) then kind(K) with certainty 0.4\n\
             rule open when path(X, Y) and not blocked(Y) then open(X, Y)\n\
             rule ratio when m(X, K) then ratio(X, 10 / K)\n\
             rule from_a when pair(a, Y) and m(Y, K) then hit(Y, K)\n",
        );
        for i in 0..40 {
            src += &format!("fact e({i}, {})\nfact m({i}, {})\n", i + 1, i % 7);
            src += &format!("fact pair(a, {i})\nfact pair(b, {})\n", i / 2);
            if i % 5 == 0 {
                src += &format!("fact blocked({i})\n");
            }
        }
        let kb = KnowledgeBase::from_sources(&[("chunks.rules", &src)])
            .map_err(|e| e.report.diagnostics.len())
            .expect("the program compiles");
        let one_pass = everything(&kb);
        assert!(
            one_pass.contains("kind(3)")
                && one_pass.contains("hit(39, 4)")
                && !one_pass.starts_with("rule errors 0"),
            "{one_pass}"
        );
        for chunk in [1, 3, 7, 16] {
            TEST_OUTER_CHUNK.with(|c| c.set(chunk));
            let passes = everything(&kb);
            TEST_OUTER_CHUNK.with(|c| c.set(OUTER_CHUNK));
            assert_eq!(passes, one_pass, "passes of {chunk} facts");
        }
    }
}
