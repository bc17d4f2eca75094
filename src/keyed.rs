//! Hashing of what input decides (facts' values, names in facts files): keyed once a
//! process. A table hashed with a function anyone can compute, such as FxHash (linear in its
//! input, so colliding values are found by solving an equation), lets a facts file of values
//! crafted to share a hash make every insertion walk all the others: 40,000 such facts took
//! 3.9 s to load (`bench/gen.py hostile`). foldhash, the hash hashbrown uses by default, is
//! seeded, nonlinear and about as fast as FxHash on words.
//!
//! Nothing written out depends on the key: fact ids follow arrival order, index buckets list
//! facts in id order, and no table keyed here is read in its own order.

use foldhash::fast::{FoldHasher, SeedableRandomState};
use foldhash::SharedSeed;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// The process's key: drawn at random, or fixed by `BECAUSE_HASH_SEED` (a number; any other
/// value is ignored) to reproduce a run's timing.
fn state() -> &'static SeedableRandomState {
    static STATE: OnceLock<SeedableRandomState> = OnceLock::new();
    STATE.get_or_init(|| {
        match std::env::var("BECAUSE_HASH_SEED")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        {
            Some(seed) => SeedableRandomState::with_seed(seed, SharedSeed::global_fixed()),
            None => SeedableRandomState::random(),
        }
    })
}

/// Hashes with the process's key: the fact hash, and maps and sets keyed by input.
#[derive(Clone, Copy, Debug, Default)]
pub struct Keyed;

impl BuildHasher for Keyed {
    type Hasher = FoldHasher<'static>;
    #[inline]
    fn build_hasher(&self) -> FoldHasher<'static> {
        state().build_hasher()
    }
}

pub type KeyedMap<K, V> = std::collections::HashMap<K, V, Keyed>;
pub type KeyedSet<T> = std::collections::HashSet<T, Keyed>;
