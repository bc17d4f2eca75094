#!/usr/bin/env bash
# Load test of `because serve` (issue 18), bounded: a fixed number of query requests at a
# fixed concurrency, to loopback only, then it stops. Uses ApacheBench (`ab`, Debian's
# apache2-utils): it sends exactly -n requests and reports requests per second and the
# latency percentiles. Usage: bench/serve_load.sh [REQUESTS] [CONCURRENCY]
# Prints one summary line; the figures go in bench/report.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
C=${2:-8}
command -v ab >/dev/null || { echo "needs ab (apt-get install apache2-utils)" >&2; exit 2; }
cargo build --release -q
log=$(mktemp)
./target/release/because serve --addr 127.0.0.1:0 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log" "$out"' EXIT
for _ in $(seq 50); do grep -q listening "$log" && break; sleep 0.1; done
addr=$(head -1 "$log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["addr"])')
out=$(mktemp)
# Warm up, then the measured run.
ab -q -n 500 -c "$C" -p examples/python-startup.json -T application/json "http://$addr/api/v1/query" >/dev/null
ab -n "$N" -c "$C" -p examples/python-startup.json -T application/json "http://$addr/api/v1/query" >"$out"
failed=$(awk '/^Failed requests/ {print $3}' "$out")
non2xx=$(awk '/^Non-2xx responses/ {print $3}' "$out")
rps=$(awk '/^Requests per second/ {print $4}' "$out")
p50=$(awk '$1=="50%" {print $2}' "$out")
p99=$(awk '$1=="99%" {print $2}' "$out")
echo "query: $N requests, concurrency $C, $(nproc) cores: ${rps} requests/s, p50 ${p50} ms, p99 ${p99} ms, failed ${failed}, non-2xx ${non2xx:-0}"
[ "$failed" = "0" ] && [ "${non2xx:-0}" = "0" ]
