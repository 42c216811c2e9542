"""Plain NumPy twins of every rnnfast kernel: same names, same signatures.

Written to be read, not to be fast: each function is the textbook loop, so the
compiled kernels in `rnnfast.functional` can be checked against it. Arguments
are validated by the same code as the kernels' (`rnnfast._checks`).

Shapes are batch-first: x (B, T, D), W_xh (H, D), W_hh (H, H), b_h (H,),
h0 (B, H), lengths (B,), hs and dhs (B, T, H); float32 or float64 throughout.
"""

import collections

import numpy as np

from rnnfast import _checks

__all__ = ["rnn_forward", "rnn_backward", "rnn_layers_forward", "rnn_loss_and_grads", "sgns_train_pairs",
           "sgns_train_windows", "cbow_train_windows", "word2vec_train_windows", "adam_step", "cooccurrence", "glove_epoch"]


def rnn_forward(x, W_xh, W_hh, b_h, h0=None, lengths=None, *, nonlinearity="tanh"):
    """Hidden states hs (B, T, H) of h_t = f(x_t W_xh^T + h_{t-1} W_hh^T + b_h), f tanh
    or relu (max(0, a)).

    Past a sequence's length its state is carried unchanged, so hs[:, -1] is
    every sequence's final state.
    """
    x, W_xh, W_hh, b_h, h0, lengths = _checks.check_forward(x, W_xh, W_hh, b_h, h0, lengths)
    relu = _checks.check_architecture(1, False, nonlinearity)[2]
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
    x, hs, W_xh, W_hh, dhs, h0, lengths = _checks.check_backward(
        x, hs, W_xh, W_hh, dhs, h0, lengths)
    relu = _checks.check_architecture(1, False, nonlinearity)[2]
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
                       nonlinearity="tanh", dropout_masks=None):
    """A stack of num_layers Elman layers, each one or two directions, as torch.nn.RNN.

    params: for layer k and direction d, W_xh{s} (H, D_k), W_hh{s} (H, H), b_h{s} (H,),
    s = _checks.layer_suffix(k, d) ("", "_reverse", "_l1", "_l1_reverse", ...); D_0 = D
    and D_k = nd * H above (nd = 2 directions when bidirectional). A reverse direction
    reads each sequence backwards from its own last step. Layer k > 0 reads the
    outputs below it times dropout_masks[k - 1] (None: no dropout).
    h0: None or (num_layers * nd, B, H), index k * nd + d (a (B, H) array for one layer).
    Returns (outputs (B, T, nd * H) of the top layer: forward states then reverse ones,
    zeros past each end in the reverse half; h_n (num_layers * nd, B, H), each layer
    and direction's final state).
    """
    params, x, lengths, h0, num_layers, nd, relu, dropout_masks = _checks.check_layers_forward(
        params, x, lengths, h0, num_layers, bidirectional, nonlinearity, dropout_masks)
    layers = _layers(params, x, lengths, h0, num_layers, nd, relu, dropout_masks)
    h_n = np.stack([hs[:, -1] for _, runs in layers for _, hs in runs])
    return layers[-1][0], h_n


def _layers(params, x, lengths, h0, L, nd, relu, masks):
    """[(outputs, [(input read, hs) per direction]) per layer]."""
    f = "relu" if relu else "tanh"
    layers, inp = [], x
    for k in range(L):
        if k > 0 and masks is not None:
            inp = inp * masks[k - 1]
        runs = []
        for d in range(nd):
            s = _checks.layer_suffix(k, d)
            src = inp if d == 0 else reverse_in_time(inp, lengths)
            start = None if h0 is None else h0[k * nd + d]
            hs = rnn_forward(src, params["W_xh" + s], params["W_hh" + s], params["b_h" + s],
                             start, lengths, nonlinearity=f)
            runs.append((src, hs))
        out = runs[0][1] if nd == 1 else np.concatenate(
            [runs[0][1], reverse_in_time(runs[1][1], lengths)], axis=2)
        layers.append((out, runs))
        inp = out
    return layers


