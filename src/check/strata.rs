//! E0106: recursion through negation, found as a negative edge inside a strongly connected
//! component of the predicate dependency graph.

use super::Context;
use crate::diag::Diagnostic;
use petgraph::visit::EdgeRef;
use std::collections::{BTreeMap, VecDeque};

pub fn negation_cycles(cx: &Context) -> Vec<Diagnostic> {
    let g = &cx.deps;
    let mut out = Vec::new();
    for comp in g.components() {
        let members: std::collections::BTreeSet<_> = comp.iter().copied().collect();
        let mut negs: Vec<_> = g
            .graph
            .edge_references()
            .filter(|e| {
                e.weight().negative
                    && members.contains(&e.source())
                    && members.contains(&e.target())
            })
            .collect();
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
            let mut edges: Vec<_> = g
                .graph
                .edges(n)
                .filter(|e| members.contains(&e.target()))
                .collect();
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
