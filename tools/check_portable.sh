#!/usr/bin/env bash
# Build rnnfast with the plain C paths (RNNFAST_PORTABLE=1: what MSVC and other
# compilers without GCC's vector extensions get) into a fresh virtual environment
# and run the whole test suite on it, so those paths are run and compared with
# the reference, not only compiled (tools/check_c.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
# shellcheck source=tools/tracked_copy.sh
source tools/tracked_copy.sh
install_copy RNNFAST_PORTABLE=1
cd "$work"
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider tests
