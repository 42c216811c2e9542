"""Latency of one prediction: one sequence (T=50, D=16, H=64 by default) through
`rnnfast.functional.rnn_predict`, through a fitted RNNClassifier's predict_proba, and
the kernel alone (`_rnn.network_predict`, no validation); interleaved rounds, medians.
"products" is the floor measured in the same run: the T recurrent products (1, H) @
(H, G H) alone, on the kernels' packed path. Each output of a product at batch 1 is one
chain of H dependent multiply-adds (a row's terms are added in the order of a batch's,
so that a prediction does not depend on its batch), so these run at the FMA latency, not
at the core's throughput. Pin it:

    taskset -c 0 python benchmarks/bench_predict.py [--steps 50] [--features 16]
        [--hidden 64] [--cell rnn] [--rounds 7]
"""

import argparse

import numpy as np

from rnnfast import RNNClassifier, functional
from rnnfast.bench import make_problem, time_interleaved
from rnnfast.config import config
from rnnfast.rnn import _rnn
from rnnfast.rnn.params import param_names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--cell", choices=["rnn", "gru", "lstm"], default="rnn")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    T, D, H = args.steps, args.features, args.hidden
    params, x, _ = make_problem(T, 1, D, H, cell=args.cell)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, T, D)).astype(np.float32)
    model = RNNClassifier(hidden_size=H, epochs=1, cell=args.cell).fit(X, rng.integers(0, 2, 64))
    one = X[:1]
    weights = [params[k] for k in param_names(1, False, args.cell)]
    lengths = np.full(1, T, np.intp)
    h = np.full((1, H), 0.5, np.float32)
    t = time_interleaved({
        "products": lambda: _rnn.recurrent_products(h, params["W_hh"], T),
        "kernel": lambda: _rnn.network_predict(weights, x, lengths, None, 1, False, False,
                                               "last", False, args.cell),
        "functional": lambda: functional.rnn_predict(params, x, cell=args.cell),
        "estimator": lambda: model.predict_proba(one),
    }, rounds=args.rounds)
    print(f"CPU: {config()['cpu']}; one sequence (T={T}, D={D}, H={H}, cell {args.cell}), "
          f"float32, median of {args.rounds} interleaved rounds")
    for name, seconds in t.items():
        print(f"  {name:<11} {seconds * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
