//! Phase timings for profiling: set `BECAUSE_TIMINGS=1` and each phase prints its wall time,
//! the resident memory after it and the peak so far to standard error. Off by default (never
//! in snapshotted output).

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
    eprintln!(
        "[timing] {name}: {:.3} ms, resident {} MiB, peak {} MiB",
        t.elapsed().as_secs_f64() * 1e3,
        resident_mib(),
        peak_mib()
    );
    r
}

/// Print a line of its own when timings are on (what a phase did, beside how long it took).
pub fn note(what: impl FnOnce() -> String) {
    if enabled() {
        eprintln!("[timing] {}", what());
    }
}

/// The process's resident memory in MiB (Linux; 0 elsewhere), read from `/proc/self/statm`.
fn resident_mib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096 / (1024 * 1024)
}

/// The process's peak resident memory so far in MiB (Linux; 0 elsewhere): `VmHWM` in
/// `/proc/self/status`.
fn peak_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}
