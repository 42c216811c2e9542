"""Plain NumPy twins of the recurrent kernels: same names, same signatures.

Written to be read, not to be fast: each function is the textbook loop, so the
compiled kernels in `rnnfast.rnn.functional` can be checked against it. Arguments
are validated by the same code as the kernels' (`rnnfast.rnn.checks`).

Shapes are batch-first: x (B, T, D), W_xh (H, D), W_hh (H, H), b_h (H,),
h0 (B, H), lengths (B,), hs and dhs (B, T, H); float32 or float64 throughout. The
gated cells (cell="gru", "lstm") stack their G gates' weights as PyTorch does:
W_xh (G H, D), W_hh (G H, H), b_h (G H,) (torch's bias_ih) and b_hh (G H,) (bias_hh).
"""

import numpy as np
from scipy.special import expit

from rnnfast.rnn import checks
from rnnfast.rnn.params import layer_suffix

__all__ = ["rnn_forward", "rnn_backward", "rnn_layers_forward", "rnn_predict",
           "rnn_loss_and_grads", "adam_step"]


def rnn_forward(x, W_xh, W_hh, b_h, h0=None, lengths=None, *, nonlinearity="tanh"):
    """Hidden states hs (B, T, H) of h_t = f(x_t W_xh^T + h_{t-1} W_hh^T + b_h), f tanh
    or relu (max(0, a)).

    Past a sequence's length its state is carried unchanged, so hs[:, -1] is
    every sequence's final state.
    """
    x, W_xh, W_hh, b_h, h0, lengths = checks.check_forward(x, W_xh, W_hh, b_h, h0, lengths)
    relu = checks.check_architecture(1, False, nonlinearity)[2]
    B, T, _ = x.shape
    h = np.zeros((B, W_hh.shape[0]), x.dtype) if h0 is None else h0
    hs = np.empty((B, T, W_hh.shape[0]), x.dtype)
    for t in range(T):
        a = x[:, t] @ W_xh.T + h @ W_hh.T + b_h
        h_new = np.maximum(a, 0) if relu else np.tanh(a)
        active = (t < lengths)[:, None]
        h = np.where(active, h_new, h)
        hs[:, t] = h
    return hs


def rnn_backward(x, hs, W_xh, W_hh, dhs, h0=None, lengths=None, *, nonlinearity="tanh"):
    """Backpropagation through time for `rnn_forward`.

    dhs (B, T, H) is dLoss/dh_t from outside the recurrence. Returns
    (dx (B, T, D), dW_xh (H, D), dW_hh (H, H), db_h (H,), dh0 (B, H)).
    """
    x, hs, W_xh, W_hh, dhs, h0, lengths = checks.check_backward(
        x, hs, W_xh, W_hh, dhs, h0, lengths)
    relu = checks.check_architecture(1, False, nonlinearity)[2]
    B, T, _ = x.shape
    H = W_hh.shape[0]
    if h0 is None:
        h0 = np.zeros((B, H), x.dtype)
    dx = np.zeros_like(x)
    dW_xh = np.zeros_like(W_xh)
    dW_hh = np.zeros_like(W_hh)
    db_h = np.zeros(H, x.dtype)
    dh = np.zeros((B, H), x.dtype)  # dLoss/dh_t, including all later steps
    for t in reversed(range(T)):
        dh = dh + dhs[:, t]
        active = (t < lengths)[:, None]
        slope = (hs[:, t] > 0) if relu else 1 - hs[:, t] ** 2
        da = np.where(active, dh * slope, 0)  # through the nonlinearity
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dW_xh += da.T @ x[:, t]
        dW_hh += da.T @ h_prev
        db_h += da.sum(axis=0)
        dx[:, t] = da @ W_xh
        # a carried step passes its gradient straight to the step before
        dh = np.where(active, da @ W_hh, dh)
    return dx, dW_xh, dW_hh, db_h, dh


def reverse_in_time(a, lengths):
    """a (B, T, ...) with each sequence's first lengths[b] steps in reverse order and
    zeros after them; its own inverse on the valid steps."""
    B, T = a.shape[:2]
    t = np.arange(T)[None, :]
    valid = t < lengths[:, None]
    src = np.where(valid, lengths[:, None] - 1 - t, 0)
    out = a[np.arange(B)[:, None], src]
    return np.where(valid.reshape(valid.shape + (1,) * (a.ndim - 2)), out, 0).astype(a.dtype)


