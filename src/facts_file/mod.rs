//! Facts files (JSON, TOML, or the rule language's `fact` syntax) → input facts, checked
//! against the program's questions. Each format is read into [`Entry`]s with spans; the
//! checks here are shared by all formats, so every format reports the same problems the
//! same way.

pub(crate) mod json;
mod native;
mod toml;
pub mod write;

use crate::ast::{Const, Question, ValueType};
use crate::diag::suggest;
use crate::diag::Diagnostic;
use crate::engine::{InputFact, KnowledgeBase, Origin};
use crate::keyed::Keyed;
use crate::span::{FileId, SourceMap, Span};
use std::hash::BuildHasher;

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
    /// Shared by the facts of the answer's values (their origins' key).
    pub key: std::sync::Arc<str>,
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
    /// The facts of many-valued questions, found by question number and value. Answers
    /// are numbered across files (`answers`).
    many: ManyValues,
    /// Answers read so far, across files.
    answers: usize,
}

/// The hash of value `c` of question `qn` (for [`ManyValues`] and a native file's stated
/// values).
fn value_hash(qn: usize, c: &Const) -> u64 {
    Keyed.hash_one((qn, crate::ast::ConstRef::from(c)))
}

/// How many facts of many-valued questions are looked through in turn before they are
/// hashed: a fact set of the shipped questions has two or three, and a table for them cost
/// a batch 1,100 instructions a set (0.6%).
const MANY_SCANNED: usize = 16;

/// The facts of many-valued questions, each as (question number, its place in the facts,
/// the answer that gave it), found by question number and value: by a scan while there
/// are at most [`MANY_SCANNED`], then through a hash table (a list of 40,000 values
/// compared each with those before it took 5 s).
#[derive(Debug, Default)]
struct ManyValues {
    all: Vec<(usize, usize, usize)>,
    /// Places in `all`, by [`value_hash`]; empty until `all` has more than MANY_SCANNED.
    table: hashbrown::HashTable<usize>,
}

impl ManyValues {
    /// The answer that gave value `c` of question `qn`, if one did.
    fn find(&self, facts: &[InputFact], qn: usize, c: &Const) -> Option<usize> {
        let is = |&(n, f, _): &(usize, usize, usize)| n == qn && facts[f].args[0] == *c;
        if self.all.len() <= MANY_SCANNED {
            return self.all.iter().find(|e| is(e)).map(|e| e.2);
        }
        self.table
            .find(value_hash(qn, c), |&i| is(&self.all[i]))
            .map(|&i| self.all[i].2)
    }

