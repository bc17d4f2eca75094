//! `POST /api/v1/batch`: NDJSON in, NDJSON out, streamed. Each fact set's line is answered
//! as the command line's batch answers it (`query --format ndjson`, one `wire::BatchLine`
//! per line, in order, errors with their line and byte offset in the whole body). Lines are
//! evaluated as they arrive, a round at a time, on every core; the answers go out before
//! more of the body is read, so memory stays bounded and a client that stops reading the
//! answers stops the batch. A body past `--max-batch-bytes`, or one that stalls for
//! `--read-timeout`, ends the stream with a last line `{"error": [...]}`.

use super::http::{self, ApiError, Reply, StreamBody};
use super::Shared;
use crate::ask::{self, LinePlace, LineText};
use crate::engine::{InputFact, Scratch};
use crate::facts_file::Format;
use crate::wire::BatchInput;
use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, StatusCode};
use rayon::prelude::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Most lines evaluated in one round.
const ROUND: usize = 1024;

pub async fn handle(shared: &Arc<Shared>, req: Request<Incoming>) -> Result<Reply, ApiError> {
    let max = shared.opts.max_batch_bytes;
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    tokio::spawn(pump(Arc::clone(shared), req.into_body(), tx));
    Ok(http::stream(StreamBody(rx), "application/x-ndjson"))
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "E0501",
        format!("the batch is larger than {max} bytes"),
        "split it into several requests, or start the server with a larger --max-batch-bytes",
    )
}

/// A complete line of the body.
struct Line {
    line: usize,
    offset: usize,
    text: Result<String, Problem>,
}

enum Problem {
    TooLong,
    NotUtf8 { lossy: String, at: usize, byte: u8 },
}

/// Cuts the body into lines as its bytes arrive; a line longer than the limit is kept only
/// as "too long".
struct Splitter {
    buf: Vec<u8>,
    max_line: usize,
    line: usize,
    /// The body offset of `buf`'s first byte.
    offset: usize,
    /// Bytes of the current line dropped past the limit.
    dropped: usize,
}

impl Splitter {
    fn push(&mut self, mut data: &[u8], out: &mut Vec<Line>) {
        while let Some(i) = memchr::memchr(b'\n', data) {
            self.take(&data[..i]);
            self.finish(1, out);
            data = &data[i + 1..];
        }
        self.take(data);
    }

    fn take(&mut self, part: &[u8]) {
        let room = (self.max_line + 2).saturating_sub(self.buf.len());
        let keep = part.len().min(room);
        self.buf.extend_from_slice(&part[..keep]);
        self.dropped += part.len() - keep;
    }

    /// The current line is complete (`newline` is 1 when a newline ended it).
    fn finish(&mut self, newline: usize, out: &mut Vec<Line>) {
        self.line += 1;
        let len = self.buf.len() + self.dropped;
        let body = self.buf.strip_suffix(b"\r").unwrap_or(&self.buf);
        let text = if body.len() > self.max_line {
            Some(Err(Problem::TooLong))
        } else {
            match std::str::from_utf8(body) {
                Ok(s) if s.trim().is_empty() => None,
                Ok(s) => Some(Ok(s.to_string())),
                Err(e) => Some(Err(Problem::NotUtf8 {
                    lossy: String::from_utf8_lossy(body).into_owned(),
                    at: e.valid_up_to(),
                    byte: body[e.valid_up_to()],
                })),
            }
        };
        if let Some(text) = text {
            out.push(Line {
                line: self.line,
                offset: self.offset,
                text,
            });
        }
        self.offset += len + newline;
        self.buf.clear();
        self.dropped = 0;
    }
}

/// The last line of a stream that ends early.
fn error_line(e: &ApiError) -> Bytes {
    let mut v = serde_json::to_vec(&serde_json::json!({ "error": e.errors })).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

async fn pump(shared: Arc<Shared>, mut body: Incoming, tx: mpsc::Sender<Bytes>) {
    let rules = shared.rules.current();
    let idle = Duration::from_secs_f64(shared.opts.read_timeout);
    let max = shared.opts.max_batch_bytes;
    let mut split = Splitter {
        buf: Vec::new(),
        max_line: shared.opts.max_line_bytes,
        line: 0,
        offset: 0,
        dropped: 0,
    };
    let mut total = 0usize;
    let mut lines = Vec::new();
    loop {
        let done = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => {
                let _ = tx.send(error_line(&http::slow(idle))).await;
                return;
            }
            Ok(None) => true,
            Ok(Some(Err(e))) => {
                let e = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "E0002",
                    format!("the request body could not be read: {e}"),
                    "send the batch again, complete",
                );
                let _ = tx.send(error_line(&e)).await;
                return;
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    total += data.len();
                    if total > max {
                        let _ = tx.send(error_line(&too_large(max))).await;
                        return;
                    }
                    split.push(&data, &mut lines);
                }
                false
            }
        };
        if done && (!split.buf.is_empty() || split.dropped > 0) {
            split.finish(0, &mut lines);
        }
        while !lines.is_empty() {
            let round: Vec<Line> = lines.drain(..lines.len().min(ROUND)).collect();
            let answered = match evaluate(&shared, &rules, round).await {
                Ok(bytes) => bytes,
                Err(e) => {
                    let _ = tx.send(error_line(&e)).await;
                    return;
                }
            };
            if tx.send(answered).await.is_err() {
                // The client hung up: stop reading and evaluating.
                return;
            }
        }
        if done {
            return;
        }
    }
}

