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

mod common;
use common::run_because;

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
