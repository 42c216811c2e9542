# Sourced by the check scripts: sets $work (a temporary directory removed on exit)
# and $src, a copy of the tracked files to build from. A build in the tree would
# leave C that Cython generated against one numpy for the next build against
# another to reuse.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src="$work/src"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z | xargs -0 cp --parents -t "$src"
else
    cp -r . "$src"
fi

# install_copy [VAR=value ...]: a fresh virtual environment in $work/venv with the
# copy installed (test extras) under those build settings, and the tests beside it
# in $work/tests (with the examples, README.md and docs/, whose code tests run).
install_copy() {
    "${python:-python3}" -m venv "$work/venv"
    "$work/venv/bin/python" -m pip install --quiet --upgrade pip
    env "$@" "$work/venv/bin/python" -m pip install --quiet "$src[test]"
    cp -r "$src/tests" "$work/tests"
    cp -r "$src/examples" "$work/examples"
    cp -r "$src/docs" "$work/docs"   # a test runs the code blocks of these and README.md
    cp "$src/README.md" "$work/"
}
