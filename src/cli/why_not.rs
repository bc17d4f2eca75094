//! `because why-not FACT`: every rule that could have concluded it, and what failed.

use super::args::{ExplainFormat, WhyNotArgs};
use super::exit::{CmdResult, Exit, Failure};
use super::output::Out;
use super::Config;
use crate::diag::Diagnostic;
use crate::engine::KnowledgeBase;
use crate::explain::render;

pub fn run(cfg: &Config, a: &WhyNotArgs) -> CmdResult {
    if matches!(a.format, ExplainFormat::Dot | ExplainFormat::Svg) {
        return Err(Failure::diagnostic(
            Exit::Usage,
            Diagnostic::without_span("E0316", "why-not has no graph form")
                .with_help("use --format text or json"),
        ));
    }
    let program = cfg.load_kb()?;
    let kb: &KnowledgeBase = &program;
    let facts = cfg.load_facts(kb, &a.facts.facts, a.facts.facts_format)?;
    let mut g = cfg.run(kb, &facts)?;
    let what_if = (!a.no_what_if).then(|| cfg.limits());
    let w = crate::ask::why_not(
        &mut g,
        &facts,
        &a.fact,
        a.how.depth.unwrap_or(1),
        what_if.as_ref(),
    )?;
    let mut out = Out::default();
    match a.format {
        ExplainFormat::Json => super::output::write_json(&mut out, &w),
        _ => out.text(&render::text::why_not(&w, cfg.style(a.how.verbose))),
    }
    out.finish()
}
