//! Hints to the operating system and the allocator on how memory will be used, given by the
//! binary: the library has no unsafe code, and `src/main.rs` installs the hints (`madvise`,
//! `mallopt`). Without them (the Python package, the tests) nothing is hinted.
//!
//! A command that runs once and exits keeps its peak down when large blocks get mappings of
//! their own, given back when freed (`src/main.rs`, `MMAP_THRESHOLD`). A server that analyses
//! or answers again and again would then fault every large block in anew each time: the
//! language server spent a fifth of each analysis of a 30,000-rule file zeroing fresh pages
//! (`clear_page_erms`), and without the fixed threshold its diagnostics came after 140-150 ms
//! instead of 160-200 ms. So the binary fixes the threshold only when told the command runs
//! once ([`one_shot`]).
//!
//! The store's dedup table is read at random: W2 at 3,000 inserts 4.5 million paths into a
//! 64 MB table, each at a random place. With 4 KiB pages nearly every probe also misses the
//! translation cache; with 2 MiB pages (transparent huge pages, which a machine set to
//! `madvise` gives only to blocks that ask) 32 entries cover the table. Interleaved runs, eight
//! to ten each: W2 at 3,000 785 -> 640 ms, W3 at 1,000,000 945 -> 914 ms, W1 and W7 unchanged
//! (bench/README.md, session 19). Advising every large block gained as much on W2 but made
//! some W3 runs slower (the kernel's time to fault in fresh huge pages varied from run to run).

use std::sync::OnceLock;

/// Blocks smaller than this are not worth a hint (a huge page is 2 MiB).
const MIN_BYTES: usize = 4 << 20;

type Hint = fn(*const u8, usize);

static RANDOM_ACCESS: OnceLock<Hint> = OnceLock::new();

/// Install the hint for blocks read at random (once a process; later calls are ignored).
pub fn set_random_access_hint(hint: Hint) {
    let _ = RANDOM_ACCESS.set(hint);
}

static ONE_SHOT: OnceLock<fn()> = OnceLock::new();

/// Install the hint for a command that runs once and exits (once a process).
pub fn set_one_shot_hint(hint: fn()) {
    let _ = ONE_SHOT.set(hint);
}

/// The command runs once and exits (every command but the servers). Called before the
/// command starts any thread: the hint may set the allocator's parameters.
pub(crate) fn one_shot() {
    if let Some(hint) = ONE_SHOT.get() {
        hint();
    }
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

    static ONE_SHOT_CALLED: AtomicBool = AtomicBool::new(false);

    /// A command that runs once calls the installed hint (the binary's fixes glibc's mapping
    /// threshold).
    #[test]
    fn a_command_that_runs_once_calls_the_hint() {
        set_one_shot_hint(|| ONE_SHOT_CALLED.store(true, Ordering::SeqCst));
        assert!(!ONE_SHOT_CALLED.load(Ordering::SeqCst));
        // The command line installs its panic hook: the other tests keep the default one.
        let hook = std::panic::take_hook();
        let exit = crate::cli::run_from(["because", "fmt", "--check", "rules/questions.rules"]);
        std::panic::set_hook(hook);
        assert_eq!(exit, crate::cli::Exit::Success);
        assert!(ONE_SHOT_CALLED.load(Ordering::SeqCst));
    }
}
