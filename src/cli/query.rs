//! `because query`: the outputs concluded from one fact set, ranked, with their reasons
//! (text or JSON); `--show PRED/N` prints a predicate's facts instead. Batches (NDJSON) are
//! in `batch.rs`.

use super::args::{QueryArgs, QueryFormat};
use super::exit::{CmdResult, Exit, Failure};
use super::output::Out;
use super::Config;
use crate::diag::Diagnostic;
use crate::engine::graph::FactGraph;
use crate::engine::{InputFact, KnowledgeBase};
use crate::explain::how::HowOptions;
use crate::explain::render;

pub fn run(cfg: &Config, a: &QueryArgs) -> CmdResult {
    let program = cfg.load_kb()?;
    let kb: &KnowledgeBase = &program;
    if let Some(req) = &a.require {
        if !kb.outputs().any(|o| &o.name.node == req) {
            let names: Vec<&str> = kb.outputs().map(|o| o.name.node.as_str()).collect();
            let d = Diagnostic::without_span(
                "E0315",
                format!("`{req}` is not an output of this program"),
            );
            let d = match crate::diag::suggest(req, names.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("the outputs are {}", names.join(", "))),
            };
            return Err(Failure::diagnostic(Exit::Usage, d));
        }
    }
    if a.format == QueryFormat::Ndjson || a.facts_ndjson.is_some() {
        return super::batch::run(cfg, kb, a);
    }
    let facts = cfg.load_facts(kb, &a.facts, a.facts_format)?;
    if !a.what_if.is_empty() {
        return what_if(cfg, kb, &facts, a);
    }
    let g = cfg.run(kb, &facts)?;
    if let Some(show) = &a.show {
        return show_pred(&g, show, a.format);
    }
    let opts = a.explain.then_some(HowOptions {
        all: a.how.all,
        depth: a.how.depth,
    });
    let q = crate::explain::query::query(&g, opts, None);
    let mut out = Out::default();
    match a.format {
        QueryFormat::Json => super::output::write_json(&mut out, &q),
        _ => out.text(&render::text::query(&q, cfg.style(a.how.verbose))),
    }
    out.finish()?;
    if let Some(req) = &a.require {
        let found = q
            .outputs
            .iter()
            .any(|o| &o.name == req && !o.concluded.is_empty());
        if !found {
            return Err(Failure::message(
                Exit::NotConcluded,
                format!("nothing of `{req}` was concluded (--require)"),
            ));
        }
    }
    Ok(())
}

/// `--what-if QUESTION=VALUES`: the answer with those answers replaced, as a difference.
fn what_if(cfg: &Config, kb: &KnowledgeBase, facts: &[InputFact], a: &QueryArgs) -> CmdResult {
    let d = crate::ask::what_if(kb, facts, &a.what_if, cfg.limits()).map_err(|mut p| {
        // On the command line, the change is an option's value.
        for d in &mut p.diagnostics {
            if let Some(rest) = d.message.strip_prefix("what if ") {
                d.message = format!("--what-if {rest}");
            }
            if d.help.as_deref() == Some("for example database=relational") {
                d.help = Some("for example --what-if database=relational".into());
            }
        }
        Failure::from(p)
    })?;
    let mut out = Out::default();
    match a.format {
        QueryFormat::Json => super::output::write_json(&mut out, &d),
        _ => out.text(&render::text::what_if_query(&d, cfg.style(a.how.verbose))),
    }
    out.finish()
}

fn show_pred(g: &FactGraph, show: &str, format: QueryFormat) -> CmdResult {
    let Some((name, arity)) = show
        .rsplit_once('/')
        .and_then(|(n, a)| Some((n, a.parse::<usize>().ok()?)))
    else {
        return Err(Failure::diagnostic(
            Exit::Usage,
            Diagnostic::without_span("E0316", format!("`{show}` is not of the form NAME/ARITY"))
                .with_help("for example --show path/2"),
        ));
    };
    let mut out = Out::default();
    match format {
        // Counting needs no order: the facts are not sorted.
        QueryFormat::Count => out.text(&format!("{}\n", g.count_of(name, arity))),
        QueryFormat::Json | QueryFormat::Ndjson => {
            let facts = g.facts_of(name, arity);
            let shown = crate::wire::ShownFacts {
                predicate: show.to_string(),
                count: facts.len(),
                facts: facts
                    .iter()
                    .map(|&f| {
                        g.store
                            .args(f)
                            .iter()
                            .map(|v| crate::explain::query::wire_value(g, v))
                            .collect()
                    })
                    .collect(),
            };
            let mut line = serde_json::to_string(&shown).unwrap_or_default();
            line.push('\n');
            out.text(&line);
        }
        QueryFormat::Text => {
            let mut s = String::new();
            for f in g.facts_of(name, arity) {
                s.push_str(&g.show_fact(f));
                s.push('\n');
                if s.len() > 1 << 16 {
                    out.text(&s);
                    s.clear();
                    if out.failed() {
                        break;
                    }
                }
            }
            out.text(&s);
        }
    }
    out.finish()
}
