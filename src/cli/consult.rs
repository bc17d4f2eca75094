//! `because consult`: an interactive consultation. It asks only questions that can still
//! change an output, the one that most live rules depend on first; answers `why`, `skip`
//! (or `unknown`), `back` and `quit`; ends with the ranked answer. With a terminal it uses
//! dialoguer's line editor; through a pipe it reads plain lines, so it can be scripted.

use super::args::ConsultArgs;
use super::exit::{CmdResult, Exit, Failure};
use super::output::Out;
use super::{io, Config};
use crate::ast::{Const, Question, ValueType};
use crate::diag::Diagnostic;
use crate::engine::relevance::Consultation;
use crate::engine::KnowledgeBase;
use crate::explain::render::text;
use crate::facts_file::Format;
use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};

/// `why`: the live rules the question matters to, and what is known so far.
fn why(c: &Consultation<'_>, kb: &KnowledgeBase, q: &Question, out: &mut dyn Write) {
    let _ = writeln!(out, "  This answer matters to these rules:");
    let mut seen = BTreeSet::new();
    for r in c.rules_needing(&q.name.node) {
        let rule = kb.rule(r);
        if !seen.insert(rule.name) {
            continue;
        }
        let would = kb.text(rule.conclusion.span);
        // Values are not known yet: placeholders read "…".
        let reason = rule.reason.map_or(String::new(), |t| {
            crate::explain::interpolate(t, rule.variables, &|_| Some("…".to_string()))
        });
        let _ = writeln!(
            out,
            "    - `{}`: could conclude {would}{}",
            rule.name,
            if reason.is_empty() {
                String::new()
            } else {
                format!(" — \"{reason}\"")
            }
        );
    }
    if c.answers().is_empty() {
        let _ = writeln!(out, "  Nothing is known yet.");
    } else {
        let _ = writeln!(out, "  Known so far:");
        for (k, v) in c.answers() {
            let vals: Vec<String> = v.iter().map(|(c, _)| c.to_string()).collect();
            let _ = writeln!(out, "    {k}: {}", vals.join(", "));
        }
    }
}

