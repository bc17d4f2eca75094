//! The predicate dependency graph (petgraph): an edge from each body predicate to each head
//! predicate of a rule, marked negative when the body uses it under `not`.
//!
//! Built once, by the check (`check::check_program`), from the flat rules; the knowledge
//! base keeps it, and everyone reads that one graph: the stratification check, the engine's
//! evaluation order (its components), relevance (which predicates can lead to an output) and
//! `because graph`.

use crate::program::FlatRule;
use crate::span::Span;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct DepEdge {
    pub negative: bool,
    /// Where the body uses the predicate.
    pub span: Span,
    pub rule: String,
}

#[derive(Debug, Default)]
pub struct DepGraph {
    pub graph: DiGraph<String, DepEdge>,
    pub index: BTreeMap<String, NodeIndex>,
    /// The one edge kept per (body predicate, head predicate, sign).
    edge_of: std::collections::HashMap<(NodeIndex, NodeIndex, bool), petgraph::graph::EdgeIndex>,
}

impl DepGraph {
    pub fn node(&mut self, name: &str) -> NodeIndex {
        if let Some(&n) = self.index.get(name) {
            return n;
        }
        let n = self.graph.add_node(name.to_string());
        self.index.insert(name.to_string(), n);
        n
    }

    /// Add an edge from a body predicate to a head predicate, keeping one per (from, to,
    /// sign): the earliest in the source, which is the one diagnostics name. 100,000 rules
    /// over a few predicates make a few edges.
    fn edge(
        &mut self,
        from: NodeIndex,
        to: NodeIndex,
        negative: bool,
        span: Span,
        rule: impl FnOnce() -> String,
    ) {
        match self.edge_of.get(&(from, to, negative)) {
            Some(&e) if span < self.graph[e].span => {
                self.graph[e] = DepEdge {
                    negative,
                    span,
                    rule: rule(),
                }
            }
            Some(_) => {}
            None => {
                let weight = DepEdge {
                    negative,
                    span,
                    rule: rule(),
                };
                let e = self.graph.add_edge(from, to, weight);
                self.edge_of.insert((from, to, negative), e);
            }
        }
    }

    /// Build from rule alternatives. Predicates in `extra` get nodes even when no rule uses them.
    pub fn build<'a>(rules: &[FlatRule<'_>], extra: impl IntoIterator<Item = &'a str>) -> DepGraph {
        let mut g = DepGraph::default();
        for name in extra {
            g.node(name);
        }
        for r in rules {
            for lit in &r.body {
                let (atom, negative) = match lit {
                    crate::ast::Literal::Positive(a) => (a, false),
                    crate::ast::Literal::Negative(a) => (a, true),
                    _ => continue,
                };
                let from = g.node(&atom.pred.node);
                for h in &r.rule.heads {
                    let to = g.node(&h.atom.pred.node);
                    g.edge(from, to, negative, atom.span, || r.rule.name.node.clone());
                }
            }
        }
        g
    }

    /// Strongly connected components in dependency order (a component comes after every
    /// component it depends on), each sorted by name, for a deterministic stratification.
    pub fn components(&self) -> Vec<Vec<NodeIndex>> {
        // tarjan_scc yields components in reverse topological order of the graph.
        let mut sccs = petgraph::algo::tarjan_scc(&self.graph);
        sccs.reverse();
        for c in &mut sccs {
            c.sort_by(|a, b| self.graph[*a].cmp(&self.graph[*b]));
        }
        sccs
    }

    /// Stratum of each predicate: negation raises the stratum; cycles through negation are
    /// reported by `check` and here simply share a stratum.
    pub fn strata(&self) -> BTreeMap<String, usize> {
        let comps = self.components();
        let mut comp_of = vec![0usize; self.graph.node_count()];
        for (i, c) in comps.iter().enumerate() {
            for n in c {
                comp_of[n.index()] = i;
            }
        }
        let mut level = vec![0usize; comps.len()];
        for (i, c) in comps.iter().enumerate() {
            let mut l = 0;
            for &n in c {
                for e in self.graph.edges_directed(n, petgraph::Direction::Incoming) {
                    use petgraph::visit::EdgeRef;
                    let src = comp_of[e.source().index()];
                    if src != i {
                        l = l.max(level[src] + usize::from(e.weight().negative));
                    }
                }
            }
            level[i] = l;
        }
        self.index
            .iter()
            .map(|(name, n)| (name.clone(), level[comp_of[n.index()]]))
            .collect()
    }
}

impl DepGraph {
    /// The predicates from which one of `targets` can be reached (the targets included):
    /// everything a rule needs to conclude them. Sorted by name.
    pub fn reaching<'a>(&self, targets: impl IntoIterator<Item = &'a str>) -> Vec<&str> {
        let mut seen = vec![false; self.graph.node_count()];
        let mut stack: Vec<NodeIndex> = targets
            .into_iter()
            .filter_map(|t| self.index.get(t).copied())
            .collect();
        while let Some(n) = stack.pop() {
            if std::mem::replace(&mut seen[n.index()], true) {
                continue;
            }
            stack.extend(
                self.graph
                    .neighbors_directed(n, petgraph::Direction::Incoming)
                    .filter(|m| !seen[m.index()]),
            );
        }
        self.index
            .iter()
            .filter(|(_, n)| seen[n.index()])
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// The predicates, by name.
    pub fn predicates(&self) -> impl Iterator<Item = &str> {
        self.index.keys().map(String::as_str)
    }
}