thread_local! {
    /// Each worker thread's scratch stores (for runs of one fact set, and of many), kept
    /// from request to request.
    static SCRATCHES: std::cell::RefCell<(Scratch, Scratch)> = std::cell::RefCell::default();
}

/// A line's text as the batch reads it: its text, or why it has none.
fn line_text<'l>(l: &'l Line, s: &Shared) -> LineText<'l> {
    let max = s.opts.max_line_bytes;
    match &l.text {
        Ok(t) => LineText::Text(t),
        Err(Problem::TooLong) => LineText::Unreadable(
            crate::diag::Diagnostic::without_span(
                "E0317",
                format!("line {} of the batch is larger than {max} bytes", l.line),
            )
            .with_help(
                "a fact set is a few kilobytes; the server was started with --max-facts-bytes",
            ),
        ),
        Err(Problem::NotUtf8 { lossy, at, byte }) => LineText::NotUtf8 {
            lossy,
            at: *at,
            byte: *byte,
        },
    }
}

fn place(l: &Line) -> Option<LinePlace> {
    Some(LinePlace {
        line: l.line,
        offset: l.offset,
    })
}

/// Evaluate a round of lines on every core (one run slot for the round), in order.
async fn evaluate(
    shared: &Arc<Shared>,
    rules: &Arc<super::state::Rules>,
    round: Vec<Line>,
) -> Result<Bytes, ApiError> {
    let permit = shared
        .run_slot("send the rest of the batch again in a moment")
        .await?;
    let (s, r) = (Arc::clone(shared), Arc::clone(rules));
    let result = tokio::task::spawn_blocking(move || {
        let lines: Vec<String> = round
            .par_chunks(ask::sets::AT_ONCE)
            .flat_map_iter(|chunk| {
                let inputs: Vec<(BatchInput<'_>, Option<&str>)> = chunk
                    .iter()
                    .map(|l| (BatchInput::Line(l.line), l.text.as_deref().ok()))
                    .collect();
                let read = |i: usize| -> Result<Vec<InputFact>, String> {
                    let l = &chunk[i];
                    ask::batch_read(
                        &r.kb,
                        BatchInput::Line(l.line),
                        (http::BODY, line_text(l, &s), Format::Json),
                        place(l),
                    )
                };
                SCRATCHES
                    .with_borrow_mut(|(one, many)| {
                        // Each run's deadline counts from its start, as for one fact set.
                        let limits = || s.limits();
                        ask::sets::chunk_lines(
                            &r.kb,
                            r.sets.as_ref(),
                            (one, many),
                            &inputs,
                            &read,
                            &limits,
                        )
                    })
                    .into_iter()
                    .map(|(line, _)| line)
            })
            .collect();
        let mut out = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for l in lines {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        }
        Bytes::from(out)
    })
    .await;
    drop(permit);
    result.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E0500",
            format!("internal error while evaluating the batch: {e}"),
            "please report this with the input",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]], max_line: usize) -> Vec<(usize, usize, String)> {
        let mut s = Splitter {
            buf: Vec::new(),
            max_line,
            line: 0,
            offset: 0,
            dropped: 0,
        };
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        if !s.buf.is_empty() || s.dropped > 0 {
            s.finish(0, &mut out);
        }
        out.into_iter()
            .map(|l| {
                let t = match l.text {
                    Ok(t) => t,
                    Err(Problem::TooLong) => "<too long>".into(),
                    Err(Problem::NotUtf8 { at, .. }) => format!("<not utf-8 at {at}>"),
                };
                (l.line, l.offset, t)
            })
            .collect()
    }

    /// Lines keep their number and byte offset in the whole body, however the body is cut
    /// into frames; blank lines count but give no fact set; long lines are cut, not kept.
    #[test]
    fn lines_keep_their_place_whatever_the_frames() {
        let body = b"{\"a\":1}\n\n{\"b\":2}\r\nxxxxxxxxxxxx\n\xff\nlast";
        let want = vec![
            (1, 0, "{\"a\":1}".to_string()),
            (3, 9, "{\"b\":2}".to_string()),
            (4, 18, "<too long>".to_string()),
            (5, 31, "<not utf-8 at 0>".to_string()),
            (6, 33, "last".to_string()),
        ];
        assert_eq!(split(&[body], 10), want);
        for cut in 1..body.len() {
            let (a, b) = body.split_at(cut);
            assert_eq!(split(&[a, b], 10), want, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(split(&bytes, 10), want);
    }
}
