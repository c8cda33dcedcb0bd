#!/usr/bin/env bash
# Gradient boosting: Ember's GBDTClassifier against python3-xgboost (the same library with
# the same params) and scikit-learn's HistGradientBoostingClassifier (a leaf-wise histogram
# GBDT, the closest stand-in for LightGBM), on
#   breast  scikit-learn's breast cancer data (Debian's python3-sklearn), 455/114 rows
#   higgs   a generated Higgs-like task, ROWS rows (80% train) of 28 features
# each RUNS times interleaved (medians): fit time (matrix build + training), held-out AUC,
# peak RSS of the process, batch scoring time of the test rows, and single-row scoring
# latency (p50 of 2,000 rows): Ember's compiled trees, XGBoosterPredictFromDense on the
# same booster, and python's inplace_predict. ROUNDS trees of LEAVES leaves, THREADS threads.
# Usage: bench/gbdt/run.sh [ROWS=1000000] [RUNS=3] [ROUNDS=100] [LEAVES=31] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-1000000}
RUNS=${2:-3}
ROUNDS=${3:-100}
LEAVES=${4:-31}
THREADS=${5:-2}
# shellcheck source=bench/gbdt/prepare.sh
. bench/gbdt/prepare.sh
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  for set in breast "higgs_$ROWS"; do
    echo "$set $(build/release/bench/gbdt/ember_bench_gbdt "$BASE/$set" "$ROUNDS" "$LEAVES" "$THREADS")" >>"$LOG"
    echo "$set $(/usr/bin/python3 bench/gbdt/peers.py "$BASE/$set" "$ROUNDS" "$LEAVES" "$THREADS" xgboost)" >>"$LOG"
    echo "$set $(/usr/bin/python3 bench/gbdt/peers.py "$BASE/$set" "$ROUNDS" "$LEAVES" "$THREADS" sklearn)" >>"$LOG"
  done
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$LOG" "$RUNS" "$ROUNDS" "$LEAVES" "$THREADS" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import statistics, sys
log, runs, rounds, leaves, threads, before, after = sys.argv[1:]
rows = {}
for line in open(log):
    parts = line.split()
    key = (parts[0], parts[1])
    vals = dict(p.split("=") for p in parts[2:])
    rows.setdefault(key, []).append({k: float(v) for k, v in vals.items()})
med = lambda key, k: statistics.median(r[k] for r in rows[key])
print(f"{runs} interleaved runs (medians); {rounds} trees of {leaves} leaves, {threads} threads; "
      f"load average before/after: {before}/{after}")
print(f"{'data':<16}{'library':<10}{'fit s':>8}{'AUC':>9}{'peak RSS MB':>13}{'batch s':>9}{'row µs p50':>12}"
      f"{'fit vs xgb':>12}{'RSS vs xgb':>12}")
for data in sorted({k[0] for k in rows}):
    for lib in ("ember", "xgboost", "sklearn"):
        key = (data, lib)
        if key not in rows:
            continue
        fit, auc, rss = med(key, "fit_s"), med(key, "auc"), med(key, "rss_kb") / 1024
        row = med(key, "row_us")
        xfit, xrss = med((data, "xgboost"), "fit_s"), med((data, "xgboost"), "rss_kb") / 1024
        print(f"{data:<16}{lib:<10}{fit:>8.3f}{auc:>9.5f}{rss:>13.0f}{med(key, 'batch_s'):>9.4f}"
              f"{row:>12.2f}{fit / xfit:>11.2f}x{rss / xrss:>11.2f}x")
    e = (data, "ember")
    print(f"{'':<16}single row, same booster: Ember compiled trees {med(e, 'row_us'):.2f} µs, "
          f"XGBoosterPredictFromDense {med(e, 'xgb_row_us'):.2f} µs: "
          f"{med(e, 'xgb_row_us') / med(e, 'row_us'):.1f}x faster; AUC difference to xgboost "
          f"{med(e, 'auc') - med((data, 'xgboost'), 'auc'):+.5f}")
PY
