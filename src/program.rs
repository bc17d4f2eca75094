//! Loading a program: files and directories of `.rules` files (or embedded text) → parsed
//! modules, plus the flat view every later stage uses (disjunctions desugared).

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceMap, Span};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Most alternatives one rule's `or`s may expand into.
pub const MAX_ALTERNATIVES: usize = 1024;

/// A loaded program: its sources and one module per file, in file-name order.
#[derive(Debug, Default)]
pub struct Program {
    pub sources: SourceMap,
    pub modules: Vec<(FileId, Module)>,
    /// The rule sets' `because.toml` files (lint levels), in the source map.
    pub configs: Vec<FileId>,
    /// Predicates whose facts every run brings, as the questions' are, though no question
    /// declares them: the check counts them as defined. Only the program that runs many
    /// fact sets at once has any (`ask::sets`).
    pub supplied: Vec<String>,
}

/// One alternative of a rule after `or` is desugared: a plain conjunction.
#[derive(Debug, Clone)]
pub struct FlatRule<'a> {
    pub rule: &'a Rule,
    /// Which alternative of the rule this is (0 when it has no `or`).
    pub alternative: usize,
    pub body: Vec<&'a Literal>,
}

impl Program {
    /// Parse rule text held in memory (the embedded knowledge base, tests).
    pub fn add_text(&mut self, name: &str, text: impl Into<String>) -> Vec<Diagnostic> {
        // An owned text becomes the source map's (not copied).
        let file = self.sources.add(name, text);
        self.parse(file)
    }

    /// Parse rule text read from `path`: its text can be released once checked (see
    /// [`SourceMap::release`](crate::span::SourceMap::release)) and is read again if quoted.
    pub fn add_file(&mut self, name: &str, path: PathBuf, text: String) -> Vec<Diagnostic> {
        let file = self.sources.add_from_disk(name, path, text);
        self.parse(file)
    }

    fn parse(&mut self, file: crate::span::FileId) -> Vec<Diagnostic> {
        let (module, diags) = crate::syntax::parse_module(file, self.sources.get(file));
        self.modules.push((file, module));
        diags
    }

    /// Load files and directories (directories are searched for `*.rules`, recursively, in
    /// name order). `base` makes the names shown in diagnostics relative.
    pub fn load_paths(paths: &[PathBuf]) -> (Program, Vec<Diagnostic>) {
        Self::load_paths_limited(paths, MAX_RULES_BYTES)
    }

    /// [`load_paths`](Self::load_paths), reading no file larger than `max_bytes` (E0009).
    pub fn load_paths_limited(paths: &[PathBuf], max_bytes: usize) -> (Program, Vec<Diagnostic>) {
        let mut program = Program::default();
        let (files, mut diags) = rule_files(paths);
        // A rule set's settings sit beside its files: in each directory given, or in the
        // directory of each file given.
        let mut dirs: Vec<PathBuf> = paths
            .iter()
            .map(|p| {
                if p.is_dir() {
                    p.clone()
                } else {
                    p.parent().map(Path::to_path_buf).unwrap_or_default()
                }
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        for d in dirs {
            let config = d.join("because.toml");
            if config.is_file() {
                match read_text_limited(&config, max_bytes) {
                    Ok(text) => {
                        let file = program.sources.add(&display_path(&config), text.as_str());
                        program.configs.push(file);
                    }
                    Err(e) => diags.push(e),
                }
            }
        }
        for f in files {
            match read_text_limited(&f, max_bytes) {
                Ok(text) => {
                    let name = display_path(&f);
                    let d = crate::timing::phase(&format!("parse {name}"), || {
                        program.add_file(&name, f.clone(), text)
                    });
                    diags.extend(d);
                }
                Err(d) => diags.push(d),
            }
        }
        (program, diags)
    }

    /// Take the stated facts out of the program, chunk by chunk, file by file (the knowledge
    /// base keeps them in its fact store).
    pub fn take_fact_chunks(&mut self) -> impl Iterator<Item = FactChunk> + '_ {
        self.modules
            .iter_mut()
            .flat_map(|(_, m)| std::mem::take(&mut m.facts).into_chunks())
    }

    /// Rules, questions and outputs, file by file.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.modules.iter().flat_map(|(_, m)| m.items.iter())
    }
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.items().filter_map(|i| match i {
            Item::Rule(r) => Some(&**r),
            _ => None,
        })
    }
    /// The stated facts, file by file.
    pub fn facts(&self) -> impl Iterator<Item = FactRef<'_>> {
        self.modules.iter().flat_map(|(_, m)| m.facts.iter())
    }
    /// The stated facts by chunk (a chunk's facts share one name table).
    pub fn fact_chunks(&self) -> impl Iterator<Item = &FactChunk> {
        self.modules.iter().flat_map(|(_, m)| m.facts.chunks())
    }
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.items().filter_map(|i| match i {
            Item::Question(q) => Some(&**q),
            _ => None,
        })
    }
    pub fn outputs(&self) -> impl Iterator<Item = &Output> {
        self.items().filter_map(|i| match i {
            Item::Output(o) => Some(&**o),
            _ => None,
        })
    }

    /// Every rule alternative, with `or` desugared. Rules whose alternatives would exceed
    /// [`MAX_ALTERNATIVES`] are reported and left out.
    pub fn flat_rules(&self) -> (Vec<FlatRule<'_>>, Vec<Diagnostic>) {
        let mut out = Vec::new();
        let mut diags = Vec::new();
        for rule in self.rules() {
            match flatten(rule) {
                Some(alts) => out.extend(alts),
                None => diags.push(
                    Diagnostic::error(
                        "E0006",
                        format!("the conditions of `{}` expand into more than {MAX_ALTERNATIVES} alternatives", rule.name.node),
                        rule.name.span,
                    )
                    .with_label("this rule")
                    .with_help("split the rule into several rules, or name repeated alternatives with a rule of their own"),
                ),
            }
        }
        (out, diags)
    }
}

