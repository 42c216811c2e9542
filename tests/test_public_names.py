"""Every public name of rnnfast 0.1.0's flat layout still imports: from `rnnfast`, and
from the old module paths (which are the modules in their new homes)."""

import importlib
import os
import subprocess
import sys

import pytest

import rnnfast

# {old module: its __all__ before the subpackages (commit c3e9338)}
OLD_MODULES = {
    "corpus": ["LineSentence", "PathLineSentences", "split_line", "check_corpus_file",
               "check_sentences", "check_unchanged", "file_stamp", "byte_ranges"],
    "vocab": ["Vocabulary", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP"],
    "keyedvectors": ["KeyedVectors"],
    "word2vec": ["Word2Vec"],
    "cooccur": ["cooccurrence", "cooccurrence_to_file", "parse_memory", "save_cooccurrence",
                "load_cooccurrence"],
    "glove": ["GloVe"],
    "sequences": ["SequenceData", "read", "vector_data", "token_data", "embedding_table",
                  "feature_scaling"],
    "optimizers": ["SGD", "Adam", "make_optimizer"],
    "diagnostics": ["gradient_norms", "spectral_radius", "spectral_radii",
                    "plot_gradient_norms"],
    "persist": ["save", "load", "atomic_write", "check_writable", "atomic_write_compressed",
                "open_compressed", "compression_of", "words_array", "InconsistentFileError",
                "check_field", "inconsistent", "OutputWriteError"],
    "progress": ["Progress", "format_status", "live_line", "printer"],
    "text": ["simple_tokenize", "sliding_windows"],
    "rnn": ["RNNClassifier", "RNNRegressor", "RNNSequenceTagger", "NotFittedError"],
    # sgns_train_pairs, sgns_train_windows and cbow_train_windows went (issue #29):
    # word2vec_train_windows is the one window update
    "functional": ["rnn_forward", "rnn_backward", "rnn_layers_forward", "rnn_loss_and_grads",
                   "word2vec_train_windows", "adam_step", "cooccurrence", "glove_epoch"],
    "reference": ["rnn_forward", "rnn_backward", "rnn_layers_forward", "rnn_loss_and_grads",
                  "word2vec_train_windows", "adam_step", "cooccurrence", "glove_epoch"],
    "datasets": ["toy_corpus", "toy_analogies", "COUNTRIES", "PEOPLE"],
}
OLD_TOP_LEVEL = ["Word2Vec", "KeyedVectors", "Vocabulary", "LineSentence", "PathLineSentences",
                 "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "RNNClassifier", "RNNRegressor",
                 "RNNSequenceTagger", "simple_tokenize", "sliding_windows", "GloVe",
                 "cooccurrence", *OLD_MODULES, "bench", "dask"]


def test_every_old_top_level_name_is_in_rnnfast():
    missing = [n for n in OLD_TOP_LEVEL if n not in rnnfast.__all__]
    assert missing == []
    for name in OLD_TOP_LEVEL:
        assert getattr(rnnfast, name) is not None


@pytest.mark.parametrize("module", sorted(OLD_MODULES))
def test_old_module_paths_import_their_names(module):
    mod = importlib.import_module(f"rnnfast.{module}")
    missing = [n for n in OLD_MODULES[module] if not hasattr(mod, n)]
    assert missing == []
    assert getattr(rnnfast, module) is mod


def test_an_old_path_is_the_module_in_its_new_home(monkeypatch):
    import rnnfast.cooccur
    import rnnfast.embeddings.cooccur
    assert rnnfast.cooccur is rnnfast.embeddings.cooccur
    assert rnnfast.cooccur.__spec__.name == "rnnfast.embeddings.cooccur"
    monkeypatch.setattr("rnnfast.cooccur.JOB_WORDS", 7)  # patching either name patches both
    assert rnnfast.embeddings.cooccur.JOB_WORDS == 7


def test_a_model_pickled_under_the_old_layout_unpickles():
    import pickle

    import numpy as np

    from rnnfast import KeyedVectors
    kv = KeyedVectors(3)
    kv.add_vectors(["a", "b"], np.arange(6, dtype=np.float32).reshape(2, 3))
    # protocol 0 names a class as text: rewrite it to the path pickle stored before the move
    data = pickle.dumps(kv, protocol=0)
    assert b"rnnfast.embeddings.keyedvectors" in data
    back = pickle.loads(data.replace(b"rnnfast.embeddings.keyedvectors", b"rnnfast.keyedvectors"))
    assert type(back) is KeyedVectors
    assert np.array_equal(back["b"], kv["b"])


def test_importing_rnnfast_loads_no_numpy(tmp_path):
    # the CLI sets BLAS threading before numpy loads; the package itself must not load it
    # (run outside the source tree, whose unbuilt sources would hide the installed package)
    code = "import sys, rnnfast; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path)
    assert out.stdout.strip() == "False"


def test_an_unbuilt_source_tree_names_the_fix(tmp_path):
    """Python started in a source tree that is not built (after `pip install .`, whose
    sources then hide the installed package) gets an ImportError saying what to do."""
    import shutil
    package = os.path.dirname(rnnfast.__file__)
    shutil.copytree(package, tmp_path / "rnnfast",
                    ignore=lambda d, names: [n for n in names if not n.endswith(".py")
                                             and not os.path.isdir(os.path.join(d, n))])
    out = subprocess.run([sys.executable, "-c", "import rnnfast"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "is not built" in out.stderr and "build_ext --inplace" in out.stderr
    assert "cannot import name" not in out.stderr


def _public_modules():
    import pkgutil
    yield "rnnfast"
    for found in pkgutil.walk_packages(rnnfast.__path__, "rnnfast."):
        if not any(part.startswith("_") for part in found.name.split(".")[1:]) and \
                found.name not in ("rnnfast.cli",):
            yield found.name


def test_every_public_callable_has_a_docstring():
    """Each name in a public module's __all__, and each public method and property of
    rnnfast's classes among them."""
    import inspect
    missing = set()
    for name in _public_modules():
        try:
            module = importlib.import_module(name)
        except ImportError:   # an optional extra (dask) that is not installed
            continue
        for export in getattr(module, "__all__", ()):
            obj = getattr(module, export)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            if not inspect.getdoc(obj):
                missing.add(f"{name}.{export}")
            for klass in obj.__mro__ if inspect.isclass(obj) else ():
                if not klass.__module__.startswith("rnnfast"):
                    continue
                for attr, value in vars(klass).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(value, (staticmethod, classmethod)):
                        value = value.__func__
                    if isinstance(value, property):
                        documented = bool(value.__doc__)
                    elif callable(value):
                        documented = bool(inspect.getdoc(value))
                    else:
                        continue
                    if not documented:
                        missing.add(f"{klass.__module__}.{klass.__name__}.{attr}")
    assert not missing, sorted(missing)
