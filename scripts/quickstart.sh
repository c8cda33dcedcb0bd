#!/usr/bin/env bash
# Ember's main job, end to end on a fresh Debian 12 machine: installs what is missing,
# builds the release preset, fetches the real data set and runs the quick start.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/fetch_data.sh
cmake --preset release >/dev/null
cmake --build build/release --target ember_quickstart _ember
build/release/examples/ember_quickstart data/sklearn/breast_cancer.csv build/quickstart_out
# The same from Python (python/ember over the release extension).
PYTHONPATH="$PWD/python:$PWD/build/release/python" /usr/bin/python3 examples/quickstart.py \
  data/sklearn/breast_cancer.csv build/quickstart_py_out
