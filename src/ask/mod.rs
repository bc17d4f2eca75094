//! Asking a knowledge base about one fact set: read the facts, run, and answer a query, an
//! explanation, a why-not, a contrast, a what-if or a batch line. Every front end (the
//! command line, the Python package, the HTTP server) goes through these functions, so an
//! answer and its errors are the same whichever way it is asked.
//!
//! A failure is a [`Problem`]: diagnostics against the text they point into, and a
//! [`ProblemKind`] each front end maps to its own signal (an exit code, an exception, an
//! HTTP status).

pub mod answers;
mod direct;
pub mod sets;

use crate::diag::Diagnostic;
use crate::engine::eval::{Limits, RunError};
use crate::engine::graph::FactGraph;
use crate::engine::{InputFact, KnowledgeBase, Origin, Scratch};
use crate::explain::contrast::{Contrast, Found};
use crate::explain::how::{How, HowOptions, Tree};
use crate::explain::what_if::{Fact, QueryDiff};
use crate::explain::why_not::{Target, WhyNot};
use crate::facts_file::{Format, Loaded};
use crate::span::SourceMap;
use crate::wire::{self, BatchInput, BatchLine};

/// What kind of failure a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The question is malformed: a fact that does not parse, an unknown predicate or
    /// question, a pattern where one fact is needed.
    Usage,
    /// The facts are invalid (bad syntax, an unknown question, a value not allowed).
    Invalid,
    /// The fact asked about was not concluded (`explain` of a fact that does not hold).
    NotConcluded,
    /// The run stopped at a limit (facts, derivations, time).
    Limit,
}

/// A failure: its kind, and diagnostics against their sources.
#[derive(Debug)]
pub struct Problem {
    pub kind: ProblemKind,
    pub diagnostics: Vec<Diagnostic>,
    /// The text the diagnostics' spans point into.
    pub sources: SourceMap,
}

impl Problem {
    pub fn new(kind: ProblemKind, d: Diagnostic) -> Problem {
        Problem {
            kind,
            diagnostics: vec![d],
            sources: SourceMap::default(),
        }
    }

    /// E0316: a question about the facts that cannot be answered as put.
    pub fn usage(message: String, help: String) -> Problem {
        Problem::new(
            ProblemKind::Usage,
            Diagnostic::without_span("E0316", message).with_help(help),
        )
    }

    /// The errors (not the warnings) in their wire shape.
    pub fn wire(&self) -> Vec<wire::Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| crate::diag::to_wire(d, &self.sources))
            .collect()
    }
}

/// The diagnostic for a run stopped at a limit.
pub fn run_error(e: &RunError) -> Diagnostic {
    let list = |rules: &[String]| {
        rules
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match e {
        RunError::TooManyFacts { limit, rules } => Diagnostic::without_span(
            "E0401",
            format!("the run stopped at {limit} facts; rules still deriving new facts: {}", list(rules)),
        )
        .with_help("a rule that computes new values (arithmetic in a conclusion) may never stop; add a bound such as `N < 100` to it, or raise --max-facts"),
        RunError::TooManyDerivations { limit, rules } => Diagnostic::without_span(
            "E0405",
            format!("the run stopped at {limit} derivations; rules still deriving: {}", list(rules)),
        )
        .with_help("a rule that concludes the same facts in very many ways (a join of large relations) may need narrower conditions; or raise --max-derivations"),
        RunError::TooManyPremises { limit, rules } => Diagnostic::without_span(
            "E0405",
            format!("the run stopped at {limit} premises of derivations; rules still deriving: {}", list(rules)),
        )
        .with_help("a derivation records a fact for each condition of its rule: a rule with many conditions that concludes in very many ways (through every path of a chain) may need narrower conditions; or raise --max-derivations (four premises are allowed for each)"),
        RunError::Timeout { seconds, rules } => Diagnostic::without_span(
            "E0402",
            format!("the run stopped after {seconds} s (--timeout); rules still deriving new facts: {}", list(rules)),
        )
        .with_help("raise --timeout, or check these rules for runaway recursion"),
    }
}

/// The facts in `text` (a facts file's contents, called `name` in diagnostics).
pub fn read_facts(
    kb: &KnowledgeBase,
    name: &str,
    text: &str,
    format: Format,
) -> Result<Vec<InputFact>, Problem> {
    let mut sources = SourceMap::default();
    let mut loaded = Loaded::default();
    let mut diags = loaded.add(kb, &mut sources, name, text, format);
    if diags.iter().any(Diagnostic::is_error) {
        crate::diag::sort(&mut diags);
        return Err(Problem {
            kind: ProblemKind::Invalid,
            diagnostics: diags,
            sources,
        });
    }
    Ok(loaded.facts)
}

/// Run the rules on `facts`.
pub fn run<'kb>(
    kb: &'kb KnowledgeBase,
    facts: &[InputFact],
    limits: Limits,
) -> Result<FactGraph<'kb>, Problem> {
    kb.run(facts, limits)
        .map_err(|e| Problem::new(ProblemKind::Limit, run_error(&e)))
}

