//! Facts files (JSON, TOML, or the rule language's `fact` syntax) → input facts, checked
//! against the program's questions. Each format is read into [`Entry`]s with spans; the
//! checks here are shared by all formats, so every format reports the same problems the
//! same way.

mod json;
mod native;
mod toml;
pub mod write;

use crate::ast::{Const, Question, ValueType};
use crate::diag::suggest;
use crate::diag::Diagnostic;
use crate::engine::{InputFact, KnowledgeBase, Origin};
use crate::span::{FileId, SourceMap, Span};
use std::collections::BTreeMap;

/// Nesting accepted in JSON and TOML facts files (they are flat; this guards the parsers).
pub const MAX_DEPTH: usize = 32;

/// Problems reported in one facts input before its check stops (E0319). A set of answers
/// with more is not one to fix answer by answer, and each problem is a diagnostic held in
/// memory: 16 MiB of unknown keys were 2.7 million of them, 1.8 GB, in one batch line of
/// the server.
pub const MAX_PROBLEMS: usize = 100;

/// The format of a facts file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
    /// The rule language's own `fact name(value)` lines.
    Native,
}

impl Format {
    /// The format a file name implies.
    pub fn from_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            "facts" | "rules" => Some(Format::Native),
            _ => None,
        }
    }
}

/// A value as written in a facts file.
#[derive(Debug, Clone)]
pub struct RawValue {
    pub kind: RawKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum RawKind {
    Str(String),
    /// A symbol written bare (native format only).
    Sym(String),
    Int(i64),
    Dec(f64),
    Bool(bool),
    /// `null`, written as an answer (an error: leave the question out instead).
    Null,
    /// A value already reported as invalid (nothing more to say about it).
    Invalid,
    List(Vec<RawValue>),
    /// `{"value": ..., "certainty": ...}`.
    Certain(Box<RawValue>, f64, Span),
}

/// One key of a facts file with its value.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: RawValue,
}

/// Facts collected from one or more files, with the place each answer was given.
#[derive(Debug, Default)]
pub struct Loaded {
    pub facts: Vec<InputFact>,
    /// For single-valued questions, by question number: the first answer (its place in
    /// `facts`) and where it was given.
    single: Vec<Option<(usize, Span)>>,
}

impl Loaded {
    /// Read one facts file's text and add its answers. Problems are returned, all of them.
    pub fn add(
        &mut self,
        kb: &KnowledgeBase,
        sources: &mut SourceMap,
        name: &str,
        text: &str,
        format: Format,
    ) -> Vec<Diagnostic> {
        let file = sources.add(name, text);
        let src = sources.get(file);
        let mut diags = Vec::new();
        if text.trim().is_empty() {
            diags.push(
                Diagnostic::error(
                    "E0307",
                    format!("facts file `{name}` is empty"),
                    src.span(file, 0, text.len()),
                )
                .with_label("nothing here")
                .with_help(match format {
                    Format::Json => {
                        "write an object of answers, for example {\"language\": [\"python\"]}"
                    }
                    Format::Toml => "write answers as keys, for example language = [\"python\"]",
                    Format::Native => "write answers as facts, for example fact language(python)",
                }),
            );
            return diags;
        }
        let entries = match format {
            Format::Json => json::read(file, src, &mut diags),
            Format::Toml => toml::read(file, src, &mut diags),
            Format::Native => native::read(file, src, &mut diags),
        };
        self.check_entries(kb, sources, file, entries, &mut diags);
        diags
    }

