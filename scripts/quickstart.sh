#!/usr/bin/env bash
# Ember's main job, end to end on a fresh Debian 12 machine: installs what is missing,
# builds the release preset, fetches the real data sets (and a pretrained network) and runs
# the quick starts: tables, then images.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/fetch_data.sh
./scripts/fetch_models.sh
cmake --preset release >/dev/null
cmake --build build/release --target ember_quickstart ember_image_quickstart _ember
build/release/examples/ember_quickstart data/sklearn/breast_cancer.csv build/quickstart_out
# Images: handwritten digits and photos from Debian's packages, MobileNetV2 from npm.
build/release/examples/ember_image_quickstart data/images data/models/mobilenet_v2.onnx \
  build/image_quickstart_out
# The same from Python (python/ember over the release extension).
PYTHONPATH="$PWD/python:$PWD/build/release/python" /usr/bin/python3 examples/quickstart.py \
  data/sklearn/breast_cancer.csv build/quickstart_py_out
