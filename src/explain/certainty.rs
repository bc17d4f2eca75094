//! How a fact's certainty was combined: each piece of evidence and each combination step.

use super::{fmt_cf, round_cf, rule_ref, Location, RuleRef};
use crate::engine::facts::FactId;
use crate::engine::graph::{combine_all, Evidence, FactGraph, Formula};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CertaintyExplanation {
    pub fact: String,
    pub certainty: f64,
    pub evidence: Vec<EvidenceView>,
    /// Pieces of evidence not combined and not listed (past the first few).
    #[serde(skip_serializing_if = "is_zero")]
    pub not_listed: usize,
    pub steps: Vec<StepView>,
}

/// Pieces of evidence that are not combined listed per fact; the rest are counted.
const MAX_UNCOUNTED_LISTED: usize = 5;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvidenceView {
    /// `given` (asserted) or `rule`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The rule's factor times the weakest premise's certainty (floored at zero).
    pub certainty: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weakest_premise: Option<f64>,
    /// Whether it is combined into the certainty.
    pub counted: bool,
    /// Why not: `cycle` (it rests on a fact derived no earlier than this one), `same_rule`
    /// (another derivation by the same rule is at least as strong; a rule counts once) or
    /// `asserted` (the fact is given: its assertions decide).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_counted: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepView {
    pub before: f64,
    pub with: f64,
    pub after: f64,
    /// The formula, written out with the numbers.
    pub formula: String,
}

pub fn explain(g: &FactGraph, f: FactId) -> CertaintyExplanation {
    let contribs = g.contributions(f);
    let mut evidence = Vec::new();
    for c in &contribs {
        evidence.push(match c.evidence {
            Evidence::Asserted(i) => EvidenceView {
                kind: "given",
                rule: None,
                location: Some(Location::from_origin(&g.assertion(i).origin)),
                certainty: round_cf(c.certainty),
                weakest_premise: None,
                counted: c.counted,
                not_counted: None,
            },
            Evidence::Derived(d) => {
                let r = &g.kb.rules[g.derivation(d).rule as usize];
                let weakest = g
                    .premises(d)
                    .iter()
                    .map(|&p| g.certainty(p))
                    .fold(1.0f64, f64::min);
                EvidenceView {
                    kind: "rule",
                    rule: Some(rule_ref(g, r)),
                    location: None,
                    certainty: round_cf(c.certainty),
                    weakest_premise: (!g.premises(d).is_empty()).then_some(round_cf(weakest)),
                    counted: c.counted,
                    not_counted: c.not_counted.map(super::not_counted_code),
                }
            }
        });
    }
    // List evidence in the order it is combined: supporting (strongest first), opposing
    // (strongest first), then what is recorded but not combined.
    let rank = |e: &EvidenceView| (!e.counted, e.certainty < 0.0);
    evidence.sort_by(|a, b| {
        rank(a).cmp(&rank(b)).then_with(|| {
            b.certainty
                .abs()
                .partial_cmp(&a.certainty.abs())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    // Evidence not combined is listed up to a few pieces; the rest is counted (a fact
    // concluded a thousand ways by one rule would otherwise fill the screen).
    let first_uncounted = evidence
        .iter()
        .position(|e| !e.counted)
        .unwrap_or(evidence.len());
    let keep = (first_uncounted + MAX_UNCOUNTED_LISTED).min(evidence.len());
    let not_listed = evidence.len() - keep;
    evidence.truncate(keep);
    let values: Vec<f64> = contribs
        .iter()
        .filter(|c| c.counted)
        .map(|c| c.certainty)
        .collect();
    let (total, steps) = combine_all(&values);
    let steps = steps
        .iter()
        .map(|s| {
            let (a, b) = (fmt_cf(s.before), fmt_cf(s.with));
            let formula = match s.formula {
                Formula::BothPositive => format!("{a} + {b} × (1 - {a}) = {}", fmt_cf(s.after)),
                Formula::BothNegative => format!("{a} + {b} × (1 + {a}) = {}", fmt_cf(s.after)),
                Formula::Mixed => format!(
                    "({a} + {b}) / (1 - min(|{a}|, |{b}|)) = {}",
                    fmt_cf(s.after)
                ),
            };
            StepView {
                before: round_cf(s.before),
                with: round_cf(s.with),
                after: round_cf(s.after),
                formula: formula.replace("+ -", "- "),
            }
        })
        .collect();
    CertaintyExplanation {
        fact: g.show_fact(f),
        certainty: round_cf(total),
        evidence,
        not_listed,
        steps,
    }
}
