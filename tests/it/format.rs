//! `because fmt`: formatting never changes what a file means, keeps every comment, and
//! formatting twice equals formatting once: on every rule file of the repository, and on
//! generated programs written with random blanks, line breaks and comments between tokens.
//! Also: the command rewrites files in place, leaves files with syntax errors alone, and
//! `--check` changes nothing.

use crate::common;
use because::format::{format_text, shape};
use because::span::SourceMap;
use proptest::prelude::*;

fn parse(text: &str) -> because::ast::Module {
    let mut sources = SourceMap::default();
    let file = sources.add("t.rules", text);
    let (m, diags) = because::syntax::parse_module(file, sources.get(file));
    assert!(
        !diags.iter().any(|d| d.is_error()),
        "does not parse:\n{text}\n{diags:?}"
    );
    m
}

fn comments(m: &because::ast::Module) -> Vec<(bool, String)> {
    m.comments
        .iter()
        .map(|c| (c.node.doc, c.node.text.trim_end().to_string()))
        .collect()
}

/// Format `text` (which must parse), and check the three promises.
fn holds(text: &str) -> Result<String, String> {
    let once = match format_text("t.rules", text) {
        Ok(s) => s,
        Err((e, _)) => return Err(format!("not formatted: {e:?}\n{text}")),
    };
    let (before, after) = (parse(text), parse(&once));
    if shape(&before) != shape(&after) {
        return Err(format!("meaning changed:\n{text}\n---\n{once}"));
    }
    if comments(&before) != comments(&after) {
        return Err(format!("comments changed:\n{text}\n---\n{once}"));
    }
    let twice = format_text("t.rules", &once).map_err(|(e, _)| format!("{e:?}"))?;
    if twice != once {
        return Err(format!("not idempotent:\n{once}\n---\n{twice}"));
    }
    Ok(once)
}

/// Every `.rules` file in the repository that parses.
#[test]
fn every_rule_file_of_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["rules", "tests/fixtures", "examples", "bench"] {
        collect(&root.join(dir), &mut files);
    }
    let mut formatted = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let mut sources = SourceMap::default();
        let file = sources.add("t.rules", text.as_str());
        let (_, diags) = because::syntax::parse_module(file, sources.get(file));
        if diags.iter().any(|d| d.is_error()) {
            continue;
        }
        if let Err(e) = holds(&text) {
            panic!("{}: {e}", f.display());
        }
        formatted += 1;
    }
    assert!(formatted > 50, "only {formatted} rule files found");
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rules") {
            out.push(p);
        }
    }
}

/// The shipped knowledge base is kept formatted (CI also runs `because fmt --check rules`).
#[test]
fn the_shipped_rules_are_formatted() {
    for (name, text) in because::engine::EMBEDDED_RULES {
        assert_eq!(holds(text).as_deref(), Ok(*text), "{name} is not formatted");
    }
}

// Generated programs: tokens joined by random separators.

fn var() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("X".to_string()),
        Just("Y".into()),
        Just("_".into()),
        Just("_Z".into())
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("b_c".into()),
        Just("\"a \\\" string\"".into()),
        Just("-3".into()),
        Just("0.50".into()),
        Just("true".into()),
        Just("12".into()),
    ]
}

fn term() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![var().prop_map(|v| vec![v]), value().prop_map(|v| vec![v])]
}

/// An arithmetic expression as tokens, with parentheses that may or may not be needed.
fn expr() -> impl Strategy<Value = Vec<String>> {
    term().prop_recursive(3, 12, 2, |inner| {
        (
            inner.clone(),
            prop_oneof![Just("+"), Just("-"), Just("*"), Just("/")],
            inner,
            any::<bool>(),
        )
            .prop_map(|(l, op, r, paren)| {
                let mut t = Vec::new();
                if paren {
                    t.push("(".to_string());
                }
                t.extend(l);
                t.push(op.to_string());
                t.extend(r);
                if paren {
                    t.push(")".to_string());
                }
                t
            })
    })
}