    /// Add fact `f` (in `facts`), the answer `answer`'s value of question `qn`.
    fn insert(&mut self, facts: &[InputFact], (qn, f, answer): (usize, usize, usize)) {
        self.all.push((qn, f, answer));
        let hash = |&(n, f, _): &(usize, usize, usize)| value_hash(n, &facts[f].args[0]);
        let all = &self.all;
        if all.len() == MANY_SCANNED + 1 {
            for (i, e) in all.iter().enumerate() {
                self.table.insert_unique(hash(e), i, |&j| hash(&all[j]));
            }
        } else if all.len() > MANY_SCANNED + 1 {
            let i = all.len() - 1;
            self.table
                .insert_unique(hash(&all[i]), i, |&j| hash(&all[j]));
        }
    }
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
        // A native file states a many-valued answer fact by fact: each value (by question
        // number) and where it was stated first.
        let mut stated: hashbrown::HashTable<(usize, Const, Span)> = hashbrown::HashTable::new();
        if self.single.len() < kb.questions.len() {
            self.single.resize(kb.questions.len(), None);
        }
        let total = entries.len();
        // A fact an answer, but for lists (the vector grew four times a fact set); no more
        // than a fact set's worth before any is checked (a line of millions of keys stops
        // at the hundredth problem).
        self.facts.reserve(total.min(64));
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
            // The answer's number (its values are told from others' by it); the key is
            // shared by its values.
            let answer = self.answers;
            self.answers += 1;
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
                // A many-valued answer's values are looked up by value (a list of 40,000
                // compared each with those before it for 5 s); a single value has no other.
                let before = if q.many {
                    self.many.find(&self.facts, qn, &c)
                } else {
                    None
                };
                if before == Some(answer) {
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
                if native && q.many {
                    let h = value_hash(qn, &c);
                    if let Some((_, _, first)) = stated.find(h, |(n, x, _)| *n == qn && *x == c) {
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
                    stated.insert_unique(h, (qn, c.clone(), span), |(n, x, _)| value_hash(*n, x));
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
                } else if before.is_some() {
                    // Given by an earlier file too: stated once.
                    continue;
                }
                // The entry's own Arc, not one the knowledge base keeps for every answer to
                // the question: batch lines are read on every core, and a shared count
                // bounced between them cost more than the allocation.
                self.facts.push(InputFact {
                    pred: q.name.node.clone(),
                    args: vec![c],
                    certainty,
                    origin: Origin::from_span(sources, span, Some(std::sync::Arc::clone(&e.key))),
                });
                if q.many {
                    self.many
                        .insert(&self.facts, (qn, self.facts.len() - 1, answer));
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    const KB: &str = "question tags \"Tags?\"\n  many\n\
                      question marks \"Marks?\"\n  many\n\
                      question sizes \"Sizes?\"\n  many decimal\n\
                      question size \"Size?\"\n  one of small, large\n\
                      rule r when tags(T) then seen(T)\n";

    /// Each file (name, text) read in turn into one `Loaded`: the facts as `pred(value)`,
    /// and each file's problems as `code line:col`.
    fn load(files: &[(&str, &str)]) -> (Vec<String>, Vec<Vec<String>>) {
        let kb = KnowledgeBase::from_sources(&[("t.rules", KB)]).expect("the program loads");
        let mut sources = SourceMap::default();
        let mut loaded = Loaded::default();
        let mut problems = Vec::new();
        for (name, text) in files {
            let format = Format::from_name(name).expect("a known extension");
            let diags = loaded.add(&kb, &mut sources, name, text, format);
            problems.push(
                diags
                    .iter()
                    .map(|d| {
                        let (line, col) = sources.line_col(d.span.expect("a place"));
                        format!("{} {line}:{col}", d.code)
                    })
                    .collect(),
            );
        }
        let facts = loaded
            .facts
            .iter()
            .map(|f| format!("{}({})", f.pred, f.args[0]))
            .collect();
        (facts, problems)
    }

    #[test]
    fn a_value_repeated_in_one_list_is_reported_and_kept_once() {
        let (facts, problems) = load(&[("a.json", r#"{"tags": ["x", "y", "x", "x"]}"#)]);
        assert_eq!(facts, ["tags(x)", "tags(y)"]);
        assert_eq!(problems, [["E0306 1:21", "E0306 1:26"]]);
    }

    #[test]
    fn repeats_are_found_before_and_after_the_values_are_hashed() {
        // More values than are looked through in turn: the repeats of the first, of the
        // last looked through and of one hashed are each found.
        let n = MANY_SCANNED + 4;
        let mut values: Vec<String> = (0..n).map(|i| format!("\"v{i}\"")).collect();
        values.extend([0, MANY_SCANNED - 1, n - 1].map(|i| format!("\"v{i}\"")));
        let json = format!("{{\"tags\": [{}]}}", values.join(", "));
        let (facts, problems) = load(&[("a.json", &json), ("b.facts", "fact tags(v3)\n")]);
        assert_eq!(facts.len(), n);
        assert_eq!(problems[0].len(), 3, "{problems:?}");
        assert!(problems[0].iter().all(|p| p.starts_with("E0306")));
        assert!(problems[1].is_empty(), "a later file's repeat is kept once");
    }

    #[test]
    fn a_value_stated_twice_in_a_native_file_is_reported() {
        let (facts, problems) = load(&[("a.facts", "fact tags(x)\nfact tags(y)\nfact tags(x)\n")]);
        assert_eq!(facts, ["tags(x)", "tags(y)"]);
        assert_eq!(problems, [["E0306 3:11"]]);
    }

    #[test]
    fn a_value_given_again_by_a_later_file_is_kept_once_without_a_problem() {
        let (facts, problems) = load(&[
            ("a.facts", "fact tags(x)\nfact tags(y)\n"),
            ("b.json", r#"{"tags": ["y", "z"]}"#),
            ("c.facts", "fact tags(z)\nfact tags(x)\n"),
        ]);
        assert_eq!(facts, ["tags(x)", "tags(y)", "tags(z)"]);
        assert!(problems.iter().all(Vec::is_empty), "{problems:?}");
    }

    #[test]
    fn questions_keep_their_values_apart() {
        // The same value for two questions is two facts (a JSON string answers a symbol
        // question with a symbol).
        let (facts, problems) = load(&[(
            "a.json",
            r#"{"tags": ["x", "y"], "marks": ["x", "y"], "size": "small"}"#,
        )]);
        assert_eq!(
            facts,
            ["tags(x)", "tags(y)", "marks(x)", "marks(y)", "size(small)"]
        );
        assert!(problems.iter().all(Vec::is_empty), "{problems:?}");
    }

    #[test]
    fn decimals_repeat_as_they_compare() {
        // 0.0 and -0.0 are equal (`==`), so the second is a repeat.
        let (facts, problems) = load(&[("a.json", r#"{"sizes": [0.0, -0.0, 2.5, 2.50]}"#)]);
        assert_eq!(facts, ["sizes(0.0)", "sizes(2.5)"]);
        assert_eq!(problems, [["E0306 1:17", "E0306 1:28"]]);
    }

    #[test]
    fn an_invalid_value_stated_twice_is_reported_both_times() {
        // A value with a problem is no fact, but a native file stated it: the second time
        // is a repeat as well.
        let (facts, problems) = load(&[("a.facts", "fact size(medium)\nfact size(medium)\n")]);
        assert!(facts.is_empty());
        assert_eq!(problems, [["E0303 1:11", "E0306 2:6"]]);
    }

    #[test]
    fn a_hundred_thousand_values_are_read_and_merged_across_files() {
        // 100,000 distinct values in one list, then again in a native file. Each is looked
        // up once: compared with all those before it, 40,000 took 5 s.
        let list: Vec<String> = (0..100_000).map(|i| format!("\"v{i}\"")).collect();
        let json = format!("{{\"tags\": [{}]}}", list.join(", "));
        let native: String = (0..100_000).map(|i| format!("fact tags(v{i})\n")).collect();
        let (facts, problems) = load(&[("a.json", &json), ("b.facts", &native)]);
        assert_eq!(facts.len(), 100_000);
        assert!(problems.iter().all(Vec::is_empty));
    }
}
