#!/usr/bin/env bash
# Images and deep-learning inference: Ember against its peers on N JPEG files of 640x480
# (random crops of the real photos in data/images, made once by prepare.py), RUNS times
# interleaved (medians), on THREADS cores:
#   1. JPEG files -> 1280-d MobileNetV2 features (decode, resize to 224x224, scale, forward):
#      Ember's ReadBinaryFiles + ImageFeaturizer vs python3-torch + PIL in a DataLoader with
#      THREADS worker processes (torch threads tried at 1 and THREADS, the better kept), the
#      same weights (scripts/fetch_models.sh);
#   2. Ember end to end vs OpenCV DNN's forward pass alone on tensors decoded beforehand;
#   3. decode + resize to 224x224: Ember (THREADS threads) vs Pillow in one process.
# Usage: bench/images/run.sh [N=400] [RUNS=3] [THREADS=2] [BATCH=16]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-400}
RUNS=${2:-3}
THREADS=${3:-2}
BATCH=${4:-16}
./scripts/setup.sh >/dev/null
./scripts/install_packages.sh python3-pil python3-torch
./scripts/fetch_data.sh >/dev/null
./scripts/fetch_models.sh >/dev/null
cmake --preset release >/dev/null
cmake --build build/release --target ember_bench_images >/dev/null
DATA=build/bench-data/images/jpeg_$N
[ -d "$DATA" ] || /usr/bin/python3 bench/images/prepare.py data/images/photos "$DATA" "$N"
MODEL=data/models/mobilenet_v2.onnx
PT=data/models/mobilenet_v2_features.pt
BIN=build/release/bench/images/ember_bench_images
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  # The forward pass alone right before Ember's end to end: the machine's speed drifts (a
  # shared host), and their ratio is the figure.
  "$BIN" forward "$DATA" "$MODEL" "$THREADS" "$BATCH" >>"$LOG"
  "$BIN" e2e "$DATA" "$MODEL" "$THREADS" "$BATCH" >>"$LOG"
  /usr/bin/python3 bench/images/torch_peer.py "$DATA" "$PT" "$THREADS" 1 "$BATCH" >>"$LOG"
  /usr/bin/python3 bench/images/torch_peer.py "$DATA" "$PT" "$THREADS" "$THREADS" "$BATCH" >>"$LOG"
  "$BIN" decode "$DATA" "$THREADS" >>"$LOG"
  /usr/bin/python3 bench/images/pil_peer.py "$DATA" >>"$LOG"
  /usr/bin/python3 bench/images/pil_peer.py "$DATA" draft >>"$LOG"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$LOG" "$N" "$RUNS" "$THREADS" "$BATCH" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import statistics, sys
log, n, runs, threads, batch, before, after = sys.argv[1:]
rates = {}
for line in open(log):
    parts = line.split()
    kv = dict(p.split("=") for p in parts[1:])
    key = parts[0] + (f"_t{kv['threads']}" if parts[0] == "torch" else "")
    rates.setdefault(key, []).append(float(kv["images_per_s"]))
med = {k: statistics.median(v) for k, v in rates.items()}
torch_best = max(med[f"torch_t1"], med[f"torch_t{threads}"])
forward = max(med["forward_net_per_thread"], med["forward_opencv_threads"])
print(f"{n} JPEGs of 640x480; {runs} runs interleaved (medians); {threads} threads; mini-batches of {batch}; "
      f"load average before/after: {before}/{after}")
print(f"{'':52}{'images/s':>10}")
setup = statistics.median(float(l.split("setup_s=")[1]) for l in open(log) if "setup_s=" in l)
for k, label in [("ember_e2e", "Ember: files -> features (ImageFeaturizer)"),
                 ("torch_t1", "python3-torch + PIL DataLoader, 1 torch thread"),
                 (f"torch_t{threads}", f"python3-torch + PIL DataLoader, {threads} torch threads"),
                 ("forward_net_per_thread", "OpenCV DNN forward alone, a net per thread"),
                 ("forward_opencv_threads", "OpenCV DNN forward alone, one net, OpenCV threads"),
                 ("ember_decode", "Ember decode + resize (ImageTransformer)"),
                 ("ember_decode_reduced", "Ember decode + resize (reduced JPEG decode)"),
                 ("pillow", "Pillow decode + resize, one process"),
                 ("pillow_draft", "Pillow draft decode + resize, one process")]:
    if k in med:
        print(f"{label:<52}{med[k]:>10.1f}")
print(f"(Ember's setup before the timed run: bind + a net per thread, {setup:.2f} s)")
print(f"end to end: Ember {med['ember_e2e'] / torch_best:.2f}x python3-torch (target >= 1.3x); "
      f"{med['ember_e2e'] / forward:.2f}x OpenCV's forward pass alone (target >= 0.95x)")
print(f"decode + resize: Ember {med['ember_decode'] / med['pillow']:.2f}x Pillow (target >= 2x); "
      f"reduced decode {med['ember_decode_reduced'] / med['pillow_draft']:.2f}x Pillow's draft mode")
PY
