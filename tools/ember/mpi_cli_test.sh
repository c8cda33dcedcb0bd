#!/usr/bin/env bash
# `ember fit`, `transform`, `eval`, `tune` and `explain` under mpirun: 2 and 3 ranks give the
# 1-rank results.
#   mpi_cli_test.sh EMBER MPIEXEC [FLAGS...]      (this script adds -n RANKS)
set -euo pipefail
ember=$1
shift
mpiexec=("$@")
ranks() { local n=$1; shift; "${mpiexec[@]}" -n "$n" "$@"; }
mpirun=(ranks 3)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# 3000 rows: 4 numbers, a category, a yes/no label that follows them (fixed seed).
awk 'BEGIN { srand(7); print "x1,x2,x3,x4,color,label"; split("red green blue", c, " ");
  for (i = 0; i < 3000; i++) { x1 = rand() * 4 - 2; x2 = rand() * 10; x3 = rand() - 0.5; x4 = int(rand() * 5);
    col = c[int(rand() * 3) + 1]; z = x1 + 0.3 * x2 - 3 + 2 * x3 + (col == "red") + rand() - 0.5;
    printf "%.6f,%.6f,%.6f,%d,%s,%s\n", x1, x2, x3, x4, col, (z > 0 ? "yes" : "no") } }' > train.csv
cat > lr.json <<'SPEC'
{"stages": [
  {"type": "StringIndexer", "params": {"inputCol": "color", "outputCol": "color_idx"}},
  {"type": "OneHotEncoder", "params": {"inputCol": "color_idx", "outputCol": "color_vec"}},
  {"type": "StringIndexer", "params": {"inputCol": "label", "outputCol": "y"}},
  {"type": "VectorAssembler", "params": {"inputCols": ["x1", "x2", "x3", "x4", "color_vec"], "outputCol": "raw"}},
  {"type": "StandardScaler", "params": {"inputCol": "raw", "outputCol": "features"}},
  {"type": "LogisticRegression", "params": {"labelCol": "y"}}
]}
SPEC
cat > gbdt.json <<'SPEC'
{"stages": [
  {"type": "StringIndexer", "params": {"inputCol": "label", "outputCol": "y"}},
  {"type": "VectorAssembler", "params": {"inputCols": ["x1", "x2", "x3", "x4"], "outputCol": "features"}},
  {"type": "GBDTClassifier", "params": {"labelCol": "y", "numIterations": 20, "numLeaves": 15, "numThreads": 1}}
]}
SPEC
fail() { echo "FAIL: $*"; exit 1; }

# Logistic regression: the ranks sum in another order, so the numbers agree to ~1e-12, not
# to the bit; every prediction is the same.
"$ember" fit lr.json --data train.csv --out lr1 > /dev/null 2>&1
"${mpirun[@]}" "$ember" fit lr.json --data train.csv --out lr3
"$ember" transform lr1 --data train.csv --out p1.csv --cols probability,prediction > /dev/null 2>&1
"${mpirun[@]}" "$ember" transform lr3 --data train.csv --out p3.csv --cols probability,prediction
[ "$(ls p3.csv)" = "$(printf 'part-00000-of-00003.csv\npart-00001-of-00003.csv\npart-00002-of-00003.csv')" ] ||
  fail "expected 3 part files, got: $(ls p3.csv)"
# The parts in rank order are the rows in file order.
for f in p3.csv/part-*; do tail -n +2 "$f"; done > p3_rows
tail -n +2 p1.csv > p1_rows
[ "$(wc -l < p3_rows)" = 3000 ] || fail "3 ranks wrote $(wc -l < p3_rows) rows, not 3000"
paste -d'|' p1_rows p3_rows | tr -d '"[]' | awk -F'[|,]' '
  { if ($3 != $6) { print "row " NR ": prediction " $3 " vs " $6; bad++ }
    d = $1 - $4; if (d < 0) d = -d; if (d > 1e-9) { print "row " NR ": probability " $1 " vs " $4; bad++ } }
  END { exit bad > 0 }' || fail "3 ranks scored differently"

# --gather: one file on rank 0, the rows in input order.
"${mpirun[@]}" "$ember" transform lr3 --data train.csv --out gathered.csv --cols probability,prediction --gather
[ -f gathered.csv ] || fail "--gather wrote no file"
[ "$(tail -n +2 gathered.csv)" = "$(cat p3_rows)" ] || fail "--gather wrote other rows than the parts"

# eval on 3 ranks: the metrics of the whole data, printed once (numeric label).
awk -F, 'NR == 1 { print $0 ",y" } NR > 1 { print $0 "," ($6 == "yes") }' train.csv > train_y.csv
sed 's/"outputCol": "y"/"outputCol": "y_idx"/; s/"labelCol": "y"/"labelCol": "y_idx"/' lr.json > lr_y.json
"$ember" fit lr_y.json --data train_y.csv --out lry > /dev/null 2>&1
"$ember" eval lry --data train_y.csv --label y > eval1.txt 2>/dev/null
grep -q "^AUC" eval1.txt || fail "no AUC from eval: $(cat eval1.txt)"
for n in 2 3; do
  ranks "$n" "$ember" eval lry --data train_y.csv --label y > "eval$n.txt" 2>/dev/null
  diff eval1.txt "eval$n.txt" || fail "eval on $n ranks printed other metrics"
