#!/usr/bin/env bash
# Explanations against a straightforward numpy implementation of the same algorithms
# (bench/explain/peer.py), RUNS rounds interleaved, medians, on THREADS cores:
#   Kernel SHAP: 10 features, a background of 100 rows, 2,000 coalitions per row, the same
#     100-tree XGBoost model (trained by python3-xgboost, imported with `ember import-xgboost`);
#     the peer scores with python3-xgboost's inplace_predict in batches.
#   LIME: 10 features, 1,000 samples per row, a logistic regression (Ember's own in a
#     VectorAssembler -> LogisticRegression pipeline; the peer's scikit-learn model as numpy).
#   ImageLIME: 900 samples per photo (resized to 224 x 224: about 200 superpixels) with the
#     image quick start's model (ImageFeaturizer on MobileNetV2 -> LogisticRegression):
#     seconds per image and the share of time inside the model (the network, mostly).
# For each: rows explained per second and the share of time inside the model's calls.
# Usage: bench/explain/run.sh [RUNS=3] [THREADS=2] [SHAP_ROWS=16] [LIME_ROWS=400] [IMAGES=4]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}
THREADS=${2:-2}
SHAP_ROWS=${3:-16}
LIME_ROWS=${4:-400}
IMAGES=${5:-4}
./scripts/setup.sh >/dev/null
./scripts/fetch_data.sh >/dev/null
./scripts/fetch_models.sh >/dev/null
./scripts/install_packages.sh python3-xgboost python3-sklearn
cmake --preset release >/dev/null
cmake --build build/release --target ember ember_bench_explain ember_image_quickstart >/dev/null
DATA=build/bench-data/explain
mkdir -p "$DATA"
[ -f "$DATA/xgb.json" ] || /usr/bin/python3 bench/explain/prepare.py "$DATA"
build/release/tools/ember/ember import-xgboost "$DATA/xgb.json" --out "$DATA/xgb_model" \
  --overwrite >/dev/null
QS=build/bench-data/explain/quickstart
[ -d "$QS/digits_model" ] || build/release/examples/ember_image_quickstart data/images \
  data/models/mobilenet_v2.onnx "$QS" 40 >/dev/null
BIN=build/release/bench/explain/ember_bench_explain
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  echo "ember_shap $("$BIN" shap "$DATA/xgb_model" "$DATA/data.csv" "$SHAP_ROWS" 100 2000 "$THREADS")" >>"$LOG"
  echo "numpy_shap $(/usr/bin/python3 bench/explain/peer.py "$DATA" shap "$SHAP_ROWS" 100 2000 "$THREADS")" >>"$LOG"
  echo "ember_lime $("$BIN" lime "$DATA/data.csv" "$LIME_ROWS" 100 1000 "$THREADS")" >>"$LOG"
  echo "numpy_lime $(/usr/bin/python3 bench/explain/peer.py "$DATA" lime "$LIME_ROWS" 100 1000 "$THREADS")" >>"$LOG"
  echo "ember_image $("$BIN" image "$QS/digits_model" data/images/photos "$IMAGES" 900 "$THREADS")" >>"$LOG"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$LOG" "$RUNS" "$THREADS" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import statistics, sys
log, runs, threads, before, after = sys.argv[1:]
rate, frac = {}, {}
for line in open(log):
    kind, *kv = line.split()
    kv = dict(p.split("=") for p in kv)
    rate.setdefault(kind, []).append(float(kv.get("rows_per_s", kv.get("seconds_per_image"))))
    frac.setdefault(kind, []).append(float(kv["model_fraction"]))
med = {k: statistics.median(v) for k, v in rate.items()}
mf = {k: statistics.median(v) for k, v in frac.items()}
print(f"{runs} runs interleaved (medians), {threads} threads; load average before/after: {before}/{after}")
print(f"{'':58}{'rows/s':>10}{'in model':>10}")
for k, label in [("ember_shap", "Ember VectorSHAP (10 features, 100 bg, 2000 samples)"),
                 ("numpy_shap", "numpy Kernel SHAP + xgboost inplace_predict"),
                 ("ember_lime", "Ember TabularLIME (10 features, 1000 samples)"),
                 ("numpy_lime", "numpy LIME + logistic regression")]:
    print(f"{label:58}{med[k]:>10.2f}{mf[k]:>10.2f}")
print(f"Kernel SHAP: Ember / numpy = {med['ember_shap'] / med['numpy_shap']:.2f}x (target >= 5x); "
      f"Ember's share in the model {mf['ember_shap']:.2f} (target >= 0.85)")
print(f"LIME: Ember / numpy = {med['ember_lime'] / med['numpy_lime']:.2f}x")
print(f"ImageLIME, 900 samples: {med['ember_image']:.2f} s per image ({threads} threads), "
      f"{mf['ember_image']:.2f} of the time in the model (target >= 0.9)")
PY
