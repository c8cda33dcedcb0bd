#!/usr/bin/env bash
# Random forests: Ember's RandomForestClassifier against scikit-learn's
# RandomForestClassifier (n_jobs THREADS; bootstrap, sqrt of the features per split, Gini:
# scikit-learn's defaults, at the same depth) on the Higgs-like task of bench/gbdt (ROWS rows
# of 28 features, 80% train), RUNS times interleaved (medians): fit time, held-out AUC, peak
# RSS, batch scoring of the test rows and one row's scoring (p50; Ember's compiled trees,
# scikit-learn's predict_proba on one row).
# Usage: bench/forest/run.sh [ROWS=500000] [RUNS=3] [TREES=100] [DEPTH=12] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-500000}
RUNS=${2:-3}
TREES=${3:-100}
DEPTH=${4:-12}
THREADS=${5:-2}
# shellcheck source=bench/gbdt/prepare.sh
. bench/gbdt/prepare.sh
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  build/release/bench/gbdt/ember_bench_gbdt "$HIGGS" "$TREES" "$DEPTH" "$THREADS" forest >>"$LOG"
  /usr/bin/python3 bench/gbdt/peers.py "$HIGGS" "$TREES" "$DEPTH" "$THREADS" sklearn-rf >>"$LOG"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$LOG" "$RUNS" "$TREES" "$DEPTH" "$THREADS" "$ROWS" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import statistics, sys
log, runs, trees, depth, threads, rows, before, after = sys.argv[1:]
runs_of = {}
for line in open(log):
    parts = line.split()
    runs_of.setdefault(parts[0], []).append({k: float(v) for k, v in (p.split("=") for p in parts[1:])})
med = lambda lib, k: statistics.median(r[k] for r in runs_of[lib])
print(f"higgs {rows} rows; {runs} interleaved runs (medians); {trees} trees of depth {depth}, "
      f"{threads} threads; load average before/after: {before}/{after}")
print(f"{'library':<10}{'fit s':>9}{'AUC':>9}{'peak RSS MB':>13}{'batch s':>9}{'row µs p50':>12}")
for lib in ("ember", "sklearn-rf"):
    print(f"{lib:<10}{med(lib, 'fit_s'):>9.2f}{med(lib, 'auc'):>9.5f}{med(lib, 'rss_kb') / 1024:>13.0f}"
          f"{med(lib, 'batch_s'):>9.3f}{med(lib, 'row_us'):>12.2f}")
print(f"Ember fits {med('sklearn-rf', 'fit_s') / med('ember', 'fit_s'):.2f}x faster "
      f"(AUC {med('ember', 'auc') - med('sklearn-rf', 'auc'):+.5f}); scores one row "
      f"{med('sklearn-rf', 'row_us') / med('ember', 'row_us'):.0f}x faster "
      f"({med('ember', 'row_us'):.2f} µs); a batch {med('sklearn-rf', 'batch_s') / med('ember', 'batch_s'):.1f}x")
PY
