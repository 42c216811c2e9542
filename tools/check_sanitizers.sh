#!/usr/bin/env bash
# Build rnnfast with AddressSanitizer and UndefinedBehaviorSanitizer into a fresh
# virtual environment and run the whole test suite under them (Linux, gcc).
# Python itself is not instrumented, so the ASan runtime is preloaded and leak
# checking is off (CPython keeps memory alive at exit on purpose).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
# shellcheck source=tools/tracked_copy.sh
source tools/tracked_copy.sh
install_copy RNNFAST_SANITIZE=1
cd "$work"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider tests
