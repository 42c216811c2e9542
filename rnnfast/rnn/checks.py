"""Validation of the recurrent kernels' arguments: weights, inputs, lengths, states,
targets, masks and optimiser steps (shared by `rnnfast.rnn.reference` and
`rnnfast.rnn.functional`). `lengths` holds integers in 1..T; `None` means every
sequence has length T.
"""

import numpy as np

from rnnfast._core._finite import zero_one
from rnnfast._core.checks import (all_finite, check_index, check_number, expect_shape, float_array,
                                  index_array, inplace_array)
from rnnfast.rnn.params import CELLS, GATES, layer_suffix, param_names

_INT_MAX = 2**31 - 1  # BLAS takes 32-bit sizes
TASKS = ("binary", "multiclass", "regression", "binary_per_step", "multiclass_per_step",
         "regression_per_step")
NONLINEARITIES = ("tanh", "relu")
POOLINGS = ("last", "mean", "max")


def check_weights(W_xh, W_hh, cell="rnn"):
    """Validate the recurrent weights of a cell (W_xh (G*H, D), W_hh (G*H, H), G =
    GATES[cell]); returns (W_xh, W_hh, dtype, H, D)."""
    G = GATES[cell]
    W_hh = float_array("W_hh", W_hh, 2)
    dtype = W_hh.dtype
    H = W_hh.shape[0] if G == 1 else W_hh.shape[1]
    expect_shape("W_hh", W_hh, (G * H, H))
    if H == 0:
        raise ValueError(f"W_hh must have a hidden size of at least 1, got shape {W_hh.shape}")
    W_xh = float_array("W_xh", W_xh, 2, dtype)
    if W_xh.shape[0] != G * H:
        rows = "H" if G == 1 else f"{G} H"
        raise ValueError(f"W_xh must have shape ({rows}, D) with H = {H} (from W_hh), "
                         f"got {W_xh.shape}")
    return W_xh, W_hh, dtype, H, W_xh.shape[1]


def check_bias(name, b, dtype, size):
    b = float_array(name, b, 1, dtype)
    expect_shape(name, b, (size,))
    return b


def check_inputs(x, dtype, D, allow_empty_batch=True):
    """Validate x: (B, T, D); returns (x, B, T)."""
    x = float_array("x", x, 3, dtype)
    B, T, xD = x.shape
    if xD != D:
        raise ValueError(f"x must have shape (B, T, D) with D = {D} (from W_xh), got {x.shape}")
    if T == 0:
        raise ValueError(f"x must have at least one time step, got shape {x.shape}")
    if B == 0 and not allow_empty_batch:
        raise ValueError("x is an empty batch (B = 0): the mean loss over no sequences is undefined")
    if B * T > _INT_MAX or B * T * max(D, 1) > _INT_MAX:
        raise ValueError(f"x is too large for 32-bit BLAS sizes: shape {x.shape}")
    return x, B, T


def check_lengths(lengths, B, T):
    """`lengths` as a C-contiguous intp array of shape (B,) with values in 1..T."""
    if lengths is None:
        lengths = np.empty(B, np.intp)
        lengths.fill(T)  # np.full costs twice as much on the one sequence of a prediction
        return lengths
    lengths = np.asarray(lengths)
    if lengths.dtype.kind not in "iu":
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if lengths.shape != (B,):
        raise ValueError(f"lengths must have shape ({B},) to match x, got {lengths.shape}")
    if B and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(f"lengths must lie in 1..{T} (T from x), "
                         f"got values from {lengths.min()} to {lengths.max()}")
    return np.ascontiguousarray(lengths, dtype=np.intp)


def check_state(name, h, dtype, B, H):
    """Validate an initial state (B, H) or None."""
    if h is None:
        return None
    h = float_array(name, h, 2, dtype)
    expect_shape(name, h, (B, H))
    return h


def check_forward(x, W_xh, W_hh, b_h, h0, lengths):
    W_xh, W_hh, dtype, H, D = check_weights(W_xh, W_hh)
    b_h = check_bias("b_h", b_h, dtype, H)
    x, B, T = check_inputs(x, dtype, D)
    h0 = check_state("h0", h0, dtype, B, H)
    return x, W_xh, W_hh, b_h, h0, check_lengths(lengths, B, T)


def check_backward(x, hs, W_xh, W_hh, dhs, h0, lengths):
    W_xh, W_hh, dtype, H, D = check_weights(W_xh, W_hh)
    x, B, T = check_inputs(x, dtype, D)
    hs = float_array("hs", hs, 3, dtype)
    expect_shape("hs", hs, (B, T, H))
    dhs = float_array("dhs", dhs, 3, dtype)
    expect_shape("dhs", dhs, (B, T, H))
    h0 = check_state("h0", h0, dtype, B, H)
    return x, hs, W_xh, W_hh, dhs, h0, check_lengths(lengths, B, T)


