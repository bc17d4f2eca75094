//! Checks about predicates: undefined, arity, rules that can never fire, unused declarations.

use super::{Context, Use};
use crate::ast::Literal;
use crate::diag::Diagnostic;
use crate::keyed::{KeyedMap, KeyedSet};

/// E0101: a condition names a predicate that nothing defines.
pub fn undefined(cx: &Context) -> Vec<Diagnostic> {
    let defined: Vec<&str> = cx
        .preds
        .keys()
        .copied()
        .filter(|p| cx.is_defined(p))
        .collect();
    let mut out = Vec::new();
    let mut budget = crate::diag::SUGGESTION_BUDGET;
    for (name, occs) in &cx.preds {
        if cx.is_defined(name) {
            continue;
        }
        // Once a name, not once a use (a name may be used hundreds of thousands of times).
        let help = match crate::diag::suggest_within(name, &defined, &mut budget) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "declare it with `question {name} \"...\"`, state it with `fact {name}(...)`, or conclude it in a rule"
            ),
        };
        for o in occs {
            out.push(
                Diagnostic::error(
                    "E0101",
                    format!("undefined predicate `{name}/{}`", o.arity),
                    o.span,
                )
                .with_label("no question, fact or rule defines this")
                .with_help(help.clone()),
            );
        }
    }
    out
}

/// E0102: a predicate used with different numbers of arguments.
pub fn arity(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, occs) in &cx.preds {
        // The reference arity is the declaration's, or else the first use's.
        let reference = occs
            .iter()
            .filter(|o| matches!(o.kind, Use::Question | Use::Output))
            .min_by_key(|o| o.span)
            .or_else(|| occs.iter().min_by_key(|o| o.span));
        let Some(r) = reference else { continue };
        for o in occs.iter().filter(|o| o.arity != r.arity) {
            let what = match r.kind {
                Use::Question => "declared as a question, which takes one argument".to_string(),
                Use::Output => format!("declared as an output with {} argument(s)", r.arity),
                _ => format!("first used with {} argument(s)", r.arity),
            };
            out.push(
                Diagnostic::error(
                    "E0102",
                    format!(
                        "`{name}` takes {} argument(s) but is used here with {}",
                        r.arity, o.arity
                    ),
                    o.span,
                )
                .with_label(format!("{} argument(s) here", o.arity))
                .with_secondary(r.span, what)
                .with_help(format!(
                    "use `{name}` with {} argument(s) everywhere",
                    r.arity
                )),
            );
        }
    }
    out
}

/// The predicates that can hold facts: questions, stated facts, and heads of rules that can
/// fire, to a fixpoint.
fn live_predicates<'c, 'a>(cx: &'c Context<'a>) -> &'c KeyedSet<&'a str> {
    cx.live.get_or_init(|| find_live(cx))
}

fn find_live<'a>(cx: &Context<'a>) -> KeyedSet<&'a str> {
    // A worklist, linear in the program: each rule counts the distinct predicates of its
    // positive conditions not yet known to be producible, and fires when the count reaches
    // zero. (Sweeping every rule until nothing changes was quadratic on long chains.)
    // Keyed (`crate::keyed`): predicate names come from facts too.
    let mut waiting: KeyedMap<&str, Vec<usize>> = KeyedMap::default();
    let mut missing = vec![0usize; cx.rules.len()];
    let mut needs: Vec<&str> = Vec::new();
    for (i, r) in cx.rules.iter().enumerate() {
        needs.clear();
        needs.extend(r.body.iter().filter_map(|l| match l {
            Literal::Positive(a) => Some(a.pred.node.as_str()),
            _ => None,
        }));
        needs.sort_unstable();
        needs.dedup();
        missing[i] = needs.len();
        for &p in &needs {
            waiting.entry(p).or_default().push(i);
        }
    }
    let mut live: KeyedSet<&str> = KeyedSet::default();
    let mut queue: Vec<&str> = Vec::new();
    let produce = |p: &'a str, live: &mut KeyedSet<&'a str>, queue: &mut Vec<&'a str>| {
        if live.insert(p) {
            queue.push(p);
        }
    };
    for (n, occ) in &cx.preds {
        if occ
            .iter()
            .any(|o| matches!(o.kind, Use::Question | Use::Fact))
        {
            produce(n, &mut live, &mut queue);
        }
    }
    for (i, r) in cx.rules.iter().enumerate() {
        if missing[i] == 0 {
            for h in &r.rule.heads {
                produce(&h.atom.pred.node, &mut live, &mut queue);
            }
        }
    }
    while let Some(p) = queue.pop() {
        for &i in waiting.get(p).map_or(&[][..], Vec::as_slice) {
            missing[i] -= 1;
            if missing[i] == 0 {
                for h in &cx.rules[i].rule.heads {
                    produce(&h.atom.pred.node, &mut live, &mut queue);
                }
            }
        }
    }
    live
}

/// W0202: a rule whose condition needs a predicate that nothing can ever produce.
pub fn never_fires(cx: &Context) -> Vec<Diagnostic> {
    let live = live_predicates(cx);
    let mut out = Vec::new();
    for r in &cx.rules {
        let dead = r.body.iter().find_map(|l| match l {
            Literal::Positive(a)
                if !live.contains(a.pred.node.as_str()) && cx.is_defined(&a.pred.node) =>
            {
                Some(a)
            }
            _ => None,
        });
        if let Some(a) = dead {
            out.push(
                Diagnostic::warning(
                    "W0202",
                    format!("rule `{}` can never fire", r.rule.name.node),
                    r.rule.name.span,
                )
                .with_label("this rule never concludes anything")
                .with_secondary(
                    a.span,
                    format!(
                        "no question, fact or rule that can fire produces `{}`",
                        a.pred.node
                    ),
                )
                .with_help(format!(
                    "add a question, a fact or a rule for `{}`, or remove this rule",
                    a.pred.node
                )),
            );
        }
    }
    out
}

/// W0203: an output that no fact or rule that can fire ever concludes.
pub fn output_never_concluded(cx: &Context) -> Vec<Diagnostic> {
    let live = live_predicates(cx);
    cx.program
        .outputs()
        .filter(|o| !live.contains(o.name.node.as_str()))
        .map(|o| {
            Diagnostic::warning(
                "W0203",
                format!("output `{}` is never concluded", o.name.node),
                o.name.span,
            )
            .with_label("declared here")
            .with_help(format!(
                "add a rule with `then {}(...)`, or remove the declaration",
                o.name.node
            ))
        })
        .collect()
}

/// W0204: a question that no rule asks about.
pub fn question_never_used(cx: &Context) -> Vec<Diagnostic> {
    cx.program
        .questions()
        .filter(|q| {
            !cx.preds[q.name.node.as_str()]
                .iter()
                .any(|o| matches!(o.kind, Use::Body | Use::Negated))
        })
        .map(|q| {
            Diagnostic::warning(
                "W0204",
                format!("question `{}` is never used", q.name.node),
                q.name.span,
            )
            .with_label("no rule's conditions mention it")
            .with_help("use it in a rule, or remove it so users are not asked for nothing")
        })
        .collect()
}
