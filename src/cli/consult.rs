//! `because consult`: an interactive consultation. It asks only questions that can still
//! change an output, the one that most live rules depend on first; answers `why`, `skip`
//! (or `unknown`), `back` and `quit`; ends with the ranked answer. With a terminal it uses
//! dialoguer's line editor; through a pipe it reads plain lines, so it can be scripted.

use super::args::ConsultArgs;
use super::{io, Ctx, INVALID};
use crate::ast::{Const, Question, ValueType};
use crate::engine::compile::{CLit, Term};
use crate::engine::{InputFact, KnowledgeBase, Origin};
use crate::explain::render::text;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};

/// A question condition in a rule: which question, which value (if constant), negated?
struct QUse {
    question: String,
    value: Option<Const>,
    negated: bool,
}

struct State<'kb> {
    kb: &'kb KnowledgeBase,
    /// Per rule: its question conditions.
    uses: Vec<Vec<QUse>>,
    /// Rules whose conclusion can lead to an output.
    relevant: Vec<bool>,
    /// Rules that fire when every unanswered question gets all its values at once (an
    /// optimistic model): a rule outside it cannot fire whatever the answers. Refreshed after
    /// each answer.
    possible: Vec<bool>,
    answers: BTreeMap<String, Vec<(Const, f64)>>,
    skipped: BTreeSet<String>,
    history: Vec<String>,
}

impl<'kb> State<'kb> {
    fn new(kb: &'kb KnowledgeBase) -> Self {
        let questions: BTreeSet<&str> = kb.questions().map(|q| q.name.node.as_str()).collect();
        let pname = |p: u32| kb.interner.name(kb.base.preds[p as usize].name);
        let uses = kb
            .rules
            .iter()
            .map(|r| {
                r.body
                    .iter()
                    .filter_map(|l| {
                        let (a, negated) = match l {
                            CLit::Pos(a) => (a, false),
                            CLit::Neg(a) => (a, true),
                            _ => return None,
                        };
                        let name = pname(a.pred);
                        questions.contains(name).then(|| QUse {
                            question: name.to_string(),
                            value: match a.args.first() {
                                Some(Term::Const(c)) => Some(kb.interner.to_const(*c)),
                                _ => None,
                            },
                            negated,
                        })
                    })
                    .collect()
            })
            .collect();
        // Predicates that lead to an output, backwards over rules to a fixpoint.
        let mut reach: BTreeSet<String> = kb.outputs().map(|o| o.name.node.clone()).collect();
        loop {
            let before = reach.len();
            for r in &kb.rules {
                if reach.contains(pname(r.head.pred)) {
                    for l in &r.body {
                        if let CLit::Pos(a) | CLit::Neg(a) = l {
                            reach.insert(pname(a.pred).to_string());
                        }
                    }
                }
            }
            if reach.len() == before {
                break;
            }
        }
        let relevant = kb
            .rules
            .iter()
            .map(|r| reach.contains(pname(r.head.pred)))
            .collect();
        State {
            kb,
            uses,
            relevant,
            possible: vec![true; kb.rules.len()],
            answers: BTreeMap::new(),
            skipped: BTreeSet::new(),
            history: Vec::new(),
        }
    }

    /// Recompute which rules could still fire, from an optimistic model: the answers so far,
    /// plus every allowed value of every open question. Rules with negations or with questions
    /// whose values cannot be listed are kept (the model cannot rule them out).
    fn refresh(&mut self) {
        let mut facts = self.facts();
        for q in self.kb.questions() {
            let n = &q.name.node;
            if self.answers.contains_key(n) || self.skipped.contains(n) {
                continue;
            }
            let values: Vec<Const> = match q.ty {
                ValueType::Boolean => vec![Const::Bool(true), Const::Bool(false)],
                _ => q.allowed.iter().map(|v| v.node.clone()).collect(),
            };
            for v in values {
                facts.push(InputFact {
                    pred: n.clone(),
                    args: vec![v],
                    certainty: 1.0,
                    origin: Origin::default(),
                });
            }
        }
        let Ok(g) = self.kb.run(&facts, crate::engine::eval::Limits::default()) else {
            return;
        };
        let mut fired = vec![false; self.kb.rules.len()];
        for d in &g.derivations {
            fired[d.rule as usize] = true;
        }
        let open_ended: BTreeSet<&str> = self
            .kb
            .questions()
            .filter(|q| q.ty != ValueType::Boolean && q.allowed.is_empty())
            .map(|q| q.name.node.as_str())
            .collect();
        self.possible = (0..self.kb.rules.len())
            .map(|r| {
                fired[r]
                    || self.kb.rules[r]
                        .body
                        .iter()
                        .any(|l| matches!(l, CLit::Neg(_)))
                    || self.uses[r]
                        .iter()
                        .any(|u| open_ended.contains(u.question.as_str()))
            })
            .collect();
    }

