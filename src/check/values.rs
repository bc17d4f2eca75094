//! Checks about names and constants: duplicates, allowed values, types, certainty factors.

use super::{Context, Use};
use crate::ast::*;
use crate::diag::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

/// E0107: two rules with the same name.
pub fn duplicate_rules(cx: &Context) -> Vec<Diagnostic> {
    // A hash map: only looked up, never iterated (a program may have 100,000 rules).
    let mut first: rustc_hash::FxHashMap<&str, &Rule> = Default::default();
    let mut out = Vec::new();
    for r in cx.program.rules() {
        match first.get(r.name.node.as_str()) {
            Some(f) => out.push(
                Diagnostic::error(
                    "E0107",
                    format!("rule `{}` is defined twice", r.name.node),
                    r.name.span,
                )
                .with_label("second definition")
                .with_secondary(f.name.span, "first defined here")
                .with_help("rule names identify rules in explanations; rename one of them"),
            ),
            None => {
                first.insert(&r.name.node, r);
            }
        }
    }
    out
}

/// E0108: a question or output declared twice (or a name declared as both).
pub fn duplicate_declarations(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, occs) in &cx.preds {
        let mut decls: Vec<_> = occs
            .iter()
            .filter(|o| matches!(o.kind, Use::Question | Use::Output))
            .collect();
        decls.sort_by_key(|o| o.span);
        for d in decls.iter().skip(1) {
            out.push(
                Diagnostic::error("E0108", format!("`{name}` is declared twice"), d.span)
                    .with_label("second declaration")
                    .with_secondary(decls[0].span, "first declared here")
                    .with_help("keep one declaration"),
            );
        }
    }
    out
}

/// E0113: a question whose allowed values do not match its type, or repeat.
pub fn question_values(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for q in cx.program.questions() {
        let mut seen: Vec<&Const> = Vec::new();
        for v in &q.allowed {
            if !q.ty.accepts(v.node.type_name()) {
                out.push(
                    Diagnostic::error(
                        "E0113",
                        format!(
                            "allowed value `{}` is {}, but `{}` takes {} answers",
                            v.node,
                            super::article(v.node.type_name().name()),
                            q.name.node,
                            q.ty.name()
                        ),
                        v.span,
                    )
                    .with_label(format!("not {}", super::article(q.ty.name())))
                    .with_help("make every allowed value the question's type, or change the type"),
                );
            } else if seen.contains(&&v.node) {
                out.push(
                    Diagnostic::error(
                        "E0113",
                        format!("allowed value `{}` is listed twice", v.node),
                        v.span,
                    )
                    .with_label("repeated")
                    .with_help("list each allowed value once"),
                );
            }
            seen.push(&v.node);
        }
    }
    out
}

/// E0109, E0110: a constant given to a question predicate that it cannot take.
pub fn allowed_values(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for f in cx.program.facts() {
        let Some(q) = cx.questions.get(f.pred()) else {
            continue;
        };
        let mut values = f.values();
        if let (Some((Some(c), span)), None) = (values.next(), values.next()) {
            if let Some(d) = value_problem(q, &c.to_const(), span) {
                out.push(d);
            }
        }
    }
    let mut atoms: Vec<&Atom> = Vec::new();
    for r in cx.program.rules() {
        atoms.extend(r.heads.iter().map(|h| &h.atom));
        super::visit_body(&r.body, &mut |l| match l {
            Literal::Positive(a) | Literal::Negative(a) => atoms.push(a),
            _ => {}
        });
    }
    for a in atoms {
        let Some(q) = cx.questions.get(a.pred.node.as_str()) else {
            continue;
        };
        let [arg] = a.args.as_slice() else { continue };
        let ExprKind::Const(c) = &arg.node else {
            continue;
        };
        if let Some(d) = value_problem(q, c, arg.span) {
            out.push(d);
        }
    }
    out
}

/// Why `c` is not an answer `q` accepts, if it is not.
pub fn value_problem(q: &Question, c: &Const, span: crate::span::Span) -> Option<Diagnostic> {
    if !q.ty.accepts(c.type_name()) {
        return Some(
            Diagnostic::error(
                "E0110",
                format!(
                    "`{}` takes {} answers, but `{c}` is {}",
                    q.name.node,
                    q.ty.name(),
                    super::article(c.type_name().name())
                ),
                span,
            )
            .with_label(format!("expected {}", super::article(q.ty.name())))
            .with_secondary(q.name.span, "question declared here")
            .with_help(match q.ty {
                ValueType::String => "write text in double quotes".to_string(),
                ValueType::Boolean => "write `true` or `false`".to_string(),
                t => format!("write {}", super::article(t.name())),
            }),
        );
    }
    if let Some(d) = super::declarations::range_problem(q, c, span) {
        return Some(d);
    }
    let matches = |a: &Const| match (a, c) {
        (Const::Dec(x), Const::Int(y)) | (Const::Int(y), Const::Dec(x)) => *x == *y as f64,
        _ => a == c,
    };
    if !q.allowed.is_empty() && !q.allowed.iter().any(|a| matches(&a.node)) {
        let list: Vec<String> = q.allowed.iter().map(|a| format!("`{}`", a.node)).collect();
        let names: Vec<String> = q.allowed.iter().map(|a| a.node.to_string()).collect();
        let mut help = format!("`{}` allows {}", q.name.node, list.join(", "));
        if let Some(s) = crate::diag::suggest(&c.to_string(), names.iter().map(String::as_str)) {
            help = format!("did you mean `{s}`? {help}");
        }
        return Some(
            Diagnostic::error(
                "E0109",
                format!("`{c}` is not an allowed value of `{}`", q.name.node),
                span,
            )
            .with_label("not allowed")
            .with_secondary(q.name.span, "question declared here")
            .with_help(help),
        );
    }
    None
}

