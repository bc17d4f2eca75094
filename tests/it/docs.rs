//! The documentation stays true: every diagnostic code the source can emit is documented in
//! `docs/diagnostics.md`, and every documented code is shown by at least one fixture snapshot.

use std::collections::BTreeSet;

fn codes_in(text: &str, open: &str, close: char) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices(open) {
        let rest = &text[i + open.len()..];
        if let Some(end) = rest.find(close) {
            let code = &rest[..end];
            if code.len() == 5
                && (code.starts_with('E') || code.starts_with('W'))
                && code[1..].chars().all(|c| c.is_ascii_digit())
            {
                out.insert(code.to_string());
            }
        }
    }
    out
}

fn walk(dir: &std::path::Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

#[test]
fn every_code_is_documented_and_shown() {
    let docs = std::fs::read_to_string("docs/diagnostics.md").expect("docs");
    let documented = codes_in(&docs, "## ", ':');
    let mut sources = Vec::new();
    walk(std::path::Path::new("src"), "rs", &mut sources);
    let mut emitted = BTreeSet::new();
    for s in sources {
        emitted.extend(codes_in(
            &std::fs::read_to_string(s).expect("src"),
            "\"",
            '"',
        ));
    }
    let undocumented: Vec<_> = emitted.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "codes emitted but not documented: {undocumented:?}"
    );
    let stale: Vec<_> = documented.difference(&emitted).collect();
    assert!(
        stale.is_empty(),
        "codes documented but never emitted: {stale:?}"
    );
    let mut snaps = Vec::new();
    walk(
        std::path::Path::new("tests/it/snapshots"),
        "snap",
        &mut snaps,
    );
    let mut shown = BTreeSet::new();
    for s in snaps {
        let t = std::fs::read_to_string(s).expect("snap");
        shown.extend(codes_in(&t, "error[", ']'));
        shown.extend(codes_in(&t, "warning[", ']'));
        shown.extend(codes_in(&t, "\"code\":\"", '"'));
        shown.extend(codes_in(&t, "\"code\": \"", '"'));
    }
    let unshown: Vec<_> = documented.difference(&shown).collect();
    assert!(
        unshown.is_empty(),
        "documented codes no fixture shows: {unshown:?}"
    );
}

/// The README's example answer is what the main command prints, byte for byte.
#[test]
fn the_readme_shows_the_main_commands_real_answer() {
    let readme = std::fs::read_to_string("README.md").expect("README");
    let start = readme
        .find("and answers:\n\n```text\n")
        .expect("the README shows the answer")
        + "and answers:\n\n```text\n".len();
    let shown = &readme[start..start + readme[start..].find("```\n").expect("closed")];
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_because"))
        .args(["query", "--facts", "examples/python-startup.json"])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(shown, String::from_utf8(out.stdout).expect("UTF-8"));
}

/// The schema check used across these tests finds what breaks the schema: a real answer
/// passes, and each kind of break in it is reported at its place.
#[test]
fn schema_check_reports_breaks() {
    let args: Vec<String> = [
        "query",
        "--facts",
        "examples/python-startup.json",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec();
    let (code, out, err) = crate::common::run_because(&args, None, &[]);
    assert_eq!(code, 0, "{err}");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/explanation-schema.json")).expect("JSON");
    let good: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        crate::common::schema_errors(&schema, &good),
        Vec::<String>::new()
    );

    let broken = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut value = good.clone();
        change(&mut value);
        crate::common::schema_errors(&schema, &value).join("\n")
    };
    let missing = broken(&|v| {
        v.as_object_mut().expect("object").remove("threshold");
    });
    assert!(
        missing.contains("missing required property \"threshold\""),
        "{missing}"
    );
    let extra = broken(&|v| v["surprise"] = 1.into());
    assert!(
        extra.contains("property \"surprise\" is not allowed"),
        "{extra}"
    );
    let wrong_type = broken(&|v| v["outputs"] = "many".into());
    assert!(
        wrong_type.contains("/outputs: \"many\" is not of type"),
        "{wrong_type}"
    );
    let deep = broken(&|v| {
        v["outputs"][0]["concluded"][0]["certainty"] = 1.5.into();
    });
    assert!(deep.contains("1.5 breaks"), "{deep}");
    // A keyword the check does not know fails rather than passing unchecked.
    let unknown = std::panic::catch_unwind(|| {
        crate::common::schema_errors(&serde_json::json!({"pattern": "^a"}), &"b".into())
    });
    assert!(unknown.is_err(), "an unknown keyword was skipped");
}
