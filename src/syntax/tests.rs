//! The fast path for plain facts and rules (`fast.rs`) must build exactly what the parser
//! builds.
use super::driver::{parse_module_with, PARALLEL_BYTES};
use super::fast;
use crate::ast::*;
use crate::span::{FileId, SourceFile};
use proptest::prelude::*;

/// A large file of plain facts (the fast path takes it whole) is parsed in parallel too, with
/// the same facts, chunks' names, doc comments and diagnostics as on one thread.
#[test]
fn parallel_parsing_of_plain_facts_gives_what_one_thread_gives() {
    let mut text = String::new();
    let mut k = 0;
    while text.len() < 3 * PARALLEL_BYTES {
        text.push_str(&format!(
            "fact size(p{k}, {k})\nfact language(p{k}, \"l{}\")\n",
            k % 6
        ));
        if k % 1009 == 0 {
            text.push_str(&format!(
                "## project {k}\nfact excluded(p{k}, f{k}, 1.5)\nfact (\n"
            ));
        }
        k += 1;
    }
    let src = SourceFile::new("t.rules".into(), text);
    let one = parse_module_with(FileId(0), &src, true, false);
    let many = parse_module_with(FileId(0), &src, true, true);
    assert!(!one.1.is_empty(), "the broken facts are reported");
    assert!(
        one.0.facts.chunks().len() > 3,
        "the file is cut into several chunks"
    );
    assert_eq!(format!("{one:?}"), format!("{many:?}"));
}

/// The module and diagnostics, spans included, with the fast path on and off.
fn both(text: &str) -> (String, String) {
    super::fast_and_general(text)
}

/// A large file with many items for the general parser is parsed in parallel: the
/// result, spans, order and diagnostics included, is what one thread gives.
#[test]
fn parallel_parsing_gives_what_one_thread_gives() {
    let mut text = String::from("question level \"Which?\" one of low, high\n");
    let mut k = 0;
    while text.len() < 3 * PARALLEL_BYTES {
        text.push_str(&format!(
            "## rule {k}\nrule r{k} when p{k}(X) and (X > {k} or level(low)) then q{k}(X)\nfact p{k}({k})\n"
        ));
        if k % 997 == 0 {
            text.push_str("rule broken when then\n");
        }
        k += 1;
    }
    let src = SourceFile::new("t.rules".into(), text);
    let one = parse_module_with(FileId(0), &src, true, false);
    let many = parse_module_with(FileId(0), &src, true, true);
    assert!(!one.1.is_empty(), "the broken rules are reported");
    assert_eq!(format!("{one:?}"), format!("{many:?}"));
}

proptest! {
    /// The scan cut into parts on several threads finds what the whole scan finds: item
    /// starts, comments, and the first nesting error; parts start at lines that start with
    /// an item keyword, so the pieces put those everywhere, beside the things that carry a
    /// scan's state over a line's end (an open bracket, a string whose last character
    /// escapes the line's end) and deep nesting.
    #[test]
    fn the_scan_in_parts_finds_what_the_whole_scan_finds(
        pieces in prop::collection::vec(prop::sample::select(vec![
            "fact p(1)\n", "rule r when q(X) then p(X)\n", "fact s(\"a\\\n", "fact s(\"x\\\nfact t(1)\n",
            "# a comment \"\n", "## doc\n", "rule r when (\n", ")\n", "question\n", "output o(X)\n",
            "name x \"y\"\n", "threshold 0.2\n", "  fact indented(1)\n", "factual(1)\n",
            "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((\n", "[x]\n",
            "\"unclosed\n", "fact\n",
        ]), 0..60),
        parts in 2usize..9,
    ) {
        let text = pieces.concat();
        let src = SourceFile::new("t.rules".into(), text.clone());
        let whole = super::scan::scan(FileId(0), &src);
        let cut = super::scan::scan_parallel(FileId(0), &src, parts);
        prop_assert_eq!(
            (&whole.comments, &whole.starts, format!("{:?}", whole.diags)),
            (&cut.comments, &cut.starts, format!("{:?}", cut.diags)),
            "{:?}", text
        );
    }
}

