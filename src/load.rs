//! The pipeline, in one place: rule text → parsed program → checked → compiled knowledge base.
//!
//! ```text
//! parse      program::Program::{load_paths, add_text}   (syntax → ast, per file)
//! flatten    program::flatten                           (`or` desugared into flat rules)
//! check      check::check_program                       (diagnostics + the dependency graph)
//! compile    engine::build::{stated_facts, declarations, rules}
//! stratify   engine::build::stratify                    (evaluation order from the graph)
//! ```

use crate::check::{self, Report};
use crate::diag::Diagnostic;
use crate::engine::{build, KnowledgeBase, EMBEDDED_RULES};
use crate::program::Program;
use crate::timing::phase;
use std::fmt;

/// A program that did not compile: its sources (to render the diagnostics against) and the
/// check's report, which holds at least one error.
#[derive(Debug)]
pub struct LoadError {
    pub program: Program,
    pub report: Report,
}

impl LoadError {
    /// The errors (the report also holds warnings; a summary of problems not listed,
    /// E0007, counts only its errors here).
    pub fn errors(&self) -> Vec<Diagnostic> {
        crate::diag::errors_only(&self.report.diagnostics)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = crate::diag::counts(&self.report.diagnostics).errors;
        write!(
            f,
            "the rules have {n} error{}",
            if n == 1 { "" } else { "s" }
        )?;
        if let Some(first) = self.report.diagnostics.iter().find(|d| d.is_error()) {
            write!(f, "; the first: [{}] {}", first.code, first.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Check a parsed program and, if it has no errors, compile it: the passes in order.
pub fn compile(program: Program, parse_diags: Vec<Diagnostic>) -> Result<KnowledgeBase, LoadError> {
    compile_releasing(program, parse_diags, usize::MAX)
}

/// [`compile`], releasing once checked the text of every file read from disk of at least
/// `release_min_bytes` (see [`SourceMap::release`](crate::span::SourceMap::release)).
pub fn compile_releasing(
    mut program: Program,
    parse_diags: Vec<Diagnostic>,
    release_min_bytes: usize,
) -> Result<KnowledgeBase, LoadError> {
    // Flatten and check (the check builds the dependency graph, once).
    let report = phase("check", || check::check_program(&program, parse_diags));
    if report.has_errors() {
        return Err(LoadError { program, report });
    }
    // From here on, the text is only quoted (by warnings and explanations).
    let freed = phase("release texts", || {
        program.sources.release(release_min_bytes)
    });
    crate::timing::note(|| format!("released {freed} bytes of rule text"));
    let Report { diagnostics, deps } = report;
    let mut parts = build::Parts::default();
    phase("store stated facts", || {
        build::stated_facts(&mut program, &mut parts)
    });
    build::declarations(&program, &mut parts);
    // The components of the dependency graph: the compiler needs to know which conditions
    // share their rule's component (only those read a round's new facts), stratify orders them.
    let comps = deps.components();
    phase("compile rules", || {
        build::rules(&mut program, &mut parts, &deps, &comps)
    });
    phase("stratify", || build::stratify(&deps, &comps, &mut parts));
    Ok(parts.finish(std::mem::take(&mut program.sources), deps, diagnostics))
}

/// How knowledge bases are made: from files, from text, or the shipped one.
impl KnowledgeBase {
    /// Load, check and compile files and directories of `.rules` files.
    pub fn load_paths(paths: &[std::path::PathBuf]) -> Result<KnowledgeBase, LoadError> {
        Self::load_paths_limited(paths, crate::program::MAX_RULES_BYTES)
    }

    /// [`load_paths`](Self::load_paths), reading no rule file larger than `max_bytes`.
    pub fn load_paths_limited(
        paths: &[std::path::PathBuf],
        max_bytes: usize,
    ) -> Result<KnowledgeBase, LoadError> {
        Self::load_paths_releasing(paths, max_bytes, usize::MAX)
    }

    /// [`load_paths_limited`](Self::load_paths_limited), releasing the text of every rule
    /// file of at least `release_min_bytes` once checked. It is read again, and checked
    /// against what was loaded, if a diagnostic or an explanation quotes it; every place is
    /// still found without it. For a run that ends soon after: a long-lived process would
    /// find files changed, and quote blank lines.
    pub fn load_paths_releasing(
        paths: &[std::path::PathBuf],
        max_bytes: usize,
        release_min_bytes: usize,
    ) -> Result<KnowledgeBase, LoadError> {
        let (program, diags) = Program::load_paths_limited(paths, max_bytes);
        compile_releasing(program, diags, release_min_bytes)
    }

    /// Check and compile rule text given as (name, text) pairs.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<KnowledgeBase, LoadError> {
        let mut program = Program::default();
        let mut diags = Vec::new();
        for (name, text) in sources {
            diags.extend(program.add_text(name, *text));
        }
        compile(program, diags)
    }

    /// The shipped knowledge base (embedded in the binary).
    pub fn embedded() -> Result<KnowledgeBase, LoadError> {
        Self::from_sources(EMBEDDED_RULES)
    }
}