/// A fact written in the rule language (`recommend(flask)`; `_` or a variable for any
/// value), read against a run's values.
pub fn target(g: &mut FactGraph, text: &str) -> Result<Target, Problem> {
    Target::parse(g, text).map_err(|(sources, diagnostics)| Problem {
        kind: ProblemKind::Usage,
        diagnostics,
        sources,
    })
}

/// One fact of the program named by `text` (values, no pattern), found in the run or not.
pub fn found(g: &mut FactGraph, text: &str) -> Result<(Found, Fact), Problem> {
    let t = target(g, text)?;
    if t.args.iter().any(Option::is_none) {
        return Err(Problem::usage(
            format!("`{text}` is a pattern, not one fact"),
            "a contrast compares two facts: give every value, as in `recommend(django)`".into(),
        ));
    }
    if g.knowledge_base()
        .predicate(&t.pred, t.args.len())
        .is_none()
    {
        let names: Vec<String> = g
            .knowledge_base()
            .predicates()
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        let help = match crate::diag::suggest(&t.pred, names.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "`because graph` shows the program's predicates".to_string(),
        };
        return Err(Problem::usage(
            format!("the program has no `{}/{}`", t.pred, t.args.len()),
            help,
        ));
    }
    let fact = Fact::of(g, &t.pred, &t.args).expect("a ground target");
    Ok((Found::of(g, &t.pred, &t.args), fact))
}

/// How each fact matching `fact` was concluded; `NotConcluded` when none was.
pub fn explain(g: &mut FactGraph, fact: &str, opts: HowOptions) -> Result<Vec<How>, Problem> {
    let trees = trees(g, fact, opts)?;
    Ok(owned(trees))
}

/// Trees with every node built (for renderers that walk them whole).
pub fn owned(trees: Vec<Tree<'_>>) -> Vec<How> {
    crate::timing::phase("explanation built", || {
        trees.into_iter().map(Tree::into_owned).collect()
    })
}

/// As [`explain`], each tree's nodes built as they are written: the way to write a tree too
/// large to hold (a chain of a million facts).
pub fn trees<'g>(
    g: &'g mut FactGraph<'_>,
    fact: &str,
    opts: HowOptions,
) -> Result<Vec<Tree<'g>>, Problem> {
    let t = target(g, fact)?;
    let found = g.matching(&t.pred, &t.args);
    if found.is_empty() {
        return Err(Problem::new(
            ProblemKind::NotConcluded,
            Diagnostic::without_span("E0407", format!("`{}` was not concluded", t.text(g)))
                // Each front end names its own way to ask why not.
                .with_help("ask why not, with the same facts"),
        ));
    }
    let g: &'g FactGraph<'_> = g;
    Ok(crate::timing::phase("explain", || {
        found
            .iter()
            .map(|&f| crate::explain::how::tree(g, f, opts))
            .collect()
    }))
}

