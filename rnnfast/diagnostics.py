"""Tools that show vanishing and exploding gradients in an Elman RNN.

`gradient_norms` measures how large dLoss/dh_t is at every step t of a batch:
with the loss on the last state only, the gradient reaching step t has passed
through T - t Jacobians diag(1 - h^2) W_hh. When W_hh's spectral radius is well
below 1 those products shrink geometrically (vanishing gradients: early steps
stop learning); well above 1 they can grow (exploding gradients: the update
jumps, which clipping by global norm tames).
"""

import numpy as np

from rnnfast import _checks, functional, reference

__all__ = ["gradient_norms", "spectral_radius", "plot_gradient_norms"]


def spectral_radius(W_hh):
    """Largest absolute eigenvalue of the square matrix W_hh (float)."""
    W_hh = _checks.float_array("W_hh", W_hh, 2)
    if W_hh.shape[0] != W_hh.shape[1]:
        raise ValueError(f"W_hh must be square, got shape {W_hh.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(W_hh.astype(np.float64)))))


def gradient_norms(params, x, y, lengths=None, task="binary", h0=None, sample_weight=None):
    """Mean over the batch of ||dLoss/dh_t|| for each step t: array (T,), float64.

    Arguments as for `rnn_loss_and_grads`. Steps past a sequence's end carry
    its final gradient unchanged (the state is carried there); they are
    averaged like the others.
    """
    from rnnfast import _rnn

    params, x, y, lengths, task, h0, sample_weight = _checks.check_loss(
        params, x, y, lengths, task, h0, sample_weight)
    W_hy = params["W_hy"].astype(np.float64)
    hs = functional.rnn_forward(x, params["W_xh"], params["W_hh"], params["b_h"], h0, lengths)
    out = hs[:, -1].astype(np.float64) @ W_hy.T + params["b_y"]
    _, dout = reference.head_loss(out, y, task, sample_weight)
    # the recurrence of the backward kernel, for its per-step norms of dLoss/dh_t
    # (in the parameters' dtype, summed in float64)
    dhs = np.zeros_like(hs)
    dhs[:, -1] = dout @ W_hy
    return _rnn.state_gradient_norms(x, hs, params["W_xh"], params["W_hh"], dhs, h0, lengths)


def plot_gradient_norms(norms, path, labels=None, title="Gradient norm per time step"):
    """Write a PNG of one or more gradient-norm curves on a log scale.

    norms: (T,) array, or a list of them (one curve each, named by `labels`).
    Needs matplotlib (`pip install rnnfast[plot]`).
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot_gradient_norms needs matplotlib: pip install 'rnnfast[plot]'") \
            from None
    curves = [np.asarray(norms)] if np.ndim(norms[0]) == 0 else [np.asarray(n) for n in norms]
    labels = labels or [None] * len(curves)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for curve, label in zip(curves, labels):
        ax.semilogy(np.arange(len(curve)), np.maximum(curve, 1e-30), label=label)
    ax.set_xlabel("time step t")
    ax.set_ylabel("mean ||dLoss / dh_t||")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if any(labels):
        ax.legend()
    fig.tight_layout()
    from rnnfast.persist import atomic_write
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)
    return path
