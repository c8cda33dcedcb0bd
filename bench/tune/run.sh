#!/usr/bin/env bash
# Model selection against scikit-learn: `ember tune` and GridSearchCV on the same grid (3
# models x 8 settings: L2 logistic regression, L1 logistic regression, boosted trees; see
# space.json and peer.py), the same folds, scored by AUC, the best refitted on every row.
# Times are whole commands (reading the CSV included), medians of RUNS interleaved runs.
# Usage: bench/tune/run.sh [ROWS=100000] [RUNS=3] [FOLDS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-100000}
RUNS=${2:-3}
FOLDS=${3:-5}
./scripts/setup.sh >/dev/null
./scripts/install_packages.sh python3-pandas python3-sklearn
cmake --preset release >/dev/null
cmake --build build/release --target ember >/dev/null
DATA=build/bench-data/tune/data_$ROWS.csv
mkdir -p "$(dirname "$DATA")"
[ -f "$DATA" ] || /usr/bin/python3 bench/tune/gen_data.py "$DATA" "$ROWS"
OUT=$(mktemp -d)
LOG=$OUT/log
trap 'rm -rf "$OUT"' EXIT
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
  start=$(date +%s.%N)
  build/release/tools/ember/ember tune bench/tune/spec.json --space bench/tune/space.json \
    --data "$DATA" --folds "$FOLDS" --metric auc --out "$OUT/best" --overwrite \
    --trials "$OUT/trials.csv" >"$OUT/ember.out" 2>"$OUT/ember.err"
  end=$(date +%s.%N)
  best=$(grep '^best:' "$OUT/ember.out")
  families=$(/usr/bin/python3 -c '
import csv, sys
s = {}
for r in csv.DictReader(open(sys.argv[1])):
    s[r["model"]] = s.get(r["model"], 0) + float(r["seconds"])
print(",".join(f"{n}:{s[m]:.1f}" for m, n in (("1", "lr_l2"), ("2", "lr_l1"), ("3", "gbdt"))))
' "$OUT/trials.csv")
  echo "ember seconds=$(/usr/bin/python3 -c "print($end - $start)") $(echo "$best" | sed -E 's/.*: AUC ([0-9.]+) .*/best_auc=\1/') families=$families" >>"$LOG"
  echo "ember_best $best" >>"$LOG"
  # liblinear warns that it did not converge at the strongest penalties; those fits count
  # as they are (scikit-learn keeps their scores), the warnings are left out of the output.
  echo "sklearn $(PYTHONWARNINGS=ignore /usr/bin/python3 bench/tune/peer.py "$DATA" "$FOLDS" 0)" >>"$LOG"
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$LOG" "$ROWS" "$RUNS" "$FOLDS" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import re, statistics, sys
log, rows, runs, folds, before, after = sys.argv[1:]
secs, aucs, best, fam = {}, {}, {}, {}
for line in open(log):
    lib, rest = line.split(" ", 1)
    if lib == "ember_best":
        best["ember"] = rest.strip()
        continue
    secs.setdefault(lib, []).append(float(re.search(r"seconds=([0-9.]+)", rest).group(1)))
    aucs[lib] = float(re.search(r"best_auc=([0-9.]+)", rest).group(1))
    for kv in re.search(r"families=(\S+)", rest).group(1).split(","):
        k, v = kv.split(":")
        fam.setdefault((lib, k), []).append(float(v))
    if lib == "sklearn":
        best[lib] = rest.split("best=", 1)[1].strip()
print(f"model selection, 3 models x 8 settings x {folds} folds on {rows} rows, best refitted; "
      f"medians of {runs} runs; load average {before} before, {after} after")
for lib in ("ember", "sklearn"):
    print(f"{lib:<8} {statistics.median(secs[lib]):8.2f} s   best mean AUC {aucs[lib]:.5f}   {best[lib]}")
print("fit + score seconds summed over trials and folds (work, not wall time), medians:")
for k in ("lr_l2", "lr_l1", "gbdt"):
    e, s = statistics.median(fam[("ember", k)]), statistics.median(fam[("sklearn", k)])
    print(f"  {k:<6} ember {e:7.1f}   scikit-learn {s:7.1f}   ({s / e:.1f}x)")
e, s = statistics.median(secs["ember"]), statistics.median(secs["sklearn"])
print(f"ember is {s / e:.2f}x faster (best AUC {aucs['ember'] - aucs['sklearn']:+.5f} against scikit-learn)")
PY
