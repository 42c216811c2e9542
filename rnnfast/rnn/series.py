"""Turning a series into windows a recurrent model learns to forecast from."""

import numpy as np

__all__ = ["sliding_windows"]


def sliding_windows(series, window, horizon=1, difference=False):
    """(X, y) for forecasting `horizon` steps ahead from the last `window` values.

    series: (n,) or (n, D) numbers. X: (m, window, D) float64 with D = 1 for a
    1-D series; y: (m,) or (m, D), the value `horizon` steps after each window;
    m = n - window - horizon + 1.

    difference=True is the path for a series with a trend: X holds each window's
    `window` first differences (series[t] - series[t - 1], so a window spans
    window + 1 values) and y the change from the window's last value to the value
    `horizon` steps later; m = n - window - horizon. The forecast of the value is
    then `series[window:window + m] + model.predict(X)` (each window's last value
    plus the predicted change).
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim not in (1, 2):
        raise ValueError(f"series must be 1-D or 2-D, got shape {series.shape}")
    if not np.isfinite(series).all():
        raise ValueError("series contains NaN or infinity")
    window, horizon = int(window), int(horizon)
    if window < 1 or horizon < 1:
        raise ValueError(f"window and horizon must be >= 1, got {window} and {horizon}")
    if difference:
        if len(series) < 2:
            raise ValueError("series must have at least 2 values to difference")
        X, _ = sliding_windows(np.diff(series, axis=0), window, horizon)
        last = series[window:window + len(X)]
        return X, series[window + horizon:window + horizon + len(X)] - last
    m = len(series) - window - horizon + 1
    if m < 1:
        raise ValueError(f"series of length {len(series)} is too short for window={window} "
                         f"and horizon={horizon}")
    values = series[:, None] if series.ndim == 1 else series
    X = np.stack([values[i:i + window] for i in range(m)])
    y = series[window + horizon - 1: window + horizon - 1 + m]
    return X, y
