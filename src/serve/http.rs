//! HTTP plumbing: responses (JSON, text, errors as diagnostics), request bodies read within
//! their size and time limits, and a response body fed line by line from a channel.

use crate::wire;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use std::time::Duration;

/// The name diagnostics give the request body.
pub const BODY: &str = "<request body>";

/// A response body: whole, or streamed from a channel (the batch).
pub enum Body {
    Full(Full<Bytes>),
    Stream(StreamBody),
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Body::Full(b) => std::pin::Pin::new(b).poll_frame(cx),
            Body::Stream(c) => c.poll_next(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            Body::Full(b) => b.size_hint(),
            Body::Stream(_) => hyper::body::SizeHint::default(),
        }
    }
}

/// Chunks of a streamed body, as a producer sends them; the body ends when it hangs up.
pub struct StreamBody(pub tokio::sync::mpsc::Receiver<Bytes>);

impl StreamBody {
    fn poll_next(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Bytes>> {
        self.0.poll_recv(cx)
    }
}

pub type Reply = Response<Body>;

fn with_type(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Reply {
    let mut r = Response::new(Body::Full(Full::new(Bytes::from(body))));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A JSON answer (compact; one line with a final newline, as `--format json` without
/// indentation).
pub fn json<T: serde::Serialize>(status: StatusCode, v: &T) -> Reply {
    let mut body = serde_json::to_vec(v).unwrap_or_default();
    body.push(b'\n');
    with_type(status, body, "application/json")
}

pub fn text(status: StatusCode, s: String, content_type: &'static str) -> Reply {
    with_type(status, s.into_bytes(), content_type)
}

/// A streamed answer.
pub fn stream(chunks: StreamBody, content_type: &'static str) -> Reply {
    let mut r = Response::new(Body::Stream(chunks));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A failed request: its status and diagnostics (the `--error-format json` shape).
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub errors: Vec<wire::Diagnostic>,
}

/// The body of every error response.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    error: &'a [wire::Diagnostic],
}

impl ApiError {
    /// One diagnostic with no place in the request body.
    pub fn new(status: StatusCode, code: &'static str, message: String, help: &str) -> ApiError {
        let d = crate::diag::Diagnostic::without_span(code, message).with_help(help.to_string());
        ApiError {
            status,
            errors: vec![crate::diag::to_wire(&d, &crate::span::SourceMap::default())],
        }
    }

    pub fn reply(&self) -> Reply {
        json(
            self.status,
            &ErrorBody {
                error: &self.errors,
            },
        )
    }

    /// The status a problem from the library answers with.
    pub fn from_problem(p: &crate::ask::Problem) -> ApiError {
        use crate::ask::ProblemKind;
        let status = match p.kind {
            ProblemKind::Usage | ProblemKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::NotConcluded => StatusCode::NOT_FOUND,
            ProblemKind::Limit => StatusCode::UNPROCESSABLE_ENTITY,
        };
        // Bad JSON is a malformed request (400); facts that parse but mean nothing to these
        // rules are unprocessable (422).
        let syntax = p
            .diagnostics
            .iter()
            .any(|d| d.is_error() && SYNTAX_CODES.contains(&d.code));
        ApiError {
            status: if syntax {
                StatusCode::BAD_REQUEST
            } else {
                status
            },
            errors: p.wire(),
        }
    }
}

/// Diagnostic codes of a request body that is not well-formed JSON (or not text).
const SYNTAX_CODES: [&str; 2] = ["E0002", "E0301"];

/// The limits on reading a request body.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    /// The whole body must arrive within this time.
    pub timeout: Duration,
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "E0501",
        format!("the request body is larger than {max} bytes"),
        "a set of answers is a few kilobytes; send many sets to /api/v1/batch, one per line, or start the server with a larger --max-body-bytes",
    )
}

pub fn slow(timeout: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "E0503",
        format!(
            "the request body did not arrive within {} s",
            timeout.as_secs_f64()
        ),
        "send the whole body at once; the server does not wait for slow clients",
    )
}

/// Read a whole request body within `limits`, as UTF-8 text.
pub async fn read_text(
    headers: &hyper::HeaderMap,
    body: Incoming,
    limits: BodyLimits,
) -> Result<String, ApiError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes as u64) {
        return Err(too_large(limits.max_bytes));
    }
    let limited = http_body_util::Limited::new(body, limits.max_bytes);
    let collected = match tokio::time::timeout(limits.timeout, limited.collect()).await {
        Err(_) => return Err(slow(limits.timeout)),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(too_large(limits.max_bytes))
        }
        Ok(Err(e)) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "E0002",
                format!("the request body could not be read: {e}"),
                "send the body again, complete",
            ))
        }
        Ok(Ok(c)) => c.to_bytes(),
    };
    String::from_utf8(collected.to_vec()).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0002",
            format!("the request body is not UTF-8: byte {at} is not text"),
            "send JSON text in UTF-8",
        )
    })
}