def check_architecture(num_layers, bidirectional, nonlinearity, pooling="last", cell="rnn"):
    """(num_layers, bidirectional, relu, pooling) after checking each, and the cell."""
    num_layers = check_index("num_layers", num_layers, low=1)
    if not isinstance(bidirectional, (bool, np.bool_)):
        raise TypeError(f"bidirectional must be True or False, got {bidirectional!r}")
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    check_cell(cell, nonlinearity)
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    return num_layers, bool(bidirectional), nonlinearity == "relu", pooling


def check_cell(cell, nonlinearity="tanh"):
    """The recurrent cell: "rnn" (Elman's, tanh or relu), "gru" or "lstm" (whose gates
    have their own nonlinearities)."""
    if not isinstance(cell, str) or cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    if cell != "rnn" and nonlinearity != "tanh":
        raise ValueError(f"nonlinearity={nonlinearity!r} is for cell='rnn' (Elman's); a "
                         f"{cell.upper()}'s gates have their own (leave nonlinearity='tanh')")
    return cell


def check_network_params(params, num_layers, bidirectional, head=True, task=None, cell="rnn"):
    """The parameters of a network as a dict of validated arrays (one dtype), the
    head's size checked against `task` when given; returns (params, dtype, H, D)."""
    names = param_names(num_layers, bidirectional, cell)
    if not head:
        names = names[:-2]
    try:
        missing = [k for k in names if k not in params]
    except TypeError:
        raise TypeError(f"params must be a dict with keys {names}, "
                        f"got {type(params).__name__}") from None
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)}; for num_layers="
                         f"{num_layers}, bidirectional={bidirectional} it needs {names}")
    W_xh, W_hh, dtype, H, D = check_weights(params["W_xh"], params["W_hh"], cell)
    G = GATES[cell]
    out = {"W_xh": W_xh, "W_hh": W_hh}
    nd = 2 if bidirectional else 1
    for k in range(num_layers):
        for d in range(nd):
            s = layer_suffix(k, d)
            if s:
                Dk = D if k == 0 else nd * H
                out["W_xh" + s] = float_array("W_xh" + s, params["W_xh" + s], 2, dtype)
                expect_shape("W_xh" + s, out["W_xh" + s], (G * H, Dk))
                out["W_hh" + s] = float_array("W_hh" + s, params["W_hh" + s], 2, dtype)
                expect_shape("W_hh" + s, out["W_hh" + s], (G * H, H))
            for b in ("b_h", "b_hh") if G > 1 else ("b_h",):
                out[b + s] = check_bias(b + s, params[b + s], dtype, G * H)
    if head:
        W_hy = float_array("W_hy", params["W_hy"], 2, dtype)
        if W_hy.shape[1] != nd * H or W_hy.shape[0] == 0:
            raise ValueError(f"W_hy must have shape (O, {nd * H}) with O >= 1 (the readout "
                             f"has {nd} x {H} features), got {W_hy.shape}")
        O = W_hy.shape[0]
        if task is not None and task.startswith("binary") and O != 1:
            raise ValueError(f"task={task!r} needs W_hy of shape (1, {nd * H}), "
                             f"got {W_hy.shape}")
        if task is not None and task.startswith("multiclass") and O < 2:
            raise ValueError(f"task={task!r} needs W_hy of shape (K, {nd * H}) with K >= 2 "
                             f"classes, got {W_hy.shape}")
        out["W_hy"] = W_hy
        out["b_y"] = check_bias("b_y", params["b_y"], dtype, W_hy.shape[0])
    return out, dtype, H, D


def check_network_state(h0, dtype, n_states, B, H, name="h0"):
    """None, or the initial states as a C-contiguous (n_states, B, H) array; with one
    layer and direction a (B, H) array is taken too."""
    if h0 is None:
        return None
    h0 = np.asarray(h0)
    if n_states == 1 and h0.ndim == 2:
        h0 = h0[None]
    if h0.shape != (n_states, B, H):
        raise ValueError(f"{name} must have shape {(n_states, B, H)} (one (B, H) state per "
                         f"layer and direction), got {h0.shape}")
    return float_array(name, h0, 3, dtype)


