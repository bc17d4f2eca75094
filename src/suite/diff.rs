//! `because diff`: what a change to the rules does to the answers. Each fact set runs under
//! the old and the new rules; per output conclusion, what was added, removed, re-ranked, or
//! moved in certainty by more than a tolerance, and the rules responsible (those that
//! concluded it under one version only, and those whose factor changed).

use crate::engine::eval::Limits;
use crate::engine::graph::FactGraph;
use crate::engine::{InputFact, KnowledgeBase, Scratch};
use crate::explain::query::{query, Conclusion};
use crate::explain::{fmt_cf, round_cf};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where a conclusion stands in one version's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    pub certainty: f64,
    /// `concluded` (with a rank), `too_weak` or `ruled_out`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rank: Option<usize>,
    /// The rules that concluded it (names).
    #[serde(default)]
    pub rules: Vec<String>,
}

/// One conclusion that changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub fact: String,
    /// `added`, `removed`, `reranked` or `certainty`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub old: Option<Standing>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub new: Option<Standing>,
    /// The rules responsible, in words: "`r` added", "`r` removed", "`r` factor 0.4 -> 0.3".
    #[serde(default)]
    pub responsible: Vec<String>,
}

/// The changes for one fact set (or why it could not be compared).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetDiff {
    pub input: String,
    pub changes: Vec<Change>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counts {
    pub added: usize,
    pub removed: usize,
    pub reranked: usize,
    pub certainty: usize,
}

/// A whole comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RulesDiff {
    pub schema_version: String,
    pub kind: String,
    pub tolerance: f64,
    pub fact_sets: usize,
    /// Fact sets with at least one change (or an error under one version).
    pub changed: usize,
    pub counts: Counts,
    /// Only the fact sets that changed, in input order.
    pub sets: Vec<SetDiff>,
}

/// The standing of every conclusion of every output in a run.
fn standings(g: &FactGraph) -> BTreeMap<String, Standing> {
    let q = query(g, None, None);
    let mut out = BTreeMap::new();
    let mut add = |c: &Conclusion, status: &str| {
        let rules: BTreeSet<String> = c.reasons.iter().map(|r| r.rule.name.clone()).collect();
        out.insert(
            c.fact.clone(),
            Standing {
                certainty: round_cf(c.certainty),
                status: status.to_string(),
                rank: c.rank.filter(|_| status == "concluded"),
                rules: rules.into_iter().collect(),
            },
        );
    };
    for o in &q.outputs {
        o.concluded.iter().for_each(|c| add(c, "concluded"));
        o.below_threshold.iter().for_each(|c| add(c, "too_weak"));
        o.ruled_out.iter().for_each(|c| add(c, "ruled_out"));
    }
    out
}

/// The two versions, and what changed between their rules' factors.
pub struct Versions<'a> {
    pub old: &'a KnowledgeBase,
    pub new: &'a KnowledgeBase,
    factors: BTreeMap<String, (f64, f64)>,
}

