#!/usr/bin/env bash
# Ember Serving against its peers on the paper's two pipelines, in one command:
#   LR      string indexing + one-hot encoding + scaling + logistic regression (/predict)
#   SELECT  a SQL projection with arithmetic (/select)
# Servers: Ember (`ember serve`, both routes; "ember" with one event loop, as nginx has one
# worker while wrk takes the other core, "ember-2loops" with its default of one per core),
# nginx answering a fixed body (the floor), FastAPI on uvicorn and Flask on gunicorn serving
# the same pipeline in scikit-learn (one worker each). For each: single-connection latency
# over LAT_N sequential keep-alive requests after warm-up (nginx and Ember with a
# busy-polling client, median of three interleaved rounds), and wrk throughput at 8 and 64
# connections for DURATION seconds. Then Ember's start-up time, its in-process work per
# request, and its RSS over SOAK requests.
# Usage: bench/serving/run.sh [DURATION=10] [LAT_N=2000] [SOAK=1000000]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
LAT_N=${2:-2000}
SOAK=${3:-1000000}
./scripts/setup.sh >/dev/null
./scripts/install_packages.sh nginx wrk python3-fastapi python3-uvicorn gunicorn python3-flask python3-pandas python3-sklearn
cmake --preset release >/dev/null
cmake --build build/release --target ember ember_bench_serving >/dev/null
EMBER=build/release/tools/ember/ember
TOOL=build/release/bench/serving/ember_bench_serving
DATA=build/bench-data/serving
/usr/bin/python3 bench/serving/gen_data.py "$DATA"
cat > "$DATA/lr_spec.json" <<'EOF'
{"stages": [
  {"type": "StringIndexer", "params": {"inputCols": ["s0", "s1", "s2", "s3"], "outputCols": ["i0", "i1", "i2", "i3"],
                                       "handleInvalid": "keep"}},
  {"type": "OneHotEncoder", "params": {"inputCols": ["i0", "i1", "i2", "i3"], "outputCols": ["o0", "o1", "o2", "o3"],
                                       "dropLast": false}},
  {"type": "VectorAssembler", "params": {"inputCols": ["o0", "o1", "o2", "o3", "x0", "x1", "x2"], "outputCol": "raw"}},
  {"type": "StandardScaler", "params": {"inputCol": "raw", "outputCol": "features"}},
  {"type": "LogisticRegression", "params": {"regParam": 0.0001, "standardization": false}}]}
EOF
# The same featurization ending in boosted trees (100 rounds): compiled trees in the fused loop.
sed 's/{"type": "LogisticRegression", "params": {[^}]*}}/{"type": "GBDTClassifier", "params": {"numIterations": 100}}/' \
  "$DATA/lr_spec.json" >"$DATA/gbdt_spec.json"
cat > "$DATA/select_spec.json" <<'EOF'
{"stages": [{"type": "SqlTransformer", "params": {"statement": "SELECT x0 * 2 + x1 AS y, x2 - x0 AS z FROM __THIS__"}}]}
EOF
"$EMBER" fit "$DATA/lr_spec.json" --data "$DATA/train.csv" --out "$DATA/lr_model" --overwrite >/dev/null 2>&1
"$EMBER" fit "$DATA/select_spec.json" --data "$DATA/train.csv" --out "$DATA/select_model" --overwrite >/dev/null 2>&1
"$EMBER" fit "$DATA/gbdt_spec.json" --data "$DATA/train.csv" --out "$DATA/gbdt_model" --overwrite >/dev/null 2>&1

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
# Waits until http://127.0.0.1:PORT/PATH answers 200; prints the milliseconds it took from $2.
wait_ready() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import sys, time, urllib.request
port, start_ns, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for _ in range(3000):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
            if r.status == 200:
                print(f"{(time.time_ns() - start_ns) / 1e6:.0f}")
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.002)
sys.exit(f"server on port {port} did not become ready")
PY
}

