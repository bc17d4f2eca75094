//! E0106: recursion through negation, found as a negative edge inside a strongly connected
//! component of the predicate dependency graph. E0115: negative evidence inside recursion.

use super::Context;
use crate::diag::Diagnostic;
use petgraph::visit::EdgeRef;
use std::collections::{BTreeMap, VecDeque};

pub fn negation_cycles(cx: &Context) -> Vec<Diagnostic> {
    let g = &cx.deps;
    let comps = g.components();
    let mut comp_of = vec![usize::MAX; g.graph.node_count()];
    for (i, c) in comps.iter().enumerate() {
        for n in c {
            comp_of[n.index()] = i;
        }
    }
    // The negated edges inside each component, found in one pass over the edges (a pass a
    // component was quadratic: 100,000 predicates in a chain took seconds).
    let mut inner_negs: BTreeMap<usize, Vec<_>> = BTreeMap::new();
    for e in g.graph.edge_references() {
        let c = comp_of[e.source().index()];
        if e.weight().negative && c == comp_of[e.target().index()] {
            inner_negs.entry(c).or_default().push(e);
        }
    }
    let mut out = Vec::new();
    for (c, mut negs) in inner_negs {
        let comp = &comps[c];
        let members = |n: petgraph::graph::NodeIndex| comp_of[n.index()] == c;
        negs.sort_by_key(|e| e.weight().span);
        let Some(neg) = negs.first() else { continue };
        // Shortest path back from the head to the negated predicate closes the cycle.
        let (from, to) = (neg.target(), neg.source());
        let mut prev = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(n) = queue.pop_front() {
            if n == to {
                break;
            }
            let mut edges: Vec<_> = g.graph.edges(n).filter(|e| members(e.target())).collect();
            edges.sort_by_key(|e| e.weight().span);
            for e in edges {
                if e.target() != from && !prev.contains_key(&e.target()) {
                    prev.insert(e.target(), e.id());
                    queue.push_back(e.target());
                }
            }
        }
        let mut path = Vec::new();
        let mut n = to;
        while n != from {
            let Some(&e) = prev.get(&n) else { break };
            path.push(e);
            n = g.graph.edge_endpoints(e).map_or(from, |(s, _)| s);
        }
        path.reverse();
        let w = neg.weight();
        let names: Vec<&str> = comp.iter().map(|n| g.graph[*n].as_str()).collect();
        let mut d = Diagnostic::error(
            "E0106",
            format!("`{}` depends on its own negation", g.graph[neg.source()]),
            w.span,
        )
        .with_label(format!(
            "rule `{}`: `{}` holds only if `{}` does not",
            w.rule, g.graph[neg.target()], g.graph[neg.source()]
        ))
        .with_help(format!(
            "negation must not be part of a cycle ({}); break the cycle, or negate a predicate that does not depend on the conclusion",
            names.join(", ")
        ));
        for e in path {
            let (s, t) = g.graph.edge_endpoints(e).expect("edge exists");
            let ew = &g.graph[e];
            d = d.with_secondary(
                ew.span,
                format!(
                    "rule `{}`: `{}` leads to `{}`",
                    ew.rule, g.graph[s], g.graph[t]
                ),
            );
        }
        out.push(d);
    }
    out
}

/// E0115: a rule with a negative certainty factor that reads a predicate of its own
/// conclusion's component. Conditions hold only above the certainty threshold, so a
/// recursive component is evaluated again without the facts that fell below it; that
/// converges because, with only positive evidence inside the cycle, certainties only fall.
/// Negative evidence that itself rests on the cycle could rise again when a fact drops out,
/// and the answer would depend on the order of evaluation.
pub fn negative_evidence_cycles(cx: &Context) -> Vec<Diagnostic> {
    let g = &cx.deps;
    let mut comp_of = std::collections::BTreeMap::new();
    for (i, c) in g.components().into_iter().enumerate() {
        for n in c {
            comp_of.insert(g.graph[n].as_str(), i);
        }
    }
    let mut out = Vec::new();
    for r in &cx.rules {
        for h in &r.rule.heads {
            let Some(cf) = &h.certainty else { continue };
            if cf.node >= 0.0 {
                continue;
            }
            let head = h.atom.pred.node.as_str();
            let inside = r.body.iter().find_map(|l| match l {
                crate::ast::Literal::Positive(a)
                    if comp_of.get(a.pred.node.as_str()) == comp_of.get(head) =>
                {
                    Some(a)
                }
                _ => None,
            });
            if let Some(a) = inside {
                out.push(
                    Diagnostic::error(
                        "E0115",
                        if a.pred.node == head {
                            format!(
                                "rule `{}` gives evidence against `{head}` resting on `{head}` itself",
                                r.rule.name.node
                            )
                        } else {
                            format!(
                                "rule `{}` gives evidence against `{head}` resting on `{}`, which depends on `{head}`",
                                r.rule.name.node, a.pred.node
                            )
                        },
                        cf.span,
                    )
                    .with_label("negative certainty inside a cycle")
                    .with_secondary(a.span, format!("`{}` depends on `{head}` through the rules", a.pred.node))
                    .with_help("conclude the negative evidence from facts that do not depend on the conclusion, or give it a positive certainty on a predicate of its own"),
                );
            }
        }
    }
    out
}
