//! Every write checked. Results go to [`Out`] (standard output, buffered), which keeps the
//! first write error and reports it at [`Out::finish`]: a closed pipe (`| head`) ends the
//! command quietly with status 141, any other error (a full disk) is reported and exits 1.
//! Standard error is written through [`err`], with the same rules.

use super::exit::{Exit, Failure};
use crate::diag::Diagnostic;
use std::io::{self, Write};

/// Standard output, buffered, remembering the first write error.
pub struct Out {
    inner: io::BufWriter<io::Stdout>,
    error: Option<io::Error>,
}

impl Default for Out {
    fn default() -> Self {
        Out {
            inner: io::BufWriter::with_capacity(1 << 16, io::stdout()),
            error: None,
        }
    }
}

impl Write for Out {
    /// The first error is kept for `finish`, which reports it; it and every later write
    /// fail, so that a writer producing a long output (an explanation of a million nodes
    /// into `| head`) stops instead of producing the rest for nothing.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(e) = &self.error {
            return Err(io::Error::new(e.kind(), "an earlier write failed"));
        }
        if let Err(e) = self.inner.write_all(buf) {
            let kind = e.kind();
            self.error = Some(e);
            return Err(io::Error::new(kind, "the write failed"));
        }
        Ok(buf.len())
    }
    /// One call, not the default loop around [`write`](Self::write) (which takes the whole
    /// buffer anyway): serde_json writes JSON a few bytes at a time, a call each (W6's
    /// million-node explanation is 1.7 GB of JSON).
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write(buf).map(drop)
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.error.is_none() {
            if let Err(e) = self.inner.flush() {
                self.error = Some(e);
            }
        }
        Ok(())
    }
}

impl Out {
    /// Write `s` (errors are kept for [`finish`](Self::finish)).
    pub fn text(&mut self, s: &str) {
        let _ = self.write(s.as_bytes());
    }
    /// Whether a write has failed (a long loop can stop early).
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }
    /// Flush, and turn a write error into the command's failure.
    pub fn finish(mut self) -> Result<(), Failure> {
        let _ = self.flush();
        match self.error.take() {
            None => Ok(()),
            Some(e) => Err(write_failure("standard output", &e)),
        }
    }
}

/// The failure for a write error on `what` ("standard output").
pub fn write_failure(what: &str, e: &io::Error) -> Failure {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return Failure::quiet(Exit::BrokenPipe);
    }
    Failure::diagnostic(
        Exit::Invalid,
        Diagnostic::without_span("E0404", format!("cannot write to {what}: {e}"))
            .with_help("the results are incomplete; check the free space where they go"),
    )
}

/// Write to standard error. A closed standard error is not worth reporting (nowhere to
/// report it), but it decides the exit code: 141 for a closed pipe, 1 for anything else.
pub fn err(bytes: &[u8]) -> Result<(), Exit> {
    let mut e = io::stderr().lock();
    match e.write_all(bytes).and_then(|()| e.flush()) {
        Ok(()) => Ok(()),
        Err(x) if x.kind() == io::ErrorKind::BrokenPipe => Err(Exit::BrokenPipe),
        Err(_) => Err(Exit::Invalid),
    }
}

/// Write a model as pretty JSON, as it is produced (see [`crate::explain::render::write_json`]).
pub fn write_json<T: serde::Serialize>(out: &mut Out, v: &T) {
    // `Out` keeps the first write error for `finish`; serialising into it cannot fail.
    let _ = crate::explain::render::write_json(v, out);
}
