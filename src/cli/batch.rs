//! Batch queries: many fact sets (files, directories, globs, or NDJSON lines), evaluated in
//! parallel, one JSON line of results per fact set, in input order.

use super::args::QueryArgs;
use super::{Ctx, INVALID};
use crate::diag::Diagnostic;
use crate::engine::{KnowledgeBase, Scratch};
use crate::facts_file::{Format, Loaded};
use crate::span::SourceMap;
use rayon::prelude::*;
use std::io::{IsTerminal, Read, Write};

enum Input<'a> {
    File(String),
    Line(usize, &'a str),
}

pub fn run(ctx: &Ctx, kb: &KnowledgeBase, a: &QueryArgs) -> Result<(), u8> {
    let mut inputs = Vec::new();
    let ndjson;
    if let Some(src) = &a.facts_ndjson {
        ndjson = if src == "-" {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| {
                ctx.fail(Diagnostic::without_span(
                    "E0002",
                    format!("cannot read standard input: {e}"),
                ))
            })?;
            crate::program::decode("<stdin>", buf).map_err(|d| ctx.fail(d))?
        } else {
            crate::program::read_text(std::path::Path::new(src)).map_err(|d| ctx.fail(d))?
        };
        for (i, line) in ndjson.lines().enumerate() {
            if !line.trim().is_empty() {
                inputs.push(Input::Line(i + 1, line));
            }
        }
    }
    for f in &a.facts {
        for p in expand(f).map_err(|d| ctx.fail(d))? {
            inputs.push(Input::File(p));
        }
    }
    let bar = (std::io::stderr().is_terminal() && inputs.len() > 1).then(|| {
        let b = indicatif::ProgressBar::new(inputs.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} fact sets, {per_sec}, eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let limits = ctx.limits();
    let lines: Vec<(String, bool)> = inputs
        .par_iter()
        .map_init(Scratch::default, |scratch, input| {
            let r = one(kb, scratch, input, a.facts_format, limits);
            if let Some(b) = &bar {
                b.inc(1);
            }
            r
        })
        .collect();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed = false;
    for (l, ok) in &lines {
        failed |= !ok;
        let _ = out.write_all(l.as_bytes());
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
    if failed {
        Err(INVALID)
    } else {
        Ok(())
    }
}

/// Directories give their facts files (sorted); patterns with `*`, `?` or `[` are globs.
fn expand(arg: &str) -> Result<Vec<String>, Diagnostic> {
    let path = std::path::Path::new(arg);
    if path.is_dir() {
        let mut v: Vec<String> = std::fs::read_dir(path)
            .map_err(|e| crate::program::io_error(path, &e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && Format::from_name(&p.to_string_lossy()).is_some())
            .map(|p| crate::program::display_path(&p))
            .collect();
        v.sort();
        return Ok(v);
    }
    if arg.contains(['*', '?', '[']) {
        let paths = glob::glob(arg)
            .map_err(|e| Diagnostic::without_span("E0316", format!("bad pattern `{arg}`: {e}")))?;
        let mut v: Vec<String> = paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .map(|p| crate::program::display_path(&p))
            .collect();
        v.sort();
        return Ok(v);
    }
    Ok(vec![arg.to_string()])
}

fn one(
    kb: &KnowledgeBase,
    scratch: &mut Scratch,
    input: &Input,
    format: Option<Format>,
    limits: crate::engine::eval::Limits,
) -> (String, bool) {
    let mut sources = SourceMap::default();
    let mut loaded = Loaded::default();
    let (name, diags) = match input {
        Input::Line(n, text) => {
            let name = format!("<stdin>:{n}");
            let d = loaded.add(kb, &mut sources, &name, text, Format::Json);
            (serde_json::Value::from(*n), d)
        }
        Input::File(p) => {
            let d = match super::read_facts_input(p, format) {
                Ok((display, text, fmt)) => loaded.add(kb, &mut sources, &display, &text, fmt),
                Err(d) => vec![d],
            };
            (serde_json::Value::from(p.as_str()), d)
        }
    };
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        let e: Vec<serde_json::Value> = errors
            .iter()
            .map(|d| {
                let at = d.span.map(|s| sources.line_col(s));
                serde_json::json!({
                    "code": d.code,
                    "message": d.message,
                    "line": at.map(|a| a.0),
                    "column": at.map(|a| a.1),
                    "help": d.help,
                })
            })
            .collect();
        return (
            serde_json::json!({ "input": name, "error": e }).to_string(),
            false,
        );
    }
    match kb.run_with(scratch, &loaded.facts, limits) {
        Err(e) => {
            let d = super::run_error(&e);
            (serde_json::json!({ "input": name, "error": [{"code": d.code, "message": d.message}] }).to_string(), false)
        }
        Ok(g) => {
            // Written directly (not through serde_json::Value): this line is most of a batch's
            // output work. Strings and numbers still go through serde_json for exact escaping
            // and formatting.
            let mut line = Vec::with_capacity(256);
            line.extend_from_slice(b"{\"input\":");
            push_json(&mut line, &name);
            line.extend_from_slice(b",\"outputs\":{");
            for (i, o) in kb.outputs().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                push_json(&mut line, &o.name.node);
                line.extend_from_slice(b":[");
                let mut rows: Vec<(f64, String, crate::engine::facts::FactId)> = g
                    .facts_of(&o.name.node, o.params.len())
                    .into_iter()
                    .filter(|&f| g.certainty(f) > 0.0)
                    .map(|f| (crate::explain::round_cf(g.certainty(f)), g.show_fact(f), f))
                    .collect();
                rows.sort_by(|a, b| crate::explain::query::rank((a.0, &a.1), (b.0, &b.1)));
                for (k, (cf, _, f)) in rows.iter().enumerate() {
                    if k > 0 {
                        line.push(b',');
                    }
                    line.extend_from_slice(b"{\"values\":[");
                    for (j, &v) in g.store.args(*f).iter().enumerate() {
                        if j > 0 {
                            line.push(b',');
                        }
                        push_json(&mut line, &super::json_value(&g, v));
                    }
                    line.extend_from_slice(b"],\"certainty\":");
                    push_json(&mut line, cf);
                    line.push(b'}');
                }
                line.push(b']');
            }
            line.push(b'}');
            if !g.errors.is_empty() {
                line.extend_from_slice(b",\"rule_errors\":");
                push_json(&mut line, &g.errors.len());
            }
            line.push(b'}');
            scratch.recycle(g);
            (String::from_utf8(line).expect("JSON is UTF-8"), true)
        }
    }
}

/// Append `v` as JSON.
fn push_json(out: &mut Vec<u8>, v: &impl serde::Serialize) {
    serde_json::to_writer(out, v).expect("writing JSON to memory cannot fail");
}