    /// A rule is live while no answer given so far rules it out.
    fn live(&self, r: usize) -> bool {
        self.possible[r]
            && self.relevant[r]
            && self.uses[r].iter().all(|u| {
                if self.skipped.contains(&u.question) {
                    return u.negated;
                }
                let Some(ans) = self.answers.get(&u.question) else {
                    return true;
                };
                let has = |c: &Const| ans.iter().any(|(a, _)| a == c);
                match (&u.value, u.negated) {
                    (Some(c), false) => has(c),
                    (Some(c), true) => !has(c),
                    (None, false) => !ans.is_empty(),
                    (None, true) => ans.is_empty(),
                }
            })
    }

    /// Live rules that mention the question.
    fn rules_needing(&self, q: &str) -> Vec<usize> {
        (0..self.kb.rules.len())
            .filter(|&r| self.live(r) && self.uses[r].iter().any(|u| u.question == q))
            .collect()
    }

    fn next(&self) -> Option<&'kb Question> {
        let mut best: Option<(&Question, usize)> = None;
        for q in self.kb.questions() {
            let n = &q.name.node;
            if self.answers.contains_key(n) || self.skipped.contains(n) {
                continue;
            }
            let mut names: Vec<&str> = self
                .rules_needing(n)
                .iter()
                .map(|&r| self.kb.rules[r].meta.name.as_str())
                .collect();
            names.dedup();
            let score = names.len();
            if score > 0 && best.is_none_or(|(_, s)| score > s) {
                best = Some((q, score));
            }
        }
        best.map(|(q, _)| q)
    }

    fn why(&self, q: &Question, out: &mut dyn Write) {
        let _ = writeln!(out, "  This answer matters to these rules:");
        let mut seen = BTreeSet::new();
        for r in self.rules_needing(&q.name.node) {
            let rule = &self.kb.rules[r];
            if !seen.insert(rule.meta.name.clone()) {
                continue;
            }
            let would = self.kb.text(rule.meta.head_span);
            // Values are not known yet: placeholders read "…".
            let reason = rule.meta.because.as_deref().map_or(String::new(), |t| {
                crate::explain::interpolate(t, &rule.meta.var_names, &|_| Some("…".to_string()))
            });
            let _ = writeln!(
                out,
                "    - `{}`: could conclude {would}{}",
                rule.meta.name,
                if reason.is_empty() {
                    String::new()
                } else {
                    format!(" — \"{reason}\"")
                }
            );
        }
        if self.answers.is_empty() {
            let _ = writeln!(out, "  Nothing is known yet.");
        } else {
            let _ = writeln!(out, "  Known so far:");
            for (k, v) in &self.answers {
                let vals: Vec<String> = v.iter().map(|(c, _)| c.to_string()).collect();
                let _ = writeln!(out, "    {k}: {}", vals.join(", "));
            }
        }
    }

    fn facts(&self) -> Vec<InputFact> {
        let mut out = Vec::new();
        for (k, vs) in &self.answers {
            for (c, cf) in vs {
                out.push(InputFact {
                    pred: k.clone(),
                    args: vec![c.clone()],
                    certainty: *cf,
                    origin: Origin {
                        file: "<consultation>".into(),
                        line: 0,
                        col: 0,
                        start: 0,
                        end: 0,
                        key: Some(k.clone()),
                    },
                });
            }
        }
        out
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

pub fn run(ctx: &Ctx, a: &ConsultArgs) -> Result<(), u8> {
    let kb = ctx.load_kb()?;
    let initial = ctx.load_facts(kb, &a.facts)?;
    let mut st = State::new(kb);
    for f in initial {
        if let Some(c) = f.args.into_iter().next() {
            st.answers.entry(f.pred).or_default().push((c, f.certainty));
        }
    }
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut out = std::io::stdout();
    let _ = writeln!(out, "Answer each question; type `why` to see why it is asked, `skip` if you do not know, `back` to change the previous answer, `quit` to stop.\n");
    st.refresh();
    while let Some(q) = st.next() {
        let prompt = prompt_text(q);
        let line = if tty {
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
            match lines.next() {
                Some(Ok(l)) => {
                    let _ = writeln!(out, "> {}", l.trim());
                    l
                }
                _ => break,
            }
        };
        let answer = line.trim();
        match answer.to_lowercase().as_str() {
            "why" | "why?" => {
                st.why(q, &mut out);
                continue;
            }
            "skip" | "unknown" | "" => {
                st.skipped.insert(q.name.node.clone());
                st.history.push(q.name.node.clone());
                st.refresh();
                continue;
            }
            "back" => {
                match st.history.pop() {
                    Some(prev) => {
                        st.answers.remove(&prev);
                        st.skipped.remove(&prev);
                        st.refresh();
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
            Ok(vals) => {
                st.answers.insert(
                    q.name.node.clone(),
                    vals.into_iter().map(|v| (v, 1.0)).collect(),
                );
                st.history.push(q.name.node.clone());
                st.refresh();
            }
            Err(e) => {
                let _ = writeln!(out, "  {e}; please answer again");
            }
        }
    }
    let facts = st.facts();
    let g = ctx.run(kb, &facts)?;
    let q = crate::explain::query::query(&g, None, None);
    let _ = writeln!(out, "\nThe answer:\n");
    let _ = write!(out, "{}", text::query(&q, ctx.style(false)));
    let _ = writeln!(
        out,
        "For the full reasoning, run `because explain 'FACT'` on the saved answers."
    );
    if let Some(path) = &a.save {
        let contents = save_text(kb, &st.answers, path);
        if let Err(e) = io::write_atomic(path, contents.as_bytes()) {
            ctx.fail(
                crate::diag::Diagnostic::without_span(
                    "E0403",
                    format!(
                        "cannot save the answers to `{}`: {e}",
                        crate::program::display_path(path)
                    ),
                )
                .with_help(e.help()),
            );
            return Err(INVALID);
        }
        let _ = writeln!(
            out,
            "Answers saved to {}.",
            crate::program::display_path(path)
        );
    }
    Ok(())
}

/// The answers as a facts file, in the format the file name implies (JSON by default).
pub fn save_text(
    kb: &KnowledgeBase,
    answers: &BTreeMap<String, Vec<(Const, f64)>>,
    path: &std::path::Path,
) -> String {
    let format = crate::facts_file::Format::from_name(&path.to_string_lossy())
        .unwrap_or(crate::facts_file::Format::Json);
    let json_of = |c: &Const| match c {
        Const::Sym(s) | Const::Str(s) => serde_json::Value::String(s.clone()),
        Const::Int(i) => (*i).into(),
        Const::Dec(d) => {
            serde_json::Number::from_f64(*d).map_or(serde_json::Value::Null, Into::into)
        }
        Const::Bool(b) => (*b).into(),
    };
    let many = |k: &str| kb.question(k).is_some_and(|q| q.many);
    match format {
        crate::facts_file::Format::Native => {
            let mut s = String::from("# answers saved by `because consult`\n");
            for (k, vs) in answers {
                for (c, _) in vs {
                    s.push_str(&format!("fact {k}({c})\n"));
                }
            }
            s
        }
        crate::facts_file::Format::Toml => {
            let mut s = String::from("# answers saved by `because consult`\n");
            for (k, vs) in answers {
                let vals: Vec<String> = vs.iter().map(|(c, _)| json_of(c).to_string()).collect();
                if many(k) {
                    s.push_str(&format!("{k} = [{}]\n", vals.join(", ")));
                } else if let Some(v) = vals.first() {
                    s.push_str(&format!("{k} = {v}\n"));
                }
            }
            s
        }
        crate::facts_file::Format::Json => {
            let mut m = serde_json::Map::new();
            for (k, vs) in answers {
                let vals: Vec<serde_json::Value> = vs.iter().map(|(c, _)| json_of(c)).collect();
                let v = if many(k) {
                    serde_json::Value::Array(vals)
                } else {
                    vals.into_iter().next().unwrap_or(serde_json::Value::Null)
                };
                m.insert(k.clone(), v);
            }
            let mut s =
                serde_json::to_string_pretty(&serde_json::Value::Object(m)).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}
