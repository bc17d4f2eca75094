//! `because fmt [--check [--diff]] PATH...`: rewrite rule files in the canonical layout
//! (`crate::format`), each file replaced atomically, or (`--check`) only list the files that
//! would change. A file with syntax errors is reported and left as it is.

use super::args::FmtArgs;
use super::exit::{CmdResult, Exit, Failure};
use super::io::write_atomic;
use super::output::{self, Out};
use super::Config;
use crate::diag::{Diagnostic, ErrorFormat};
use crate::format::{format_file, FormatError};
use crate::program::display_path;
use crate::span::SourceMap;
use std::io::Read;
use std::path::{Path, PathBuf};

pub fn run(cfg: &Config, a: &FmtArgs) -> CmdResult {
    let stdin = Path::new("-");
    let (mut files, mut diags) = crate::program::rule_files(
        &a.paths
            .iter()
            .filter(|p| p.as_path() != stdin)
            .cloned()
            .collect::<Vec<PathBuf>>(),
    );
    let from_stdin = a.paths.iter().any(|p| p.as_path() == stdin);
    if from_stdin {
        files.insert(0, stdin.to_path_buf());
    }
    let mut sources = SourceMap::default();
    let mut out = Out::default();
    let (mut changed, mut unchanged, mut bug) = (Vec::new(), 0usize, None);
    for path in &files {
        let is_stdin = path.as_path() == stdin;
        let read = if is_stdin {
            read_stdin(cfg.max_rules_bytes)
        } else {
            crate::program::read_text_limited(path, cfg.max_rules_bytes)
        };
        let text = match read {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let name = if is_stdin {
            "<stdin>".to_string()
        } else {
            display_path(path)
        };
        let file = sources.add(&name, text.as_str());
        let formatted = match format_file(file, sources.get(file)) {
            Ok(f) => f,
            Err(FormatError::Syntax(d)) => {
                diags.extend(d);
                continue;
            }
            Err(FormatError::Changed(why)) => {
                bug.get_or_insert(format!(
                    "the formatter would change `{name}` ({why}); it is left as it is. Please report this with the file"
                ));
                continue;
            }
        };
        if is_stdin && !a.check {
            out.text(&formatted);
            continue;
        }
        if formatted == text {
            unchanged += 1;
            continue;
        }
        if a.check {
            if a.diff {
                let diff = similar::TextDiff::from_lines(text.as_str(), formatted.as_str());
                out.text(
                    &diff
                        .unified_diff()
                        .context_radius(2)
                        .header(&name, &format!("{name} (formatted)"))
                        .to_string(),
                );
            } else {
                out.text(&format!("{name}\n"));
            }
        } else if let Err(e) = write_atomic(path, formatted.as_bytes()) {
            diags.push(
                Diagnostic::without_span("E0403", format!("cannot save to `{name}`: {e}"))
                    .with_help(e.help()),
            );
            continue;
        }
        changed.push(name);
    }
    out.finish()?;
    cfg.report(&diags, &sources).map_err(Failure::quiet)?;
    if let Some(msg) = bug {
        return Err(Failure {
            message: Some(msg),
            ..Failure::quiet(Exit::Internal)
        });
    }
    if diags.iter().any(Diagnostic::is_error) {
        return Err(Failure::quiet(Exit::Invalid));
    }
    // Formatting standard input alone is a filter: nothing but the text.
    let filter = from_stdin && !a.check && files.len() == 1;
    if cfg.error_format != ErrorFormat::Json && !filter {
        let n = changed.len();
        let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
        let summary = match (a.check, n) {
            (true, 0) => format!("{} already formatted\n", files(unchanged)),
            (true, _) => format!(
                "{} would be reformatted, {} already formatted; run `because fmt` on {}\n",
                files(n),
                unchanged,
                if n == 1 { "it" } else { "them" }
            ),
            (false, _) => format!("formatted {}, {} already formatted\n", files(n), unchanged),
        };
        output::err(summary.as_bytes()).map_err(Failure::quiet)?;
    }
    if a.check && !changed.is_empty() {
        return Err(Failure::quiet(Exit::Lint));
    }
    Ok(())
}

fn read_stdin(max: usize) -> Result<String, Diagnostic> {
    let mut bytes = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(max as u64 + 1)
        .read_to_end(&mut bytes);
    if let Err(e) = read {
        return Err(Diagnostic::without_span(
            "E0002",
            format!("cannot read standard input: {e}"),
        ));
    }
    if bytes.len() > max {
        return Err(Diagnostic::without_span(
            "E0009",
            format!("standard input is larger than {max} bytes"),
        )
        .with_help("give a rule file, or raise --max-rules-bytes"));
    }
    crate::program::decode("standard input", bytes)
}
