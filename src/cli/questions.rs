//! `because questions`: the questions a facts file may answer, with their allowed values.

use super::args::{ListFormat, QuestionsArgs};
use super::exit::CmdResult;
use super::output::Out;
use super::Config;
use crate::engine::KnowledgeBase;
use std::fmt::Write;

pub fn run(cfg: &Config, a: &QuestionsArgs) -> CmdResult {
    let program = cfg.load_kb()?;
    let kb: &KnowledgeBase = &program;
    let mut out = Out::default();
    match a.format {
        ListFormat::Json => {
            let list = kb.question_list();
            super::output::write_json(&mut out, &list);
        }
        ListFormat::Text => {
            let mut s = String::new();
            for q in kb.questions() {
                let kind = format!(
                    "{}{}",
                    if q.many { "one or more " } else { "one " },
                    q.ty.name()
                );
                let _ = write!(s, "{}  ({kind})\n  {}\n", q.name.node, q.prompt.node);
                if !q.allowed.is_empty() {
                    let vals: Vec<String> = q.allowed.iter().map(|v| v.node.to_string()).collect();
                    let _ = writeln!(s, "  values: {}", vals.join(", "));
                }
                s.push('\n');
            }
            out.text(&s);
        }
    }
    out.finish()
}
