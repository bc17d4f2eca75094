//! The command line: parse arguments, load rules and facts, call the library, print.
//! Results go to standard output, diagnostics to standard error.

pub mod args;
mod batch;
mod consult;
mod io;

use crate::diag::{self, Diagnostic, ErrorFormat};
use crate::engine::eval::{Limits, RunError};
use crate::engine::graph::FactGraph;
use crate::engine::value::Val;
use crate::engine::{InputFact, KnowledgeBase};
use crate::explain::how::HowOptions;
use crate::explain::render::{self, text::Style};
use crate::explain::why_not::Target;
use crate::facts_file::{Format, Loaded};
use crate::span::SourceMap;
use args::*;
use clap::{CommandFactory, Parser};
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

pub const OK: u8 = 0;
pub const INVALID: u8 = 1;
pub const USAGE: u8 = 2;
pub const INTERNAL: u8 = 3;
pub const LINT: u8 = 4;
pub const NOT_CONCLUDED: u8 = 5;

/// Run the command line with the process's arguments.
pub fn main() -> ExitCode {
    // A bug must not look like a crash: report it as an internal error with exit code 3.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info
            .location()
            .map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
        internal_error(&format!("{msg}{place}"));
        std::process::exit(i32::from(INTERNAL));
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { OK });
        }
    };
    let ctx = Ctx::new(cli.global);
    let code = match cli.command {
        Command::Check(a) => check(&ctx, &a),
        Command::Query(a) => query(&ctx, &a),
        Command::Explain(a) => explain(&ctx, &a),
        Command::WhyNot(a) => why_not(&ctx, &a),
        Command::Consult(a) => consult::run(&ctx, &a),
        Command::Questions(a) => questions(&ctx, &a),
        Command::Graph => graph(&ctx),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "because",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    };
    ExitCode::from(code.err().unwrap_or(OK))
}

/// Settings every command shares.
pub struct Ctx {
    pub global: Global,
    pub stdout_color: bool,
    pub stderr_color: bool,
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

impl Ctx {
    fn new(global: Global) -> Ctx {
        Ctx {
            stdout_color: !no_color() && std::io::stdout().is_terminal(),
            stderr_color: !no_color() && std::io::stderr().is_terminal(),
            global,
        }
    }

    pub fn report(&self, diags: &[Diagnostic], sources: &SourceMap) {
        if diags.is_empty() {
            return;
        }
        let s = diag::render(diags, sources, self.global.error_format, self.stderr_color);
        let _ = std::io::stderr().write_all(s.as_bytes());
    }

    /// A problem with no source text (bad argument value, I/O).
    pub fn fail(&self, d: Diagnostic) -> u8 {
        self.report(&[d], &SourceMap::default());
        INVALID
    }

    /// Load the program. It lives until the process ends: the operating system frees it at
    /// exit, which is much faster than dropping millions of small allocations (0.2 s on a
    /// 100,000-rule program).
    pub fn load_kb(&self) -> Result<&'static KnowledgeBase, u8> {
        let result = crate::timing::phase("load, check and compile (total)", || {
            if self.global.rules.is_empty() {
                KnowledgeBase::embedded()
            } else {
                KnowledgeBase::load_paths(&self.global.rules)
            }
        });
        match result {
            Ok(kb) => Ok(Box::leak(Box::new(kb))),
            Err(e) => {
                let errors: Vec<Diagnostic> = e.errors().cloned().collect();
                self.report(&errors, &e.program.sources);
                Err(INVALID)
            }
        }
    }

    pub fn limits(&self) -> Limits {
        let deadline = self
            .global
            .timeout
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map(|t| std::time::Instant::now() + std::time::Duration::from_secs_f64(t.min(1e9)));
        Limits {
            max_facts: self.global.max_facts,
            deadline,
            timeout_secs: self.global.timeout.unwrap_or(0.0),
        }
    }

    /// Read and check facts files; every problem is printed.
    pub fn load_facts(&self, kb: &KnowledgeBase, a: &FactsArgs) -> Result<Vec<InputFact>, u8> {
        let mut sources = SourceMap::default();
        let mut loaded = Loaded::default();
        let mut diags = Vec::new();
        for name in &a.facts {
            match read_facts_input(name, a.facts_format) {
                Ok((display, text, format)) => {
                    diags.extend(loaded.add(kb, &mut sources, &display, &text, format))
                }
                Err(d) => diags.push(d),
            }
        }
        if diags.iter().any(Diagnostic::is_error) {
            diag::sort(&mut diags);
            self.report(&diags, &sources);
            return Err(INVALID);
        }
        Ok(loaded.facts)
    }

