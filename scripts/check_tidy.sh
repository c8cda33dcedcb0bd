#!/usr/bin/env bash
# clang-tidy (Debian 12's, 14) with the short list of checks in .clang-tidy (use after move,
# dangling views, widening after overflow, needless copies, ...) over every C++ source of
# src/, tools/, examples/ and python/, using the compile commands of a configured build directory
# (default build/debug). Any finding fails. Silence a deliberate case with a NOLINT comment
# that names the check and says why.
# Usage: scripts/check_tidy.sh [BUILD_DIR=build/debug]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/debug}
if [ ! -f "$BUILD/compile_commands.json" ]; then
  echo "[tidy] $BUILD/compile_commands.json is missing: configure first (cmake --preset debug)" >&2
  exit 1
fi
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
if ! run-clang-tidy -p "$BUILD" -j "$(nproc)" -quiet "$PWD/(src|tools|examples|python)/.*\.cc$" >"$OUT" 2>&1; then
  grep -E "(warning|error): " "$OUT" | sed 's/\x1b\[[0-9;]*m//g' | sort -u >&2 || cat "$OUT" >&2
  echo "[tidy] findings above (.clang-tidy lists the checks)" >&2
  exit 1
fi
echo "[tidy] $(grep -c '"file"' "$BUILD/compile_commands.json") compile commands, no findings"
