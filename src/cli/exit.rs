//! How a command ends: its exit code, and a failure that carries what to tell the user
//! (diagnostics as data, rendered once, by `cli::main`).

use crate::diag::Diagnostic;
use crate::span::SourceMap;
use std::fmt;

/// The process's exit codes (documented in the README and in `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// Invalid rules or facts, a run stopped at a limit, a write that failed.
    Invalid,
    /// Bad arguments.
    Usage,
    /// A bug.
    Internal,
    /// `check --deny-warnings` found warnings; `fmt --check` found files to reformat.
    Lint,
    /// `query --require` found nothing; `explain` of a fact that was not concluded.
    NotConcluded,
    /// `because test`: an expectation failed.
    TestsFailed,
    /// `because diff`: the answers changed.
    Changed,
    /// Standard output or error was closed early (`| head`): the conventional status of a
    /// process stopped by SIGPIPE, with nothing printed.
    BrokenPipe,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Invalid => 1,
            Exit::Usage => 2,
            Exit::Internal => 3,
            Exit::Lint => 4,
            Exit::NotConcluded => 5,
            Exit::TestsFailed => 6,
            Exit::Changed => 7,
            Exit::BrokenPipe => 141,
        }
    }
}

impl std::process::Termination for Exit {
    fn report(self) -> std::process::ExitCode {
        std::process::ExitCode::from(self.code())
    }
}

/// A command that did not succeed: the exit code, and what to say (diagnostics against
/// their sources, or a one-line message), if anything.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub diagnostics: Vec<Diagnostic>,
    /// The text the diagnostics' spans point into.
    pub sources: SourceMap,
    /// A plain message, printed as `because: MESSAGE`.
    pub message: Option<String>,
}

impl Failure {
    /// Only an exit code: everything to say was said (or nothing should be).
    pub fn quiet(exit: Exit) -> Failure {
        Failure {
            exit,
            diagnostics: Vec::new(),
            sources: SourceMap::default(),
            message: None,
        }
    }
    /// One diagnostic without source text (a bad argument, an I/O problem).
    pub fn diagnostic(exit: Exit, d: Diagnostic) -> Failure {
        Failure {
            diagnostics: vec![d],
            ..Failure::quiet(exit)
        }
    }
    /// Diagnostics against their sources.
    pub fn diagnostics(exit: Exit, diagnostics: Vec<Diagnostic>, sources: SourceMap) -> Failure {
        Failure {
            exit,
            diagnostics,
            sources,
            message: None,
        }
    }
    /// A one-line message.
    pub fn message(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            message: Some(message.into()),
            ..Failure::quiet(exit)
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.message, self.diagnostics.first()) {
            (Some(m), _) => f.write_str(m),
            (None, Some(d)) => write!(f, "[{}] {}", d.code, d.message),
            (None, None) => write!(f, "exit code {}", self.exit.code()),
        }
    }
}

impl std::error::Error for Failure {}

impl From<crate::ask::Problem> for Failure {
    fn from(p: crate::ask::Problem) -> Failure {
        use crate::ask::ProblemKind;
        let exit = match p.kind {
            ProblemKind::Usage => Exit::Usage,
            ProblemKind::Invalid | ProblemKind::Limit => Exit::Invalid,
            ProblemKind::NotConcluded => Exit::NotConcluded,
        };
        Failure::diagnostics(exit, p.diagnostics, p.sources)
    }
}

/// What every command returns.
pub type CmdResult = Result<(), Failure>;
