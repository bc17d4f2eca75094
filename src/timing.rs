//! Phase timings for profiling: set `BECAUSE_TIMINGS=1` and each phase prints its wall time
//! to standard error. Off by default (never in snapshotted output).

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BECAUSE_TIMINGS").is_some())
}

/// Run `f`, printing how long it took when timings are on.
pub fn phase<T>(name: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let t = Instant::now();
    let r = f();
    eprintln!("[timing] {name}: {:.3} ms", t.elapsed().as_secs_f64() * 1e3);
    r
}
