//! `because serve` against a real server on a loopback port: every endpoint gives what the
//! command line gives for the same question; every error class has its status and
//! diagnostic (snapshotted); hostile clients get errors or are dropped, and the server
//! answers a health check during and after; reload, graceful shutdown and CORS.
//!
//! The client is a few lines over `TcpStream` (HTTP/1.1, `connection: close`), so a test can
//! also send what no well-behaved client library would: a truncated body, headers byte by
//! byte, hundreds of idle connections.

use crate::common;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
    log: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
}

impl Server {
    fn start(global: &[&str]) -> Server {
        Server::start_with(global, &[])
    }

    /// With global options (before `serve`) and the server's own.
    fn start_with(global: &[&str], own: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_because"))
            .args(global)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(own)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start because serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server logs where it listens");
        let v: Value = serde_json::from_str(&first).expect("a JSON log line");
        assert_eq!(v["event"], "listening", "{first}");
        Server {
            child,
            addr: v["addr"].as_str().expect("addr").to_string(),
            log: std::sync::Mutex::new(rx),
        }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        s
    }

    /// Send one request; the status, the headers (lower-case names) and the body.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut s = self.connect();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).expect("write");
        s.write_all(body).expect("write body");
        read_reply(&mut s)
    }

    fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], b"")
    }

    fn post(&self, path: &str, body: &str) -> Reply {
        self.send("POST", path, &[], body.as_bytes())
    }

    /// The log lines so far.
    fn log_lines(&self) -> Vec<String> {
        self.log.lock().expect("log").try_iter().collect()
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The status and the error body, pretty, for a snapshot.
    fn shown(&self) -> String {
        format!(
            "{}\n{}",
            self.status,
            serde_json::to_string_pretty(&self.json()).expect("JSON")
        )
    }
}

