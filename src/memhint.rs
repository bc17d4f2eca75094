//! Hints to the operating system on how a block of memory will be read, given by the binary:
//! the library has no unsafe code, and `src/main.rs` installs the hint (`madvise`). Without
//! it (the Python package, the tests) nothing is hinted.
//!
//! The store's dedup table is read at random: W2 at 3,000 inserts 4.5 million paths into a
//! 64 MB table, each at a random place. With 4 KiB pages nearly every probe also misses the
//! translation cache; with 2 MiB pages (transparent huge pages, which a machine set to
//! `madvise` gives only to blocks that ask) 32 entries cover the table. Interleaved runs, ten
//! each: W2 at 3,000 761 -> 617 ms, W3 at 1,000,000 945 -> 913 ms, W1 and W7 unchanged
//! (bench/README.md, session 19). Blocks read in order gained nothing and, advised too, made
//! some runs slower (the kernel's time to fault in fresh huge pages varied from run to run).

use std::sync::OnceLock;

/// Blocks smaller than this are not worth a hint (a huge page is 2 MiB).
const MIN_BYTES: usize = 4 << 20;

type Hint = fn(*const u8, usize);

static RANDOM_ACCESS: OnceLock<Hint> = OnceLock::new();

/// Install the hint for blocks read at random (once a process; later calls are ignored).
pub fn set_random_access_hint(hint: Hint) {
    let _ = RANDOM_ACCESS.set(hint);
}

/// A vector of `len` copies of `value`, hinted as read at random before it is first written
/// (a hint after the writes would come after the pages were made).
pub(crate) fn random_access_vec<T: Copy>(value: T, len: usize) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(len);
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    if bytes >= MIN_BYTES {
        if let Some(hint) = RANDOM_ACCESS.get() {
            hint(v.as_ptr().cast(), bytes);
        }
    }
    v.resize(len, value);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Elements of the block the test looks for (a size no other test's table has).
    const LEN: usize = (1 << 20) + 3;
    static HINTED: AtomicBool = AtomicBool::new(false);
    static SMALL_HINTED: AtomicBool = AtomicBool::new(false);

    fn record(start: *const u8, bytes: usize) {
        if bytes == LEN * 8 && !start.is_null() {
            HINTED.store(true, Ordering::SeqCst);
        }
        if bytes < MIN_BYTES {
            SMALL_HINTED.store(true, Ordering::SeqCst);
        }
    }

    /// A large block is hinted, whole, before it is filled; a small one is not; both hold
    /// the value everywhere.
    #[test]
    fn large_blocks_are_hinted_and_filled() {
        set_random_access_hint(record);
        let small = random_access_vec(7u64, 1000);
        assert!(small.len() == 1000 && small.iter().all(|&x| x == 7));
        assert!(
            !SMALL_HINTED.load(Ordering::SeqCst),
            "a small block was hinted"
        );
        let large = random_access_vec(u64::MAX, LEN);
        assert_eq!(large.len(), LEN);
        assert!(large.iter().all(|&x| x == u64::MAX));
        assert!(HINTED.load(Ordering::SeqCst), "the large block was hinted");
    }
}
