//! Issue 15: the shipped knowledge base's advice holds over the whole question space.
//!
//! Answer sets: every combination of the single-valued questions (each `one of` question,
//! each boolean, each integer's two smallest values) for each language, plus a seeded sample
//! of multi-valued sets (several languages, several needs, questions left unanswered). They
//! go through the batch path (the real binary, `query --facts-ndjson - --format ndjson`),
//! and every line is checked:
//! - no framework outside the team's languages ranks above one inside (`written_in` facts
//!   are the ground truth);
//! - no caution on a framework that is not concluded in `recommend`;
//! - every set that gives the project's size and complexity gets a concluded architecture;
//! - ties are ties: certainties equal to two decimals share a rank, and only they do.
//!
//! A sample of the sets also goes through the library's query model and text rendering: no
//! text a person reads contains an identifier with an underscore, a doubled word, or an
//! unfilled placeholder. Counts of sets and findings print with `--nocapture`.
//!
//! How much of the space: `BECAUSE_ADVICE=full` takes every combination (1.66 million sets,
//! about 100 s in a debug build on 2 cores; CI sets it), `BECAUSE_ADVICE=sample` a seeded
//! eighth of them, spread evenly (every value of every question still appears with every
//! language thousands of times). Unset, a release build takes them all and a debug build (a
//! newcomer's first `cargo test`) the eighth.

use because::ast::{Const, ValueType};
use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use because::explain::query::query;
use because::explain::render::{self, text::Style};
use because::facts_file::{Format, Loaded};
use because::span::SourceMap;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};

/// A small deterministic generator (xorshift64*), so the sample is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A question as the generator sees it: its name, whether it takes several values, and the
/// values to try.
struct Question {
    name: String,
    many: bool,
    values: Vec<Value>,
}

fn json_of(c: &Const) -> Value {
    match c {
        Const::Sym(s) | Const::Str(s) => json!(s),
        Const::Int(i) => json!(i),
        Const::Dec(d) => json!(d),
        Const::Bool(b) => json!(b),
    }
}

fn questions(kb: &KnowledgeBase) -> Vec<Question> {
    kb.questions()
        .map(|q| {
            let values = match q.ty {
                ValueType::Boolean => vec![json!(true), json!(false)],
                ValueType::Integer => {
                    let lo = match q.min.as_ref().map(|m| &m.node) {
                        Some(Const::Int(i)) => *i,
                        _ => 1,
                    };
                    let hi = match q.max.as_ref().map(|m| &m.node) {
                        Some(Const::Int(i)) => *i,
                        _ => lo + 2,
                    };
                    // The smallest value and the next: the knowledge base's integer questions
                    // turn on "more than one" (a third value multiplied the space by 1.5).
                    (lo..=hi.min(lo + 1)).map(|i| json!(i)).collect()
                }
                _ => q.allowed.iter().map(|v| json_of(&v.node)).collect(),
            };
            Question {
                name: q.name.node.clone(),
                many: q.many,
                values,
            }
        })
        .collect()
}

/// Every combination of the single-valued questions, for each language alone; with `sample`,
/// only those a seeded draw picks (one in eight).
fn combinations(qs: &[Question], sample: bool) -> Vec<Map<String, Value>> {
    let mut rng = Rng(8);
    let singles: Vec<&Question> = qs.iter().filter(|q| !q.many).collect();
    let languages: Vec<Value> = qs
        .iter()
        .find(|q| q.name == "language")
        .map_or(Vec::new(), |q| q.values.clone());
    let mut out = Vec::new();
    let total: usize = singles.iter().map(|q| q.values.len()).product();
    assert!(
        total * languages.len().max(1) <= 3_000_000,
        "the single-valued question space has grown to {total} combinations per language; sample it instead"
    );
    for lang in &languages {
        let mut idx = vec![0usize; singles.len()];
        'all: loop {
            if !sample || rng.below(8) == 0 {
                let mut m = Map::new();
                m.insert("language".into(), json!([lang]));
                for (q, &i) in singles.iter().zip(&idx) {
                    m.insert(q.name.clone(), q.values[i].clone());
                }
                out.push(m);
            }
            // The next combination: an odometer over the questions' values.
            let mut k = 0;
            loop {
                if k == idx.len() {
                    break 'all;
                }
                idx[k] += 1;
                if idx[k] < singles[k].values.len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
    }
    out
}

/// A seeded sample of multi-valued answer sets: several languages (or none), several
/// values of every many-valued question, single-valued questions answered or not.
fn sample(qs: &[Question], n: usize, seed: u64) -> Vec<Map<String, Value>> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut m = Map::new();
        for q in qs {
            if q.many {
                let k = rng.below(q.values.len().min(4) + 1);
                let mut picked: Vec<Value> = Vec::new();
                for _ in 0..k {
                    let v = q.values[rng.below(q.values.len())].clone();
                    if !picked.contains(&v) {
                        picked.push(v);
                    }
                }
                if !picked.is_empty() || rng.chance(30) {
                    m.insert(q.name.clone(), Value::Array(picked));
                }
            } else if rng.chance(70) {
                m.insert(q.name.clone(), q.values[rng.below(q.values.len())].clone());
            }
        }
        out.push(m);
    }
    out
}