proptest! {
    /// The scan that looks only at the places a block of 64 bytes at a time finds (quotes,
    /// comment signs, brackets, words starting like an item keyword) finds what it finds
    /// when it looks at every byte: item starts, comments and nesting errors, with keywords
    /// inside words, after non-ASCII letters, across the blocks' edges and at the text's end.
    #[test]
    fn the_scan_by_blocks_finds_what_a_scan_of_every_byte_finds(
        pieces in prop::collection::vec(prop::sample::select(vec![
            "fact p(1)\n", "rule r when q(X) then p(X)\n", "fact s(\"a\\\n", "xfact", "_rule ",
            "éfact q(1)\n", "9output", "# a comment \"\n", "## doc\n", "(", ")\n", "[x]", "\t",
            "question\n", "name x \"y\"\n", "  threshold 0.2\n", "advice A1\n", "factual(1)\n",
            "\"unclosed\n", "fact", " ", "rfqonta", "\u{80}", "((((((((((((((((((((((((((((((((",
        ]), 0..80),
    ) {
        let text = pieces.concat();
        let src = SourceFile::new("t.rules".into(), text.clone());
        let len = text.len();
        let by_blocks = super::scan::scan(FileId(0), &src);
        let (every, _) = super::scan::scan_part_with(FileId(0), &src, 0, len, |i| (i < len).then_some(i));
        prop_assert_eq!(
            (&by_blocks.comments, &by_blocks.starts, format!("{:?}", by_blocks.diags)),
            (&every.comments, &every.starts, format!("{:?}", every.diags)),
            "{:?}", text
        );
    }
}

#[test]
fn reserved_words_are_recognised_by_the_match_as_by_the_list() {
    for w in super::RESERVED {
        assert!(super::is_reserved(w), "{w}");
        assert!(!super::is_reserved(&format!("{w}s")));
        assert!(!super::is_reserved(&w[1..]));
    }
    assert!(!super::is_reserved(""));
    // The other words of the language, and words close to reserved ones, are not.
    for w in [
        "question",
        "name",
        "advice",
        "threshold",
        "source",
        "many",
        "one",
        "of",
        "from",
        "to",
        "certainty",
        "as",
        "integer",
        "symbol",
        "Rule",
        "AND",
        "nots",
        "fals",
        "ruler",
    ] {
        assert_eq!(super::is_reserved(w), super::RESERVED.contains(&w), "{w}");
    }
}

#[test]
fn fast_path_agrees_on_every_fixture_and_shipped_file() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut seen = 0;
    for dir in [
        "rules",
        "tests/fixtures/parse_ok",
        "tests/fixtures/parse_err",
        "tests/fixtures/check",
    ] {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            let path = entry.unwrap().path();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let (fast, slow) = both(&text);
            assert!(fast == slow, "{}", path.display());
            seen += 1;
        }
    }
    assert!(seen > 80, "only {seen} files compared");
}

#[test]
fn fast_path_takes_plain_items_and_leaves_the_rest() {
    let src = |t: &str| SourceFile::new("t.rules".into(), t);
    // Whether the fast path took the item, and whether it added exactly one item or fact.
    let fast = |t: &str| {
        let (mut items, mut facts) = (Vec::new(), FactChunk::default());
        let taken = fast::item(FileId(0), &src(t), 0, t.len(), &mut items, &mut facts);
        (taken, items.len() + facts.len())
    };
    let taken = [
        "fact edge(1, 2)\n",
        "fact p(a, \"é x\", -3, 0.5, true) with certainty -0.25",
        "fact p()",
        "fact p(1) # a comment\n## and a doc comment\n",
        "fact p(1)with certainty 0.5",
        "rule r0 when seed(0) then p(1)",
        "rule r because \"{X} is good\" source A1, b-2.x when p(X, _) and not q(X)\n  then r(X) with certainty 0.5 and s(X, y)\n",
        "rule r when p(X) then q(X) source Z9 because \"later\"",
    ];
    for t in taken {
        assert_eq!(fast(t), (true, 1), "{t}");
    }
    let left = [
        "fact p(X)",
        "fact p(1) + 2",
        "fact p(\"a\\nb\")",
        "fact p(1 + 2)",
        "fact and(1)",
        "fact p(99999999999999999999)",
        "fact sunny",
        "fact p(1",
        "fact p(1) with certainty",
        "rule r when p(X) or q(X) then s(X)",
        "rule r when p(X) and X > 1 then s(X)",
        "rule r when p(X) and X in [a] then s(X)",
        "rule r when sunny then s(x)",
        "rule r when p(X) then s(X + 1)",
        "rule r when (p(X)) then s(X)",
        "rule when when p(X) then s(X)",
        "rule r when p(X) # note\n then s(X)",
        "rule r because \"a\\tb\" when p(X) then s(X)",
        "question q \"Q?\"",
    ];
    for t in left {
        assert_eq!(fast(t), (false, 0), "{t}");
    }
}

