#!/usr/bin/env bash
# The same pipeline (one-hot encoding of string columns, scaling, logistic regression) in
# Ember and in scikit-learn on the same generated data: fit time, transform rows/s and the
# held-out AUC, medians of RUNS interleaved runs, with ratios and the machine's load. Each
# run fits once, transforms the test rows once untimed (warm-up) and then REPEATS times (the
# median counts: the steady state of a long-running job or server), on both sides alike.
# Usage: bench/pipeline/run.sh [ROWS=1000000] [RUNS=3] [THREADS=0 (one per core)] [REPEATS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-1000000}
RUNS=${2:-3}
THREADS=${3:-0}
REPEATS=${4:-5}
REG=0.0001
./scripts/setup.sh >/dev/null
./scripts/install_packages.sh python3-pandas
cmake --preset release >/dev/null
cmake --build build/release --target ember_bench_pipeline >/dev/null
DATA=build/bench-data/pipeline_${ROWS}
[ -f "$DATA/test.csv" ] || /usr/bin/python3 bench/pipeline/gen_data.py "$DATA" "$ROWS"
LOG=$(mktemp)
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  build/release/bench/pipeline/ember_bench_pipeline "$DATA" "$REG" "$THREADS" "$REPEATS" >>"$LOG"
  /usr/bin/python3 bench/pipeline/sklearn_pipeline.py "$DATA" "$REG" "$REPEATS" >>"$LOG"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$LOG" "$ROWS" "$LOAD_BEFORE" "$LOAD_AFTER" "$REPEATS" <<'PY'
import re, statistics, sys
log, rows = sys.argv[1], int(sys.argv[2])
runs = {}
for line in open(log):
    name = line.split()[0]
    if name == "ember":
        name += " (" + re.search(r"threads=(\d+)", line).group(1) + " threads)"
    vals = dict(kv.split("=") for kv in line.split()[1:])
    runs.setdefault(name, []).append({k: float(v) for k, v in vals.items()})
med = {n: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for n, rs in runs.items()}
sk = med["sklearn"]
test_rows = int(sk["rows"])
print(f"rows: {rows} ({rows - test_rows} train, {test_rows} test), runs: {len(runs['sklearn'])}, "
      f"transforms per run: {sys.argv[5]}, "
      f"load average before/after: {sys.argv[3]}/{sys.argv[4]}")
print(f"{'':<22} {'fit s':>8} {'fit vs sklearn':>15} {'transform rows/s':>17} {'vs sklearn':>11} {'AUC':>9} {'AUC diff':>9}")
for name, m in sorted(med.items(), key=lambda kv: kv[0] != "sklearn"):
    rps = m["rows"] / m["transform_seconds"]
    print(f"{name:<22} {m['fit_seconds']:>8.3f} {m['fit_seconds'] / sk['fit_seconds']:>14.2f}x "
          f"{rps:>17,.0f} {rps / (sk['rows'] / sk['transform_seconds']):>10.1f}x {m['auc']:>9.5f} "
          f"{100 * (m['auc'] - sk['auc']) / sk['auc']:>+8.3f}%")
    if "stages_transform_seconds" in m:
        st = m["rows"] / m["stages_transform_seconds"]
        print(f"{'  stage by stage':<22} {'':>8} {'':>15} {st:>17,.0f} "
              f"{st / (sk['rows'] / sk['transform_seconds']):>10.1f}x   (fused: {rps / st:.2f}x stage by stage)")
    if "full_transform_seconds" in m:
        full = m["rows"] / m["full_transform_seconds"]
        print(f"{'  keeping every column':<22} {'':>8} {'':>15} {full:>17,.0f} "
              f"{full / (sk['rows'] / sk['transform_seconds']):>10.1f}x")
print("transform = predict_proba on scikit-learn's side; on Ember's, TransformSelect keeping label, "
      "rawPrediction, probability and prediction, with the linear run compiled ('stage by stage': "
      "fusion off; 'keeping every column': Transform, with every intermediate column as well)")
PY
rm -f "$LOG"