P_EMBER=18480; P_NGINX=18481; P_FASTAPI=18482; P_FLASK=18483; P_EMBER2=18484
# Ember with one event loop, as nginx has one worker (wrk takes the other core), and with
# its default of one loop per core.
T0=$(date +%s%N)
"$EMBER" --threads 1 serve "$DATA/lr_model" --route "/select=$DATA/select_model" --port $P_EMBER \
  >"$WORK/ember.out" 2>"$WORK/ember.log" &
PIDS+=($!); EMBER_PID=$!
EMBER_COLD_MS=$($TOOL ready $P_EMBER /health "$T0")
"$EMBER" serve "$DATA/lr_model" --route "/select=$DATA/select_model" --port $P_EMBER2 >/dev/null 2>&1 &
PIDS+=($!)
mkdir -p "$WORK/nginx"
sed "s|@DIR@|$WORK/nginx|g; s|@PORT@|$P_NGINX|g" bench/serving/nginx.conf.in >"$WORK/nginx/nginx.conf"
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" 2>"$WORK/nginx.err" &
PIDS+=($!)
export EMBER_BENCH_DATA="$PWD/$DATA"
(cd bench/serving && exec /usr/bin/python3 -m uvicorn sklearn_app:app --port $P_FASTAPI --log-level warning) \
  >"$WORK/fastapi.log" 2>&1 &
PIDS+=($!)
(cd bench/serving && exec /usr/bin/python3 -m gunicorn -w 1 -b 127.0.0.1:$P_FLASK sklearn_app:flask_app) \
  >"$WORK/flask.log" 2>&1 &
PIDS+=($!)
T=$(date +%s%N); wait_ready $P_EMBER2 "$T" /health >/dev/null
T=$(date +%s%N); wait_ready $P_NGINX "$T" / >/dev/null
T=$(date +%s%N); wait_ready $P_FASTAPI "$T" /docs >/dev/null
# Flask has no GET route: wait until the port accepts a POST.
for _ in $(seq 1500); do
  $TOOL latency $P_FLASK /select "$DATA/select_body.json" 0 1 >/dev/null 2>&1 && break
  sleep 0.02
done

port_of() {
  case $1 in
    nginx) echo $P_NGINX ;; ember) echo $P_EMBER ;; ember-2loops) echo $P_EMBER2 ;;
    fastapi) echo $P_FASTAPI ;; flask-gunicorn) echo $P_FLASK ;;
  esac
}
body_of() { if [ "$1" = select ]; then echo "$DATA/select_body.json"; else echo "$DATA/lr_body.json"; fi; }
LOG="$WORK/results"
LAT="$WORK/latency"
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
# Latency of the sub-100 µs servers: three interleaved rounds with a busy-polling client
# (LAT_SPIN=1, see serving_bench.cc); the round with the median p50 is reported.
for round in 1 2 3; do
  for server in nginx ember ember-2loops; do
    for route in predict select; do
      echo "$server $route $(LAT_SPIN=1 $TOOL latency "$(port_of $server)" /$route "$(body_of $route)" 200 "$LAT_N")" >>"$LAT"
    done
  done
done
# The Python servers: one round with a blocking client (spinning slows them down).
for server in fastapi flask-gunicorn; do
  for route in predict select; do
    n=$LAT_N; [ $route = predict ] && n=$(( LAT_N < 500 ? LAT_N : 500 ))
    echo "$server $route $($TOOL latency "$(port_of $server)" /$route "$(body_of $route)" 50 "$n")" >>"$LAT"
  done
done
for server in nginx ember ember-2loops fastapi flask-gunicorn; do
  for route in predict select; do
    rps=()
    for c in 8 64; do
      out=$(BODY_FILE="$(body_of $route)" wrk -t1 -c$c -d${DURATION}s -s bench/serving/post.lua \
            "http://127.0.0.1:$(port_of $server)/$route")
      r=$(echo "$out" | sed -n 's/^Requests\/sec: *//p')
      bad=$(echo "$out" | sed -n 's/^ *Non-2xx or 3xx responses: *//p'); bad=${bad:-0}
      err=$(echo "$out" | grep -c "Socket errors" || true)
      rps+=("c${c}_rps=$r c${c}_non2xx=$bad c${c}_socket_errors=$err")
    done
    echo "$server $route ${rps[*]}" >>"$LOG"
  done
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)

