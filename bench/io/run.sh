#!/usr/bin/env bash
# CSV read throughput: Ember (1 and 2 threads) against pandas.read_csv on the same
# generated file of mixed column types. Prints medians of RUNS interleaved runs, MB/s, the
# ratio to pandas, and the machine's load while measuring.
# Usage: bench/io/run.sh [MEGABYTES=500] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
MB=${1:-500}
RUNS=${2:-5}
./scripts/setup.sh >/dev/null
if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends python3-pandas >/dev/null
fi
cmake --preset release >/dev/null
cmake --build build/release --target ember_bench_csv_gen ember_bench_csv_read >/dev/null
DATA=build/bench-data/mixed_${MB}mb.csv
mkdir -p build/bench-data
[ -f "$DATA" ] || build/release/bench/io/ember_bench_csv_gen "$DATA" "$MB" >/dev/null
BYTES=$(stat -c %s "$DATA")
LOG=$(mktemp)
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  build/release/bench/io/ember_bench_csv_read "$DATA" 1 1 >>"$LOG"
  build/release/bench/io/ember_bench_csv_read "$DATA" 2 1 >>"$LOG"
  /usr/bin/python3 bench/io/pandas_read.py "$DATA" 1 >>"$LOG"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$LOG" "$BYTES" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import re, statistics, sys
log, size = sys.argv[1], int(sys.argv[2])
runs = {}
for line in open(log):
    name = line.split()[0]
    if name == "ember":
        name += " " + re.search(r"threads=(\d+)", line).group(1) + "t"
    runs.setdefault(name, []).append(float(re.search(r"seconds=([\d.]+)", line).group(1)))
rows = {l.split()[0]: re.search(r"rows=(\d+)", l).group(1) for l in open(log)}
pandas = statistics.median(runs["pandas"])
print(f"file: {size/1e6:.0f} MB, rows: {rows['pandas']}, runs: {len(runs['pandas'])}, "
      f"load average before/after: {sys.argv[3]}/{sys.argv[4]}")
print(f"{'reader':<12} {'median s':>9} {'MB/s':>8} {'vs pandas':>10}")
for name in ["pandas", "ember 1t", "ember 2t"]:
    m = statistics.median(runs[name])
    print(f"{name:<12} {m:>9.3f} {size/1e6/m:>8.1f} {pandas/m:>9.2f}x")
PY
rm -f "$LOG"
