//! Checks of the declarations people read: display names, the certainty threshold, numeric
//! ranges of questions, and the sentence an output reads as.

use super::safety::placeholders;
use super::Context;
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::span::Spanned;
use std::collections::{BTreeMap, BTreeSet};

/// E0108 (a symbol named twice, a second threshold) and W0206 (a name for a symbol that the
/// program never uses).
pub fn names(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut first: BTreeMap<&str, &NameDecl> = BTreeMap::new();
    let used = used_symbols(cx);
    for item in cx.program.items() {
        let Item::Name(n) = item else { continue };
        match first.get(n.symbol.node.as_str()) {
            Some(f) => out.push(
                Diagnostic::error(
                    "E0108",
                    format!("`{}` is given a name twice", n.symbol.node),
                    n.symbol.span,
                )
                .with_label("second name")
                .with_secondary(f.symbol.span, "first named here")
                .with_help("keep one name"),
            ),
            None => {
                first.insert(&n.symbol.node, n);
            }
        }
        if n.text.node.trim().is_empty() {
            out.push(
                Diagnostic::error("E0108", "a name must not be empty", n.text.span)
                    .with_label("empty")
                    .with_help(format!(
                        "write what people should read for `{}`",
                        n.symbol.node
                    )),
            );
        }
        if !used.contains(n.symbol.node.as_str()) {
            let d = Diagnostic::warning(
                "W0206",
                format!("`{}` is named but never used", n.symbol.node),
                n.symbol.span,
            )
            .with_label("no fact, rule, question or output mentions it");
            let known: Vec<&str> = used.iter().copied().collect();
            out.push(match crate::diag::suggest(&n.symbol.node, known) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("remove the name, or check its spelling"),
            });
        }
    }
    let thresholds: Vec<&Threshold> = cx
        .program
        .items()
        .filter_map(|i| match i {
            Item::Threshold(t) => Some(&**t),
            _ => None,
        })
        .collect();
    for t in thresholds.iter().skip(1) {
        out.push(
            Diagnostic::error("E0108", "the threshold is set twice", t.span)
                .with_label("second threshold")
                .with_secondary(thresholds[0].span, "first set here")
                .with_help("keep one `threshold`"),
        );
    }
    for t in &thresholds {
        if !(0.0..1.0).contains(&t.value.node) {
            out.push(
                Diagnostic::error(
                    "E0117",
                    format!("threshold {:?} is outside 0.0 to 1.0 (1.0 excluded)", t.value.node),
                    t.value.span,
                )
                .with_label("out of range")
                .with_help("a condition holds for facts whose certainty is above the threshold; 0.2 is the usual choice"),
            );
        }
    }
    out
}

/// Every symbol the program mentions: predicates, constants in facts, rules and
/// declarations.
fn used_symbols<'a>(cx: &Context<'a>) -> BTreeSet<&'a str> {
    let mut used: BTreeSet<&str> = cx.preds.keys().copied().collect();
    for chunk in cx.program.fact_chunks() {
        used.extend(chunk.names().iter().map(|n| &**n));
    }
    let mut consts = Vec::new();
    for r in cx.program.rules() {
        for h in &r.heads {
            h.atom.args.iter().for_each(|e| expr_consts(e, &mut consts));
        }
        super::visit_body(&r.body, &mut |l| match l {
            Literal::Positive(a) | Literal::Negative(a) => {
                a.args.iter().for_each(|e| expr_consts(e, &mut consts))
            }
            Literal::Compare(c) => {
                expr_consts(&c.lhs, &mut consts);
                expr_consts(&c.rhs, &mut consts);
            }
            Literal::Member(m) => {
                expr_consts(&m.expr, &mut consts);
                consts.extend(m.values.iter().map(|v| &v.node));
            }
        });
    }
    for q in cx.program.questions() {
        consts.extend(q.allowed.iter().map(|v| &v.node));
    }
    used.extend(consts.into_iter().filter_map(|c| match c {
        Const::Sym(s) => Some(s.as_str()),
        _ => None,
    }));
    used
}

fn expr_consts<'a>(e: &'a Expr, out: &mut Vec<&'a Const>) {
    match &e.node {
        ExprKind::Const(c) => out.push(c),
        ExprKind::Binary(_, a, b) => {
            expr_consts(a, out);
            expr_consts(b, out);
        }
        ExprKind::Var(_) => {}
    }
}

/// E0118: a question's range that cannot hold (not a number question, `from` above `to`,
/// an allowed value outside it).
pub fn ranges(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for q in cx.program.questions() {
        let bounds: Vec<&Spanned<Const>> = q.min.iter().chain(q.max.iter()).collect();
        if bounds.is_empty() {
            continue;
        }
        if !matches!(q.ty, ValueType::Integer | ValueType::Decimal) {
            out.push(
                Diagnostic::error(
                    "E0118",
                    format!(
                        "`{}` has a range, but its answers are not numbers",
                        q.name.node
                    ),
                    bounds[0].span,
                )
                .with_label("a range of numbers")
                .with_help("only `integer` and `decimal` questions take `from` and `to`"),
            );
            continue;
        }
        for b in &bounds {
            if !q.ty.accepts(b.node.type_name()) {
                out.push(
                    Diagnostic::error(
                        "E0118",
                        format!(
                            "the bound `{}` is not {}",
                            b.node,
                            super::article(q.ty.name())
                        ),
                        b.span,
                    )
                    .with_label("wrong type")
                    .with_help("an integer question's bounds are whole numbers"),
                );
            }
        }
        if let (Some(lo), Some(hi)) = (&q.min, &q.max) {
            if number(&lo.node) > number(&hi.node) {
                out.push(
                    Diagnostic::error(
                        "E0118",
                        format!(
                            "the range of `{}` is empty: {} is above {}",
                            q.name.node, lo.node, hi.node
                        ),
                        hi.span,
                    )
                    .with_label("below `from`")
                    .with_secondary(lo.span, "the smallest value")
                    .with_help("write the smallest value after `from` and the largest after `to`"),
                );
            }
        }
        for v in &q.allowed {
            if let Some(d) = range_problem(q, &v.node, v.span) {
                out.push(d.with_help("every allowed value must lie in the question's range"));
            }
        }
    }
    out
}