/// Parse a typed answer into values of the question's type, or say what is wrong.
fn parse_answer(q: &Question, text: &str) -> Result<Vec<Const>, String> {
    let parts: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        return Err("no value given".into());
    }
    if !q.many && parts.len() > 1 {
        return Err(format!("`{}` takes one answer", q.name.node));
    }
    let mut out = Vec::new();
    for p in parts {
        if let Some(c) = p.chars().find(|c| c.is_control()) {
            return Err(format!(
                "a control character (U+{:04X}) is not part of an answer",
                u32::from(c)
            ));
        }
        let c = match q.ty {
            ValueType::Symbol => Const::Sym(p.to_lowercase()),
            ValueType::String => Const::Str(p.to_string()),
            ValueType::Integer => Const::Int(
                p.parse()
                    .map_err(|_| format!("`{p}` is not a whole number"))?,
            ),
            ValueType::Decimal => match p.parse::<f64>() {
                Ok(d) if d.is_finite() => Const::Dec(d),
                _ => return Err(format!("`{p}` is not a number")),
            },
            ValueType::Boolean => match p.to_lowercase().as_str() {
                "y" | "yes" | "true" => Const::Bool(true),
                "n" | "no" | "false" => Const::Bool(false),
                _ => return Err(format!("`{p}`: answer yes or no")),
            },
        };
        if let Some(d) = crate::check::values::value_problem(q, &c, q.name.span) {
            return Err(d.help.unwrap_or(d.message));
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

fn prompt_text(q: &Question) -> String {
    let mut s = q.prompt.node.clone();
    if !q.allowed.is_empty() {
        let vals: Vec<String> = q.allowed.iter().map(|v| v.node.to_string()).collect();
        s.push_str(&format!(
            " [{}{}]",
            if q.many { "one or more of: " } else { "" },
            vals.join(", ")
        ));
    } else if q.ty == ValueType::Boolean {
        s.push_str(" [yes/no]");
    } else {
        s.push_str(&format!(" [{}]", q.ty.name()));
    }
    s
}

/// One line typed by the user: its text, or (for bytes that are not UTF-8) what is wrong.
enum Typed {
    Line(String),
    NotText(String),
    End,
}

/// Read one line from a pipe; invalid UTF-8 is that line's problem, not the end.
fn read_typed(input: &mut dyn BufRead, n: usize) -> Typed {
    let mut buf = Vec::new();
    match input.read_until(b'\n', &mut buf) {
        Ok(0) | Err(_) => Typed::End,
        Ok(_) => match String::from_utf8(buf) {
            Ok(s) => Typed::Line(s),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                Typed::NotText(format!(
                    "line {n} is not UTF-8 text (byte 0x{:02x} at column {})",
                    e.as_bytes()[at],
                    at + 1
                ))
            }
        },
    }
}

pub fn run(cfg: &Config, a: &ConsultArgs) -> CmdResult {
    let program = cfg.load_kb()?;
    let kb: &KnowledgeBase = &program;
    let initial = cfg.load_facts(kb, &a.facts.facts, a.facts.facts_format)?;
    let mut st = Consultation::new(kb);
    st.preset(initial);
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = Out::default();
    let mut typed_lines = 0;
    let _ = writeln!(out, "Answer each question; type `why` to see why it is asked, `skip` if you do not know, `back` to change the previous answer, `quit` to stop.\n");
    while let Some(q) = st.next() {
        let prompt = prompt_text(q);
        let line = if tty {
            let _ = out.flush();
            match dialoguer::Input::<String>::new()
                .with_prompt(&prompt)
                .allow_empty(true)
                .interact_text()
            {
                Ok(l) => l,
                Err(_) => break,
            }
        } else {
            let _ = writeln!(out, "? {prompt}");
            let _ = out.flush();
            typed_lines += 1;
            match read_typed(&mut input, typed_lines) {
                Typed::Line(l) => {
                    let _ = writeln!(out, "> {}", crate::diag::escape_controls(l.trim()));
                    l
                }
                Typed::NotText(problem) => {
                    let _ = writeln!(
                        out,
                        "  {}; please answer again",
                        crate::diag::escape_controls(&problem.to_string())
                    );
                    continue;
                }
                Typed::End => break,
            }
        };
        if out.failed() {
            break;
        }
        let answer = line.trim();
        match answer.to_lowercase().as_str() {
            "why" | "why?" => {
                why(&st, kb, q, &mut out);
                continue;
            }
            "skip" | "unknown" | "" => {
                st.skip(&q.name.node);
                continue;
            }
            "back" => {
                match st.back() {
                    Some(prev) => {
                        let _ = writeln!(out, "  (going back to `{prev}`)");
                    }
                    None => {
                        let _ = writeln!(out, "  (nothing to go back to)");
                    }
                }
                continue;
            }
            "quit" | "q" => break,
            _ => {}
        }
        match parse_answer(q, answer) {
            Ok(vals) => st.answer(&q.name.node, vals),
            Err(e) => {
                let _ = writeln!(
                    out,
                    "  {}; please answer again",
                    crate::diag::escape_controls(&e.to_string())
                );
            }
        }
    }
    let facts = st.facts();
    let g = cfg.run(kb, &facts)?;
    let q = crate::explain::query::query(&g, None, None);
    let _ = writeln!(out, "\nThe answer:\n");
    let _ = write!(out, "{}", text::query(&q, cfg.style(false)));
    let _ = writeln!(
        out,
        "For the full reasoning, run `because explain 'FACT'` on the saved answers."
    );
    if let Some(path) = &a.save {
        let format = Format::from_name(&path.to_string_lossy()).unwrap_or(Format::Json);
        let contents = crate::facts_file::write::write(kb, st.answers(), format);
        if let Err(e) = io::write_atomic(path, contents.as_bytes()) {
            out.finish()?;
            return Err(Failure::diagnostic(
                Exit::Invalid,
                Diagnostic::without_span(
                    "E0403",
                    format!(
                        "cannot save the answers to `{}`: {e}",
                        crate::program::display_path(path)
                    ),
                )
                .with_help(e.help()),
            ));
        }
        let _ = writeln!(
            out,
            "Answers saved to {}.",
            crate::program::display_path(path)
        );
    }
    out.finish()
}
