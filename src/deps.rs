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
        // Tarjan's algorithm yields components in reverse topological order of the graph.
        let mut sccs = tarjan_scc(&self.graph);
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

/// The strongly connected components of `g`, as petgraph's `tarjan_scc` finds them (David J.
/// Pierce's variant of Tarjan's algorithm: the same components, in the same order, each in
/// the same order), with the depth-first search's path on a stack of its own.
///
/// petgraph's is recursive, a call a node of the path: a chain of 100,000 predicates (each
/// rule reading the one before) overflowed the main thread's stack, and a stack overflow
/// aborts the process.
pub(crate) fn tarjan_scc<N, E>(g: &DiGraph<N, E>) -> Vec<Vec<NodeIndex>> {
    /// A node being visited: its neighbours still to see, whether it is still its
    /// component's root, and the neighbour whose visit it waits for.
    struct Frame<'g, E> {
        v: NodeIndex,
        neighbors: petgraph::graph::Neighbors<'g, E>,
        local_root: bool,
        child: Option<NodeIndex>,
    }
    // `root[v]`: 0 for a node not yet visited (petgraph's `None`), else its index, lowered to
    // the least reached, then its component's number (counted down from the top).
    let mut root = vec![0usize; g.node_count()];
    let mut index = 1usize;
    let mut component = usize::MAX;
    let mut stack: Vec<NodeIndex> = Vec::new();
    let mut path: Vec<Frame<'_, E>> = Vec::new();
    let mut out = Vec::new();
    // Number `v` and start visiting it.
    let enter = |v: NodeIndex, root: &mut [usize], index: &mut usize| {
        root[v.index()] = *index;
        *index += 1;
        Frame {
            v,
            neighbors: g.neighbors(v),
            local_root: true,
            child: None,
        }
    };
    for start in g.node_indices() {
        if root[start.index()] != 0 {
            continue;
        }
        path.push(enter(start, &mut root, &mut index));
        while let Some(top) = path.last_mut() {
            let v = top.v.index();
            // After a neighbour is visited, or when it was visited before: the least root.
            if let Some(w) = top.child.take() {
                if root[w.index()] < root[v] {
                    root[v] = root[w.index()];
                    top.local_root = false;
                }
            }
            if let Some(w) = top.neighbors.next() {
                if root[w.index()] == 0 {
                    top.child = Some(w);
                    let frame = enter(w, &mut root, &mut index);
                    path.push(frame);
                } else if root[w.index()] < root[v] {
                    root[v] = root[w.index()];
                    top.local_root = false;
                }
                continue;
            }
            let Frame { v, local_root, .. } = path.pop().expect("the frame just read");
            if !local_root {
                stack.push(v);
                continue;
            }
            // The nodes above the last one of a lower root form v's component.
            let mut adjustment = 1;
            let start = stack
                .iter()
                .rposition(|&w| {
                    if root[v.index()] > root[w.index()] {
                        true
                    } else {
                        root[w.index()] = component;
                        adjustment += 1;
                        false
                    }
                })
                .map_or(0, |x| x + 1);
            root[v.index()] = component;
            stack.push(v);
            out.push(stack[start..].to_vec());
            stack.truncate(start);
            index -= adjustment;
            component -= 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same components in the same order as petgraph's recursive search, on graphs
        /// with cycles, self-loops, parallel edges and isolated nodes.
        #[test]
        fn components_match_petgraphs(
            n in 1usize..40,
            edges in proptest::collection::vec((0usize..40, 0usize..40), 0..120),
        ) {
            let mut g: DiGraph<(), ()> = DiGraph::new();
            let nodes: Vec<NodeIndex> = (0..n).map(|_| g.add_node(())).collect();
            for (a, b) in edges {
                g.add_edge(nodes[a % n], nodes[b % n], ());
            }
            prop_assert_eq!(tarjan_scc(&g), petgraph::algo::tarjan_scc(&g));
        }
    }

    /// A chain of 200,000 nodes, each reaching the next, on a thread with a 256 KiB stack:
    /// 200,000 components, the last node's first.
    #[test]
    fn a_long_chain_needs_no_deep_stack() {
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let mut g: DiGraph<(), ()> = DiGraph::new();
                let nodes: Vec<NodeIndex> = (0..200_000).map(|_| g.add_node(())).collect();
                for w in nodes.windows(2) {
                    g.add_edge(w[0], w[1], ());
                }
                let sccs = tarjan_scc(&g);
                (sccs.len(), sccs[0].clone(), sccs[199_999].clone())
            })
            .expect("a thread");
        let (count, first, last) = handle.join().expect("no overflow");
        assert_eq!(count, 200_000);
        assert_eq!(first, vec![NodeIndex::new(199_999)]);
        assert_eq!(last, vec![NodeIndex::new(0)]);
    }
}
