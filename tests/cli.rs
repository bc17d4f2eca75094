//! The real binary, run on fixture cases (`fixtures/cli/*.cli`): arguments, optional standard
//! input, optional files to show afterwards. The snapshot holds the exit code, standard
//! output and standard error (with `NO_COLOR=1`).
//!
//! A case file reads:
//! ```text
//! args: query --facts examples/python-startup.json
//! --- stdin
//! python
//! --- show target/cli-out/answers.json
//! ```

use std::io::Write;
use std::process::{Command, Stdio};

pub fn run_because(
    args: &[String],
    stdin: Option<&str>,
    envs: &[(&str, &str)],
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_because"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run because");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.unwrap_or("").to_string();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

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

#[test]
fn cli_cases() {
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/target/cli-out"))
        .expect("out dir");
    insta::glob!("fixtures/cli/*.cli", |path| {
        let text = std::fs::read_to_string(path).expect("case");
        let mut args = Vec::new();
        let mut stdin: Option<String> = None;
        let mut show = Vec::new();
        let mut envs = Vec::new();
        let mut in_stdin = false;
        for line in text.lines() {
            if let Some(a) = line.strip_prefix("args: ") {
                args = split_args(a);
            } else if let Some(e) = line.strip_prefix("env: ") {
                let (k, v) = e.split_once('=').expect("env: K=V");
                envs.push((k.to_string(), v.to_string()));
            } else if line == "--- stdin" {
                in_stdin = true;
                stdin = Some(String::new());
            } else if let Some(f) = line.strip_prefix("--- show ") {
                in_stdin = false;
                let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f);
                let _ = std::fs::remove_file(&p);
                show.push(f.to_string());
            } else if in_stdin {
                let s = stdin.as_mut().expect("stdin");
                s.push_str(line);
                s.push('\n');
            }
        }
        let env_refs: Vec<(&str, &str)> =
            envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (code, out, err) = run_because(&args, stdin.as_deref(), &env_refs);
        assert_ne!(code, 101, "panicked: {err}");
        assert!(!err.contains("panicked"), "{err}");
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
