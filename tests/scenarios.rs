//! The shipped knowledge base on realistic projects (`tests/scenarios/`, JSON and TOML).
//! Each scenario's full explanation is snapshotted (its ranked answer is a golden file of its
//! `because test` case in `rules/tests/`, with what the guide says it must conclude); together the
//! scenarios must make every rule fire and put every framework on top at least once; and the
//! answers must agree with the guide where it is explicit.

use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use because::explain::how::HowOptions;
use because::explain::query::{query, QueryResult};
use because::explain::render::text::{self, Style};
use because::facts_file::{Format, Loaded};
use because::span::SourceMap;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn scenario_files() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir("tests/scenarios")
        .expect("tests/scenarios")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

struct Outcome {
    result: QueryResult,
    explained: QueryResult,
    fired: BTreeSet<String>,
}

fn run(kb: &KnowledgeBase, path: &Path) -> Outcome {
    let name = format!(
        "tests/scenarios/{}",
        path.file_name().expect("name").to_string_lossy()
    );
    let text = std::fs::read_to_string(path).expect("scenario");
    let format = Format::from_name(&name).expect("json or toml");
    let mut sources = SourceMap::default();
    let mut loaded = Loaded::default();
    let diags = loaded.add(kb, &mut sources, &name, &text, format);
    assert!(diags.is_empty(), "{name}: {diags:?}");
    let g = kb.run(&loaded.facts, Limits::default()).expect("run");
    let fired = g
        .fired_rules()
        .into_iter()
        .map(|r| kb.rule(r).name.to_string())
        .collect();
    Outcome {
        result: query(&g, None, None),
        explained: query(
            &g,
            Some(HowOptions {
                all: false,
                depth: None,
            }),
            None,
        ),
        fired,
    }
}

fn top(q: &QueryResult, output: &str) -> Option<String> {
    q.outputs
        .iter()
        .find(|o| o.name == output)
        .and_then(|o| o.concluded.first())
        .map(|c| c.values.join(", "))
}

fn certainty(q: &QueryResult, fact: &str) -> f64 {
    q.outputs
        .iter()
        .flat_map(|o| o.concluded.iter().chain(o.ruled_out.iter()))
        .find(|c| c.fact == fact)
        .map_or(0.0, |c| c.certainty)
}

fn has(q: &QueryResult, fact: &str) -> bool {
    q.outputs
        .iter()
        .flat_map(|o| o.concluded.iter())
        .any(|c| c.fact == fact)
}

#[test]
fn scenario_snapshots() {
    let kb = KnowledgeBase::embedded()
        .map_err(|_| "shipped rules")
        .expect("compiles");
    let style = Style {
        verbose: false,
        color: false,
    };
    for path in scenario_files() {
        let o = run(&kb, &path);
        let stem = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .replace('.', "_");
        insta::assert_snapshot!(
            format!("{stem}__explained"),
            text::query(&o.explained, style)
        );
    }
}

#[test]
fn every_rule_fires_in_some_scenario() {
    let kb = KnowledgeBase::embedded()
        .map_err(|_| "shipped rules")
        .expect("compiles");
    let mut fired = BTreeSet::new();
    for path in scenario_files() {
        fired.extend(run(&kb, &path).fired);
    }
    let all: BTreeSet<String> = kb.rules().map(|r| r.name.to_string()).collect();
    let never: Vec<&String> = all.difference(&fired).collect();
    assert!(never.is_empty(), "rules that no scenario fires: {never:?}");
}

#[test]
fn every_framework_tops_some_scenario() {
    let kb = KnowledgeBase::embedded()
        .map_err(|_| "shipped rules")
        .expect("compiles");
    let mut tops: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in scenario_files() {
        if let Some(t) = top(&run(&kb, &path).result, "recommend") {
            tops.entry(t).or_default().push(path.display().to_string());
        }
    }
    for f in [
        "nodejs",
        "express",
        "nestjs",
        "nextjs",
        "django",
        "flask",
        "rails",
        "laravel",
        "aspnet_core",
        "spring",
    ] {
        assert!(
            tops.contains_key(f),
            "{f} is never the top recommendation; tops: {tops:?}"
        );
    }
}

