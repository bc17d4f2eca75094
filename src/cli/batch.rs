//! Batch queries: many fact sets (NDJSON lines, or files, directories and globs), evaluated
//! in parallel, one JSON line of results per fact set (`wire::BatchLine`), in input order.
//!
//! NDJSON input is streamed: a reader thread reads lines as they arrive, and each round
//! takes what has arrived (at least one line, at most [`ROUND`]) and evaluates it on every
//! core, while a writer thread writes the round before. Memory stays bounded whatever the input's
//! length, a slow producer gets each answer as soon as its line is complete, and a problem in
//! one line (bad JSON, invalid UTF-8, a line past the size limit, even a bug) is that line's
//! error, never the others'.

use super::args::QueryArgs;
use super::exit::{CmdResult, Exit, Failure};
use super::output::Out;
use super::Config;
use crate::ask::sets::SetProgram;
use crate::ask::{LinePlace, LineText};
use crate::diag::Diagnostic;
use crate::engine::eval::Limits;
use crate::engine::{InputFact, KnowledgeBase, Scratch};
use crate::facts_file::Format;
use crate::span::SourceMap;
use crate::wire::{BatchInput, BatchLine};
use rayon::prelude::*;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::mpsc;

/// Most fact sets evaluated in one round.
const ROUND: usize = 4096;

/// One fact set to evaluate.
enum Input {
    /// Line `line` of the NDJSON input, starting at byte `offset`; its text, or why it
    /// cannot be read.
    Line {
        line: usize,
        offset: usize,
        text: Result<String, LineProblem>,
    },
    File(String),
}

/// Why a line cannot be read as text.
enum LineProblem {
    /// Longer than `--max-facts-bytes`.
    TooLong(Diagnostic),
    /// Not UTF-8: the line with the bad bytes replaced, and where the first one is.
    NotUtf8 { lossy: String, at: usize, byte: u8 },
}

/// How a round went: lines written, and whether any fact set failed or hit a bug.
#[derive(Default)]
struct Tally {
    failed: bool,
    internal: bool,
}

