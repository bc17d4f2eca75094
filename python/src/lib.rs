//! `because._because`: the native half of the Python package. Results cross as JSON text
//! (the same shapes as the CLI's `--format json`); `because/__init__.py` turns them into
//! Python objects and the errors into `because.BecauseError` with their diagnostics.

use because::ask;
use because::diag::Diagnostic;
use because::engine::eval::Limits;
use because::engine::graph::FactGraph;
use because::engine::{InputFact, KnowledgeBase as Kb, Scratch};
use because::explain::how::HowOptions;
use because::explain::render::text::Style;
use because::facts_file::{Format, Loaded};
use because::span::SourceMap;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use rayon::prelude::*;

create_exception!(_because, BecauseError, PyException, "Invalid rules or facts, or a run stopped at a limit. `.diagnostics` lists each problem with its place (file, line, column), code and message.");

/// The error raised to Python: a message and the diagnostics as JSON (`because.BecauseError`
/// parses them).
fn error(diags: &[Diagnostic], sources: &SourceMap) -> PyErr {
    // Errors only; a summary of problems not listed (E0007) counts its errors.
    let errors = because::diag::errors_only(diags);
    let wire: Vec<_> = errors
        .iter()
        .map(|d| because::diag::to_wire(d, sources))
        .collect();
    let first = errors
        .iter()
        .find(|d| d.omitted.is_none())
        .map_or("an error".to_string(), |d| {
            format!("[{}] {}", d.code, d.message)
        });
    let n = because::diag::counts(&errors).errors;
    let msg = if n > 1 {
        format!("{first} (and {} more)", n - 1)
    } else {
        first
    };
    BecauseError::new_err((msg, serde_json::to_string(&wire).unwrap_or_default()))
}

fn plain_error(code: &'static str, msg: String) -> PyErr {
    error(
        &[Diagnostic::without_span(code, msg)],
        &SourceMap::default(),
    )
}

/// A batch line's answer (`because query --format ndjson`, without its `input`).
#[derive(serde::Serialize)]
struct Line<'g> {
    outputs: because::wire::Outputs<'g>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_errors: Option<usize>,
}

const STYLE: Style = Style {
    verbose: false,
    color: false,
    show_all: "pass all=True",
};

/// A compiled rule set.
#[pyclass(frozen, module = "because._because")]
struct KnowledgeBase {
    kb: Kb,
}

impl KnowledgeBase {
    /// Facts from text in a facts file format (`json`, `toml` or `native`).
    fn facts(&self, text: &str, name: &str, format: &str) -> PyResult<Vec<InputFact>> {
        let format = match format {
            "json" => Format::Json,
            "toml" => Format::Toml,
            "native" => Format::Native,
            other => {
                return Err(plain_error(
                    "E0316",
                    format!("`{other}` is not a facts format (json, toml or native)"),
                ))
            }
        };
        ask::read_facts(&self.kb, name, text, format).map_err(problem)
    }

    fn run(&self, facts: &[InputFact]) -> PyResult<FactGraph<'_>> {
        ask::run(&self.kb, facts, Limits::default()).map_err(problem)
    }
}

