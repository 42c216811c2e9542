"""Array helpers that must be fast on small arrays (numpy's cost ~1 us per call or more)."""

cimport numpy as cnp
from rnnfast.rnn._blas cimport floating

import numpy as np

cnp.import_array()


cdef void _sum_sorted(const floating *values, const Py_ssize_t *ids, const Py_ssize_t *order,
                      const Py_ssize_t *at, Py_ssize_t n, Py_ssize_t d, floating *sums,
                      Py_ssize_t *rows) noexcept nogil:
    cdef Py_ssize_t i, j, k = -1, src
    cdef const floating *row
    cdef floating *out = sums
    for i in range(n):
        src = order[i]
        row = values + (src if at == NULL else at[src]) * d
        if k < 0 or ids[src] != rows[k]:
            k += 1
            rows[k] = ids[src]
            out = sums + k * d
            for j in range(d):
                out[j] = row[j]
        else:
            for j in range(d):
                out[j] += row[j]


def sum_rows_by_id(ids, values, at=None):
    """Rows of `values` added up per id: (unique ids (k,) intp ascending, sums (k, d)).

    ids: (n,) intp; values: C-contiguous float32 or float64 (m, d), with m = n unless
    `at` (n,) intp picks the row of values that goes with each id (values[at[i]]).
    Rows with the same id are added in their order in `ids`."""
    cdef cnp.ndarray id_arr = np.ascontiguousarray(ids, dtype=np.intp)
    cdef cnp.ndarray vals = np.ascontiguousarray(values)
    cdef cnp.ndarray at_arr = None if at is None else np.ascontiguousarray(at, dtype=np.intp)
    if vals.ndim != 2 or id_arr.ndim != 1 or (at is None and vals.shape[0] != id_arr.shape[0]) \
            or (at is not None and at_arr.shape[0] != id_arr.shape[0]):
        raise ValueError(f"sum_rows_by_id needs ids (n,), values (n, d) or (m, d) with at "
                         f"(n,), got {np.shape(ids)}, {np.shape(values)}, {np.shape(at)}")
    if at is not None and len(at_arr) and (at_arr.min() < 0 or at_arr.max() >= vals.shape[0]):
        raise ValueError(f"sum_rows_by_id: at must lie in 0..{vals.shape[0] - 1}")
    cdef cnp.ndarray order = np.argsort(id_arr, kind="stable").astype(np.intp, copy=False)
    cdef Py_ssize_t n = id_arr.shape[0], d = vals.shape[1]
    cdef Py_ssize_t k = 0 if n == 0 else int(np.count_nonzero(np.diff(id_arr[order]))) + 1
    cdef cnp.ndarray rows = np.empty(k, dtype=np.intp)
    cdef cnp.ndarray sums = np.empty((k, d), dtype=vals.dtype)
    cdef const Py_ssize_t *ip = <const Py_ssize_t *>cnp.PyArray_DATA(id_arr)
    cdef const Py_ssize_t *op = <const Py_ssize_t *>cnp.PyArray_DATA(order)
    cdef const Py_ssize_t *ap = NULL if at is None else \
        <const Py_ssize_t *>cnp.PyArray_DATA(at_arr)
    cdef Py_ssize_t *rp = <Py_ssize_t *>cnp.PyArray_DATA(rows)
    if vals.dtype == np.float32:
        with nogil:
            _sum_sorted(<const float *>cnp.PyArray_DATA(vals), ip, op, ap, n, d,
                        <float *>cnp.PyArray_DATA(sums), rp)
    elif vals.dtype == np.float64:
        with nogil:
            _sum_sorted(<const double *>cnp.PyArray_DATA(vals), ip, op, ap, n, d,
                        <double *>cnp.PyArray_DATA(sums), rp)
    else:
        raise TypeError(f"sum_rows_by_id takes float32 or float64 values, got {vals.dtype}")
    return rows, sums