fn number(c: &Const) -> f64 {
    match c {
        Const::Int(i) => *i as f64,
        Const::Dec(d) => *d,
        _ => f64::NAN,
    }
}

/// E0109 for a number outside a question's range, if it is.
pub fn range_problem(q: &Question, c: &Const, span: crate::span::Span) -> Option<Diagnostic> {
    let v = number(c);
    if v.is_nan() {
        return None;
    }
    let below = q.min.as_ref().filter(|m| v < number(&m.node));
    let above = q.max.as_ref().filter(|m| v > number(&m.node));
    let (what, bound) = match (below, above) {
        (Some(m), _) => ("smaller than", m),
        (None, Some(m)) => ("larger than", m),
        (None, None) => return None,
    };
    let range = match (&q.min, &q.max) {
        (Some(lo), Some(hi)) => format!("from {} to {}", lo.node, hi.node),
        (Some(lo), None) => format!("{} or more", lo.node),
        (None, Some(hi)) => format!("{} or less", hi.node),
        (None, None) => String::new(),
    };
    Some(
        Diagnostic::error(
            "E0109",
            format!("`{c}` is {what} `{}` allows", q.name.node),
            span,
        )
        .with_label(format!("{what} {}", bound.node))
        .with_secondary(q.name.span, "question declared here")
        .with_help(format!("`{}` takes a number {range}", q.name.node)),
    )
}

/// E0112: an output's sentence (`as "..."`) with a placeholder that names no parameter.
pub fn output_sentences(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for o in cx.program.outputs() {
        let Some(s) = &o.display else { continue };
        let params: Vec<&str> = o.params.iter().map(|p| p.node.as_str()).collect();
        for p in placeholders(&s.node) {
            if !params.contains(&p.as_str()) {
                let help = match crate::diag::suggest(&p, params.iter().copied()) {
                    Some(x) => format!("did you mean `{{{x}}}`?"),
                    None if params.is_empty() => "this output has no parameters".to_string(),
                    None => format!(
                        "the parameters are {}",
                        params
                            .iter()
                            .map(|p| format!("`{{{p}}}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                out.push(
                    Diagnostic::error(
                        "E0112",
                        format!(
                            "`{{{p}}}` in the sentence names no parameter of `{}`",
                            o.name.node
                        ),
                        s.span,
                    )
                    .with_label("in this text")
                    .with_help(help),
                );
            }
        }
    }
    out
}

/// The program's advice: E0108 for an ID declared twice; once any is declared, W0210 for a
/// `source` ID that is not, and W0211 for declared advice no rule cites.
pub fn advice(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut declared: BTreeMap<&str, &Advice> = BTreeMap::new();
    for item in cx.program.items() {
        let Item::Advice(a) = item else { continue };
        match declared.get(a.id.node.as_str()) {
            Some(f) => out.push(
                Diagnostic::error(
                    "E0108",
                    format!("advice `{}` is declared twice", a.id.node),
                    a.id.span,
                )
                .with_label("second declaration")
                .with_secondary(f.id.span, "first declared here")
                .with_help("keep one declaration"),
            ),
            None => {
                declared.insert(&a.id.node, a);
            }
        }
    }
    if declared.is_empty() {
        return out;
    }
    let mut cited: BTreeSet<&str> = BTreeSet::new();
    for r in cx.program.rules() {
        for s in &r.sources {
            cited.insert(&s.node);
            if declared.contains_key(s.node.as_str()) {
                continue;
            }
            let help = crate::diag::suggest(&s.node, declared.keys().copied()).map_or_else(
                || format!("declare it: `advice {} \"what it says\"`", s.node),
                |d| {
                    format!(
                        "did you mean `{d}`? or declare it: `advice {} \"what it says\"`",
                        s.node
                    )
                },
            );
            out.push(
                Diagnostic::warning(
                    "W0210",
                    format!(
                        "rule `{}` cites `{}`, which the program does not declare",
                        r.name.node, s.node
                    ),
                    s.span,
                )
                .with_label("not declared advice")
                .with_help(help),
            );
        }
    }
    for (id, a) in &declared {
        if !cited.contains(id) {
            out.push(
                Diagnostic::warning("W0211", format!("no rule cites advice `{id}`"), a.id.span)
                    .with_label("declared, never cited")
                    .with_help(
                        "encode it in a rule (`source` it there), or remove the declaration",
                    ),
            );
        }
    }
    out
}
