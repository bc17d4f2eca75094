//! What the language server knows about a rule set: its files (open buffers over the files on
//! disk), the check's diagnostics, and an index of the names in each file (rules,
//! predicates, constants) for hover, go to definition and document symbols.

use crate::ast::{Body, ExprKind, Item, Literal};
use crate::diag::{Diagnostic, Severity};
use crate::program::Program;
use crate::span::{FileId, Span};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A name at a place in a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Rule(String),
    Predicate(String),
    Constant(String),
}

/// One analysis of a rule set.
pub struct Analysis {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
    /// Per file: its path, and the names in it by place.
    pub files: BTreeMap<FileId, (PathBuf, Vec<(Span, Token)>)>,
    /// Whether no two names overlap in any file (a place indexed twice aside): then the
    /// name at a place is found by a binary search (see [`Analysis::token_at`]).
    disjoint: bool,
}

impl Analysis {
    /// Parse and check `files` (path and text).
    #[cfg(test)]
    pub fn new(files: &[(PathBuf, String)]) -> Analysis {
        Analysis::focused(files, &[])
    }

    /// Parse and check `files` (path and text); where more diagnostics are found than are
    /// kept, those of the files `open` (in the editor) are kept first.
    pub fn focused(files: &[(PathBuf, String)], open: &[PathBuf]) -> Analysis {
        let mut program = Program::default();
        let mut diags = Vec::new();
        let mut paths = BTreeMap::new();
        let mut focus = Vec::new();
        for (path, text) in files {
            diags.extend(program.add_text(&path.to_string_lossy(), text.as_str()));
            let (id, _) = program.modules.last().expect("just added");
            paths.insert(*id, path.clone());
            if open.contains(path) {
                focus.push(*id);
            }
        }
        let report = crate::check::check_program_focused(&program, diags, &focus);
        let mut out = BTreeMap::new();
        let mut disjoint = true;
        for (id, module) in &program.modules {
            let mut index = Vec::new();
            for item in module.items.iter() {
                index_item(item, &mut index);
            }
            for f in module.facts.iter() {
                index.push((f.pred_span(), Token::Predicate(f.pred().to_string())));
                for (v, span) in f.values() {
                    if let Some(crate::ast::ConstRef::Sym(s)) = v {
                        index.push((span, Token::Constant(s.to_string())));
                    }
                }
            }
            index.sort_by_key(|(s, _)| (s.start, s.end));
            disjoint &= index
                .windows(2)
                .all(|w| w[0].0.end < w[1].0.start || w[0].0 == w[1].0);
            out.insert(*id, (paths[id].clone(), index));
        }
        Analysis {
            program,
            diagnostics: report.diagnostics,
            files: out,
            disjoint,
        }
    }

