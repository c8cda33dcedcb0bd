#!/usr/bin/env bash
# Gradient boosting on a busy machine: fit times with the cores idle and with two busy loops
# beside the fit (another process using both cores, as a shared host or a CI neighbour),
# for Ember (its short OpenMP spin, exec/openmp_spin.h), Ember with libgomp's default spin
# (GOMP_SPINCOUNT=300000, the behaviour before), and python3-xgboost (same library and
# params, libgomp's default). Data: scikit-learn's breast cancer (455 training rows) and a
# generated Higgs-like task of ROWS rows. Medians of RUNS interleaved runs.
# Usage: bench/gbdt/loaded.sh [ROWS=100000] [RUNS=5] [ROUNDS=100] [LEAVES=31] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-100000}
RUNS=${2:-5}
ROUNDS=${3:-100}
LEAVES=${4:-31}
THREADS=${5:-2}
# shellcheck source=bench/gbdt/prepare.sh
. bench/gbdt/prepare.sh
LOG=$(mktemp)
BUSY=()
stop_busy() { for p in "${BUSY[@]}"; do kill "$p" 2>/dev/null || true; done; BUSY=(); }
trap 'stop_busy; rm -f "$LOG"' EXIT
run_all() {  # $1: idle or loaded
  for set in breast "higgs_$ROWS"; do
    echo "$1 $set ember $(build/release/bench/gbdt/ember_bench_gbdt "$BASE/$set" "$ROUNDS" "$LEAVES" "$THREADS" | tr ' ' '\n' | grep '^fit_s=')" >>"$LOG"
    echo "$1 $set ember-default-spin $(GOMP_SPINCOUNT=300000 build/release/bench/gbdt/ember_bench_gbdt "$BASE/$set" "$ROUNDS" "$LEAVES" "$THREADS" | tr ' ' '\n' | grep '^fit_s=')" >>"$LOG"
    echo "$1 $set xgboost $(/usr/bin/python3 bench/gbdt/peers.py "$BASE/$set" "$ROUNDS" "$LEAVES" "$THREADS" xgboost | tr ' ' '\n' | grep '^fit_s=')" >>"$LOG"
  done
}
LOAD_IDLE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do run_all idle; done
for _ in 1 2; do sh -c 'while :; do :; done' & BUSY+=($!); done
sleep 2
for i in $(seq "$RUNS"); do run_all loaded; done
LOAD_BUSY=$(cut -d' ' -f1 /proc/loadavg)
stop_busy
/usr/bin/python3 - "$LOG" "$RUNS" "$ROUNDS" "$LEAVES" "$THREADS" "$LOAD_IDLE" "$LOAD_BUSY" <<'PY'
import statistics, sys
log, runs, rounds, leaves, threads, idle_load, busy_load = sys.argv[1:]
fits = {}
for line in open(log):
    mode, data, lib, fit = line.split()
    fits.setdefault((mode, data, lib), []).append(float(fit.split("=")[1]))
print(f"fit seconds, medians of {runs} runs; {rounds} trees of {leaves} leaves, {threads} threads; "
      f"load average idle {idle_load}, with two busy loops {busy_load}")
print(f"{'data':<16}{'library':<22}{'idle':>8}{'loaded':>9}{'slowdown':>10}")
for data in sorted({k[1] for k in fits}):
    for lib in ("ember", "ember-default-spin", "xgboost"):
        idle = statistics.median(fits[("idle", data, lib)])
        loaded = statistics.median(fits[("loaded", data, lib)])
        print(f"{data:<16}{lib:<22}{idle:>8.3f}{loaded:>9.3f}{loaded / idle:>9.1f}x")
PY
