//! What would change the answer: the smallest changes to the answers given (one answer
//! changed, added or removed; then pairs, if no single change does it) that make a
//! conclusion hold, come first among its output's conclusions, or come out ahead of
//! another. Found by running the program again on each variation, over the questions that
//! can reach the conclusion's output (the dependency graph), within a time budget.

use super::query::tie_key;
use super::{fmt_cf, round_cf};
use crate::ast::{Const, Question, ValueType};
use crate::engine::eval::Limits;
use crate::engine::graph::FactGraph;
use crate::engine::value::Val;
use crate::engine::{InputFact, KnowledgeBase, Origin, Scratch};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Changes listed at most (the strongest first).
pub const MAX_SHOWN: usize = 5;
/// How long the search may take; it stops there and says how far it got.
pub const BUDGET: Duration = Duration::from_millis(1500);
/// Integer questions are varied over their range when it holds at most this many values.
const MAX_RANGE: i64 = 16;

/// A fact named by predicate and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub pred: String,
    pub args: Vec<Const>,
}

impl Fact {
    /// The fact a ground pattern names (`None` when it has a wildcard).
    pub fn of(g: &FactGraph, pred: &str, args: &[Option<Val>]) -> Option<Fact> {
        let args = args
            .iter()
            .map(|v| v.map(|v| g.interner.to_const(v)))
            .collect::<Option<Vec<Const>>>()?;
        Some(Fact {
            pred: pred.to_string(),
            args,
        })
    }

    fn show(&self) -> String {
        if self.args.is_empty() {
            return self.pred.clone();
        }
        let a: Vec<String> = self.args.iter().map(Const::to_string).collect();
        format!("{}({})", self.pred, a.join(", "))
    }
}

/// What a variation must achieve.
#[derive(Debug, Clone)]
pub enum Goal {
    /// The fact holds (its certainty is above the threshold).
    Holds(Fact),
    /// The fact holds and no other conclusion of its output is stronger (ties allowed).
    First(Fact),
    /// The first fact holds and is stronger than the second (to two decimals).
    Ahead(Fact, Fact),
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    /// `holds`, `first` or `ahead`.
    pub goal: &'static str,
    /// The goal in words.
    pub text: String,
    /// Smallest sets of changes found, the strongest result first (at most five).
    pub changes: Vec<Change>,
    /// Sets of changes found that are not listed.
    pub more: usize,
    /// How many variations were run, and whether pairs of changes were tried.
    pub tried: usize,
    pub pairs: bool,
    /// True when the time budget ran out before every variation was tried.
    pub stopped: bool,
}

/// A set of changes to the answers, and what the conclusion becomes with it.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub edits: Vec<Edit>,
    /// The changes in words: "`database` relational instead of nosql".
    pub text: String,
    /// The conclusion's certainty after the change, and its rank among its output's.
    pub certainty: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// The conclusions that share that rank, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tied_with: Vec<String>,
}

/// One change to one question's answers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Edit {
    pub question: String,
    /// `change` (a single-valued answer replaced), `add` or `remove`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// The answers given, per question, in the order given.
type Answers = BTreeMap<String, Vec<(Const, f64)>>;

fn answers_of(facts: &[InputFact]) -> Answers {
    let mut a: Answers = BTreeMap::new();
    for f in facts {
        if let [c] = f.args.as_slice() {
            a.entry(f.pred.clone())
                .or_default()
                .push((c.clone(), f.certainty));
        }
    }
    a
}

fn facts_of(kb: &KnowledgeBase, base: &[InputFact], a: &Answers) -> Vec<InputFact> {
    // Facts that are not answers to a question are kept as they are.
    let questions: BTreeSet<&str> = kb.questions().map(|q| q.name.node.as_str()).collect();
    let mut out: Vec<InputFact> = base
        .iter()
        .filter(|f| !questions.contains(f.pred.as_str()) || f.args.len() != 1)
        .cloned()
        .collect();
    for (q, vs) in a {
        for (c, cf) in vs {
            out.push(InputFact {
                pred: q.clone(),
                args: vec![c.clone()],
                certainty: *cf,
                origin: Origin {
                    file: "<what-if>".into(),
                    key: Some(q.as_str().into()),
                    ..Origin::default()
                },
            });
        }
    }
    out
}

