"""Optimisers of the RNN estimators: SGD and Adam, each one object with one `step`.

`step(updates, scale)` takes a list of (name, param, grad, rows): param is updated
in place by grad * scale (scale: the clipping factor); rows is None for a dense
update, or the int64 row ids of a table whose rows `grad` holds (a sparse
embedding gradient: only those rows move, and Adam's moments are lazy, as
PyTorch's SparseAdam). Arguments are checked on the first step of each
parameter; later steps pass the kernel's fresh gradients straight to the
compiled update.
"""

import numpy as np

from rnnfast.rnn import _optim, checks

__all__ = ["SGD", "Adam", "make_optimizer"]


class SGD:
    """Plain gradient descent: param -= learning_rate * scale * grad."""

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate

    def step(self, updates, scale=1.0):
        """Move each parameter against its gradient, in place: updates is a list of
        (name, param, grad, rows) with rows None (the whole array) or the row indices
        grad's rows belong to (a sparse embedding update); the step is learning_rate *
        scale * grad."""
        lr = self.learning_rate * scale
        for _, param, grad, rows in updates:
            if rows is None:
                param -= lr * grad
            else:
                param[rows] -= lr * grad


class Adam:
    """Adam (Kingma and Ba, 2015) with bias correction; the update is `functional.adam_step`."""

    def __init__(self, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate = learning_rate
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.moments = {}  # name -> (m, v)

    def step(self, updates, scale=1.0):
        """One Adam step for each (name, param, grad, rows) of updates, in place (rows:
        None, or the rows grad covers, whose moments alone move: lazy Adam); the moments
        are kept per name. scale multiplies the gradients first (e.g. for clipping)."""
        self.t += 1
        for name, param, grad, rows in updates:
            if name not in self.moments:
                self.moments[name] = (np.zeros_like(param), np.zeros_like(param))
                checks.check_adam(param, grad, *self.moments[name], rows, self.learning_rate,
                                  self.beta1, self.beta2, self.eps, self.t, scale)
            m, v = self.moments[name]
            _optim.adam(param, grad, m, v, rows, self.learning_rate, self.beta1, self.beta2,
                        self.eps, self.t, scale)


def make_optimizer(name, learning_rate):
    """The optimiser called `name` ("adam" or "sgd")."""
    if name == "adam":
        return Adam(learning_rate)
    if name == "sgd":
        return SGD(learning_rate)
    raise ValueError(f"optimizer must be 'adam' or 'sgd', got {name!r}")
