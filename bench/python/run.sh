#!/usr/bin/env bash
# Ember from Python against Ember from C++ and scikit-learn (bench.py says what is measured):
# one-row latency, the pandas round trip against memcpy, and bulk transform rows/s on the
# bench/pipeline data. Prints the machine's load before and after.
# Usage: bench/python/run.sh [ROWS=1000000] [CALLS=20000] [REPEATS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-1000000}
CALLS=${2:-20000}
REPEATS=${3:-5}
./scripts/setup.sh >/dev/null
cmake --preset release >/dev/null
cmake --build build/release --target _ember >/dev/null
DATA=build/bench-data/pipeline_${ROWS}
[ -f "$DATA/test.csv" ] || /usr/bin/python3 bench/pipeline/gen_data.py "$DATA" "$ROWS"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
PYTHONPATH="$PWD/python:$PWD/build/release/python" /usr/bin/python3 bench/python/bench.py \
  "$DATA" 0.0001 "$CALLS" "$REPEATS"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