/// E0111: a certainty factor outside -1..1.
pub fn certainty_range(cx: &Context) -> Vec<Diagnostic> {
    let mut cfs: Vec<crate::span::Spanned<f64>> =
        cx.program.facts().filter_map(|f| f.certainty()).collect();
    for r in cx.program.rules() {
        cfs.extend(r.heads.iter().filter_map(|h| h.certainty.clone()));
    }
    cfs.into_iter()
        .filter(|c| !(-1.0..=1.0).contains(&c.node))
        .map(|c| {
            Diagnostic::error(
                "E0111",
                format!("certainty {:?} is outside -1.0..1.0", c.node),
                c.span,
            )
            .with_label("out of range")
            .with_help("1.0 is certain, 0.0 says nothing, -1.0 rules the conclusion out")
        })
        .collect()
}

/// Subset tests [`subsumed_rules`] makes in all before it stops looking (a lint, on a
/// program no one writes: hundreds of thousands of rules concluding the same from few
/// conditions).
const SUBSUMED_CHECKS: usize = 20_000_000;

/// For rules concluding the same (`rules`, in order, with their conditions), each rule `b`
/// with the first rule `a` of another name whose conditions are fewer and all among `b`'s:
/// `(b, a)`, by position in `rules`.
///
/// Compared pair by pair this was quadratic: 500,000 rules concluding `b(Y)` kept the check
/// busy for more than ten minutes. Rules with the same conditions are taken together, and
/// each set of conditions is filed under its rarest condition: a set within `b`'s has that
/// condition among `b`'s, so only the sets filed under `b`'s conditions are tested.
/// `budget` counts the tests left; when it runs out, no more pairs are found.
fn wider_rules(rules: &[(&str, &BTreeSet<String>)], budget: &mut usize) -> Vec<(usize, usize)> {
    // The distinct sets of conditions, each with its rules in order.
    let mut bodies: Vec<(&BTreeSet<String>, Vec<usize>)> = Vec::new();
    let mut body_of: rustc_hash::FxHashMap<&BTreeSet<String>, usize> = Default::default();
    for (k, &(_, body)) in rules.iter().enumerate() {
        let d = *body_of.entry(body).or_insert_with(|| {
            bodies.push((body, Vec::new()));
            bodies.len() - 1
        });
        bodies[d].1.push(k);
    }
    let mut sets_with: rustc_hash::FxHashMap<&str, usize> = Default::default();
    for (body, _) in &bodies {
        for c in body.iter() {
            *sets_with.entry(c).or_default() += 1;
        }
    }
    let mut filed: rustc_hash::FxHashMap<&str, Vec<usize>> = Default::default();
    let mut unconditional = Vec::new();
    for (d, (body, _)) in bodies.iter().enumerate() {
        match body
            .iter()
            .min_by_key(|c| (sets_with[c.as_str()], c.as_str()))
        {
            Some(c) => filed.entry(c).or_default().push(d),
            None => unconditional.push(d),
        }
    }
    let mut out = Vec::new();
    for (body, members) in &bodies {
        // The sets strictly within this one.
        let mut within: Vec<usize> = Vec::new();
        let candidates = body
            .iter()
            .filter_map(|c| filed.get(c.as_str()))
            .flatten()
            .chain(&unconditional);
        for &d in candidates {
            if *budget == 0 {
                return out;
            }
            *budget -= 1;
            let other = bodies[d].0;
            if other.len() < body.len() && other.is_subset(body) {
                within.push(d);
            }
        }
        for &b in members {
            let name = rules[b].0;
            let first = within
                .iter()
                .filter_map(|&d| bodies[d].1.iter().copied().find(|&a| rules[a].0 != name))
                .min();
            if let Some(a) = first {
                out.push((b, a));
            }
        }
    }
    out.sort_unstable();
    out
}