def check_states(h0, c0, cell, dtype, n_states, B, H):
    """(h0, c0) validated: c0, an LSTM's initial cell states, only with cell="lstm"."""
    if c0 is not None and cell != "lstm":
        raise ValueError(f"c0 holds an LSTM's initial cell states; cell={cell!r} has none "
                         f"(give h0 only)")
    return (check_network_state(h0, dtype, n_states, B, H),
            check_network_state(c0, dtype, n_states, B, H, "c0"))


def check_layers_forward(params, x, lengths, h0, num_layers, bidirectional, nonlinearity,
                         dropout_masks, cell="rnn", c0=None):
    """Validate a stack's forward pass; returns (params, x, lengths, h0, num_layers, nd,
    relu, dropout_masks, c0)."""
    num_layers, bidirectional, relu, _ = check_architecture(num_layers, bidirectional,
                                                            nonlinearity, cell=cell)
    params, dtype, H, D = check_network_params(params, num_layers, bidirectional, head=False,
                                               cell=cell)
    x, B, T = check_inputs(x, dtype, D)
    nd = 2 if bidirectional else 1
    h0, c0 = check_states(h0, c0, cell, dtype, num_layers * nd, B, H)
    masks = check_dropout_masks(dropout_masks, dtype, (num_layers - 1, B, T, nd * H))
    return params, x, check_lengths(lengths, B, T), h0, num_layers, nd, relu, masks, c0


def check_predict(params, x, lengths, h0, num_layers, bidirectional, nonlinearity, pooling,
                  cell="rnn", c0=None):
    """Validate a prediction pass (pooling "steps": every step's output); returns
    (params, x, lengths, h0, num_layers, nd, relu, pooling, c0)."""
    per_step = isinstance(pooling, str) and pooling == "steps"
    if not per_step and (not isinstance(pooling, str) or pooling not in POOLINGS):
        raise ValueError(f"pooling must be one of {POOLINGS + ('steps',)}, got {pooling!r}")
    num_layers, bidirectional, relu, _ = check_architecture(
        num_layers, bidirectional, nonlinearity, "last" if per_step else pooling, cell)
    params, dtype, H, D = check_network_params(params, num_layers, bidirectional, head=True,
                                               cell=cell)
    x, B, T = check_inputs(x, dtype, D)
    nd = 2 if bidirectional else 1
    h0, c0 = check_states(h0, c0, cell, dtype, num_layers * nd, B, H)
    return params, x, check_lengths(lengths, B, T), h0, num_layers, nd, relu, pooling, c0