pub fn run(cfg: &Config, kb: &KnowledgeBase, a: &QueryArgs) -> CmdResult {
    let limits = cfg.limits();
    let format = a.facts_format.map(Into::into);
    let mut out = Writer::new(Out::default());
    let mut tally = Tally::default();
    // Many fact sets run at once where that gives each what its own run gives (the rules
    // are rewritten for it when a round first has enough sets).
    let sets = std::sync::OnceLock::new();
    let pool = Pool::new();
    let sets = (&sets, &pool);
    if let Some(src) = &a.facts_ndjson {
        let name = if src == "-" {
            "<stdin>".to_string()
        } else {
            crate::program::display_path(std::path::Path::new(src))
        };
        let reader: Box<dyn BufRead + Send> = if src == "-" {
            Box::new(std::io::BufReader::new(std::io::stdin()))
        } else {
            let path = std::path::Path::new(src);
            let f = std::fs::File::open(path).map_err(|e| {
                Failure::diagnostic(Exit::Invalid, crate::program::io_error(path, &e))
            })?;
            Box::new(std::io::BufReader::new(f))
        };
        let (tx, rx) = mpsc::sync_channel::<Input>(2 * ROUND);
        let reader_name = name.clone();
        let max = cfg.max_facts_bytes;
        let reader = std::thread::spawn(move || read_lines(reader, &reader_name, max, &tx));
        let mut round = Vec::with_capacity(ROUND);
        while let Ok(first) = rx.recv() {
            round.push(first);
            while round.len() < ROUND {
                match rx.try_recv() {
                    Ok(i) => round.push(i),
                    Err(_) => break,
                }
            }
            evaluate(
                kb,
                sets,
                &name,
                &round,
                (format, cfg.max_facts_bytes),
                limits,
                &mut out,
                &mut tally,
            );
            round.clear();
            if out.failed() {
                break;
            }
        }
        drop(rx);
        if let Ok(Err(d)) = reader.join() {
            out.finish()?.finish()?;
            return Err(Failure::diagnostic(Exit::Invalid, d));
        }
    }
    let mut files = Vec::new();
    for f in &a.facts {
        for p in expand(f).map_err(|d| Failure::diagnostic(Exit::Invalid, d))? {
            files.push(Input::File(p));
        }
    }
    let bar = (std::io::stderr().is_terminal() && files.len() > 1).then(|| {
        let b = indicatif::ProgressBar::new(files.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} fact sets, {per_sec}, eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    for round in files.chunks(ROUND) {
        evaluate(
            kb,
            sets,
            "",
            round,
            (format, cfg.max_facts_bytes),
            limits,
            &mut out,
            &mut tally,
        );
        if let Some(b) = &bar {
            b.inc(round.len() as u64);
        }
        if out.failed() {
            break;
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out.finish()?.finish()?;
    if tally.internal {
        Err(Failure::message(
            Exit::Internal,
            "internal error while evaluating some fact sets (their lines say which); please report this with the input",
        ))
    } else if tally.failed {
        Err(Failure::quiet(Exit::Invalid))
    } else {
        Ok(())
    }
}

/// Read NDJSON lines, blank ones skipped, each checked for its length and its UTF-8, until
/// the input ends or the receiver goes. A read error ends the input with a diagnostic.
fn read_lines(
    mut r: Box<dyn BufRead + Send>,
    name: &str,
    max: usize,
    tx: &mpsc::SyncSender<Input>,
) -> Result<(), Diagnostic> {
    let mut buf = Vec::new();
    let mut offset = 0usize;
    for line in 1.. {
        buf.clear();
        let n = read_line_bounded(&mut r, &mut buf, max).map_err(|e| {
            Diagnostic::without_span("E0002", format!("cannot read `{name}` at line {line}: {e}"))
        })?;
        if n == 0 {
            return Ok(());
        }
        let start = offset;
        offset += n;
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        let text = if body.len() > max {
            Err(LineProblem::TooLong(super::config::too_large(
                &format!("line {line} of `{name}`"),
                max,
            )))
        } else {
            match std::str::from_utf8(body) {
                Ok(s) if s.trim().is_empty() => continue,
                Ok(s) => Ok(s.to_string()),
                Err(e) => Err(LineProblem::NotUtf8 {
                    lossy: String::from_utf8_lossy(body).into_owned(),
                    at: e.valid_up_to(),
                    byte: body[e.valid_up_to()],
                }),
            }
        };
        if tx
            .send(Input::Line {
                line,
                offset: start,
                text,
            })
            .is_err()
        {
            return Ok(());
        }
    }
    Ok(())
}

/// Read one line (through `\n`) into `buf`, keeping at most `max` + 2 bytes of it (the rest
/// is read and dropped). Returns the line's full length; 0 at the end.
fn read_line_bounded(r: &mut dyn BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(total);
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = (max + 2).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        r.consume(take);
        total += take;
        if done {
            return Ok(total);
        }
    }
}

/// The scratch stores of one core: for runs of one fact set, and for runs of many.
#[derive(Default)]
struct Scratches {
    one: Scratch,
    many: Scratch,
}

/// Each core's scratch stores, kept from round to round (rayon's `map_init` makes one per
/// piece of work it splits off: a few chunks, so a run of many sets would allocate and
/// fault in its store afresh nearly every time). Each thread locks only its own.
struct Pool(Vec<std::sync::Mutex<Scratches>>);

impl Pool {
    fn new() -> Pool {
        Pool(
            (0..rayon::current_num_threads().max(1))
                .map(|_| std::sync::Mutex::new(Scratches::default()))
                .collect(),
        )
    }

    fn mine(&self) -> std::sync::MutexGuard<'_, Scratches> {
        let i = rayon::current_thread_index().unwrap_or(0) % self.0.len();
        // A thread that panicked holding its scratch left it as it was: runs start afresh
        // from a scratch whatever it holds.
        self.0[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Evaluate a round of fact sets on every core and write their lines in order.
#[allow(clippy::too_many_arguments)]
fn evaluate(
    kb: &KnowledgeBase,
    (sets, pool): (&std::sync::OnceLock<Option<SetProgram>>, &Pool),
    ndjson_name: &str,
    round: &[Input],
    (format, max_bytes): (Option<Format>, usize),
    limits: Limits,
    out: &mut Writer,
    tally: &mut Tally,
) {
    let read = |input: &Input| read_one(kb, ndjson_name, input, (format, max_bytes));
    let sets = (round.len() >= crate::ask::sets::AT_LEAST)
        .then(|| sets.get_or_init(|| SetProgram::of(kb)).as_ref())
        .flatten();
    let lines: Vec<(String, bool, bool)> = round
        .par_chunks(crate::ask::sets::AT_ONCE)
        .map(|chunk| -> Vec<(String, bool, bool)> {
            let mut scratches = pool.mine();
            let scratches = &mut *scratches;
            // The test hook's line panics in a run of its own.
            #[cfg(debug_assertions)]
            let hooked = chunk.iter().any(test_hook_line);
            #[cfg(not(debug_assertions))]
            let hooked = false;
            if sets.is_some() && !hooked {
                // A bug here is no one set's: then they run one by one, each on its own.
                let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let inputs: Vec<_> = chunk.iter().map(|i| (input_of(i), text_of(i))).collect();
                    #[cfg(debug_assertions)]
                    test_hook_sets_panic();
                    let Scratches { one, many } = &mut *scratches;
                    let read_nth = |i: usize| read(&chunk[i]);
                    crate::ask::sets::chunk_lines(
                        kb,
                        sets,
                        (one, many),
                        &inputs,
                        &read_nth,
                        &|| limits,
                    )
                }));
                match caught {
                    Ok(lines) => {
                        return lines
                            .into_iter()
                            .map(|(line, ok)| (line, ok, false))
                            .collect();
                    }
                    Err(_) => *scratches = Scratches::default(),
                }
            }
            chunk
                .iter()
                .map(|input| single(kb, &mut scratches.one, input, &read, limits))
                .collect()
        })
        .flatten_iter()
        .collect();
    for (_, ok, internal) in &lines {
        tally.failed |= !ok;
        tally.internal |= internal;
    }
    out.send(lines);
}

/// One fact set's line, run alone: whether it has results, and whether a bug stopped it.
fn single(
    kb: &KnowledgeBase,
    scratch: &mut Scratch,
    input: &Input,
    read: &(dyn Fn(&Input) -> Result<Vec<InputFact>, String> + Sync),
    limits: Limits,
) -> (String, bool, bool) {
    // A bug in one fact set is that fact set's error, not the batch's end.
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        #[cfg(debug_assertions)]
        test_hook_panic(input);
        match read(input) {
            Ok(facts) => crate::ask::batch_run(kb, scratch, input_of(input), &facts, limits),
            Err(line) => (line, false),
        }
    }));
    match caught {
        Ok((line, ok)) => (line, ok, false),
        Err(panic) => {
            *scratch = Scratch::default();
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let d = Diagnostic::without_span(
                "E0500",
                format!("internal error while evaluating this fact set: {msg}"),
            )
            .with_help("please report this with the input line");
            let line = BatchLine {
                input: input_of(input),
                outputs: None,
                rule_errors: None,
                error: Some(vec![crate::diag::to_wire(&d, &SourceMap::default())]),
            };
            (line.to_json(), false, true)
        }
    }
}

