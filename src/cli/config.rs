//! The options every command shares, resolved once from the arguments (and the terminal),
//! with the steps every command takes through them: load the rules, read facts, run,
//! report diagnostics.

use super::args::{ErrorFormatArg, FactsFormatArg, Global};
use super::exit::{Exit, Failure};
use super::output;
use crate::diag::{self, Diagnostic, ErrorFormat};
use crate::engine::eval::Limits;
use crate::engine::graph::FactGraph;
use crate::engine::{InputFact, KnowledgeBase};
use crate::explain::render::text::Style;
use crate::facts_file::{Format, Loaded};
use crate::span::SourceMap;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

/// Resolved shared options.
#[derive(Debug, Clone)]
pub struct Config {
    /// Rule files and directories; empty for the embedded knowledge base.
    pub rules: Vec<PathBuf>,
    pub error_format: ErrorFormat,
    pub max_facts: usize,
    pub max_derivations: usize,
    /// The largest facts input read (a file, standard input, an NDJSON line).
    pub max_facts_bytes: usize,
    /// The largest rule file read.
    pub max_rules_bytes: usize,
    /// Seconds, finite and not negative (checked when parsed).
    pub timeout: Option<f64>,
    pub stdout_color: bool,
    pub stderr_color: bool,
    /// Whether the program and fact graph are freed when a command ends (see [`Kept`]).
    pub free_at_end: bool,
}

/// The program or a fact graph, as a command holds it. When the process exits right after
/// the command (the binary), it is left for the operating system to free, which is much
/// faster than dropping millions of small allocations (0.2 s on a 100,000-rule program);
/// when the command line runs inside a longer-lived process (the fuzz target `cli`, a
/// program embedding it), it is freed like any value.
pub struct Kept<T> {
    /// Always `Some` until dropped.
    value: Option<T>,
    free: bool,
}

/// Rule files at least this large have their text released once checked (see
/// [`KnowledgeBase::load_paths_releasing`]): 4 MiB is about 130,000 rules or 100,000 stated
/// facts, never a file written by hand.
const RELEASE_TEXT_BYTES: usize = 4 << 20;

impl<T> Kept<T> {
    fn new(value: T, free: bool) -> Kept<T> {
        Kept {
            value: Some(value),
            free,
        }
    }
}

impl<T> std::ops::Deref for Kept<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_ref().expect("a kept value until dropped")
    }
}

impl<T> std::ops::DerefMut for Kept<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("a kept value until dropped")
    }
}

impl<T> Drop for Kept<T> {
    fn drop(&mut self) {
        if !self.free {
            std::mem::forget(self.value.take());
        }
    }
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Config {
    /// The options of a command that ends the process (`free_at_end` false) or not.
    pub fn resolve(g: Global, free_at_end: bool) -> Config {
        Config {
            rules: g.rules,
            error_format: g.error_format.into(),
            max_facts: g.max_facts,
            max_derivations: g.max_derivations,
            max_facts_bytes: g.max_facts_bytes,
            max_rules_bytes: g.max_rules_bytes,
            timeout: g.timeout,
            stdout_color: !no_color() && std::io::stdout().is_terminal(),
            stderr_color: !no_color() && std::io::stderr().is_terminal(),
            free_at_end,
        }
    }

    /// Print diagnostics to standard error.
    pub fn report(&self, diags: &[Diagnostic], sources: &SourceMap) -> Result<(), Exit> {
        if diags.is_empty() {
            return Ok(());
        }
        let s = diag::render(diags, sources, self.error_format, self.stderr_color);
        output::err(s.as_bytes())
    }

    /// Load the program.
    pub fn load_kb(&self) -> Result<Kept<KnowledgeBase>, Failure> {
        self.load_kb_from(&self.rules)
    }

    /// Load the program for a session that lasts (`consult`): every file keeps its text, as
    /// the files may change while it quotes them.
    pub fn load_kb_keeping_text(&self) -> Result<Kept<KnowledgeBase>, Failure> {
        self.load_kb_releasing(&self.rules, usize::MAX)
    }

    /// Load the rule files `paths` (the shipped knowledge base when there are none).
    pub fn load_kb_from(
        &self,
        paths: &[std::path::PathBuf],
    ) -> Result<Kept<KnowledgeBase>, Failure> {
        // A large rule file (stated facts, mostly) is text kept only to be quoted: it is
        // read again if it ever is (W3's 78 MB facts file).
        self.load_kb_releasing(paths, RELEASE_TEXT_BYTES)
    }

    fn load_kb_releasing(
        &self,
        paths: &[std::path::PathBuf],
        release_min_bytes: usize,
    ) -> Result<Kept<KnowledgeBase>, Failure> {
        let result = crate::timing::phase("load, check and compile (total)", || {
            if paths.is_empty() {
                KnowledgeBase::embedded()
            } else {
                KnowledgeBase::load_paths_releasing(paths, self.max_rules_bytes, release_min_bytes)
            }
        });
        match result {
            Ok(kb) => Ok(Kept::new(kb, self.free_at_end)),
            Err(e) => {
                let errors: Vec<Diagnostic> = e.errors();
                Err(Failure::diagnostics(
                    Exit::Invalid,
                    errors,
                    e.program.sources,
                ))
            }
        }
    }

    pub fn limits(&self) -> Limits {
        let deadline = self
            .timeout
            .map(|t| std::time::Instant::now() + std::time::Duration::from_secs_f64(t.min(1e9)));
        Limits {
            max_facts: self.max_facts,
            max_derivations: self.max_derivations,
            deadline,
            timeout_secs: self.timeout.unwrap_or(0.0),
        }
    }

    /// Read and check facts files, merged into one fact set; every problem is reported.
    pub fn load_facts(
        &self,
        kb: &KnowledgeBase,
        files: &[String],
        format: Option<FactsFormatArg>,
    ) -> Result<Vec<InputFact>, Failure> {
        let mut sources = SourceMap::default();
        let mut loaded = Loaded::default();
        let mut diags = Vec::new();
        for name in files {
            match read_facts_input(name, format.map(Into::into), self.max_facts_bytes) {
                Ok((display, text, format)) => {
                    diags.extend(loaded.add(kb, &mut sources, &display, &text, format))
                }
                Err(d) => diags.push(d),
            }
        }
        if diags.iter().any(Diagnostic::is_error) {
            diag::sort(&mut diags);
            return Err(Failure::diagnostics(Exit::Invalid, diags, sources));
        }
        Ok(loaded.facts)
    }

    /// Run the rules.
    pub fn run<'kb>(
        &self,
        kb: &'kb KnowledgeBase,
        facts: &[InputFact],
    ) -> Result<Kept<FactGraph<'kb>>, Failure> {
        kb.run(facts, self.limits())
            .map(|g| Kept::new(g, self.free_at_end))
            .map_err(|e| Failure::diagnostic(Exit::Invalid, run_error(&e)))
    }

    pub fn style(&self, verbose: bool) -> Style {
        Style::command_line(verbose, self.stdout_color)
    }
}

