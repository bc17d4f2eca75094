//! `because serve`: the knowledge base over HTTP: a JSON API (`api`) and a consult page
//! (`assets`), on hyper and tokio.
//!
//! One accept loop hands each connection to hyper's HTTP/1.1 server with a header read
//! timeout (slow clients are dropped); connections past `--max-connections` get a 503 at
//! once instead of waiting in the backlog. Runs are CPU work: they go to tokio's blocking
//! pool, at most `--max-concurrent-runs` at a time, each under the engine's own limits
//! (facts, derivations, time). SIGTERM and Ctrl-C stop accepting and let requests in flight
//! finish (up to `--grace` seconds); SIGHUP, or a change to the rule files under `--watch`,
//! reloads the rules, and new rules with errors leave the old ones serving. Every request is
//! logged to standard error as one JSON line.

mod api;
mod assets;
mod batch;
mod consult;
mod http;
mod state;

use crate::engine::eval::Limits;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Everything `because serve` is started with.
#[derive(Debug, Clone)]
pub struct Options {
    pub addr: String,
    pub rules: Vec<PathBuf>,
    pub max_rules_bytes: usize,
    /// Largest request body, other than a batch's.
    pub max_body_bytes: usize,
    /// Largest batch request body (it is streamed; each line is at most `max_line_bytes`).
    pub max_batch_bytes: usize,
    pub max_line_bytes: usize,
    pub max_facts: usize,
    pub max_derivations: usize,
    /// Seconds per run.
    pub run_timeout: f64,
    pub max_concurrent_runs: usize,
    pub max_connections: usize,
    /// Seconds a client has to send its headers, and its body.
    pub read_timeout: f64,
    /// Seconds a request waits for a free run slot before a 503.
    pub queue_timeout: f64,
    /// Seconds requests in flight get to finish at shutdown.
    pub grace: f64,
    pub watch: bool,
    /// Origins allowed to call the API from a browser (`*` for any); none by default.
    pub cors: Vec<String>,
}

/// What every request handler shares.
pub(crate) struct Shared {
    pub rules: state::RuleSource,
    pub opts: Options,
    pub runs: Semaphore,
    pub in_flight: AtomicUsize,
}

impl Shared {
    /// A run slot, once one is free; 503 (E0502) after `--queue-timeout`.
    pub async fn run_slot(
        &self,
        help: &str,
    ) -> Result<tokio::sync::SemaphorePermit<'_>, http::ApiError> {
        let wait = Duration::from_secs_f64(self.opts.queue_timeout);
        match tokio::time::timeout(wait, self.runs.acquire()).await {
            Ok(Ok(p)) => Ok(p),
            _ => Err(http::ApiError::new(
                hyper::StatusCode::SERVICE_UNAVAILABLE,
                "E0502",
                format!(
                    "every run slot ({}) stayed busy for {} s",
                    self.opts.max_concurrent_runs,
                    wait.as_secs_f64()
                ),
                help,
            )),
        }
    }

    pub fn limits(&self) -> Limits {
        run_limits(&self.opts)
    }
}

/// What one run may take, from now.
pub(crate) fn run_limits(opts: &Options) -> Limits {
    Limits {
        max_facts: opts.max_facts,
        max_derivations: opts.max_derivations,
        deadline: Some(std::time::Instant::now() + Duration::from_secs_f64(opts.run_timeout)),
        timeout_secs: opts.run_timeout,
    }
}

/// One line of the server's log (standard error, JSON).
pub(crate) fn log(event: serde_json::Value) {
    use std::io::Write;
    let mut line = serde_json::to_vec(&event).unwrap_or_default();
    line.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&line);
}

/// Start the server and serve until SIGTERM or Ctrl-C. Errors: the rules do not load, the
/// address cannot be bound.
pub fn run(opts: Options) -> Result<(), String> {
    let rules = state::RuleSource::open(&opts)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("because-serve")
        .build()
        .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    let shared = Arc::new(Shared {
        rules,
        runs: Semaphore::new(opts.max_concurrent_runs.max(1)),
        in_flight: AtomicUsize::new(0),
        opts,
    });
    runtime.block_on(serve(shared))
}

async fn serve(shared: Arc<Shared>) -> Result<(), String> {
    let addr = &shared.opts.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let current = shared.rules.current();
    log(serde_json::json!({
        "event": "listening",
        "addr": local.to_string(),
        "url": format!("http://{local}/"),
        "rules": current.kb.rule_count(),
        "generation": current.generation,
    }));
    drop(current);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(AtomicUsize::new(0));
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    tokio::spawn(reloads(Arc::clone(&shared)));
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, then go on.
                    log(serde_json::json!({"event": "accept_error", "error": e.to_string()}));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        if connections.load(Ordering::Relaxed) >= shared.opts.max_connections {
            tokio::spawn(refuse(stream));
            continue;
        }
        connections.fetch_add(1, Ordering::Relaxed);
        let for_service = Arc::clone(&shared);
        let conn_count = Arc::clone(&connections);
        let service = hyper::service::service_fn(move |req| {
            let shared = Arc::clone(&for_service);
            async move { Ok::<_, std::convert::Infallible>(api::handle(shared, req, remote).await) }
        });
        let read_timeout = Duration::from_secs_f64(shared.opts.read_timeout);
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            conn_count.fetch_sub(1, Ordering::Relaxed);
        });
    }
    drop(listener);
    let grace = Duration::from_secs_f64(shared.opts.grace);
    log(serde_json::json!({"event": "shutting_down", "grace_seconds": grace.as_secs_f64()}));
    let finished = tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_ok();
    log(serde_json::json!({"event": "stopped", "in_flight_finished": finished}));
    Ok(())
}

/// A connection past `--max-connections`: a 503 and the connection closed, without reading
/// the request.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let body = br#"{"error":[{"severity":"error","code":"E0502","message":"the server has too many open connections","file":null,"line":null,"column":null,"end_line":null,"end_column":null,"byte_start":null,"byte_end":null,"label":"","help":"try again in a moment"}]}"#;
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len() + 1
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        stream.write_all(b"\n").await?;
        stream.shutdown().await
    })
    .await;
}

/// SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        match term {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Reload the rules on SIGHUP, and with `--watch` when a rule file changes.
async fn reloads(shared: Arc<Shared>) {
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut stamp = shared.rules.stamp();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        #[cfg(unix)]
        let why = tokio::select! {
            Some(()) = async { match hup.as_mut() { Some(h) => h.recv().await, None => std::future::pending().await } } => "SIGHUP",
            _ = tick.tick() => "watch",
        };
        #[cfg(not(unix))]
        let why = {
            tick.tick().await;
            "watch"
        };
        if why == "watch" {
            if !shared.opts.watch {
                continue;
            }
            let now = shared.rules.stamp();
            if now == stamp {
                continue;
            }
            stamp = now;
        }
        let s = Arc::clone(&shared);
        let result = tokio::task::spawn_blocking(move || s.rules.reload()).await;
        match result {
            Ok(Ok(generation)) => log(serde_json::json!({
                "event": "reloaded", "trigger": why, "generation": generation,
                "rules": shared.rules.current().kb.rule_count(),
            })),
            Ok(Err(errors)) => log(serde_json::json!({
                "event": "reload_failed", "trigger": why,
                "kept_generation": shared.rules.current().generation,
                "errors": errors,
            })),
            Err(e) => log(
                serde_json::json!({"event": "reload_failed", "trigger": why, "errors": e.to_string()}),
            ),
        }
    }
}
