//! `because test PATH...`: run test cases (`crate::suite`) and report; `--update` and
//! `--review` write golden files; `--coverage` and `--lcov` measure what the cases cover.

use super::args::{TestArgs, TestFormat};
use super::exit::{CmdResult, Exit, Failure};
use super::io::write_atomic;
use super::output::{self, Out};
use super::Config;
use crate::diag::Diagnostic;
use crate::program::display_path;
use crate::span::SourceMap;
use crate::suite::{self, coverage, report, SuiteResult};
use std::io::BufRead;
use std::path::{Path, PathBuf};

pub fn run(cfg: &Config, a: &TestArgs) -> CmdResult {
    let mut diags = Vec::new();
    let mut cases = Vec::new();
    // The rule set a case tests: the nearest directory, from the case's own up, that holds
    // `.rules` files (unless --rules names one).
    let mut homes = std::collections::BTreeSet::new();
    for p in &a.paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                crate::suite::find_cases(p, &mut cases);
                homes.extend(rule_home(p));
            }
            Ok(_) => {
                cases.push(p.clone());
                homes.extend(rule_home(p.parent().unwrap_or(Path::new("."))));
            }
            Err(e) => diags.push(
                Diagnostic::without_span(
                    "E0002",
                    format!("cannot read `{}`: {e}", display_path(p)),
                )
                .with_help("give test case files (`*.test`) or directories of them"),
            ),
        }
    }
    cases.sort();
    cases.dedup();
    if cases.is_empty() && diags.is_empty() {
        diags.push(
            Diagnostic::without_span("E0603", "no test cases (`*.test` files) found")
                .with_help("a test case is a `.test` file with `--- facts` and `--- expect` sections; see `docs/maintaining.md`"),
        );
    }
    if !diags.is_empty() {
        return Err(Failure::diagnostics(
            Exit::Invalid,
            diags,
            SourceMap::default(),
        ));
    }
    if cfg.rules.is_empty() && homes.len() > 1 {
        let names: Vec<String> = homes
            .iter()
            .map(|h| format!("`{}`", display_path(h)))
            .collect();
        return Err(Failure::diagnostic(
            Exit::Usage,
            Diagnostic::without_span(
                "E0603",
                format!("these cases test different rule sets: {}", names.join(", ")),
            )
            .with_help("run each rule set's cases on their own, or name the rules with --rules"),
        ));
    }
    let kb = if cfg.rules.is_empty() {
        cfg.load_kb_from(&homes.into_iter().collect::<Vec<_>>())?
    } else {
        cfg.load_kb()?
    };
    let measure = a.coverage || a.lcov.is_some();
    let mut sources = SourceMap::default();
    let mut results = Vec::new();
    for path in &cases {
        let text = match crate::program::read_text_limited(path, cfg.max_rules_bytes) {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let file = sources.add(&display_path(path), text.as_str());
        let case = match suite::case::parse(&sources, file, path) {
            Ok(c) => c,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        let loaded = match suite::load_facts(&kb, &case, &mut sources, cfg.max_facts_bytes) {
            Ok(l) => l,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        match suite::run_case(&kb, &case, &loaded, cfg.limits(), measure) {
            Ok(r) => results.push(r),
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        // A case that cannot run is not a failed expectation: say where, and stop.
        return Err(Failure::diagnostics(Exit::Invalid, diags, sources));
    }
    let mut result = SuiteResult::new(results);
    if a.update || a.review {
        write_goldens(&mut result, a.review)?;
        result.recount();
    }
    let cov = measure.then(|| coverage::measure(&kb, &result.cases));
    if let (Some(path), Some(c)) = (&a.lcov, &cov) {
        write_atomic(path, c.lcov().as_bytes()).map_err(|e| {
            Failure::diagnostic(
                Exit::Invalid,
                Diagnostic::without_span(
                    "E0403",
                    format!("cannot save to `{}`: {e}", display_path(path)),
                )
                .with_help(e.help()),
            )
        })?;
    }
    let mut out = Out::default();
    match a.format {
        TestFormat::Json => {
            #[derive(serde::Serialize)]
            struct WithCoverage<'a> {
                #[serde(flatten)]
                result: &'a SuiteResult,
                #[serde(skip_serializing_if = "Option::is_none")]
                coverage: Option<&'a coverage::Coverage>,
            }
            output::write_json(
                &mut out,
                &WithCoverage {
                    result: &result,
                    coverage: cov.as_ref().filter(|_| a.coverage),
                },
            );
        }
        TestFormat::Junit => out.text(&report::junit(&result)),
        TestFormat::Text => {
            out.text(&report::text(&result));
            if let (true, Some(c)) = (a.coverage, &cov) {
                out.text("\n");
                out.text(&c.text());
            }
        }
    }
    out.finish()?;
    if result.failed > 0 {
        return Err(Failure::quiet(Exit::TestsFailed));
    }
    Ok(())
}

/// The nearest directory, `dir` or one above it, that holds `.rules` files.
fn rule_home(dir: &Path) -> Option<PathBuf> {
    let start = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let start = std::fs::canonicalize(start).ok()?;
    start
        .ancestors()
        .find(|d| {
            std::fs::read_dir(d).is_ok_and(|rd| {
                rd.filter_map(Result::ok).any(|e| {
                    e.path().extension().is_some_and(|x| x == "rules") && e.path().is_file()
                })
            })
        })
        .map(Path::to_path_buf)
}

/// Write the golden files that differ: all of them (`--update`), or those accepted one by
/// one (`--review`, answers read from standard input).
fn write_goldens(result: &mut SuiteResult, review: bool) -> Result<(), Failure> {
    let mut answers = std::io::stdin().lock().lines();
    for c in &mut result.cases {
        for o in &mut c.expectations {
            let Some((path, actual)) = o.actual.take() else {
                continue;
            };
            if review {
                let mut ask = format!("{}:{}: {}\n", c.file, o.line, o.text);
                match &o.diff {
                    Some(d) => ask.push_str(d),
                    None => ask.push_str(&format!("(new file)\n{actual}")),
                }
                ask.push_str(&format!(
                    "accept the new output into {}? [y/N] ",
                    display_path(&path)
                ));
                output::err(ask.as_bytes()).map_err(Failure::quiet)?;
                let yes =
                    matches!(answers.next(), Some(Ok(l)) if matches!(l.trim(), "y" | "Y" | "yes"));
                if !yes {
                    output::err(b"kept as it is\n").map_err(Failure::quiet)?;
                    continue;
                }
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                let _ = std::fs::create_dir_all(dir);
            }
            write_atomic(&path, actual.as_bytes()).map_err(|e| {
                Failure::diagnostic(
                    Exit::Invalid,
                    Diagnostic::without_span(
                        "E0403",
                        format!("cannot save to `{}`: {e}", display_path(&path)),
                    )
                    .with_help(e.help()),
                )
            })?;
            o.passed = true;
            o.updated = true;
            o.diff = None;
            o.expected = None;
            o.got = None;
        }
    }
    Ok(())
}
