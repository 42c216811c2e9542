"""The layers are the folders of rnnfast/: each may import only the folders below it,
and the modules import one another without a cycle.

    rnnfast/*.py        the front (cli, bench, functional, reference, datasets): any layer
    rnnfast/dask/       may import embeddings/ and _core/
    rnnfast/embeddings/ may import _core/
    rnnfast/rnn/        may import _core/
    rnnfast/_core/      imports nothing else of rnnfast
"""

import ast
import pathlib
import re

import rnnfast

PACKAGE = pathlib.Path(rnnfast.__file__).parent
FRONT = "front"
# {folder: the folders its modules may import besides its own}
MAY_IMPORT = {
    "_core": set(),
    "embeddings": {"_core"},
    "rnn": {"_core"},
    "dask": {"embeddings", "_core"},
}
FRONT_MAY_IMPORT = {FRONT, *MAY_IMPORT}
SOURCES = (".py", ".pyx", ".pxd")
CIMPORT = re.compile(r"^\s*(?:from\s+(rnnfast[\w.]*)\s+c?import\s+([\w, ()]+)|c?import\s+(rnnfast[\w.]*))",
                     re.M)


def module_name(path):
    """rnnfast.x.y for rnnfast/x/y.py (a package's __init__ is the package)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules():
    """{module name: its source files} of every module and package in rnnfast/."""
    found = {}
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in SOURCES and "__pycache__" not in path.parts:
            found.setdefault(module_name(path), []).append(path)
    return found


def resolve(dotted, names, known):
    """The rnnfast modules that `from dotted import names` (or `import dotted`) loads."""
    hits = {f"{dotted}.{n}" for n in names if f"{dotted}.{n}" in known}
    if dotted in known and len(hits) < len(names):
        hits.add(dotted)
    while not hits and dotted:
        if dotted in known:
            hits.add(dotted)
        dotted = dotted.rpartition(".")[0]
    return hits


def imports_of(path, known):
    """The rnnfast modules a file imports, at any depth of its code."""
    text = path.read_text()
    found = set()
    if path.suffix != ".py":
        for frm, names, plain in CIMPORT.findall(text):
            names = [n.split(" as ")[0].strip() for n in names.strip("() ").split(",")]
            found |= resolve(frm, names, known) if frm else resolve(plain, [], known)
        return found
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "rnnfast":
            found |= resolve(node.module, [a.name for a in node.names], known)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "rnnfast":
                    found |= resolve(a.name, [], known)
    return found


def graph():
    """{module: the rnnfast modules it imports}."""
    files = modules()
    return {m: set().union(*(imports_of(p, files) for p in ps)) - {m}
            for m, ps in files.items()}


def folder(module):
    """The layer of a module: its folder below rnnfast/, or the front."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in MAY_IMPORT) \
        else FRONT


def test_every_folder_is_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders == set(MAY_IMPORT)


def test_imports_point_down_the_layers_only():
    found = []
    for m, deps in graph().items():
        here = folder(m)
        allowed = FRONT_MAY_IMPORT if here == FRONT else MAY_IMPORT[here] | {here}
        found += [(m, d) for d in deps if folder(d) not in allowed]
    # rnnfast/__init__.py is the package's front door: every layer's import of any
    # rnnfast module runs it, so it may only use _core
    assert found == []
    assert {folder(d) for d in graph()["rnnfast"]} <= {"_core"}


def test_the_rule_is_checked_on_real_imports():
    g = graph()
    assert "rnnfast._core.checks" in g["rnnfast.embeddings.word2vec"]
    assert "rnnfast.embeddings._vocab" in g["rnnfast.embeddings._sgns"]  # a cimport
    assert "rnnfast.rnn._blas" in g["rnnfast.rnn._rnn"]
    assert folder("rnnfast.rnn") == "rnn" and folder("rnnfast.cli") == FRONT


def test_no_import_cycle():
    g = graph()
    g["rnnfast"] = set()  # every module's import runs the package's __init__ first
    state = {}

    def visit(m, path):
        state[m] = "open"
        for d in sorted(g[m]):
            assert state.get(d) != "open", " -> ".join(path + [d])
            if d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(g):
        if m not in state:
            visit(m, [m])


def test_references_and_checks_import_no_compiled_code():
    g = graph()
    # the one exception: the value scans (finite, 0 or 1), checked against numpy itself
    # (tests/core/test_finite.py), which keep the checks' cost per array small
    compiled = {m for m, ps in modules().items() if any(p.suffix == ".pyx" for p in ps)}
    compiled.discard("rnnfast._core._finite")
    pure = [m for m in g if m.rsplit(".", 1)[-1] in ("reference", "checks", "corpus",
                                                     "sklearn_compat", "params")]
    assert len(pure) >= 8
    for name in pure:
        seen, todo = set(), [name]
        while todo:  # through the modules they import, too
            m = todo.pop()
            seen.add(m)
            todo += [d for d in g[m] if d not in seen and d not in ("rnnfast",)]
        assert not seen & compiled, (name, seen & compiled)
