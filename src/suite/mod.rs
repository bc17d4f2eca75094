//! `because test`: test cases beside a rule set (`*.test`, see [`case`]), run against a
//! knowledge base: what must hold, how strongly, in which order, by which rules, with which
//! facts in the explanation, and golden outputs kept in files.

pub mod case;
pub mod coverage;
pub mod diff;
pub mod report;

use crate::diag::Diagnostic;
use crate::engine::eval::Limits;
use crate::engine::graph::FactGraph;
use crate::engine::{FactId, KnowledgeBase};
use crate::explain::query::tie_key;
use crate::explain::render::text::Style;
use crate::explain::{fmt_cf, round_cf};
use crate::facts_file::{Format, Loaded};
use crate::span::SourceMap;
use case::{Case, ExpectKind, FactsSource, Golden, Pat, Show};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Every case's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteResult {
    pub schema_version: &'static str,
    pub kind: &'static str,
    pub cases: Vec<CaseResult>,
    /// Cases whose every expectation held.
    pub passed: usize,
    pub failed: usize,
    /// Golden files written (`--update`, or accepted in review).
    pub updated: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The case file, as shown to users.
    pub file: String,
    pub description: String,
    pub passed: bool,
    pub expectations: Vec<Outcome>,
    /// The rules that fired in the case's run (for coverage).
    #[serde(skip)]
    pub fired: BTreeSet<usize>,
    /// For each rule that did not fire: its conditions and what became of them (measured
    /// only for coverage).
    #[serde(skip)]
    pub conditions: Vec<(usize, Vec<(usize, crate::explain::why_not::Status)>)>,
    /// The answers given: question and value.
    #[serde(skip)]
    pub answers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub line: usize,
    /// The expectation as written (`golden explain recommend(flask) x.txt` for a golden).
    pub text: String,
    pub passed: bool,
    /// What was expected and what the run gave, in words (when it failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
    /// A golden file's difference, as a unified diff (expected = the file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// A golden file written by `--update` or accepted in review.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub updated: bool,
    /// For a golden: the new output, kept to write it on `--update` or review.
    #[serde(skip)]
    pub actual: Option<(std::path::PathBuf, String)>,
}

impl Outcome {
    fn pass(line: usize, text: &str) -> Outcome {
        Outcome {
            line,
            text: text.to_string(),
            passed: true,
            expected: None,
            got: None,
            diff: None,
            updated: false,
            actual: None,
        }
    }
    fn fail(line: usize, text: &str, expected: String, got: String) -> Outcome {
        Outcome {
            passed: false,
            expected: Some(expected),
            got: Some(got),
            ..Outcome::pass(line, text)
        }
    }
}

/// Test cases (`*.test`) under a directory, recursively, in name order (hidden directories
/// and `target` skipped).
pub fn find_cases(dir: &std::path::Path, cases: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<std::path::PathBuf> =
        rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" {
                find_cases(&p, cases);
            }
        } else if name.ends_with(".test") {
            cases.push(p);
        }
    }
}

/// In how many of the cases under `dir` each rule fired (by rule name), and how many cases
/// ran. Cases that cannot run are left out.
pub fn fire_counts(kb: &KnowledgeBase, dir: &std::path::Path) -> (BTreeMap<String, usize>, usize) {
    let mut paths = Vec::new();
    find_cases(dir, &mut paths);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut ran = 0;
    for path in paths {
        let Ok(text) = crate::program::read_text(&path) else {
            continue;
        };
        let mut sources = SourceMap::default();
        let file = sources.add(&crate::program::display_path(&path), text.as_str());
        let Ok(case) = case::parse(&sources, file, &path) else {
            continue;
        };
        let Ok(loaded) = load_facts(kb, &case, &mut sources, crate::program::MAX_RULES_BYTES)
        else {
            continue;
        };
        let Ok(result) = run_case(kb, &case, &loaded, Limits::default(), false) else {
            continue;
        };
        ran += 1;
        let names: BTreeSet<String> = result
            .fired
            .iter()
            .map(|&r| kb.rule(r).name.to_string())
            .collect();
        for n in names {
            *counts.entry(n).or_default() += 1;
        }
    }
    (counts, ran)
}