/// Why `fact` ranks where it does against `over`; with `what_if` (the limits of each trial
/// run), also the smallest change of answers that would swap them.
pub fn contrast(
    g: &mut FactGraph,
    facts: &[InputFact],
    fact: &str,
    over: &str,
    what_if: Option<&Limits>,
) -> Result<Contrast, Problem> {
    let (fact, other) = (found(g, fact)?, found(g, over)?);
    let mut c = crate::explain::contrast::contrast(g, fact.0, other.0);
    if let Some(limits) = what_if {
        use crate::explain::query::tie_key;
        use crate::explain::what_if::{search, Goal};
        // What would put the side behind ahead (the fact asked about, when tied).
        let goal = if tie_key(c.fact.certainty) > tie_key(c.over.certainty) {
            Goal::Ahead(other.1, fact.1)
        } else {
            Goal::Ahead(fact.1, other.1)
        };
        let kb = g.knowledge_base();
        c.what_if = Some(crate::timing::phase("what-if", || {
            search(kb, facts, &goal, limits)
        }));
    }
    Ok(c)
}

/// Every rule that could have concluded `fact` and what failed (or, when it holds but is
/// not first, why the first rather than it); with `what_if`, the smallest change of answers
/// that would conclude it (or put it first).
pub fn why_not(
    g: &mut FactGraph,
    facts: &[InputFact],
    fact: &str,
    depth: usize,
    what_if: Option<&Limits>,
) -> Result<WhyNot, Problem> {
    let t = target(g, fact)?;
    let mut w = crate::explain::why_not::explain(g, &t, depth);
    if let Some(limits) = what_if.filter(|_| w.unknown_values.is_empty() && !w.no_rule) {
        use crate::explain::what_if::{search, Goal};
        let holds = w.holds.first().is_some_and(|h| h.status == "holds");
        let goal = Fact::of(g, &t.pred, &t.args).and_then(|f| match (holds, &w.contrast) {
            (false, _) => Some(Goal::Holds(f)),
            (true, Some(_)) => Some(Goal::First(f)),
            (true, None) => None,
        });
        if let Some(goal) = goal {
            let kb = g.knowledge_base();
            w.what_if = Some(crate::timing::phase("what-if", || {
                search(kb, facts, &goal, limits)
            }));
        }
    }
    Ok(w)
}

/// The answer with some answers replaced (`QUESTION=VALUES`, values as a person types them;
/// nothing after `=` leaves the question unanswered), as a difference from the answer as
/// given.
pub fn what_if(
    kb: &KnowledgeBase,
    facts: &[InputFact],
    changes: &[String],
    limits: Limits,
) -> Result<QueryDiff, Problem> {
    use crate::explain::what_if::{diff, Replaced};
    let mut varied: Vec<InputFact> = facts.to_vec();
    let mut replaced = Vec::new();
    let mut words = Vec::new();
    for w in changes {
        let Some((name, values)) = w.split_once('=') else {
            return Err(Problem::usage(
                format!("`{w}` is not of the form QUESTION=VALUES"),
                "for example database=relational".into(),
            ));
        };
        let name = name.trim();
        let Some(q) = kb.question(name) else {
            let names: Vec<&str> = kb.questions().map(|q| q.name.node.as_str()).collect();
            return Err(Problem::usage(
                format!("`{name}` is not a question of this program"),
                match crate::diag::suggest(name, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`because questions` lists them".into(),
                },
            ));
        };
        let new = if values.trim().is_empty() {
            Vec::new()
        } else {
            answers::parse_answer(kb, q, values).map_err(|m| {
                Problem::usage(
                    format!("what if {w}: {m}"),
                    "`because questions` lists the values".into(),
                )
            })?
        };
        let before: Vec<String> = varied
            .iter()
            .filter(|f| f.pred == name && f.args.len() == 1)
            .map(|f| f.args[0].to_string())
            .collect();
        varied.retain(|f| !(f.pred == name && f.args.len() == 1));
        for c in &new {
            varied.push(InputFact {
                pred: name.to_string(),
                args: vec![c.clone()],
                certainty: 1.0,
                origin: Origin {
                    file: "<what-if>".into(),
                    key: Some(name.into()),
                    ..Origin::default()
                },
            });
        }
        let shown = |v: &[String]| -> String {
            let names: Vec<String> = v
                .iter()
                .map(|s| kb.display_name(s).unwrap_or(s).to_string())
                .collect();
            names.join(", ")
        };
        let after: Vec<String> = new.iter().map(ToString::to_string).collect();
        words.push(match (before.is_empty(), after.is_empty()) {
            (true, _) => format!("`{name}` were answered {}", shown(&after)),
            (false, true) => format!(
                "`{name}` were left unanswered (instead of {})",
                shown(&before)
            ),
            (false, false) => format!(
                "`{name}` were {} instead of {}",
                shown(&after),
                shown(&before)
            ),
        });
        replaced.push(Replaced {
            question: name.to_string(),
            before,
            after,
        });
    }
    let g = run(kb, facts, limits)?;
    let before = crate::explain::query::query(&g, None, None);
    drop(g);
    let g = run(kb, &varied, limits)?;
    let after = crate::explain::query::query(&g, None, None);
    Ok(diff(&before, &after, replaced, words.join(", and ")))
}