fn read_reply(s: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        unchunk(body)
    } else {
        body.to_string()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn unchunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// The CLI's JSON for the same question; the facts file it reads is named as the server
/// names the request body.
fn cli_json(args: &[&str]) -> Value {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (code, out, err) = common::run_because(&args, None, &[]);
    assert!(code == 0 || code == 5, "{args:?}: exit {code}: {err}");
    let out = match args.iter().position(|a| a == "--facts") {
        Some(i) => out.replace(args[i + 1].as_str(), "<request body>"),
        None => out,
    };
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// A scenario's facts as a JSON facts object (TOML scenarios converted).
fn scenario_json(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).expect("scenario");
    if path.extension().is_some_and(|e| e == "json") {
        return text;
    }
    fn value(v: &toml_edit::Value) -> Value {
        match v {
            toml_edit::Value::String(s) => Value::from(s.value().as_str()),
            toml_edit::Value::Integer(i) => Value::from(*i.value()),
            toml_edit::Value::Float(f) => Value::from(*f.value()),
            toml_edit::Value::Boolean(b) => Value::from(*b.value()),
            toml_edit::Value::Array(a) => Value::Array(a.iter().map(value).collect()),
            toml_edit::Value::InlineTable(t) => {
                Value::Object(t.iter().map(|(k, v)| (k.to_string(), value(v))).collect())
            }
            other => panic!("unexpected TOML value {other:?}"),
        }
    }
    let doc: toml_edit::DocumentMut = text.parse().expect("TOML");
    let obj: serde_json::Map<String, Value> = doc
        .iter()
        .map(|(k, item)| (k.to_string(), value(item.as_value().expect("a value"))))
        .collect();
    Value::Object(obj).to_string()
}

fn scenarios() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir("rules/tests/facts")
        .expect("scenarios")
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every scenario's answer over HTTP is the CLI's, value for value; explanations, why-not,
/// contrast and what-if too; questions, health, the page, OpenAPI, the facts file, consult.
#[test]
fn every_endpoint_answers_as_the_command_line_does() {
    let s = Server::start(&[]);
    let list = scenarios();
    assert!(list.len() >= 33, "{} scenarios", list.len());
    for path in &list {
        let p = path.to_str().expect("path");
        let r = s.post("/api/v1/query", &scenario_json(path));
        assert_eq!(r.status, 200, "{p}: {}", r.body);
        assert_eq!(
            r.json(),
            cli_json(&["query", "--facts", p, "--format", "json"]),
            "{p}"
        );
    }
    let f = "examples/python-startup.json";
    let facts = std::fs::read_to_string(f).expect("facts");
    let r = s.post("/api/v1/explain?fact=recommend(flask)", &facts);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        cli_json(&[
            "explain",
            "recommend(flask)",
            "--facts",
            f,
            "--format",
            "json"
        ])
    );
    let text = s.post("/api/v1/explain?fact=recommend(flask)&format=text", &facts);
    assert!(text.body.contains("certainty"), "{}", text.body);
    // Derivations not shown are asked for the server's way, not the command line's.
    assert!(
        text.body.contains("not shown; add all=true to the request")
            && !text.body.contains("--all"),
        "{}",
        text.body
    );
    let every = s.post(
        "/api/v1/explain?fact=recommend(flask)&format=text&all=true",
        &facts,
    );
    assert_eq!(every.status, 200, "{}", every.body);
    assert!(
        !every.body.contains("not shown") && every.body.contains("certainty"),
        "{}",
        every.body
    );
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let svg = s.post("/api/v1/explain?fact=recommend(flask)&format=svg", &facts);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert!(svg.body.starts_with("<svg") || svg.body.starts_with("<?xml"));
    let r = s.post(
        "/api/v1/explain?fact=recommend(flask)&over=recommend(django)",
        &facts,
    );
    assert_eq!(
        r.json(),
        cli_json(&[
            "explain",
            "recommend(flask)",
            "--over",
            "recommend(django)",
            "--facts",
            f,
            "--format",
            "json"
        ])
    );
    let r = s.post("/api/v1/why-not?fact=recommend(rails)", &facts);
    assert_eq!(
        r.json(),
        cli_json(&[
            "why-not",
            "recommend(rails)",
            "--facts",
            f,
            "--format",
            "json"
        ])
    );
    let r = s.post(
        &format!("/api/v1/query?what_if={}", enc("database=relational")),
        &facts,
    );
    assert_eq!(
        r.json(),
        cli_json(&[
            "query",
            "--facts",
            f,
            "--what-if",
            "database=relational",
            "--format",
            "json"
        ])
    );
    assert_eq!(
        s.get("/api/v1/questions").json(),
        cli_json(&["questions", "--format", "json"])
    );
    let h = s.get("/api/v1/health").json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["generation"], 1);
    let page = s.get("/");
    assert!(page.body.contains("app.js"), "{}", page.body);
    assert!(page
        .header("content-security-policy")
        .is_some_and(|c| c.contains("default-src 'self'")));
    for asset in ["/app.js", "/style.css"] {
        assert_eq!(s.get(asset).status, 200);
    }
    // The OpenAPI document names every route the server has.
    let api = s.get("/api/v1/openapi.json").json();
    for route in [
        "/api/v1/health",
        "/api/v1/questions",
        "/api/v1/query",
        "/api/v1/explain",
        "/api/v1/why-not",
        "/api/v1/consult",
        "/api/v1/batch",
        "/api/v1/facts-file",
    ] {
        assert!(api["paths"].get(route).is_some(), "{route} not in openapi");
    }
    // Consult: the first question with no answers; none left for a full scenario.
    let c = s.post("/api/v1/consult", "{}").json();
    assert_eq!(c["next"]["name"], "language", "{c}");
    assert!(c["why"][0]["sentence"].as_str().is_some(), "{c}");
    let c = s
        .post("/api/v1/consult?skipped=language,project_size", "{}")
        .json();
    assert_ne!(c["next"]["name"], "language");
    assert_ne!(c["next"]["name"], "project_size");
    // The facts file says what the body said.
    let saved = s.post("/api/v1/facts-file?format=toml", &facts);
    assert_eq!(saved.status, 200);
    assert!(
        saved.body.contains("language = [\"python\"]"),
        "{}",
        saved.body
    );
}