/// Load a case's facts. Problems point into the case (or its facts file).
pub fn load_facts(
    kb: &KnowledgeBase,
    case: &Case,
    sources: &mut SourceMap,
    max_bytes: usize,
) -> Result<Loaded, Vec<Diagnostic>> {
    let mut loaded = Loaded::default();
    let diags = match &case.facts {
        None => Vec::new(),
        Some(FactsSource::Inline { text, format }) => {
            loaded.add(kb, sources, &case.name, text, *format)
        }
        Some(FactsSource::File { path, span }) => {
            let name = crate::program::display_path(path);
            let Some(format) = Format::from_name(&name) else {
                return Err(vec![Diagnostic::error(
                    "E0601",
                    format!("`{name}` is not a facts file (.json, .toml or .facts)"),
                    *span,
                )
                .with_label("unknown kind of file")
                .with_help("facts files end in .json, .toml or .facts")]);
            };
            match crate::program::read_text_limited(path, max_bytes) {
                Ok(text) => loaded.add(kb, sources, &name, &text, format),
                Err(d) => vec![Diagnostic::error("E0601", d.message.clone(), *span)
                    .with_label("cannot be read")
                    .with_help("the path is relative to the case file")],
            }
        }
    };
    if diags.iter().any(Diagnostic::is_error) {
        Err(diags)
    } else {
        Ok(loaded)
    }
}