fn atom() -> impl Strategy<Value = Vec<String>> {
    (
        prop_oneof![Just("p"), Just("q"), Just("size")],
        prop::collection::vec(term(), 0..3),
    )
        .prop_map(|(p, args)| {
            let mut t = vec![p.to_string()];
            if !args.is_empty() {
                t.push("(".into());
                for (i, a) in args.into_iter().enumerate() {
                    if i > 0 {
                        t.push(",".into());
                    }
                    t.extend(a);
                }
                t.push(")".into());
            }
            t
        })
}

fn literal() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        atom(),
        atom().prop_map(|a| [vec!["not".to_string()], a].concat()),
        (
            var(),
            prop_oneof![Just("<"), Just(">="), Just("!="), Just("=")],
            expr()
        )
            .prop_map(|(v, op, e)| [vec![v, op.to_string()], e].concat()),
        (var(), any::<bool>(), prop::collection::vec(value(), 1..3)).prop_map(|(v, neg, vs)| {
            let mut t = vec![v];
            if neg {
                t.push("not".into());
            }
            t.push("in".into());
            t.push("[".into());
            for (i, x) in vs.into_iter().enumerate() {
                if i > 0 {
                    t.push(",".into());
                }
                t.push(x);
            }
            t.push("]".into());
            t
        }),
    ]
}

/// Conditions joined by `and` and `or`, with groups.
fn body() -> impl Strategy<Value = Vec<String>> {
    literal().prop_recursive(3, 16, 3, |inner| {
        (
            prop::collection::vec(inner, 2..4),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(parts, or, paren)| {
                let mut t = Vec::new();
                if paren {
                    t.push("(".to_string());
                }
                for (i, p) in parts.into_iter().enumerate() {
                    if i > 0 {
                        t.push(if or { "or" } else { "and" }.to_string());
                    }
                    t.extend(p);
                }
                if paren {
                    t.push(")".to_string());
                }
                t
            })
    })
}

fn item(n: usize) -> impl Strategy<Value = Vec<String>> {
    let rule = (
        body(),
        prop::collection::vec(atom(), 1..3),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(b, heads, because, source, cf)| {
            let mut t = vec!["rule".to_string(), format!("r{n}")];
            if because {
                t.extend(["because".into(), "\"since {X}\"".into()]);
            }
            t.push("when".into());
            t.extend(b);
            t.push("then".into());
            for (i, h) in heads.into_iter().enumerate() {
                if i > 0 {
                    t.push("and".into());
                }
                t.extend(h);
                if cf {
                    t.extend(["with".into(), "certainty".into(), "0.5".into()]);
                }
            }
            if source {
                t.extend(["source".into(), "A1".into(), ",".into(), "B-2".into()]);
            }
            t
        });
    let fact = (atom(), any::<bool>()).prop_map(|(a, cf)| {
        let mut t = vec!["fact".to_string()];
        // Facts state values only.
        t.extend(a.into_iter().map(|x| match x.as_str() {
            "X" | "Y" | "_" | "_Z" => "v".to_string(),
            _ => x,
        }));
        if cf {
            t.extend(["with".into(), "certainty".into(), "-0.25".into()]);
        }
        t
    });
    let question = (any::<bool>(), 0..3usize).prop_map(move |(many, kind)| {
        let mut t = vec!["question".to_string(), format!("q{n}"), "\"Which?\"".into()];
        if many {
            t.push("many".into());
        }
        match kind {
            0 => t.extend(["of", "a", ",", "b", ",", "c"].map(String::from)),
            1 => t.extend(["integer", "from", "1", "to", "9"].map(String::from)),
            _ => t.push("boolean".into()),
        }
        t
    });
    prop_oneof![
        4 => rule,
        2 => fact,
        1 => question,
        1 => Just(vec!["output".into(), format!("o{n}"), "(".into(), "X".into(), ")".into(), "\"O\"".into(), "as".into(), "\"{X}\"".into()]),
        1 => Just(vec!["name".into(), "a".into(), "\"A\"".into()]),
        1 => Just(vec!["threshold".into(), "0.3".into()]),
    ]
}