/// Writes each round's lines on a thread of its own, so that the cores evaluate the next
/// round meanwhile (written in turn, they waited for each round's writing: W7 kept 1.75 of
/// its 2 cores busy). At most one round waits to be written.
struct Writer {
    tx: Option<mpsc::SyncSender<Vec<(String, bool, bool)>>>,
    thread: Option<std::thread::JoinHandle<Out>>,
    failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Writer {
    fn new(mut out: Out) -> Writer {
        let (tx, rx) = mpsc::sync_channel::<Vec<(String, bool, bool)>>(1);
        let failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = std::sync::Arc::clone(&failed);
        let thread = std::thread::spawn(move || {
            #[cfg(debug_assertions)]
            let mut written = 0;
            for lines in rx {
                for (l, ..) in &lines {
                    #[cfg(debug_assertions)]
                    {
                        written += 1;
                        test_hook_writer_panic(written);
                    }
                    let _ = out.write_all(l.as_bytes());
                    let _ = out.write_all(b"\n");
                }
                // Answers go out as they are ready (a producer may be waiting for them).
                let _ = out.flush();
                if out.failed() {
                    seen.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            out
        });
        Writer {
            tx: Some(tx),
            thread: Some(thread),
            failed,
        }
    }

    fn send(&mut self, lines: Vec<(String, bool, bool)>) {
        if let Some(tx) = &self.tx {
            if tx.send(lines).is_err() {
                // The writer is gone (a bug): evaluating the rest would be for nothing;
                // `finish` reports it.
                self.failed
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    /// True once a write has failed (standard output closed), or the writer is gone: the
    /// rounds after it are not evaluated.
    fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every round written: the output, to report how writing went.
    fn finish(mut self) -> Result<Out, Failure> {
        self.tx = None;
        self.thread.take().and_then(|t| t.join().ok()).ok_or_else(|| {
            Failure::message(
                Exit::Internal,
                "internal error while writing the answers; some may be missing, please report this with the input",
            )
        })
    }
}

/// A line's text, when it is one that could be read.
fn text_of(input: &Input) -> Option<&str> {
    match input {
        Input::Line { text: Ok(t), .. } => Some(t),
        _ => None,
    }
}

fn input_of(input: &Input) -> BatchInput<'_> {
    match input {
        Input::Line { line, .. } => BatchInput::Line(*line),
        Input::File(p) => BatchInput::File(p),
    }
}

/// Directories give their facts files (sorted); patterns with `*`, `?` or `[` are globs.
pub(super) fn expand(arg: &str) -> Result<Vec<String>, Diagnostic> {
    let path = std::path::Path::new(arg);
    if path.is_dir() {
        let mut v: Vec<String> = std::fs::read_dir(path)
            .map_err(|e| crate::program::io_error(path, &e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && Format::from_name(&p.to_string_lossy()).is_some())
            .map(|p| crate::program::display_path(&p))
            .collect();
        v.sort();
        return Ok(v);
    }
    if arg.contains(['*', '?', '[']) {
        let paths = glob::glob(arg)
            .map_err(|e| Diagnostic::without_span("E0316", format!("bad pattern `{arg}`: {e}")))?;
        let mut v: Vec<String> = paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .map(|p| crate::program::display_path(&p))
            .collect();
        v.sort();
        return Ok(v);
    }
    Ok(vec![arg.to_string()])
}

/// One fact set read and checked: its facts, or the line that reports its errors.
fn read_one(
    kb: &KnowledgeBase,
    ndjson_name: &str,
    input: &Input,
    (format, max_bytes): (Option<Format>, usize),
) -> Result<Vec<InputFact>, String> {
    match input {
        Input::Line { text, line, offset } => {
            let text = match text {
                Ok(text) => LineText::Text(text),
                Err(LineProblem::TooLong(d)) => LineText::Unreadable(d.clone()),
                Err(LineProblem::NotUtf8 { lossy, at, byte }) => LineText::NotUtf8 {
                    lossy,
                    at: *at,
                    byte: *byte,
                },
            };
            let place = LinePlace {
                line: *line,
                offset: *offset,
            };
            crate::ask::batch_read(
                kb,
                input_of(input),
                (ndjson_name, text, Format::Json),
                Some(place),
            )
        }
        Input::File(p) => match super::config::read_facts_input(p, format, max_bytes) {
            Ok((display, text, fmt)) => crate::ask::batch_read(
                kb,
                input_of(input),
                (&display, LineText::Text(&text), fmt),
                None,
            ),
            Err(d) => crate::ask::batch_read(
                kb,
                input_of(input),
                (p, LineText::Unreadable(d), Format::Json),
                None,
            ),
        },
    }
}

/// A test hook, compiled only into debug builds: `BECAUSE_TEST_PANIC_ON_LINE=N` makes the
/// batch's line N panic, as a bug would (tests check that the other lines survive).
#[cfg(debug_assertions)]
fn test_hook_panic(input: &Input) {
    if let (true, Input::Line { line, .. }) = (test_hook_line(input), input) {
        panic!("simulated bug on line {line} (test hook)");
    }
}

/// A test hook, compiled only into debug builds: `BECAUSE_TEST_PANIC_IN_SETS=1` makes every
/// run of many fact sets panic after its lines are read, as a bug in `ask::sets` would
/// (tests check that the sets then run one by one and give the lines they give alone).
#[cfg(debug_assertions)]
fn test_hook_sets_panic() {
    if std::env::var_os("BECAUSE_TEST_PANIC_IN_SETS").is_some() {
        panic!("simulated bug in a run of many fact sets (test hook)");
    }
}

/// A test hook, compiled only into debug builds: `BECAUSE_TEST_WRITER_PANIC_ON_LINE=N` makes
/// the writer thread panic as it is about to write the batch's Nth line, as a bug would
/// (tests check that the lines before it are written and the batch ends with an internal
/// error).
#[cfg(debug_assertions)]
fn test_hook_writer_panic(written: usize) {
    let wanted = std::env::var("BECAUSE_TEST_WRITER_PANIC_ON_LINE").ok();
    if wanted.and_then(|w| w.parse::<usize>().ok()) == Some(written) {
        panic!("simulated bug writing line {written} (test hook)");
    }
}

/// Whether `input` is the line the test hook makes panic.
#[cfg(debug_assertions)]
fn test_hook_line(input: &Input) -> bool {
    let wanted = std::env::var("BECAUSE_TEST_PANIC_ON_LINE").ok();
    matches!(input, Input::Line { line, .. } if wanted.and_then(|w| w.parse::<usize>().ok()) == Some(*line))
}
