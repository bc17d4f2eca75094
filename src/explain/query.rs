//! The answer to a query: each declared output's conclusions, ranked by certainty, each with
//! its reasons (the `because` texts of the rules that concluded it).

use super::how::{self, How, HowOptions};
use super::{errors_for, ErrorView};
use super::{interpolate, round_cf, rule_ref, show, show_plain, RuleRef};
use crate::engine::graph::{Evidence, FactGraph};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    pub schema_version: &'static str,
    pub kind: &'static str,
    pub outputs: Vec<OutputGroup>,
    pub errors: Vec<ErrorView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputGroup {
    pub name: String,
    pub label: String,
    pub params: Vec<String>,
    /// Conclusions with certainty above zero, best first.
    pub concluded: Vec<Conclusion>,
    /// Conclusions whose combined certainty is zero or below: evidence against outweighed.
    pub ruled_out: Vec<Conclusion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conclusion {
    pub fact: String,
    pub values: Vec<String>,
    pub certainty: f64,
    pub reasons: Vec<Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<How>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reason {
    pub text: String,
    pub rule: RuleRef,
    /// This rule's contribution to the certainty.
    pub certainty: f64,
}

/// The order of an output's conclusions: by (rounded) certainty, strongest first, then by the
/// fact as written. The batch command's lines use it too.
pub fn rank(a: (f64, &str), b: (f64, &str)) -> std::cmp::Ordering {
    b.0.partial_cmp(&a.0)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then_with(|| a.1.cmp(b.1))
}

pub fn query(g: &FactGraph, explain: Option<HowOptions>, only: Option<&str>) -> QueryResult {
    let mut outputs = Vec::new();
    for o in g.kb.outputs() {
        if only.is_some_and(|n| n != o.name.node) {
            continue;
        }
        let mut concluded = Vec::new();
        let mut ruled_out = Vec::new();
        for f in g.facts_of(&o.name.node, o.params.len()) {
            let mut reasons: Vec<Reason> = g
                .contributions(f)
                .into_iter()
                .filter_map(|c| match c.evidence {
                    Evidence::Derived(d) if c.counted && c.certainty != 0.0 => {
                        let r = &g.kb.rules[g.derivation(d).rule as usize];
                        let b = g.bindings(d);
                        let text = r.meta.because.as_ref().map_or_else(
                            || format!("rule `{}` concluded it", r.meta.name),
                            |t| {
                                interpolate(t, &r.meta.var_names, &|i| {
                                    Some(show_plain(&g.interner, b[i]))
                                })
                            },
                        );
                        Some(Reason {
                            text,
                            rule: rule_ref(g, r),
                            certainty: round_cf(c.certainty),
                        })
                    }
                    _ => None,
                })
                .collect();
            reasons.sort_by(|a, b| {
                b.certainty
                    .abs()
                    .partial_cmp(&a.certainty.abs())
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.rule.name.cmp(&b.rule.name))
                    .then_with(|| a.text.cmp(&b.text))
            });
            // The same reason from several derivations is listed once, at its strongest.
            let mut seen = std::collections::BTreeSet::new();
            reasons.retain(|r| seen.insert((r.rule.name.clone(), r.text.clone())));
            let c = Conclusion {
                fact: g.show_fact(f),
                values: g
                    .store
                    .args(f)
                    .iter()
                    .map(|&v| show(&g.interner, v))
                    .collect(),
                certainty: round_cf(g.certainty(f)),
                reasons,
                explanation: explain.map(|opts| how::explain(g, f, opts)),
            };
            if g.certainty(f) > 0.0 {
                concluded.push(c);
            } else {
                ruled_out.push(c);
            }
        }
        let rank =
            |a: &Conclusion, b: &Conclusion| rank((a.certainty, &a.fact), (b.certainty, &b.fact));
        concluded.sort_by(rank);
        ruled_out.sort_by(|a, b| rank(b, a).reverse().then_with(|| a.fact.cmp(&b.fact)));
        outputs.push(OutputGroup {
            name: o.name.node.clone(),
            label: o.label.node.clone(),
            params: o.params.iter().map(|p| p.node.clone()).collect(),
            concluded,
            ruled_out,
        });
    }
    QueryResult {
        schema_version: super::SCHEMA_VERSION,
        kind: "query",
        outputs,
        errors: errors_for(g, |_| true),
    }
}
