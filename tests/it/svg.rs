//! SVG pictures (`--format svg`): well-formed XML, every box of the explanation present with
//! its words, certainties on the edges, and the same bytes from run to run.

use crate::common;

/// The command's standard output (it must succeed).
fn run(args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (code, out, err) = common::run_because(&args, None, &[]);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// All the text the picture shows, lines joined by spaces (labels are wrapped into lines).
fn shown_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter(|n| {
            n.parent()
                .is_some_and(|p| ["tspan", "text", "textPath"].contains(&p.tag_name().name()))
        })
        .filter_map(|n| n.text())
        .collect();
    texts
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A picture and the JSON of the same explanation; checks what the two share.
fn picture_and_model(args: &[&str]) -> (String, serde_json::Value) {
    let mut svg_args = args.to_vec();
    svg_args.extend(["--format", "svg"]);
    let svg = run(&svg_args);
    assert_eq!(svg, run(&svg_args), "the same picture twice");
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let model = serde_json::from_str(&run(&json_args)).expect("JSON");
    (svg, model)
}

#[test]
fn a_derivation_tree_shows_every_fact_and_reason() {
    for (fact, facts) in [
        ("recommend(flask)", "examples/python-startup.json"),
        (
            "recommend(spring)",
            "rules/tests/facts/java-enterprise.toml",
        ),
        (
            "architecture(microservices)",
            "rules/tests/facts/large-complex-microservices.toml",
        ),
    ] {
        let (svg, how) = picture_and_model(&["explain", fact, "--facts", facts]);
        let text = shown_text(&svg);
        let nodes = how["nodes"].as_array().expect("nodes");
        assert!(!nodes.is_empty());
        for n in nodes {
            let w = words(n["words"].as_str().expect("words"));
            assert!(
                text.contains(&w),
                "{fact}: `{w}` not in the picture:\n{text}"
            );
            for d in n["derivations"].as_array().expect("derivations") {
                if let Some(r) = d["reason"].as_str() {
                    assert!(text.contains(&words(r)), "{fact}: reason `{r}` missing");
                }
                let cf = d["certainty"].as_f64().expect("certainty");
                let label = format!("{}{:.2}", if cf < 0.0 { "-" } else { "+" }, cf.abs());
                assert!(text.contains(&label), "{fact}: edge label {label} missing");
            }
        }
    }
}

#[test]
fn a_contrast_shows_both_sides_and_every_reason() {
    for (fact, over) in [
        ("recommend(flask)", "recommend(django)"),
        ("recommend(flask)", "recommend(rails)"),
    ] {
        let (svg, c) = picture_and_model(&[
            "explain",
            fact,
            "--over",
            over,
            "--facts",
            "examples/python-startup.json",
        ]);
        let text = shown_text(&svg);
        for side in ["fact", "over"] {
            let name = c[side]["name"].as_str().expect("name");
            assert!(text.contains(name), "{name} missing:\n{text}");
        }
        let mut reasons = Vec::new();
        for s in c["both"].as_array().expect("both") {
            reasons.push(s["fact"].clone());
        }
        for key in ["only_fact", "only_over", "against_fact", "against_over"] {
            reasons.extend(c[key].as_array().expect(key).iter().cloned());
        }
        assert!(!reasons.is_empty());
        for r in reasons {
            let t = words(r["text"].as_str().expect("text"));
            assert!(text.contains(&t), "reason `{t}` missing:\n{text}");
        }
        // Evidence against is drawn dashed and red.
        let against = !c["against_over"].as_array().expect("list").is_empty();
        assert_eq!(
            svg.contains("stroke-dasharray"),
            against,
            "{fact} over {over}"
        );
    }
}