/// Run one case: its facts through the knowledge base, then every expectation and golden.
/// Errors in the case (a fact that does not parse, an unknown rule) are diagnostics.
pub fn run_case(
    kb: &KnowledgeBase,
    case: &Case,
    loaded: &Loaded,
    limits: Limits,
    coverage: bool,
) -> Result<CaseResult, Vec<Diagnostic>> {
    let mut g = kb.run(&loaded.facts, limits).map_err(|e| {
        vec![Diagnostic::without_span(
            "E0604",
            format!("the case `{}` did not run to the end: {e}", case.name),
        )
        .with_help("the limits (--max-facts, --timeout) apply to each case")]
    })?;
    let mut diags = Vec::new();
    let mut outcomes = Vec::new();
    let fired: BTreeSet<usize> = g.fired_rules().into_iter().collect();
    let mut ranks = Ranks::default();
    for e in &case.expects {
        // A fact or a rule the case names that the program does not have: a diagnostic.
        macro_rules! or_skip {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(d) => {
                        diags.push(d);
                        continue;
                    }
                }
            };
        }
        let rule = |name: &str| rule_named(kb, name, e.span);
        let (pass, expected, got): (bool, String, String) = match &e.kind {
            ExpectKind::Holds(p) => {
                let fs = or_skip!(resolve(kb, &mut g, p));
                let best = strongest(&g, &fs);
                (holds(&g, best), "it holds".into(), standing(&g, best))
            }
            ExpectKind::NotHolds(p) => {
                let fs = or_skip!(resolve(kb, &mut g, p));
                let held: Vec<FactId> = fs.iter().copied().filter(|&f| g.holds(f)).collect();
                let got = match held.first() {
                    Some(&f) => format!(
                        "{} holds, certainty {}",
                        g.show_fact(f),
                        fmt_cf(g.certainty(f))
                    ),
                    None => standing(&g, strongest(&g, &fs)),
                };
                (held.is_empty(), "it does not hold".into(), got)
            }
            ExpectKind::Certainty(p, b) => {
                let fs = or_skip!(resolve(kb, &mut g, p));
                let cf = strongest(&g, &fs).map_or(0.0, |f| g.certainty(f));
                let expected = if b.min == b.max {
                    format!("certainty {}", fmt_cf(b.min))
                } else {
                    format!("certainty from {} to {}", fmt_cf(b.min), fmt_cf(b.max))
                };
                (
                    b.contains(cf),
                    expected,
                    format!("certainty {}", fmt_cf(cf)),
                )
            }
            ExpectKind::Rank(p, n) => {
                let fs = or_skip!(resolve(kb, &mut g, p));
                let r = strongest(&g, &fs).and_then(|f| ranks.of(&g, f));
                let got =
                    r.map_or_else(|| standing(&g, strongest(&g, &fs)), |r| format!("rank {r}"));
                (r == Some(*n), format!("rank {n}"), got)
            }
            ExpectKind::Above(a, b) | ExpectKind::Tied(a, b) => {
                let fa = or_skip!(resolve(kb, &mut g, a));
                let fb = or_skip!(resolve(kb, &mut g, b));
                let (fa, fb) = (strongest(&g, &fa), strongest(&g, &fb));
                let ca = fa.map_or(0.0, |f| g.certainty(f));
                let cb = fb.map_or(0.0, |f| g.certainty(f));
                let (ka, kb_) = (tie_key(round_cf(ca)), tie_key(round_cf(cb)));
                let got = format!("{} {}, {} {}", a.text, fmt_cf(ca), b.text, fmt_cf(cb));
                if matches!(e.kind, ExpectKind::Above(..)) {
                    (
                        holds(&g, fa) && ka > kb_,
                        format!("{} ranked above {}", a.text, b.text),
                        got,
                    )
                } else {
                    (
                        holds(&g, fa) && holds(&g, fb) && ka == kb_,
                        "both hold, with equal certainties".into(),
                        got,
                    )
                }
            }
            ExpectKind::By(p, r) | ExpectKind::NotBy(p, r) => {
                let fs = or_skip!(resolve(kb, &mut g, p));
                let rid = or_skip!(rule(r));
                let by: BTreeSet<usize> = fs
                    .iter()
                    .flat_map(|&f| {
                        g.derivations_of(f)
                            .map(|d| g.derivation(d).rule as usize)
                            .collect::<Vec<_>>()
                    })
                    .collect();
                let names: Vec<String> = by.iter().map(|&i| kb.rule(i).name.to_string()).collect();
                let got = if names.is_empty() {
                    "no rule concluded it".to_string()
                } else {
                    format!("concluded by {}", names.join(", "))
                };
                let want = matches!(e.kind, ExpectKind::By(..));
                let expected = format!("{}concluded by rule `{r}`", if want { "" } else { "not " });
                (by.contains(&rid) == want, expected, got)
            }
            ExpectKind::Uses(p, q) | ExpectKind::NotUses(p, q) => {
                let fs = or_skip!(resolve(kb, &mut g, p));
                let qs = or_skip!(resolve(kb, &mut g, q));
                let used = explanation_facts(&g, &fs);
                let hit = qs.iter().any(|f| used.contains(f));
                let want = matches!(e.kind, ExpectKind::Uses(..));
                let expected = format!(
                    "{} {}in its explanation",
                    q.text,
                    if want { "" } else { "not " }
                );
                let got = if fs.is_empty() {
                    format!("{} was not concluded", p.text)
                } else if hit {
                    format!("{} is in its explanation", q.text)
                } else {
                    format!("{} is not in its explanation", q.text)
                };
                (hit == want, expected, got)
            }
            ExpectKind::Fires(r) | ExpectKind::NotFires(r) => {
                let rid = or_skip!(rule(r));
                let want = matches!(e.kind, ExpectKind::Fires(_));
                let did = fired.contains(&rid);
                let words = |b: bool| if b { "it fires" } else { "it does not fire" }.to_string();
                (did == want, words(want), words(did))
            }
        };
        outcomes.push(if pass {
            Outcome::pass(e.line, &e.text)
        } else {
            Outcome::fail(e.line, &e.text, expected, got)
        });
    }
    for gl in &case.goldens {
        match golden_text(&mut g, gl) {
            Ok(actual) => outcomes.push(compare_golden(gl, actual)),
            Err(d) => diags.push(d),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let conditions = if coverage {
        coverage::unfired_conditions(&g, &fired)
    } else {
        Vec::new()
    };
    let answers = loaded
        .facts
        .iter()
        .filter(|f| f.args.len() == 1)
        .map(|f| (f.pred.clone(), f.args[0].to_string()))
        .collect();
    Ok(CaseResult {
        file: case.name.clone(),
        description: case.description.clone(),
        passed: outcomes.iter().all(|o| o.passed),
        expectations: outcomes,
        fired,
        conditions,
        answers,
    })
}

/// The facts a pattern of the case matches in the run.
fn resolve(kb: &KnowledgeBase, g: &mut FactGraph, p: &Pat) -> Result<Vec<FactId>, Diagnostic> {
    let t = target(g, p)?;
    if kb.predicate(&t.pred, t.args.len()).is_none() {
        return Err(unknown_predicate(kb, p, &t.pred, t.args.len()));
    }
    Ok(g.matching(&t.pred, &t.args))
}

/// The id of the rule named `name` (the first alternative).
fn rule_named(
    kb: &KnowledgeBase,
    name: &str,
    span: crate::span::Span,
) -> Result<usize, Diagnostic> {
    if let Some(r) = kb.rules().find(|r| r.name == name) {
        return Ok(r.id);
    }
    let names: Vec<String> = kb.rules().map(|r| r.name.to_string()).collect();
    let help = crate::diag::suggest(name, names.iter().map(String::as_str))
        .map_or("`because graph` lists the rules".to_string(), |s| {
            format!("did you mean `{s}`?")
        });
    Err(
        Diagnostic::error("E0602", format!("the program has no rule `{name}`"), span)
            .with_label("unknown rule")
            .with_help(help),
    )
}

fn unknown_predicate(kb: &KnowledgeBase, p: &Pat, pred: &str, arity: usize) -> Diagnostic {
    let names: Vec<String> = kb.predicates().iter().map(|p| p.name.to_string()).collect();
    let help = crate::diag::suggest(pred, names.iter().map(String::as_str)).map_or(
        "`because graph` shows the program's predicates".to_string(),
        |s| format!("did you mean `{s}`?"),
    );
    Diagnostic::error(
        "E0602",
        format!("the program has no `{pred}/{arity}`"),
        p.span,
    )
    .with_label("unknown predicate")
    .with_help(help)
}

/// Of the facts a pattern matches, the strongest (the first in the fact order on a tie).
fn strongest(g: &FactGraph, fs: &[FactId]) -> Option<FactId> {
    fs.iter().copied().max_by(|&a, &b| {
        g.certainty(a)
            .total_cmp(&g.certainty(b))
            .then_with(|| g.cmp_facts(b, a))
    })
}

fn holds(g: &FactGraph, f: Option<FactId>) -> bool {
    f.is_some_and(|f| g.holds(f))
}

/// A fact's standing in words: not concluded, ruled out, too weak, or holds.
fn standing(g: &FactGraph, f: Option<FactId>) -> String {
    let Some(f) = f else {
        return "it was not concluded".to_string();
    };
    let cf = g.certainty(f);
    if g.holds(f) {
        format!("it holds, certainty {}", fmt_cf(cf))
    } else if cf <= 0.0 {
        format!("it is ruled out, certainty {}", fmt_cf(cf))
    } else {
        format!("it is too weak to hold, certainty {}", fmt_cf(cf))
    }
}

/// Holding facts' ranks among the holding facts of their predicate (ties share a rank),
/// from each predicate's tie keys, gathered once a case: a case of 20,000 `rank`
/// expectations sorted the predicate's facts for each, 24 s.
#[derive(Default)]
struct Ranks {
    /// Per predicate (name, arity): its holding facts' tie keys, strongest first.
    keys: BTreeMap<(String, usize), Vec<i64>>,
}

impl Ranks {
    fn of(&mut self, g: &FactGraph, f: FactId) -> Option<usize> {
        if !g.holds(f) {
            return None;
        }
        let mine = tie_key(round_cf(g.certainty(f)));
        let pred = (g.pred_name(f).to_string(), g.values(f).len());
        let keys = self.keys.entry(pred).or_insert_with_key(|(name, arity)| {
            let mut keys: Vec<i64> = g
                .facts_unordered(name, *arity)
                .filter(|&o| g.holds(o))
                .map(|o| tie_key(round_cf(g.certainty(o))))
                .collect();
            keys.sort_unstable_by(|a, b| b.cmp(a));
            keys
        });
        // One more than the facts stronger than it.
        Some(keys.partition_point(|&k| k > mine) + 1)
    }
}

/// Every fact in the explanations of `fs`, through every recorded derivation.
fn explanation_facts(g: &FactGraph, fs: &[FactId]) -> BTreeSet<FactId> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<FactId> = fs.to_vec();
    while let Some(f) = stack.pop() {
        if !seen.insert(f) {
            continue;
        }
        for d in g.derivations_of(f).collect::<Vec<_>>() {
            stack.extend_from_slice(g.premises(d));
        }
    }
    for f in fs {
        seen.remove(f);
    }
    seen
}

