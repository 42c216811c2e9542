"""rnnfast: word embeddings and small recurrent networks with fast CPU kernels.

Submodules:
  rnnfast.functional  compiled kernels (GIL released)
  rnnfast.reference   plain NumPy twins of every kernel, same signatures
"""

__version__ = "0.1.0"

# Submodules load on first use, so that `rnnfast.cli` can set BLAS threading
# before numpy is imported.
_SUBMODULES = ("functional", "reference", "bench", "corpus", "keyedvectors", "vocab",
               "word2vec", "rnn", "diagnostics", "datasets", "text", "glove", "cooccur", "dask")
_EXPORTS = {
    "Word2Vec": "word2vec",
    "KeyedVectors": "keyedvectors",
    "Vocabulary": "vocab",
    "LineSentence": "corpus",
    "PathLineSentences": "corpus",
    "RULE_DEFAULT": "vocab",
    "RULE_DISCARD": "vocab",
    "RULE_KEEP": "vocab",
    "RNNClassifier": "rnn",
    "RNNRegressor": "rnn",
    "RNNSequenceTagger": "rnn",
    "simple_tokenize": "text",
    "sliding_windows": "text",
    "GloVe": "glove",
    "cooccurrence": "cooccur",
}
__all__ = [*_EXPORTS, *_SUBMODULES]


def __getattr__(name):
    import importlib
    if name in _SUBMODULES:
        return importlib.import_module(f"rnnfast.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"rnnfast.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'rnnfast' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