impl From<ErrorFormatArg> for ErrorFormat {
    fn from(f: ErrorFormatArg) -> Self {
        match f {
            ErrorFormatArg::Human => ErrorFormat::Human,
            ErrorFormatArg::Plain => ErrorFormat::Plain,
            ErrorFormatArg::Json => ErrorFormat::Json,
        }
    }
}

impl From<FactsFormatArg> for Format {
    fn from(f: FactsFormatArg) -> Self {
        match f {
            FactsFormatArg::Json => Format::Json,
            FactsFormatArg::Toml => Format::Toml,
            FactsFormatArg::Native => Format::Native,
        }
    }
}

pub use crate::ask::run_error;

/// Read one facts input: a path or `-`. Returns its display name, text and format.
pub fn read_facts_input(
    name: &str,
    format: Option<Format>,
    max_bytes: usize,
) -> Result<(String, String, Format), Diagnostic> {
    if name == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(max_bytes as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| {
                Diagnostic::without_span("E0002", format!("cannot read standard input: {e}"))
            })?;
        if buf.len() > max_bytes {
            return Err(too_large("standard input", max_bytes));
        }
        let text = crate::program::decode("<stdin>", buf)?;
        let format = format.ok_or_else(|| {
            Diagnostic::without_span(
                "E0314",
                "the format of facts on standard input is not known",
            )
            .with_help("add --facts-format json, toml or native")
        })?;
        return Ok(("<stdin>".into(), text, format));
    }
    let path = std::path::Path::new(name);
    if path.is_dir() {
        return Err(Diagnostic::without_span(
            "E0002",
            format!("`{name}` is a directory where a facts file is expected"),
        )
        .with_help("name a file, or use --format ndjson to evaluate every file in a directory"));
    }
    let format = match format.or_else(|| Format::from_name(name)) {
        Some(f) => f,
        None => {
            return Err(Diagnostic::without_span(
                "E0314",
                format!("cannot tell the format of `{name}` from its extension"),
            )
            .with_help("use .json, .toml or .facts, or add --facts-format"))
        }
    };
    if std::fs::metadata(path).is_ok_and(|m| m.len() > max_bytes as u64) {
        return Err(too_large(
            &format!("`{}`", crate::program::display_path(path)),
            max_bytes,
        ));
    }
    let text = crate::program::read_text(path)?;
    Ok((crate::program::display_path(path), text, format))
}

/// E0317: a facts input past `--max-facts-bytes`.
pub fn too_large(what: &str, max_bytes: usize) -> Diagnostic {
    Diagnostic::without_span(
        "E0317",
        format!("{what} is larger than {max_bytes} bytes (--max-facts-bytes)"),
    )
    .with_help("a facts file holds one set of answers, a few kilobytes; raise --max-facts-bytes if this one really is that large")
}