/// The values question `q` can be varied over.
fn values(q: &Question) -> Vec<Const> {
    match q.ty {
        ValueType::Boolean => vec![Const::Bool(true), Const::Bool(false)],
        ValueType::Integer => match (
            q.min.as_ref().map(|m| &m.node),
            q.max.as_ref().map(|m| &m.node),
        ) {
            (Some(Const::Int(lo)), Some(Const::Int(hi))) if hi.saturating_sub(*lo) < MAX_RANGE => {
                (*lo..=*hi).map(Const::Int).collect()
            }
            _ => q.allowed.iter().map(|v| v.node.clone()).collect(),
        },
        _ => q.allowed.iter().map(|v| v.node.clone()).collect(),
    }
}

/// Every single change to the answers of the questions in `relevant`.
fn edits(kb: &KnowledgeBase, a: &Answers, relevant: &BTreeSet<&str>) -> Vec<Edit> {
    let mut out = Vec::new();
    for q in kb.questions() {
        let name = q.name.node.as_str();
        if !relevant.contains(name) {
            continue;
        }
        let given: Vec<&Const> = a
            .get(name)
            .map_or(Vec::new(), |v| v.iter().map(|(c, _)| c).collect());
        let edit = |kind, from: Option<&Const>, to: Option<&Const>| Edit {
            question: name.to_string(),
            kind,
            from: from.map(Const::to_string),
            to: to.map(Const::to_string),
        };
        let vals = values(q);
        if q.many {
            for v in &vals {
                if !given.contains(&v) {
                    out.push(edit("add", None, Some(v)));
                }
            }
            for g in &given {
                out.push(edit("remove", Some(g), None));
            }
        } else if let Some(g) = given.first() {
            for v in &vals {
                if v != *g {
                    out.push(edit("change", Some(g), Some(v)));
                }
            }
            out.push(edit("remove", Some(g), None));
        } else {
            for v in &vals {
                out.push(edit("add", None, Some(v)));
            }
        }
    }
    out
}

/// The answers with `edits` applied.
fn apply(kb: &KnowledgeBase, a: &Answers, edits: &[&Edit]) -> Answers {
    let mut a = a.clone();
    for e in edits {
        let Some(q) = kb.question(&e.question) else {
            continue;
        };
        let parse = |s: &Option<String>| -> Option<Const> {
            let s = s.as_ref()?;
            values(q).into_iter().find(|v| &v.to_string() == s)
        };
        let entry = a.entry(e.question.clone()).or_default();
        match e.kind {
            "remove" => entry.retain(|(c, _)| Some(c) != parse(&e.from).as_ref()),
            "change" => {
                if let Some(to) = parse(&e.to) {
                    entry.clear();
                    entry.push((to, 1.0));
                }
            }
            _ => {
                if let Some(to) = parse(&e.to) {
                    entry.push((to, 1.0));
                }
            }
        }
        if entry.is_empty() {
            a.remove(&e.question);
        }
    }
    a
}

/// Where `f` stands in run `g`: its certainty, its rank among its output's concluded facts
/// (ties share a rank) if it holds, and the names of the others at that rank.
struct Place {
    cf: f64,
    rank: Option<usize>,
    tied_with: Vec<String>,
}

fn standing(g: &FactGraph, f: &Fact) -> Place {
    let Some(id) = g.lookup(&f.pred, &f.args) else {
        return Place {
            cf: 0.0,
            rank: None,
            tied_with: Vec::new(),
        };
    };
    let cf = g.certainty(id);
    let threshold = g.knowledge_base().threshold();
    if cf <= threshold {
        return Place {
            cf,
            rank: None,
            tied_with: Vec::new(),
        };
    }
    let mine = tie_key(round_cf(cf));
    let mut above = 0;
    let mut tied_with = Vec::new();
    for o in g.facts_of(&f.pred, f.args.len()) {
        let c = g.certainty(o);
        if o == id || c <= threshold {
            continue;
        }
        match tie_key(round_cf(c)).cmp(&mine) {
            std::cmp::Ordering::Greater => above += 1,
            std::cmp::Ordering::Equal => {
                let names: Vec<String> = g
                    .store
                    .args(o)
                    .iter()
                    .map(|v| super::display(g, v))
                    .collect();
                tied_with.push(names.join(", "));
            }
            std::cmp::Ordering::Less => {}
        }
    }
    tied_with.sort();
    Place {
        cf,
        rank: Some(above + 1),
        tied_with,
    }
}

