//! `because serve`: the options resolved into the server's, then the server until SIGTERM.

use super::args::ServeArgs;
use super::exit::{CmdResult, Exit, Failure};
use super::Config;

/// Seconds per run when `--timeout` is not given: a server never lets one request run on.
const DEFAULT_RUN_TIMEOUT: f64 = 10.0;

pub fn run(cfg: &Config, a: &ServeArgs) -> CmdResult {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let opts = crate::serve::Options {
        addr: a.addr.clone(),
        rules: cfg.rules.clone(),
        max_rules_bytes: cfg.max_rules_bytes,
        max_body_bytes: a.max_body_bytes,
        max_batch_bytes: a.max_batch_bytes,
        max_line_bytes: cfg.max_facts_bytes,
        max_facts: cfg.max_facts,
        max_derivations: cfg.max_derivations,
        run_timeout: cfg.timeout.unwrap_or(DEFAULT_RUN_TIMEOUT),
        max_concurrent_runs: a.max_concurrent_runs.unwrap_or(cores).max(1),
        max_connections: a.max_connections.max(1),
        read_timeout: a.read_timeout,
        queue_timeout: a.queue_timeout,
        grace: a.grace,
        watch: a.watch,
        cors: a.cors.clone(),
    };
    crate::serve::run(opts).map_err(|e| Failure::message(Exit::Invalid, e))
}
