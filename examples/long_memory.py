"""Memory across more than 100 steps: the adding problem, learnt by each cell or not.

    python examples/long_memory.py [--steps 120] [--epochs 12] [--out-dir .]

Each sequence has T steps of two inputs: a number drawn from [0, 1) and a marker, 1 at
two steps and 0 elsewhere. The first marked step lies in the first tenth of the
sequence, the second in its last half; the target is the sum of the two marked
numbers (Hochreiter and Schmidhuber's adding problem). Predicting the mean, 1.0, is
right within 0.04 (a hit) about 8% of the time: that is chance. A model has to carry
a number across at least T/2 steps; an Elman cell's gradient vanishes over that span
(its products of Jacobians shrink), while a GRU's update gate and an LSTM's cell state
keep it. The script trains an RNNRegressor with each cell, prints the test hit rate
after every epoch, and writes two PNGs (with matplotlib installed): the hit rate per
epoch (long_memory_accuracy.png) and, after training, how strongly the loss depends on
each step's input, the mean ||dLoss/dx_t|| over a batch (long_memory_gradients.png):
a trained GRU or LSTM still feels the first tenth, where the first mark lies; an Elman
cell's gradient has vanished there (to float32's underflow).
"""

import argparse
import os
import time

import numpy as np

from rnnfast import RNNRegressor, functional
from rnnfast.rnn.diagnostics import plot_gradient_norms

CELLS = ("rnn", "gru", "lstm")


def adding_problem(rng, n, T):
    """(X (n, T, 2) float32, y (n,)): numbers and markers, and the marked numbers' sum."""
    values = rng.random((n, T))
    first = rng.integers(0, max(T // 10, 1), n)
    second = rng.integers(T // 2, T, n)
    marks = np.zeros((n, T))
    marks[np.arange(n), first] = 1
    marks[np.arange(n), second] = 1
    X = np.stack([values, marks], axis=2).astype(np.float32)
    return X, (values * marks).sum(axis=1)


def hit_rate(model, X, y):
    return float(np.mean(np.abs(model.predict(X) - y) < 0.04))


def input_gradient_per_step(model, X, y):
    """Mean over the sequences of ||dLoss/dx_t|| (T,): the fitted model's squared error
    on its own standardised inputs and targets, through the compiled kernel."""
    x = ((X - model.x_mean_) / model.x_scale_).astype(np.float32)
    target = ((y[:, None] - model.y_mean_) / model.y_scale_).astype(np.float32)
    _, grads = functional.rnn_loss_and_grads(model.params_, x, target, task="regression",
                                             cell=model.cell, input_grad=True)
    return np.linalg.norm(grads["x"], axis=2).mean(axis=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120, help="sequence length T")
    parser.add_argument("--train", type=int, default=10_000, help="training sequences")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--out-dir", default=".")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X, y = adding_problem(rng, args.train, args.steps)
    X_test, y_test = adding_problem(rng, 2_000, args.steps)
    print(f"adding problem, T = {args.steps}: {args.train} training sequences; a hit is a "
          f"prediction within 0.04; predicting the mean hits "
          f"{np.mean(np.abs(1.0 - y_test) < 0.04):.0%}")
    curves, norms = {}, {}
    for cell in CELLS:
        model = RNNRegressor(hidden_size=args.hidden, cell=cell, learning_rate=3e-3,
                             batch_size=32, random_state=0)
        curves[cell] = []
        start = time.perf_counter()
        for epoch in range(args.epochs):
            model.partial_fit(X, y)
            curves[cell].append(hit_rate(model, X_test, y_test))
            if epoch == args.epochs - 1:
                norms[cell] = input_gradient_per_step(model, X[:512], y[:512])
        print(f"{cell:>4}: hits per epoch " + " ".join(f"{a:.0%}" for a in curves[cell]) +
              f"  ({time.perf_counter() - start:.1f} s)", flush=True)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots (pip install 'rnnfast[plot]')")
        return 0
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for cell in CELLS:
        ax.plot(np.arange(1, args.epochs + 1), curves[cell], marker="o", label=cell)
    ax.axhline(np.mean(np.abs(1.0 - y_test) < 0.04), color="gray", linestyle="--",
               label="chance")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test hits (|error| < 0.04)")
    ax.set_title(f"The adding problem, T = {args.steps}")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    path = os.path.join(args.out_dir, "long_memory_accuracy.png")
    fig.savefig(path)
    plt.close(fig)
    print(f"wrote {path}")
    path = os.path.join(args.out_dir, "long_memory_gradients.png")
    plot_gradient_norms([norms[c] for c in CELLS], path, labels=list(CELLS),
                        title=f"How far back the loss reaches after training, T = {args.steps}",
                        ylabel="mean ||dLoss / dx_t||")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    main()