fn reached(g: &FactGraph, goal: &Goal) -> Option<Place> {
    match goal {
        Goal::Holds(f) => Some(standing(g, f)).filter(|p| p.rank.is_some()),
        Goal::First(f) => Some(standing(g, f)).filter(|p| p.rank == Some(1)),
        Goal::Ahead(f, other) => {
            let o = standing(g, other).cf;
            Some(standing(g, f))
                .filter(|p| p.rank.is_some() && tie_key(round_cf(p.cf)) > tie_key(round_cf(o)))
        }
    }
}

fn edit_words(kb: &KnowledgeBase, e: &Edit) -> String {
    let shown = |s: &Option<String>| match s.as_deref().unwrap_or("") {
        "true" => "yes".to_string(),
        "false" => "no".to_string(),
        s => kb.display_name(s).unwrap_or(s).to_string(),
    };
    let many = kb.question(&e.question).is_some_and(|q| q.many);
    let q = &e.question;
    match (e.kind, many) {
        ("change", _) => format!("`{q}` were {} instead of {}", shown(&e.to), shown(&e.from)),
        ("add", true) => format!("`{q}` also included {}", shown(&e.to)),
        ("add", false) => format!("`{q}` were answered {}", shown(&e.to)),
        (_, true) => format!("`{q}` did not include {}", shown(&e.from)),
        (_, false) => format!("`{q}` were not answered"),
    }
}

/// Search for the smallest changes to `facts` that reach `goal`.
pub fn search(kb: &KnowledgeBase, facts: &[InputFact], goal: &Goal, limits: &Limits) -> WhatIf {
    let started = Instant::now();
    let answers = answers_of(facts);
    let target = match goal {
        Goal::Holds(f) | Goal::First(f) | Goal::Ahead(f, _) => f,
    };
    // Questions that can reach the target's predicate.
    let relevant: BTreeSet<&str> = kb
        .deps()
        .reaching([target.pred.as_str()])
        .into_iter()
        .collect();
    let singles = edits(kb, &answers, &relevant);
    let mut scratch = Scratch::default();
    let mut tried = 0;
    let mut stopped = false;
    let mut found: Vec<Change> = Vec::new();
    let mut attempt = |set: &[&Edit], found: &mut Vec<Change>, stopped: &mut bool| {
        if started.elapsed() > BUDGET {
            *stopped = true;
            return;
        }
        tried += 1;
        let varied = facts_of(kb, facts, &apply(kb, &answers, set));
        let limits = Limits {
            deadline: limits.deadline,
            ..*limits
        };
        if let Ok(g) = kb.run_with(&mut scratch, &varied, limits) {
            if let Some(place) = reached(&g, goal) {
                let words: Vec<String> = set.iter().map(|e| edit_words(kb, e)).collect();
                found.push(Change {
                    edits: set.iter().map(|e| (*e).clone()).collect(),
                    text: words.join(", and "),
                    certainty: round_cf(place.cf),
                    rank: place.rank,
                    tied_with: place.tied_with,
                });
            }
            scratch.recycle(g);
        }
    };
    for e in &singles {
        attempt(&[e], &mut found, &mut stopped);
    }
    let pairs = found.is_empty() && !stopped;
    if pairs {
        'outer: for (i, a) in singles.iter().enumerate() {
            for b in &singles[i + 1..] {
                // Two changes to one single-valued answer are not a pair of changes.
                let one_answer =
                    a.question == b.question && kb.question(&a.question).is_some_and(|q| !q.many);
                if one_answer {
                    continue;
                }
                attempt(&[a, b], &mut found, &mut stopped);
                if stopped {
                    break 'outer;
                }
            }
        }
    }
    found.sort_by(|a, b| {
        b.certainty
            .partial_cmp(&a.certainty)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.text.cmp(&b.text))
    });
    let more = found.len().saturating_sub(MAX_SHOWN);
    found.truncate(MAX_SHOWN);
    WhatIf {
        goal: match goal {
            Goal::Holds(_) => "holds",
            Goal::First(_) => "first",
            Goal::Ahead(..) => "ahead",
        },
        text: match goal {
            Goal::Holds(f) => format!("for {} to hold", f.show()),
            Goal::First(f) => format!("for {} to come first", f.show()),
            Goal::Ahead(f, o) => format!("for {} to come out ahead of {}", f.show(), o.show()),
        },
        changes: found,
        more,
        tried,
        pairs,
        stopped,
    }
}