    fn check_entries(
        &mut self,
        kb: &KnowledgeBase,
        sources: &SourceMap,
        file: FileId,
        entries: Vec<Entry>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let native =
            sources.name(file).ends_with(".facts") || sources.name(file).ends_with(".rules");
        // Where each question (by number) was first answered.
        let mut seen: Vec<Option<Span>> = vec![None; kb.questions.len()];
        // A native file states a many-valued answer fact by fact: the values so far.
        let mut stated: BTreeMap<String, Vec<(Const, Span)>> = BTreeMap::new();
        if self.single.len() < kb.questions.len() {
            self.single.resize(kb.questions.len(), None);
        }
        let total = entries.len();
        for (n, e) in entries.into_iter().enumerate() {
            if diags.len() >= MAX_PROBLEMS {
                diags.push(stopped_here(
                    sources.name(file),
                    e.key_span,
                    total - n,
                    "answer",
                ));
                break;
            }
            let Some((qn, q)) = kb.question_numbered(&e.key) else {
                let names: Vec<&str> = kb.questions().map(|q| q.name.node.as_str()).collect();
                let list = names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let help = match suggest(&e.key, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? the questions are {list}"),
                    None => format!("the questions are {list}"),
                };
                diags.push(
                    Diagnostic::error("E0302", format!("unknown question `{}`", e.key), e.key_span)
                        .with_label("not a question of this program")
                        .with_help(help),
                );
                continue;
            };
            if let Some(first) = &seen[qn] {
                // Native files state a many-valued answer as several facts.
                if !(native && q.many) {
                    diags.push(
                        Diagnostic::error(
                            "E0306",
                            format!("`{}` is given twice", e.key),
                            e.key_span,
                        )
                        .with_label("second answer")
                        .with_secondary(*first, "first given here")
                        .with_help(if q.many {
                            "give all the answers in one list"
                        } else {
                            "keep one answer"
                        }),
                    );
                    continue;
                }
            }
            seen[qn].get_or_insert(e.key_span);
            let (value, cf, cspan) = match e.value.kind {
                RawKind::Certain(v, c, s) => (*v, Some(c), Some(s)),
                _ => (e.value, None, None),
            };
            // One value, or a list's (an empty vector does not allocate).
            let (one, list) = match value.kind {
                RawKind::List(items) => {
                    if !q.many {
                        diags.push(
                            Diagnostic::error(
                                "E0305",
                                format!("`{}` takes one answer, not a list", q.name.node),
                                value.span,
                            )
                            .with_label("a list")
                            .with_help(format!(
                                "give one value; `{}` is a single-valued question",
                                q.name.node
                            )),
                        );
                        continue;
                    }
                    (None, items)
                }
                RawKind::Invalid => continue,
                RawKind::Null => {
                    diags.push(
                        Diagnostic::error(
                            "E0304",
                            format!("`null` is not an answer to `{}`", q.name.node),
                            value.span,
                        )
                        .with_label("null")
                        .with_help("leave the question out to say you do not know"),
                    );
                    continue;
                }
                _ => (Some(value), Vec::new()),
            };
            // This answer's facts are `facts[given..]`; the key is shared by its values.
            let given = self.facts.len();
            let mut key: Option<std::sync::Arc<str>> = None;
            let values = usize::from(one.is_some()) + list.len();
            for (n, v) in one.into_iter().chain(list).enumerate() {
                if diags.len() >= MAX_PROBLEMS {
                    diags.push(stopped_here(
                        sources.name(file),
                        v.span,
                        values - n,
                        "value",
                    ));
                    return;
                }
                let (v, cf) = match v.kind {
                    RawKind::Certain(inner, c, _) => (*inner, Some(c)),
                    _ => (v, cf),
                };
                let certainty = cf.unwrap_or(1.0);
                if !(-1.0..=1.0).contains(&certainty) || certainty.is_nan() {
                    diags.push(
                        Diagnostic::error(
                            "E0308",
                            format!("certainty {certainty} is outside -1.0..1.0"),
                            cspan.unwrap_or(v.span),
                        )
                        .with_label("out of range")
                        .with_help("1.0 is certain, 0.0 says nothing, -1.0 means certainly not"),
                    );
                    continue;
                }
                let span = v.span;
                let Some(c) = convert(q, v, diags) else {
                    continue;
                };
                if self.facts[given..].iter().any(|f| f.args[0] == c) {
                    diags.push(
                        Diagnostic::error(
                            "E0306",
                            format!("`{c}` is given twice for `{}`", q.name.node),
                            span,
                        )
                        .with_label("repeated")
                        .with_help("list each answer once"),
                    );
                    continue;
                }
                if native {
                    let before = stated.entry(q.name.node.clone()).or_default();
                    if let Some((_, first)) = before.iter().find(|(x, _)| *x == c) {
                        diags.push(
                            Diagnostic::error(
                                "E0306",
                                format!("`{}({c})` is stated twice", q.name.node),
                                span,
                            )
                            .with_label("repeated")
                            .with_secondary(*first, "first stated here")
                            .with_help("state each answer once"),
                        );
                        continue;
                    }
                    before.push((c.clone(), span));
                }
                if let Some(d) = crate::check::values::value_problem(q, &c, span) {
                    let d = Diagnostic {
                        code: if d.code == "E0109" { "E0303" } else { "E0304" },
                        secondary: Vec::new(),
                        ..d
                    };
                    diags.push(d);
                    continue;
                }
                if !q.many {
                    if let Some((prev, pspan)) = &self.single[qn] {
                        let prev = &self.facts[*prev].args[0];
                        if *prev != c {
                            diags.push(
                                Diagnostic::error(
                                    "E0309",
                                    format!(
                                        "conflicting answers for `{}`: `{prev}` and `{c}`",
                                        q.name.node
                                    ),
                                    span,
                                )
                                .with_label(format!("`{c}` here"))
                                .with_secondary(*pspan, format!("`{prev}` given here"))
                                .with_help(format!(
                                    "`{}` takes one answer; remove one of them",
                                    q.name.node
                                )),
                            );
                        }
                        continue;
                    }
                    self.single[qn] = Some((self.facts.len(), span));
                } else if self
                    .facts
                    .iter()
                    .any(|f| f.pred == q.name.node && f.args[0] == c)
                {
                    continue;
                }
                // An Arc of this answer's own, not one the knowledge base keeps for every
                // answer to the question: batch lines are read on every core, and a shared
                // count bounced between them cost more than the allocation.
                let key = key.get_or_insert_with(|| e.key.as_str().into());
                self.facts.push(InputFact {
                    pred: q.name.node.clone(),
                    args: vec![c],
                    certainty,
                    origin: Origin::from_span(sources, span, Some(std::sync::Arc::clone(key))),
                });
            }
        }
    }
}