/// What a golden file holds: the command's output, as `because` prints it without colour.
fn golden_text(g: &mut FactGraph, gl: &Golden) -> Result<String, Diagnostic> {
    use crate::explain::render;
    let style = Style::command_line(false, false);
    let json = |v: &dyn erased::Json| v.pretty();
    Ok(match &gl.show {
        Show::Answer => {
            let q = crate::explain::query::query(g, None, None);
            if gl.json {
                json(&q)
            } else {
                render::text::query(&q, style)
            }
        }
        Show::Explain(p) => {
            let t = target(g, p)?;
            let found = g.matching(&t.pred, &t.args);
            if found.is_empty() {
                return Ok(format!("{} was not concluded\n", p.text));
            }
            let opts = crate::explain::how::HowOptions {
                all: false,
                depth: None,
            };
            let trees: Vec<_> = found
                .iter()
                .map(|&f| crate::explain::how::explain(g, f, opts))
                .collect();
            if gl.json {
                if trees.len() == 1 {
                    json(&trees[0])
                } else {
                    json(&trees)
                }
            } else {
                let s: Vec<String> = trees.iter().map(|t| render::text::how(t, style)).collect();
                s.join("\n")
            }
        }
        Show::WhyNot(p) => {
            let t = target(g, p)?;
            // Without the what-if search: it has a time budget, and a golden file must not
            // depend on the machine's speed.
            let w = crate::explain::why_not::explain(g, &t, 1);
            if gl.json {
                json(&w)
            } else {
                render::text::why_not(&w, style)
            }
        }
    })
}

