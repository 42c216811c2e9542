"""RNN models on real data: SMS spam classification and yearly sunspot forecasting.

    python benchmarks/rnn_quality.py [--corpus ../shared/data/corpus17m.txt.xz]

SMS spam: word vectors trained by rnnfast's Word2Vec on --corpus (cached in
--vectors), an RNNClassifier on tokenize'd messages, seeded 80/20 split;
prints test accuracy next to the majority-class baseline.
Sunspots: windows of 10 years predict the next; the last 20% of windows are held
out; prints the RMSE of RNNRegressor (hidden 4: 240 training windows call for a
small model; inputs standardised by the training years; three seeds), of
persistence (next = last) and of a linear autoregression on the same window
fitted by least squares.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
from rnn_data import DATA, load_sms, load_sunspots, split, word_vectors  # noqa: E402

from rnnfast import RNNClassifier, RNNRegressor, sliding_windows  # noqa: E402


def sms(args):
    start = time.perf_counter()
    kv = word_vectors(args.corpus, args.vectors, workers=args.workers)
    print(f"word vectors: {len(kv):,} words x {kv.vector_size} "
          f"({time.perf_counter() - start:.0f}s, cache {args.vectors})")
    X, y = load_sms()
    train, test = split(len(X), seed=args.seed)
    clf = RNNClassifier(hidden_size=64, embedding=kv, epochs=args.epochs, batch_size=32,
                        learning_rate=2e-3, validation_fraction=0.1, early_stopping=True,
                        n_iter_no_change=3, seed=args.seed)
    start = time.perf_counter()
    clf.fit([X[i] for i in train], y[train])
    accuracy = clf.score([X[i] for i in test], y[test])
    majority = max(np.mean(y[test]), 1 - np.mean(y[test]))
    print(f"SMS spam: test accuracy {accuracy:.4f} (majority class {majority:.4f}); "
          f"{clf.n_epochs_} epochs in {time.perf_counter() - start:.1f}s")


def sunspots(args):
    series = load_sunspots()
    X, y = sliding_windows(series, 10)
    n_test = int(round(0.2 * len(y)))
    X_train, y_train, X_test, y_test = X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]
    history = series[: len(series) - n_test]        # inputs standardised by training data
    center, scale = history.mean(), history.std()
    preds = []
    for seed in range(args.seed, args.seed + 3):
        reg = RNNRegressor(hidden_size=4, epochs=400, batch_size=16, learning_rate=3e-3,
                           random_state=seed, dtype="float64")
        reg.fit((X_train - center) / scale, y_train)
        preds.append(reg.predict((X_test - center) / scale))
    rmse = lambda pred: float(np.sqrt(np.mean((pred - y_test) ** 2)))  # noqa: E731
    design = lambda Xw: np.column_stack([Xw[:, :, 0], np.ones(len(Xw))])  # noqa: E731
    coef, *_ = np.linalg.lstsq(design(X_train), y_train, rcond=None)
    seeds = [rmse(p) for p in preds]
    print(f"sunspots: RNNRegressor RMSE per seed {', '.join(f'{r:.2f}' for r in seeds)}")
    results = {"RNNRegressor (mean of 3 seeds)": float(np.mean(seeds)),
               "persistence": rmse(X_test[:, -1, 0]),
               "linear AR(10)": rmse(design(X_test) @ coef)}
    print("sunspots (window 10, last 20% held out): " +
          ", ".join(f"{k} RMSE {v:.2f}" for k, v in results.items()))
    rnn = results["RNNRegressor (mean of 3 seeds)"]
    print(f"  RNN / AR = {rnn / results['linear AR(10)']:.3f}, "
          f"RNN / persistence = {rnn / results['persistence']:.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--vectors", default="/tmp/rnnfast-corpus17m-wv.npz")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["sms", "sunspots"])
    args = parser.parse_args(argv)
    if args.only != "sunspots":
        sms(args)
    if args.only != "sms":
        sunspots(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
