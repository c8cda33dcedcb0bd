#!/usr/bin/env bash
# Scale-out over MPI ranks, one command:
#  1. shuffle throughput per rank at 2 and 3 ranks (RepartitionByHash: an all-to-all
#     exchange of binary batches) against the single-process memcpy bandwidth, with a string
#     column of 8-byte strings (moved as fixed-width values) and of 1-15-byte ones;
#  2. the quick start's pipeline shape (Featurize -> StandardScaler -> LogisticRegression)
#     fitted by `ember fit` on a generated CSV: 1 rank with 2 threads against 2 ranks with 1
#     thread each (mpirun start-up included), end to end (reading the CSV too).
# Medians of RUNS runs; the machine's load before and after.
# Usage: bench/scale/run.sh [SHUFFLE_ROWS_PER_RANK=2000000] [FIT_ROWS=1000000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
SHUFFLE_ROWS=${1:-2000000}
FIT_ROWS=${2:-1000000}
RUNS=${3:-3}
./scripts/setup.sh >/dev/null
cmake --preset release >/dev/null
cmake --build build/release --target ember ember_bench_scale >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
BENCH=build/release/bench/scale/ember_bench_scale
EMBER=build/release/tools/ember/ember
DATA=build/bench-data/scale_${FIT_ROWS}
mkdir -p "$DATA"
if [ ! -f "$DATA/train.csv" ]; then
  awk -v rows="$FIT_ROWS" 'BEGIN { srand(11); printf "x0"; for (j = 1; j < 20; j++) printf ",x%d", j; print ",label";
    for (i = 0; i < rows; i++) { z = 0; for (j = 0; j < 20; j++) { v = rand() * 2 - 1; z += v * (j % 3 - 1); printf "%s%.5f", (j ? "," : ""), v }
      printf ",%d\n", (z + rand() - 0.5 > 0) } }' > "$DATA/train.csv"
fi
cols=$(printf '"x%d",' $(seq 0 19)); cols=${cols%,}
cat > "$DATA/spec.json" <<SPEC
{"stages": [
  {"type": "Featurize", "params": {"inputCols": [$cols], "outputCol": "raw"}},
  {"type": "StandardScaler", "params": {"inputCol": "raw", "outputCol": "features"}},
  {"type": "LogisticRegression", "params": {"labelCol": "label"}}
]}
SPEC
LOG=$(mktemp)
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
MB=$(( SHUFFLE_ROWS * 36 / 1048576 + 1 ))
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
for i in $(seq "$RUNS"); do
  "$BENCH" memcpy "$MB" >>"$LOG"
  for n in 2 3; do
    for strings in equal varied; do mpirun -np "$n" "$BENCH" shuffle "$SHUFFLE_ROWS" 11 "$strings" >>"$LOG"; done
  done
  echo "fit1x2 seconds=$(seconds "$EMBER" --threads 2 fit "$DATA/spec.json" --data "$DATA/train.csv" --out "$DATA/m1" --overwrite)" >>"$LOG"
  echo "fit2x1 seconds=$(seconds mpirun -np 2 "$EMBER" --threads 1 fit "$DATA/spec.json" --data "$DATA/train.csv" --out "$DATA/m2" --overwrite)" >>"$LOG"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$LOG" "$LOAD_BEFORE" "$LOAD_AFTER" "$SHUFFLE_ROWS" "$FIT_ROWS" <<'PY'
import statistics, sys
log, before, after, shuffle_rows, fit_rows = sys.argv[1:]
runs = {}
for line in open(log):
    parts = line.split()
    vals = dict(kv.split("=") for kv in parts[1:])
    name = parts[0] + (" " + vals["ranks"] + " ranks " + vals.pop("strings") if parts[0] == "shuffle" else "")
    runs.setdefault(name, []).append({k: float(v) for k, v in vals.items()})
med = lambda name, key: statistics.median(r[key] for r in runs[name])
mem = med("memcpy", "gbps")
print(f"load average {before} before, {after} after; medians of {len(runs['memcpy'])} runs\n")
print(f"| shuffle ({shuffle_rows} rows per rank, 36 B/row) | GB/s per rank | / memcpy |")
print("|---|---|---|")
print(f"| memcpy (one process) | {mem:.2f} | 1.00 |")
for n in (2, 3):
    for strings, what in (("equal", "strings of 8 bytes"), ("varied", "strings of 1-15 bytes")):
        g = med(f"shuffle {n} ranks {strings}", "gbps")
        print(f"| {n} ranks, {what} | {g:.3f} | {g / mem:.2f} |")
f1, f2 = med("fit1x2", "seconds"), med("fit2x1", "seconds")
print(f"\n| fit, {fit_rows} rows x 20 features (ember fit, end to end) | seconds | ratio |")
print("|---|---|---|")
print(f"| 1 rank x 2 threads | {f1:.2f} | 1.00 |")
print(f"| 2 ranks x 1 thread (mpirun) | {f2:.2f} | {f2 / f1:.2f} |")
PY
