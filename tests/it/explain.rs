//! Explanation cases, one per file under `fixtures/explain/`: a rule section, an optional
//! facts section (JSON), and one command (`explain FACT`, `why-not FACT` or `query`) with
//! options. Each case's text, JSON and DOT output is snapshotted together, and the JSON is
//! validated against `docs/explanation-schema.json`.

use crate::common;
use crate::common::validate;

use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use because::explain::contrast;
use because::explain::how::{self, HowOptions};
use because::explain::render::{self, text::Style};
use because::explain::why_not::{self, Target};
use because::facts_file::{Format, Loaded};
use because::span::SourceMap;

struct Case {
    rules: String,
    facts: Option<String>,
    command: String,
}

fn parse_case(text: &str) -> Case {
    let mut rules = String::new();
    let mut facts = None;
    let mut command = String::new();
    let mut section = "";
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("--- ") {
            section = if h == "rules" || h == "facts" {
                h
            } else {
                "cmd"
            };
            if section == "facts" {
                facts = Some(String::new());
            }
            if section == "cmd" {
                command = h.to_string();
            }
            continue;
        }
        match section {
            "rules" => {
                rules.push_str(line);
                rules.push('\n');
            }
            "facts" => {
                let f = facts.as_mut().expect("facts section");
                f.push_str(line);
                f.push('\n');
            }
            _ => {}
        }
    }
    Case {
        rules,
        facts,
        command,
    }
}

fn option<'a>(words: &'a [&str], name: &str) -> Option<&'a str> {
    words
        .iter()
        .position(|w| *w == name)
        .and_then(|i| words.get(i + 1).copied())
}

fn run_case(text: &str) -> String {
    let case = parse_case(text);
    let kb = match KnowledgeBase::from_sources(&[("case.rules", &case.rules)]) {
        Ok(kb) => kb,
        Err(e) => panic!(
            "case rules do not compile:\n{}",
            because::diag::render(
                &e.report.diagnostics,
                &e.program.sources,
                because::diag::ErrorFormat::Plain,
                false
            )
        ),
    };
    let mut sources = SourceMap::default();
    let mut loaded = Loaded::default();
    if let Some(f) = &case.facts {
        let d = loaded.add(&kb, &mut sources, "facts.json", f, Format::Json);
        assert!(d.is_empty(), "facts do not load: {d:?}");
    }
    let mut g = kb.run(&loaded.facts, Limits::default()).expect("run");
    let words: Vec<&str> = case.command.split_whitespace().collect();
    let verbose = words.contains(&"--verbose");
    let style = Style::command_line(verbose, false);
    let depth = option(&words, "--depth").map(|d| d.parse::<usize>().expect("depth"));
    let mut out = String::new();
    match words[0] {
        "explain" => {
            let t =
                Target::parse(&mut g, words[1]).unwrap_or_else(|_| panic!("target {}", words[1]));
            assert!(t.args.iter().all(Option::is_some), "a ground target");
            let f = *g
                .matching(&t.pred, &t.args)
                .first()
                .expect("target fact holds");
            let h = how::explain(
                &g,
                f,
                HowOptions {
                    all: words.contains(&"--all"),
                    depth,
                },
            );
            let json = render::json(&h);
            validate(&json);
            // The command line writes the tree as it builds it: the same bytes.
            let streamed = how::tree(
                &g,
                f,
                HowOptions {
                    all: words.contains(&"--all"),
                    depth,
                },
            );
            assert_eq!(
                render::json(&streamed),
                json,
                "streamed and built trees differ"
            );
            out += &format!(
                "=== text\n{}\n=== json\n{json}\n=== dot\n{}",
                render::text::how(&h, style),
                render::dot::how_graph(&[&h])
            );
        }
        "why-not" => {
            let t =
                Target::parse(&mut g, words[1]).unwrap_or_else(|_| panic!("target {}", words[1]));
            let w = why_not::explain(&g, &t, depth.unwrap_or(1));
            let json = render::json(&w);
            validate(&json);
            out += &format!(
                "=== text\n{}\n=== json\n{json}",
                render::text::why_not(&w, style)
            );
        }
        "query" => {
            let opts = words
                .contains(&"--explain")
                .then_some(HowOptions { all: false, depth });
            let q = because::explain::query::query(&g, opts, None);
            let json = render::json(&q);
            validate(&json);
            let trees: Vec<_> = q
                .outputs
                .iter()
                .flat_map(|o| o.concluded.iter().filter_map(|c| c.explanation.as_ref()))
                .collect();
            out += &format!(
                "=== text\n{}\n=== json\n{json}",
                render::text::query(&q, style)
            );
            if !trees.is_empty() {
                out += &format!("\n=== dot\n{}", render::dot::how_graph(&trees));
            }
        }
        "contrast" => {
            let mut side = |text: &str| {
                let t = Target::parse(&mut g, text).unwrap_or_else(|_| panic!("target {text}"));
                contrast::Found::of(&g, &t.pred, &t.args)
            };
            let (a, b) = (side(words[1]), side(words[2]));
            let c = contrast::contrast(&g, a, b);
            let json = render::json(&c);
            validate(&json);
            out += &format!(
                "=== text\n{}\n=== json\n{json}\n=== dot\n{}",
                render::text::contrast(&c, style),
                render::dot::contrast_graph(&c)
            );
        }
        other => panic!("unknown command {other}"),
    }
    out
}