/// W0208: a rule whose conclusions another rule reaches under a subset of its conditions:
/// whenever it fires, the other fires too.
pub fn subsumed_rules(cx: &Context) -> Vec<Diagnostic> {
    let text = |sp: crate::span::Span| -> String {
        let t = &cx.program.sources.get(sp.file).text()[sp.range()];
        t.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    // Only rules that share their conclusions with another can be subsumed. Most rules of a
    // large program conclude something of their own, so rules are first grouped by a hash of
    // their conclusions' words, which takes no allocation, and only the rules in a group of
    // two or more have their conclusions and conditions written out and compared.
    let word_hash = |sp: crate::span::Span| -> u64 {
        let mut h = rustc_hash::FxHasher::default();
        for w in cx.program.sources.get(sp.file).text()[sp.range()].split_whitespace() {
            w.hash(&mut h);
        }
        h.finish()
    };
    let mut keys: Vec<(u64, usize)> = Vec::with_capacity(cx.rules.len());
    let mut heads = Vec::new();
    for (i, r) in cx.rules.iter().enumerate() {
        heads.clear();
        heads.extend(r.rule.heads.iter().map(|h| word_hash(h.atom.span)));
        heads.sort_unstable();
        let mut h = rustc_hash::FxHasher::default();
        heads.hash(&mut h);
        keys.push((h.finish(), i));
    }
    keys.sort_unstable();
    let mut shared = vec![false; cx.rules.len()];
    for run in keys.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        for &(_, i) in run {
            shared[i] = true;
        }
    }
    // Rules by their conclusions (as written, certainty aside).
    let mut by_head: BTreeMap<Vec<String>, Vec<(&crate::program::FlatRule, BTreeSet<String>)>> =
        BTreeMap::new();
    for r in cx
        .rules
        .iter()
        .zip(&shared)
        .filter_map(|(r, &s)| s.then_some(r))
    {
        let mut heads: Vec<String> = r.rule.heads.iter().map(|h| text(h.atom.span)).collect();
        heads.sort();
        let body: BTreeSet<String> = r.body.iter().map(|l| text(l.span())).collect();
        by_head.entry(heads).or_default().push((r, body));
    }
    let mut out = Vec::new();
    let mut budget = SUBSUMED_CHECKS;
    for rules in by_head.values() {
        if rules.len() < 2 {
            continue;
        }
        let named: Vec<(&str, &BTreeSet<String>)> = rules
            .iter()
            .map(|(r, body)| (r.rule.name.node.as_str(), body))
            .collect();
        for (b, a) in wider_rules(&named, &mut budget) {
            let (b, a) = (rules[b].0, rules[a].0);
            out.push(
                Diagnostic::warning(
                    "W0208",
                    format!(
                        "whenever rule `{}` fires, rule `{}` fires too",
                        b.rule.name.node, a.rule.name.node
                    ),
                    b.rule.name.span,
                )
                .with_label("its conditions include all of the other's")
                .with_secondary(a.rule.name.span, "concludes the same with fewer conditions")
                .with_help(format!(
                    "if `{}` is meant as more evidence when its extra conditions hold, say so with `# allow(subsumed-rule)` above it; otherwise merge the two",
                    b.rule.name.node
                )),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Rules filed under their rarest condition pair up as comparing every two rules
        /// did: each rule with the first of another name whose conditions are fewer and all
        /// among its own. Names repeat (a rule's `or` alternatives share its name), and so
        /// do sets of conditions.
        #[test]
        fn wider_rules_pair_as_every_comparison_does(
            rules in proptest::collection::vec(
                (0u8..6, proptest::collection::btree_set(0u8..5, 0..4)),
                2..30,
            ),
        ) {
            let names: Vec<String> = rules.iter().map(|(n, _)| format!("r{n}")).collect();
            let bodies: Vec<BTreeSet<String>> = rules
                .iter()
                .map(|(_, b)| b.iter().map(|c| format!("c{c}(X)")).collect())
                .collect();
            let named: Vec<(&str, &BTreeSet<String>)> =
                names.iter().map(String::as_str).zip(&bodies).collect();
            let every: Vec<(usize, usize)> = (0..named.len())
                .filter_map(|b| {
                    let (bn, bb) = named[b];
                    (0..named.len())
                        .find(|&a| {
                            let (an, ab) = named[a];
                            an != bn && ab.len() < bb.len() && ab.is_subset(bb)
                        })
                        .map(|a| (b, a))
                })
                .collect();
            let mut budget = usize::MAX;
            prop_assert_eq!(wider_rules(&named, &mut budget), every);
        }
    }

    /// Once the budget is spent, no more pairs are found.
    #[test]
    fn wider_rules_stop_at_the_budget() {
        let (small, large): (BTreeSet<String>, BTreeSet<String>) = (
            ["a(X)".to_string()].into(),
            ["a(X)".to_string(), "b(X)".to_string()].into(),
        );
        let named = [("r1", &small), ("r2", &large)];
        assert_eq!(wider_rules(&named, &mut usize::MAX.clone()), vec![(1, 0)]);
        assert_eq!(wider_rules(&named, &mut 0), vec![]);
    }
}