/// Inputs on which fuzzing (`fuzz_targets/fast_path.rs`) found the paths disagreeing.
#[test]
fn fast_path_agrees_on_inputs_fuzzing_found() {
    let found = [
        // `name` after a fact on its line: a run of items parsed in one call took it as an
        // item, the item-by-item retry (after an error elsewhere in the group) did not.
        ")fact f()fact w(s)name e\"\"\nname s\"\"",
        "fact w(s) name e \"E\"\n",
        "fact a(b)\nfact w(s) threshold 0.5\nfact c(d)\n",
    ];
    for text in found {
        let (fast, slow) = both(text);
        assert_eq!(fast, slow, "{text}");
    }
    // Run together on one line, it is an error however the file is grouped.
    let (fast, _) = both("fact a(b)\nfact w(s) name e \"E\"\nname f \"F\"\n");
    assert!(fast.contains("found `name`"), "{fast}");
}

fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "fact",
        "rule",
        "p",
        "q_1",
        "(",
        ")",
        ",",
        " ",
        "  ",
        "\n",
        "\t",
        "\r\n",
        "1",
        "-2",
        "007",
        "1.5",
        "-0.25",
        "1.",
        ".5",
        "-",
        "+",
        "x",
        "truex",
        "true",
        "false",
        "and",
        "\"s\"",
        "\"a b\"",
        "\"\\n\"",
        "\"é\"",
        "\"",
        "X",
        "_",
        "#c\n",
        "with",
        "certainty",
        "0.8",
        "99999999999999999999",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "-9223372036854775809",
        "-0",
        "999999999999999999",
        "-999999999999999999",
        "1000000000000000000",
        "-1000000000000000000",
        "000000000000000000000007",
        "when",
        "then",
        "p(1)",
        "é",
        "not",
        "or",
        "<",
        "Y",
        "because",
        "source",
        "S1",
        "q(X)",
        "not q(Y)",
        " and ",
        " then ",
        " with certainty 0.5",
        "\"\u{1b}[0m\"",
        "\"\u{85}\"",
        "\"°\"",
        "name",
        "\nname e \"E\"\n",
        "threshold",
        "\nthreshold 0.5\n",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    /// Random token soups shaped like facts and rules: both paths agree, errors included.
    #[test]
    fn fast_path_agrees_on_generated_items(lines in prop::collection::vec(
        (prop::sample::select(vec!["fact p(", "rule r when p(", "rule r source S when q(X) and p(", "rule r when p(X) then q("]),
         prop::collection::vec(token(), 0..12)), 1..6)) {
        let mut text = String::new();
        for (start, l) in lines {
            text.push_str(start);
            text.push_str(&l.concat());
            text.push('\n');
        }
        let (fast, slow) = both(&text);
        prop_assert_eq!(fast, slow, "{}", text);
    }

    /// Well-formed facts with varied blanks, values and certainties, which the fast path
    /// takes, mixed with other items it leaves to the parser.
    #[test]
    fn fast_path_agrees_on_wellformed_facts(items in prop::collection::vec((
        prop::collection::vec((token(), prop::sample::select(vec!["", " ", "\t", "\n  "])), 0..5),
        prop::option::of(prop::sample::select(vec!["0.5", "-1", "1.0", "-0.25", "2"])),
        prop::sample::select(vec!["\n", " \n", "\r\n", "\n# note\n", "\n\n## doc\n", ""]),
        any::<bool>(),
    ), 1..8)) {
        let mut text = String::new();
        for (args, cf, after, rule) in items {
            if rule {
                // A rule whose conditions and conclusions take the generated arguments.
                let values: Vec<String> = args
                    .iter()
                    .map(|(t, blank)| format!("{blank}{t}{blank}"))
                    .collect();
                let a = values.join(",");
                text.push_str(&format!("rule r{} source S1 when p({a}) and not q(X, {a})\n then s({a})", args.len()));
                if let Some(cf) = cf {
                    text.push_str(" with certainty ");
                    text.push_str(cf);
                }
                text.push_str(" and t(Y) because \"why\"");
            } else {
                text.push_str("fact p(");
                let values: Vec<String> = args
                    .iter()
                    .map(|(t, blank)| format!("{blank}{t}{blank}"))
                    .collect();
                text.push_str(&values.join(","));
                text.push(')');
                if let Some(cf) = cf {
                    text.push_str(" with certainty ");
                    text.push_str(cf);
                }
            }
            text.push_str(after);
        }
        let (fast, slow) = both(&text);
        prop_assert_eq!(fast, slow, "{}", text);
    }
}
