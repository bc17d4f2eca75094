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
    let t = super::explain::target(&mut g, &a.fact)?;
    let mut w = crate::explain::why_not::explain(&g, &t, a.how.depth.unwrap_or(1));
    if !a.no_what_if && w.unknown_values.is_empty() && !w.no_rule {
        use crate::explain::what_if::{search, Fact, Goal};
        let holds = w.holds.first().is_some_and(|h| h.status == "holds");
        let goal = Fact::of(&g, &t.pred, &t.args).and_then(|f| match (holds, &w.contrast) {
            (false, _) => Some(Goal::Holds(f)),
            (true, Some(_)) => Some(Goal::First(f)),
            (true, None) => None,
        });
        if let Some(goal) = goal {
            w.what_if = Some(crate::timing::phase("what-if", || {
                search(kb, &facts, &goal, &cfg.limits())
            }));
        }
    }
    let mut out = Out::default();
    match a.format {
        ExplainFormat::Json => super::output::write_json(&mut out, &w),
        _ => out.text(&render::text::why_not(&w, cfg.style(a.how.verbose))),
    }
    out.finish()
}
