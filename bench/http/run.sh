#!/usr/bin/env bash
# HTTPTransformer's request rate against nginx on loopback, at concurrency 1, 8 and 64 (its
# default engine, native for plain http://, and its libcurl engine), next to python3-aiohttp (one keep-alive session, the same concurrency) and wrk (the floor: one
# thread, as many connections), in one command. nginx answers a fixed 27-byte JSON body
# with one worker, and each client runs on the other core. Medians of RUNS interleaved runs;
# the machine's load before and after.
# Usage: bench/http/run.sh [N=20000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
RUNS=${2:-3}
./scripts/setup.sh >/dev/null
./scripts/install_packages.sh nginx wrk python3-aiohttp
cmake --preset release >/dev/null
cmake --build build/release --target ember_bench_http >/dev/null
WORK=$(mktemp -d)
PORT=18431
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
error_log $WORK/error.log;
pid $WORK/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT;
    location / { default_type application/json; return 200 '{"label": "yes", "p": 0.9}'; }
  }
}
CONF
taskset -c 0 nginx -c "$WORK/nginx.conf" -p "$WORK"
trap 'nginx -s stop -c "$WORK/nginx.conf" -p "$WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT
sleep 0.5
URL=http://127.0.0.1:$PORT/predict
LOG=$WORK/log
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  for c in 1 8 64; do
    taskset -c 1 build/release/bench/http/ember_bench_http "$URL" "$N" "$c" >>"$LOG"
    taskset -c 1 build/release/bench/http/ember_bench_http "$URL" "$N" "$c" libcurl >>"$LOG"
    taskset -c 1 /usr/bin/python3 bench/http/aiohttp_client.py "$URL" "$N" "$c" >>"$LOG"
    rps=$(taskset -c 1 wrk -t1 -c"$c" -d3s "$URL" | awk '/Requests\/sec/ { print $2 }')
    echo "wrk c=$c rps=$rps failed=0" >>"$LOG"
  done
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$LOG" "$LOAD_BEFORE" "$LOAD_AFTER" "$N" <<'PY'
import statistics, sys
log, before, after, n = sys.argv[1:]
runs = {}
for line in open(log):
    name, *kv = line.split()
    vals = dict(x.split("=") for x in kv)
    runs.setdefault((name, int(vals["c"])), []).append(float(vals["rps"]))
med = lambda name, c: statistics.median(runs[(name, c)])
print(f"load average {before} before, {after} after; {n} requests per client run; medians of {len(runs[('ember', 1)])} runs\n")
print("| concurrency | Ember req/s | aiohttp req/s | wrk req/s | Ember / wrk | Ember / aiohttp | Ember on libcurl req/s |")
print("|---|---|---|---|---|---|---|")
for c in (1, 8, 64):
    e, a, w, l = med("ember", c), med("aiohttp", c), med("wrk", c), med("ember-libcurl", c)
    print(f"| {c} | {e:,.0f} | {a:,.0f} | {w:,.0f} | {e / w:.2f} | {e / a:.1f} | {l:,.0f} |")
PY
