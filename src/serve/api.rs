//! The routes: the JSON API under `/api/v1/`, the consult page at `/`. Every answer has
//! the shape the command line's `--format json` gives; every error is `{"error":
//! [diagnostics]}` with a 4xx or 5xx status (`docs/openapi.json` lists them).

use super::http::{self, ApiError, BodyLimits, Reply, BODY};
use super::state::Rules;
use super::{log, Shared};
use crate::ask;
use crate::engine::eval::Limits;
use crate::explain::how::HowOptions;
use crate::explain::render;
use crate::facts_file::Format;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW};
use hyper::{Request, StatusCode};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The routes: path, methods.
const ROUTES: [(&str, &str); 12] = [
    ("/", "GET"),
    ("/app.js", "GET"),
    ("/style.css", "GET"),
    ("/api/v1/health", "GET"),
    ("/api/v1/questions", "GET"),
    ("/api/v1/openapi.json", "GET"),
    ("/api/v1/query", "POST"),
    ("/api/v1/explain", "POST"),
    ("/api/v1/why-not", "POST"),
    ("/api/v1/consult", "POST"),
    ("/api/v1/batch", "POST"),
    ("/api/v1/facts-file", "POST"),
];

/// Answer one request, and log it.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>, remote: SocketAddr) -> Reply {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let origin = req.headers().get(hyper::header::ORIGIN).cloned();
    let preflight = method == hyper::Method::OPTIONS
        && origin
            .as_ref()
            .is_some_and(|o| allowed_origin(&shared.opts.cors, o));
    let result = if preflight {
        // A browser asking whether a page elsewhere may call the API (--cors).
        let mut r = http::text(StatusCode::NO_CONTENT, String::new(), "text/plain");
        let h = r.headers_mut();
        h.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            "access-control-allow-headers",
            HeaderValue::from_static("content-type"),
        );
        h.insert("access-control-max-age", HeaderValue::from_static("600"));
        Ok(r)
    } else {
        route(&shared, req).await
    };
    let mut reply = match result {
        Ok(r) => r,
        Err(e) => {
            let mut r = e.reply();
            if e.status == StatusCode::METHOD_NOT_ALLOWED {
                if let Some((_, m)) = ROUTES.iter().find(|(p, _)| *p == path) {
                    r.headers_mut().insert(ALLOW, HeaderValue::from_static(m));
                }
            }
            if e.status == StatusCode::SERVICE_UNAVAILABLE {
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
            }
            r
        }
    };
    let h = reply.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    if let Some(o) = origin.filter(|o| allowed_origin(&shared.opts.cors, o)) {
        h.insert("access-control-allow-origin", o);
        h.insert("vary", HeaderValue::from_static("origin"));
    }
    log(serde_json::json!({
        "event": "request",
        "ts": super::state::now(),
        "remote": remote.to_string(),
        "method": method.as_str(),
        "path": path,
        "status": reply.status().as_u16(),
        "ms": (start.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
    }));
    reply
}

fn allowed_origin(cors: &[String], origin: &HeaderValue) -> bool {
    let Ok(o) = origin.to_str() else { return false };
    cors.iter().any(|c| c == "*" || c == o)
}

/// The query string's parameters.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: Option<&str>, allowed: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for (k, _) in &pairs {
            if !allowed.contains(&k.as_str()) {
                let help = match crate::diag::suggest(k, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if allowed.is_empty() => "this endpoint takes no parameters".into(),
                    None => format!("the parameters are {}", allowed.join(", ")),
                };
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "E0316",
                    format!("`{k}` is not a parameter of this endpoint"),
                    &help,
                ));
            }
        }
        Ok(Params(pairs))
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn required(&self, k: &str, example: &str) -> Result<String, ApiError> {
        self.get(k).map(str::to_string).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "E0316",
                format!("the parameter `{k}` is missing"),
                &format!("for example ?{k}={example}"),
            )
        })
    }

    fn flag(&self, k: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(k) {
            None => Ok(default),
            Some("true" | "1" | "yes" | "") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(v) => Err(bad_value(k, v, "true or false")),
        }
    }

    fn number(&self, k: &str) -> Result<Option<usize>, ApiError> {
        self.get(k)
            .map(|v| v.parse().map_err(|_| bad_value(k, v, "a whole number")))
            .transpose()
    }

    fn one_of<'a>(&self, k: &str, choices: &[&'a str]) -> Result<&'a str, ApiError> {
        match self.get(k) {
            None => Ok(choices[0]),
            Some(v) => choices
                .iter()
                .find(|c| **c == v)
                .copied()
                .ok_or_else(|| bad_value(k, v, &choices.join(", "))),
        }
    }
}

