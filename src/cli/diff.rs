//! `because diff --old PATH --new PATH --facts CORPUS...`: each fact set under both versions
//! of the rules, on every core, in rounds (the NDJSON input is streamed); the changes in
//! input order, then the totals. Exit 7 when the answers changed, unless `--accept FILE`
//! holds exactly these changes.

use super::args::{DiffArgs, DiffFormat};
use super::exit::{CmdResult, Exit, Failure};
use super::output::{self, Out};
use super::Config;
use crate::diag::Diagnostic;
use crate::engine::{KnowledgeBase, Scratch};
use crate::facts_file::{Format, Loaded};
use crate::span::SourceMap;
use crate::suite::diff::{RulesDiff, SetDiff, Versions};
use rayon::prelude::*;
use std::io::BufRead;

/// Fact sets compared per round.
const ROUND: usize = 4096;

/// One fact set: where it came from, and its text and format (or why it could not be read).
struct Item {
    input: String,
    text: Result<(String, Format), String>,
}

pub fn run(cfg: &Config, a: &DiffArgs) -> CmdResult {
    if !(0.0..=2.0).contains(&a.tolerance) {
        return Err(Failure::diagnostic(
            Exit::Usage,
            Diagnostic::without_span(
                "E0316",
                format!("--tolerance {} is not a certainty difference", a.tolerance),
            )
            .with_help("give a number from 0 to 2, such as 0.05"),
        ));
    }
    let old = cfg.load_kb_from(&a.old)?;
    let new = cfg.load_kb_from(&a.new)?;
    let versions = Versions::new(&old, &new);
    let mut diff = RulesDiff::new(a.tolerance);
    let mut invalid: Vec<String> = Vec::new();
    let mut round: Vec<Item> = Vec::with_capacity(ROUND);
    let flush = |round: &mut Vec<Item>, diff: &mut RulesDiff, invalid: &mut Vec<String>| {
        let done: Vec<Result<SetDiff, String>> = round
            .par_iter()
            .map_init(
                || (Scratch::default(), Scratch::default()),
                |scratch, item| compare(&versions, item, scratch, cfg, a.tolerance),
            )
            .collect();
        for d in done {
            match d {
                Ok(d) => diff.add(d),
                Err(e) => invalid.push(e),
            }
        }
        round.clear();
    };
    for f in &a.facts {
        for p in super::batch::expand(f).map_err(|d| Failure::diagnostic(Exit::Invalid, d))? {
            let text = super::config::read_facts_input(&p, None, cfg.max_facts_bytes)
                .map(|(_, text, fmt)| (text, fmt))
                .map_err(|d| d.message);
            round.push(Item { input: p, text });
            if round.len() == ROUND {
                flush(&mut round, &mut diff, &mut invalid);
            }
        }
    }
    if let Some(src) = &a.facts_ndjson {
        let (name, reader): (String, Box<dyn BufRead>) = if src == "-" {
            ("<stdin>".into(), Box::new(std::io::stdin().lock()))
        } else {
            let path = std::path::Path::new(src);
            let f = std::fs::File::open(path).map_err(|e| {
                Failure::diagnostic(Exit::Invalid, crate::program::io_error(path, &e))
            })?;
            (
                crate::program::display_path(path),
                Box::new(std::io::BufReader::new(f)),
            )
        };
        for (i, line) in reader.split(b'\n').enumerate() {
            let line = line.map_err(|e| {
                Failure::diagnostic(
                    Exit::Invalid,
                    Diagnostic::without_span("E0002", format!("cannot read `{name}`: {e}")),
                )
            })?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = if line.len() > cfg.max_facts_bytes {
                Err(format!(
                    "the line is longer than {} bytes",
                    cfg.max_facts_bytes
                ))
            } else {
                String::from_utf8(line)
                    .map(|t| (t, Format::Json))
                    .map_err(|_| "the line is not UTF-8".to_string())
            };
            round.push(Item {
                input: format!("{name}:{}", i + 1),
                text,
            });
            if round.len() == ROUND {
                flush(&mut round, &mut diff, &mut invalid);
            }
        }
    }
    flush(&mut round, &mut diff, &mut invalid);

    let mut out = Out::default();
    match a.format {
        DiffFormat::Json => output::write_json(&mut out, &diff),
        DiffFormat::Text => out.text(&diff.text()),
    }
    out.finish()?;
    if !invalid.is_empty() {
        let mut msg = format!(
            "{} fact set{} could not be compared:\n",
            invalid.len(),
            if invalid.len() == 1 { "" } else { "s" }
        );
        for e in invalid.iter().take(20) {
            msg.push_str(&format!("  {e}\n"));
        }
        if invalid.len() > 20 {
            msg.push_str(&format!("  and {} more\n", invalid.len() - 20));
        }
        output::err(msg.as_bytes()).map_err(Failure::quiet)?;
        return Err(Failure::quiet(Exit::Invalid));
    }
    if let Some(path) = &a.accept {
        let text = crate::program::read_text_limited(path, cfg.max_rules_bytes)
            .map_err(|d| Failure::diagnostic(Exit::Invalid, d))?;
        let accepted: RulesDiff = serde_json::from_str(&text).map_err(|e| {
            Failure::diagnostic(
                Exit::Invalid,
                Diagnostic::without_span(
                    "E0316",
                    format!(
                        "`{}` is not a diff written by `because diff --format json`: {e}",
                        crate::program::display_path(path)
                    ),
                ),
            )
        })?;
        if accepted.sets == diff.sets {
            output::err(b"the changes are the accepted ones\n").map_err(Failure::quiet)?;
            return Ok(());
        }
        output::err(
            format!(
                "the changes differ from those accepted in `{}`\n",
                crate::program::display_path(path)
            )
            .as_bytes(),
        )
        .map_err(Failure::quiet)?;
        return Err(Failure::quiet(Exit::Changed));
    }
    if diff.changed > 0 {
        return Err(Failure::quiet(Exit::Changed));
    }
    Ok(())
}

/// Compare one fact set; `Err` when its facts are invalid under both versions (a problem of
/// the corpus, not a change).
fn compare(
    v: &Versions,
    item: &Item,
    scratch: &mut (Scratch, Scratch),
    cfg: &Config,
    tolerance: f64,
) -> Result<SetDiff, String> {
    let (text, format) = match &item.text {
        Ok(t) => t,
        Err(e) => return Err(format!("{}: {e}", item.input)),
    };
    let load = |kb: &KnowledgeBase| {
        let mut sources = SourceMap::default();
        let mut loaded = Loaded::default();
        let d = loaded.add(kb, &mut sources, &item.input, text, *format);
        match d.iter().find(|d| d.is_error()) {
            Some(e) => Err(e.message.clone()),
            None => Ok(loaded),
        }
    };
    let input = item.input.clone();
    match (load(v.old), load(v.new)) {
        (Ok(a), Ok(b)) => Ok(v.compare(
            input,
            (&a.facts, &b.facts),
            scratch,
            cfg.limits(),
            tolerance,
        )),
        (Err(e), Err(_)) => Err(format!("{}: {e}", item.input)),
        (Err(e), Ok(_)) => Ok(SetDiff::error(
            input,
            format!("invalid under the old rules only: {e}"),
        )),
        (Ok(_), Err(e)) => Ok(SetDiff::error(
            input,
            format!("invalid under the new rules only: {e}"),
        )),
    }
}
