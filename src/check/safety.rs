//! Checks about variables: safety, singletons, `{X}` placeholders, and ground facts.

use super::{expr_vars, Context};
use crate::ast::{FactRef, FactValue, Literal};
use crate::diag::Diagnostic;
use crate::span::Span;
use std::collections::{BTreeMap, BTreeSet};

fn positive_vars<'a>(body: &[&'a Literal]) -> BTreeSet<&'a str> {
    let mut out = Vec::new();
    for l in body {
        if let Literal::Positive(a) = l {
            a.args.iter().for_each(|e| expr_vars(e, &mut out));
        }
    }
    out.into_iter().map(|(v, _)| v).collect()
}

/// E0103, E0104, E0105: variables that no positive condition binds.
pub fn unsafe_variables(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in &cx.rules {
        let bound = positive_vars(&r.body);
        let binds_help = |v: &str| {
            format!("add a condition that gives `{v}` a value, such as `some_fact({v})`, before it is used")
        };
        for h in &r.rule.heads {
            let mut vars = Vec::new();
            h.atom.args.iter().for_each(|e| expr_vars(e, &mut vars));
            for (v, span) in vars {
                if !bound.contains(v) {
                    let msg = if v == "_" {
                        "`_` in a conclusion has no value".to_string()
                    } else {
                        format!("variable `{v}` in the conclusion is not bound by any condition")
                    };
                    let help = if v == "_" {
                        "`_` matches anything in a condition but carries no value; name a variable and bind it in a condition".to_string()
                    } else {
                        binds_help(v)
                    };
                    out.push(
                        Diagnostic::error("E0103", msg, span)
                            .with_label("no value for this")
                            .with_help(help),
                    );
                }
            }
        }
        for l in &r.body {
            let (code, what, vars) = match l {
                Literal::Negative(a) => {
                    let mut vars = Vec::new();
                    a.args.iter().for_each(|e| expr_vars(e, &mut vars));
                    // `_` and `_Name` inside `not` mean "any value".
                    vars.retain(|(v, _)| !v.starts_with('_'));
                    ("E0104", "negated condition", vars)
                }
                Literal::Compare(c) => {
                    let mut vars = Vec::new();
                    expr_vars(&c.lhs, &mut vars);
                    expr_vars(&c.rhs, &mut vars);
                    ("E0105", "comparison", vars)
                }
                Literal::Member(m) => {
                    let mut vars = Vec::new();
                    expr_vars(&m.expr, &mut vars);
                    ("E0105", "membership test", vars)
                }
                Literal::Positive(_) => continue,
            };
            for (v, span) in vars {
                if !bound.contains(v) {
                    out.push(
                        Diagnostic::error(
                            code,
                            format!(
                                "variable `{v}` in a {what} is not bound by any positive condition"
                            ),
                            span,
                        )
                        .with_label("unbound here")
                        .with_help(binds_help(v)),
                    );
                }
            }
        }
    }
    out
}

/// W0201: a named variable that occurs only once in a rule (usually a typo).
pub fn singletons(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in &cx.rules {
        let mut vars = Vec::new();
        for h in &r.rule.heads {
            h.atom.args.iter().for_each(|e| expr_vars(e, &mut vars));
        }
        for l in &r.body {
            match l {
                Literal::Positive(a) | Literal::Negative(a) => {
                    a.args.iter().for_each(|e| expr_vars(e, &mut vars))
                }
                Literal::Compare(c) => {
                    expr_vars(&c.lhs, &mut vars);
                    expr_vars(&c.rhs, &mut vars);
                }
                Literal::Member(m) => expr_vars(&m.expr, &mut vars),
            }
        }
        let mut count: BTreeMap<&str, (usize, Span)> = BTreeMap::new();
        for (v, s) in vars {
            let e = count.entry(v).or_insert((0, s));
            e.0 += 1;
        }
        let placeholders = placeholders(r.rule.because.as_ref().map_or("", |b| &b.node));
        let bound = positive_vars(&r.body);
        for (v, (n, span)) in count {
            // Unbound variables already get an error (E0103-E0105).
            if n == 1
                && !v.starts_with('_')
                && !placeholders.iter().any(|p| p == v)
                && bound.contains(v)
            {
                out.push(
                    Diagnostic::warning("W0201", format!("variable `{v}` is used only once"), span)
                        .with_label("used once")
                        .with_help(format!("if any value will do, write `_` (or `_{v}`); otherwise check the spelling")),
                );
            }
        }
    }
    out
}

/// The `{Name}` placeholders of a `because` text.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        if i > 0 && rest.as_bytes()[i - 1] == b'\\' {
            rest = &rest[i + 1..];
            continue;
        }
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                out.push(after[..j].to_string());
                rest = &after[j + 1..];
            }
            None => {
                out.push(after.to_string());
                break;
            }
        }
    }
    out
}

/// E0112: a `{X}` placeholder in a `because` text that names no bound variable.
pub fn interpolation(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for r in &cx.rules {
        let Some(b) = &r.rule.because else { continue };
        let bound = positive_vars(&r.body);
        for p in placeholders(&b.node) {
            let valid = !p.is_empty()
                && p.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid || !bound.contains(p.as_str()) {
                let known: Vec<&str> = bound.iter().copied().collect();
                let help = match crate::diag::suggest(&p, known.iter().copied()) {
                    Some(s) => format!("did you mean `{{{s}}}`?"),
                    None if known.is_empty() => {
                        "this rule binds no variables; write `\\{` for a literal brace".into()
                    }
                    None => format!(
                        "the rule binds {}",
                        known
                            .iter()
                            .map(|v| format!("`{v}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                out.push(
                    Diagnostic::error(
                        "E0112",
                        format!("`{{{p}}}` in the reason names no variable bound by the rule"),
                        b.span,
                    )
                    .with_label("in this text")
                    .with_help(help),
                );
            }
        }
    }
    out
}

/// E0114: facts stated in rule files must be plain values.
pub fn ground_facts(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let not_plain = |f: &FactRef| f.raw_values().any(|v| matches!(v, FactValue::NotPlain));
    for f in cx.program.facts().filter(not_plain) {
        for (_, span) in f.values().filter(|(v, _)| v.is_none()) {
            out.push(
                Diagnostic::error("E0114", "a fact's arguments must be plain values", span)
                    .with_label("not a plain value")
                    .with_help("a fact holds no variables or arithmetic; to conclude facts from others, write a rule"),
            );
        }
    }
    out
}