/// E0319: the check of facts input `name` stops at `span`, with `left` answers or values
/// (`what`) not checked (see [`MAX_PROBLEMS`]).
fn stopped_here(name: &str, span: Span, left: usize, what: &str) -> Diagnostic {
    Diagnostic::error(
        "E0319",
        format!("more than {MAX_PROBLEMS} problems in `{name}`: the check stopped here"),
        span,
    )
    .with_label(format!(
        "{left} more {what}{} not checked",
        if left == 1 { "" } else { "s" }
    ))
    .with_help("fix the problems above (often one mistake repeated) and run again")
}

/// Turn a raw value into a constant of the question's type, or report why it cannot be.
fn convert(q: &Question, v: RawValue, diags: &mut Vec<Diagnostic>) -> Option<Const> {
    if let RawKind::Str(s) = &v.kind {
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            // Shown in explanations as is, it could recolour or rewrite what the user reads.
            diags.push(
                Diagnostic::error(
                    "E0318",
                    format!(
                        "a control character (U+{:04X}) in an answer to `{}`",
                        u32::from(c),
                        q.name.node
                    ),
                    v.span,
                )
                .with_label("in this answer")
                .with_help("remove it: answers are single lines of printable text"),
            );
            return None;
        }
    }
    let c = match v.kind {
        RawKind::Str(s) if q.ty == ValueType::Symbol => Const::Sym(s),
        RawKind::Str(s) => Const::Str(s),
        RawKind::Sym(s) => Const::Sym(s),
        RawKind::Int(i) => Const::Int(i),
        RawKind::Dec(d) => Const::Dec(d),
        RawKind::Bool(b) => Const::Bool(b),
        RawKind::Invalid => return None,
        RawKind::Null | RawKind::List(_) | RawKind::Certain(..) => {
            diags.push(
                Diagnostic::error(
                    "E0304",
                    format!("`{}` expects {} values here", q.name.node, q.ty.name()),
                    v.span,
                )
                .with_label("not a single value")
                .with_help("nested lists and objects are not answers"),
            );
            return None;
        }
    };
    Some(c)
}

/// Find where a nested structure gets deeper than [`MAX_DEPTH`], outside strings.
pub(crate) fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut esc = false;
    for (i, b) in text.bytes().enumerate() {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

pub(crate) fn deep_error(file: FileId, src: &crate::span::SourceFile, at: usize) -> Diagnostic {
    Diagnostic::error(
        "E0312",
        format!("nesting deeper than {MAX_DEPTH} levels"),
        src.span(file, at, at + 1),
    )
    .with_label("too deep here")
    .with_help("a facts file maps question names to values or lists of values")
}
