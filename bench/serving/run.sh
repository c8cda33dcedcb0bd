#!/usr/bin/env bash
# Ember Serving against its peers on the paper's two pipelines, in one command:
#   LR      string indexing + one-hot encoding + scaling + logistic regression (/predict)
#   SELECT  a SQL projection with arithmetic (/select)
# Servers: Ember (`ember serve`, both routes), nginx answering a fixed body (the floor),
# FastAPI on uvicorn and Flask on gunicorn serving the same pipeline in scikit-learn (one
# worker each). For each: single-connection latency over LAT_N sequential keep-alive
# requests after 200 warm-up ones, and wrk throughput at 8 and 64 connections for
# DURATION seconds. Then Ember's start-up time and its RSS over SOAK requests.
# Usage: bench/serving/run.sh [DURATION=10] [LAT_N=2000] [SOAK=1000000]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
LAT_N=${2:-2000}
SOAK=${3:-1000000}
./scripts/setup.sh >/dev/null
need=()
for p in nginx wrk python3-fastapi python3-uvicorn gunicorn python3-flask python3-pandas python3-sklearn; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" >/dev/null
fi
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
cat > "$DATA/select_spec.json" <<'EOF'
{"stages": [{"type": "SqlTransformer", "params": {"statement": "SELECT x0 * 2 + x1 AS y, x2 - x0 AS z FROM __THIS__"}}]}
EOF
"$EMBER" fit "$DATA/lr_spec.json" --data "$DATA/train.csv" --out "$DATA/lr_model" --overwrite >/dev/null 2>&1
"$EMBER" fit "$DATA/select_spec.json" --data "$DATA/train.csv" --out "$DATA/select_model" --overwrite >/dev/null 2>&1

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

P_EMBER=18480; P_NGINX=18481; P_FASTAPI=18482; P_FLASK=18483
T0=$(date +%s%N)
"$EMBER" serve "$DATA/lr_model" --route "/select=$DATA/select_model" --port $P_EMBER >"$WORK/ember.out" 2>"$WORK/ember.log" &
PIDS+=($!); EMBER_PID=$!
EMBER_COLD_MS=$(wait_ready $P_EMBER "$T0" /health)
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
T=$(date +%s%N); wait_ready $P_NGINX "$T" / >/dev/null
T=$(date +%s%N); wait_ready $P_FASTAPI "$T" /docs >/dev/null
# Flask has no GET route: wait until the port accepts a POST.
for _ in $(seq 1500); do
  $TOOL latency $P_FLASK /select "$DATA/select_body.json" 0 1 >/dev/null 2>&1 && break
  sleep 0.02
done

LOG="$WORK/results"
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for server in nginx ember fastapi flask-gunicorn; do
  case $server in
    nginx) port=$P_NGINX ;; ember) port=$P_EMBER ;; fastapi) port=$P_FASTAPI ;; flask-gunicorn) port=$P_FLASK ;;
  esac
  for route in predict select; do
    body="$DATA/lr_body.json"; [ $route = select ] && body="$DATA/select_body.json"
    n=$LAT_N; [ $server = flask-gunicorn ] || [ $server = fastapi ] && [ $route = predict ] && n=$(( LAT_N < 500 ? LAT_N : 500 ))
    lat=$($TOOL latency $port /$route "$body" 200 "$n")
    rps=()
    for c in 8 64; do
      out=$(BODY_FILE="$body" wrk -t1 -c$c -d${DURATION}s -s bench/serving/post.lua "http://127.0.0.1:$port/$route")
      r=$(echo "$out" | sed -n 's/^Requests\/sec: *//p')
      bad=$(echo "$out" | sed -n 's/^ *Non-2xx or 3xx responses: *//p'); bad=${bad:-0}
      err=$(echo "$out" | grep -c "Socket errors" || true)
      rps+=("c${c}_rps=$r c${c}_non2xx=$bad c${c}_socket_errors=$err")
    done
    echo "$server $route $lat ${rps[*]}" >>"$LOG"
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

/usr/bin/python3 - "$LOG" "$LOAD_BEFORE" "$LOAD_AFTER" <<PY
import sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows[(f[0], f[1])] = {k: float(v) for k, v in (kv.split("=") for kv in f[2:])}
print(f"load average before/after: {sys.argv[2]}/{sys.argv[3]}; wrk -t1, {$DURATION} s per cell; latency over "
      f"{$LAT_N} sequential keep-alive requests (500 for the Python servers' /predict)")
head = f"{'server':<15} {'route':<8} {'mean ± std µs':>16} {'p50':>7} {'p99':>7} {'p99.9':>7} {'c8 req/s':>10} {'c64 req/s':>10} {'p50-floor':>9} {'c64/floor':>9} {'non2xx':>6}"
print(head)
for (server, route), m in rows.items():
    floor = rows[("nginx", route)]
    print(f"{server:<15} {route:<8} {m['mean_us']:>8.1f} ± {m['std_us']:<6.1f} {m['p50_us']:>7.1f} {m['p99_us']:>7.1f} "
          f"{m['p999_us']:>7.1f} {m['c8_rps']:>10,.0f} {m['c64_rps']:>10,.0f} {m['p50_us'] - floor['p50_us']:>+8.1f}µ "
          f"{m['c64_rps'] / floor['c64_rps']:>8.2f}x {int(m['c8_non2xx'] + m['c64_non2xx'] + m['errors']):>6}")
e, f = rows[("ember", "predict")], rows[("fastapi", "predict")]
print(f"Ember LR throughput at 64 connections / FastAPI's: {e['c64_rps'] / f['c64_rps']:.1f}x")
print("Ember start-up: exec to /health 200 in $EMBER_COLD_MS ms (models loaded and bound in $EMBER_READY_MS ms)")
print("Ember per-request work in process (decode + pipeline + encode): LR $WORK_LR, SELECT $WORK_SELECT")
print("Ember RSS over ${SOAK_DONE:-?} requests at 64 connections: $RSS_BEFORE kB -> $RSS_AFTER kB")
PY
