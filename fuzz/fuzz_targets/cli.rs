//! The command line, driven as a user would: a subcommand and flags from a vocabulary, with
//! arbitrary values, and an arbitrary file (rules or facts) that the arguments name. Every
//! run must end with a documented exit code; a caught panic (exit 3) is a finding.
//! Run with `-close_fd_mask=3`: the commands write to standard output and error.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    command: u8,
    flags: Vec<(u8, u8)>,
    fact: String,
    file_kind: u8,
    file: String,
}

const COMMANDS: [&str; 8] = ["check", "query", "explain", "why-not", "questions", "graph", "completions", "consult"];
const FLAGS: [&str; 17] = [
    "--format", "--explain", "--all", "--depth", "--verbose", "--max-facts", "--timeout",
    "--error-format", "--show", "--require", "--max-derivations", "--max-facts-bytes",
    "--deny-warnings", "--facts-format", "--over", "--what-if", "--no-what-if",
];
const VALUES: [&str; 18] = [
    "json", "text", "dot", "ndjson", "count", "1", "0", "-1", "NaN", "p/1", "recommend",
    "999999999999999999999", "svg", "recommend(flask)", "p(X)", "database=relational",
    "language=", "p=1",
];
const KINDS: [&str; 4] = ["rules", "json", "toml", "facts"];

fuzz_target!(|input: Input| {
    let dir = std::env::temp_dir().join(format!("because-fuzz-cli-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let kind = KINDS[input.file_kind as usize % KINDS.len()];
    let path = dir.join(format!("input.{kind}"));
    if std::fs::write(&path, &input.file).is_err() {
        return;
    }
    let path = path.to_string_lossy().into_owned();
    let command = COMMANDS[input.command as usize % COMMANDS.len()];
    let mut args: Vec<String> = vec!["because".into()];
    if kind == "rules" {
        args.extend(["--rules".into(), path.clone()]);
    }
    args.push(command.into());
    match command {
        "explain" | "why-not" => args.push(input.fact.chars().take(200).collect()),
        "completions" => args.push("bash".into()),
        // Consult reads standard input; with no terminal it stops at the end of input.
        _ => {}
    }
    if kind != "rules" && matches!(command, "query" | "explain" | "why-not") {
        args.extend(["--facts".into(), path.clone()]);
    }
    for &(f, v) in input.flags.iter().take(6) {
        args.push(FLAGS[f as usize % FLAGS.len()].into());
        args.push(VALUES[v as usize % VALUES.len()].into());
    }
    let exit = because::cli::run_from(args.clone());
    // Every documented ending but a bug (3).
    if exit == because::cli::Exit::Internal {
        panic!("internal error for {args:?}");
    }
});
