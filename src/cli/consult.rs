//! `because consult`: an interactive consultation. It asks only questions that can still
//! change an output, the one that most live rules depend on first; answers `why`, `skip`
//! (or `unknown`), `back` and `quit`; ends with the ranked answer. With a terminal it uses
//! dialoguer's line editor; through a pipe it reads plain lines, so it can be scripted.

use super::args::ConsultArgs;
use super::exit::{CmdResult, Exit, Failure};
use super::output::Out;
use super::{io, Config};
use crate::ask::answers;
use crate::ast::{Const, Question, ValueType};
use crate::diag::Diagnostic;
use crate::engine::relevance::Consultation;
use crate::engine::KnowledgeBase;
use crate::explain::render::text;
use crate::facts_file::Format;
use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};

/// A value as people read it (its display name, if the program gives one).
fn shown(kb: &KnowledgeBase, c: &Const) -> String {
    match c {
        Const::Sym(s) => kb.display_name(s).unwrap_or(s).to_string(),
        other => other.to_string(),
    }
}

use crate::ask::open_reason;

/// `why`: one sentence per output the answer can change, then what is known so far;
/// `why more`: every rule the answer matters to.
fn why(c: &Consultation<'_>, kb: &KnowledgeBase, q: &Question, more: bool, out: &mut dyn Write) {
    let matters = c.matters_to(&q.name.node);
    let _ = writeln!(out, "  Your answer can change:");
    for w in crate::ask::why_asked(c, &q.name.node) {
        let _ = writeln!(out, "    - {}", w.sentence);
    }
    if more {
        let _ = writeln!(out, "  The rules it matters to:");
        let mut seen = BTreeSet::new();
        for (_, rules) in &matters {
            for &r in rules {
                let rule = kb.rule(r);
                if !seen.insert(rule.name) {
                    continue;
                }
                let would = kb.text(rule.conclusion.span);
                let _ = writeln!(
                    out,
                    "    - `{}`: could conclude {would}{}",
                    rule.name,
                    open_reason(kb, r).map_or(String::new(), |t| format!(" — \"{t}\""))
                );
            }
        }
    } else {
        let _ = writeln!(out, "  (`why more` lists the rules.)");
    }
    if c.answers().is_empty() {
        let _ = writeln!(out, "  Nothing is known yet.");
    } else {
        let _ = writeln!(out, "  Known so far:");
        for (k, v) in c.answers() {
            let vals: Vec<String> = v.iter().map(|(c, _)| shown(kb, c)).collect();
            let _ = writeln!(out, "    {k}: {}", vals.join(", "));
        }
    }
}

/// `path` as one word for a POSIX shell: quoted when it holds anything but plain characters.
fn shell_word(path: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:,@%".contains(c);
    if !path.is_empty() && path.chars().all(plain) {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', "'\\''"))
    }
}

fn prompt_text(q: &Question) -> String {
    let mut s = q.prompt.node.clone();
    if !q.allowed.is_empty() {
        let vals = answers::choices(q);
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
    let program = cfg.load_kb_keeping_text()?;
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
                why(&st, kb, q, false, &mut out);
                continue;
            }
            "why more" | "why all" => {
                why(&st, kb, q, true, &mut out);
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
        match answers::parse_answer(kb, q, answer) {
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
    // The strongest conclusion, to name in the hint.
    let top = q.outputs.iter().find_map(|o| o.concluded.first());
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
        let shown = crate::program::display_path(path);
        let _ = writeln!(out, "Answers saved to {shown}.");
        if let Some(top) = top {
            let _ = writeln!(
                out,
                "For the full reasoning: because explain '{}' --facts {}",
                top.fact,
                shell_word(&shown)
            );
        }
    } else if top.is_some() || !st.answers().is_empty() {
        let _ = writeln!(
            out,
            "To keep these answers and see the full reasoning, run `because consult --save answers.json`, then `because explain '{}' --facts answers.json`.",
            top.map_or("FACT", |t| t.fact.as_str())
        );
    }
    out.finish()
}
