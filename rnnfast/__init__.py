"""rnnfast: word embeddings and small recurrent networks with fast CPU kernels.

Submodules:
  rnnfast.functional  compiled kernels (GIL released)
  rnnfast.reference   plain NumPy twins of every kernel, same signatures
"""

__version__ = "0.1.0"

# Submodules load on first use, so that `rnnfast.cli` can set BLAS threading
# before numpy is imported.
_SUBMODULES = ("functional", "reference", "bench")


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib
        return importlib.import_module(f"rnnfast.{name}")
    raise AttributeError(f"module 'rnnfast' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_SUBMODULES])
