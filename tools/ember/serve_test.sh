#!/usr/bin/env bash
# `ember serve` end to end as a process: fit a model with `ember fit`, serve it on a free
# port, check a prediction, a bad request, /health, /metrics, reload on SIGHUP, and a
# graceful stop on SIGTERM (exit status 0). Usage: serve_test.sh PATH_TO_EMBER
set -euo pipefail
EMBER=$1
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
{
  echo "x,color,label"
  for i in $(seq 0 199); do
    c=$(( i * 7 % 3 )); colors=(red green blue)
    x=$(( i * 37 % 100 ))
    echo "$x,${colors[$c]},$(( (x + (c == 0 ? 60 : 0)) > 50 ? 1 : 0 ))"
  done
} > "$DIR/train.csv"
cat > "$DIR/spec.json" <<'JSON'
{"stages": [
  {"type": "StringIndexer", "params": {"inputCol": "color", "outputCol": "ci"}},
  {"type": "OneHotEncoder", "params": {"inputCols": ["ci"], "outputCols": ["cv"]}},
  {"type": "VectorAssembler", "params": {"inputCols": ["x", "cv"], "outputCol": "features"}},
  {"type": "LogisticRegression", "params": {"regParam": 0.01}}]}
JSON
VERSION=$("$EMBER" --version)
[[ $VERSION =~ ^ember\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "ember --version printed '$VERSION'"; exit 1; }
# Usage errors exit 2, and a mistyped command gets the closest one.
set +e
"$EMBER" fti "$DIR/spec.json" 2>"$DIR/usage"; CODE=$?
set -e
[ "$CODE" -eq 2 ] || { echo "ember fti exited $CODE, not 2"; exit 1; }
grep -q "did you mean 'fit'?" "$DIR/usage" || { echo "no suggestion: $(cat "$DIR/usage")"; exit 1; }
for args in "fit" "eval --data x.csv" "transform m --data x --bogus 1" "" \
    "head x.csv --delimiter ::" "schema x.csv --compression zip"; do
  set +e
  # shellcheck disable=SC2086
  "$EMBER" $args >/dev/null 2>&1; CODE=$?
  set -e
  [ "$CODE" -eq 2 ] || { echo "ember $args exited $CODE, not 2"; exit 1; }
done
"$EMBER" fit "$DIR/spec.json" --data "$DIR/train.csv" --out "$DIR/model" >/dev/null 2>&1
"$EMBER" --threads 1 serve "$DIR/model" --port 0 >"$DIR/out" 2>"$DIR/log" &
PID=$!
for _ in $(seq 100); do grep -q listening "$DIR/out" && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$DIR/out")
[ -n "$URL" ] || { echo "server did not start"; cat "$DIR/log"; exit 1; }
python3 - "$URL" "$PID" <<'PY'
import json, os, signal, sys, time, urllib.error, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
def call(path, body=None):
    req = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)
status, body, headers = call("/predict", {"x": 90, "color": "red"})
assert status == 200, (status, body)
reply = json.loads(body)
assert set(reply) == {"rawPrediction", "probability", "prediction"}, reply
assert reply["prediction"] == 1.0 and abs(sum(reply["probability"]) - 1) < 1e-12, reply
assert headers["X-Ember-Model-Version"] == "1"
status, body, _ = call("/predict", {"x": "ninety", "color": "red"})
assert status == 400 and json.loads(body)["field"] == "x", (status, body)
assert call("/health")[0] == 200
assert 'ember_requests_total{route="/predict",status="200"} 1' in call("/metrics")[1]
os.kill(pid, signal.SIGHUP)
for _ in range(100):
    status, body, headers = call("/predict", {"x": 90, "color": "red"})
    if headers.get("X-Ember-Model-Version") == "2":
        break
    time.sleep(0.05)
assert headers.get("X-Ember-Model-Version") == "2", headers
print("serve_test: predictions, errors, metrics and reload OK")
PY
kill -TERM $PID
wait $PID
grep -q stopped "$DIR/log"
echo "serve_test: graceful stop OK"
# A deadline past a day is refused at start, naming the limit.
set +e
"$EMBER" serve "$DIR/model" --port 0 --deadline-ms 10000000000000 >/dev/null 2>"$DIR/late"; CODE=$?
set -e
[ "$CODE" -ne 0 ] && grep -q "past the longest allowed" "$DIR/late" ||
  { echo "--deadline-ms 1e13 was not refused: $CODE $(cat "$DIR/late")"; exit 1; }
# --strict-fields: a misspelled field is a 400 naming the closest one.
"$EMBER" --threads 1 serve "$DIR/model" --port 0 --strict-fields >"$DIR/out2" 2>"$DIR/log2" &
PID=$!
for _ in $(seq 100); do grep -q listening "$DIR/out2" && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$DIR/out2")
python3 - "$URL" <<'PY'
import json, sys, urllib.error, urllib.request
req = urllib.request.Request(sys.argv[1] + "/predict", data=json.dumps({"X": 90, "color": "red"}).encode())
try:
    urllib.request.urlopen(req, timeout=5)
    raise SystemExit("a misspelled field got a 200 under --strict-fields")
except urllib.error.HTTPError as e:
    body = e.read().decode()
    assert e.code == 400 and "did you mean 'x'?" in body, (e.code, body)
PY
kill -TERM $PID
wait $PID
echo "serve_test: --deadline-ms bound and --strict-fields OK"
# SIGTERM while the models load (a metadata.json that is a FIFO blocks the load for good)
# ends the process at once.
mkdir "$DIR/stuck"
mkfifo "$DIR/stuck/metadata.json"
"$EMBER" serve "$DIR/stuck" --port 0 >/dev/null 2>"$DIR/log3" &
PID=$!
# Once it says it is loading, SIGTERM is its to take (before that, a slow start under load --
# the binary links OpenCV -- would meet the default action and die without a word).
for _ in $(seq 400); do grep -q "^loading" "$DIR/log3" && break; sleep 0.05; done
grep -q "^loading" "$DIR/log3" || { echo "no loading message: $(cat "$DIR/log3")"; exit 1; }
kill -TERM $PID
for _ in $(seq 100); do kill -0 $PID 2>/dev/null || break; sleep 0.05; done
if kill -0 $PID 2>/dev/null; then echo "SIGTERM during the load was not honoured"; exit 1; fi
wait $PID || true
grep -q "stopped while loading" "$DIR/log3" || { echo "no stop message: $(cat "$DIR/log3")"; exit 1; }
# SIGTERM during a reload that cannot finish: the server drains and the process ends.
cp -r "$DIR/model" "$DIR/reloading"
"$EMBER" --threads 1 serve "$DIR/reloading" --port 0 >"$DIR/out4" 2>"$DIR/log4" &
PID=$!
for _ in $(seq 100); do grep -q listening "$DIR/out4" && break; sleep 0.05; done
rm "$DIR/reloading/metadata.json"
mkfifo "$DIR/reloading/metadata.json"
kill -HUP $PID
sleep 0.3
kill -TERM $PID
for _ in $(seq 100); do kill -0 $PID 2>/dev/null || break; sleep 0.05; done
if kill -0 $PID 2>/dev/null; then echo "SIGTERM during a reload was not honoured"; exit 1; fi
wait $PID
grep -q stopped "$DIR/log4" || { echo "no stop message: $(cat "$DIR/log4")"; exit 1; }
echo "serve_test: SIGTERM during load and reload OK"