fn bad_value(k: &str, v: &str, expected: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "E0316",
        format!("`{v}` is not a value of `{k}`"),
        &format!("give {expected}"),
    )
}

async fn route(shared: &Arc<Shared>, req: Request<Incoming>) -> Result<Reply, ApiError> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let method = req.method().clone();
    let Some((_, allowed)) = ROUTES.iter().find(|(p, _)| *p == path) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "E0504",
            format!("there is nothing at `{path}`"),
            "the API is under /api/v1/ (its description: /api/v1/openapi.json); the consult page is at /",
        ));
    };
    if method.as_str() != *allowed {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "E0504",
            format!("`{path}` does not take {method}"),
            &format!("use {allowed}"),
        ));
    }
    let q = query.as_deref();
    match path.as_str() {
        "/" => Ok(super::assets::page("index.html")),
        "/app.js" => Ok(super::assets::page("app.js")),
        "/style.css" => Ok(super::assets::page("style.css")),
        "/api/v1/openapi.json" => Ok(http::text(
            StatusCode::OK,
            super::assets::OPENAPI.to_string(),
            "application/json",
        )),
        "/api/v1/health" => {
            Params::parse(q, &[])?;
            let rules = shared.rules.current();
            Ok(http::json(
                StatusCode::OK,
                &serde_json::json!({
                    "status": "ok",
                    "generation": rules.generation,
                    "loaded_at": rules.loaded_at,
                    "rules": rules.kb.rule_count(),
                    "runs_in_flight": shared.in_flight.load(Ordering::Relaxed),
                }),
            ))
        }
        "/api/v1/questions" => {
            Params::parse(q, &[])?;
            Ok(http::json(
                StatusCode::OK,
                &shared.rules.current().kb.question_list(),
            ))
        }
        "/api/v1/batch" => {
            Params::parse(q, &[])?;
            super::batch::handle(shared, req).await
        }
        _ => {
            let p = match path.as_str() {
                "/api/v1/query" => Params::parse(q, &["what_if", "explain", "all", "depth"])?,
                "/api/v1/explain" => {
                    Params::parse(q, &["fact", "over", "what_if", "format", "all", "depth"])?
                }
                "/api/v1/why-not" => Params::parse(q, &["fact", "what_if", "format", "depth"])?,
                "/api/v1/consult" => Params::parse(q, &["skipped"])?,
                _ => Params::parse(q, &["format"])?,
            };
            let limits = BodyLimits {
                max_bytes: shared.opts.max_body_bytes,
                timeout: Duration::from_secs_f64(shared.opts.read_timeout),
            };
            let (parts, body) = req.into_parts();
            let text = http::read_text(&parts.headers, body, limits).await?;
            let path2 = path.clone();
            run_blocking(shared, move |rules, limits| {
                answer(&path2, &p, rules, &text, limits)
            })
            .await
        }
    }
}

/// Run `f` on the blocking pool, once a run slot is free (503 after `--queue-timeout`).
async fn run_blocking<F>(shared: &Arc<Shared>, f: F) -> Result<Reply, ApiError>
where
    F: FnOnce(&Rules, Limits) -> Result<Reply, ApiError> + Send + 'static,
{
    let permit = shared
        .run_slot("try again in a moment (the server was started with --max-concurrent-runs)")
        .await?;
    let rules = shared.rules.current();
    let limits = shared.limits();
    shared.in_flight.fetch_add(1, Ordering::Relaxed);
    let result = tokio::task::spawn_blocking(move || f(&rules, limits)).await;
    shared.in_flight.fetch_sub(1, Ordering::Relaxed);
    drop(permit);
    result.unwrap_or_else(|e| {
        Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E0500",
            format!("internal error while answering: {e}"),
            "please report this with the request",
        ))
    })
}

fn problem(mut p: ask::Problem) -> ApiError {
    if p.kind == ask::ProblemKind::NotConcluded {
        // Over HTTP, the next question to ask is a route, not a command.
        for d in &mut p.diagnostics {
            d.help = Some("ask POST /api/v1/why-not with the same facts and fact".into());
        }
    }
    ApiError::from_problem(&p)
}