    /// Run the rules; like the program, the fact graph is left for the OS to free at exit.
    pub fn run<'kb>(
        &self,
        kb: &'kb KnowledgeBase,
        facts: &[InputFact],
    ) -> Result<std::mem::ManuallyDrop<FactGraph<'kb>>, u8> {
        kb.run(facts, self.limits())
            .map(std::mem::ManuallyDrop::new)
            .map_err(|e| {
                self.fail(run_error(&e));
                INVALID
            })
    }

    fn style(&self, verbose: bool) -> Style {
        Style {
            verbose,
            color: self.stdout_color,
        }
    }
}

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
        RunError::Timeout { seconds, rules } => Diagnostic::without_span(
            "E0402",
            format!("the run stopped after {seconds} s (--timeout); rules still deriving new facts: {}", list(rules)),
        )
        .with_help("raise --timeout, or check these rules for runaway recursion"),
    }
}

/// Read one facts input: a path or `-`. Returns its display name, text and format.
fn read_facts_input(
    name: &str,
    format: Option<Format>,
) -> Result<(String, String, Format), Diagnostic> {
    if name == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| {
            Diagnostic::without_span("E0002", format!("cannot read standard input: {e}"))
        })?;
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
    let text = crate::program::read_text(path)?;
    Ok((crate::program::display_path(path), text, format))
}

fn check(ctx: &Ctx, a: &CheckArgs) -> Result<(), u8> {
    let paths: Vec<_> = if a.paths.is_empty() {
        ctx.global.rules.clone()
    } else {
        a.paths.clone()
    };
    let (program, diags) = if paths.is_empty() {
        let mut p = crate::program::Program::default();
        let mut d = Vec::new();
        for (name, text) in crate::engine::EMBEDDED_RULES {
            d.extend(p.add_text(name, text));
        }
        (p, d)
    } else {
        crate::program::Program::load_paths(&paths)
    };
    let report = crate::check::check_program(&program, diags);
    ctx.report(&report.diagnostics, &program.sources);
    if report.has_errors() {
        return Err(INVALID);
    }
    if a.deny_warnings && report.has_warnings() {
        return Err(LINT);
    }
    if ctx.global.error_format != ErrorFormat::Json {
        let rules = program.rules().count();
        let files = program.modules.len();
        eprintln!(
            "checked {files} file{}, {rules} rule{}: {}",
            if files == 1 { "" } else { "s" },
            if rules == 1 { "" } else { "s" },
            if report.diagnostics.is_empty() {
                "no problems"
            } else {
                "no errors"
            }
        );
    }
    Ok(())
}

/// Print a model as JSON, streamed (see [`render::write_json`]).
fn print_json<T: serde::Serialize>(v: &T) {
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = render::write_json(v, out);
}

fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

fn query(ctx: &Ctx, a: &QueryArgs) -> Result<(), u8> {
    let kb = ctx.load_kb()?;
    if let Some(req) = &a.require {
        if !kb.outputs().any(|o| &o.name.node == req) {
            let names: Vec<&str> = kb.outputs().map(|o| o.name.node.as_str()).collect();
            let d = Diagnostic::without_span(
                "E0315",
                format!("`{req}` is not an output of this program"),
            );
            let d = match crate::diag::suggest(req, names.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("the outputs are {}", names.join(", "))),
            };
            ctx.fail(d);
            return Err(USAGE);
        }
    }
    if a.format == QueryFormat::Ndjson || a.facts_ndjson.is_some() {
        return batch::run(ctx, kb, a);
    }
    let facts = ctx.load_facts(
        kb,
        &FactsArgs {
            facts: a.facts.clone(),
            facts_format: a.facts_format,
        },
    )?;
    let g = ctx.run(kb, &facts)?;
    if let Some(show) = &a.show {
        return show_pred(ctx, &g, show, a.format);
    }
    let opts = a.explain.then_some(HowOptions {
        all: a.how.all,
        depth: a.how.depth,
    });
    let q = crate::explain::query::query(&g, opts, None);
    match a.format {
        QueryFormat::Json => print_json(&q),
        _ => print(&render::text::query(&q, ctx.style(a.how.verbose))),
    }
    if let Some(req) = &a.require {
        let found = q
            .outputs
            .iter()
            .any(|o| &o.name == req && !o.concluded.is_empty());
        if !found {
            eprintln!("because: nothing of `{req}` was concluded (--require)");
            return Err(NOT_CONCLUDED);
        }
    }
    Ok(())
}

fn show_pred(ctx: &Ctx, g: &FactGraph, show: &str, format: QueryFormat) -> Result<(), u8> {
    let Some((name, arity)) = show
        .rsplit_once('/')
        .and_then(|(n, a)| Some((n, a.parse::<usize>().ok()?)))
    else {
        ctx.fail(
            Diagnostic::without_span("E0316", format!("`{show}` is not of the form NAME/ARITY"))
                .with_help("for example --show path/2"),
        );
        return Err(USAGE);
    };
    match format {
        // Counting needs no order: the facts are not sorted.
        QueryFormat::Count => print(&format!("{}\n", g.count_of(name, arity))),
        QueryFormat::Json | QueryFormat::Ndjson => {
            let facts = g.facts_of(name, arity);
            let rows: Vec<Vec<serde_json::Value>> = facts
                .iter()
                .map(|&f| g.store.args(f).iter().map(|&v| json_value(g, v)).collect())
                .collect();
            let v = serde_json::json!({ "predicate": show, "count": facts.len(), "facts": rows });
            print(&format!("{v}\n"));
        }
        QueryFormat::Text => {
            let mut s = String::new();
            for f in g.facts_of(name, arity) {
                s.push_str(&g.show_fact(f));
                s.push('\n');
            }
            print(&s);
        }
    }
    Ok(())
}

