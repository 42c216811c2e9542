"""Adam's update as one pass over the arrays (csrc/rf_loops.c), without the GIL."""

cimport numpy as cnp
from libc.math cimport sqrt

from rnnfast.rnn._blas cimport adam_loop, floating

cnp.import_array()


cdef void _adam_entry(floating *dummy, cnp.ndarray param, cnp.ndarray grad, cnp.ndarray m,
                      cnp.ndarray v, cnp.ndarray rows, double lr_hat, double b1, double b2,
                      double eps, double root_c2, double scale):
    cdef floating *p = <floating *>cnp.PyArray_DATA(param)
    cdef const floating *g = <const floating *>cnp.PyArray_DATA(grad)
    cdef floating *mp = <floating *>cnp.PyArray_DATA(m)
    cdef floating *vp = <floating *>cnp.PyArray_DATA(v)
    cdef Py_ssize_t width, r, n_rows, off
    cdef const long long *row_ids
    if rows is None:
        with nogil:
            adam_loop(p, g, mp, vp, cnp.PyArray_SIZE(param), lr_hat, b1, b2, eps, root_c2, scale)
        return
    width = cnp.PyArray_DIM(param, 1)
    n_rows = cnp.PyArray_DIM(rows, 0)
    row_ids = <const long long *>cnp.PyArray_DATA(rows)
    with nogil:
        for r in range(n_rows):
            off = row_ids[r] * width
            adam_loop(p + off, g + r * width, mp + off, vp + off, width, lr_hat, b1, b2, eps,
                      root_c2, scale)


def adam(param, grad, m, v, rows, double learning_rate, double beta1, double beta2,
         double eps, long step, double grad_scale):
    """Kernel behind functional.adam_step; values already validated. Checks, in O(1)
    but for the rows' range, every layout it relies on."""
    if not isinstance(param, np.ndarray) or param.dtype not in (np.float32, np.float64):
        raise TypeError("param must be a float32 or float64 array")
    for name, a in (("param", param), ("grad", grad), ("m", m), ("v", v)):
        if not isinstance(a, np.ndarray) or a.dtype != param.dtype or \
                not a.flags.c_contiguous or (name != "grad" and a.shape != param.shape):
            raise TypeError(f"{name} must be a C-contiguous {param.dtype} array shaped "
                            f"like param")
    if not (param.flags.writeable and m.flags.writeable and v.flags.writeable):
        raise ValueError("param, m and v must be writeable (they are updated in place)")
    if rows is None:
        if grad.shape != param.shape:
            raise ValueError(f"grad must have param's shape {param.shape}, got {grad.shape}")
    elif not isinstance(rows, np.ndarray) or rows.dtype != np.int64 or rows.ndim != 1 or \
            not rows.flags.c_contiguous or param.ndim != 2 or \
            grad.shape != (len(rows), param.shape[1]) or \
            (len(rows) and (rows.min() < 0 or rows.max() >= param.shape[0])):
        raise ValueError("rows must be C-contiguous int64 ids of param's rows, with grad "
                         "(len(rows), param.shape[1])")
    lr_hat = learning_rate / (1 - beta1 ** step)
    root_c2 = sqrt(1 - beta2 ** step)
    if param.dtype == np.float32:
        _adam_entry[float](NULL, param, grad, m, v, rows, lr_hat, beta1, beta2, eps, root_c2,
                           grad_scale)
    else:
        _adam_entry[double](NULL, param, grad, m, v, rows, lr_hat, beta1, beta2, eps, root_c2,
                            grad_scale)


import numpy as np
