#!/usr/bin/env bash
# Installs what Ember needs on Debian 12 (idempotent): the C++ toolchain, CMake, Ninja,
# ccache, and the libraries Ember builds against. Safe to run again; installs only what is
# missing.
set -euo pipefail
PACKAGES=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  clang lld libclang-rt-14-dev           # libFuzzer targets
  libgtest-dev libgmock-dev libbenchmark-dev
  libsimdjson-dev libcli11-dev
  libboost-dev                            # Beast and Asio (serving)
  libgoogle-perftools-dev                 # tcmalloc for the programs (see CMakeLists.txt)
  libsqlite3-dev                          # differential tests of the SQL transformer
  libxgboost-dev                          # gradient-boosted trees (gbdt/)
  libopenmpi-dev openmpi-bin              # scale-out over MPI ranks (mpi/), mpirun
  libcurl4-openssl-dev                    # the HTTP client (http/)
  python3 python3-sklearn                 # differential tests against scikit-learn (/usr/bin/python3)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "[setup] installing: ${missing[*]}"
  $SUDO apt-get update -o DPkg::Lock::Timeout=600 -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    --no-install-recommends "${missing[@]}"
fi