#[test]
fn explain_cases() {
    common::each_fixture("fixtures/explain/*.case", |path| {
        let text = std::fs::read_to_string(path).expect("case file");
        insta::assert_snapshot!(run_case(&text));
    });
}

/// A tree large enough to be built on a second thread while it is written (more than 4
/// batches of nodes) comes out as the tree built whole: same nodes, same order, same bytes;
/// with every derivation shown and cut at a depth too.
#[test]
fn a_large_tree_streams_as_it_is_built() {
    let n = 6000;
    let mut rules = String::from(
        "rule start when step(0, X) then reach(X)\n\
         rule walk when reach(X) and next(X, Y) then reach(Y)\n\
         rule jump when reach(X) and skip(X, Y) then reach(Y)\n",
    );
    for i in 1..n {
        rules += &format!("fact next({i}, {})\n", i + 1);
        if i % 7 == 0 {
            rules += &format!("fact skip({}, {})\n", i - 3, i + 1);
        }
    }
    rules += "fact step(0, 1)\n";
    let kb = KnowledgeBase::from_sources(&[("chain.rules", &rules)]).expect("compiles");
    let mut g = kb.run(&[], Limits::default()).expect("run");
    let t = Target::parse(&mut g, &format!("reach({n})")).expect("target");
    let f = g.matching(&t.pred, &t.args)[0];
    for opts in [
        HowOptions {
            all: false,
            depth: None,
        },
        HowOptions {
            all: true,
            depth: None,
        },
        HowOptions {
            all: true,
            depth: Some(4500),
        },
    ] {
        let built = how::explain(&g, f, opts);
        assert!(
            built.nodes.len() > 4 * 1024 + 1,
            "{} nodes",
            built.nodes.len()
        );
        let tree = how::tree(&g, f, opts);
        assert_eq!(tree.nodes.len(), built.nodes.len());
        let (a, b) = (render::json(&tree), render::json(&built));
        assert!(a == b, "streamed and built trees differ ({opts:?})");
    }
}

