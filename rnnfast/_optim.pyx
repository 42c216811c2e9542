"""Adam's update as one pass over the arrays (csrc/rf_loops.c), without the GIL."""

cimport numpy as cnp
from libc.math cimport sqrt

from rnnfast._blas cimport floating

cnp.import_array()


cdef extern from "rf_loops.h" nogil:
    void rf_adam_f(float *p, const float *g, float *m, float *v, Py_ssize_t n, double lr_hat,
                   double b1, double b2, double eps, double root_c2, double scale)
    void rf_adam_d(double *p, const double *g, double *m, double *v, Py_ssize_t n,
                   double lr_hat, double b1, double b2, double eps, double root_c2,
                   double scale)


cdef inline void _adam(floating *p, const floating *g, floating *m, floating *v, Py_ssize_t n,
                       double lr_hat, double b1, double b2, double eps, double root_c2,
                       double scale) noexcept nogil:
    if floating is float:
        rf_adam_f(p, g, m, v, n, lr_hat, b1, b2, eps, root_c2, scale)
    else:
        rf_adam_d(p, g, m, v, n, lr_hat, b1, b2, eps, root_c2, scale)


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
            _adam(p, g, mp, vp, cnp.PyArray_SIZE(param), lr_hat, b1, b2, eps, root_c2, scale)
        return
    width = cnp.PyArray_DIM(param, 1)
    n_rows = cnp.PyArray_DIM(rows, 0)
    row_ids = <const long long *>cnp.PyArray_DATA(rows)
    with nogil:
        for r in range(n_rows):
            off = row_ids[r] * width
            _adam(p + off, g + r * width, mp + off, vp + off, width, lr_hat, b1, b2, eps,
                  root_c2, scale)


def adam(param, grad, m, v, rows, double learning_rate, double beta1, double beta2,
         double eps, long step, double grad_scale):
    """Kernel behind functional.adam_step; arguments already validated."""
    lr_hat = learning_rate / (1 - beta1 ** step)
    root_c2 = sqrt(1 - beta2 ** step)
    if param.dtype == np.float32:
        _adam_entry[float](NULL, param, grad, m, v, rows, lr_hat, beta1, beta2, eps, root_c2,
                           grad_scale)
    else:
        _adam_entry[double](NULL, param, grad, m, v, rows, lr_hat, beta1, beta2, eps, root_c2,
                            grad_scale)


import numpy as np
