//! Why one conclusion rather than another ("why Flask rather than Django?"): the evidence on
//! each side grouped as shared by both, only for one, and against one, with each side's
//! certainty combination, and a summary in words first.
//!
//! Two conclusions share a reason when the same rule gives evidence to both (`your team
//! knows Python` supports Django and Flask alike); such a reason cannot decide between them
//! unless its strength differs. What decides is what only one side has.

use super::certainty::{self, CertaintyExplanation};
use super::query::{self, Reason};
use super::{fmt_cf, round_cf, words_for};
use crate::engine::graph::FactGraph;
use crate::engine::value::Val;
use crate::engine::FactId;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Contrast {
    pub schema_version: &'static str,
    pub kind: &'static str,
    /// The conclusion asked about, and the one it is compared with.
    pub fact: Side,
    pub over: Side,
    /// The comparison in a few sentences.
    pub summary: Vec<String>,
    /// Rules that give evidence to both (the same rule, other values).
    pub both: Vec<Shared>,
    pub only_fact: Vec<Reason>,
    pub only_over: Vec<Reason>,
    pub against_fact: Vec<Reason>,
    pub against_over: Vec<Reason>,
    /// The smallest changes to the answers that would put the side behind ahead; set by
    /// the caller, which has the answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what_if: Option<super::what_if::WhatIf>,
}

/// One side of a contrast.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub fact: String,
    /// As people read it (`Recommended framework: Flask`).
    pub text: String,
    /// The name alone when the fact is an output's (`Flask`), else `text`.
    pub name: String,
    pub certainty: f64,
    /// `holds` (above the threshold), `too_weak`, `ruled_out` or `not_concluded` (no rule
    /// derived it).
    pub status: &'static str,
    /// Its place among its output's concluded facts (ties share a place).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// How its certainty was combined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combination: Option<CertaintyExplanation>,
}

/// A rule that gives evidence to both sides.
#[derive(Debug, Clone, Serialize)]
pub struct Shared {
    pub fact: Reason,
    pub over: Reason,
}

/// Compare `fact` with `over`. Each is a fact of the run or, when no rule derived it, its
/// name and values (`missing`).
pub fn contrast(g: &FactGraph, fact: Found, over: Found) -> Contrast {
    let (a, b) = (side(g, &fact), side(g, &over));
    let ra = fact.id.map_or_else(Vec::new, |f| query::reasons_of(g, f));
    let rb = over.id.map_or_else(Vec::new, |f| query::reasons_of(g, f));
    // Reasons by rule (a rule counts once per fact: the strongest of its derivations).
    let by_rule = |rs: &[Reason]| -> BTreeMap<String, Reason> {
        let mut m = BTreeMap::new();
        for r in rs {
            m.entry(r.rule.name.clone()).or_insert_with(|| r.clone());
        }
        m
    };
    let (ma, mb) = (by_rule(&ra), by_rule(&rb));
    let mut both = Vec::new();
    let (mut only_fact, mut only_over, mut against_fact, mut against_over) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in &ra {
        if ma.get(&r.rule.name).map(|x| &x.text) != Some(&r.text) {
            continue;
        }
        match mb.get(&r.rule.name) {
            Some(o) => both.push(Shared {
                fact: r.clone(),
                over: o.clone(),
            }),
            None if r.certainty > 0.0 => only_fact.push(r.clone()),
            None => against_fact.push(r.clone()),
        }
    }
    for r in &rb {
        if mb.get(&r.rule.name).map(|x| &x.text) != Some(&r.text) || ma.contains_key(&r.rule.name) {
            continue;
        }
        if r.certainty > 0.0 {
            only_over.push(r.clone());
        } else {
            against_over.push(r.clone());
        }
    }
    let summary = summary(
        &a,
        &b,
        &both,
        [&only_fact, &only_over, &against_fact, &against_over],
    );
    Contrast {
        schema_version: super::SCHEMA_VERSION,
        kind: "contrast",
        fact: a,
        over: b,
        summary,
        both,
        only_fact,
        only_over,
        against_fact,
        against_over,
        what_if: None,
    }
}

/// A side of a contrast as found in the run.
pub struct Found {
    pub id: Option<FactId>,
    pub pred: String,
    /// The values as identifiers and as people read them.
    pub values: Vec<String>,
    pub names: Vec<String>,
}

fn side(g: &FactGraph, f: &Found) -> Side {
    let fact = format!("{}({})", f.pred, f.values.join(", "));
    let text = words_for(g, &f.pred, &f.names);
    let output =
        g.kb.outputs()
            .find(|o| o.name.node == f.pred && o.params.len() == f.values.len());
    let name = match output {
        Some(_) => text
            .split_once(": ")
            .map_or(text.clone(), |(_, n)| n.to_string()),
        None => text.clone(),
    };
    let Some(id) = f.id else {
        return Side {
            fact,
            text,
            name,
            certainty: 0.0,
            status: "not_concluded",
            rank: None,
            combination: None,
        };
    };
    let cf = g.certainty(id);
    let status = if cf > g.kb.threshold() {
        "holds"
    } else if cf > 0.0 || (cf == 0.0 && !query::reasons_of(g, id).iter().any(|r| r.certainty < 0.0))
    {
        "too_weak"
    } else {
        "ruled_out"
    };
    let rank = output.and_then(|o| {
        let q = query::query(g, None, Some(&o.name.node));
        q.outputs
            .first()
            .and_then(|grp| grp.concluded.iter().find(|c| c.fact == fact))
            .and_then(|c| c.rank)
    });
    Side {
        fact,
        text,
        name,
        certainty: round_cf(cf),
        status,
        rank,
        combination: Some(certainty::explain(g, id)),
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("no {many}"),
        1 => format!("1 {one}"),
        _ => format!("{n} {many}"),
    }
}

