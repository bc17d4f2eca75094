//! W0205: a stated fact that no condition can ever read.
//!
//! A maintainer who writes `fact writen_in(fastapi, python)` (a typo), or
//! `fact provides(django, migrations)` when every rule reading `provides` asks only for some
//! other features, states something that changes no answer. Each condition that reads the
//! predicate (positively or under `not`) accepts, per argument, a constant, or the values a
//! membership test allows its variable (`N in [auth, admin]`), or anything; a fact that no
//! condition accepts is reported. Outputs are exempt (they are read by people).

use super::Context;
use crate::ast::*;
use crate::diag::Diagnostic;
use std::collections::BTreeMap;

/// What one argument position of a condition accepts.
#[derive(Debug, Clone)]
enum Accepts<'a> {
    Any,
    OneOf(Vec<&'a Const>),
}

impl Accepts<'_> {
    fn takes(&self, c: &Const) -> bool {
        match self {
            Accepts::Any => true,
            Accepts::OneOf(v) => v.iter().any(|x| same(x, c)),
        }
    }
}

fn same(a: &Const, b: &Const) -> bool {
    match (a, b) {
        (Const::Dec(x), Const::Int(y)) | (Const::Int(y), Const::Dec(x)) => *x == *y as f64,
        _ => a == b,
    }
}

/// A condition that reads a predicate: what it accepts per argument, and its rule's name.
type Reader<'a> = (Vec<Accepts<'a>>, &'a str);

pub fn stated_facts_never_read(cx: &Context) -> Vec<Diagnostic> {
    // Per predicate (name, arity): the patterns of the conditions that read it, with the
    // rule that reads it (for the message).
    let mut readers: BTreeMap<(&str, usize), Vec<Reader<'_>>> = BTreeMap::new();
    for r in &cx.rules {
        // Variables a membership test (not negated) restricts to a list of constants.
        let mut lists: BTreeMap<&str, Vec<&Const>> = BTreeMap::new();
        for l in &r.body {
            if let Literal::Member(m) = l {
                if let (false, ExprKind::Var(v)) = (m.negated, &m.expr.node) {
                    lists.insert(v, m.values.iter().map(|v| &v.node).collect());
                }
            }
        }
        for l in &r.body {
            let (Literal::Positive(a) | Literal::Negative(a)) = l else {
                continue;
            };
            let pattern = a
                .args
                .iter()
                .map(|e| match &e.node {
                    ExprKind::Const(c) => Accepts::OneOf(vec![c]),
                    ExprKind::Var(v) => lists
                        .get(v.as_str())
                        .map_or(Accepts::Any, |l| Accepts::OneOf(l.clone())),
                    ExprKind::Binary(..) => Accepts::Any,
                })
                .collect();
            readers
                .entry((&a.pred.node, a.args.len()))
                .or_default()
                .push((pattern, &r.rule.name.node));
        }
    }
    let outputs: Vec<(&str, usize)> = cx
        .program
        .outputs()
        .map(|o| (o.name.node.as_str(), o.params.len()))
        .collect();
    // A predicate with a condition that takes anything takes every fact: decided once per
    // run of facts of one predicate (a large fact file is long runs of one predicate).
    let reads_all = |key: &(&str, usize)| {
        readers.get(key).is_some_and(|rs| {
            rs.iter()
                .any(|(p, _)| p.iter().all(|a| matches!(a, Accepts::Any)))
        })
    };
    let mut last: Option<((&str, usize), bool)> = None;
    // The facts no condition reads, by predicate, in file order: one warning per predicate.
    let mut unread: BTreeMap<(&str, usize), Vec<FactRef<'_>>> = BTreeMap::new();
    for f in cx.program.facts() {
        let key = (f.pred(), f.arity());
        let skip = match last {
            Some((k, s)) if k == key => s,
            _ => {
                let s = outputs.contains(&key) || reads_all(&key);
                last = Some((key, s));
                s
            }
        };
        if skip {
            continue;
        }
        if let Some(rs) = readers.get(&key) {
            let values: Vec<Option<Const>> =
                f.values().map(|(v, _)| v.map(|c| c.to_const())).collect();
            let accepted = |pattern: &[Accepts<'_>]| {
                pattern
                    .iter()
                    .zip(&values)
                    .all(|(a, v)| v.as_ref().is_none_or(|c| a.takes(c)))
            };
            if rs.iter().any(|(p, _)| accepted(p)) {
                continue;
            }
        }
        unread.entry(key).or_default().push(f);
    }
    // The predicates conditions read, for "did you mean" (found once, not once a warning).
    let read: Vec<&str> = readers
        .keys()
        .map(|(n, _)| *n)
        .filter(|n| cx.is_defined(n))
        .collect();
    let mut budget = crate::diag::SUGGESTION_BUDGET;
    let mut out = Vec::new();
    for ((pred, arity), facts) in unread {
        let first = &facts[0];
        let more = facts.len() - 1;
        let d = match readers.get(&(pred, arity)) {
            Some(rs) => {
                let mut names: Vec<&str> = rs.iter().map(|(_, n)| *n).collect();
                names.sort();
                names.dedup();
                let mut d = Diagnostic::warning(
                    "W0205",
                    match more {
                        0 => format!("no condition can read `{}`", fact_text(first)),
                        n => format!(
                            "no condition can read `{}` and {n} more fact{} of `{pred}`",
                            fact_text(first),
                            if n == 1 { "" } else { "s" }
                        ),
                    },
                    first.span(),
                )
                .with_label("stated, but no rule's condition matches it");
                for f in facts.iter().skip(1).take(MAX_LABELS) {
                    d = d.with_secondary(f.span(), "nor this one");
                }
                d.with_help(format!(
                    "the rules that read `{pred}` ({}) ask for other values; use these facts in a rule, or remove them",
                    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ))
            }
            None => {
                let d = Diagnostic::warning(
                    "W0205",
                    format!(
                        "no condition reads `{pred}/{arity}` ({} stated fact{})",
                        facts.len(),
                        if facts.len() == 1 { "" } else { "s" }
                    ),
                    first.pred_span(),
                )
                .with_label("stated, but no rule reads it");
                match crate::diag::suggest_within(pred, &read, &mut budget) {
                    Some(s) => Diagnostic {
                        code: "W0207",
                        message: format!(
                            "`{pred}` is stated but no rule reads it: a misspelling of `{s}`?"
                        ),
                        ..d
                    }
                    .with_help(format!(
                        "did you mean `{s}`? as written, these facts change no answer"
                    )),
                    None => d.with_help("use it in a rule's condition, or remove it"),
                }
            }
        };
        out.push(d);
    }
    out
}

/// Secondary places shown per warning (the message counts the rest).
const MAX_LABELS: usize = 9;

fn fact_text(f: &FactRef<'_>) -> String {
    let args: Vec<String> = f
        .values()
        .map(|(v, _)| v.map_or("_".to_string(), |c| c.to_const().to_string()))
        .collect();
    format!("{}({})", f.pred(), args.join(", "))
}
