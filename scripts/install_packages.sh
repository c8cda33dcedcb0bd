#!/usr/bin/env bash
# Installs the given Debian packages that are missing (idempotent): setup.sh's toolchain and
# libraries, the benchmarks' peers. Updates the package lists first when something is missing.
#   scripts/install_packages.sh PACKAGE...
set -euo pipefail
need=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "[install] ${need[*]}" >&2
  $sudo_cmd apt-get update -o DPkg::Lock::Timeout=600 -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    --no-install-recommends "${need[@]}" >/dev/null
fi
