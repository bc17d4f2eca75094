//! The consult page's files (`web/`), and the API's OpenAPI description (`docs/`), built
//! into the binary: the server works offline and from any directory.

use super::http::{self, Reply};
use hyper::header::HeaderValue;
use hyper::StatusCode;

pub const OPENAPI: &str = include_str!("../../docs/openapi.json");

/// A file of the page, with its type and a policy that lets it load only its own files.
pub fn page(name: &str) -> Reply {
    let (text, ty) = match name {
        "app.js" => (
            include_str!("../../web/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "style.css" => (
            include_str!("../../web/style.css"),
            "text/css; charset=utf-8",
        ),
        _ => (
            include_str!("../../web/index.html"),
            "text/html; charset=utf-8",
        ),
    };
    let mut r = http::text(StatusCode::OK, text.to_string(), ty);
    r.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    r
}