def rnn_layers_forward(params, x, lengths=None, h0=None, *, num_layers=1, bidirectional=False,
                       nonlinearity="tanh", dropout_masks=None, cell="rnn", c0=None):
    """A stack of num_layers recurrent layers, each one or two directions, as
    torch.nn.RNN, GRU or LSTM.

    cell: "rnn" (Elman's: h_t = f(x_t W_xh^T + h_{t-1} W_hh^T + b_h), f tanh or relu),
    "gru" (PyTorch's: r, z = sigmoid(..), n = tanh(x W_n^T + b_n + r * (h W_hn^T + b_hn)),
    h_t = (1 - z) n + z h_{t-1}) or "lstm" (gates i, f, g, o; c_t = f c_{t-1} + i g,
    h_t = o tanh(c_t)).
    params: for layer k and direction d, W_xh{s} (G H, D_k), W_hh{s} (G H, H), b_h{s}
    (G H,) and, for the gated cells, b_hh{s} (G H,), G = 1, 3 or 4 gates, s =
    layer_suffix(k, d) ("", "_reverse", "_l1", "_l1_reverse", ...); D_0 = D and D_k =
    nd * H above (nd = 2 directions when bidirectional). A reverse direction reads each
    sequence backwards from its own last step. Layer k > 0 reads the outputs below it
    times dropout_masks[k - 1] (None: no dropout).
    h0, and c0 for an LSTM: None or (num_layers * nd, B, H), index k * nd + d (a (B, H)
    array for one layer). Past a sequence's length its states are carried unchanged.
    Returns (outputs (B, T, nd * H) of the top layer: forward states then reverse ones,
    zeros past each end in the reverse half; h_n (num_layers * nd, B, H), each layer
    and direction's final state); for an LSTM (outputs, (h_n, c_n)), as torch.
    """
    params, x, lengths, h0, num_layers, nd, relu, dropout_masks, c0 = \
        checks.check_layers_forward(params, x, lengths, h0, num_layers, bidirectional,
                                    nonlinearity, dropout_masks, cell, c0)
    layers = _layers(params, x, lengths, h0, num_layers, nd, relu, dropout_masks, cell, c0)
    h_n = np.stack([run[1][:, -1] for _, runs in layers for run in runs])
    if cell == "lstm":
        return layers[-1][0], (h_n, np.stack([run[2][:, -1] for _, runs in layers
                                              for run in runs]))
    return layers[-1][0], h_n


def _layers(params, x, lengths, h0, L, nd, relu, masks, cell="rnn", c0=None):
    """[(outputs, [(input read, hs, cs, gates) per direction]) per layer]; cs (an
    LSTM's cell states) and gates (what BPTT needs) are None for the Elman cell."""
    f = "relu" if relu else "tanh"
    layers, inp = [], x
    for k in range(L):
        if k > 0 and masks is not None:
            inp = inp * masks[k - 1]
        runs = []
        for d in range(nd):
            s = layer_suffix(k, d)
            src = inp if d == 0 else reverse_in_time(inp, lengths)
            start = None if h0 is None else h0[k * nd + d]
            if cell == "rnn":
                hs = rnn_forward(src, params["W_xh" + s], params["W_hh" + s],
                                 params["b_h" + s], start, lengths, nonlinearity=f)
                runs.append((src, hs, None, None))
            else:
                c_start = None if c0 is None else c0[k * nd + d]
                runs.append((src,) + _gated_forward(
                    cell, src, params["W_xh" + s], params["W_hh" + s], params["b_h" + s],
                    params["b_hh" + s], start, c_start, lengths))
        out = runs[0][1] if nd == 1 else np.concatenate(
            [runs[0][1], reverse_in_time(runs[1][1], lengths)], axis=2)
        layers.append((out, runs))
        inp = out
    return layers


def _gated_forward(cell, x, W_xh, W_hh, b_ih, b_hh, h0, c0, lengths):
    """(hs (B, T, H), cs (B, T, H) or None, gates: per step the values BPTT reads) of a
    GRU or LSTM layer, states carried past each sequence's end."""
    B, T, _ = x.shape
    H = W_hh.shape[1]
    h = np.zeros((B, H), x.dtype) if h0 is None else h0
    c = np.zeros((B, H), x.dtype) if c0 is None else c0
    hs = np.empty((B, T, H), x.dtype)
    cs = np.empty((B, T, H), x.dtype) if cell == "lstm" else None
    gates = []
    for t in range(T):
        gx = x[:, t] @ W_xh.T + b_ih
        gh = h @ W_hh.T + b_hh
        active = (t < lengths)[:, None]
        if cell == "gru":
            r = expit(gx[:, :H] + gh[:, :H])
            z = expit(gx[:, H:2 * H] + gh[:, H:2 * H])
            n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
            h_new = (1 - z) * n + z * h
            gates.append((r, z, n, gh[:, 2 * H:]))
        else:
            a = gx + gh
            i, f, o = expit(a[:, :H]), expit(a[:, H:2 * H]), expit(a[:, 3 * H:])
            g = np.tanh(a[:, 2 * H:3 * H])
            c = np.where(active, f * c + i * g, c)
            cs[:, t] = c
            h_new = o * np.tanh(c)
            gates.append((i, f, g, o))
        h = np.where(active, h_new, h)
        hs[:, t] = h
    return hs, cs, gates


