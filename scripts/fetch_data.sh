#!/usr/bin/env bash
# Fetches the real data sets the examples use, from Debian's own packages (no other
# network): scikit-learn's bundled CSVs (BSD licence) from the python3-sklearn .deb,
# extracted without installing it. Idempotent. Data lands in data/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=data/sklearn
if [ -f "$OUT/breast_cancer.csv" ] && [ -f "$OUT/iris.csv" ]; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
(cd "$tmp" && apt-get download python3-sklearn >/dev/null 2>&1) || {
  $SUDO apt-get update -o DPkg::Lock::Timeout=600 -qq
  (cd "$tmp" && apt-get download python3-sklearn >/dev/null 2>&1)
}
dpkg-deb -x "$tmp"/python3-sklearn_*.deb "$tmp/x"
mkdir -p "$OUT"
cp "$tmp"/x/usr/lib/python3/dist-packages/sklearn/datasets/data/{breast_cancer,iris,wine_data}.csv "$OUT/"
echo "[data] scikit-learn data sets in $OUT"
