"""Tools that show vanishing and exploding gradients, for every cell.

`gradient_norms` measures how large dLoss/dh_t is at every step t of a batch:
with the loss on the last state only, the gradient reaching step t of an Elman
network has passed through T - t Jacobians diag(1 - h^2) W_hh. When W_hh's spectral
radius is well below 1 those products shrink geometrically (vanishing gradients:
early steps stop learning); well above 1 they can grow (exploding gradients: the
update jumps, which clipping by global norm tames). A GRU's update gate and an
LSTM's cell state add a path whose Jacobian is a gate's value, near 1 when the cell
keeps its memory: comparing the cells' curves shows the cure.
"""

import numpy as np

from rnnfast._core.checks import float_array
from rnnfast.rnn import checks
from rnnfast.rnn.params import param_names

__all__ = ["gradient_norms", "spectral_radius", "spectral_radii", "plot_gradient_norms"]


def spectral_radius(W_hh):
    """Largest absolute eigenvalue of the square matrix W_hh (float)."""
    W_hh = float_array("W_hh", W_hh, 2)
    if W_hh.shape[0] != W_hh.shape[1]:
        raise ValueError(f"W_hh must be square, got shape {W_hh.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(W_hh.astype(np.float64)))))


_GATE_NAMES = {3: "rzn", 4: "ifgo"}  # a GRU's and an LSTM's blocks of H rows


def spectral_radii(params):
    """{name: spectral radius} of every recurrent matrix W_hh* in params (each layer
    and direction of a network, or of a fitted estimator's params_); a gated cell's
    (G H, H) matrix gives one per gate, named like "W_hh:r" (GRU r, z, n; LSTM i, f,
    g, o)."""
    radii = {}
    for k, v in params.items():
        if not k.startswith("W_hh"):
            continue
        v = np.asarray(v)
        G = v.shape[0] // v.shape[1] if v.ndim == 2 and v.shape[1] else 1
        if G in _GATE_NAMES and v.shape[0] == G * v.shape[1]:
            H = v.shape[1]
            for g, name in enumerate(_GATE_NAMES[G]):
                radii[f"{k}:{name}"] = spectral_radius(v[g * H:(g + 1) * H])
        else:
            radii[k] = spectral_radius(v)
    return radii


def gradient_norms(params, x, y, lengths=None, task="binary", h0=None, sample_weight=None, *,
                   num_layers=1, bidirectional=False, nonlinearity="tanh", pooling="last",
                   cell="rnn", c0=None):
    """Mean over the batch of ||dLoss/dh_t|| for each step t, float64: (T,) for one
    layer and direction, else (num_layers * nd, T), row k * nd + d for layer k and
    direction d (a reverse direction's step t is t steps after each sequence's end,
    counting backwards, the order in which it reads).

    Arguments as for `rnn_loss_and_grads`. Steps past a sequence's end carry
    its final gradient unchanged (the state is carried there); they are
    averaged like the others.
    """
    from rnnfast.rnn import _rnn

    params, x, y, lengths, task, h0, sample_weight, _, c0 = checks.check_loss(
        params, x, y, lengths, task, h0, sample_weight, num_layers, bidirectional,
        nonlinearity, pooling, None, cell, c0)
    names = param_names(num_layers, bidirectional, cell)
    # the kernel's own BPTT, which sums each step's norm in float64
    norms = _rnn.loss_and_grads([params[k] for k in names], x, y, lengths, task, h0, False,
                                None, sample_weight, num_layers, bidirectional,
                                nonlinearity == "relu", pooling, None, True, cell, c0)[3]
    return norms[0] if len(norms) == 1 else norms


def plot_gradient_norms(norms, path, labels=None, title="Gradient norm per time step",
                        ylabel="mean ||dLoss / dh_t||"):
    """Write a PNG of one or more gradient-norm curves on a log scale.

    norms: (T,) array, or a list of them (one curve each, named by `labels`: to compare
    cells, for instance). Needs matplotlib (`pip install rnnfast[plot]`).
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
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if any(labels):
        ax.legend()
    fig.tight_layout()
    from rnnfast._core.persist import atomic_write
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)
    return path
