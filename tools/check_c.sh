#!/usr/bin/env bash
# Compile csrc/ as other platforms would, warnings as errors: gcc with its vector
# extensions and with the plain C paths (-DRF_PORTABLE, what MSVC takes), clang, and
# an aarch64 cross compiler, each when installed (Debian: clang, gcc-aarch64-linux-gnu).
# Exits non-zero on the first warning; says which compilers it could not find.
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-std=c11 -Wall -Wextra -Werror -O2 -fPIC -c)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
checked=0
for cc in gcc clang aarch64-linux-gnu-gcc; do
    if ! command -v "$cc" >/dev/null; then
        echo "check_c: $cc not installed, skipped"
        continue
    fi
    for variant in "" "-DRF_PORTABLE"; do
        for src in csrc/*.c; do
            "$cc" "${flags[@]}" $variant "$src" -o "$out/$(basename "$src").o"
        done
        echo "check_c: $cc ${variant:-(native paths)}: clean"
        checked=$((checked + 1))
    done
done
[ "$checked" -gt 0 ] || { echo "check_c: no compiler found" >&2; exit 1; }