/// The comparison in words: who is ahead, what they share, and what decides.
fn summary(a: &Side, b: &Side, both: &[Shared], parts: [&Vec<Reason>; 4]) -> Vec<String> {
    let [only_a, only_b, against_a, against_b] = parts;
    let mut out = Vec::new();
    let state = |s: &Side| match s.status {
        "holds" => format!("{} ({})", s.name, fmt_cf(s.certainty)),
        "too_weak" => format!("{} ({}, too weak to count)", s.name, fmt_cf(s.certainty)),
        "ruled_out" => format!("{} ({}, ruled out)", s.name, fmt_cf(s.certainty)),
        _ => format!("{} (not concluded at all)", s.name),
    };
    let key = |s: &Side| query::tie_key(s.certainty);
    out.push(if key(a) > key(b) {
        format!("{} comes out ahead of {}.", state(a), state(b))
    } else if key(a) < key(b) {
        format!("{} comes out behind {}.", state(a), state(b))
    } else {
        format!("{} and {} are tied.", state(a), state(b))
    });
    if !both.is_empty() {
        let differ = both
            .iter()
            .filter(|s| query::tie_key(s.fact.certainty) != query::tie_key(s.over.certainty))
            .count();
        out.push(format!(
            "They share {}{}.",
            count(both.len(), "reason", "reasons"),
            match differ {
                0 => ", equally strong for both".to_string(),
                n => format!(", {n} of them stronger for one side"),
            }
        ));
    }
    let mut side_words = |s: &Side, only: &[Reason], against: &[Reason]| {
        if let Some(first) = only.first() {
            out.push(format!(
                "{} only for {}; the strongest: {}.",
                match only.len() {
                    1 => "1 reason counts".to_string(),
                    n => format!("{n} reasons count"),
                },
                s.name,
                first.text
            ));
        }
        if let Some(first) = against.first() {
            out.push(format!(
                "{} against {} alone; the strongest: {}.",
                match against.len() {
                    1 => "1 reason counts".to_string(),
                    n => format!("{n} reasons count"),
                },
                s.name,
                first.text
            ));
        }
    };
    side_words(a, only_a, against_a);
    side_words(b, only_b, against_b);
    if only_a.is_empty() && only_b.is_empty() && against_a.is_empty() && against_b.is_empty() {
        out.push("Nothing counts for one side only.".to_string());
    }
    out.iter().map(|s| capitalised(s)).collect()
}

/// A sentence starting with a capital letter (names such as `one application` begin some).
pub(crate) fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Contrast {
    /// The same contrast seen from the other side.
    pub fn flipped(&self) -> Contrast {
        let mut c = self.clone();
        std::mem::swap(&mut c.fact, &mut c.over);
        std::mem::swap(&mut c.only_fact, &mut c.only_over);
        std::mem::swap(&mut c.against_fact, &mut c.against_over);
        for s in &mut c.both {
            std::mem::swap(&mut s.fact, &mut s.over);
        }
        c.summary = summary(
            &c.fact,
            &c.over,
            &c.both,
            [&c.only_fact, &c.only_over, &c.against_fact, &c.against_over],
        );
        c
    }
}

impl Found {
    /// The fact a ground pattern names, found in the run or not.
    pub fn of(g: &FactGraph, pred: &str, args: &[Option<Val>]) -> Found {
        let values: Vec<_> = args.iter().flatten().copied().collect();
        Found {
            id: g.matching(pred, args).first().copied(),
            pred: pred.to_string(),
            values: values
                .iter()
                .map(|&v| super::show(&g.interner, v))
                .collect(),
            names: values.iter().map(|&v| super::display(g, v)).collect(),
        }
    }
}

/// A fact of the run as a side of a contrast.
pub fn found_fact(g: &FactGraph, f: FactId) -> Found {
    let args = g.store.args(f);
    Found {
        id: Some(f),
        pred: g.pred_name(f).to_string(),
        values: args.iter().map(|v| super::show(&g.interner, v)).collect(),
        names: args.iter().map(|v| super::display(g, v)).collect(),
    }
}

/// When fact `f` of an output does not come first among its output's conclusions (it
/// ranks lower, is too weak or is ruled out): the contrast with the one that does.
pub fn with_the_top(g: &FactGraph, f: FactId) -> Option<Contrast> {
    let pred = g.pred_name(f);
    let arity = g.store.args(f).len();
    let output =
        g.kb.outputs()
            .find(|o| o.name.node == pred && o.params.len() == arity)?;
    let q = query::query(g, None, Some(&output.name.node));
    let top = q.outputs.first()?.concluded.first()?;
    let fact = g.show_fact(f);
    if top.fact == fact || top.rank.is_some_and(|r| Some(r) == rank_of(&q, &fact)) {
        return None;
    }
    let top_id = g
        .facts_of(pred, arity)
        .into_iter()
        .find(|&t| g.show_fact(t) == top.fact)?;
    Some(contrast(g, found_fact(g, f), found_fact(g, top_id)))
}

fn rank_of(q: &query::QueryResult, fact: &str) -> Option<usize> {
    q.outputs
        .first()?
        .concluded
        .iter()
        .find(|c| c.fact == fact)?
        .rank
}