/// What the rules say about frameworks: each one's languages.
fn written_in(kb: &KnowledgeBase) -> BTreeMap<String, BTreeSet<String>> {
    let g = kb.run(&[], Limits::default()).expect("an empty run");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in g.facts_of("written_in", 2) {
        let v = g.values(f);
        if let (Const::Sym(fw), Const::Sym(l)) = (&v[0], &v[1]) {
            out.entry(fw.clone()).or_default().insert(l.clone());
        }
    }
    out
}

/// Findings of one kind, with the first few examples.
#[derive(Default)]
struct Findings {
    count: usize,
    examples: Vec<String>,
}

impl Findings {
    fn add(&mut self, what: String) {
        self.count += 1;
        if self.examples.len() < 5 {
            self.examples.push(what);
        }
    }
}

fn str_values(row: &Value) -> Vec<String> {
    row["values"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_advice_holds_over_the_question_space() {
    let kb = KnowledgeBase::embedded()
        .map_err(|e| e.to_string())
        .expect("the shipped rules compile");
    let qs = questions(&kb);
    let full = match std::env::var("BECAUSE_ADVICE").as_deref() {
        Ok("full") => true,
        Ok("sample") => false,
        Ok(other) => panic!("BECAUSE_ADVICE is `full` or `sample`, not `{other}`"),
        Err(_) => !cfg!(debug_assertions),
    };
    let mut sets = combinations(&qs, !full);
    let exhaustive = sets.len();
    sets.extend(sample(
        &qs,
        20_000usize.saturating_sub(exhaustive).max(5_000),
        15,
    ));
    let written = written_in(&kb);
    let frameworks: BTreeSet<&String> = written.keys().collect();
    // `BECAUSE_ADVICE_SETS=FILE` writes the answer sets, one JSON line each (to compare
    // another build on the same sets).
    if let Some(path) = std::env::var_os("BECAUSE_ADVICE_SETS") {
        let text: String = sets
            .iter()
            .map(|m| serde_json::to_string(m).expect("JSON") + "\n")
            .collect();
        std::fs::write(path, text).expect("write the sets");
    }

    // Through the batch path: the real binary, streaming.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_because"))
        .args(["query", "--facts-ndjson", "-", "--format", "ndjson"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run because");
    let mut stdin = child.stdin.take().expect("stdin");
    let lines: Vec<String> = sets
        .iter()
        .map(|m| serde_json::to_string(m).expect("JSON"))
        .collect();
    let writer = std::thread::spawn(move || {
        for l in lines {
            if stdin.write_all(l.as_bytes()).is_err() || stdin.write_all(b"\n").is_err() {
                return;
            }
        }
    });
    let stdout = child.stdout.take().expect("stdout");
    let mut outside = Findings::default();
    let mut cautions = Findings::default();
    let mut architecture = Findings::default();
    let mut ties = Findings::default();
    let mut errors = Findings::default();
    let mut answered = 0;
    for (i, line) in std::io::BufReader::new(stdout).lines().enumerate() {
        let line = line.expect("a line");
        let v: Value = serde_json::from_str(&line).expect("a JSON line");
        let set = &sets[i];
        answered += 1;
        if v.get("error").is_some() {
            errors.add(format!("{set:?} -> {line}"));
            continue;
        }
        let out = &v["outputs"];
        let langs: BTreeSet<String> = set
            .get("language")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let empty = Vec::new();
        let rec = out["recommend"].as_array().unwrap_or(&empty);
        // Ranked below every framework the team can write? Then it is not "above" one.
        if !langs.is_empty() {
            let inside = |f: &str| written.get(f).is_some_and(|ls| !ls.is_disjoint(&langs));
            let worst_inside = rec
                .iter()
                .filter(|r| inside(&str_values(r)[0]))
                .filter_map(|r| r["rank"].as_u64())
                .max();
            for r in rec {
                let f = &str_values(r)[0];
                let rank = r["rank"].as_u64().unwrap_or(0);
                if !inside(f) && worst_inside.is_some_and(|w| rank < w) {
                    outside.add(format!(
                        "{f} (rank {rank}) above a framework in {langs:?}: {line}"
                    ));
                }
            }
        }
        let recommended: BTreeSet<String> = rec.iter().map(|r| str_values(r)[0].clone()).collect();
        for c in out["caution"].as_array().unwrap_or(&empty) {
            let subject = &str_values(c)[0];
            if frameworks.contains(subject) && !recommended.contains(subject) {
                cautions.add(format!("caution on {subject}, not recommended: {line}"));
            }
        }
        if set.contains_key("project_size")
            && set.contains_key("complexity")
            && out["architecture"].as_array().is_none_or(|a| a.is_empty())
        {
            architecture.add(format!("{set:?}"));
        }
        for (name, rows) in out.as_object().into_iter().flatten() {
            let rows = rows.as_array().unwrap_or(&empty);
            for (k, r) in rows.iter().enumerate() {
                let key =
                    |r: &Value| (r["certainty"].as_f64().unwrap_or(0.0) * 100.0).round() as i64;
                let rank = r["rank"].as_u64().unwrap_or(0) as usize;
                let expected = if k > 0 && key(&rows[k - 1]) == key(r) {
                    rows[k - 1]["rank"].as_u64().unwrap_or(0) as usize
                } else {
                    k + 1
                };
                if rank != expected {
                    ties.add(format!("{name}: rank {rank}, expected {expected}: {line}"));
                }
            }
        }
    }
    let _ = writer.join();
    let status = child.wait().expect("because ends");
    eprintln!(
        "answer sets: {} ({exhaustive} of the single-valued questions' combinations{}, {} sampled); answered: {answered}",
        sets.len(),
        if full { ", all" } else { ", a seeded eighth" },
        sets.len() - exhaustive
    );
    let report = |name: &str, f: &Findings| {
        eprintln!("{name}: {}", f.count);
        for e in &f.examples {
            eprintln!("  {e}");
        }
    };
    report(
        "framework outside the team's languages ranked above one inside",
        &outside,
    );
    report("caution on a framework not recommended", &cautions);
    report("size and complexity given, no architecture", &architecture);
    report("ties not shown as ties", &ties);
    report("sets rejected", &errors);
    assert_eq!(answered, sets.len(), "every set gets a line ({status})");
    assert!(sets.len() >= 20_000, "at least 20,000 answer sets");
    assert_eq!(
        (
            outside.count,
            cautions.count,
            architecture.count,
            ties.count,
            errors.count
        ),
        (0, 0, 0, 0, 0),
        "findings above"
    );
}

/// Words that should never reach a person: identifiers with underscores, a word twice in a
/// row, an unfilled placeholder.
fn text_problems(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ':' | ';' | '(' | ')' | '"'))
        .filter(|w| !w.is_empty())
        .collect();
    for w in &words {
        let core = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
        if core.contains('_') && core.chars().any(char::is_alphabetic) {
            out.push(format!("identifier `{core}`"));
        }
    }
    for pair in words.windows(2) {
        let (a, b) = (pair[0].to_lowercase(), pair[1].to_lowercase());
        if a == b && a.chars().all(char::is_alphabetic) {
            out.push(format!("doubled word `{a} {b}`"));
        }
    }
    if text.contains('{') || text.contains('}') {
        out.push("unfilled placeholder".to_string());
    }
    out
}

#[test]
fn no_text_a_person_reads_shows_identifiers_doubled_words_or_placeholders() {
    let kb = KnowledgeBase::embedded()
        .map_err(|e| e.to_string())
        .expect("the shipped rules compile");
    let qs = questions(&kb);
    let mut problems: BTreeMap<String, String> = BTreeMap::new();
    let mut check = |what: &str, text: &str| {
        for p in text_problems(text) {
            problems
                .entry(format!("{p} in {what}"))
                .or_insert_with(|| text.to_string());
        }
    };
    for q in kb.questions() {
        check("a prompt", &q.prompt.node);
    }
    for o in kb.outputs() {
        check("an output label", &o.label.node);
    }
    // The answer texts of a sample of sets (every reason that fires, with its values).
    let mut sets = combinations(&qs, true);
    let mut rng = Rng(7);
    let mut picked: Vec<Map<String, Value>> = (0..2_000)
        .map(|_| sets.swap_remove(rng.below(sets.len())))
        .collect();
    picked.extend(sample(&qs, 2_000, 16));
    for set in &picked {
        let text = serde_json::to_string(set).expect("JSON");
        let mut sources = SourceMap::default();
        let mut loaded = Loaded::default();
        let diags = loaded.add(&kb, &mut sources, "set.json", &text, Format::Json);
        assert!(diags.iter().all(|d| !d.is_error()), "{text}: {diags:?}");
        let g = kb.run(&loaded.facts, Limits::default()).expect("runs");
        let q = query(&g, None, None);
        check("the answer", &render::text::query(&q, Style::default()));
    }
    let shown: Vec<String> = problems
        .iter()
        .take(40)
        .map(|(p, t)| format!("{p}:\n{t}"))
        .collect();
    eprintln!("text problems: {}", problems.len());
    assert!(problems.is_empty(), "{}", shown.join("\n---\n"));
}