/// Where a batch line's text sits in the whole input: its line number and the byte offset
/// of its start. Diagnostics are moved there.
#[derive(Debug, Clone, Copy)]
pub struct LinePlace {
    pub line: usize,
    pub offset: usize,
}

/// A batch line's fact set as read: its text, or why it could not be read.
pub enum LineText<'a> {
    Text(&'a str),
    /// Too long, or a file that cannot be read.
    Unreadable(Diagnostic),
    /// Not UTF-8: the text with the bad bytes replaced, and where the first one is.
    NotUtf8 {
        lossy: &'a str,
        at: usize,
        byte: u8,
    },
}

/// One batch line (`query --format ndjson`): the outputs of the fact set in `text` (in
/// `format`), or its errors in the diagnostic shape; and whether it has results.
pub fn batch_line(
    kb: &KnowledgeBase,
    scratch: &mut Scratch,
    input: BatchInput<'_>,
    text: (&str, LineText<'_>, Format),
    place: Option<LinePlace>,
    limits: Limits,
) -> (String, bool) {
    match batch_read(kb, input, text, place) {
        Ok(facts) => batch_run(kb, scratch, input, &facts, limits),
        Err(line) => (line, false),
    }
}

/// A batch line's fact set read and checked: its facts, or the line that reports its
/// errors.
pub fn batch_read(
    kb: &KnowledgeBase,
    input: BatchInput<'_>,
    (name, text, format): (&str, LineText<'_>, Format),
    place: Option<LinePlace>,
) -> Result<Vec<InputFact>, String> {
    let mut sources = SourceMap::default();
    let mut loaded = Loaded::default();
    let diags = match text {
        LineText::Text(text) => loaded.add(kb, &mut sources, name, text, format),
        LineText::Unreadable(d) => vec![d],
        LineText::NotUtf8 { lossy, at, byte } => {
            let file = sources.add(name, lossy);
            let span = sources.get(file).span(file, at, at + 1);
            vec![Diagnostic::error(
                "E0002",
                format!("invalid UTF-8: byte 0x{byte:02x} is not text"),
                span,
            )
            .with_label("not UTF-8")
            .with_help("send each fact set as a line of UTF-8 JSON")]
        }
    };
    let errors: Vec<wire::Diagnostic> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let mut w = crate::diag::to_wire(d, &sources);
            // A line's places are in the whole NDJSON input: its line, and bytes from the
            // input's start.
            match (place, d.span) {
                (Some(p), Some(_)) => {
                    w.line = w.line.map(|l| l + p.line as u32 - 1);
                    w.end_line = w.end_line.map(|l| l + p.line as u32 - 1);
                    w.byte_start = w.byte_start.map(|b| b + p.offset as u32);
                    w.byte_end = w.byte_end.map(|b| b + p.offset as u32);
                }
                // A problem with the whole line: the line is its place.
                (Some(p), None) => {
                    w.file = Some(name.to_string());
                    w.line = Some(p.line as u32);
                    w.byte_start = Some(p.offset as u32);
                }
                _ => {}
            }
            w
        })
        .collect();
    if errors.is_empty() {
        Ok(loaded.facts)
    } else {
        Err(error_line(input, errors))
    }
}

