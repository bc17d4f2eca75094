//! Helpers shared by the integration tests.

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Where the binary's standard output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
pub fn validate(json: &str) {
    let schema: Value = serde_json::from_str(include_str!("../../docs/explanation-schema.json"))
        .expect("schema is JSON");
    let value: Value = serde_json::from_str(json).expect("output is JSON");
    let errors = schema_errors(&schema, &value);
    assert!(
        errors.is_empty(),
        "JSON does not match the schema:\n{}\n{json}",
        errors.join("\n")
    );
}

/// Where `value` breaks `schema`, one line per place (a JSON pointer, then what is wrong).
///
/// Our schema uses a small part of JSON Schema 2020-12, and this checks exactly that part
/// (`type`, `const`, `enum`, `properties`, `required`, `additionalProperties`, `items`,
/// `minItems`, `maxItems`, `minimum`, `maximum`, `exclusiveMaximum`, `oneOf`, and `$ref` to
/// `#/$defs/...`); a keyword outside it fails the test rather than being skipped, so a schema
/// change cannot go unchecked. It replaces the `jsonschema` crate, whose build (with its regex
/// engines) was a tenth of a fresh clone's `cargo test` on 2 cores.
pub fn schema_errors(schema: &Value, value: &Value) -> Vec<String> {
    schema_errors_at(schema, schema, value, "")
}

fn check_schema(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(keywords) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: no value is allowed here"));
        }
        return;
    };
    let mut fail =
        |what: String| errors.push(format!("{}: {what}", if at.is_empty() { "/" } else { at }));
    let mut nested = Vec::new();
    for (keyword, rule) in keywords {
        match keyword.as_str() {
            "$schema" | "$id" | "$defs" | "title" | "description" => {}
            "$ref" => {
                let name = rule
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                    .unwrap_or_else(|| panic!("unsupported $ref {rule}"));
                let target = &root["$defs"][name];
                assert!(!target.is_null(), "$ref to a missing definition {name}");
                check_schema(root, target, value, at, &mut nested);
            }
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::String(one) => vec![one.as_str()],
                    Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                    _ => panic!("unsupported type {rule}"),
                };
                if !types.iter().any(|t| has_type(value, t)) {
                    fail(format!("{value} is not of type {}", types.join(" or ")));
                }
            }
            "const" => {
                if value != rule {
                    fail(format!("{value} is not {rule}"));
                }
            }
            "enum" => {
                let allowed = rule.as_array().expect("enum is an array");
                if !allowed.contains(value) {
                    fail(format!("{value} is not one of {rule}"));
                }
            }
            "properties" => {
                if let Some(object) = value.as_object() {
                    for (name, sub) in rule.as_object().expect("properties is an object") {
                        if let Some(field) = object.get(name) {
                            check_schema(root, sub, field, &format!("{at}/{name}"), &mut nested);
                        }
                    }
                }
            }
            "required" => {
                if let Some(object) = value.as_object() {
                    for name in rule.as_array().expect("required is an array") {
                        let name = name.as_str().expect("required names are strings");
                        if !object.contains_key(name) {
                            fail(format!("missing required property {name:?}"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(object) = value.as_object() {
                    let declared = keywords.get("properties").and_then(Value::as_object);
                    for (name, field) in object {
                        if declared.is_some_and(|d| d.contains_key(name)) {
                            continue;
                        }
                        if rule == &Value::Bool(false) {
                            fail(format!("property {name:?} is not allowed"));
                        } else {
                            check_schema(root, rule, field, &format!("{at}/{name}"), &mut nested);
                        }
                    }
                }
            }
            "items" => {
                if let Some(array) = value.as_array() {
                    for (i, item) in array.iter().enumerate() {
                        check_schema(root, rule, item, &format!("{at}/{i}"), &mut nested);
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let Some(array) = value.as_array() {
                    let bound = rule.as_u64().expect("a count") as usize;
                    let ok = if keyword == "minItems" {
                        array.len() >= bound
                    } else {
                        array.len() <= bound
                    };
                    if !ok {
                        fail(format!("{} items break {keyword} {bound}", array.len()));
                    }
                }
            }
            "minimum" | "maximum" | "exclusiveMaximum" => {
                if let Some(number) = value.as_f64() {
                    let bound = rule.as_f64().expect("a number");
                    let ok = match keyword.as_str() {
                        "minimum" => number >= bound,
                        "maximum" => number <= bound,
                        _ => number < bound,
                    };
                    if !ok {
                        fail(format!("{number} breaks {keyword} {bound}"));
                    }
                }
            }
            "oneOf" => {
                let choices: Vec<Vec<String>> = rule
                    .as_array()
                    .expect("oneOf is an array")
                    .iter()
                    .map(|sub| schema_errors_at(root, sub, value, at))
                    .collect();
                match choices.iter().filter(|errors| errors.is_empty()).count() {
                    1 => {}
                    0 => {
                        // Report the nearest choice's breaks: a document meant as a query
                        // is told what is wrong with it as a query.
                        let (nearest, breaks) = choices
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, errors)| errors.len())
                            .expect("oneOf has choices");
                        fail(format!(
                            "matches no oneOf choice; nearest is choice {nearest}:"
                        ));
                        nested.extend(breaks.iter().cloned());
                    }
                    many => fail(format!("{many} oneOf choices match, not exactly one")),
                }
            }
            other => {
                panic!("the schema uses {other:?}, which tests/it/common.rs does not check yet")
            }
        }
    }
    errors.append(&mut nested);
}

fn schema_errors_at(root: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut errors = Vec::new();
    check_schema(root, schema, value, at, &mut errors);
    errors
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|n| n.fract() == 0.0)
        }
        other => panic!("unsupported type {other:?}"),
    }
}

/// Run `check` on every fixture file that `pattern` (a glob relative to `tests/`, such as
/// `fixtures/cli/*.cli`) matches, in path order, as `insta::glob!` would: each snapshot is
/// named after its file (`<test>@<file name>`) and records the file as its input. Every file
/// runs even when one fails; the test then fails naming each file that did.
pub fn each_fixture(pattern: &str, mut check: impl FnMut(&Path)) {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let full = tests.join(pattern);
    let mut paths: Vec<PathBuf> = glob::glob(full.to_str().expect("a UTF-8 path"))
        .expect("a valid pattern")
        .map(|entry| entry.expect("a readable fixture"))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixture matches tests/{pattern}");
    let mut failed = Vec::new();
    for path in &paths {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .expect("a UTF-8 file name");
        let mut settings = insta::Settings::clone_current();
        settings.set_input_file(path);
        settings.set_snapshot_suffix(name);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| settings.bind(|| check(path))));
        if outcome.is_err() {
            failed.push(name.to_owned());
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} fixtures in tests/{pattern} failed: {}",
        failed.len(),
        paths.len(),
        failed.join(", ")
    );
}

/// Every fact (id, text, certainty) and derivation (rule, fact, premises) of a graph, in id
/// order, and how many rule instances failed: two runs that agree on this are the same run.
pub fn graph_text(g: &because::engine::graph::FactGraph<'_>) -> String {
    let mut out = format!("rule errors {}\n", g.rule_error_count());
    for f in 0..g.fact_count() as u32 {
        out += &format!(
            "{f} {} {} unrecorded {}\n",
            g.show_fact(f),
            g.certainty(f),
            g.unrecorded_derivations(f)
        );
    }
    for d in 0..g.derivation_count() as u32 {
        let der = g.derivation(d);
        out += &format!(
            "d{d} rule {} fact {} premises {:?}\n",
            der.rule,
            der.fact,
            g.premises(d)
        );
    }
    out
}