# Soak: Ember's RSS before and after SOAK requests at 64 connections.
RSS_BEFORE=$($TOOL rss $EMBER_PID)
c64=$(awk '$1 == "ember" && $2 == "predict" { for (i = 3; i <= NF; ++i) if ($i ~ /^c64_rps=/) { sub("c64_rps=", "", $i); print $i } }' "$LOG")
SOAK_S=$(/usr/bin/python3 -c "import math; print(max(5, math.ceil($SOAK / max(float('${c64:-1000}'), 1.0))))")
SOAK_OUT=$(BODY_FILE="$DATA/lr_body.json" wrk -t1 -c64 -d${SOAK_S}s -s bench/serving/post.lua "http://127.0.0.1:$P_EMBER/predict")
SOAK_DONE=$(echo "$SOAK_OUT" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
RSS_AFTER=$($TOOL rss $EMBER_PID)
EMBER_READY_MS=$(sed -n 's/^ready in \([0-9]*\) ms/\1/p' "$WORK/ember.log")
WORK_LR=$($TOOL work "$DATA/lr_model" "$DATA/lr_body.json" 100000 | sed 's/ reply=.*//')
WORK_SELECT=$($TOOL work "$DATA/select_model" "$DATA/select_body.json" 100000 | sed 's/ reply=.*//')
WORK_GBDT=$($TOOL work "$DATA/gbdt_model" "$DATA/lr_body.json" 100000 | sed 's/ reply=.*//')

/usr/bin/python3 - "$LOG" "$LAT" "$LOAD_BEFORE" "$LOAD_AFTER" <<PY
import statistics, sys
def parse(path):
    out = {}
    for line in open(path):
        f = line.split()
        out.setdefault((f[0], f[1]), []).append({k: float(v) for k, v in (kv.split("=") for kv in f[2:])})
    return out
thr, lat = parse(sys.argv[1]), parse(sys.argv[2])
rows = {}
for key, runs in thr.items():
    rounds = sorted(lat[key], key=lambda m: m["p50_us"])
    rows[key] = {**runs[0], **rounds[len(rounds) // 2]}
print(f"load average before/after: {sys.argv[3]}/{sys.argv[4]}; wrk -t1, {$DURATION} s per cell; latency over "
      f"{$LAT_N} sequential keep-alive requests (nginx and Ember: busy-polling client, median of 3 rounds; "
      f"Python servers: blocking client, 500 for /predict)")
print(f"{'server':<15} {'route':<8} {'mean ± std µs':>16} {'p50':>7} {'p99':>7} {'p99.9':>7} {'c8 req/s':>10} "
      f"{'c64 req/s':>10} {'p50-floor':>9} {'c64/floor':>9} {'errors':>6}")
for (server, route), m in rows.items():
    floor = rows[("nginx", route)]
    print(f"{server:<15} {route:<8} {m['mean_us']:>8.1f} ± {m['std_us']:<6.1f} {m['p50_us']:>7.1f} {m['p99_us']:>7.1f} "
          f"{m['p999_us']:>7.1f} {m['c8_rps']:>10,.0f} {m['c64_rps']:>10,.0f} {m['p50_us'] - floor['p50_us']:>+8.1f}µ "
          f"{m['c64_rps'] / floor['c64_rps']:>8.2f}x "
          f"{int(m['c8_non2xx'] + m['c64_non2xx'] + m['c8_socket_errors'] + m['c64_socket_errors'] + m['errors']):>6}")
e, f = rows[("ember", "predict")], rows[("fastapi", "predict")]
print(f"Ember LR throughput at 64 connections / FastAPI's: {e['c64_rps'] / f['c64_rps']:.1f}x")
print("Ember start-up: exec to /health 200 in $EMBER_COLD_MS ms (models loaded and bound in $EMBER_READY_MS ms)")
print("Ember per-request work in process (decode + pipeline + encode): LR $WORK_LR, SELECT $WORK_SELECT, "
      "GBDT (the LR featurization, 100 trees) $WORK_GBDT")
print("Ember RSS over ${SOAK_DONE:-?} requests at 64 connections: $RSS_BEFORE kB -> $RSS_AFTER kB")
PY
