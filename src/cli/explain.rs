//! `because explain FACT`: how each matching fact was concluded (text, JSON or DOT).

use super::args::{ExplainArgs, ExplainFormat};
use super::exit::{CmdResult, Exit, Failure};
use super::output::Out;
use super::Config;
use crate::diag::Diagnostic;
use crate::engine::graph::FactGraph;
use crate::engine::KnowledgeBase;
use crate::explain::contrast::Found;
use crate::explain::how::HowOptions;
use crate::explain::render;
use crate::explain::what_if::Fact;
use crate::explain::why_not::Target;

/// Parse a FACT argument against a run's values.
pub fn target(g: &mut FactGraph, text: &str) -> Result<Target, Failure> {
    Target::parse(g, text).map_err(|(sources, d)| Failure::diagnostics(Exit::Usage, d, sources))
}

/// One fact of the program named by a FACT argument (values, no pattern), found in the run
/// or not.
pub fn found(g: &mut FactGraph, text: &str) -> Result<(Found, Fact), Failure> {
    let t = target(g, text)?;
    if t.args.iter().any(Option::is_none) {
        return Err(Failure::diagnostic(
            Exit::Usage,
            Diagnostic::without_span("E0316", format!("`{text}` is a pattern, not one fact"))
                .with_help(
                    "a contrast compares two facts: give every value, as in `recommend(django)`",
                ),
        ));
    }
    if g.knowledge_base()
        .predicate(&t.pred, t.args.len())
        .is_none()
    {
        let names: Vec<String> = g
            .knowledge_base()
            .predicates()
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        let help = match crate::diag::suggest(&t.pred, names.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "`because graph` shows the program's predicates".to_string(),
        };
        return Err(Failure::diagnostic(
            Exit::Usage,
            Diagnostic::without_span(
                "E0316",
                format!("the program has no `{}/{}`", t.pred, t.args.len()),
            )
            .with_help(help),
        ));
    }
    let fact = Fact::of(g, &t.pred, &t.args).expect("a ground target");
    Ok((Found::of(g, &t.pred, &t.args), fact))
}

/// An SVG picture, or why it is not drawn.
fn picture(svg: Result<String, render::svg::TooLarge>) -> Result<String, Failure> {
    svg.map_err(|e| {
        Failure::diagnostic(
            Exit::Invalid,
            Diagnostic::without_span(
                "E0406",
                format!(
                    "the picture would have {} or more boxes, more than {} can be laid out readably",
                    e.nodes,
                    render::svg::MAX_NODES
                ),
            )
            .with_help("cut the tree with `--depth N`, or use `--format dot` and Graphviz"),
        )
    })
}

pub fn run(cfg: &Config, a: &ExplainArgs) -> CmdResult {
    let program = cfg.load_kb()?;
    let kb: &KnowledgeBase = &program;
    let facts = cfg.load_facts(kb, &a.facts.facts, a.facts.facts_format)?;
    let mut g = cfg.run(kb, &facts)?;
    if let Some(over) = &a.over {
        let (fact, other) = (found(&mut g, &a.fact)?, found(&mut g, over)?);
        let mut c = crate::explain::contrast::contrast(&g, fact.0, other.0);
        if !a.no_what_if {
            use crate::explain::query::tie_key;
            use crate::explain::what_if::{search, Goal};
            // What would put the side behind ahead (the fact asked about, when tied).
            let goal = if tie_key(c.fact.certainty) > tie_key(c.over.certainty) {
                Goal::Ahead(other.1, fact.1)
            } else {
                Goal::Ahead(fact.1, other.1)
            };
            c.what_if = Some(crate::timing::phase("what-if", || {
                search(kb, &facts, &goal, &cfg.limits())
            }));
        }
        let mut out = Out::default();
        match a.format {
            ExplainFormat::Json => super::output::write_json(&mut out, &c),
            ExplainFormat::Dot => out.text(&render::dot::contrast_graph(&c)),
            ExplainFormat::Svg => out.text(&picture(render::svg::contrast(&c))?),
            ExplainFormat::Text => out.text(&render::text::contrast(&c, cfg.style(a.how.verbose))),
        }
        return out.finish();
    }
    let t = target(&mut g, &a.fact)?;
    let found = g.matching(&t.pred, &t.args);
    if found.is_empty() {
        return Err(Failure::message(
            Exit::NotConcluded,
            format!(
                "`{}` was not concluded; run `because why-not '{}'` with the same facts to see why",
                t.text(&g),
                a.fact
            ),
        ));
    }
    let opts = HowOptions {
        all: a.how.all,
        depth: a.how.depth,
    };
    let trees: Vec<_> = crate::timing::phase("explain", || {
        found
            .iter()
            .map(|&f| crate::explain::how::explain(&g, f, opts))
            .collect()
    });
    let mut out = Out::default();
    match a.format {
        ExplainFormat::Json => {
            if trees.len() == 1 {
                super::output::write_json(&mut out, &trees[0]);
            } else {
                super::output::write_json(&mut out, &trees);
            }
        }
        ExplainFormat::Dot => out.text(&render::dot::how_graph(&trees.iter().collect::<Vec<_>>())),
        ExplainFormat::Svg => out.text(&picture(render::svg::how(
            &trees.iter().collect::<Vec<_>>(),
        ))?),
        ExplainFormat::Text => {
            let s: Vec<String> = trees
                .iter()
                .map(|t| render::text::how(t, cfg.style(a.how.verbose)))
                .collect();
            out.text(&s.join("\n"));
        }
    }
    out.finish()
}