def rnn_readout(outputs, h_last, lengths, pooling):
    """One vector per sequence (B, F) from the top layer's outputs (B, T, F): the final
    states h_last (B, F) for "last", else the mean or max over the valid steps."""
    if pooling == "last":
        return h_last
    valid = (np.arange(outputs.shape[1])[None, :] < lengths[:, None])[:, :, None]
    if pooling == "mean":
        return (outputs * valid).sum(axis=1) / lengths[:, None].astype(outputs.dtype)
    return np.where(valid, outputs, -np.inf).max(axis=1).astype(outputs.dtype)


def rnn_loss_and_grads(params, x, y, lengths=None, task="binary", h0=None, *,
                       input_grad=False, sample_weight=None, num_layers=1, bidirectional=False,
                       nonlinearity="tanh", pooling="last", dropout_masks=None):
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
    layer (training-time dropout; None for none).
    Returns (loss: float, grads: dict with params' keys and shapes), plus
    grads["x"] = dLoss/dx (B, T, D) when input_grad is true. input_grad may
    also be a (B, T) bool mask: grads["x"] then holds dLoss/dx at its true
    steps and zeros elsewhere (the kernel skips the work for the others).
    """
    params, x, y, lengths, task, h0, sample_weight, masks = _checks.check_loss(
        params, x, y, lengths, task, h0, sample_weight, num_layers, bidirectional,
        nonlinearity, pooling, dropout_masks)
    wanted, mask = _checks.check_input_grad(input_grad, x.shape[0], x.shape[1])
    L, nd = num_layers, 2 if bidirectional else 1
    relu = nonlinearity == "relu"
    B, T = x.shape[:2]
    H = params["W_hh"].shape[0]
    layers = _layers(params, x, lengths, h0, L, nd, relu, masks)
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
        h_last = np.concatenate([hs[:, -1] for _, hs in top_runs], axis=1)
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
            s = _checks.layer_suffix(k, d)
            src, hs = runs[d]
            part = d_out[:, :, d * H:(d + 1) * H]
            dhs = part if d == 0 else reverse_in_time(part, lengths)
            if k == L - 1 and pooling == "last" and not task.endswith("_per_step"):
                dhs = np.zeros_like(hs)
                dhs[:, -1] = d_last[:, d * H:(d + 1) * H]
            start = None if h0 is None else h0[k * nd + d]
            dsrc, grads["W_xh" + s], grads["W_hh" + s], grads["b_h" + s], _ = rnn_backward(
                src, hs, params["W_xh" + s], params["W_hh" + s], dhs, start, lengths,
                nonlinearity=f)
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


def sgns_train_pairs(W_in, W_out, centers, contexts, negatives, alpha):
    """Skip-gram negative-sampling SGD on explicit pairs, in order, updating W_in and W_out.

    W_in, W_out: (V, d) float32, updated in place. centers, contexts: (n,) ints;
    negatives: (n, K) ints; pair i trains v = W_in[centers[i]] to score
    W_out[contexts[i]] high and each W_out[negatives[i, k]] low. Each output row
    is updated as soon as it is scored; v's update is applied after the pair.
    Returns the mean loss over the pairs, -log s(u_o.v) - sum_k log s(-u_k.v),
    each term taken before its update (float).
    """
    W_in, W_out, centers, contexts, negatives, alpha = _checks.check_sgns_pairs(
        W_in, W_out, centers, contexts, negatives, alpha)
    alpha = np.float32(alpha)
    loss = 0.0
    for center, context, negs in zip(centers, contexts, negatives):
        v = W_in[center]
        grad_v = np.zeros_like(v)
        for target, label in [(context, 1)] + [(k, 0) for k in negs]:
            u = W_out[target]
            x = float(u @ v)
            z = -x if label else x  # the loss is log(1 + e^z)
            loss += max(z, 0.0) + np.log1p(np.exp(-abs(z)))
            g = (label - 1 / (1 + np.exp(-x))) * alpha
            grad_v += np.float32(g) * u
            u += np.float32(g) * v
        v += grad_v
    return loss / len(centers) if len(centers) else 0.0


def sgns_train_windows(W_in, W_out, inputs, input_ends, outputs, alpha):
    """Skip-gram negative sampling with negatives shared across a window (Ji et al. 2016).

    This is the update `Word2Vec` training uses. Window w takes the input rows
    W_in[inputs[input_ends[w-1]:input_ends[w]]] (a center word's context words)
    and scores each against W_out[outputs[w, 0]] (the center word, label 1) and
    W_out[outputs[w, 1:]] (negatives, label 0), all with the values from before
    the window; then every row gets its gradient step (repeated rows add theirs).
    W_in, W_out: (V, d) float32, updated in place; inputs (n,), input_ends
    (n_windows,), outputs (n_windows, K+1) ints. Returns the mean loss per
    (input, center) pair, counting its K+1 terms (float).
    """
    W_in, W_out, inputs, input_ends, outputs, alpha = _checks.check_sgns_windows(
        W_in, W_out, inputs, input_ends, outputs, alpha)
    loss, begin = 0.0, 0
    labels = np.zeros(outputs.shape[1], np.float32)
    labels[0] = 1
    for end, outs in zip(input_ends, outputs):
        ins = inputs[begin:end]
        begin = end
        A, B = W_in[ins], W_out[outs]                 # copies: the values before the window
        logits = A @ B.T                              # (n, K+1)
        z = np.where(labels == 1, -logits, logits).astype(np.float64)  # loss = log(1 + e^z)
        loss += float(np.sum(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))))
        grads = ((labels - 1 / (1 + np.exp(-logits.astype(np.float64)))) * alpha).astype(np.float32)
        np.add.at(W_in, ins, grads @ B)
        np.add.at(W_out, outs, grads.T @ A)
    return loss / len(inputs) if len(inputs) else 0.0


def cbow_train_windows(W_in, W_out, inputs, input_ends, outputs, alpha, cbow_mean=True):
    """CBOW with negative sampling: the update `Word2Vec(sg=0)` training uses.

    Window w's context rows W_in[inputs[input_ends[w-1]:input_ends[w]]] are summed
    into h (averaged when cbow_mean), and h is scored against W_out[outputs[w, 0]]
    (the center word, label 1) and W_out[outputs[w, 1:]] (negatives, label 0), all
    with the values from before the window. Each output row moves by its gradient
    g_b h; each context row by the whole gradient of h, sum_b g_b W_out[b] (for the
    mean, as word2vec's C tool and gensim; divided by the window's size for the
    sum, as gensim). Windows
    without inputs are skipped. Arguments as for `sgns_train_windows`. Returns the
    mean loss per window with inputs, counting its K+1 terms (float).
    """
    W_in, W_out, inputs, input_ends, outputs, alpha = _checks.check_sgns_windows(
        W_in, W_out, inputs, input_ends, outputs, alpha)
    loss, begin, trained = 0.0, 0, 0
    labels = np.zeros(outputs.shape[1], np.float32)
    labels[0] = 1
    for end, outs in zip(input_ends, outputs):
        ins = inputs[begin:end]
        begin = end
        if not len(ins):
            continue
        h = W_in[ins].sum(axis=0, dtype=np.float32)
        if cbow_mean:
            h = h * np.float32(1 / len(ins))
        B = W_out[outs]                               # a copy: the values before the window
        logits = B @ h
        z = np.where(labels == 1, -logits, logits).astype(np.float64)
        loss += float(np.sum(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))))
        grads = ((labels - 1 / (1 + np.exp(-logits.astype(np.float64)))) * alpha).astype(np.float32)
        np.add.at(W_out, outs, grads[:, None] * h)
        np.add.at(W_in, ins, grads @ B * np.float32(1 if cbow_mean else 1 / len(ins)))
        trained += 1
    return loss / trained if trained else 0.0


def word2vec_train_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes,
                           node_ends, alpha, sg=True, cbow_mean=True):
    """The window update of every `Word2Vec` setting: skip-gram or CBOW, negative
    sampling and/or hierarchical softmax.

    Window w's context rows W_in[inputs[input_ends[w-1]:input_ends[w]]] predict its
    center: through negative sampling, scoring syn1neg[outputs[w, 0]] (the center,
    label 1) and syn1neg[outputs[w, 1:]] (noise words, label 0); through
    hierarchical softmax, scoring syn1[p] for the inner nodes p of the center's
    path nodes[node_ends[w-1]:node_ends[w]] with label 1 - code. Skip-gram scores
    each context row; CBOW their sum h (the mean with cbow_mean). All scores use
    the values from before the window; every output row moves by g h (or g v),
    each context row by its gradient (CBOW: h's whole gradient for the mean, as
    word2vec.c and gensim do; that gradient over the window's size for the sum, as
    gensim does). Give
    syn1neg = outputs = None, or syn1 = nodes = codes = node_ends = None, to leave
    a part out. W_in, syn1neg, syn1: (V, d) float32, updated in place; inputs (n,),
    input_ends (n_windows,), outputs (n_windows, K+1), nodes (m,), node_ends
    (n_windows,) ints; codes (m,) 0/1. Returns the mean loss per (context, center)
    pair for skip-gram, per window with inputs for CBOW (float).
    """
    W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes, node_ends, alpha = \
        _checks.check_w2v_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes,
                                  codes, node_ends, alpha)
    loss, begin, node_begin, trained = 0.0, 0, 0, 0
    for w, end in enumerate(input_ends):
        ins = inputs[begin:end]
        begin = end
        parts = []
        if syn1 is not None:
            path = slice(node_begin, node_ends[w])
            node_begin = node_ends[w]
            parts.append((syn1, nodes[path], 1 - codes[path].astype(np.float32)))
        if syn1neg is not None:
            labels = np.zeros(outputs.shape[1], np.float32)
            labels[0] = 1
            parts.append((syn1neg, outputs[w], labels))
        if not len(ins):
            continue
        trained += 1
        if sg:
            A = W_in[ins]                                 # a copy: the values before the window
        else:
            A = W_in[ins].sum(axis=0, dtype=np.float32)[None, :]
            if cbow_mean:
                A = A * np.float32(1 / len(ins))
        grad_A = np.zeros_like(A)
        for table, rows, labels in parts:
            B = table[rows]
            logits = A @ B.T                              # (n or 1, outputs)
            z = np.where(labels == 1, -logits, logits).astype(np.float64)  # loss = log(1 + e^z)
            loss += float(np.sum(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))))
            grads = ((labels - 1 / (1 + np.exp(-logits.astype(np.float64)))) * alpha
                     ).astype(np.float32)
            grad_A += grads @ B
            np.add.at(table, rows, grads.T @ A)
        if not sg and not cbow_mean:
            grad_A = grad_A * np.float32(1 / len(ins))
        np.add.at(W_in, ins, grad_A if sg else np.broadcast_to(grad_A, (len(ins), A.shape[1])))
    pairs = len(inputs) if sg else trained
    return loss / pairs if pairs else 0.0


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
        _checks.check_adam(param, grad, m, v, rows, learning_rate, beta1, beta2, eps, step,
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


def cooccurrence(vocab, sentences=None, corpus_file=None, window=10, symmetric=True,
                 distance_weighting=True, memory_limit=None, workers=None, tmp_dir=None):
    """Co-occurrence counts as a V x V coo_matrix (float64), counted pair by pair in a dict.

    Same meaning as rnnfast.cooccurrence (memory_limit, workers and tmp_dir are
    accepted and ignored): each line is a document, unknown tokens are dropped
    before windowing, a pair at distance d adds 1/d (or 1) to X[left, right]
    and, if symmetric, to X[right, left].
    """
    from scipy import sparse

    from rnnfast.corpus import LineSentence

    words = _checks.check_vocab_words(vocab)
    index = {w: i for i, w in enumerate(words)}
    window = _checks.check_index("window", window, low=1, high=_checks.MAX_COOC_WINDOW)
    _checks.check_one_source(sentences, corpus_file)
    if corpus_file is not None:
        sentences = LineSentence(corpus_file, max_sentence_length=2**62)
    counts = collections.defaultdict(float)
    for sentence in sentences:
        ids = [index[t] for t in sentence if t in index]
        for k, right in enumerate(ids):
            for d in range(1, min(window, k) + 1):
                left = ids[k - d]
                weight = 1.0 / d if distance_weighting else 1.0
                counts[left, right] += weight
                if symmetric:
                    counts[right, left] += weight
    V = len(words)
    if not counts:
        return sparse.coo_matrix((V, V))
    (rows, cols), values = zip(*counts.keys()), list(counts.values())
    return sparse.coo_matrix((values, (rows, cols)), shape=(V, V))


def glove_epoch(state, rows, cols, counts, order, x_max=100.0, alpha=0.75, learning_rate=0.05,
                clip=100.0):
    """One GloVe epoch of AdaGrad updates over the pairs in `order`, in place.

    state: dict of float32 arrays W, W_ctx (V, d), b, b_ctx (V,) and their
    squared-gradient sums G_W, G_ctx, G_b, G_bctx (same shapes, start at 1).
    Pair p = (rows[p], cols[p]) with count X = counts[p] > 0 has the loss
    f(X) (w_i.c_j + b_i + bc_j - log X)^2 / 2 with f(X) = min(1, (X / x_max)^alpha).
    AdaGrad as GloVe's C code does it: each gradient g is first scaled, s = learning_rate
    * g, and clipped to [-clip, clip]; the parameter moves by s / sqrt(G) with G the
    sum of earlier s^2 (from 1), then G += s^2. Biases are treated the same way, so
    their steps carry the learning rate too (GloVe's current C code does not scale
    its bias steps by the learning rate; rnnfast's choice).
    A pair whose score is not finite is skipped. Returns (cost, skipped): the
    summed loss of the updated pairs (float) and the number skipped.
    """
    state, rows, cols, counts, order, x_max, alpha, learning_rate = _checks.check_glove_epoch(
        state, rows, cols, counts, order, x_max, alpha, learning_rate)
    W, C, b, bc = state["W"], state["W_ctx"], state["b"], state["b_ctx"]
    GW, GC, Gb, Gbc = state["G_W"], state["G_ctx"], state["G_b"], state["G_bctx"]
    log_x = np.log(counts).astype(np.float32)
    weight = np.minimum(1.0, (counts / x_max) ** alpha).astype(np.float32)
    lr, clip = np.float32(learning_rate), np.float32(clip)
    cost, skipped = 0.0, 0
    for p in order:
        i, j = rows[p], cols[p]
        diff = np.float32(W[i] @ C[j] + b[i] + bc[j] - log_x[p])
        fdiff = weight[p] * diff
        if not np.isfinite(fdiff):
            skipped += 1
            continue
        cost += 0.5 * float(fdiff) * float(diff)
        step = lr * fdiff
        g_w = np.clip(step * C[j], -clip, clip)
        g_c = np.clip(step * W[i], -clip, clip)
        W[i] -= g_w / np.sqrt(GW[i])
        C[j] -= g_c / np.sqrt(GC[j])
        GW[i] += g_w * g_w
        GC[j] += g_c * g_c
        b[i] -= step / np.sqrt(Gb[i])
        bc[j] -= step / np.sqrt(Gbc[j])
        Gb[i] += step * step
        Gbc[j] += step * step
    return cost, skipped