    /// The parsed module of a file.
    pub fn module(&self, file: FileId) -> Option<&crate::ast::Module> {
        self.program
            .modules
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, m)| m)
    }

    pub fn file_of(&self, path: &std::path::Path) -> Option<FileId> {
        self.files
            .iter()
            .find(|(_, (p, _))| p == path)
            .map(|(id, _)| *id)
    }

    /// The name at byte `offset` of `file`.
    pub fn token_at(&self, file: FileId, offset: u32) -> Option<(Span, &Token)> {
        let (_, index) = self.files.get(&file)?;
        // Disjoint names: only the last to start at or before `offset` (and copies of it)
        // can hold it. Looking through them all made the semantic tokens of a file, a
        // lookup a word, quadratic (30,000 rules: 7.9 s).
        let candidates = if self.disjoint {
            let end = index.partition_point(|(s, _)| s.start <= offset);
            let start = match end.checked_sub(1) {
                Some(last) => index[..last].partition_point(|(s, _)| s.start < index[last].0.start),
                None => 0,
            };
            &index[start..end]
        } else {
            &index[..]
        };
        candidates
            .iter()
            .filter(|(s, _)| s.start <= offset && offset <= s.end)
            .min_by_key(|(s, _)| s.end - s.start)
            .map(|(s, t)| (*s, t))
    }

    /// What a person wants to know about a name, in Markdown.
    pub fn hover(&self, token: &Token) -> Option<String> {
        let p = &self.program;
        match token {
            Token::Rule(name) => {
                let r = p.rules().find(|r| r.name.node == *name)?;
                let mut s = format!("**rule `{name}`**");
                if let Some(b) = &r.because {
                    s.push_str(&format!("\n\n{}", b.node));
                }
                if !r.sources.is_empty() {
                    let ids: Vec<String> = r
                        .sources
                        .iter()
                        .map(|id| match self.advice(&id.node) {
                            Some(t) => format!("`{}` {t}", id.node),
                            None => format!("`{}`", id.node),
                        })
                        .collect();
                    s.push_str(&format!("\n\nrests on: {}", ids.join("; ")));
                }
                let cfs: Vec<String> = r
                    .heads
                    .iter()
                    .map(|h| {
                        format!(
                            "`{}` with certainty {}",
                            h.atom.pred.node,
                            h.certainty.as_ref().map_or(1.0, |c| c.node)
                        )
                    })
                    .collect();
                s.push_str(&format!("\n\nconcludes {}", cfs.join(", ")));
                Some(s)
            }
            Token::Predicate(name) => {
                if let Some(q) = p.questions().find(|q| q.name.node == *name) {
                    let mut s = format!("**question `{name}`**\n\n{}", q.prompt.node);
                    if !q.allowed.is_empty() {
                        let v: Vec<String> =
                            q.allowed.iter().map(|v| format!("`{}`", v.node)).collect();
                        s.push_str(&format!(
                            "\n\n{} of {}",
                            if q.many { "many" } else { "one" },
                            v.join(", ")
                        ));
                    } else {
                        s.push_str(&format!("\n\n{}", q.ty.name()));
                    }
                    return Some(s);
                }
                let concluded: Vec<String> = p
                    .rules()
                    .filter(|r| r.heads.iter().any(|h| h.atom.pred.node == *name))
                    .map(|r| format!("`{}`", r.name.node))
                    .collect();
                let read: Vec<String> = p
                    .rules()
                    .filter(|r| reads(&r.body, name))
                    .map(|r| format!("`{}`", r.name.node))
                    .collect();
                let stated = p.facts().filter(|f| f.pred() == name).count();
                let mut s = match p.outputs().find(|o| o.name.node == *name) {
                    Some(o) => format!("**output `{name}`**: {}", o.label.node),
                    None => format!("**`{name}`**"),
                };
                if stated > 0 {
                    s.push_str(&format!(
                        "\n\n{stated} stated fact{}",
                        if stated == 1 { "" } else { "s" }
                    ));
                }
                if !concluded.is_empty() {
                    s.push_str(&format!("\n\nconcluded by {}", concluded.join(", ")));
                }
                if !read.is_empty() {
                    s.push_str(&format!("\n\nread by {}", read.join(", ")));
                }
                Some(s)
            }
            Token::Constant(c) => {
                let name = p.items().find_map(|i| match i {
                    Item::Name(n) if n.symbol.node == *c => Some(n.text.node.clone()),
                    _ => None,
                })?;
                Some(format!("`{c}` reads as **{name}**"))
            }
        }
    }

    fn advice(&self, id: &str) -> Option<&str> {
        self.program.items().find_map(|i| match i {
            Item::Advice(a) if a.id.node == id => Some(a.text.node.as_str()),
            _ => None,
        })
    }

    /// Where a name is defined: a rule's name; a predicate's question or output, else the
    /// rules that conclude it, else its stated facts; a constant's display name.
    pub fn definition(&self, token: &Token) -> Vec<Span> {
        let p = &self.program;
        match token {
            Token::Rule(name) => p
                .rules()
                .filter(|r| r.name.node == *name)
                .map(|r| r.name.span)
                .collect(),
            Token::Predicate(name) => {
                let decl: Vec<Span> = p
                    .questions()
                    .filter(|q| q.name.node == *name)
                    .map(|q| q.name.span)
                    .chain(
                        p.outputs()
                            .filter(|o| o.name.node == *name)
                            .map(|o| o.name.span),
                    )
                    .collect();
                if !decl.is_empty() {
                    return decl;
                }
                let rules: Vec<Span> = p
                    .rules()
                    .flat_map(|r| r.heads.iter())
                    .filter(|h| h.atom.pred.node == *name)
                    .map(|h| h.atom.pred.span)
                    .collect();
                if !rules.is_empty() {
                    return rules;
                }
                p.facts()
                    .filter(|f| f.pred() == name)
                    .map(|f| f.pred_span())
                    .take(1)
                    .collect()
            }
            Token::Constant(c) => p
                .items()
                .filter_map(|i| match i {
                    Item::Name(n) if n.symbol.node == *c => Some(n.symbol.span),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Every place the name appears, in every file of the rule set.
    pub fn references(&self, token: &Token) -> Vec<Span> {
        self.files
            .values()
            .flat_map(|(_, index)| index.iter())
            .filter(|(_, t)| t == token)
            .map(|(s, _)| *s)
            .collect()
    }

    /// The allowed values of the question `pred`, for completion inside its argument.
    pub fn question_values(&self, pred: &str) -> Vec<String> {
        self.program
            .questions()
            .filter(|q| q.name.node == pred)
            .flat_map(|q| q.allowed.iter().map(|v| v.node.to_string()))
            .collect()
    }

    /// Every predicate of the rule set with its arity and what it is, for completion.
    pub fn predicates(&self) -> BTreeMap<String, (usize, &'static str)> {
        let mut out = BTreeMap::new();
        let p = &self.program;
        for q in p.questions() {
            out.insert(q.name.node.clone(), (1, "question"));
        }
        for o in p.outputs() {
            out.insert(o.name.node.clone(), (o.params.len(), "output"));
        }
        for r in p.rules() {
            for h in &r.heads {
                out.entry(h.atom.pred.node.clone())
                    .or_insert((h.atom.args.len(), "concluded by rules"));
            }
        }
        for f in p.facts() {
            out.entry(f.pred().to_string())
                .or_insert((f.arity(), "stated facts"));
        }
        out
    }

    /// The diagnostics whose primary place is in `file` (those with no place go with the
    /// first file).
    pub fn diagnostics_of(&self, file: FileId) -> impl Iterator<Item = &Diagnostic> {
        let first = self.files.keys().next().copied();
        self.diagnostics.iter().filter(move |d| match d.span {
            Some(s) => s.file == file,
            None => Some(file) == first,
        })
    }

    pub fn is_error(d: &Diagnostic) -> bool {
        d.severity == Severity::Error
    }
}

fn reads(b: &Body, name: &str) -> bool {
    match b {
        Body::And(v) | Body::Or(v) => v.iter().any(|b| reads(b, name)),
        Body::Literal(Literal::Positive(a) | Literal::Negative(a)) => a.pred.node == name,
        Body::Literal(_) => false,
    }
}

fn index_item(item: &Item, index: &mut Vec<(Span, Token)>) {
    let atom = |a: &crate::ast::Atom, index: &mut Vec<(Span, Token)>| {
        index.push((a.pred.span, Token::Predicate(a.pred.node.clone())));
        for e in &a.args {
            if let ExprKind::Const(crate::ast::Const::Sym(s)) = &e.node {
                index.push((e.span, Token::Constant(s.clone())));
            }
        }
    };
    fn body(b: &Body, f: &mut dyn FnMut(&crate::ast::Atom)) {
        match b {
            Body::And(v) | Body::Or(v) => v.iter().for_each(|b| body(b, f)),
            Body::Literal(Literal::Positive(a) | Literal::Negative(a)) => f(a),
            Body::Literal(_) => {}
        }
    }
    match item {
        Item::Rule(r) => {
            index.push((r.name.span, Token::Rule(r.name.node.clone())));
            let mut found = Vec::new();
            body(&r.body, &mut |a| found.push(a.clone()));
            for a in &found {
                atom(a, index);
            }
            for h in &r.heads {
                atom(&h.atom, index);
            }
        }
        Item::Question(q) => {
            index.push((q.name.span, Token::Predicate(q.name.node.clone())));
            for v in &q.allowed {
                if let crate::ast::Const::Sym(s) = &v.node {
                    index.push((v.span, Token::Constant(s.clone())));
                }
            }
        }
        Item::Output(o) => index.push((o.name.span, Token::Predicate(o.name.node.clone()))),
        Item::Name(n) => index.push((n.symbol.span, Token::Constant(n.symbol.node.clone()))),
        Item::Advice(_) | Item::Threshold(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name at a place as a scan of the whole index finds it.
    fn scanned(a: &Analysis, file: FileId, offset: u32) -> Option<(Span, &Token)> {
        let (_, index) = a.files.get(&file)?;
        index
            .iter()
            .filter(|(s, _)| s.start <= offset && offset <= s.end)
            .min_by_key(|(s, _)| s.end - s.start)
            .map(|(s, t)| (*s, t))
    }

    /// The binary search finds what the scan finds, at every place of the shipped rule
    /// files (rules, questions, facts, names, constants), and of a file whose names touch
    /// (where it falls back to the scan).
    #[test]
    fn the_name_at_every_place_is_the_one_a_scan_finds() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut files: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
            .expect("rules/ is there")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "rules"))
            .map(|p| {
                let t = std::fs::read_to_string(&p).expect("readable");
                (p, t)
            })
            .collect();
        files.sort();
        let a = Analysis::new(&files);
        assert!(a.disjoint, "the shipped files' names do not overlap");
        let mut found = 0;
        for &id in a.files.keys() {
            let len = a.program.sources.get(id).text().len() as u32;
            for offset in 0..=len {
                let got = a.token_at(id, offset);
                assert_eq!(got, scanned(&a, id, offset), "offset {offset}");
                found += usize::from(got.is_some());
            }
        }
        assert!(found > 5_000, "{found} places with a name");
    }

    #[test]
    fn overlapping_names_fall_back_to_the_scan() {
        let mut a = Analysis::new(&[(
            PathBuf::from("t.rules"),
            "fact a(b)\nrule r when a(X) then c(X)\n".to_string(),
        )]);
        assert!(a.disjoint);
        // Two names over one place: the shorter one holds it.
        let (id, (_, index)) = a.files.iter_mut().next().expect("a file");
        let id = *id;
        let wide = Span {
            file: id,
            start: 0,
            end: 9,
        };
        index.insert(0, (wide, Token::Rule("wide".into())));
        a.disjoint = false;
        for offset in 0..=40 {
            assert_eq!(
                a.token_at(id, offset),
                scanned(&a, id, offset),
                "offset {offset}"
            );
        }
        assert_eq!(
            a.token_at(id, 7).map(|(_, t)| t.clone()),
            Some(Token::Constant("b".into()))
        );
        assert_eq!(
            a.token_at(id, 2).map(|(_, t)| t.clone()),
            Some(Token::Rule("wide".into()))
        );
    }
}
