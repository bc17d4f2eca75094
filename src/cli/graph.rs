//! `because graph`: the rule dependency graph as DOT: questions → rules → outputs, read
//! from the program's view (each rule with the predicates it reads and concludes).

use super::exit::CmdResult;
use super::output::Out;
use super::Config;
use crate::engine::view::ConditionView;
use crate::engine::KnowledgeBase;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

pub fn run(cfg: &Config) -> CmdResult {
    let program = cfg.load_kb()?;
    let kb: &KnowledgeBase = &program;
    let mut out = Out::default();
    out.text(&render(kb));
    out.finish()
}

/// Per rule: the predicates it reads (and whether negated) and the ones it concludes.
type RuleEdges = BTreeMap<String, (BTreeSet<(String, bool)>, BTreeSet<String>)>;

pub fn render(kb: &KnowledgeBase) -> String {
    let questions: BTreeSet<&str> = kb.questions().map(|q| q.name.node.as_str()).collect();
    let outputs: BTreeMap<&str, &str> = kb
        .outputs()
        .map(|o| (o.name.node.as_str(), o.label.node.as_str()))
        .collect();
    let mut preds: BTreeSet<String> = BTreeSet::new();
    let mut rules: RuleEdges = BTreeMap::new();
    for r in kb.rules() {
        let e = rules.entry(r.name.to_string()).or_default();
        for c in &r.conditions {
            match c {
                ConditionView::Holds(a) => {
                    e.0.insert((a.predicate.to_string(), false));
                }
                ConditionView::Absent(a) => {
                    e.0.insert((a.predicate.to_string(), true));
                }
                ConditionView::Test { .. } => {}
            }
        }
        e.1.insert(r.conclusion.predicate.to_string());
    }
    for (ins, outs) in rules.values() {
        preds.extend(ins.iter().map(|(p, _)| p.clone()));
        preds.extend(outs.iter().cloned());
    }
    preds.extend(questions.iter().map(|s| s.to_string()));
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out =
        String::from("digraph rules {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
    for p in &preds {
        let (shape, extra) = if questions.contains(p.as_str()) {
            ("box", ", style=filled, fillcolor=\"#e8f0ff\"".to_string())
        } else if let Some(label) = outputs.get(p.as_str()) {
            ("doubleoctagon", format!(", xlabel=\"{}\"", esc(label)))
        } else {
            ("ellipse", String::new())
        };
        let _ = writeln!(
            out,
            "  \"p:{}\" [label=\"{}\", shape={shape}{extra}];",
            esc(p),
            esc(p)
        );
    }
    for (name, (ins, outs)) in &rules {
        let _ = writeln!(
            out,
            "  \"r:{}\" [label=\"{}\", shape=note, fontsize=10];",
            esc(name),
            esc(name)
        );
        for (p, neg) in ins {
            let style = if *neg {
                " [style=dashed, color=red, label=\"not\"]"
            } else {
                ""
            };
            let _ = writeln!(out, "  \"p:{}\" -> \"r:{}\"{style};", esc(p), esc(name));
        }
        for p in outs {
            let _ = writeln!(out, "  \"r:{}\" -> \"p:{}\";", esc(name), esc(p));
        }
    }
    out.push_str("}\n");
    out
}