/// Where the guide is explicit, the answers agree with it.
#[test]
fn answers_agree_with_the_guide() {
    let kb = KnowledgeBase::embedded()
        .map_err(|_| "shipped rules")
        .expect("compiles");
    let q = |name: &str| run(&kb, Path::new(&format!("tests/scenarios/{name}"))).result;

    // K2: Python with a non-relational database ranks Flask above Django.
    let r = q("python-nosql-api.json");
    assert!(certainty(&r, "recommend(flask)") > certainty(&r, "recommend(django)"));
    assert_eq!(top(&r, "recommend").as_deref(), Some("flask"));
    // D2: Python with relational data and a built-in ORM ranks Django first.
    assert_eq!(
        top(&q("python-relational-admin.json"), "recommend").as_deref(),
        Some("django")
    );
    // Q3: a small project with straightforward needs gets a monolith.
    assert_eq!(
        top(&q("small-straightforward.json"), "architecture").as_deref(),
        Some("monolith")
    );
    // Q4: a large, complex project gets microservices.
    assert_eq!(
        top(&q("large-complex-microservices.toml"), "architecture").as_deref(),
        Some("microservices")
    );
    // S2: a Java team gets Spring.
    assert_eq!(
        top(&q("java-enterprise.toml"), "recommend").as_deref(),
        Some("spring")
    );
    // R3: Ruby where performance at scale is critical gets a caution.
    assert!(has(
        &q("ruby-at-scale.json"),
        "caution(rails, slow_at_scale)"
    ));
    // Q2: combining several backend frameworks gets a caution.
    assert!(has(
        &q("several-frameworks.toml"),
        "caution(project, several_backend_frameworks)"
    ));
    // F4 with F6: a steep learning curve under a tight deadline gets a caution.
    assert!(has(
        &q("php-beginner-tight.json"),
        "caution(laravel, steep_learning_curve)"
    ));
    // C2: someone who would rather not code is pointed to no-code.
    assert!(has(&q("no-code.json"), "note(no_code_alternative)"));
    // F6: under a tight deadline, frameworks in a language the team does not know are ruled out.
    let r = q("python-beginner-tight.json");
    assert!(certainty(&r, "recommend(spring)") < 0.0);
    assert!(certainty(&r, "recommend(django)") > 0.0);
    // N1: real-time features on a JavaScript team point to Node.js.
    assert_eq!(
        top(&q("js-realtime-chat.json"), "recommend").as_deref(),
        Some("nodejs")
    );
    // X1/X2: a React frontend needing SEO and an MVP points to Next.js.
    assert_eq!(
        top(&q("react-seo-marketing.json"), "recommend").as_deref(),
        Some("nextjs")
    );
    // L2: PHP points to Laravel.
    assert_eq!(
        top(&q("php-shop.toml"), "recommend").as_deref(),
        Some("laravel")
    );
    // A2: C# with performance critical points to ASP.NET Core.
    assert_eq!(
        top(&q("csharp-performance.json"), "recommend").as_deref(),
        Some("aspnet_core")
    );
    // F7 (corrected): Flask is Python only, so a JavaScript-only team never gets Flask.
    let r = q("js-small-api.json");
    assert!(!has(&r, "recommend(flask)"));
}

/// Every advice ID in the guide's ADVICE.md is cited by a rule, and every rule cites one.
#[test]
fn every_advice_id_is_cited() {
    let kb = KnowledgeBase::embedded()
        .map_err(|_| "shipped rules")
        .expect("compiles");
    let cited: BTreeSet<&str> = kb
        .rules()
        .flat_map(|r| r.sources.iter().map(String::as_str))
        .collect();
    for r in kb.rules() {
        assert!(!r.sources.is_empty(), "rule `{}` cites no advice", r.name);
    }
    // The IDs, as numbered in ../shared/guide/ADVICE.md (a copy is kept in docs so the test
    // runs without the shared folder).
    let advice = std::fs::read_to_string("docs/advice-ids.txt").expect("docs/advice-ids.txt");
    let ids: Vec<&str> = advice.split_whitespace().collect();
    assert!(ids.len() >= 35, "expected the full list of advice IDs");
    let missing: Vec<&&str> = ids.iter().filter(|id| !cited.contains(**id)).collect();
    assert!(missing.is_empty(), "advice IDs no rule cites: {missing:?}");
    let unknown: Vec<&&str> = cited.iter().filter(|c| !ids.contains(c)).collect();
    assert!(
        unknown.is_empty(),
        "rules cite IDs that ADVICE.md does not have: {unknown:?}"
    );
}