fn target(g: &mut FactGraph, p: &Pat) -> Result<crate::explain::why_not::Target, Diagnostic> {
    crate::explain::why_not::Target::parse(g, &p.text).map_err(|(_, d)| {
        let msg = d
            .first()
            .map_or("not a fact".to_string(), |d| d.message.clone());
        Diagnostic::error("E0602", format!("`{}`: {msg}", p.text), p.span)
            .with_label("not a fact")
            .with_help("write a fact as in the rules: `recommend(flask)`; `_` matches any value")
    })
}

mod erased {
    /// Pretty JSON of any serialisable model, ending with a newline (as the CLI prints it).
    pub trait Json {
        fn pretty(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn pretty(&self) -> String {
            let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

fn compare_golden(gl: &Golden, mut actual: String) -> Outcome {
    if !actual.ends_with('\n') {
        actual.push('\n');
    }
    let text = format!("golden {} {}", gl.show.describe(), gl.written);
    let mut o = Outcome::pass(gl.line, &text);
    match std::fs::read_to_string(&gl.path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => {
            let diff = similar::TextDiff::from_lines(expected.as_str(), actual.as_str())
                .unified_diff()
                .context_radius(3)
                .header(&gl.written, &format!("{} (this run)", gl.written))
                .to_string();
            o.passed = false;
            o.expected = Some(format!("the output in {}", gl.written));
            o.got = Some("a different output".into());
            o.diff = Some(diff);
        }
        Err(e) => {
            o.passed = false;
            o.expected = Some(format!("the output in {}", gl.written));
            o.got = Some(if e.kind() == std::io::ErrorKind::NotFound {
                "no such file yet; `because test --update` writes it".to_string()
            } else {
                format!("the file cannot be read ({e})")
            });
        }
    }
    if !o.passed {
        o.actual = Some((gl.path.clone(), actual));
    }
    o
}

impl SuiteResult {
    pub fn new(cases: Vec<CaseResult>) -> SuiteResult {
        let passed = cases.iter().filter(|c| c.passed).count();
        SuiteResult {
            schema_version: crate::explain::SCHEMA_VERSION,
            kind: "test_results",
            failed: cases.len() - passed,
            passed,
            updated: 0,
            cases,
        }
    }
    /// Count again after goldens were written.
    pub fn recount(&mut self) {
        for c in &mut self.cases {
            c.passed = c.expectations.iter().all(|o| o.passed);
        }
        self.passed = self.cases.iter().filter(|c| c.passed).count();
        self.failed = self.cases.len() - self.passed;
        self.updated = self
            .cases
            .iter()
            .flat_map(|c| &c.expectations)
            .filter(|o| o.updated)
            .count();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each fact's rank is one more than the holding facts of its predicate with a higher
    /// tie key, as a scan counts them; facts that do not hold have none. Over conclusions
    /// of eight certainties (ties, ones equal to two decimals, ones too weak to hold and
    /// ones ruled out) of two predicates.
    #[test]
    fn ranks_are_those_a_scan_counts() {
        let mut src = String::from("fact go(1)\n");
        for i in 0..120 {
            let cf = [0.9, 0.7, 0.7, 0.5, 0.15, -0.3, 0.705, 0.695][i % 8];
            src.push_str(&format!(
                "rule a{i} when go(1) then r(v{i}) with certainty {cf}\n\
                 rule b{i} when go(1) then s(v{i}, w) with certainty {}\n",
                -cf
            ));
        }
        let kb = KnowledgeBase::from_sources(&[("t.rules", src.as_str())])
            .unwrap_or_else(|_| panic!("the program loads"));
        let g = kb.run(&[], Limits::default()).expect("runs");
        let mut ranks = Ranks::default();
        let mut seen = 0;
        for (pred, arity) in [("r", 1), ("s", 2)] {
            for f in g.facts_of(pred, arity) {
                let scanned = g.holds(f).then(|| {
                    let mine = tie_key(round_cf(g.certainty(f)));
                    1 + g
                        .facts_of(pred, arity)
                        .into_iter()
                        .filter(|&o| g.holds(o) && tie_key(round_cf(g.certainty(o))) > mine)
                        .count()
                });
                assert_eq!(ranks.of(&g, f), scanned, "{}", g.show_fact(f));
                seen += usize::from(scanned.is_some());
            }
        }
        assert!(seen > 100, "{seen} holding facts ranked");
    }
}
