#!/usr/bin/env bash
# One image through `ember serve` against the network's forward pass alone: the image quick
# start's pipeline (ImageFeaturizer on MobileNetV2 -> StringIndexer -> LogisticRegression ->
# IndexToString, fitted on opencv-doc's digits) served, one keep-alive connection posting a
# JPEG as the body (Content-Type image/jpeg) N times after warm-up; the anchor is OpenCV DNN's
# forward pass of one pre-decoded, pre-resized image as the server runs it (batch of 1, one
# OpenCV thread). Two bodies: a 224x224 JPEG (the net's size) and a 640x480 photo (decoded
# at a reduced scale, then resized), each as the file (image/jpeg) and as base64 in JSON.
# The host's speed drifts by up to 30% over minutes, more than the difference measured, so
# each round measures the forward pass right before and after the served requests and the
# figure is each round's served p50 minus the mean of its two forward p50s; the median over
# RUNS rounds is reported. Target (issue 18): served p50 <= forward alone + 1 ms.
# Usage: bench/images/serve.sh [N=100] [RUNS=9]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100}
RUNS=${2:-9}
./scripts/setup.sh >/dev/null
./scripts/fetch_data.sh >/dev/null
./scripts/fetch_models.sh >/dev/null
cmake --preset release >/dev/null
cmake --build build/release --target ember ember_image_quickstart ember_bench_images \
  ember_bench_serving >/dev/null
EMBER=build/release/tools/ember/ember
TOOL=build/release/bench/serving/ember_bench_serving
BIN=build/release/bench/images/ember_bench_images
MODEL=data/models/mobilenet_v2.onnx
DATA=build/bench-data/images/serve
mkdir -p "$DATA"
[ -d "$DATA/qs/digits_model" ] ||
  build/release/examples/ember_image_quickstart data/images "$MODEL" "$DATA/qs" 40 >/dev/null
/usr/bin/python3 - "$DATA" <<'PY'
import sys
from PIL import Image
out = sys.argv[1]
photo = Image.open("data/images/photos/dog.jpg").convert("RGB")  # 768x576
photo.resize((224, 224), Image.BILINEAR).save(f"{out}/small.jpg", quality=90)
photo.crop((64, 48, 704, 528)).save(f"{out}/large.jpg", quality=90)
import base64, json
for k in ("small", "large"):
    with open(f"{out}/{k}.jpg", "rb") as f:
        json.dump({"image": base64.b64encode(f.read()).decode()}, open(f"{out}/{k}.json", "w"))
PY

WORK=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=18490
"$EMBER" serve "$DATA/qs/digits_model" --port $PORT --reply-cols digit >"$WORK/out" 2>"$WORK/log" &
PID=$!
"$TOOL" ready $PORT /health "$(date +%s%N)" >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  "$BIN" one "$DATA/small.jpg" "$MODEL" "$N" | sed "s/^/$i /" >>"$WORK/results"
  for body in small large; do
    "$TOOL" latency $PORT /predict "$DATA/$body.jpg" 20 "$N" image/jpeg |
      sed "s/^/$i $body.jpg /" >>"$WORK/results"
    "$TOOL" latency $PORT /predict "$DATA/$body.json" 20 "$N" |
      sed "s/^/$i $body.json /" >>"$WORK/results"
  done
  "$BIN" one "$DATA/small.jpg" "$MODEL" "$N" | sed "s/^/$i /" >>"$WORK/results"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$WORK/results" "$N" "$RUNS" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import collections, statistics, sys
path, n, runs, before, after = sys.argv[1:]
rounds = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(path):
    r, kind, *kv = line.split()
    kv = dict(p.split("=") for p in kv)
    if kv.get("errors", "0") != "0":
        sys.exit(f"{kind}: {kv['errors']} requests failed")
    rounds[r][kind].append(float(kv["p50_us"]) / 1000)
forward = [statistics.mean(v["forward_one"]) for v in rounds.values()]
print(f"{runs} rounds of {n} requests per body after 20 warm-up; load average before/after: "
      f"{before}/{after}")
print(f"{'':52}{'p50 ms':>8}{'- forward (median of rounds)':>30}")
print(f"{'OpenCV DNN forward alone (batch 1, one thread)':52}{statistics.median(forward):>8.2f}"
      f"   (rounds {min(forward):.2f} .. {max(forward):.2f})")
for k, label in [("small.jpg", "ember serve, 224x224 JPEG body (image/jpeg)"),
                 ("small.json", "ember serve, 224x224 JPEG as base64 in JSON"),
                 ("large.jpg", "ember serve, 640x480 JPEG body (image/jpeg)"),
                 ("large.json", "ember serve, 640x480 JPEG as base64 in JSON")]:
    served = [v[k][0] for v in rounds.values()]
    diffs = [v[k][0] - statistics.mean(v["forward_one"]) for v in rounds.values()]
    print(f"{label:52}{statistics.median(served):>8.2f}{statistics.median(diffs):>+16.2f}"
          f"   ({min(diffs):+.2f} .. {max(diffs):+.2f})")
print("target: served p50 <= forward alone + 1 ms")
PY