/// A rule's alternatives, with `or` desugared; `None` past [`MAX_ALTERNATIVES`].
pub fn flatten(rule: &Rule) -> Option<Vec<FlatRule<'_>>> {
    // Most rules have no `or`: one alternative, the literals in order, gathered without the
    // intermediate lists of the general case (a large program has 100,000 rules, and both
    // the check and the compiler flatten each).
    let mut plain = Vec::new();
    if conjunction(&rule.body, &mut plain) {
        return Some(vec![FlatRule {
            rule,
            alternative: 0,
            body: plain,
        }]);
    }
    Some(
        dnf(&rule.body)?
            .into_iter()
            .enumerate()
            .map(|(alternative, body)| FlatRule {
                rule,
                alternative,
                body,
            })
            .collect(),
    )
}

/// The literals of a body without `or`, in order, into `out`; false if it has an `or`.
fn conjunction<'a>(body: &'a Body, out: &mut Vec<&'a Literal>) -> bool {
    match body {
        Body::Literal(l) => {
            out.push(l);
            true
        }
        Body::And(parts) => parts.iter().all(|p| conjunction(p, out)),
        Body::Or(_) => false,
    }
}

/// Disjunctive normal form: each alternative is a list of literals.
fn dnf(body: &Body) -> Option<Vec<Vec<&Literal>>> {
    match body {
        Body::Literal(l) => Some(vec![vec![l]]),
        Body::Or(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(dnf(a)?);
                if out.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            Some(out)
        }
        Body::And(parts) => {
            let mut acc: Vec<Vec<&Literal>> = vec![Vec::new()];
            for p in parts {
                let alts = dnf(p)?;
                if acc.len().saturating_mul(alts.len()) > MAX_ALTERNATIVES {
                    return None;
                }
                acc = acc
                    .iter()
                    .flat_map(|prefix| {
                        alts.iter().map(move |alt| {
                            let mut v = prefix.clone();
                            v.extend(alt.iter().copied());
                            v
                        })
                    })
                    .collect();
            }
            Some(acc)
        }
    }
}

/// A path as shown to users: relative to the current directory when it is inside it.
pub fn display_path(p: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf());
    rel.to_string_lossy().replace('\\', "/")
}

/// The rule files that `paths` name: files as given, directories searched for `*.rules`,
/// recursively; sorted, each once (the order of paths does not change a program). Paths that
/// cannot be read are diagnostics.
pub fn rule_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for p in paths {
        collect(p, true, &mut files, &mut BTreeSet::new(), &mut diags);
    }
    files.sort();
    files.dedup();
    (files, diags)
}

fn collect(
    p: &Path,
    top: bool,
    out: &mut Vec<PathBuf>,
    seen_dirs: &mut BTreeSet<PathBuf>,
    diags: &mut Vec<Diagnostic>,
) {
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) => {
            diags.push(io_error(p, &e));
            return;
        }
    };
    if meta.is_dir() {
        // A symlink loop would revisit a directory: remember canonical paths.
        let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if !seen_dirs.insert(canon) {
            diags.push(
                Diagnostic::without_span(
                    "E0002",
                    format!(
                        "`{}` leads back to a directory already read (a symbolic link loop?)",
                        display_path(p)
                    ),
                )
                .with_help("remove the link, or pass the directories you mean explicitly"),
            );
            return;
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                diags.push(io_error(p, &e));
                return;
            }
        };
        entries.sort();
        for e in entries {
            let is_dir = std::fs::metadata(&e).map(|m| m.is_dir()).unwrap_or(false);
            if is_dir || e.extension().is_some_and(|x| x == "rules") {
                collect(&e, false, out, seen_dirs, diags);
            } else if std::fs::symlink_metadata(&e).is_ok() && std::fs::metadata(&e).is_err() {
                diags.push(io_error(&e, &std::fs::metadata(&e).expect_err("checked")));
            }
        }
        if top && out.is_empty() {
            diags.push(
                Diagnostic::without_span(
                    "E0002",
                    format!("no `.rules` files in `{}`", display_path(p)),
                )
                .with_help("rule files end in `.rules`"),
            );
        }
    } else {
        out.push(p.to_path_buf());
    }
}