def check_loss(params, x, y, lengths, task, h0, sample_weight=None, num_layers=1,
               bidirectional=False, nonlinearity="tanh", pooling="last", dropout_masks=None,
               cell="rnn", c0=None):
    """Validate a fused training step; returns (params, x, y, lengths, task, h0,
    sample_weight, dropout_masks, c0) with h0 and c0 None or (L*nd, B, H)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    num_layers, bidirectional, _, pooling = check_architecture(
        num_layers, bidirectional, nonlinearity, pooling, cell)
    if task.endswith("_per_step") and pooling != "last":
        raise ValueError(f"pooling={pooling!r} reads one vector per sequence; task={task!r} "
                         f"has a loss at every step (leave pooling='last')")
    params, dtype, H, D = check_network_params(params, num_layers, bidirectional, task=task,
                                               cell=cell)
    nd = 2 if bidirectional else 1
    O = params["W_hy"].shape[0]
    x, B, T = check_inputs(x, dtype, D, allow_empty_batch=False)
    lengths = check_lengths(lengths, B, T)
    y = _check_targets(y, task, dtype, B, O, T, lengths)
    h0, c0 = check_states(h0, c0, cell, dtype, num_layers * nd, B, H)
    if dropout_masks is not None or num_layers > 1:
        dropout_masks = check_dropout_masks(dropout_masks, dtype, (num_layers - 1, B, T, nd * H))
    return params, x, y, lengths, task, h0, check_sample_weight(sample_weight, B), \
        dropout_masks, c0


def check_dropout_masks(masks, dtype, shape):
    """None (no dropout), or the multipliers applied to each layer's outputs before
    the layer above reads them: finite, >= 0, of the given shape."""
    if masks is None:
        return None
    masks = float_array("dropout_masks", masks, len(shape), dtype)
    expect_shape("dropout_masks", masks, shape)
    if (masks < 0).any():
        raise ValueError("dropout_masks must be >= 0 (0 drops a unit, 1 / (1 - p) keeps it)")
    return masks


def check_sample_weight(sample_weight, n, finite_sum=True):
    """None, or float64 (n,) of finite weights >= 0 with a positive sum (and, with
    `finite_sum`, a sum float64 can hold: a batch's loss is a weighted mean)."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}")
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
    w = np.ascontiguousarray(w, dtype=np.float64)
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (w < 0).any():
        raise ValueError("sample_weight must be >= 0")
    with np.errstate(over="ignore"):
        total = w.sum()
    if not total > 0:
        raise ValueError("sample_weight is all zero: some weight must be positive")
    if finite_sum and not np.isfinite(total):
        raise ValueError("sample_weight sums past float64's range; divide the weights by a "
                         "common factor (the weighted mean loss does not change)")
    return w


def check_input_grad(input_grad, B, T):
    """input_grad: a bool, or a (B, T) bool mask of the steps whose dLoss/dx is wanted.

    Returns (wanted: bool, mask: None or C-contiguous uint8 (B, T))."""
    if isinstance(input_grad, (bool, np.bool_)) or input_grad is None:
        return bool(input_grad), None
    mask = np.asarray(input_grad)
    if mask.dtype != np.bool_:
        raise TypeError(f"input_grad must be a bool or a bool array, got dtype {mask.dtype}")
    if mask.shape != (B, T):
        raise ValueError(f"input_grad mask must have shape ({B}, {T}) like x's first two "
                         f"axes, got {mask.shape}")
    return True, np.ascontiguousarray(mask).view(np.uint8)


def _check_targets(y, task, dtype, B, O, T=None, lengths=None):
    """Targets are data, not parameters: they are cast to the parameters' dtype. Per
    step tasks read targets at the valid steps only; the others are set to 0."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must be numeric, got dtype {y.dtype}")
    per_step = task.endswith("_per_step")
    rows = (B, T) if per_step else (B,)
    shape = rows + ((O,) if task.startswith("regression") else ())
    if y.shape != shape:
        where = "one per step, T from x" if per_step else "one per sequence"
        raise ValueError(f"y must have shape {shape} for task={task!r} ({where}), "
                         f"got {y.shape}")
    if per_step:
        valid = np.arange(T)[None, :] < lengths[:, None]
        y = np.where(valid.reshape(valid.shape + (1,) * (y.ndim - 2)), y, 0)
    if task.startswith("binary"):
        # for integers, y (1 - y) is 0 only at 0 and 1, also in wrapping arithmetic (its
        # even factor would have to be a multiple of 2^bits): one ufunc fewer, which
        # counts on one sequence; floats could overflow and warn
        binary = zero_one(y)  # None: a dtype or layout the compiled scan does not read
        if binary is None:
            binary = not np.count_nonzero(y * (1 - y)) if y.dtype.kind in "biu" else \
                ((y == 0) | (y == 1)).all()
        if not binary:
            raise ValueError(f"y must hold only 0 and 1 for task={task!r}")
        return np.ascontiguousarray(y, dtype=dtype)
    elif task.startswith("multiclass"):
        if y.dtype.kind not in "biu" and not np.all(np.isfinite(y) & (y == np.round(y))):
            raise TypeError(f"y must hold integer class labels for task={task!r}")
        if y.min() < 0 or y.max() >= O:
            raise ValueError(f"y must hold class labels in 0..{O - 1} for task={task!r}")
        return np.ascontiguousarray(y, dtype=np.intp)
    y = np.ascontiguousarray(y, dtype=dtype)
    if not all_finite(y):
        raise ValueError("y contains NaN or infinity")
    return y


def check_adam(param, grad, m, v, rows, learning_rate, beta1, beta2, eps, step, grad_scale):
    """Validate an Adam step; param, m and v are updated in place."""
    param = inplace_array("param", param)
    m = inplace_array("m", m, param.dtype, param.shape)
    v = inplace_array("v", v, param.dtype, param.shape)
    if rows is None:
        grad = float_array("grad", grad, param.ndim, param.dtype)
        expect_shape("grad", grad, param.shape)
    else:
        if param.ndim != 2:
            raise ValueError(f"with rows, param must be a 2-D table, got shape {param.shape}")
        rows = index_array("rows", rows, 1, param.shape[0]).astype(np.int64)
        if len(np.unique(rows)) != len(rows):
            raise ValueError("rows must not repeat (sum their gradients first)")
        grad = float_array("grad", grad, 2, param.dtype)
        expect_shape("grad", grad, (len(rows), param.shape[1]))
    return (param, grad, m, v, rows, check_number("learning_rate", learning_rate, low=0),
            check_number("beta1", beta1, low=0, below=1),
            check_number("beta2", beta2, low=0, below=1),
            check_number("eps", eps, low=0), check_index("step", step, low=1),
            check_number("grad_scale", grad_scale, low=0))
