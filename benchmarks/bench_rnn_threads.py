"""RNNClassifier with n_jobs=1 and n_jobs=2, alternating runs: seconds per training epoch,
and milliseconds per predict_proba of 1,000 and 10,000 sequences.

    python benchmarks/bench_rnn_threads.py [--batch 64 128] [--hidden 128] [--rounds 3]

Synthetic data (2,000 sequences of 30 steps, 32 features; for predictions, sequences
of 50 steps and 16 features, hidden size 64); one BLAS thread per kernel call
(OPENBLAS_NUM_THREADS=1), so the speed-up is the threads' own.
"""

import argparse
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnfast import RNNClassifier  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 30, 32)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    for batch in args.batch:
        times = {1: [], 2: []}
        for _ in range(args.rounds):
            for jobs in (1, 2):
                clf = RNNClassifier(hidden_size=args.hidden, batch_size=batch, epochs=2,
                                    n_jobs=jobs, random_state=0)
                start = time.perf_counter()
                clf.fit(X, y)
                times[jobs].append((time.perf_counter() - start) / 2)
        t1, t2 = np.median(times[1]), np.median(times[2])
        print(f"batch {batch}, hidden {args.hidden}: n_jobs=1 {t1:.3f} s/epoch, "
              f"n_jobs=2 {t2:.3f} s/epoch, speed-up {t1 / t2:.2f}x", flush=True)
    X = rng.standard_normal((10_000, 50, 16)).astype(np.float32)
    clf = RNNClassifier(hidden_size=64, epochs=1, random_state=0).fit(X[:200], y[:200])
    for n in (1_000, 10_000):
        times = {1: [], 2: []}
        for _ in range(5 * args.rounds):
            for jobs in (1, 2):
                clf.set_params(n_jobs=jobs)
                start = time.perf_counter()
                clf.predict_proba(X[:n])
                times[jobs].append(time.perf_counter() - start)
        t1, t2 = np.median(times[1]) * 1e3, np.median(times[2]) * 1e3
        print(f"predict_proba of {n} sequences: n_jobs=1 {t1:.2f} ms, n_jobs=2 {t2:.2f} ms, "
              f"speed-up {t1 / t2:.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
