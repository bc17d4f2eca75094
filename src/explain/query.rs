//! The answer to a query: each declared output's conclusions, ranked by certainty, each with
//! its reasons (the `because` texts of the rules that concluded it).

use super::how::{self, How, HowOptions};
use super::{display, interpolate, round_cf, rule_ref, sentence, show, RuleRef};
use super::{errors_for, ErrorView};
use crate::engine::graph::{Evidence, FactGraph};
use crate::engine::FactId;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    pub schema_version: &'static str,
    pub kind: &'static str,
    /// Conclusions hold (and count as concluded) above this certainty.
    pub threshold: f64,
    /// How many answers (input facts) were given; 0 with questions to answer means the user
    /// has not started.
    pub answers_given: usize,
    /// How many questions the program asks.
    pub questions: usize,
    pub outputs: Vec<OutputGroup>,
    pub errors: Vec<ErrorView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputGroup {
    pub name: String,
    pub label: String,
    pub params: Vec<String>,
    /// Conclusions above the certainty threshold, best first (they hold for every rule that
    /// reads the output).
    pub concluded: Vec<Conclusion>,
    /// Conclusions with some certainty, but not above the threshold (or none, and no
    /// evidence against): too weak to hold.
    pub below_threshold: Vec<Conclusion>,
    /// Conclusions whose evidence against outweighs (or cancels) the evidence for.
    pub ruled_out: Vec<Conclusion>,
    /// The ruled-out conclusions grouped by their strongest reason against: one sentence
    /// per group, naming every conclusion of it (eight frameworks ruled out by one rule read
    /// as one line).
    pub ruled_out_groups: Vec<RuledOutGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuledOutGroup {
    /// The conclusions' texts, in order.
    pub conclusions: Vec<String>,
    pub certainty: f64,
    /// The reason against, its conclusion's values filled with the whole group.
    pub reason: String,
    pub rule: RuleRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conclusion {
    pub fact: String,
    /// The values as identifiers, and as people read them (display names).
    pub values: Vec<String>,
    pub names: Vec<String>,
    /// The conclusion as a phrase (the output's sentence, or the names joined).
    pub text: String,
    pub certainty: f64,
    /// Place among the output's concluded (or below-threshold) conclusions, 1 the strongest;
    /// certainties equal to two decimals, as shown, are ties and share a rank. None for a
    /// ruled-out conclusion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// The other conclusions of the group with the same rank: the first
    /// [`MAX_TIED_LISTED`] of them, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tied_with: Vec<String>,
    /// How many more share the rank than `tied_with` lists.
    #[serde(skip_serializing_if = "is_zero")]
    pub tied_not_listed: usize,
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

/// The pieces of evidence combined into fact `f`'s certainty, as reasons people read,
/// strongest first; the same reason from several derivations is listed once.
pub fn reasons_of(g: &FactGraph, f: FactId) -> Vec<Reason> {
    let mut reasons: Vec<Reason> = g
        .contributions(f)
        .into_iter()
        .filter_map(|c| match c.evidence {
            Evidence::Derived(d) if c.counted && c.certainty != 0.0 => {
                let r = &g.kb.rules[g.derivation(d).rule as usize];
                let b = g.bindings(d);
                let text = r.meta.because.as_ref().map_or_else(
                    || format!("rule `{}` concluded it", r.meta.name),
                    |t| interpolate(t, &r.meta.var_names, &|i| Some(display(g, b[i]))),
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
    reasons
}

/// The order of an output's conclusions: by (rounded) certainty, strongest first, then by the
/// fact as written. The batch command's lines use it too.
pub fn rank(a: (f64, &str), b: (f64, &str)) -> std::cmp::Ordering {
    b.0.partial_cmp(&a.0)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then_with(|| a.1.cmp(b.1))
}

/// The key two certainties tie on: their value to two decimals, as shown.
pub fn tie_key(certainty: f64) -> i64 {
    (certainty * 100.0).round() as i64
}

/// Ranks for certainties already in order (strongest first): equal tie keys share one.
pub fn ranks(certainties: impl IntoIterator<Item = f64>) -> Vec<usize> {
    ranks_of(certainties).collect()
}

/// [`ranks`], one at a time.
fn ranks_of(certainties: impl IntoIterator<Item = f64>) -> impl Iterator<Item = usize> {
    let mut last: Option<(i64, usize)> = None;
    certainties.into_iter().enumerate().map(move |(i, c)| {
        let k = tie_key(c);
        let r = match last {
            Some((p, r)) if p == k => r,
            _ => i + 1,
        };
        last = Some((k, r));
        r
    })
}

/// The conclusions tied with one that it lists; the rest are counted. Each of 10,000
/// conclusions tied alike listed all the others: 3.8 GB and 14 s to write them.
pub const MAX_TIED_LISTED: usize = 10;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Give a group's conclusions (in order) their ranks and ties.
fn rank_group(group: &mut [Conclusion]) {
    let r = ranks(group.iter().map(|c| c.certainty));
    for (c, r) in group.iter_mut().zip(&r) {
        c.rank = Some(*r);
    }
    // A rank's conclusions are consecutive. Each lists the first of the others, so only
    // the tie's first MAX_TIED_LISTED + 1 are ever listed.
    let mut start = 0;
    while start < group.len() {
        let end = start + r[start..].iter().take_while(|&&x| x == r[start]).count();
        let first: Vec<String> = group[start..end.min(start + MAX_TIED_LISTED + 1)]
            .iter()
            .map(|c| c.text.clone())
            .collect();
        for (i, c) in (start..end).zip(&mut group[start..end]) {
            let listed: Vec<String> = (start..)
                .zip(&first)
                .filter(|&(j, _)| j != i)
                .map(|(_, t)| t.clone())
                .take(MAX_TIED_LISTED)
                .collect();
            c.tied_not_listed = end - start - 1 - listed.len();
            c.tied_with = listed;
        }
        start = end;
    }
}

pub fn query(g: &FactGraph, explain: Option<HowOptions>, only: Option<&str>) -> QueryResult {
    let threshold = g.kb.threshold();
    let mut outputs = Vec::new();
    for o in g.kb.outputs() {
        if only.is_some_and(|n| n != o.name.node) {
            continue;
        }
        let mut concluded = Vec::new();
        let mut below_threshold = Vec::new();
        let mut ruled_out = Vec::new();
        let mut ruled_out_facts = Vec::new();
        for f in g.facts_of(&o.name.node, o.params.len()) {
            let reasons = reasons_of(g, f);
            let args = g.store.args(f);
            let c = Conclusion {
                fact: g.show_fact(f),
                values: args.iter().map(|v| show(&g.interner, v)).collect(),
                names: args.iter().map(|v| display(g, v)).collect(),
                text: sentence(g, o, args),
                certainty: round_cf(g.certainty(f)),
                rank: None,
                tied_with: Vec::new(),
                tied_not_listed: 0,
                reasons,
                explanation: explain.map(|opts| how::explain(g, f, opts)),
            };
            // Ruled out: evidence against outweighs (or cancels) the evidence for. A fact with
            // certainty 0 and nothing against it was not established, not ruled out.
            let cf = g.certainty(f);
            let against = c.reasons.iter().any(|r| r.certainty < 0.0);
            if cf > threshold {
                concluded.push(c);
            } else if cf > 0.0 || (cf == 0.0 && !against) {
                below_threshold.push(c);
            } else {
                ruled_out_facts.push((c.fact.clone(), f));
                ruled_out.push(c);
            }
        }
        let rank =
            |a: &Conclusion, b: &Conclusion| rank((a.certainty, &a.fact), (b.certainty, &b.fact));
        concluded.sort_by(rank);
        below_threshold.sort_by(rank);
        ruled_out.sort_by(|a, b| rank(b, a).reverse().then_with(|| a.fact.cmp(&b.fact)));
        rank_group(&mut concluded);
        rank_group(&mut below_threshold);
        let ruled_out_groups = group_ruled_out(g, &ruled_out_facts, &ruled_out);
        outputs.push(OutputGroup {
            name: o.name.node.clone(),
            label: o.label.node.clone(),
            params: o.params.iter().map(|p| p.node.clone()).collect(),
            concluded,
            below_threshold,
            ruled_out,
            ruled_out_groups,
        });
    }
    QueryResult {
        schema_version: super::SCHEMA_VERSION,
        kind: "query",
        threshold,
        answers_given: g.input_count(),
        questions: g.kb.questions().count(),
        outputs,
        errors: errors_for(g, |_| true),
    }
}

/// Group ruled-out conclusions (in their order) by the derivation behind their strongest
/// reason against: the same rule, the same certainty, and the same values of the rule's
/// variables other than those of its conclusion. Each group's reason is the rule's text with
/// the conclusion's variables filled with every member's value ("A, B and C would mean
/// ...").
fn group_ruled_out(
    g: &FactGraph,
    facts: &[(String, FactId)],
    ruled_out: &[Conclusion],
) -> Vec<RuledOutGroup> {
    use crate::engine::compile::{CExpr, Term};
    struct Member {
        key: (u32, i64, Vec<Option<String>>),
        text: String,
        certainty: f64,
        values: Vec<(usize, String)>,
        derivation: crate::engine::graph::DerivId,
    }
    let mut members: Vec<Member> = Vec::new();
    for (c, (_, f)) in ruled_out.iter().zip(facts) {
        // The strongest counted evidence against.
        let Some((d, _)) = g
            .contributions(*f)
            .into_iter()
            .filter(|x| x.counted && x.certainty < 0.0)
            .filter_map(|x| match x.evidence {
                Evidence::Derived(d) => Some((d, x.certainty)),
                Evidence::Asserted(_) => None,
            })
            .min_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal))
        else {
            continue;
        };
        let rule = &g.kb.rules[g.derivation(d).rule as usize];
        let head_vars: Vec<usize> = rule
            .head
            .args
            .iter()
            .filter_map(|e| match e {
                CExpr::Term(Term::Var(v)) => Some(*v as usize),
                _ => None,
            })
            .collect();
        let b = g.bindings(d);
        let others: Vec<Option<String>> = (0..b.len())
            .map(|i| (!head_vars.contains(&i)).then(|| show(&g.interner, b[i])))
            .collect();
        members.push(Member {
            key: (rule.meta.origin, tie_key(c.certainty), others),
            text: c.text.clone(),
            certainty: c.certainty,
            values: head_vars.iter().map(|&v| (v, display(g, b[v]))).collect(),
            derivation: d,
        });
    }
    // Groups in the order of their first member (found by key: 10,000 ruled out with
    // keys of their own were compared each with every group before it).
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut group_of: crate::keyed::KeyedMap<&(u32, i64, Vec<Option<String>>), usize> =
        crate::keyed::KeyedMap::default();
    for (i, m) in members.iter().enumerate() {
        match group_of.entry(&m.key) {
            std::collections::hash_map::Entry::Occupied(e) => groups[*e.get()].1.push(i),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(groups.len());
                groups.push((i, vec![i]));
            }
        }
    }
    groups
        .into_iter()
        .map(|(first, all)| {
            let d = members[first].derivation;
            let rule = &g.kb.rules[g.derivation(d).rule as usize];
            let b = g.bindings(d);
            let joined = |v: usize| {
                // Each name once, in the members' order.
                let mut names: Vec<String> = Vec::new();
                let mut seen = std::collections::BTreeSet::new();
                for &i in &all {
                    for (w, n) in &members[i].values {
                        if *w == v && seen.insert(n.as_str()) {
                            names.push(n.clone());
                        }
                    }
                }
                if names.is_empty() {
                    display(g, b[v])
                } else {
                    and_list(&names)
                }
            };
            let conclusions: Vec<String> = all.iter().map(|&i| members[i].text.clone()).collect();
            let reason = rule.meta.because.as_ref().map_or_else(
                || {
                    format!(
                        "rule `{}` counts against {}",
                        rule.meta.name,
                        and_list(&conclusions)
                    )
                },
                |t| {
                    interpolate(t, &rule.meta.var_names, &|i| {
                        Some(if members[first].values.iter().any(|(v, _)| *v == i) {
                            joined(i)
                        } else {
                            display(g, b[i])
                        })
                    })
                },
            );
            RuledOutGroup {
                conclusions,
                certainty: members[first].certainty,
                reason,
                rule: rule_ref(g, rule),
            }
        })
        .collect()
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A run's outputs as a batch line holds them (`query --format ndjson`): each output's
/// conclusions above the threshold, strongest first, with their values, certainty and rank.
pub fn batch_outputs<'g>(g: &'g FactGraph) -> crate::wire::Outputs<'g> {
    let threshold = g.kb.threshold();
    let outputs =
        g.kb.outputs()
            .map(|o| {
                let rows: Vec<(f64, FactId)> = g
                    .facts_unordered(&o.name.node, o.params.len())
                    .filter(|&f| g.certainty(f) > threshold)
                    .map(|f| (round_cf(g.certainty(f)), f))
                    .collect();
                (o.name.node.as_str(), ranked(g, rows, 0))
            })
            .collect();
    crate::wire::Outputs(outputs)
}

/// One output's conclusions as a batch line gives them: `rows` (rounded certainty, fact)
/// strongest first, ranked, with their values past the first `skip` (a run of many fact
/// sets numbers each fact by its set first: `ask::sets`).
pub(crate) fn ranked<'g>(
    g: &'g FactGraph,
    rows: Vec<(f64, FactId)>,
    skip: usize,
) -> Vec<crate::wire::Concluded<'g>> {
    let rows = strongest_first(g, rows);
    ranked_rows(g, &rows, skip)
        .map(|(values, certainty, rank)| crate::wire::Concluded {
            values: values.collect(),
            certainty,
            rank,
        })
        .collect()
}

/// Rows already in [`strongest_first`]'s order, each as a batch line shows it: its values
/// (those after the first `skip`), certainty and rank. A run of many sets writes its lines
/// from these without collecting them (`ask::sets`).
pub(crate) fn ranked_rows<'g, 'r>(
    g: &'g FactGraph,
    rows: &'r [(f64, FactId)],
    skip: usize,
) -> impl Iterator<
    Item = (
        impl Iterator<Item = crate::wire::ValueRef<'g>> + 'g,
        f64,
        usize,
    ),
> + 'r
where
    'g: 'r,
{
    let ranks = ranks_of(rows.iter().map(|r| r.0));
    rows.iter().zip(ranks).map(move |(&(cf, f), rank)| {
        let values = g.store.args(f).iter().skip(skip);
        (values.map(move |v| wire_value_ref(g, v)), cf, rank)
    })
}

/// Facts with their rounded certainties, in the order [`rank`] gives them (strongest first,
/// then by how they are shown), and facts shown alike by content. Only the facts that share
/// their certainty with another are shown (a batch line would make a string for each).
pub(crate) fn strongest_first(g: &FactGraph, mut rows: Vec<(f64, FactId)>) -> Vec<(f64, FactId)> {
    use std::cmp::Ordering;
    let stronger = |a: f64, b: f64| b.partial_cmp(&a).unwrap_or(Ordering::Equal);
    rows.sort_by(|a, b| stronger(a.0, b.0).then_with(|| g.cmp_facts(a.1, b.1)));
    let mut i = 0;
    while i < rows.len() {
        let cf = rows[i].0;
        let j = i + rows[i..]
            .iter()
            .take_while(|r| stronger(cf, r.0) == Ordering::Equal)
            .count();
        if j - i > 1 {
            // A stable sort: facts shown alike stay in content order.
            let mut shown: Vec<(String, (f64, FactId))> =
                rows[i..j].iter().map(|&r| (g.show_fact(r.1), r)).collect();
            shown.sort_by(|a, b| a.0.cmp(&b.0));
            for (slot, (_, r)) in rows[i..j].iter_mut().zip(shown) {
                *slot = r;
            }
        }
        i = j;
    }
    rows
}

/// A value as a batch line gives it, its text borrowed from the run.
fn wire_value_ref<'g>(g: &'g FactGraph, v: crate::engine::value::Val) -> crate::wire::ValueRef<'g> {
    use crate::engine::value::Val;
    use crate::wire::ValueRef;
    match v {
        Val::Sym(s) | Val::Str(s) => ValueRef::Text(g.interner.name(s)),
        Val::Int(i) => ValueRef::Int(i),
        Val::Dec(b) => ValueRef::Dec(f64::from_bits(b)),
        Val::Bool(b) => ValueRef::Bool(b),
    }
}

/// A value as the wire formats give it.
pub fn wire_value(g: &FactGraph, v: crate::engine::value::Val) -> crate::wire::Value {
    use crate::engine::value::Val;
    use crate::wire::Value;
    match v {
        Val::Sym(s) | Val::Str(s) => Value::Text(g.interner.name(s).to_string()),
        Val::Int(i) => Value::Int(i),
        Val::Dec(b) => Value::Dec(f64::from_bits(b)),
        Val::Bool(b) => Value::Bool(b),
    }
}