def _gated_backward(cell, x, hs, cs, gates, W_xh, W_hh, dhs, h0, c0, lengths):
    """BPTT of `_gated_forward`: (dx, dW_xh, dW_hh, db_h, db_hh) from dhs (B, T, H),
    dLoss/dh_t from outside the recurrence."""
    B, T, _ = x.shape
    H = W_hh.shape[1]
    zeros = np.zeros((B, H), x.dtype)
    dx = np.zeros_like(x)
    dW_xh, dW_hh = np.zeros_like(W_xh), np.zeros_like(W_hh)
    db_ih, db_hh = np.zeros(W_hh.shape[0], x.dtype), np.zeros(W_hh.shape[0], x.dtype)
    dh, dc = zeros, zeros  # dLoss/dh_t and dLoss/dc_t through all later steps
    for t in reversed(range(T)):
        dh = dh + dhs[:, t]
        active = (t < lengths)[:, None]
        h_prev = (zeros if h0 is None else h0) if t == 0 else hs[:, t - 1]
        if cell == "gru":
            r, z, n, hn = gates[t]
            da_n = dh * (1 - z) * (1 - n ** 2)
            da_r = da_n * hn * r * (1 - r)
            da_z = dh * (h_prev - n) * z * (1 - z)
            dgx = np.concatenate([da_r, da_z, da_n], axis=1)
            dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)
            dh_prev = dh * z + dgh @ W_hh
        else:
            i, f, g, o = gates[t]
            c_prev = (zeros if c0 is None else c0) if t == 0 else cs[:, t - 1]
            tc = np.tanh(cs[:, t])
            dct = dc + dh * o * (1 - tc ** 2)
            dgx = dgh = np.concatenate([dct * g * i * (1 - i), dct * c_prev * f * (1 - f),
                                        dct * i * (1 - g ** 2), dh * tc * o * (1 - o)], axis=1)
            dh_prev = dgh @ W_hh
            dc = np.where(active, dct * f, dc)
        dgx, dgh = np.where(active, dgx, 0), np.where(active, dgh, 0)
        dW_xh += dgx.T @ x[:, t]
        dW_hh += dgh.T @ h_prev
        db_ih += dgx.sum(axis=0)
        db_hh += dgh.sum(axis=0)
        dx[:, t] = dgx @ W_xh
        # a carried step passes its gradients straight to the step before
        dh = np.where(active, dh_prev, dh)
    return dx, dW_xh, dW_hh, db_ih, db_hh


def rnn_readout(outputs, h_last, lengths, pooling):
    """One vector per sequence (B, F) from the top layer's outputs (B, T, F): the final
    states h_last (B, F) for "last", else the mean or max over the valid steps."""
    if pooling == "last":
        return h_last
    valid = (np.arange(outputs.shape[1])[None, :] < lengths[:, None])[:, :, None]
    if pooling == "mean":
        return (outputs * valid).sum(axis=1) / lengths[:, None].astype(outputs.dtype)
    return np.where(valid, outputs, -np.inf).max(axis=1).astype(outputs.dtype)


def rnn_predict(params, x, lengths=None, h0=None, *, num_layers=1, bidirectional=False,
                nonlinearity="tanh", pooling="last", cell="rnn", c0=None):
    """The head's outputs, float64: (B, O) = R W_hy^T + b_y, R each sequence's readout
    of the top layer (rnn_readout: "last", "mean" or "max"); or, for pooling="steps",
    (B, T, O) from every step's top-layer output (past a sequence's end: from the
    outputs rnn_layers_forward gives there). params as for rnn_loss_and_grads, with the
    head's W_hy (O, nd * H) and b_y (O,); x (B, T, D), lengths (B,), h0, c0 and cell
    as for rnn_layers_forward; float32 or float64.
    """
    params, x, lengths, h0, num_layers, nd, relu, pooling, c0 = checks.check_predict(
        params, x, lengths, h0, num_layers, bidirectional, nonlinearity, pooling, cell, c0)
    layers = _layers(params, x, lengths, h0, num_layers, nd, relu, None, cell, c0)
    top = layers[-1][0]
    if pooling == "steps":
        r = top
    else:
        h_last = np.concatenate([run[1][:, -1] for run in layers[-1][1]], axis=1)
        r = rnn_readout(top, h_last, lengths, pooling)
    return r.astype(np.float64) @ params["W_hy"].T.astype(np.float64) + \
        params["b_y"].astype(np.float64)


