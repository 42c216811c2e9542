#!/usr/bin/env bash
# Build rnnfast with AddressSanitizer and UndefinedBehaviorSanitizer into a fresh
# virtual environment and run the whole test suite under them (Linux, gcc).
# Python itself is not instrumented, so the ASan runtime is preloaded and leak
# checking is off (CPython keeps memory alive at exit on purpose).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Build from a copy of the tracked files: a build in the tree would leave C that
# Cython generated against one numpy for the next build against another to reuse.
src="$work/src"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z | xargs -0 cp --parents -t "$src"
else
    cp -r . "$src"
fi
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
RNNFAST_SANITIZE=1 "$work/venv/bin/python" -m pip install --quiet "$src[test]"
cp -r tests "$work/tests"
cd "$work"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider tests
