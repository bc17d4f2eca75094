//! `because explain FACT`: how each matching fact was concluded (text, JSON or DOT).

use super::args::{ExplainArgs, ExplainFormat};
use super::exit::{CmdResult, Exit, Failure};
use super::output::Out;
use super::Config;
use crate::diag::Diagnostic;
use crate::engine::KnowledgeBase;
use crate::explain::how::HowOptions;
use crate::explain::render;

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
        let what_if = (!a.no_what_if).then(|| cfg.limits());
        let c = crate::ask::contrast(&mut g, &facts, &a.fact, over, what_if.as_ref())?;
        let mut out = Out::default();
        match a.format {
            ExplainFormat::Json => super::output::write_json(&mut out, &c),
            ExplainFormat::Dot => out.text(&render::dot::contrast_graph(&c)),
            ExplainFormat::Svg => out.text(&picture(render::svg::contrast(&c))?),
            ExplainFormat::Text => out.text(&render::text::contrast(&c, cfg.style(a.how.verbose))),
        }
        return out.finish();
    }
    let opts = HowOptions {
        all: a.how.all,
        depth: a.how.depth,
    };
    let trees = crate::ask::trees(&mut g, &a.fact, opts).map_err(|p| match p.kind {
        // The command line's wording: a message that names the command to run next.
        crate::ask::ProblemKind::NotConcluded => Failure::message(
            Exit::NotConcluded,
            format!(
                "{}; run `because why-not '{}'` with the same facts to see why",
                p.diagnostics[0].message, a.fact
            ),
        ),
        _ => p.into(),
    })?;
    let owned = crate::ask::owned;
    let mut out = Out::default();
    match a.format {
        // Written as built: a tree of millions of nodes is never held whole.
        ExplainFormat::Json => crate::timing::phase("write", || {
            if trees.len() == 1 {
                super::output::write_json(&mut out, &trees[0]);
            } else {
                super::output::write_json(&mut out, &trees);
            }
        }),
        ExplainFormat::Dot => out.text(&render::dot::how_graph(
            &owned(trees).iter().collect::<Vec<_>>(),
        )),
        ExplainFormat::Svg => out.text(&picture(render::svg::how(
            &owned(trees).iter().collect::<Vec<_>>(),
        ))?),
        ExplainFormat::Text => {
            let s: Vec<String> = owned(trees)
                .iter()
                .map(|t| render::text::how(t, cfg.style(a.how.verbose)))
                .collect();
            out.text(&s.join("\n"));
        }
    }
    out.finish()
}
