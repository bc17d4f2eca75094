//! Bad input never panics: the facts-file error corpus (`fixtures/facts_err/`) and the
//! bad-input corpus (`fixtures/bad_input/`), one case per file, each run through the real
//! binary. Every case must exit with a documented code (never 101, never "panicked"), and its
//! error names the place: the snapshots show file:line:col.

use crate::common;

fn run_case(rel: &str) -> (i32, String) {
    let is_rules = rel.ends_with(".rules") || rel.ends_with("symlink_loop");
    let args: Vec<String> = if is_rules {
        vec!["check".into(), rel.into()]
    } else {
        vec!["query".into(), "--facts".into(), rel.into()]
    };
    let (code, out, err) = common::run_because(&args, None, &[]);
    assert_ne!(code, 101, "{rel}: panicked:\n{err}");
    assert!(!err.contains("panicked"), "{rel}: {err}");
    assert!(
        [0, 1, 2].contains(&code),
        "{rel}: undocumented exit code {code}:\n{err}"
    );
    (
        code,
        format!("exit: {code}\n--- stdout\n{out}--- stderr\n{err}"),
    )
}

#[test]
fn facts_errors() {
    common::each_fixture("fixtures/facts_err/*", |path| {
        let rel = format!(
            "tests/fixtures/facts_err/{}",
            path.file_name().expect("name").to_string_lossy()
        );
        let (code, snap) = run_case(&rel);
        assert_eq!(code, 1, "{rel} should be rejected:\n{snap}");
        // Every error names the file and a line and column.
        assert!(
            snap.contains(&format!("--> {rel}:")),
            "{rel}: no location in\n{snap}"
        );
        insta::assert_snapshot!(snap);
    });
}

#[test]
fn bad_input() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad_input");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("bad_input")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 15, "the corpus has {} cases", names.len());
    // Cases that cannot live in the repository (they would trip tools that walk it) are
    // made here: a directory whose link leads back to itself, and a link to nothing.
    let extra = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bad_input_extra");
    let _ = std::fs::remove_dir_all(&extra);
    std::fs::create_dir_all(extra.join("symlink_loop")).expect("dir");
    std::fs::write(extra.join("symlink_loop/a.rules"), "fact p(a)\n").expect("write");
    std::os::unix::fs::symlink(".", extra.join("symlink_loop/loop")).expect("symlink");
    std::os::unix::fs::symlink("does-not-exist.rules", extra.join("dangling.rules"))
        .expect("symlink");
    // Devices that never end: an error within the first block, not a read of all memory.
    std::os::unix::fs::symlink("/dev/zero", extra.join("zero.rules")).expect("symlink");
    let mut cases: Vec<(String, String)> = names
        .into_iter()
        .map(|n| (n.clone(), format!("tests/fixtures/bad_input/{n}")))
        .collect();
    cases.push((
        "symlink_loop".into(),
        "target/bad_input_extra/symlink_loop".into(),
    ));
    cases.push((
        "dangling.rules".into(),
        "target/bad_input_extra/dangling.rules".into(),
    ));
    cases.push((
        "dev_zero.rules".into(),
        "target/bad_input_extra/zero.rules".into(),
    ));
    for (name, rel) in cases {
        let (_, snap) = run_case(&rel);
        insta::assert_snapshot!(name.replace('.', "_"), snap);
    }
}