/// What may stand between two tokens: blanks, line breaks, comments.
fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        8 => Just(" "),
        1 => Just(""),
        1 => Just("\n    "),
        1 => Just("  # note\n"),
        1 => Just("\n# own line\n"),
        1 => Just("\t"),
        // The grammar takes the control characters between tab and space as blanks.
        1 => Just("\n\u{1f}"),
        1 => Just(" # ends in a control character\u{1b}\n"),
    ]
}

fn program() -> impl Strategy<Value = String> {
    let items = prop::collection::vec(any::<u8>(), 1..6).prop_flat_map(|ns| {
        ns.iter()
            .enumerate()
            .map(|(i, _)| item(i))
            .collect::<Vec<_>>()
    });
    let seps = prop::collection::vec(separator(), 400);
    let gaps = prop::collection::vec(
        prop_oneof![
            Just("\n"),
            Just("\n\n"),
            Just("\n\n\n"),
            Just("\n## doc\n"),
            Just("\n# c\n\n")
        ],
        6,
    );
    (items, seps, gaps).prop_map(|(items, seps, gaps)| {
        let mut out = String::new();
        let mut k = 0;
        for (i, it) in items.iter().enumerate() {
            out.push_str(gaps[i % gaps.len()]);
            for (j, tok) in it.iter().enumerate() {
                if j > 0 {
                    // No blank can be left out between two words.
                    let sep = seps[k % seps.len()];
                    k += 1;
                    let word = |s: &str| {
                        s.chars()
                            .all(|c| c.is_alphanumeric() || "_\"-.{}".contains(c))
                    };
                    out.push_str(if sep.is_empty() && word(&it[j - 1]) && word(tok) {
                        " "
                    } else {
                        sep
                    });
                }
                out.push_str(tok);
            }
        }
        out.push('\n');
        out
    })
}

proptest! {
    // 400 cases by default; `PROPTEST_CASES=N` for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]
    #[test]
    fn generated_programs(text in program()) {
        let mut sources = SourceMap::default();
        let file = sources.add("t.rules", text.as_str());
        let (_, diags) = because::syntax::parse_module(file, sources.get(file));
        // Generated text may break a rule of the syntax (a `name` item must start a line);
        // only programs that parse are formatted.
        prop_assume!(!diags.iter().any(|d| d.is_error()));
        if let Err(e) = holds(&text) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// The command: files rewritten in place (mode kept), a file with a syntax error left as
/// it is, `--check` changing nothing.
#[test]
fn fmt_rewrites_files_and_check_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = dir.path().join("messy.rules");
    let broken = dir.path().join("broken.rules");
    std::fs::write(
        &messy,
        "rule r when p(X)and q(X) then s(X)\nfact p(1) fact q(1)\n",
    )
    .expect("write");
    std::fs::write(&broken, "rule r when p(X) and then s(X)\n").expect("write");
    let arg = |p: &std::path::Path| p.to_string_lossy().into_owned();

    let (code, out, err) = common::run_because(
        &["fmt".into(), "--check".into(), arg(dir.path())],
        None,
        &[],
    );
    assert_eq!(code, 1, "a syntax error wins over 'would reformat': {err}");
    assert!(out.contains("messy.rules"), "{out}");
    assert!(err.contains("broken.rules:1:22"), "{err}");
    let unchanged = std::fs::read_to_string(&messy).expect("read");
    assert!(
        unchanged.starts_with("rule r when p(X)and"),
        "--check wrote the file"
    );

    let (code, _, err) = common::run_because(&["fmt".into(), arg(&messy)], None, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&messy).expect("read"),
        "rule r\n  when p(X) and q(X)\n  then s(X)\n\nfact p(1)\nfact q(1)\n"
    );
    assert!(
        err.contains("formatted 1 file, 0 already formatted"),
        "{err}"
    );

    let (code, _, _) = common::run_because(&["fmt".into(), arg(dir.path())], None, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        std::fs::read_to_string(&broken).expect("read"),
        "rule r when p(X) and then s(X)\n",
        "a file with a syntax error is left as it is"
    );
    let (code, _, err) =
        common::run_because(&["fmt".into(), "--check".into(), arg(&messy)], None, &[]);
    assert_eq!(code, 0, "formatted once, nothing more to do: {err}");
}
