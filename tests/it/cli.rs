//! The real binary, run on fixture cases (`fixtures/cli/*.cli`): arguments, optional standard
//! input, optional files to show afterwards. The snapshot holds the exit code, standard
//! output and standard error (with `NO_COLOR=1`).
//!
//! A case file reads (`env:` and `stdout: full|closed` are optional):
//! ```text
//! args: query --facts examples/python-startup.json
//! env: NAME=value
//! stdout: full
//! --- stdin
//! python
//! --- show target/cli-out/answers.json
//! ```

use crate::common;
use crate::common::{run_because_to, validate, StdoutTo};

/// Split a command line on spaces, keeping 'single-quoted' words together.
fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// An internal error names the source line of the panic; snapshots keep the file only, so
/// that editing the file does not change them.
fn redact_source_lines(err: &str) -> String {
    err.lines()
        .map(|l| match l.rfind(" at src/") {
            Some(i) => match l[i..].rfind(':') {
                Some(j) if l[i + j + 1..].chars().all(|c| c.is_ascii_digit()) => {
                    format!("{}:LINE", &l[..i + j])
                }
                _ => l.to_string(),
            },
            None => l.to_string(),
        })
        .map(|l| l + "\n")
        .collect()
}

#[test]
fn cli_cases() {
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/target/cli-out"))
        .expect("out dir");
    common::each_fixture("fixtures/cli/*.cli", |path| {
        // Standard input is taken as bytes (a case may feed invalid UTF-8); the rest is text.
        let bytes = std::fs::read(path).expect("case");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut args = Vec::new();
        let mut stdin: Option<Vec<u8>> = None;
        let mut show = Vec::new();
        let mut envs = Vec::new();
        let mut stdout = StdoutTo::Pipe;
        for line in text.lines() {
            if let Some(to) = line.strip_prefix("stdout: ") {
                stdout = match to {
                    "full" => StdoutTo::Full,
                    "closed" => StdoutTo::Closed,
                    "stderr-full" => StdoutTo::ErrFull,
                    other => panic!("unknown stdout: {other}"),
                };
            } else if let Some(a) = line.strip_prefix("args: ") {
                args = split_args(a);
            } else if let Some(e) = line.strip_prefix("env: ") {
                let (k, v) = e.split_once('=').expect("env: K=V");
                envs.push((k.to_string(), v.to_string()));
            } else if line == "--- stdin" {
                let start = bytes
                    .windows(10)
                    .position(|w| w == b"--- stdin\n")
                    .expect("marker")
                    + 10;
                let end = bytes[start..]
                    .windows(9)
                    .position(|w| w == b"--- show ")
                    .map_or(bytes.len(), |i| start + i);
                stdin = Some(bytes[start..end].to_vec());
            } else if let Some(f) = line.strip_prefix("--- show ") {
                let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f);
                let _ = std::fs::remove_file(&p);
                show.push(f.to_string());
            }
        }
        let env_refs: Vec<(&str, &str)> =
            envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (code, out, err) = run_because_to(&args, stdin.as_deref(), &env_refs, stdout);
        assert_ne!(code, 101, "panicked: {err}");
        assert!(!err.contains("panicked"), "{err}");
        if code != 3 {
            assert!(!err.contains("because: internal error"), "{err}");
        }
        // Every JSON explanation a case prints matches the published schema.
        let explains = ["query", "explain", "why-not", "test", "diff"]
            .iter()
            .any(|c| args.contains(&c.to_string()));
        let json = args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "json");
        // (`--show` prints facts, in the wire format of `src/wire.rs`.)
        let shows = args.iter().any(|a| a == "--show");
        if matches!(code, 0 | 6 | 7) && explains && json && !shows && !out.is_empty() {
            validate(&out);
        }
        let err = redact_source_lines(&err);
        let mut snap = format!("exit: {code}\n--- stdout\n{out}--- stderr\n{err}");
        for f in show {
            let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&f);
            let content =
                std::fs::read_to_string(&p).unwrap_or_else(|e| format!("(not written: {e})\n"));
            snap.push_str(&format!("--- file {f}\n{content}"));
        }
        insta::assert_snapshot!(snap);
    });
}
