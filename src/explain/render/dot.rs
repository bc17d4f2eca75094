//! Explanations as Graphviz DOT: facts as nodes (given facts boxed, derived facts
//! ellipses), each derivation as a small node labelled with its rule.

use crate::explain::how::{Condition, How};
use std::collections::BTreeMap;
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One graph holding the derivation trees of every given explanation (shared facts merged).
pub fn how_graph(trees: &[&How]) -> String {
    let mut facts: BTreeMap<String, (bool, f64)> = BTreeMap::new();
    let mut derivs: BTreeMap<String, (String, Vec<String>, String)> = BTreeMap::new();
    for h in trees {
        for n in &h.nodes {
            let e = facts.entry(n.fact.clone()).or_insert((false, n.certainty));
            e.0 |= !n.given.is_empty();
            for d in &n.derivations {
                let premises: Vec<String> = d
                    .conditions
                    .iter()
                    .filter_map(|c| match c {
                        Condition::Fact { fact, .. } => Some(fact.clone()),
                        _ => None,
                    })
                    .collect();
                let key = format!("{} <- {} [{}]", n.fact, premises.join(", "), d.rule.name);
                let label = format!(
                    "{}\\n{}:{}",
                    esc(&d.rule.name),
                    esc(&d.rule.location.file),
                    d.rule.location.line
                );
                derivs.insert(key, (label, premises, n.fact.clone()));
            }
        }
    }
    let ids: BTreeMap<&String, usize> = facts.keys().enumerate().map(|(i, k)| (k, i + 1)).collect();
    let mut out =
        String::from("digraph because {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
    for (f, (given, cf)) in &facts {
        let shape = if *given { "box" } else { "ellipse" };
        let style = if *given {
            ", style=filled, fillcolor=\"#eeeeee\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  f{} [label=\"{}\\ncertainty {:.2}\", shape={shape}{style}];",
            ids[f],
            esc(f),
            cf
        );
    }
    for (i, (_, (label, premises, fact))) in derivs.iter().enumerate() {
        let _ = writeln!(
            out,
            "  d{} [label=\"{label}\", shape=note, fontsize=10];",
            i + 1
        );
        for p in premises {
            if let Some(pid) = ids.get(p) {
                let _ = writeln!(out, "  f{pid} -> d{};", i + 1);
            }
        }
        let _ = writeln!(out, "  d{} -> f{};", i + 1, ids[fact]);
    }
    out.push_str("}\n");
    out
}
