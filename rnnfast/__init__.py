"""rnnfast: word embeddings and small recurrent networks with fast CPU kernels.

Subpackages (docs/architecture.md has the layers and the path of each job):
  rnnfast.embeddings  word2vec, GloVe, KeyedVectors, vocabularies, corpus reading
  rnnfast.rnn         recurrent networks: estimators, training loop, diagnostics
  rnnfast.dask        the same jobs over the shards of a corpus on a Dask cluster
  rnnfast.functional  compiled kernels of every family (GIL released)
  rnnfast.reference   plain NumPy twins of every kernel, same signatures
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

from rnnfast._core.lazy import lazy_exports


def _check_built():
    """ImportError naming the fix when this copy of rnnfast has no compiled modules:
    most often Python started in the source tree after `pip install .`, whose sources
    then hide the installed, compiled package."""
    core = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_core")
    built = any(name.startswith("_finite.") and name.endswith(suffix)
                for name in os.listdir(core)
                for suffix in importlib.machinery.EXTENSION_SUFFIXES)
    if built:
        return
    here = os.path.dirname(os.path.dirname(core))
    try:
        from importlib.metadata import PackageNotFoundError, distribution
        package = str(distribution("rnnfast").locate_file("rnnfast"))
    except (ImportError, PackageNotFoundError):
        package = None
    if package is not None and os.path.realpath(os.path.dirname(package)) != \
            os.path.realpath(here):
        where = f" ({os.path.dirname(package)})" if os.path.isdir(package) else ""
        raise ImportError(
            f"rnnfast was imported from its source tree ({here}), which is not built, so it "
            f"hides the installed rnnfast{where}: run Python from another directory, or "
            f"build the source tree in place (pip install -e . or python setup.py "
            f"build_ext --inplace)")
    raise ImportError(f"rnnfast at {here} is not built (its compiled modules are missing): "
                      f"pip install -e . or python setup.py build_ext --inplace")


_check_built()

__version__ = "0.1.0"

# Names load on first use, so that `rnnfast.cli` can set BLAS threading before
# numpy is imported. {name: the module holding it, None for a submodule}
_EXPORTS = {
    "Word2Vec": "embeddings.word2vec",
    "KeyedVectors": "embeddings.keyedvectors",
    "FastText": "embeddings.fasttext",
    "FastTextKeyedVectors": "embeddings.fasttext",
    "load_facebook_model": "embeddings.fasttext_bin",
    "load_facebook_vectors": "embeddings.fasttext_bin",
    "save_facebook_model": "embeddings.fasttext_bin",
    "load_gensim": "embeddings.word2vec",
    "Vocabulary": "embeddings.vocab",
    "RULE_DEFAULT": "embeddings.vocab",
    "RULE_DISCARD": "embeddings.vocab",
    "RULE_KEEP": "embeddings.vocab",
    "LineSentence": "embeddings.corpus",
    "PathLineSentences": "embeddings.corpus",
    "GloVe": "embeddings.glove",
    "cooccurrence": "embeddings.cooccur",
    "simple_tokenize": "embeddings.text",
    "tokenize": "embeddings.text",
    "TextTokenizer": "preprocessing",
    "RNNClassifier": "rnn.estimators",
    "RNNRegressor": "rnn.estimators",
    "RNNSequenceTagger": "rnn.estimators",
    "sliding_windows": "rnn.series",
    "OutputWriteError": "_core.persist",
    "InconsistentFileError": "_core.persist",
    "show_config": "config",
    **dict.fromkeys(("embeddings", "rnn", "dask", "functional", "reference", "datasets",
                     "bench", "config", "cli")),
}

# Modules that stood in rnnfast/ itself before the subpackages; their old names
# still import the module in its new home (the same object, so that patching
# either name patches both). `text` was split: its old name gathers both halves.
_MOVED = {
    "corpus": "embeddings.corpus", "vocab": "embeddings.vocab",
    "keyedvectors": "embeddings.keyedvectors", "word2vec": "embeddings.word2vec",
    "cooccur": "embeddings.cooccur", "glove": "embeddings.glove",
    "sequences": "rnn.sequences", "optimizers": "rnn.optimizers",
    "diagnostics": "rnn.diagnostics", "persist": "_core.persist",
    "progress": "_core.progress", "text": ("embeddings.text", "rnn.series"),
}
_EXPORTS.update(dict.fromkeys(_MOVED))
__all__ = [name for name in _EXPORTS if name != "cli"]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports `rnnfast.<old name>` as the module in its new home."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.partition(".")
        if package == __name__ and name in _MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        home = _MOVED[spec.name.partition(".")[2]]
        if not isinstance(home, str):
            return None  # a split module: a new one, filled by exec_module
        module = importlib.import_module(f"{__name__}.{home}")
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        alias = module.__spec__
        if alias.loader_state is not None:
            # the import system gave the module the alias's spec; it keeps its own
            module.__spec__ = alias.loader_state
            return
        module.__all__ = []
        for part in _MOVED[alias.name.partition(".")[2]]:
            source = importlib.import_module(f"{__name__}.{part}")
            module.__all__ += source.__all__
            module.__dict__.update({k: getattr(source, k) for k in source.__all__})


if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
    sys.meta_path.append(_MovedModules())
