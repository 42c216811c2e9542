"""Compiled RNN kernels with the signatures of `rnnfast.reference`.

Each function validates its arguments (in `rnnfast._checks`, shared with the
reference) and then makes one call into the Cython module, which releases the
GIL for the whole computation, so several threads can run kernels at once.
"""

import numpy as np

from rnnfast import _checks, _glove, _optim, _rnn, _sgns, reference

__all__ = ["rnn_forward", "rnn_backward", "rnn_layers_forward", "rnn_loss_and_grads", "sgns_train_pairs",
           "sgns_train_windows", "cbow_train_windows", "word2vec_train_windows", "adam_step", "cooccurrence", "glove_epoch"]


def rnn_forward(x, W_xh, W_hh, b_h, h0=None, lengths=None, *, nonlinearity="tanh"):
    x, W_xh, W_hh, b_h, h0, lengths = _checks.check_forward(x, W_xh, W_hh, b_h, h0, lengths)
    relu = _checks.check_architecture(1, False, nonlinearity)[2]
    return _rnn.forward(x, W_xh, W_hh, b_h, h0, lengths, relu)


def rnn_backward(x, hs, W_xh, W_hh, dhs, h0=None, lengths=None, *, nonlinearity="tanh"):
    args = _checks.check_backward(x, hs, W_xh, W_hh, dhs, h0, lengths)
    relu = _checks.check_architecture(1, False, nonlinearity)[2]
    return _rnn.backward(*args, relu)


def rnn_layers_forward(params, x, lengths=None, h0=None, *, num_layers=1, bidirectional=False,
                       nonlinearity="tanh", dropout_masks=None):
    params, x, lengths, h0, num_layers, nd, relu, masks = _checks.check_layers_forward(
        params, x, lengths, h0, num_layers, bidirectional, nonlinearity, dropout_masks)
    if masks is not None:  # the forward kernel is for inference: no dropout
        raise ValueError("rnn_layers_forward's kernel runs without dropout; pass "
                         "dropout_masks=None (rnnfast.reference takes masks)")
    names = _checks.param_names(num_layers, bidirectional)[:-2]
    return _rnn.network_forward([params[k] for k in names], x, lengths, h0, num_layers,
                                nd == 2, relu)


def rnn_loss_and_grads(params, x, y, lengths=None, task="binary", h0=None, *,
                       input_grad=False, sample_weight=None, num_layers=1, bidirectional=False,
                       nonlinearity="tanh", pooling="last", dropout_masks=None):
    params, x, y, lengths, task, h0, sample_weight, masks = _checks.check_loss(
        params, x, y, lengths, task, h0, sample_weight, num_layers, bidirectional,
        nonlinearity, pooling, dropout_masks)
    wanted, mask = _checks.check_input_grad(input_grad, x.shape[0], x.shape[1])
    names = _checks.param_names(num_layers, bidirectional)
    loss, grads, dx, _ = _rnn.loss_and_grads(
        [params[k] for k in names], x, y, lengths, task, h0, wanted, mask, sample_weight,
        num_layers, bidirectional, nonlinearity == "relu", pooling, masks)
    grads = dict(zip(names, grads))
    if wanted:
        grads["x"] = dx
    return loss, grads


def sgns_train_pairs(W_in, W_out, centers, contexts, negatives, alpha):
    W_in, W_out, centers, contexts, negatives, alpha = _checks.check_sgns_pairs(
        W_in, W_out, centers, contexts, negatives, alpha)
    n = len(centers)
    return _sgns.sgns_pairs(W_in, W_out, centers, contexts, negatives, alpha) / n if n else 0.0


def sgns_train_windows(W_in, W_out, inputs, input_ends, outputs, alpha):
    checked = _checks.check_sgns_windows(W_in, W_out, inputs, input_ends, outputs, alpha)
    return _windows(*checked[:2], None, *checked[2:5], None, None, None, checked[5], True, True)


def cbow_train_windows(W_in, W_out, inputs, input_ends, outputs, alpha, cbow_mean=True):
    checked = _checks.check_sgns_windows(W_in, W_out, inputs, input_ends, outputs, alpha)
    return _windows(*checked[:2], None, *checked[2:5], None, None, None, checked[5], False,
                    cbow_mean)


def word2vec_train_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes,
                           node_ends, alpha, sg=True, cbow_mean=True):
    return _windows(*_checks.check_w2v_windows(W_in, syn1neg, syn1, inputs, input_ends,
                                               outputs, nodes, codes, node_ends, alpha),
                    sg, cbow_mean)


def _windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes, node_ends, alpha,
             sg, cbow_mean):
    """The kernel on validated windows, its loss averaged as the reference does."""
    loss = _sgns.train_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes,
                               node_ends, alpha, not sg, bool(cbow_mean))
    pairs = len(inputs) if sg else int(np.count_nonzero(np.diff(input_ends, prepend=0)))
    return loss / pairs if pairs else 0.0


def adam_step(param, grad, m, v, rows=None, *, learning_rate=1e-3, beta1=0.9, beta2=0.999,
              eps=1e-8, step=1, grad_scale=1.0):
    args = _checks.check_adam(param, grad, m, v, rows, learning_rate, beta1, beta2, eps, step,
                              grad_scale)
    _optim.adam(*args)


def cooccurrence(vocab, sentences=None, corpus_file=None, window=10, symmetric=True,
                 distance_weighting=True, memory_limit=None, workers=None, tmp_dir=None):
    from rnnfast.cooccur import cooccurrence as count
    return count(vocab, sentences, corpus_file, window, symmetric, distance_weighting,
                 memory_limit, workers, tmp_dir)


def glove_epoch(state, rows, cols, counts, order, x_max=100.0, alpha=0.75, learning_rate=0.05,
                clip=100.0):
    state, rows, cols, counts, order, x_max, alpha, learning_rate = _checks.check_glove_epoch(
        state, rows, cols, counts, order, x_max, alpha, learning_rate)
    pairs = glove_pairs(rows, cols, counts, x_max, alpha)
    return _glove.glove_epoch(*(state[k] for k in _checks.GLOVE_STATE), pairs, order, 0,
                              len(order), learning_rate, clip)


def glove_pairs(rows, cols, counts, x_max, alpha):
    """The training records (row, col, log X, f(X)) the GloVe kernel reads, computed once."""
    counts = np.asarray(counts, dtype=np.float64)
    pairs = np.empty(len(counts), dtype=_glove.PAIR_DTYPE)
    pairs["row"], pairs["col"] = rows, cols
    pairs["log_x"] = np.log(counts)
    pairs["weight"] = np.minimum(1.0, (counts / x_max) ** alpha)
    return pairs


# One home for the documentation of each function: the reference's docstring.
for _name in __all__:
    globals()[_name].__doc__ = getattr(reference, _name).__doc__
del _name