/// Written as it is built, a large tree still ends as any output does when its reader goes
/// away: quietly with status 141 for a closed pipe (`| head`), with E0404 and status 1 for a
/// full disk; the node builder stops with the writer.
#[test]
fn a_streamed_tree_stops_when_its_output_fails() {
    let mut rules = String::from(
        "rule start when step(0, X) then reach(X)\n\
         rule walk when reach(X) and next(X, Y) then reach(Y)\n\
         fact step(0, 1)\n",
    );
    for i in 1..6000 {
        rules += &format!("fact next({i}, {})\n", i + 1);
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/cli-out");
    std::fs::create_dir_all(dir).expect("out dir");
    let path = format!("{dir}/streamed_chain.rules");
    std::fs::write(&path, rules).expect("rules");
    let args: Vec<String> = [
        "--rules",
        &path,
        "explain",
        "reach(6000)",
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, out, _) = common::run_because_to(&args, None, &[], common::StdoutTo::Pipe);
    assert_eq!(code, 0);
    assert!(out.contains("\"id\": 12000"), "every node written");
    let (code, _, err) = common::run_because_to(&args, None, &[], common::StdoutTo::Closed);
    assert_eq!((code, err.as_str()), (141, ""));
    let (code, _, err) = common::run_because_to(&args, None, &[], common::StdoutTo::Full);
    assert_eq!(code, 1);
    assert!(
        err.contains("E0404") && err.contains("cannot write to standard output"),
        "{err}"
    );
}

/// A rule file past 4 MiB, all ASCII, has its text released once checked (`KnowledgeBase::
/// load_paths_releasing`); an explanation still places each stated fact on its line and
/// quotes each condition, reading the file again. Compared with the same run on a copy below
/// the size, whose text is kept: only the file's name and the places past the padding differ.
#[test]
fn a_large_rule_file_is_quoted_after_its_text_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("rule r when p(X) and X > 2 then q(X)\n");
    let mut small = text.clone();
    for i in 0..420_000 {
        text.push_str(&format!("fact p({i})\n"));
    }
    assert!(text.len() > 4 << 20);
    let tail = "fact label(\"e\")\nfact p(420000) with certainty 0.7\nfact unused(1)\n";
    text.push_str(tail);
    small.push_str(tail);
    let big = dir.path().join("big.rules");
    let little = dir.path().join("little.rules");
    std::fs::write(&big, &text).unwrap();
    std::fs::write(&little, &small).unwrap();
    let run_noting = |path: &std::path::Path, format: &str| {
        let args: Vec<String> = ["--rules", path.to_str().unwrap()]
            .iter()
            .map(|s| s.to_string())
            .chain(["explain", "q(420000)", "--format", format].map(String::from))
            .collect();
        let (code, out, err) = common::run_because(&args, None, &[("BECAUSE_TIMINGS", "1")]);
        assert_eq!(code, 0, "{err}");
        (out, err)
    };
    let run = |path: &std::path::Path, format: &str| run_noting(path, format).0;
    let (text_out, notes) = run_noting(&big, "text");
    assert!(
        notes.contains(&format!("released {} bytes of rule text", text.len())),
        "{notes}"
    );
    assert!(run_noting(&little, "text").1.contains("released 0 bytes"));
    // Not all ASCII (a column counts characters, so needs the text): kept.
    let wide = dir.path().join("wide.rules");
    std::fs::write(&wide, text.replace("label(\"e\")", "label(\"é\")")).unwrap();
    assert!(run_noting(&wide, "text").1.contains("released 0 bytes"));
    assert!(text_out.contains("big.rules:420003"), "{text_out}");
    let json = run(&big, "json");
    assert!(json.contains("\"text\": \"p(X)\""), "{json}");
    assert!(json.contains("\"text\": \"X > 2\""), "{json}");
    assert!(json.contains("\"line\": 420003"), "{json}");
    // Lines differ by the padding's 420,000 (byte offsets are left out below).
    let same = |s: String, path: &std::path::Path, line: &str| {
        s.replace(path.to_str().unwrap(), "F")
            .replace(&format!("F:{line}"), "F:L")
            .replace(&format!("\"line\": {line},"), "\"line\": L,")
    };
    assert_eq!(
        same(text_out, &big, "420003"),
        same(run(&little, "text"), &little, "3")
    );
    let json = same(json, &big, "420003");
    let small_json = same(run(&little, "json"), &little, "3");
    let strip = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| !l.contains("byte_"))
            .map(String::from)
            .collect()
    };
    assert_eq!(strip(&json), strip(&small_json));
}
