//! Helpers shared by the integration tests.

use std::io::Write;
use std::process::{Command, Stdio};

/// Where the binary's standard output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code, reason = "each test binary uses some of these")]
pub enum StdoutTo {
    /// Captured.
    Pipe,
    /// `/dev/full`: every write fails with "no space left on device".
    Full,
    /// A pipe whose reading end is already closed (as after `| head` has quit).
    Closed,
    /// Standard output captured, standard error to `/dev/full`.
    ErrFull,
}

#[allow(dead_code, reason = "some test binaries use only run_because_to")]
/// Run the built binary from the crate root with `NO_COLOR=1`; returns exit code, stdout
/// and stderr.
pub fn run_because(
    args: &[String],
    stdin: Option<&str>,
    envs: &[(&str, &str)],
) -> (i32, String, String) {
    run_because_to(args, stdin.map(str::as_bytes), envs, StdoutTo::Pipe)
}

/// [`run_because`] with standard output sent elsewhere (then it reads as empty).
pub fn run_because_to(
    args: &[String],
    stdin: Option<&[u8]>,
    envs: &[(&str, &str)],
    stdout: StdoutTo,
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_because"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped());
    if stdout == StdoutTo::ErrFull {
        cmd.stderr(std::fs::File::create("/dev/full").expect("/dev/full"));
    }
    match stdout {
        StdoutTo::Pipe | StdoutTo::ErrFull => {
            cmd.stdout(Stdio::piped());
        }
        StdoutTo::Full => {
            cmd.stdout(std::fs::File::create("/dev/full").expect("/dev/full"));
        }
        StdoutTo::Closed => {
            let (reader, writer) = std::io::pipe().expect("a pipe");
            drop(reader);
            cmd.stdout(writer);
        }
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run because");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.unwrap_or(b"").to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Check one JSON document (a query, explanation, why-not or contrast) against
/// `docs/explanation-schema.json`.
#[allow(dead_code, reason = "some test binaries validate no JSON")]
pub fn validate(json: &str) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/explanation-schema.json"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let value: serde_json::Value = serde_json::from_str(json).expect("output is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "JSON does not match the schema:\n{}\n{json}",
        errors.join("\n")
    );
}
