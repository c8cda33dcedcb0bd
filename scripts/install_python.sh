#!/usr/bin/env bash
# Installs the `ember` Python package into a Python environment on Debian 12, without PyPI:
#   ./scripts/install_python.sh [VENV]     (default .venv; made if missing)
# The environment is made with --system-site-packages, so Debian's NumPy, pandas and
# scikit-learn serve it. Builds the release extension (python/_ember.cc) and copies the
# package into the environment's site-packages.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
venv=${1:-.venv}
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
cmake --preset release >/dev/null
cmake --build build/release --target _ember
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -rf "$site/ember"
mkdir -p "$site/ember"
cp python/ember/*.py python/ember/*.pyi "$site/ember/"
cp build/release/python/ember/_ember*.so "$site/ember/"
cd /  # import the installed copy, not the source tree
"$venv/bin/python" -c 'import ember; print("ember", ember.__version__, "installed:", ember.__file__)'
