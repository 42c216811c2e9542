"""The module graph: imports among rnnfast's modules form a DAG, in named layers."""

import ast
import pathlib

import rnnfast

PACKAGE = pathlib.Path(rnnfast.__file__).parent
# The layers, top to bottom: a module may import its own layer's or lower ones only.
# (Cython modules form the layer below all of these; C is below them.)
LAYERS = [
    {"cli", "bench", "__main__"},
    {"dask"},
    {"word2vec", "glove", "cooccur", "rnn", "diagnostics", "datasets"},
    {"keyedvectors", "vocab", "corpus", "text", "sequences", "optimizers", "functional",
     "reference"},
    {"_workers", "_checks", "progress", "persist", "_sklearn"},
]
COMPILED = {p.name.split(".")[0] for p in PACKAGE.iterdir() if p.suffix in (".pyx", ".so", ".pyd")}


def imports_of(path):
    """The rnnfast modules a file imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "rnnfast":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("rnnfast."))
    return found


def graph():
    """{module: the rnnfast modules it imports}; a subpackage (rnnfast.dask) counts as
    one module, importing what any of its files imports."""
    files = {p.stem: [p] for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    files.update({p.name: sorted(p.glob("*.py")) for p in PACKAGE.iterdir()
                  if (p / "__init__.py").exists()})
    return {m: set().union(*map(imports_of, ps)) & set(files) - {m}
            for m, ps in files.items()}, files


def test_every_module_has_a_layer():
    g, _ = graph()
    assert set(g) == set().union(*LAYERS)


def test_imports_point_down_the_layers_only():
    g, _ = graph()
    layer = {m: i for i, names in enumerate(LAYERS) for m in names}
    upward = [(m, d) for m, deps in g.items() for d in deps if layer[d] < layer[m]]
    # functional.cooccurrence is the twin of reference.cooccurrence: a lazy call up
    assert upward == [("functional", "cooccur")]


def test_no_import_cycle():
    g, _ = graph()
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


def test_reference_and_checks_import_no_compiled_code():
    for name in ("reference", "_checks", "corpus", "_sklearn"):
        deps = imports_of(PACKAGE / f"{name}.py")
        assert not deps & COMPILED, (name, deps & COMPILED)
        # nor through the pure modules they use
        for dep in deps:
            if (PACKAGE / f"{dep}.py").exists():
                assert not imports_of(PACKAGE / f"{dep}.py") & COMPILED, (name, dep)
