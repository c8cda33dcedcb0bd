#!/usr/bin/env bash
# KMeans: Ember against scikit-learn's KMeans (Lloyd from k-means++, n_init 1, its default tol
# and max_iter) on ROWS rows of DIMS features around 60 Gaussian centres, k = K, THREADS
# threads, RUNS times interleaved (medians): fit time and the final inertia (Ember's training
# cost). Ember runs at most MAX_ITER Lloyd iterations (Spark's default maxIter is 20); the
# report says whether its inertia is within 1% of scikit-learn's, and the time ratio.
# Usage: bench/kmeans/run.sh [ROWS=1000000] [DIMS=20] [K=50] [RUNS=3] [THREADS=2] [MAX_ITER=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-1000000}
DIMS=${2:-20}
K=${3:-50}
RUNS=${4:-3}
THREADS=${5:-2}
MAX_ITER=${6:-20}
./scripts/setup.sh >/dev/null
./scripts/install_packages.sh python3-sklearn python3-pandas python3-threadpoolctl
cmake --preset release >/dev/null
cmake --build build/release --target ember_bench_kmeans >/dev/null
DATA=build/bench-data/kmeans/blobs_${ROWS}x${DIMS}.csv
mkdir -p "$(dirname "$DATA")"
[ -f "$DATA" ] || /usr/bin/python3 bench/kmeans/gen_data.py "$DATA" "$ROWS" "$DIMS"
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  build/release/bench/kmeans/ember_bench_kmeans "$DATA" "$K" "$THREADS" "$i" "$MAX_ITER" >>"$LOG"
  /usr/bin/python3 bench/kmeans/peer.py "$DATA" "$K" "$THREADS" "$i" >>"$LOG"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$LOG" "$ROWS" "$DIMS" "$K" "$RUNS" "$THREADS" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import statistics, sys
log, rows, dims, k, runs, threads, before, after = sys.argv[1:]
by = {}
for line in open(log):
    parts = line.split()
    by.setdefault(parts[0], []).append({a: float(b) for a, b in (p.split("=") for p in parts[1:])})
med = lambda lib, key: statistics.median(r[key] for r in by[lib])
print(f"{rows} x {dims}, k = {k}; {runs} runs interleaved (seeds 1..{runs}; medians); {threads} threads; "
      f"load average before/after: {before}/{after}")
print(f"{'library':<10}{'fit s':>9}{'inertia':>15}{'iterations':>12}")
for lib in ("ember", "sklearn"):
    print(f"{lib:<10}{med(lib, 'fit_s'):>9.2f}{med(lib, 'inertia'):>15.6e}{med(lib, 'iterations'):>12.0f}")
ratio = med("ember", "inertia") / med("sklearn", "inertia")
print(f"Ember's inertia is {100 * (ratio - 1):+.2f}% of scikit-learn's ({'within' if ratio <= 1.01 else 'NOT within'} 1%); "
      f"Ember fits {med('sklearn', 'fit_s') / med('ember', 'fit_s'):.2f}x faster")
PY
