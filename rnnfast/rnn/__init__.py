"""Recurrent networks: the scikit-learn estimators and their training loop, sequence
inputs, optimisers, diagnostics and series helpers, with the compiled kernels
(`_rnn`, `_optim`, `_arrays`) and their NumPy twins (`reference`). Imports
`rnnfast._core` and itself only."""

from rnnfast._core.lazy import lazy_exports

__all__ = ["RNNClassifier", "RNNRegressor", "RNNSequenceTagger", "NotFittedError"]
__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, "estimators"))
