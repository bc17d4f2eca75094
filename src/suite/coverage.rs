//! What a set of test cases covers of a rule set: per rule, in how many cases it fired; per
//! condition, in how many it held and in how many it was the one that failed (in the best
//! partial match why-not finds); the questions and values no case gives. As text, JSON, and
//! lcov (rules as functions, conditions as lines and branches), which coverage viewers and
//! editors show on the rule files.

use super::CaseResult;
use crate::engine::graph::FactGraph;
use crate::engine::value::Val;
use crate::engine::KnowledgeBase;
use crate::explain::why_not::{self, Status, Target};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// For each rule that did not fire in a run: each condition (by its place in the body) and
/// what became of it in the rule's best partial match.
pub fn unfired_conditions(
    g: &FactGraph,
    fired: &BTreeSet<usize>,
) -> Vec<(usize, Vec<(usize, Status)>)> {
    let kb = g.knowledge_base();
    let heads: BTreeSet<(String, usize)> = kb
        .rules()
        .filter(|r| !fired.contains(&r.id))
        .map(|r| (r.conclusion.predicate.to_string(), r.conclusion.args.len()))
        .collect();
    let mut out = Vec::new();
    for (pred, arity) in heads {
        let target = Target {
            pred,
            args: vec![None::<Val>; arity],
        };
        for a in why_not::explain(g, &target, 0).rules {
            if fired.contains(&a.rule_id) {
                continue;
            }
            let c = a.conditions.iter().map(|c| (c.literal, c.status)).collect();
            out.push((a.rule_id, c));
        }
    }
    out.sort_by_key(|(r, _)| *r);
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub schema_version: &'static str,
    pub kind: &'static str,
    pub cases: usize,
    pub rules: Vec<RuleCoverage>,
    pub rules_fired: usize,
    /// Questions no case answers, and per question the allowed values no case gives.
    pub questions_never_answered: Vec<String>,
    pub values_never_given: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCoverage {
    pub name: String,
    /// Which `or` alternative (1-based), when the rule has several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<usize>,
    pub file: String,
    pub line: u32,
    /// Cases in which it fired.
    pub fired: usize,
    pub conditions: Vec<ConditionCoverage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConditionCoverage {
    pub text: String,
    pub line: u32,
    /// Cases in which it held (every case where the rule fired, and those where the best
    /// partial match got past it), and in which it was the condition that failed.
    pub held: usize,
    pub failed: usize,
}

/// Coverage of `kb` by the cases' results.
pub fn measure(kb: &KnowledgeBase, cases: &[CaseResult]) -> Coverage {
    let mut rules: Vec<RuleCoverage> = kb
        .rules()
        .map(|r| {
            let (line, _) = kb.sources().line_col(r.name_span);
            RuleCoverage {
                name: r.name.to_string(),
                alternative: (r.alternatives > 1).then_some(r.alternative + 1),
                file: kb.sources().name(r.span.file).to_string(),
                line,
                fired: 0,
                conditions: r
                    .conditions
                    .iter()
                    .map(|c| {
                        let s = c.span();
                        ConditionCoverage {
                            text: kb.sources().get(s.file).text()[s.range()].to_string(),
                            line: kb.sources().line_col(s).0,
                            held: 0,
                            failed: 0,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let mut answered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in cases {
        for &r in &c.fired {
            rules[r].fired += 1;
            for cond in &mut rules[r].conditions {
                cond.held += 1;
            }
        }
        for (r, conds) in &c.conditions {
            for &(lit, st) in conds {
                if let Some(cond) = rules[*r].conditions.get_mut(lit) {
                    match st {
                        Status::Held => cond.held += 1,
                        Status::Failed => cond.failed += 1,
                        Status::NotReached => {}
                    }
                }
            }
        }
        for (q, v) in &c.answers {
            answered.entry(q.clone()).or_default().insert(v.clone());
        }
    }
    let mut never = Vec::new();
    let mut values_never_given = BTreeMap::new();
    for q in kb.questions() {
        let name = q.name.node.clone();
        match answered.get(&name) {
            None => never.push(name),
            Some(given) => {
                let missing: Vec<String> = q
                    .allowed
                    .iter()
                    .map(|v| v.node.to_string())
                    .filter(|v| !given.contains(v))
                    .collect();
                if !missing.is_empty() {
                    values_never_given.insert(name, missing);
                }
            }
        }
    }
    Coverage {
        schema_version: crate::explain::SCHEMA_VERSION,
        kind: "coverage",
        cases: cases.len(),
        rules_fired: rules.iter().filter(|r| r.fired > 0).count(),
        rules,
        questions_never_answered: never,
        values_never_given,
    }
}

impl Coverage {
    fn rule_name(r: &RuleCoverage) -> String {
        match r.alternative {
            Some(a) => format!("`{}` (alternative {a})", r.name),
            None => format!("`{}`", r.name),
        }
    }

    /// For a person: the totals, then what no case reaches.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let total = self.rules.len();
        let pct = |a: usize, b: usize| {
            if b == 0 {
                100.0
            } else {
                100.0 * a as f64 / b as f64
            }
        };
        let conds: Vec<&ConditionCoverage> =
            self.rules.iter().flat_map(|r| &r.conditions).collect();
        let held = conds.iter().filter(|c| c.held > 0).count();
        let failed = conds.iter().filter(|c| c.failed > 0).count();
        s.push_str(&format!(
            "Coverage over {} case{}\n  rules fired: {} of {} ({:.1}%)\n  conditions that held: {} of {} ({:.1}%)\n  conditions that failed at least once: {} of {} ({:.1}%)\n",
            self.cases,
            if self.cases == 1 { "" } else { "s" },
            self.rules_fired,
            total,
            pct(self.rules_fired, total),
            held,
            conds.len(),
            pct(held, conds.len()),
            failed,
            conds.len(),
            pct(failed, conds.len()),
        ));
        let unfired: Vec<&RuleCoverage> = self.rules.iter().filter(|r| r.fired == 0).collect();
        if !unfired.is_empty() {
            s.push_str("\nRules no case fires\n");
            for r in unfired {
                s.push_str(&format!(
                    "  {}:{}  rule {}\n",
                    r.file,
                    r.line,
                    Self::rule_name(r)
                ));
            }
        }
        let never_held: Vec<(&RuleCoverage, &ConditionCoverage)> = self
            .rules
            .iter()
            .flat_map(|r| r.conditions.iter().map(move |c| (r, c)))
            .filter(|(_, c)| c.held == 0)
            .collect();
        if !never_held.is_empty() {
            s.push_str("\nConditions that never held\n");
            for (r, c) in never_held {
                s.push_str(&format!(
                    "  {}:{}  `{}` in rule {}\n",
                    r.file,
                    c.line,
                    c.text,
                    Self::rule_name(r)
                ));
            }
        }
        if !self.questions_never_answered.is_empty() {
            s.push_str(&format!(
                "\nQuestions no case answers: {}\n",
                self.questions_never_answered.join(", ")
            ));
        }
        if !self.values_never_given.is_empty() {
            s.push_str("\nValues no case gives\n");
            for (q, vs) in &self.values_never_given {
                s.push_str(&format!("  {q}: {}\n", vs.join(", ")));
            }
        }
        s
    }

    /// lcov tracefile: each rule a function (its hits, the cases that fired it), each
    /// condition a line (hits: cases in which it held) with two branches (held, failed).
    pub fn lcov(&self) -> String {
        let mut by_file: BTreeMap<&str, Vec<&RuleCoverage>> = BTreeMap::new();
        for r in &self.rules {
            by_file.entry(&r.file).or_default().push(r);
        }
        let mut s = String::from("TN:because\n");
        for (file, rules) in by_file {
            s.push_str(&format!("SF:{file}\n"));
            let fname = |r: &RuleCoverage| match r.alternative {
                Some(a) => format!("{}#{a}", r.name),
                None => r.name.clone(),
            };
            for r in &rules {
                s.push_str(&format!("FN:{},{}\n", r.line, fname(r)));
            }
            for r in &rules {
                s.push_str(&format!("FNDA:{},{}\n", r.fired, fname(r)));
            }
            s.push_str(&format!(
                "FNF:{}\nFNH:{}\n",
                rules.len(),
                rules.iter().filter(|r| r.fired > 0).count()
            ));
            // Lines: a rule's line (its hits) and each condition's; one line may hold
            // several conditions, and then counts the most.
            let mut lines: BTreeMap<u32, usize> = BTreeMap::new();
            let (mut brf, mut brh) = (0, 0);
            let mut branches = String::new();
            for (block, r) in rules.iter().enumerate() {
                let e = lines.entry(r.line).or_default();
                *e = (*e).max(r.fired);
                for (i, c) in r.conditions.iter().enumerate() {
                    let e = lines.entry(c.line).or_default();
                    *e = (*e).max(c.held);
                    for (b, n) in [(2 * i, c.held), (2 * i + 1, c.failed)] {
                        brf += 1;
                        if n > 0 {
                            brh += 1;
                        }
                        branches.push_str(&format!("BRDA:{},{block},{b},{n}\n", c.line));
                    }
                }
            }
            s.push_str(&branches);
            s.push_str(&format!("BRF:{brf}\nBRH:{brh}\n"));
            for (l, n) in &lines {
                s.push_str(&format!("DA:{l},{n}\n"));
            }
            s.push_str(&format!(
                "LF:{}\nLH:{}\nend_of_record\n",
                lines.len(),
                lines.values().filter(|&&n| n > 0).count()
            ));
        }
        s
    }
}