fn problem(p: ask::Problem) -> PyErr {
    error(&p.diagnostics, &p.sources)
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[pymethods]
impl KnowledgeBase {
    /// The knowledge base shipped with `because` (which backend framework fits a project).
    #[staticmethod]
    fn shipped() -> PyResult<Self> {
        Kb::embedded()
            .map(|kb| KnowledgeBase { kb })
            .map_err(|e| error(&e.report.diagnostics, &e.program.sources))
    }

    /// Rule files and directories of `.rules` files.
    #[staticmethod]
    fn from_paths(paths: Vec<std::path::PathBuf>) -> PyResult<Self> {
        Kb::load_paths(&paths)
            .map(|kb| KnowledgeBase { kb })
            .map_err(|e| error(&e.report.diagnostics, &e.program.sources))
    }

    /// Rules given as text; `name` is the file name diagnostics show.
    #[staticmethod]
    #[pyo3(signature = (text, name = "<rules>"))]
    fn from_source(text: &str, name: &str) -> PyResult<Self> {
        Kb::from_sources(&[(name, text)])
            .map(|kb| KnowledgeBase { kb })
            .map_err(|e| error(&e.report.diagnostics, &e.program.sources))
    }

    /// Evaluate once what no answer can change, so that every later query copies it.
    fn prepare(&self, py: Python<'_>) {
        py.allow_threads(|| self.kb.prepare(Limits::default()));
    }

    /// The questions, as JSON (the shape of `because questions --format json`).
    fn questions_json(&self) -> String {
        to_json(&self.kb.question_list())
    }

    /// The answer for one fact set, as JSON (the shape of `because query --format json`).
    #[pyo3(signature = (facts, name = "<facts>", format = "json"))]
    fn query_json(&self, facts: &str, name: &str, format: &str) -> PyResult<String> {
        let facts = self.facts(facts, name, format)?;
        let g = self.run(&facts)?;
        Ok(to_json(&because::explain::query::query(&g, None, None)))
    }

    /// How `fact` was concluded: text, or JSON (the shape of `because explain --format json`).
    #[pyo3(signature = (facts, fact, json = false, name = "<facts>", format = "json", all = false))]
    fn explain(
        &self,
        facts: &str,
        fact: &str,
        json: bool,
        name: &str,
        format: &str,
        all: bool,
    ) -> PyResult<String> {
        let facts = self.facts(facts, name, format)?;
        let mut g = self.run(&facts)?;
        let opts = HowOptions { all, depth: None };
        let trees = ask::explain(&mut g, fact, opts).map_err(|mut p| {
            if let Some(d) = p.diagnostics.first_mut() {
                d.help = Some("why_not() says why".into());
            }
            problem(p)
        })?;
        Ok(match (json, trees.len()) {
            (true, 1) => to_json(&trees[0]),
            (true, _) => to_json(&trees),
            (false, _) => trees
                .iter()
                .map(|t| because::explain::render::text::how(t, STYLE))
                .collect::<Vec<_>>()
                .join("\n"),
        })
    }

    /// Why `fact` was not concluded (or, when it holds but is not first, why the first
    /// rather than it): text, or JSON (the shape of `because why-not --format json`).
    #[pyo3(signature = (facts, fact, json = false, name = "<facts>", format = "json"))]
    fn why_not(
        &self,
        facts: &str,
        fact: &str,
        json: bool,
        name: &str,
        format: &str,
    ) -> PyResult<String> {
        let facts = self.facts(facts, name, format)?;
        let mut g = self.run(&facts)?;
        let w = ask::why_not(&mut g, &facts, fact, 1, None).map_err(problem)?;
        Ok(if json {
            to_json(&w)
        } else {
            because::explain::render::text::why_not(&w, STYLE)
        })
    }

    /// Answers for many fact sets (JSON texts), on every core, with the GIL released. Each
    /// result is, with `full`, the query's JSON, else a batch line's outputs (`{"outputs":
    /// ...}`, as `because query --format ndjson` writes them), or `{"error": [diagnostics]}`
    /// for a fact set that is invalid or stopped at a limit: one bad set never loses the
    /// others.
    #[pyo3(signature = (facts, full = false))]
    fn query_many_json(&self, py: Python<'_>, facts: Vec<String>, full: bool) -> Vec<String> {
        py.allow_threads(|| {
            facts
                .par_iter()
                .enumerate()
                .map_init(Scratch::default, |scratch, (i, text)| {
                    let name = format!("<fact set {}>", i + 1);
                    let mut sources = SourceMap::default();
                    let mut loaded = Loaded::default();
                    let diags = loaded.add(&self.kb, &mut sources, &name, text, Format::Json);
                    let err = |d: &[Diagnostic], s: &SourceMap| {
                        let wire: Vec<_> = d
                            .iter()
                            .filter(|d| d.is_error())
                            .map(|d| because::diag::to_wire(d, s))
                            .collect();
                        to_json(&serde_json::json!({ "error": wire }))
                    };
                    if diags.iter().any(Diagnostic::is_error) {
                        return err(&diags, &sources);
                    }
                    match self.kb.run_with(scratch, &loaded.facts, Limits::default()) {
                        Ok(g) => {
                            let out = if full {
                                to_json(&because::explain::query::query(&g, None, None))
                            } else {
                                let errors = g.rule_error_count();
                                to_json(&Line {
                                    outputs: because::explain::query::batch_outputs(&g),
                                    rule_errors: (errors > 0).then_some(errors),
                                })
                            };
                            scratch.recycle(g);
                            out
                        }
                        Err(e) => err(
                            &[Diagnostic::without_span(
                                "E0401",
                                format!("the run stopped: {e}"),
                            )],
                            &sources,
                        ),
                    }
                })
                .collect()
        })
    }
}

#[pymodule]
fn _because(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<KnowledgeBase>()?;
    m.add("BecauseError", m.py().get_type::<BecauseError>())?;
    Ok(())
}
