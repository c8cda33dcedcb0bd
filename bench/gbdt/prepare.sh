# Sourced by the GBDT benchmarks (run.sh, loaded.sh) with ROWS set: installs the peers,
# builds the benchmark binary, and writes the data sets (scikit-learn's breast cancer and a
# Higgs-like task of ROWS rows) unless they are there. Sets BASE and HIGGS.
./scripts/setup.sh >/dev/null
./scripts/fetch_data.sh >/dev/null
./scripts/install_packages.sh python3-xgboost python3-pandas python3-sklearn
cmake --preset release >/dev/null
cmake --build build/release --target ember_bench_gbdt >/dev/null
BASE=build/bench-data/gbdt
[ -f "$BASE/breast/test.csv" ] || /usr/bin/python3 bench/gbdt/gen_data.py breast "$BASE/breast" data/sklearn/breast_cancer.csv
HIGGS=$BASE/higgs_$ROWS
[ -f "$HIGGS/test.csv" ] || /usr/bin/python3 bench/gbdt/gen_data.py higgs "$HIGGS" "$ROWS"
