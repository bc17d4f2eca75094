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
    /// 1 for the rules loaded at start, one more for each successful reload.
    pub generation: u64,
    /// Seconds since the Unix epoch.
    pub loaded_at: f64,
}

/// Where the rules come from, and the current ones.
pub struct RuleSource {
    /// Rule files and directories; empty for the embedded knowledge base.
    pub paths: Vec<PathBuf>,
    pub max_rules_bytes: usize,
    current: RwLock<Arc<Rules>>,
}

pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Why rules could not be loaded: the rendered diagnostics (plain text).
pub type LoadFailure = String;

fn load(paths: &[PathBuf], max_rules_bytes: usize) -> Result<KnowledgeBase, LoadFailure> {
    let result = if paths.is_empty() {
        KnowledgeBase::embedded()
    } else {
        KnowledgeBase::load_paths_limited(paths, max_rules_bytes)
    };
    result.map_err(|e| {
        let errors: Vec<crate::diag::Diagnostic> = e.errors().cloned().collect();
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
    pub fn open(paths: Vec<PathBuf>, max_rules_bytes: usize) -> Result<RuleSource, LoadFailure> {
        let kb = load(&paths, max_rules_bytes)?;
        Ok(RuleSource {
            paths,
            max_rules_bytes,
            current: RwLock::new(Arc::new(Rules {
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
        let kb = load(&self.paths, self.max_rules_bytes)?;
        let mut guard = match self.current.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let generation = guard.generation + 1;
        *guard = Arc::new(Rules {
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
