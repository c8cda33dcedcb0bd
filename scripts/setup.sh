#!/usr/bin/env bash
# Installs what Ember needs on Debian 12 (idempotent): the C++ toolchain, CMake, Ninja,
# ccache, and the libraries Ember builds against. Safe to run again; installs only what is
# missing.
set -euo pipefail
PACKAGES=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  clang lld libclang-rt-14-dev           # libFuzzer targets
  clang-format                            # the format check (scripts/check_format.sh)
  clang-tidy                              # the lint check (scripts/check_tidy.sh)
  libgtest-dev libgmock-dev libbenchmark-dev
  libsimdjson-dev libcli11-dev
  zlib1g-dev                              # gzip-compressed tables (io/)
  libboost-dev                            # Beast and Asio (serving)
  libgoogle-perftools-dev                 # tcmalloc for the programs (see CMakeLists.txt)
  libsqlite3-dev                          # differential tests of the SQL transformer
  libxgboost-dev                          # gradient-boosted trees (gbdt/)
  libopenmpi-dev openmpi-bin              # scale-out over MPI ranks (mpi/), mpirun
  libcurl4-openssl-dev                    # the HTTP client (http/)
  libopencv-dev                           # images and ONNX inference (image/, dnn/)
  python3 python3-sklearn                 # differential tests against scikit-learn (/usr/bin/python3)
  python3-dev pybind11-dev python3-venv   # the Python package (python/)
  python3-numpy python3-pandas python3-pytest
  python3-torch python3-onnx python3-pil  # test models made at test time (dnn/), peers in bench/
)
"$(dirname "$0")/install_packages.sh" "${PACKAGES[@]}"
