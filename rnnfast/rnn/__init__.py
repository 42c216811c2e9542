"""Recurrent networks (Elman, GRU and LSTM cells): the scikit-learn estimators and their
training loop, sequence inputs, optimisers, diagnostics, series helpers and PyTorch
interop, with the compiled kernels (`_rnn`, `_optim`, `_arrays`) and their NumPy twins
(`reference`). Imports `rnnfast._core` and itself only."""

from rnnfast._core.lazy import lazy_exports

__all__ = ["RNNClassifier", "RNNRegressor", "RNNSequenceTagger", "NotFittedError"]
__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, "estimators"))