def rnn_loss_and_grads(params, x, y, lengths=None, task="binary", h0=None, *,
                       input_grad=False, sample_weight=None, num_layers=1, bidirectional=False,
                       nonlinearity="tanh", pooling="last", dropout_masks=None, cell="rnn",
                       c0=None):
    """One training step: forward through the layers, head, loss and full BPTT.

    params: the layers' weights as for `rnn_layers_forward`, plus W_hy (O, F) and
    b_y (O,), F = nd * H the width of the readout r: the final states (pooling="last":
    the forward direction's at each end, the reverse direction's after its first
    step), or the mean or max of the top outputs over the valid steps; out = r W_hy^T + b_y.
    task="binary": O = 1, y (B,) of 0/1, loss = binary cross-entropy of sigmoid(out).
    task="multiclass": O = K >= 2 classes, y (B,) int labels in 0..K-1, loss =
    cross-entropy of softmax(out). task="regression": y (B, O), loss = squared
    error summed over the O outputs and divided by O.
    task="binary_per_step", "multiclass_per_step", "regression_per_step": the head
    reads every step's top output; y (B, T) or (B, T, O); the loss is the mean over
    the valid steps (targets past each length are ignored).
    The loss is weighted by sample_weight (B,) when given (sum_b w_b loss_b /
    sum_b w_b, per step counted once per step; weights >= 0 with a positive sum).
    dropout_masks: (num_layers - 1, B, T, F) multipliers of the outputs below each
    layer (training-time dropout; None for none). cell, h0 and c0 as for
    rnn_layers_forward.
    Returns (loss: float, grads: dict with params' keys and shapes), plus
    grads["x"] = dLoss/dx (B, T, D) when input_grad is true. input_grad may
    also be a (B, T) bool mask: grads["x"] then holds dLoss/dx at its true
    steps and zeros elsewhere (the kernel skips the work for the others).
    """
    params, x, y, lengths, task, h0, sample_weight, masks, c0 = checks.check_loss(
        params, x, y, lengths, task, h0, sample_weight, num_layers, bidirectional,
        nonlinearity, pooling, dropout_masks, cell, c0)
    wanted, mask = checks.check_input_grad(input_grad, x.shape[0], x.shape[1])
    L, nd = num_layers, 2 if bidirectional else 1
    relu = nonlinearity == "relu"
    B, T = x.shape[:2]
    H = params["W_hh"].shape[1]
    layers = _layers(params, x, lengths, h0, L, nd, relu, masks, cell, c0)
    top, top_runs = layers[-1]
    W_hy = params["W_hy"]
    if task.endswith("_per_step"):
        valid = np.arange(T)[None, :] < lengths[:, None]
        rows = top[valid]
        w = np.ones(B) if sample_weight is None else sample_weight
        loss, dz = head_loss((rows @ W_hy.T + params["b_y"]).astype(np.float64), y[valid],
                             task[:-len("_per_step")], np.broadcast_to(w[:, None], (B, T))[valid])
        dz = dz.astype(x.dtype)
        grads = {"W_hy": dz.T @ rows, "b_y": dz.sum(axis=0)}
        d_out = np.zeros_like(top)
        d_out[valid] = dz @ W_hy
    else:
        h_last = np.concatenate([run[1][:, -1] for run in top_runs], axis=1)
        r = rnn_readout(top, h_last, lengths, pooling)
        loss, dz = head_loss((r @ W_hy.T + params["b_y"]).astype(np.float64), y, task,
                             sample_weight)
        dz = dz.astype(x.dtype)
        grads = {"W_hy": dz.T @ r, "b_y": dz.sum(axis=0)}
        dr = dz @ W_hy
        d_out = np.zeros_like(top)
        if pooling == "last":  # the final states sit at the last step (carried there)
            d_last = dr
        elif pooling == "mean":
            valid = (np.arange(T)[None, :] < lengths[:, None])[:, :, None]
            d_out = np.where(valid, dr[:, None, :] / lengths[:, None, None].astype(x.dtype), 0)
            d_out = d_out.astype(x.dtype)
        else:
            valid = (np.arange(T)[None, :] < lengths[:, None])[:, :, None]
            best = np.where(valid, top, -np.inf).argmax(axis=1)  # the first maximum
            np.put_along_axis(d_out, best[:, None, :], dr[:, None, :], axis=1)
    f = "relu" if relu else "tanh"
    for k in reversed(range(L)):
        _, runs = layers[k]
        d_in = 0
        for d in range(nd):
            s = layer_suffix(k, d)
            src, hs, cs, gates = runs[d]
            part = d_out[:, :, d * H:(d + 1) * H]
            dhs = part if d == 0 else reverse_in_time(part, lengths)
            if k == L - 1 and pooling == "last" and not task.endswith("_per_step"):
                dhs = np.zeros_like(hs)
                dhs[:, -1] = d_last[:, d * H:(d + 1) * H]
            start = None if h0 is None else h0[k * nd + d]
            if cell == "rnn":
                dsrc, grads["W_xh" + s], grads["W_hh" + s], grads["b_h" + s], _ = \
                    rnn_backward(src, hs, params["W_xh" + s], params["W_hh" + s], dhs, start,
                                 lengths, nonlinearity=f)
            else:
                c_start = None if c0 is None else c0[k * nd + d]
                dsrc, grads["W_xh" + s], grads["W_hh" + s], grads["b_h" + s], \
                    grads["b_hh" + s] = _gated_backward(cell, src, hs, cs, gates,
                                                        params["W_xh" + s], params["W_hh" + s],
                                                        dhs, start, c_start, lengths)
            d_in = d_in + (dsrc if d == 0 else reverse_in_time(dsrc, lengths))
        d_out = d_in if k == 0 or masks is None else d_in * masks[k - 1]
    if wanted:
        grads["x"] = d_out if mask is None else d_out * mask[:, :, None].astype(x.dtype)
    return float(loss), grads


