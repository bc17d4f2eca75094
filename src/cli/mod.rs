//! The command line: arguments (`args`) resolved once into a [`Config`], one file per
//! subcommand, each returning a [`CmdResult`]; failures are rendered here, once. Results go
//! to standard output (every write checked, see `output`), diagnostics to standard error.

pub mod args;
mod batch;
mod check;
mod completions;
mod config;
mod consult;
mod diff;
mod exit;
mod explain;
mod fmt;
mod graph;
mod io;
mod output;
mod query;
mod questions;
mod serve;
mod test;
mod why_not;

pub use config::Config;
pub use exit::{CmdResult, Exit, Failure};

use args::{Cli, Command};
use clap::Parser;

/// Run the command line with the process's arguments.
/// The process exits right after: what the command built is left for the operating system
/// to free.
pub fn main() -> Exit {
    run(std::env::args_os(), false)
}

/// Run the command line with these arguments (the first is the program's name), as the
/// binary does: results to standard output, diagnostics to standard error; everything the
/// command built is freed before it returns. The fuzz target `cli` drives it.
pub fn run_from<I, T>(args: I) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    run(args, true)
}

fn run<I, T>(args: I, free_at_end: bool) -> Exit
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    // A bug must not look like a crash: it is reported as an internal error, and the command
    // (or, in a batch, the one fact set) ends with exit code 3.
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
        let _ = output::err(
            format!("because: internal error: {msg}{place}\nplease report this with the command you ran\n")
                .as_bytes(),
        );
    }));
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let styled = e.render();
            let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::IsTerminal::is_terminal(&std::io::stderr());
            let text = if color {
                styled.ansi().to_string()
            } else {
                styled.to_string()
            };
            return if e.use_stderr() {
                output::err(text.as_bytes()).err().unwrap_or(Exit::Usage)
            } else {
                let mut out = output::Out::default();
                out.text(&text);
                match out.finish() {
                    Ok(()) => Exit::Success,
                    Err(f) => finish(None, f),
                }
            };
        }
    };
    // The servers run long and reuse their memory; every other command runs once.
    if !matches!(cli.command, Command::Lsp | Command::Serve(_)) {
        crate::memhint::one_shot();
    }
    let cfg = Config::resolve(cli.global, free_at_end);
    let run = std::panic::AssertUnwindSafe(|| dispatch(&cfg, &cli.command));
    match std::panic::catch_unwind(run) {
        Ok(Ok(())) => Exit::Success,
        Ok(Err(f)) => finish(Some(&cfg), f),
        Err(_) => Exit::Internal,
    }
}

fn dispatch(cfg: &Config, command: &Command) -> CmdResult {
    match command {
        Command::Check(a) => check::run(cfg, a),
        Command::Fmt(a) => fmt::run(cfg, a),
        Command::Test(a) => test::run(cfg, a),
        Command::Diff(a) => diff::run(cfg, a),
        Command::Query(a) => query::run(cfg, a),
        Command::Explain(a) => explain::run(cfg, a),
        Command::WhyNot(a) => why_not::run(cfg, a),
        Command::Consult(a) => consult::run(cfg, a),
        Command::Questions(a) => questions::run(cfg, a),
        Command::Graph => graph::run(cfg),
        Command::Lsp => crate::lsp::run().map_err(|e| Failure::message(Exit::Invalid, e)),
        Command::Serve(a) => serve::run(cfg, a),
        Command::Completions { shell } => completions::run(*shell),
    }
}

/// Tell the user about a failure; the exit code is the failure's, or the one a failed
/// write to standard error decides.
fn finish(cfg: Option<&Config>, f: Failure) -> Exit {
    let reported = match cfg {
        Some(cfg) => cfg.report(&f.diagnostics, &f.sources),
        // Before the arguments are known (writing `--help` failed): plain text.
        None if !f.diagnostics.is_empty() => output::err(
            crate::diag::render(
                &f.diagnostics,
                &f.sources,
                crate::diag::ErrorFormat::Plain,
                false,
            )
            .as_bytes(),
        ),
        None => Ok(()),
    };
    let said = match &f.message {
        Some(m) => output::err(format!("because: {m}\n").as_bytes()),
        None => Ok(()),
    };
    match reported.and(said) {
        Ok(()) => f.exit,
        Err(e) => e,
    }
}