/// The batch over HTTP is the CLI's batch, line for line (its place names aside).
#[test]
fn the_batch_streams_the_command_lines_lines() {
    let s = Server::start(&[]);
    let mut lines: Vec<String> = scenarios()
        .iter()
        .map(|p| scenario_json(p).replace('\n', " "))
        .collect();
    lines.insert(3, "{\"languag\": [\"python\"]}".into());
    lines.insert(5, String::new());
    lines.insert(7, "{\"language\": [\"python\"".into());
    lines.push("\u{1}not json".into());
    let body = lines.join("\n") + "\n";
    let r = s.post("/api/v1/batch", &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("batch.ndjson");
    std::fs::write(&file, &body).expect("write");
    let args: Vec<String> = [
        "query",
        "--facts-ndjson",
        file.to_str().expect("path"),
        "--format",
        "ndjson",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (_, cli, _) = common::run_because(&args, None, &[]);
    let cli = cli.replace(
        &format!("\"file\":\"{}\"", file.to_str().expect("path")),
        "\"file\":\"<request body>\"",
    );
    assert_eq!(r.body, cli);
    assert_eq!(r.body.lines().count(), lines.len() - 1);
}

/// Each class of bad request: its status and diagnostic, with the place in the body and a
/// suggestion.
#[test]
fn every_error_class_has_its_status_and_diagnostic() {
    let s = Server::start(&[]);
    let limited = Server::start(&["--max-facts", "40"]);
    let cases: Vec<(&str, Reply)> = vec![
        (
            "bad_json",
            s.post("/api/v1/query", "{\n  \"language\": [\"python\",]\n}"),
        ),
        (
            "unknown_question",
            s.post("/api/v1/query", "{\"languages\": [\"python\"]}"),
        ),
        (
            "value_not_allowed",
            s.post("/api/v1/query", "{\"language\": [\"pyton\"]}"),
        ),
        ("body_too_large", {
            // Announced past the limit: answered before the body is read.
            let mut c = s.connect();
            c.write_all(
                b"POST /api/v1/query HTTP/1.1\r\nhost: x\r\ncontent-length: 1048577\r\n\r\n{",
            )
            .expect("write");
            read_reply(&mut c)
        }),
        (
            "limit_reached",
            limited.post("/api/v1/query", "{\"language\": [\"python\"]}"),
        ),
        ("unknown_path", s.get("/api/v2/query")),
        ("wrong_method", s.get("/api/v1/query")),
        (
            "unknown_parameter",
            s.post("/api/v1/query?explan=true", "{}"),
        ),
        ("missing_fact", s.post("/api/v1/explain", "{}")),
        ("bad_fact", s.post("/api/v1/explain?fact=recommend(", "{}")),
        (
            "unknown_skipped",
            s.post("/api/v1/consult?skipped=languag", "{}"),
        ),
        (
            "not_utf8",
            s.send("POST", "/api/v1/query", &[], b"{\"a\xff\": 1}"),
        ),
    ];
    for (name, r) in &cases {
        insta::assert_snapshot!(format!("serve_error_{name}"), r.shown());
    }
    assert_eq!(
        cases[6].1.header("allow"),
        Some("POST"),
        "405 names the method"
    );
    // Not concluded: 404 with the next question to ask.
    let r = s.post(
        "/api/v1/explain?fact=recommend(rails)",
        "{\"language\": [\"python\"]}",
    );
    insta::assert_snapshot!("serve_error_not_concluded", r.shown());
}

/// Rules whose run counts up to the number asked for, one fact per round: as slow as
/// wanted (`{"n": 100000000}` runs until the timeout).
fn count_rules(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("count.rules");
    std::fs::write(
        &path,
        "question n \"How far?\" integer from 1 to 100000000\n\
         output c(X) \"Counted\"\n\
         fact c(0)\n\
         rule step when c(X) and n(N) and X < N then c(X + 1)\n",
    )
    .expect("write");
    path
}

/// A run past its time, and a second request while the only run slot is busy.
#[test]
fn time_and_concurrency_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = count_rules(dir.path());
    let s = Server::start(&[
        "--rules",
        rules.to_str().expect("path"),
        "--timeout",
        "1",
        "--max-facts",
        "100000000",
    ]);
    let slow = std::thread::scope(|scope| {
        let s2 = &s;
        let slow = scope.spawn(move || s2.post("/api/v1/query", "{\"n\": 100000000}"));
        std::thread::sleep(Duration::from_millis(200));
        let quick = s.post("/api/v1/query", "{\"n\": 3}");
        assert_eq!(quick.status, 200, "{}", quick.body);
        slow.join().expect("slow request")
    });
    assert_eq!(slow.status, 422);
    assert_eq!(slow.json()["error"][0]["code"], "E0402", "{}", slow.body);
    let busy = Server::start_with(
        &[
            "--rules",
            rules.to_str().expect("path"),
            "--timeout",
            "2",
            "--max-facts",
            "100000000",
        ],
        &["--max-concurrent-runs", "1", "--queue-timeout", "0.2"],
    );
    std::thread::scope(|scope| {
        let b = &busy;
        let slow = scope.spawn(move || b.post("/api/v1/query", "{\"n\": 100000000}"));
        std::thread::sleep(Duration::from_millis(300));
        let refused = busy.post("/api/v1/query", "{\"n\": 3}");
        insta::assert_snapshot!("serve_error_busy", refused.shown());
        assert_eq!(refused.header("retry-after"), Some("1"));
        assert_eq!(
            busy.get("/api/v1/health").status,
            200,
            "health needs no run slot"
        );
        let _ = slow.join();
    });
}

/// Hostile requests get errors or are dropped, never a crash or a stuck worker: malformed,
/// truncated and deeply nested JSON, huge strings, slow headers and bodies, many idle
/// connections; the server answers a health check during and after.
#[test]
fn hostile_clients_get_errors_and_the_server_stays_up() {
    let s = Server::start_with(&[], &["--read-timeout", "1"]);
    let nested = "[".repeat(100_000);
    let huge = format!("{{\"language\": [\"{}\"]}}", "x".repeat(900_000));
    for (body, status) in [
        (nested.as_str(), 422),
        ("{\"language\": [\"pyth", 400),
        (huge.as_str(), 422),
        ("\u{0}", 400),
        ("[]", 422),
        ("null", 422),
    ] {
        let r = s.post("/api/v1/query", body);
        assert_eq!(
            r.status,
            status,
            "{}: {}",
            &body[..body.len().min(40)],
            r.body
        );
        assert!(r.json()["error"][0]["code"].is_string());
    }
    // A body shorter than announced: 408 once the read timeout passes.
    let mut c = s.connect();
    c.write_all(b"POST /api/v1/query HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"lang")
        .expect("write");
    let started = Instant::now();
    let r = read_reply(&mut c);
    assert_eq!(r.status, 408, "{}", r.body);
    insta::assert_snapshot!("serve_error_slow_body", r.shown());
    assert!(started.elapsed() < Duration::from_secs(5));
    // Slow headers (slowloris) and idle connections: 250 of them held open.
    let idle: Vec<TcpStream> = (0..250)
        .map(|i| {
            let mut c = s.connect();
            if i % 2 == 0 {
                let _ = c.write_all(b"GET /api/v1/health HTTP/1.1\r\nhost:");
            }
            c
        })
        .collect();
    let during = s.get("/api/v1/health");
    assert_eq!(during.status, 200, "health during: {}", during.body);
    // Past the header read timeout the slow ones are dropped by the server.
    std::thread::sleep(Duration::from_millis(1500));
    let mut dropped = 0;
    for mut c in idle {
        c.set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        let mut buf = [0u8; 512];
        if c.read(&mut buf).is_ok() {
            dropped += 1;
        }
    }
    assert_eq!(
        dropped, 250,
        "every idle or slow connection is closed (or answered)"
    );
    let after = s.get("/api/v1/health");
    assert_eq!(after.status, 200, "health after: {}", after.body);
    // Past --max-connections, a connection gets 503 at once; once they close, service again.
    let s = Server::start_with(&[], &["--max-connections", "50"]);
    let held: Vec<TcpStream> = (0..50).map(|_| s.connect()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = s.connect();
    let r = read_reply(&mut extra);
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["error"][0]["code"], "E0502");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let after = s.get("/api/v1/health");
    assert_eq!(after.status, 200, "health after: {}", after.body);
}

/// SIGTERM lets the request in flight finish; SIGHUP and --watch reload good rules and keep
/// the old ones when the new have errors.
#[test]
fn reload_and_graceful_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("pick.rules");
    let good = |pick: &str| {
        format!(
            "question lang \"Language?\" one of python, ruby\n\
             output pick(F) \"Pick\"\n\
             rule r when lang(python) then pick({pick})\n"
        )
    };
    std::fs::write(&rules, good("flask")).expect("write");
    let s = Server::start_with(&["--rules", rules.to_str().expect("path")], &["--watch"]);
    let ask = || s.post("/api/v1/query", "{\"lang\": \"python\"}").json();
    assert_eq!(ask()["outputs"][0]["concluded"][0]["fact"], "pick(flask)");
    // --watch: a good change is picked up.
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(&rules, good("django")).expect("write");
    let deadline = Instant::now() + Duration::from_secs(10);
    while ask()["outputs"][0]["concluded"][0]["fact"] != "pick(django)" {
        assert!(Instant::now() < deadline, "the change was not picked up");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(s.get("/api/v1/health").json()["generation"], 2);
    // A broken change: the old rules keep serving, and the log says why.
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(&rules, "rule broken when then\n").expect("write");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut failed = None;
    while failed.is_none() {
        assert!(Instant::now() < deadline, "no reload_failed in the log");
        failed = s
            .log_lines()
            .into_iter()
            .find(|l| l.contains("reload_failed"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let failed: Value = serde_json::from_str(&failed.expect("line")).expect("JSON");
    assert_eq!(failed["kept_generation"], 2);
    assert!(failed["errors"]
        .as_str()
        .is_some_and(|e| e.contains("pick.rules")));
    assert_eq!(ask()["outputs"][0]["concluded"][0]["fact"], "pick(django)");
    // SIGHUP reloads too (the rules fixed again).
    std::fs::write(&rules, good("bottle")).expect("write");
    let _ = Command::new("kill").args(["-HUP", &s.pid()]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while ask()["outputs"][0]["concluded"][0]["fact"] != "pick(bottle)" {
        assert!(Instant::now() < deadline, "SIGHUP did not reload");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Graceful shutdown: a slow request in flight finishes after SIGTERM.
    let count = count_rules(dir.path());
    let mut s = Server::start(&["--rules", count.to_str().expect("path"), "--timeout", "1"]);
    let r = std::thread::scope(|scope| {
        let s2 = &s;
        let slow = scope.spawn(move || s2.post("/api/v1/query", "{\"n\": 100000000}"));
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-TERM", &s.pid()]).status();
        slow.join().expect("in flight")
    });
    assert_eq!(
        r.status, 422,
        "the request in flight got its answer: {}",
        r.body
    );
    let status = s.child.wait().expect("exit");
    assert!(status.success(), "{status:?}");
    assert!(TcpStream::connect(&s.addr).is_err(), "no longer listening");
}

/// No CORS header unless asked for, and then only for the origins named.
#[test]
fn cors_only_when_asked_for() {
    // The CORS header the server answers a health check from `origin` with.
    let allowed = |s: &Server, origin: &str| {
        let r = s.send("GET", "/api/v1/health", &[("origin", origin)], b"");
        r.header("access-control-allow-origin").map(str::to_owned)
    };
    let s = Server::start(&[]);
    assert_eq!(allowed(&s, "http://elsewhere.example"), None);
    let s = Server::start_with(&[], &["--cors", "http://app.example"]);
    assert_eq!(
        allowed(&s, "http://app.example").as_deref(),
        Some("http://app.example")
    );
    assert_eq!(allowed(&s, "http://elsewhere.example"), None);
}