impl<'a> Versions<'a> {
    pub fn new(old: &'a KnowledgeBase, new: &'a KnowledgeBase) -> Versions<'a> {
        let first = |kb: &KnowledgeBase| -> BTreeMap<String, f64> {
            let mut m = BTreeMap::new();
            for r in kb.rules() {
                m.entry(r.name.to_string()).or_insert(r.certainty_factor);
            }
            m
        };
        let (a, b) = (first(old), first(new));
        let factors = a
            .iter()
            .filter_map(|(n, &x)| b.get(n).filter(|&&y| y != x).map(|&y| (n.clone(), (x, y))))
            .collect();
        Versions { old, new, factors }
    }

    /// Compare one fact set, given as facts loaded for each version.
    pub fn compare(
        &self,
        input: String,
        facts: (&[InputFact], &[InputFact]),
        scratch: &mut (Scratch, Scratch),
        limits: Limits,
        tolerance: f64,
    ) -> SetDiff {
        let run = |kb: &KnowledgeBase, s: &mut Scratch, f: &[InputFact]| {
            kb.run_with(s, f, limits).map(|g| {
                let st = standings(&g);
                s.recycle(g);
                st
            })
        };
        let (old, new) = match (
            run(self.old, &mut scratch.0, facts.0),
            run(self.new, &mut scratch.1, facts.1),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) => return SetDiff::error(input, format!("under the old rules: {e}")),
            (_, Err(e)) => return SetDiff::error(input, format!("under the new rules: {e}")),
        };
        let facts: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        let mut changes = Vec::new();
        for f in facts {
            let (a, b) = (old.get(f), new.get(f));
            let holds = |s: Option<&Standing>| s.is_some_and(|s| s.status == "concluded");
            let cf = |s: Option<&Standing>| s.map_or(0.0, |s| s.certainty);
            let kind = match (holds(a), holds(b)) {
                (false, true) => "added",
                (true, false) => "removed",
                (true, true) if a.and_then(|s| s.rank) != b.and_then(|s| s.rank) => "reranked",
                _ if (cf(a) - cf(b)).abs() > tolerance + 1e-9 => "certainty",
                _ => continue,
            };
            changes.push(Change {
                fact: f.clone(),
                kind: kind.to_string(),
                responsible: self.responsible(a, b),
                old: a.cloned(),
                new: b.cloned(),
            });
        }
        SetDiff {
            input,
            changes,
            error: None,
        }
    }

    fn responsible(&self, a: Option<&Standing>, b: Option<&Standing>) -> Vec<String> {
        let set = |s: Option<&Standing>| -> BTreeSet<String> {
            s.map(|s| s.rules.iter().cloned().collect())
                .unwrap_or_default()
        };
        let (ra, rb) = (set(a), set(b));
        let mut out = Vec::new();
        for r in rb.difference(&ra) {
            out.push(format!("`{r}` now concludes it"));
        }
        for r in ra.difference(&rb) {
            out.push(format!("`{r}` no longer concludes it"));
        }
        for r in ra.intersection(&rb) {
            if let Some((x, y)) = self.factors.get(r) {
                out.push(format!("`{r}` factor {} -> {}", fmt_cf(*x), fmt_cf(*y)));
            }
        }
        if out.is_empty() {
            out.push(if a.map(|s| s.certainty) == b.map(|s| s.certainty) {
                "others of its output moved".to_string()
            } else {
                "a conclusion it rests on moved".to_string()
            });
        }
        out
    }
}

impl SetDiff {
    pub fn error(input: String, e: String) -> SetDiff {
        SetDiff {
            input,
            changes: Vec::new(),
            error: Some(e),
        }
    }
    pub fn changed(&self) -> bool {
        !self.changes.is_empty() || self.error.is_some()
    }
}

impl RulesDiff {
    pub fn new(tolerance: f64) -> RulesDiff {
        RulesDiff {
            schema_version: crate::explain::SCHEMA_VERSION.to_string(),
            kind: "rules_diff".to_string(),
            tolerance,
            fact_sets: 0,
            changed: 0,
            counts: Counts::default(),
            sets: Vec::new(),
        }
    }

    pub fn add(&mut self, d: SetDiff) {
        self.fact_sets += 1;
        if !d.changed() {
            return;
        }
        self.changed += 1;
        for c in &d.changes {
            match c.kind.as_str() {
                "added" => self.counts.added += 1,
                "removed" => self.counts.removed += 1,
                "reranked" => self.counts.reranked += 1,
                _ => self.counts.certainty += 1,
            }
        }
        self.sets.push(d);
    }

    /// For a person: each changed fact set and its changes, then the totals.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let show = |st: &Option<Standing>| match st {
            None => "not concluded".to_string(),
            Some(st) => match (st.status.as_str(), st.rank) {
                ("concluded", Some(r)) => format!("{} (rank {r})", fmt_cf(st.certainty)),
                ("ruled_out", _) => format!("{} (ruled out)", fmt_cf(st.certainty)),
                ("too_weak", _) => format!("{} (too weak)", fmt_cf(st.certainty)),
                _ => fmt_cf(st.certainty),
            },
        };
        for set in &self.sets {
            s.push_str(&format!("{}\n", set.input));
            if let Some(e) = &set.error {
                s.push_str(&format!("  ! {e}\n"));
            }
            for c in &set.changes {
                let mark = match c.kind.as_str() {
                    "added" => '+',
                    "removed" => '-',
                    _ => '~',
                };
                s.push_str(&format!(
                    "  {mark} {}: {} -> {}",
                    c.fact,
                    show(&c.old),
                    show(&c.new)
                ));
                if !c.responsible.is_empty() {
                    s.push_str(&format!("  [{}]", c.responsible.join("; ")));
                }
                s.push('\n');
            }
        }
        let n = |k: usize, w: &str| format!("{k} {w}");
        s.push_str(&format!(
            "{}{} of {} fact set{} changed: {}, {}, {}, {}\n",
            if self.sets.is_empty() { "" } else { "\n" },
            self.changed,
            self.fact_sets,
            if self.fact_sets == 1 { "" } else { "s" },
            n(self.counts.added, "added"),
            n(self.counts.removed, "removed"),
            n(self.counts.reranked, "re-ranked"),
            n(
                self.counts.certainty,
                &format!("moved more than {} in certainty", fmt_cf(self.tolerance))
            ),
        ));
        s
    }
}