/// The change in words, for text output.
pub fn describe(w: &WhatIf) -> Vec<String> {
    let mut out = Vec::new();
    if w.changes.is_empty() {
        out.push(format!(
            "No change of {} answer{} was found {}{}.",
            if w.pairs { "one or two" } else { "one" },
            if w.pairs { "s" } else { "" },
            w.text,
            if w.stopped {
                " before the search's time ran out"
            } else {
                ""
            }
        ));
        return out;
    }
    for c in &w.changes {
        out.push(format!(
            "if {}: certainty {}{}{}",
            c.text,
            fmt_cf(c.certainty),
            c.rank.map_or(String::new(), |r| format!(", rank {r}")),
            if c.tied_with.is_empty() {
                String::new()
            } else {
                format!(" (tied with {})", c.tied_with.join(", "))
            }
        ));
    }
    if w.more > 0 {
        out.push(format!("({} more found, not listed)", w.more));
    }
    out
}

/// `query --what-if`: how the answer changes when some answers are replaced.
#[derive(Debug, Clone, Serialize)]
pub struct QueryDiff {
    pub schema_version: &'static str,
    pub kind: &'static str,
    /// The answers replaced.
    pub changes: Vec<Replaced>,
    /// The changes in words.
    pub text: String,
    /// Per output, the conclusions whose standing changed (every output is listed).
    pub outputs: Vec<OutputDiff>,
}

/// One question's answers before and after.
#[derive(Debug, Clone, Serialize)]
pub struct Replaced {
    pub question: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputDiff {
    pub name: String,
    pub label: String,
    pub rows: Vec<RowDiff>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowDiff {
    pub fact: String,
    pub text: String,
    pub before: Standing,
    pub after: Standing,
}

/// Where a conclusion stands in one run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Standing {
    /// `concluded`, `too_weak`, `ruled_out` or `absent` (not derived).
    pub status: &'static str,
    pub certainty: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// Whether another conclusion shares the rank.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tied: bool,
}

fn standings(q: &super::query::QueryResult) -> BTreeMap<(String, String), (String, Standing)> {
    let mut m = BTreeMap::new();
    for o in &q.outputs {
        for (status, list) in [
            ("concluded", &o.concluded),
            ("too_weak", &o.below_threshold),
            ("ruled_out", &o.ruled_out),
        ] {
            for c in list {
                m.insert(
                    (o.name.clone(), c.fact.clone()),
                    (
                        c.text.clone(),
                        Standing {
                            status,
                            certainty: c.certainty,
                            rank: c.rank.filter(|_| status == "concluded"),
                            tied: status == "concluded" && !c.tied_with.is_empty(),
                        },
                    ),
                );
            }
        }
    }
    m
}

/// The difference between two answers to one program.
pub fn diff(
    before: &super::query::QueryResult,
    after: &super::query::QueryResult,
    changes: Vec<Replaced>,
    text: String,
) -> QueryDiff {
    let (b, a) = (standings(before), standings(after));
    let absent = Standing {
        status: "absent",
        certainty: 0.0,
        rank: None,
        tied: false,
    };
    let outputs = before
        .outputs
        .iter()
        .map(|o| {
            let keys: BTreeSet<&(String, String)> = b
                .keys()
                .chain(a.keys())
                .filter(|(n, _)| *n == o.name)
                .collect();
            let mut rows: Vec<RowDiff> = keys
                .into_iter()
                .filter_map(|k| {
                    let (tb, sb) = b.get(k).map_or((None, &absent), |(t, s)| (Some(t), s));
                    let (ta, sa) = a.get(k).map_or((None, &absent), |(t, s)| (Some(t), s));
                    let same = sb.status == sa.status
                        && tie_key(sb.certainty) == tie_key(sa.certainty)
                        && sb.rank == sa.rank
                        && sb.tied == sa.tied;
                    (!same).then(|| RowDiff {
                        fact: k.1.clone(),
                        text: ta.or(tb).cloned().unwrap_or_default(),
                        before: sb.clone(),
                        after: sa.clone(),
                    })
                })
                .collect();
            // Strongest after the change first, then by fact.
            rows.sort_by(|x, y| {
                y.after
                    .certainty
                    .partial_cmp(&x.after.certainty)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| x.fact.cmp(&y.fact))
            });
            OutputDiff {
                name: o.name.clone(),
                label: o.label.clone(),
                rows,
            }
        })
        .collect();
    QueryDiff {
        schema_version: super::SCHEMA_VERSION,
        kind: "what_if",
        changes,
        text,
        outputs,
    }
}
