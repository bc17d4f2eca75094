//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  invalid rules or facts (errors are printed), or a run stopped at a limit
  2  usage error (bad arguments)
  3  internal error
  4  `check --deny-warnings` found warnings; `fmt --check` found files to reformat
  5  `query --require OUTPUT` found no conclusion of OUTPUT
  6  `test`: an expectation failed
  7  `diff`: the answers changed (and not as `--accept FILE` says they may)
141  standard output or error was closed early (`| head`)";

#[derive(Parser, Debug)]
#[command(
    name = "because",
    version,
    about = "A rule engine and expert system that explains every conclusion it reaches",
    long_about = "A rule engine and expert system that explains every conclusion it reaches.\n\nWithout --rules, the shipped knowledge base (which backend framework and architecture fit a project) is used.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Rule files or directories of `.rules` files (default: the embedded knowledge base)
    #[arg(long, global = true, value_name = "PATH", action = clap::ArgAction::Append)]
    pub rules: Vec<PathBuf>,
    /// How to print diagnostics
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub error_format: ErrorFormatArg,
    /// Stop when a run holds more facts than this (keeps memory bounded)
    #[arg(long, global = true, value_name = "N", default_value_t = crate::engine::eval::DEFAULT_MAX_FACTS)]
    pub max_facts: usize,
    /// Stop when a run has recorded more derivations than this, or four times as many
    /// premises (keeps memory bounded)
    #[arg(long, global = true, value_name = "N", default_value_t = crate::engine::eval::DEFAULT_MAX_DERIVATIONS)]
    pub max_derivations: usize,
    /// Largest rule file read
    #[arg(long, global = true, value_name = "BYTES", default_value_t = crate::program::MAX_RULES_BYTES)]
    pub max_rules_bytes: usize,
    /// Largest facts input read: a facts file, standard input, or one NDJSON line
    #[arg(long, global = true, value_name = "BYTES", default_value_t = DEFAULT_MAX_FACTS_BYTES)]
    pub max_facts_bytes: usize,
    /// Stop a run after this many seconds
    #[arg(long, global = true, value_name = "SECONDS", allow_hyphen_values = true, value_parser = seconds)]
    pub timeout: Option<f64>,
}

/// The default of `--max-facts-bytes`: 16 MiB, far more than any set of answers needs,
/// and little enough that reading and checking it stays well within memory.
pub const DEFAULT_MAX_FACTS_BYTES: usize = 16 << 20;

/// A number of seconds: finite and not negative.
fn seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
        Ok(_) => Err(format!(
            "`{s}` is not a time limit; give a number of seconds of 0 or more, such as 2 or 0.5"
        )),
        Err(_) => Err(format!(
            "`{s}` is not a number; give a number of seconds, such as 2 or 0.5"
        )),
    }
}

/// How diagnostics are printed (`--error-format`).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormatArg {
    /// rustc-like, coloured on a terminal
    Human,
    /// rustc-like, never coloured
    Plain,
    /// one JSON object per line
    Json,
}

/// The format of a facts file (`--facts-format`).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactsFormatArg {
    Json,
    Toml,
    /// The rule language's own `fact name(value)` lines.
    Native,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check rule files for errors and warnings
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Rewrite rule files in the canonical layout (comments kept; meaning never changed)
    #[command(after_help = EXIT_CODES)]
    Fmt(FmtArgs),
    /// Run test cases (`*.test`): what must hold, how strongly, in which order, by which
    /// rules, and golden outputs
    #[command(after_help = EXIT_CODES)]
    Test(TestArgs),
    /// What a change to the rules does to the answers, over a corpus of fact sets
    #[command(after_help = EXIT_CODES)]
    Diff(DiffArgs),
    /// Answer a query: the outputs concluded from the facts, ranked, with reasons
    #[command(after_help = EXIT_CODES)]
    Query(QueryArgs),
    /// Explain how a fact was concluded
    Explain(ExplainArgs),
    /// Explain why a fact was not concluded
    WhyNot(WhyNotArgs),
    /// Answer questions interactively, then get the answer with its reasons
    Consult(ConsultArgs),
    /// List the questions (the facts-file vocabulary)
    Questions(QuestionsArgs),
    /// Print the rule dependency graph (questions → rules → outputs) as DOT
    Graph,
    /// Run the language server for rule files on standard input and output (for editors)
    Lsp,
    /// Serve the rules over HTTP: a JSON API and a consult page for the browser
    #[command(after_help = EXIT_CODES)]
    Serve(ServeArgs),
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port; the log's first line names it)
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Reload the rules when a rule file changes (SIGHUP always reloads)
    #[arg(long)]
    pub watch: bool,
    /// Let pages from ORIGIN call the API (`*` for any); repeat for several. None by default
    #[arg(long, value_name = "ORIGIN", action = clap::ArgAction::Append)]
    pub cors: Vec<String>,
    /// Largest request body, other than a batch's
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Largest batch request body (streamed; each line is at most --max-facts-bytes)
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_batch_bytes: usize,
    /// Runs at the same time (default: the number of cores)
    #[arg(long, value_name = "N")]
    pub max_concurrent_runs: Option<usize>,
    /// Open connections; past it, a connection gets 503 at once
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers, and its body
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = seconds)]
    pub read_timeout: f64,
    /// Seconds a request waits for a free run slot before 503
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = seconds)]
    pub queue_timeout: f64,
    /// Seconds requests in flight get to finish after SIGTERM
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = seconds)]
    pub grace: f64,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check (default: the embedded knowledge base)
    pub paths: Vec<PathBuf>,
    /// Exit with code 4 when there are warnings
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Rule files or directories of `.rules` files; `-` reads standard input and writes the
    /// result to standard output
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not in the canonical layout, and exit with
    /// code 4 if there are any
    #[arg(long)]
    pub check: bool,
    /// With --check, show what would change as a unified diff instead of the file names
    #[arg(long, requires = "check")]
    pub diff: bool,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Test cases (`*.test`) or directories of them. Without --rules, the `.rules` files
    /// found in these directories are the rules tested (the shipped ones if there are none)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// How to print the results
    #[arg(long, value_enum, default_value = "text")]
    pub format: TestFormat,
    /// Write the golden files that differ or are missing with this run's output
    #[arg(long, conflicts_with = "review")]
    pub update: bool,
    /// Show each golden file that differs and ask whether to accept the new output (y/n,
    /// one answer per line on standard input)
    #[arg(long)]
    pub review: bool,
    /// Also measure what the cases cover: rules fired, conditions held and failed, questions
    /// and values never given
    #[arg(long)]
    pub coverage: bool,
    /// Write the coverage as an lcov tracefile (implies --coverage)
    #[arg(long, value_name = "FILE")]
    pub lcov: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The rules before the change (files or directories)
    #[arg(long, required = true, value_name = "PATH", action = clap::ArgAction::Append)]
    pub old: Vec<PathBuf>,
    /// The rules after the change (files or directories)
    #[arg(long, required = true, value_name = "PATH", action = clap::ArgAction::Append)]
    pub new: Vec<PathBuf>,
    /// Facts files, directories of them or globs, each one fact set
    #[arg(long, short = 'f', value_name = "FILE", action = clap::ArgAction::Append, required_unless_present = "facts_ndjson")]
    pub facts: Vec<String>,
    /// One fact set per line (JSON), from a file or `-` for standard input
    #[arg(long, value_name = "FILE")]
    pub facts_ndjson: Option<String>,
    /// A certainty that moves by no more than this is not a change
    #[arg(long, value_name = "CF", default_value_t = 0.05)]
    pub tolerance: f64,
    /// How to print the changes
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// A reviewed diff (`--format json` of an earlier run): exit 0 when the changes are
    /// exactly those
    #[arg(long, value_name = "FILE")]
    pub accept: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestFormat {
    Text,
    Json,
    /// JUnit XML, for CI systems.
    Junit,
}

