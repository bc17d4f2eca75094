//! The module structure stays a pipeline (issue 22): no cycle between the crate's top-level
//! modules, and none between the sibling modules inside any module. Each source file's
//! `crate::…` and `super::…` paths are read (unit-test modules excluded: a test may reach
//! anywhere) and resolved to the longest module they name.
//!
//! Run it alone with `cargo test --test it architecture::`; a failure prints the cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path: `["engine", "graph"]` for `src/engine/graph/mod.rs`.
type ModPath = Vec<String>;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src is readable")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            source_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).expect("inside src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file's text without its `#[cfg(test)]` module, comments and string contents.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        // Drop string literals roughly: paths never appear inside them in a way that counts.
        let mut in_str = false;
        let mut prev = ' ';
        for c in line.chars() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            } else if !in_str {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// Every path starting at `crate::` or `super::` (expanded through one level of braces),
/// as written.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let mut segs = vec![start.trim_end_matches("::").to_string()];
            let mut j = at + start.len();
            loop {
                let seg: String = code[j..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if seg.is_empty() {
                    break;
                }
                j += seg.len();
                segs.push(seg);
                if code[j..].starts_with("::") {
                    j += 2;
                } else {
                    break;
                }
            }
            if code[j..].starts_with('{') {
                let close = code[j..].find('}').map_or(code.len(), |k| j + k);
                for item in code[j + 1..close].split(',') {
                    let first: Vec<String> = item
                        .trim()
                        .split("::")
                        .map(|s| {
                            s.trim()
                                .chars()
                                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                                .collect::<String>()
                        })
                        .filter(|s| !s.is_empty())
                        .collect();
                    let mut p = segs.clone();
                    p.extend(first);
                    out.push(p);
                }
            } else {
                out.push(segs);
            }
        }
    }
    out
}

/// Resolve a written path from module `here` to the longest module it names.
fn resolve(here: &ModPath, path: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let mut base: ModPath = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("super") => {
            base = here.clone();
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    let mut best = base.clone();
    let mut cur = base;
    for seg in rest {
        cur.push(seg.clone());
        if modules.contains(&cur) {
            best = cur.clone();
        } else {
            break;
        }
    }
    Some(best)
}

/// A cycle in `edges`, if there is one, as a list of nodes.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let i = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut cycle = stack[i..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// Every reference between modules: (from module, to module).
fn references() -> Vec<(ModPath, ModPath)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let modules: BTreeSet<ModPath> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut out = Vec::new();
    for f in &files {
        let here = module_of(&src, f);
        let text = std::fs::read_to_string(f).expect("readable");
        for p in paths_in(&code_of(&text)) {
            if let Some(to) = resolve(&here, &p, &modules) {
                if to != here {
                    out.push((here.clone(), to));
                }
            }
        }
    }
    out
}

/// Edges among the children of `parent` (a reference counts for the child subtrees that hold
/// its two ends; references to or from `parent` itself do not count).
fn sibling_edges(
    parent: &ModPath,
    refs: &[(ModPath, ModPath)],
) -> BTreeMap<String, BTreeSet<String>> {
    let child = |m: &ModPath| -> Option<String> {
        (m.len() > parent.len() && m.starts_with(parent)).then(|| m[parent.len()].clone())
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in refs {
        if let (Some(a), Some(b)) = (child(from), child(to)) {
            if a != b {
                edges.entry(a).or_default().insert(b);
            }
        }
    }
    edges
}

#[test]
fn no_cycle_between_modules() {
    let refs = references();
    let mut parents: BTreeSet<ModPath> = BTreeSet::new();
    for (from, _) in &refs {
        for i in 0..from.len() {
            parents.insert(from[..i].to_vec());
        }
    }
    let mut cycles = Vec::new();
    for parent in &parents {
        // `main.rs` and `lib.rs` are both the crate root; the binary only calls the library.
        let edges = sibling_edges(parent, &refs);
        if let Some(c) = find_cycle(&edges) {
            let name = if parent.is_empty() {
                "crate".to_string()
            } else {
                parent.join("::")
            };
            cycles.push(format!("inside `{name}`: {}", c.join(" -> ")));
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

/// The checker above finds a cycle when there is one (a test that cannot fail proves nothing).
#[test]
fn the_cycle_finder_finds_cycles() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let modules: BTreeSet<ModPath> = [
        vec!["engine".to_string()],
        vec!["engine".into(), "eval".into()],
    ]
    .into_iter()
    .collect();
    let here = vec!["engine".to_string(), "eval".to_string()];
    let p: Vec<String> = ["super", "KnowledgeBase"].map(String::from).to_vec();
    assert_eq!(
        resolve(&here, &p, &modules),
        Some(vec!["engine".to_string()])
    );
    let code = "use crate::engine::{eval::Limits, KnowledgeBase};";
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        paths_in(code),
        [
            owned(&["crate", "engine", "eval", "Limits"]),
            owned(&["crate", "engine", "KnowledgeBase"]),
        ]
    );
}
