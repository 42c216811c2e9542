"""Compiled recurrent kernels with the signatures of `rnnfast.rnn.reference`.

Each function validates its arguments (in `rnnfast.rnn.checks`, shared with the
reference) and then makes one call into the Cython module, which releases the
GIL for the whole computation, so several threads can run kernels at once.
"""

from rnnfast.rnn import _optim, _rnn, checks, reference
from rnnfast.rnn.params import param_names

__all__ = reference.__all__


def rnn_forward(x, W_xh, W_hh, b_h, h0=None, lengths=None, *, nonlinearity="tanh"):
    x, W_xh, W_hh, b_h, h0, lengths = checks.check_forward(x, W_xh, W_hh, b_h, h0, lengths)
    relu = checks.check_architecture(1, False, nonlinearity)[2]
    # one layer, one direction: the network kernel's top outputs are the states
    return _rnn.network_forward([W_xh, W_hh, b_h], x, lengths, None if h0 is None else h0[None],
                                1, False, relu)[0]


def rnn_backward(x, hs, W_xh, W_hh, dhs, h0=None, lengths=None, *, nonlinearity="tanh"):
    args = checks.check_backward(x, hs, W_xh, W_hh, dhs, h0, lengths)
    relu = checks.check_architecture(1, False, nonlinearity)[2]
    return _rnn.backward(*args, relu)


def rnn_layers_forward(params, x, lengths=None, h0=None, *, num_layers=1, bidirectional=False,
                       nonlinearity="tanh", dropout_masks=None, cell="rnn", c0=None):
    params, x, lengths, h0, num_layers, nd, relu, masks, c0 = checks.check_layers_forward(
        params, x, lengths, h0, num_layers, bidirectional, nonlinearity, dropout_masks, cell,
        c0)
    if masks is not None:  # the forward kernel is for inference: no dropout
        raise ValueError("rnn_layers_forward's kernel runs without dropout; pass "
                         "dropout_masks=None (rnnfast.reference takes masks)")
    names = param_names(num_layers, bidirectional, cell)[:-2]
    out, h_n, c_n = _rnn.network_forward([params[k] for k in names], x, lengths, h0,
                                         num_layers, nd == 2, relu, cell, c0)
    return (out, (h_n, c_n)) if cell == "lstm" else (out, h_n)


def rnn_predict(params, x, lengths=None, h0=None, *, num_layers=1, bidirectional=False,
                nonlinearity="tanh", pooling="last", cell="rnn", c0=None):
    params, x, lengths, h0, num_layers, nd, relu, pooling, c0 = checks.check_predict(
        params, x, lengths, h0, num_layers, bidirectional, nonlinearity, pooling, cell, c0)
    names = param_names(num_layers, bidirectional, cell)
    return _rnn.network_predict([params[k] for k in names], x, lengths, h0, num_layers,
                                nd == 2, relu, pooling, False, cell, c0)


def rnn_loss_and_grads(params, x, y, lengths=None, task="binary", h0=None, *,
                       input_grad=False, sample_weight=None, num_layers=1, bidirectional=False,
                       nonlinearity="tanh", pooling="last", dropout_masks=None, cell="rnn",
                       c0=None):
    params, x, y, lengths, task, h0, sample_weight, masks, c0 = checks.check_loss(
        params, x, y, lengths, task, h0, sample_weight, num_layers, bidirectional,
        nonlinearity, pooling, dropout_masks, cell, c0)
    wanted, mask = checks.check_input_grad(input_grad, x.shape[0], x.shape[1])
    names = param_names(num_layers, bidirectional, cell)
    loss, grads, dx, _ = _rnn.loss_and_grads(
        [params[k] for k in names], x, y, lengths, task, h0, wanted, mask, sample_weight,
        num_layers, bidirectional, nonlinearity == "relu", pooling, masks, False, cell, c0)
    grads = dict(zip(names, grads))
    if wanted:
        grads["x"] = dx
    return loss, grads


def adam_step(param, grad, m, v, rows=None, *, learning_rate=1e-3, beta1=0.9, beta2=0.999,
              eps=1e-8, step=1, grad_scale=1.0):
    args = checks.check_adam(param, grad, m, v, rows, learning_rate, beta1, beta2, eps, step,
                             grad_scale)
    _optim.adam(*args)


# One home for the documentation of each function: the reference's docstring.
for _name in __all__:
    globals()[_name].__doc__ = getattr(reference, _name).__doc__
del _name