#[derive(Args, Debug, Clone)]
pub struct FactsArgs {
    /// Facts file (JSON, TOML or `.facts`), `-` for standard input; repeat to merge several
    #[arg(long, short = 'f', value_name = "FILE", action = clap::ArgAction::Append)]
    pub facts: Vec<String>,
    /// Format of facts read from standard input, or of files whose extension says nothing
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub facts_format: Option<FactsFormatArg>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryFormat {
    Text,
    Json,
    /// One JSON line per fact set (batch)
    Ndjson,
    /// With --show: only the number of facts
    Count,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// Facts files (JSON, TOML or `.facts`), `-` for standard input; several merge. With
    /// `--format ndjson`, directories and globs too, each file one fact set
    #[arg(long, short = 'f', value_name = "FILE", num_args = 1..)]
    pub facts: Vec<String>,
    /// Format of facts read from standard input, or of files whose extension says nothing
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub facts_format: Option<FactsFormatArg>,
    /// Read one JSON fact set per line from FILE (`-` for standard input); one result line each
    #[arg(long, value_name = "FILE")]
    pub facts_ndjson: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: QueryFormat,
    /// Add the full derivation tree of each conclusion
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub how: HowArgs,
    /// Exit with code 5 when nothing of this output is concluded
    #[arg(long, value_name = "OUTPUT")]
    pub require: Option<String>,
    /// Print every fact of a predicate (`name/arity`) instead of the outputs
    #[arg(long, value_name = "PRED/ARITY")]
    pub show: Option<String>,
    /// Show how the answer changes with QUESTION's answers replaced by VALUES (separated by
    /// commas; none to leave it unanswered); repeat for several questions
    #[arg(long, value_name = "QUESTION=VALUES", conflicts_with_all = ["show", "facts_ndjson", "explain"])]
    pub what_if: Vec<String>,
}

#[derive(Args, Debug, Clone, Copy)]
pub struct HowArgs {
    /// Show every derivation, not only the minimal one
    #[arg(long)]
    pub all: bool,
    /// Expand derivation trees (or why-not reasons) to this depth
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,
    /// Show the rule language: conditions, bindings, facts as written
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainFormat {
    Text,
    Json,
    /// Graphviz DOT
    Dot,
    /// A picture, laid out here (no Graphviz needed)
    Svg,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The fact, in the rule language: `recommend(flask)`
    pub fact: String,
    /// Why FACT rather than this one: the reasons both share, those only one has, those
    /// against each, and how each certainty combined (`--over 'recommend(django)'`)
    #[arg(long, value_name = "OTHER")]
    pub over: Option<String>,
    /// With --over: do not search for the changes to the answers that would put the other
    /// side ahead
    #[arg(long)]
    pub no_what_if: bool,
    #[command(flatten)]
    pub facts: FactsArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub how: HowArgs,
}

#[derive(Args, Debug)]
pub struct WhyNotArgs {
    /// The fact, in the rule language: `recommend(rails)`; `_` for any value
    pub fact: String,
    /// Do not search for the changes to the answers that would make it hold (or come first)
    #[arg(long)]
    pub no_what_if: bool,
    #[command(flatten)]
    pub facts: FactsArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub how: HowArgs,
}

#[derive(Args, Debug)]
pub struct ConsultArgs {
    /// Start from these answers
    #[command(flatten)]
    pub facts: FactsArgs,
    /// Write the answers to FILE (JSON, TOML or .facts by extension)
    ///
    /// The file is replaced atomically and keeps its mode; a symbolic link is written
    /// through to its file. A read-only file, a directory or a device is refused.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct QuestionsArgs {
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}