pub fn json_value(g: &FactGraph, v: Val) -> serde_json::Value {
    match v {
        Val::Sym(s) | Val::Str(s) => serde_json::Value::String(g.interner.name(s).to_string()),
        Val::Int(i) => i.into(),
        Val::Dec(b) => serde_json::Number::from_f64(f64::from_bits(b))
            .map_or(serde_json::Value::Null, Into::into),
        Val::Bool(b) => b.into(),
    }
}

/// Parse a FACT argument against a run's values.
fn target(ctx: &Ctx, g: &mut FactGraph, text: &str) -> Result<Target, u8> {
    Target::parse(g, text).map_err(|(sources, d)| {
        ctx.report(&d, &sources);
        USAGE
    })
}

fn explain(ctx: &Ctx, a: &ExplainArgs) -> Result<(), u8> {
    let kb = ctx.load_kb()?;
    let facts = ctx.load_facts(kb, &a.facts)?;
    let mut g = ctx.run(kb, &facts)?;
    let t = target(ctx, &mut g, &a.fact)?;
    let found = g.matching(&t.pred, &t.args);
    if found.is_empty() {
        eprintln!(
            "because: `{}` was not concluded; run `because why-not '{}'` with the same facts to see why",
            t.text(&g),
            a.fact
        );
        return Err(NOT_CONCLUDED);
    }
    let opts = HowOptions {
        all: a.how.all,
        depth: a.how.depth,
    };
    let trees: Vec<_> = crate::timing::phase("explain", || {
        found
            .iter()
            .map(|&f| crate::explain::how::explain(&g, f, opts))
            .collect()
    });
    match a.format {
        ExplainFormat::Json => {
            if trees.len() == 1 {
                print_json(&trees[0]);
            } else {
                print_json(&trees);
            }
        }
        ExplainFormat::Dot => print(&render::dot::how_graph(&trees.iter().collect::<Vec<_>>())),
        ExplainFormat::Text => {
            let s: Vec<String> = trees
                .iter()
                .map(|t| render::text::how(t, ctx.style(a.how.verbose)))
                .collect();
            print(&s.join("\n"));
        }
    }
    Ok(())
}

fn why_not(ctx: &Ctx, a: &WhyNotArgs) -> Result<(), u8> {
    let kb = ctx.load_kb()?;
    let facts = ctx.load_facts(kb, &a.facts)?;
    let mut g = ctx.run(kb, &facts)?;
    let t = target(ctx, &mut g, &a.fact)?;
    let w = crate::explain::why_not::explain(&g, &t, a.how.depth.unwrap_or(1));
    match a.format {
        ExplainFormat::Json => print_json(&w),
        ExplainFormat::Dot => {
            ctx.fail(
                Diagnostic::without_span("E0316", "why-not has no DOT form")
                    .with_help("use --format text or json"),
            );
            return Err(USAGE);
        }
        ExplainFormat::Text => print(&render::text::why_not(&w, ctx.style(a.how.verbose))),
    }
    Ok(())
}

fn questions(ctx: &Ctx, a: &QuestionsArgs) -> Result<(), u8> {
    let kb = ctx.load_kb()?;
    let qs: Vec<serde_json::Value> = kb
        .questions()
        .map(|q| {
            serde_json::json!({
                "name": q.name.node,
                "prompt": q.prompt.node,
                "type": q.ty,
                "many": q.many,
                "allowed": q.allowed.iter().map(|v| match &v.node {
                    crate::ast::Const::Sym(s) | crate::ast::Const::Str(s) => serde_json::Value::String(s.clone()),
                    c => serde_json::Value::String(c.to_string()),
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    match a.format {
        ListFormat::Json => print_json(&serde_json::json!({ "questions": qs })),
        ListFormat::Text => {
            let mut s = String::new();
            for q in kb.questions() {
                let kind = format!(
                    "{}{}",
                    if q.many { "one or more " } else { "one " },
                    q.ty.name()
                );
                s.push_str(&format!("{}  ({kind})\n  {}\n", q.name.node, q.prompt.node));
                if !q.allowed.is_empty() {
                    let vals: Vec<String> = q.allowed.iter().map(|v| v.node.to_string()).collect();
                    s.push_str(&format!("  values: {}\n", vals.join(", ")));
                }
                s.push('\n');
            }
            print(&s);
        }
    }
    Ok(())
}

fn graph(ctx: &Ctx) -> Result<(), u8> {
    let kb = ctx.load_kb()?;
    print(&crate::deps_dot::render(kb));
    Ok(())
}

pub(crate) fn internal_error(msg: &str) -> u8 {
    eprintln!("because: internal error: {msg}\nplease report this with the command you ran");
    INTERNAL
}
