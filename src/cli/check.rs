//! `because check [PATH...]`: every problem of the rule files, then a one-line summary.

use super::args::CheckArgs;
use super::exit::{CmdResult, Exit, Failure};
use super::{output, Config};
use crate::diag::ErrorFormat;
use crate::program::Program;

pub fn run(cfg: &Config, a: &CheckArgs) -> CmdResult {
    let paths: Vec<_> = if a.paths.is_empty() {
        cfg.rules.clone()
    } else {
        a.paths.clone()
    };
    let (program, diags) = if paths.is_empty() {
        let mut p = Program::default();
        let mut d = Vec::new();
        for (name, text) in crate::engine::EMBEDDED_RULES {
            d.extend(p.add_text(name, *text));
        }
        (p, d)
    } else {
        Program::load_paths_limited(&paths, cfg.max_rules_bytes)
    };
    let report = crate::check::check_program(&program, diags);
    cfg.report(&report.diagnostics, &program.sources)
        .map_err(Failure::quiet)?;
    if report.has_errors() {
        return Err(Failure::quiet(Exit::Invalid));
    }
    if a.deny_warnings && report.has_warnings() {
        return Err(Failure::quiet(Exit::Lint));
    }
    if cfg.error_format != ErrorFormat::Json {
        let rules = program.rules().count();
        let files = program.modules.len();
        let summary = format!(
            "checked {files} file{}, {rules} rule{}: {}\n",
            if files == 1 { "" } else { "s" },
            if rules == 1 { "" } else { "s" },
            if report.diagnostics.is_empty() {
                "no problems"
            } else {
                "no errors"
            }
        );
        output::err(summary.as_bytes()).map_err(Failure::quiet)?;
    }
    Ok(())
}
