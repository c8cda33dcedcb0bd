#!/usr/bin/env bash
# Fetches the real data sets the examples, tests and benchmarks use, from Debian's own
# packages (no other network), each extracted from its .deb without installing it:
#   data/sklearn/   scikit-learn's bundled CSVs (BSD licence; python3-sklearn)
#   data/images/    real photos and handwritten digits: opencv-doc's sample images and
#                   digits.png (5,000 20x20 digits, 100 per row, 500 of each digit in turn),
#                   scikit-learn's two photos, darknet's test photos; data/images/text/ has
#                   opencv-doc's two photos of printed text (for the OCR text detector)
# Idempotent: what is there is not fetched again. Data lands in data/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Downloads package $1's .deb into $tmp (updating the package lists once if needed).
download() {
  (cd "$tmp" && apt-get download "$1" >/dev/null 2>&1) || {
    $SUDO apt-get update -o DPkg::Lock::Timeout=600 -qq
    (cd "$tmp" && apt-get download "$1" >/dev/null 2>&1)
  }
}

# Extracts the given paths (relative to /) of package $1 into $tmp/x.
extract() {
  local pkg=$1
  shift
  download "$pkg"
  mkdir -p "$tmp/x"
  dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb | tar -x -C "$tmp/x" "${@/#/./}"
}

OUT=data/sklearn
if [ ! -f "$OUT/breast_cancer.csv" ] || [ ! -f "$OUT/iris.csv" ] || [ ! -f data/images/photos/china.jpg ]; then
  SK=usr/lib/python3/dist-packages/sklearn/datasets
  extract python3-sklearn $SK/data/breast_cancer.csv $SK/data/iris.csv $SK/data/wine_data.csv \
    $SK/images/china.jpg $SK/images/flower.jpg
  mkdir -p "$OUT" data/images/photos
  cp "$tmp"/x/$SK/data/{breast_cancer,iris,wine_data}.csv "$OUT/"
  cp "$tmp"/x/$SK/images/{china,flower}.jpg data/images/photos/
  echo "[data] scikit-learn data sets in $OUT"
fi

IMAGES=data/images
if [ ! -f "$IMAGES/digits.png" ] || [ ! -f "$IMAGES/photos/giraffe.jpg" ]; then
  CV=usr/share/doc/opencv-doc/examples/data
  CV_PHOTOS=(apple baboon butterfly building fruits HappyFish home messi5 orange starry_night
             aero1 board left01)
  DN=usr/share/darknet/data
  DN_PHOTOS=(dog eagle giraffe horses kite person scream)
  paths=()
  for p in "${CV_PHOTOS[@]}"; do paths+=("$CV/$p.jpg"); done
  extract opencv-doc "$CV/digits.png" "${paths[@]}"
  paths=()
  for p in "${DN_PHOTOS[@]}"; do paths+=("$DN/$p.jpg"); done
  extract darknet "${paths[@]}"
  mkdir -p "$IMAGES/photos"
  cp "$tmp/x/$CV/digits.png" "$IMAGES/"
  cp "$tmp"/x/$CV/*.jpg "$tmp"/x/$DN/*.jpg "$IMAGES/photos/"
  echo "[data] opencv-doc's digits, opencv-doc's and darknet's photos in $IMAGES"
fi
if [ ! -f "$IMAGES/text/imageTextN.png" ]; then
  CV=usr/share/doc/opencv-doc/examples/data
  extract opencv-doc "$CV/imageTextN.png" "$CV/imageTextR.png"
  mkdir -p "$IMAGES/text"
  cp "$tmp/x/$CV/imageTextN.png" "$tmp/x/$CV/imageTextR.png" "$IMAGES/text/"
  echo "[data] opencv-doc's photos of text in $IMAGES/text"
fi
