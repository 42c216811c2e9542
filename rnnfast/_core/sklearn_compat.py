"""scikit-learn's estimator base classes when it is installed, small stand-ins otherwise.

scikit-learn is optional (`pip install "rnnfast[sklearn]"`): with it the RNN
estimators are scikit-learn estimators (tags, clone, pipelines, searches,
`sklearn.exceptions.NotFittedError`); without it they keep the same methods,
parameters and errors through the stand-ins below. Plain Python and NumPy.
"""

import inspect

import numpy as np

__all__ = ["HAVE_SKLEARN", "BaseEstimator", "ClassifierMixin", "RegressorMixin",
           "NotFittedError", "DataConversionWarning", "TransformerTags", "r2_score"]

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import DataConversionWarning, NotFittedError
    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False

try:  # scikit-learn 1.6 and later describe estimators by tags
    from sklearn.utils import TransformerTags
except ImportError:
    def TransformerTags(preserves_dtype=()):
        """Unused without scikit-learn's tags; kept so that one code path sets them."""
        return None

if not HAVE_SKLEARN:

    class NotFittedError(ValueError, AttributeError):
        """The estimator is used before `fit`."""

    class DataConversionWarning(UserWarning):
        """An input was converted, e.g. a column vector y to a 1-D array."""

    class BaseEstimator:
        """get_params, set_params and repr from the constructor's keyword arguments."""

        @classmethod
        def _get_param_names(cls):
            return sorted(p for p in inspect.signature(cls.__init__).parameters if p != "self")

        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for name, value in params.items():
                if name not in valid:
                    raise ValueError(f"Invalid parameter {name!r} for estimator "
                                     f"{type(self).__name__}. Valid parameters are: {valid!r}.")
                setattr(self, name, value)
            return self

        def __repr__(self):
            defaults = {k: p.default for k, p in
                        inspect.signature(type(self).__init__).parameters.items()}
            changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                       if not _is_default(v, defaults[k])]
            return f"{type(self).__name__}({', '.join(changed)})"

    class ClassifierMixin:
        _estimator_type = "classifier"

        def score(self, X, y, sample_weight=None):
            """Mean accuracy (weighted by sample_weight)."""
            hits = self.predict(X) == np.asarray(y).reshape(-1)
            return float(np.average(hits, weights=sample_weight))

    class RegressorMixin:
        _estimator_type = "regressor"

        def score(self, X, y, sample_weight=None):
            """R^2 (weighted by sample_weight), averaged over the outputs."""
            return r2_score(y, self.predict(X), sample_weight)

    def _is_default(value, default):
        try:
            return bool(value is default or (type(value) is type(default) and value == default))
        except (TypeError, ValueError):  # arrays and other values without plain equality
            return False


def r2_score(y, pred, sample_weight=None):
    """R^2 of pred against y ((n,) or (n, O)), weighted, averaged over outputs; an
    output with no variance scores 1.0 if predicted exactly and 0.0 otherwise."""
    y = np.asarray(y, dtype=np.float64)
    y2 = y.reshape(len(y), -1)
    p2 = np.asarray(pred, dtype=np.float64).reshape(y2.shape)
    w = np.ones(len(y2)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    mean = np.average(y2, axis=0, weights=w)
    ss_res = w @ (y2 - p2) ** 2
    ss_tot = w @ (y2 - mean) ** 2
    r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1),
                  np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))
