"""Forecasting a series with a trend: raw levels, standardised levels, differences.

    python benchmarks/forecast_trend.py [--csv series.csv] [--window 52] [--seeds 3]

The series is the weekly Mauna Loa CO2 record 1958-2001 (ppm, values 313-374, a
steady upward trend with a yearly cycle), from statsmodels' datasets
(`pip install statsmodels`; missing weeks interpolated linearly), or the last
column of --csv. Windows of --window weeks predict the next week; the last 20% of
windows are held out, so the test values lie above every training value. Prints
the test RMSE of persistence (next = last), of RNNRegressor on the raw levels
(standardize=False), on the levels standardised by fit (the default), and on the
differenced series (`sliding_windows(..., difference=True)`: predict the change,
add it to the last value), the path docs/recurrent.md documents; mean over --seeds.
"""

import argparse
import csv
import sys
import time

import numpy as np

from rnnfast import RNNRegressor, sliding_windows


def load_series(path):
    if path:
        with open(path) as f:
            rows = list(csv.reader(f))[1:]
        return np.array([float(r[-1]) for r in rows])
    from statsmodels.datasets import co2
    return co2.load_pandas().data["co2"].interpolate().to_numpy()


def rmse(pred, y):
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", help="a CSV whose last column is the series (with a header)")
    parser.add_argument("--window", type=int, default=52)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=16)
    args = parser.parse_args(argv)
    series = load_series(args.csv)
    X, y = sliding_windows(series, args.window)
    Xd, change = sliding_windows(series, args.window, difference=True)
    # the same targets for both: the difference windows start one value later
    X, y = X[1:], y[1:]
    n_train = int(round(0.8 * len(y)))
    last = series[args.window:args.window + len(change)]
    print(f"{len(series)} values ({series.min():.1f}..{series.max():.1f}), window "
          f"{args.window}: {n_train} training / {len(y) - n_train} test windows")
    print(f"  persistence (next = last)         RMSE {rmse(last[n_train:], y[n_train:]):.3f}")
    settings = dict(hidden_size=args.hidden, epochs=args.epochs, learning_rate=1e-2)
    runs = {"raw levels (standardize=False)": [], "levels, standardised (default)": [],
            "differences (difference=True)": []}
    start = time.perf_counter()
    for seed in range(args.seeds):
        for name, standardize in (("raw levels (standardize=False)", False),
                                  ("levels, standardised (default)", True)):
            reg = RNNRegressor(**settings, standardize=standardize, random_state=seed)
            reg.fit(X[:n_train], y[:n_train])
            runs[name].append(rmse(reg.predict(X[n_train:]), y[n_train:]))
        reg = RNNRegressor(**settings, random_state=seed).fit(Xd[:n_train], change[:n_train])
        runs["differences (difference=True)"].append(
            rmse(last[n_train:] + reg.predict(Xd[n_train:]), y[n_train:]))
    for name, values in runs.items():
        print(f"  RNNRegressor, {name:<31} RMSE {np.mean(values):.3f} "
              f"(seeds: {', '.join(f'{v:.3f}' for v in values)})")
    print(f"  ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