def head_loss(out, y, task, sample_weight=None):
    """(loss, dLoss/dout (B, O)) of the head outputs out (B, O) float64, for the
    validated targets of `rnn_loss_and_grads`."""
    B, O = out.shape
    w = np.ones(B) if sample_weight is None else sample_weight
    if task == "binary":
        z = out[:, 0]
        # log(1 + e^z) - y z, written so that no exp can overflow
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        dz = (np.exp(-np.logaddexp(0.0, -z)) - y)[:, None]
    elif task == "multiclass":
        shifted = out - out.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        losses = -log_p[np.arange(B), y]
        dz = np.exp(log_p)
        dz[np.arange(B), y] -= 1
    else:
        diff = out - y
        losses = (diff ** 2).sum(axis=1) / O
        dz = 2 * diff / O
    total = w.sum()
    return float(w @ losses / total), dz * (w / total)[:, None]


def adam_step(param, grad, m, v, rows=None, *, learning_rate=1e-3, beta1=0.9, beta2=0.999,
              eps=1e-8, step=1, grad_scale=1.0):
    """One Adam update in place, with PyTorch's bias correction.

    g = grad * grad_scale (grad_scale carries clipping); m = beta1 m + (1 - beta1) g;
    v = beta2 v + (1 - beta2) g^2; param -= learning_rate / (1 - beta1^step) * m /
    (sqrt(v) / sqrt(1 - beta2^step) + eps). param, m, v: same shape and float dtype.
    With rows (int array, no repeats), param, m and v are (V, d) tables and grad
    (len(rows), d) updates only those rows (a sparse embedding update).
    """
    param, grad, m, v, rows, learning_rate, beta1, beta2, eps, step, grad_scale = \
        checks.check_adam(param, grad, m, v, rows, learning_rate, beta1, beta2, eps, step,
                          grad_scale)
    index = slice(None) if rows is None else rows
    g = grad.astype(np.float64) * grad_scale
    m_new = beta1 * m[index] + (1 - beta1) * g
    v_new = beta2 * v[index] + (1 - beta2) * g * g
    m[index] = m_new
    v[index] = v_new
    m_new, v_new = m[index].astype(np.float64), v[index].astype(np.float64)  # as stored
    update = learning_rate / (1 - beta1 ** step) * m_new / \
        (np.sqrt(v_new) / np.sqrt(1 - beta2 ** step) + eps)
    param[index] = param[index] - update
