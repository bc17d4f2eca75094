//! The rules the server answers with: loaded at start, replaced by a reload only when the
//! new rules compile without errors (otherwise the old ones keep serving, and the log says
//! why).

use crate::engine::KnowledgeBase;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// One loaded rule set.
pub struct Rules {
    pub kb: KnowledgeBase,
    /// The rules rewritten to run many fact sets at once (`/batch`), where they can be.
    pub sets: Option<crate::ask::sets::SetProgram>,
    /// 1 for the rules loaded at start, one more for each successful reload.
    pub generation: u64,
    /// Seconds since the Unix epoch.
    pub loaded_at: f64,
}

/// Where the rules come from, and the current ones.
pub struct RuleSource {
    /// Rule files and directories; empty for the embedded knowledge base.
    pub paths: Vec<PathBuf>,
    /// What one run may take, which preparing the rules keeps to too.
    opts: super::Options,
    current: RwLock<Arc<Rules>>,
}

pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Why rules could not be loaded: the rendered diagnostics (plain text).
pub type LoadFailure = String;

/// Load and prepare the rules (what no answer can change is evaluated once, within the
/// limits of one run, and copied by every run after).
fn load(paths: &[PathBuf], opts: &super::Options) -> Result<KnowledgeBase, LoadFailure> {
    let result = if paths.is_empty() {
        KnowledgeBase::embedded()
    } else {
        KnowledgeBase::load_paths_limited(paths, opts.max_rules_bytes)
    };
    if let Ok(kb) = &result {
        kb.prepare(super::run_limits(opts));
    }
    result.map_err(|e| {
        let errors: Vec<crate::diag::Diagnostic> = e.errors();
        crate::diag::render(
            &errors,
            &e.program.sources,
            crate::diag::ErrorFormat::Plain,
            false,
        )
    })
}

impl RuleSource {
    /// Load the rules once; an error here stops the server from starting.
    pub fn open(opts: &super::Options) -> Result<RuleSource, LoadFailure> {
        let paths = opts.rules.clone();
        let kb = load(&paths, opts)?;
        Ok(RuleSource {
            paths,
            opts: opts.clone(),
            current: RwLock::new(Arc::new(Rules {
                sets: crate::ask::sets::SetProgram::of(&kb),
                kb,
                generation: 1,
                loaded_at: now(),
            })),
        })
    }

    /// The rules to answer a request with (held for the whole request, so a reload in the
    /// middle never mixes two rule sets).
    pub fn current(&self) -> Arc<Rules> {
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Load the rules again: the new generation, or why the old rules stay.
    pub fn reload(&self) -> Result<u64, LoadFailure> {
        if self.paths.is_empty() {
            return Err("the embedded knowledge base does not change; start with --rules PATH to reload rule files".into());
        }
        let kb = load(&self.paths, &self.opts)?;
        let mut guard = match self.current.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let generation = guard.generation + 1;
        *guard = Arc::new(Rules {
            sets: crate::ask::sets::SetProgram::of(&kb),
            kb,
            generation,
            loaded_at: now(),
        });
        Ok(generation)
    }

    /// The newest modification time among the rule files (for `--watch`).
    pub fn stamp(&self) -> Option<SystemTime> {
        let mut newest = None;
        for f in crate::program::rule_files(&self.paths).0 {
            if let Ok(t) = std::fs::metadata(&f).and_then(|m| m.modified()) {
                newest = newest.max(Some(t));
            }
        }
        // A directory's own time changes when a file is added or removed.
        for p in &self.paths {
            if let Ok(t) = std::fs::metadata(p).and_then(|m| m.modified()) {
                newest = newest.max(Some(t));
            }
        }
        newest
    }
}