/// Read a file as UTF-8, with a diagnostic naming the place of the first invalid byte.
pub fn read_text(p: &Path) -> Result<String, Diagnostic> {
    read_text_limited(p, MAX_RULES_BYTES)
}

/// The largest rule file read: far more than any program written by hand or generated for
/// the benchmarks (a 100,000-rule file is 3 MB; 1,000,000 stated facts about 40 MB).
pub const MAX_RULES_BYTES: usize = 256 << 20;

/// [`read_text`] of at most `max` bytes. Reads in blocks and stops early at bytes that
/// cannot be UTF-8 text, so a device or a binary file (`/dev/zero`, `/dev/urandom`) is an
/// error within a block, not a read of all memory.
pub fn read_text_limited(p: &Path, max: usize) -> Result<String, Diagnostic> {
    use std::io::Read;
    let mut f = std::fs::File::open(p).map_err(|e| io_error(p, &e))?;
    // Room for the whole file at once (a regular file says how long it is): grown block by
    // block, a 78 MB file was copied about twice over and touched 200 MB of fresh memory.
    let size = f.metadata().map_or(0, |m| m.len()) as usize;
    let mut bytes = Vec::with_capacity(size.min(max) + 1);
    let mut block = vec![0u8; 1 << 16];
    let mut checked = 0;
    loop {
        let n = match f.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(p, &e)),
        };
        bytes.extend_from_slice(&block[..n]);
        if bytes.len() > max {
            return Err(Diagnostic::without_span(
                "E0009",
                format!("`{}` is larger than {max} bytes", display_path(p)),
            )
            .with_help("a rule file this large is not a program; check the path (is it a device or a log?)"));
        }
        // Bytes that can never start valid text (not just a character cut by the block).
        if let Err(e) = std::str::from_utf8(&bytes[checked..]) {
            if e.error_len().is_some() {
                return decode(&display_path(p), bytes);
            }
            checked += e.valid_up_to();
        } else {
            checked = bytes.len();
        }
        // Nothing but NUL bytes is not text either (`/dev/zero` reads as valid UTF-8).
        if bytes.len() >= block.len() && bytes.iter().all(|&b| b == 0) {
            return Err(Diagnostic::without_span(
                "E0002",
                format!(
                    "`{}` holds only NUL bytes: it is not a text file",
                    display_path(p)
                ),
            )
            .with_help("check the path; rule files are UTF-8 text"));
        }
    }
    decode(&display_path(p), bytes)
}

pub fn decode(name: &str, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok(crate::span::without_bom(s)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let col = at
                - bytes[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1)
                + 1;
            Err(Diagnostic::without_span(
                "E0002",
                format!("`{name}` is not valid UTF-8 text: invalid byte 0x{:02x} at {name}:{line}:{col} (byte {at})", bytes[at]),
            )
            .with_help("save the file as UTF-8; binary files cannot be read"))
        }
    }
}

pub fn io_error(p: &Path, e: &std::io::Error) -> Diagnostic {
    let name = display_path(p);
    let (what, help) = match e.kind() {
        std::io::ErrorKind::NotFound => ("does not exist", "check the path"),
        std::io::ErrorKind::PermissionDenied => (
            "cannot be read: permission denied",
            "check the file's permissions",
        ),
        std::io::ErrorKind::IsADirectory => (
            "is a directory where a file is expected",
            "name a file inside it",
        ),
        _ => ("cannot be read", "check the path"),
    };
    let msg = if matches!(
        e.kind(),
        std::io::ErrorKind::NotFound
            | std::io::ErrorKind::PermissionDenied
            | std::io::ErrorKind::IsADirectory
    ) {
        format!("`{name}` {what}")
    } else {
        format!("`{name}` {what}: {e}")
    };
    Diagnostic::without_span("E0002", msg).with_help(help)
}

/// The span of a whole rule alternative's body, for messages.
pub fn body_span(r: &FlatRule<'_>) -> Span {
    match (r.body.first(), r.body.last()) {
        (Some(a), Some(b)) => a.span().to(b.span()),
        _ => r.rule.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule file saved with a byte-order mark loads as if it had none: no diagnostic, and
    /// places count from its first character.
    #[test]
    fn a_byte_order_mark_is_dropped_when_loading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bom.rules");
        std::fs::write(&path, "\u{FEFF}fact p(1)\nfact q(2)\n").unwrap();
        let (program, diags) = Program::load_paths(std::slice::from_ref(&path));
        assert!(diags.is_empty(), "{diags:?}");
        let facts: Vec<_> = program.facts().collect();
        assert_eq!(facts.len(), 2);
        let (file, _) = program.sources.files().next().unwrap();
        assert_eq!(program.sources.get(file).text(), "fact p(1)\nfact q(2)\n");
        assert_eq!(program.sources.line_col(facts[1].span()), (2, 1));
    }
}