/// The answer to a POST whose body is a facts object.
fn answer(
    path: &str,
    p: &Params,
    rules: &Rules,
    text: &str,
    limits: Limits,
) -> Result<Reply, ApiError> {
    let kb = &rules.kb;
    let facts = ask::read_facts(kb, BODY, text, Format::Json).map_err(problem)?;
    let how = |p: &Params| -> Result<HowOptions, ApiError> {
        Ok(HowOptions {
            all: p.flag("all", false)?,
            depth: p.number("depth")?,
        })
    };
    match path {
        "/api/v1/query" => {
            let changes = p.all("what_if");
            if !changes.is_empty() {
                let d = ask::what_if(kb, &facts, &changes, limits).map_err(problem)?;
                return Ok(http::json(StatusCode::OK, &d));
            }
            let opts = p.flag("explain", false)?.then(|| how(p)).transpose()?;
            let g = ask::run(kb, &facts, limits).map_err(problem)?;
            Ok(http::json(
                StatusCode::OK,
                &crate::explain::query::query(&g, opts, None),
            ))
        }
        "/api/v1/explain" => {
            let fact = p.required("fact", "recommend(flask)")?;
            let format = p.one_of("format", &["json", "text", "dot", "svg"])?;
            let mut g = ask::run(kb, &facts, limits).map_err(problem)?;
            if let Some(over) = p.get("over") {
                let what_if = p.flag("what_if", true)?.then_some(limits);
                let c = ask::contrast(&mut g, &facts, &fact, over, what_if.as_ref())
                    .map_err(problem)?;
                return match format {
                    "text" => Ok(plain(render::text::contrast(&c, STYLE))),
                    "dot" => Ok(dot(render::dot::contrast_graph(&c))),
                    "svg" => svg(render::svg::contrast(&c)),
                    _ => Ok(http::json(StatusCode::OK, &c)),
                };
            }
            let trees = ask::explain(&mut g, &fact, how(p)?).map_err(problem)?;
            let refs: Vec<_> = trees.iter().collect();
            match format {
                "text" => Ok(plain(
                    trees
                        .iter()
                        .map(|t| render::text::how(t, STYLE))
                        .collect::<Vec<_>>()
                        .join("\n"),
                )),
                "dot" => Ok(dot(render::dot::how_graph(&refs))),
                "svg" => svg(render::svg::how(&refs)),
                _ if trees.len() == 1 => Ok(http::json(StatusCode::OK, &trees[0])),
                _ => Ok(http::json(StatusCode::OK, &trees)),
            }
        }
        "/api/v1/why-not" => {
            let fact = p.required("fact", "recommend(rails)")?;
            let format = p.one_of("format", &["json", "text"])?;
            let what_if = p.flag("what_if", true)?.then_some(limits);
            let mut g = ask::run(kb, &facts, limits).map_err(problem)?;
            let depth = p.number("depth")?.unwrap_or(1);
            let w =
                ask::why_not(&mut g, &facts, &fact, depth, what_if.as_ref()).map_err(problem)?;
            Ok(match format {
                "text" => plain(render::text::why_not(&w, STYLE)),
                _ => http::json(StatusCode::OK, &w),
            })
        }
        "/api/v1/consult" => super::consult::next(kb, facts, &p.all("skipped")),
        _ => {
            let format = p.one_of("format", &["json", "toml", "native"])?;
            super::consult::facts_file(kb, &facts, format)
        }
    }
}

const STYLE: render::text::Style = render::text::Style {
    verbose: false,
    color: false,
    show_all: "add all=true to the request",
};

fn plain(s: String) -> Reply {
    http::text(StatusCode::OK, s, "text/plain; charset=utf-8")
}

fn dot(s: String) -> Reply {
    http::text(StatusCode::OK, s, "text/vnd.graphviz; charset=utf-8")
}

fn svg(r: Result<String, render::svg::TooLarge>) -> Result<Reply, ApiError> {
    match r {
        Ok(s) => Ok(http::text(StatusCode::OK, s, "image/svg+xml")),
        Err(e) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "E0406",
            format!(
                "the picture would have {} or more boxes, more than {} can be laid out readably",
                e.nodes,
                render::svg::MAX_NODES
            ),
            "cut the tree with depth=N, or ask for format=dot",
        )),
    }
}