done

# Gradient boosting: XGBoost's collective over the ranks, the tracker on rank 0. Byte for
# byte the 1-rank model while XGBoost's quantile sketch is exact (here 2000 rows).
head -2001 train.csv > small.csv
"$ember" fit gbdt.json --data small.csv --out g1 > /dev/null 2>&1
for n in 2 3; do
  ranks "$n" "$ember" fit gbdt.json --data small.csv --out "g$n"
  cmp g1/stages/02_*/data/model.ubj g"$n"/stages/02_*/data/model.ubj || fail "$n ranks trained another booster"
done

# A random forest without row sampling grows the 1-rank trees on 2 and 3 ranks (the feature
# samples are drawn once for all workers; 255 bins hold this data's values exactly, as for
# the booster above); with bootstrap each rank samples its own rows, and the forest still
# scores as well.
sed 's/"GBDTClassifier", "params": {[^}]*}/"RandomForestClassifier", "params": {"labelCol": "y", "numTrees": 10, "maxDepth": 6, "maxBins": 255, "bootstrap": false, "numThreads": 1}/' gbdt.json > rf.json
grep -q RandomForestClassifier rf.json || fail "rf.json: $(cat rf.json)"
"$ember" fit rf.json --data small.csv --out f1 > /dev/null 2>&1
for n in 2 3; do
  ranks "$n" "$ember" fit rf.json --data small.csv --out "f$n"
  cmp f1/stages/02_*/data/model.ubj f"$n"/stages/02_*/data/model.ubj || fail "$n ranks grew another forest"
done
sed 's/"bootstrap": false/"bootstrap": true/' rf.json > rfb.json
"${mpirun[@]}" "$ember" fit rfb.json --data small.csv --out fb3
"$ember" eval fb3 --data small.csv --label label > rf_eval.txt 2>/dev/null
awk '$1 == "AUC" && $2 > 0.9 { ok = 1 } END { exit !ok }' rf_eval.txt || fail "the bootstrapped forest of 3 ranks: $(cat rf_eval.txt)"

# tune on 3 ranks: the same folds (by each row's place in the file), so the same trials table
# (metrics to 4 decimals) and the same best, printed once.
cat > tune_spec.json <<'SPEC'
{"stages": [{"type": "TrainClassifier", "params": {"labelCol": "label", "model": {"type": "LogisticRegression"}}}]}
SPEC
cat > space.json <<'SPEC'
{"models": [{"type": "LogisticRegression", "space": {"regParam": [0.001, 0.1, 3]}},
            {"type": "LogisticRegression", "params": {"elasticNetParam": 1}, "space": {"regParam": [0.01]}}]}
SPEC
"$ember" tune tune_spec.json --space space.json --data train.csv --folds 3 --metric auc --out t1 > tune1.txt 2>/dev/null
"${mpirun[@]}" "$ember" tune tune_spec.json --space space.json --data train.csv --folds 3 --metric auc --out t3 > tune3.txt 2>/dev/null
[ "$(grep -c '^best: trial' tune3.txt)" = 1 ] || fail "tune on 3 ranks printed: $(cat tune3.txt)"
# The table without its seconds column.
table() { grep -v '^saved' "$1" | sed -E 's/ +[0-9.]+$//'; }
[ "$(table tune1.txt)" = "$(table tune3.txt)" ] || fail "tune on 3 ranks: $(diff <(table tune1.txt) <(table tune3.txt))"
[ -f t3/metadata.json ] || fail "tune on 3 ranks saved no model"

# explain on 3 ranks: each row's samples come from its own seeded generator and the default
# background is drawn from all the data, so the explanations are the 1-rank ones, bit for bit.
head -61 train.csv > few.csv
"$ember" explain lr1 --data few.csv --out e1.jsonl --samples 40 --background-rows 10 > /dev/null 2>&1
"${mpirun[@]}" "$ember" explain lr1 --data few.csv --out e3.jsonl --samples 40 --background-rows 10
cat e3.jsonl/part-* > e3_rows
[ "$(wc -l < e3_rows)" = 60 ] || fail "3 ranks explained $(wc -l < e3_rows) rows, not 60"
cmp -s e1.jsonl e3_rows || fail "3 ranks explained differently: $(diff e1.jsonl e3_rows | head -3)"

# A rank that cannot read its input: every rank fails with the file named, exit non-zero.
if "${mpirun[@]}" "$ember" fit lr.json --data missing.csv --out nope > err.txt 2>&1; then fail "fit on a missing file passed"; fi
grep -q "missing.csv" err.txt || fail "the error does not name the file: $(cat err.txt)"
echo "PASS"