/// A batch line for a fact set with errors.
fn error_line(input: BatchInput<'_>, errors: Vec<wire::Diagnostic>) -> String {
    BatchLine {
        input,
        outputs: None,
        rule_errors: None,
        error: Some(errors),
    }
    .to_json()
}

/// A batch line for a fact set read and checked ([`batch_read`]): its outputs, or the error
/// that stopped its run; and whether it has results.
pub fn batch_run(
    kb: &KnowledgeBase,
    scratch: &mut Scratch,
    input: BatchInput<'_>,
    facts: &[InputFact],
    limits: Limits,
) -> (String, bool) {
    match kb.run_with(scratch, facts, limits) {
        Err(e) => {
            let sources = SourceMap::default();
            let d = crate::diag::to_wire(&run_error(&e), &sources);
            (error_line(input, vec![d]), false)
        }
        Ok(g) => {
            let line = BatchLine {
                input,
                outputs: Some(crate::explain::query::batch_outputs(&g)),
                rule_errors: (!g.errors.is_empty()).then_some(g.errors.len()),
                error: None,
            };
            let text = line.to_json();
            scratch.recycle(g);
            (text, true)
        }
    }
}

/// A rule's reason with its placeholders as "…" (values are not known yet).
pub fn open_reason(kb: &KnowledgeBase, r: usize) -> Option<String> {
    let rule = kb.rule(r);
    rule.reason
        .map(|t| crate::explain::interpolate(t, rule.variables, &|_| Some("…".to_string())))
}

/// Why a consultation asks question `q`: per output its answer can change, how many reasons
/// depend on it and one of them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WhyAsked {
    pub output: String,
    /// The output's heading.
    pub label: String,
    /// How many rules (by name) depend on the answer.
    pub reasons: usize,
    /// The reason that reads best with values unknown (the fewest gaps, shown as "…").
    pub example: Option<String>,
    /// All of it as one sentence: `Recommended framework: 12 reasons depend on it, such as "…"`.
    pub sentence: String,
}

/// What an answer to `q` can change, output by output (see [`WhyAsked`]).
pub fn why_asked(c: &crate::engine::relevance::Consultation<'_>, q: &str) -> Vec<WhyAsked> {
    let kb = c.knowledge_base();
    c.matters_to(q)
        .into_iter()
        .map(|(output, rules)| {
            let label = kb
                .outputs()
                .find(|o| o.name.node == output)
                .map_or(output, |o| o.label.node.as_str());
            let names: std::collections::BTreeSet<&str> =
                rules.iter().map(|&r| kb.rule(r).name).collect();
            let example = rules
                .iter()
                .filter_map(|&r| open_reason(kb, r))
                .min_by_key(|t| t.matches('…').count());
            let n = names.len();
            let sentence = format!(
                "{label}: {n} {} {} on it{}",
                if n == 1 { "reason" } else { "reasons" },
                if n == 1 { "depends" } else { "depend" },
                example
                    .as_ref()
                    .map_or(String::new(), |e| format!(", such as \"{e}\""))
            );
            WhyAsked {
                output: output.to_string(),
                label: label.to_string(),
                reasons: n,
                example,
                sentence,
            }
        })
        .collect()
}
