//! Explanations as Graphviz DOT: facts as nodes (given facts boxed, derived facts
//! ellipses), each derivation as a small node labelled with its rule.

use crate::explain::contrast::Contrast;
use crate::explain::fmt_cf;
use crate::explain::how::{Condition, How};
use crate::explain::query::Reason;
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
            "  f{} [label=\"{}\\ncertainty {}\", shape={shape}{style}];",
            ids[f],
            esc(f),
            fmt_cf(*cf)
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

/// A contrast as DOT: the two conclusions side by side at the top, each reason below with
/// an edge to the side(s) it counts for, labelled with its certainty; evidence against is
/// dashed and red.
pub fn contrast_graph(c: &Contrast) -> String {
    let mut out = String::from(
        "digraph because {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n  { rank=same; a; b; }\n",
    );
    for (id, s) in [("a", &c.fact), ("b", &c.over)] {
        let _ = writeln!(
            out,
            "  {id} [label=\"{}\\ncertainty {}\", shape=ellipse, style=bold];",
            esc(&s.name),
            fmt_cf(s.certainty)
        );
    }
    let edge = |out: &mut String, from: &str, to: &str, cf: f64| {
        let style = if cf < 0.0 {
            ", style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\""
        } else {
            ""
        };
        let sign = if cf < 0.0 { "-" } else { "+" };
        let _ = writeln!(
            out,
            "  {from} -> {to} [label=\"{sign}{}\"{style}];",
            fmt_cf(cf.abs())
        );
    };
    let mut n = 0;
    let mut node = |out: &mut String, r: &Reason| -> String {
        n += 1;
        let _ = writeln!(
            out,
            "  r{n} [label=\"{}\\n{}\", shape=box, fontsize=10];",
            esc(&wrap(&r.text, 48)),
            esc(&r.rule.name)
        );
        format!("r{n}")
    };
    for s in &c.both {
        let id = node(&mut out, &s.fact);
        edge(&mut out, &id, "a", s.fact.certainty);
        edge(&mut out, &id, "b", s.over.certainty);
    }
    for (to, list) in [
        ("a", &c.only_fact),
        ("b", &c.only_over),
        ("a", &c.against_fact),
        ("b", &c.against_over),
    ] {
        for r in list {
            let id = node(&mut out, r);
            edge(&mut out, &id, to, r.certainty);
        }
    }
    out.push_str("}\n");
    out
}

/// Break `text` into lines of about `width` characters at spaces.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for w in text.split(' ') {
        if line > 0 && line + 1 + w.chars().count() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(w);
        line += w.chars().count();
    }
    out
}
