"""Vanishing and exploding gradients in an Elman RNN, and clipping taming them.

    python examples/gradient_flow.py [--out gradient_flow.png]

The loss sits on the last state only, so the gradient reaching step t has been
multiplied by T - t Jacobians diag(1 - h^2) W_hh. The script scales one random
W_hh to spectral radius 0.5, 1.0 and 3.0, prints the mean ||dLoss/dh_t|| at a few
steps, and plots the three curves (with matplotlib installed): with radius 0.5
the early steps get almost nothing (vanishing); with 3.0 the gradient grows toward
the early steps (exploding), and the global norm of the weight gradient is then
far above what clipping (clip_norm=5) lets through.
"""

import argparse

import numpy as np

from rnnfast import functional
from rnnfast.rnn.diagnostics import gradient_norms, plot_gradient_norms, spectral_radius


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="gradient_flow.png")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    B, T, D, H = 32, 60, 8, 64
    x = rng.standard_normal((B, T, D)) * 0.1
    y = rng.integers(0, 2, B)
    base = rng.standard_normal((H, H))
    curves, labels = [], []
    for radius in (0.5, 1.0, 3.0):
        W_hh = base * radius / spectral_radius(base)
        params = {"W_xh": rng.standard_normal((H, D)) * 0.1, "W_hh": W_hh, "b_h": np.zeros(H),
                  "W_hy": rng.standard_normal((1, H)), "b_y": np.zeros(1)}
        norms = gradient_norms(params, x, y)
        _, grads = functional.rnn_loss_and_grads(params, x, y)
        total = np.sqrt(sum(float(np.sum(g ** 2)) for g in grads.values()))
        clipped = min(1.0, 5.0 / total)
        print(f"spectral radius {radius:3.1f}: ||dL/dh_t|| at t = T-1: {norms[-1]:.2e}, "
              f"t = T/2: {norms[T // 2]:.2e}, t = 0: {norms[0]:.2e}; "
              f"weight-gradient norm {total:.2e} (clip_norm=5 scales it by {clipped:.2e})")
        curves.append(norms)
        labels.append(f"radius {radius}")
    try:
        plot_gradient_norms(curves, args.out, labels=labels,
                            title="Gradient reaching each step of a 60-step sequence")
        print(f"wrote {args.out}")
    except ImportError as e:
        print(f"no plot: {e}")


if __name__ == "__main__":
    main()
