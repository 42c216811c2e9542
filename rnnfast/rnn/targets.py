"""Targets as the kernel takes them: class labels as indices, real values standardised."""

import numpy as np

__all__ = ["fit_classes", "label_indices", "moments", "standardised", "value_array"]


def check_labels(y, estimator):
    """Refuse labels that are not class labels: non-integral floats, mixed types."""
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN or infinity")
        if not np.all(y == np.round(y)):
            raise ValueError(f"Unknown label type: continuous. {estimator} needs class labels; "
                             f"use RNNRegressor for real-valued targets")
    if y.dtype.kind == "O":
        kinds = {type(v) for v in y.ravel()}
        if len(kinds) > 1:
            raise ValueError(f"Unknown label type: y mixes {sorted(k.__name__ for k in kinds)}")


def fit_classes(y, classes, estimator):
    """The sorted classes of labels y (or the `classes` given), at least two."""
    found = np.unique(y if classes is None else np.asarray(classes))
    if len(found) < 2:
        raise ValueError(f"{estimator} needs at least two classes in y, got {len(found)} "
                         f"class{'' if len(found) == 1 else 'es'}: {found.tolist()}")
    return found


def label_indices(y, classes):
    """Each label's index in the sorted `classes`, y's shape (intp); unseen labels raise."""
    index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
    unseen = classes[index] != y
    if unseen.any():
        raise ValueError(f"y holds labels not in classes_ {classes.tolist()[:10]}: "
                         f"{np.unique(y[unseen]).tolist()[:10]}")
    return index


def value_array(y):
    """Regression targets as finite float64, (n,) or (n, O)."""
    if y.dtype == object:
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError("y must hold numbers") from None
    if y.dtype.kind not in "iufb":
        raise TypeError(f"y must be numeric, got dtype {y.dtype}")
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be (n,) or (n, O), got shape {y.shape}")
    y = y.astype(np.float64)
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity")
    return y
def moments(y2):
    """(mean, scale) of each column of finite float64 (n, O) targets, both finite: the
    standard deviation, or 1 for a constant column. Targets whose sum or spread
    overflows (values near 1e308) are measured divided by their largest magnitude."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = y2.mean(axis=0), y2.std(axis=0)
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            size = np.abs(y2).max(axis=0)
            size[size == 0] = 1.0
            mean, std = (y2 / size).mean(axis=0) * size, (y2 / size).std(axis=0) * size
    return mean, np.where(std > 0, std, 1.0)


def standardised(y2, mean, scale):
    """(y2 - mean) / scale for float64 (n, O) targets, finite or a ValueError."""
    with np.errstate(over="ignore", invalid="ignore"):
        standard = (y2 - mean) / scale
        if not np.isfinite(standard).all():  # y - mean overflowed: divide first
            standard = y2 / scale - mean / scale
    if not np.isfinite(standard).all():
        raise ValueError("y lies too far from the fitted y_mean_ for y_scale_ to bring it "
                         "into float64's range; rescale y")
    return standard
