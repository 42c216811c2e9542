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


ctypedef fused source_t:
    float
    double

ctypedef fused batch_t:
    float
    double


cdef void _gather_scaled(const source_t *seqs, const Py_ssize_t *index, Py_ssize_t B,
                         Py_ssize_t row, Py_ssize_t D, const double *mean,
                         const double *scale, batch_t *out) noexcept nogil:
    cdef Py_ssize_t b, i, j, t
    cdef const source_t *src
    cdef batch_t *dst
    cdef double v
    for b in range(B):
        src = seqs + index[b] * row
        dst = out + b * row
        for t in range(row // D):
            i = t * D
            for j in range(D):
                v = <double>src[i + j]
                if mean != NULL:
                    v = (v - mean[j]) / scale[j]
                dst[i + j] = <batch_t>v


def gather_scaled(cnp.ndarray seqs, cnp.ndarray index, scaling, dtype):
    """seqs[index], standardised ((x - mean) / scale in float64, per feature, with
    `scaling` (mean (D,), scale (D,)) float64, or None) and cast to `dtype`: a new
    C-contiguous (B, T, D) array, the values numpy's astype(float64), subtract, divide
    and astype(dtype) would give, in one pass. seqs: C-contiguous aligned (n, T, D)
    float32 or float64; index (B,) intp of rows in 0..n-1 (the caller's own). None
    for arrays of any other kind, which the caller batches with numpy."""
    cdef int kind = cnp.PyArray_TYPE(seqs)
    cdef cnp.dtype out_dtype = np.dtype(dtype)
    if seqs.ndim != 3 or not cnp.PyArray_IS_C_CONTIGUOUS(seqs) or \
            not cnp.PyArray_ISALIGNED(seqs) or kind not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64) \
            or out_dtype.type_num not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64) or \
            index.ndim != 1 or cnp.PyArray_TYPE(index) != cnp.NPY_INTP or \
            not cnp.PyArray_IS_C_CONTIGUOUS(index):
        return None
    cdef Py_ssize_t B = index.shape[0], T = seqs.shape[1], D = seqs.shape[2]
    cdef cnp.ndarray mean = None, scale = None
    if scaling is not None:
        mean = np.ascontiguousarray(scaling[0], dtype=np.float64)
        scale = np.ascontiguousarray(scaling[1], dtype=np.float64)
        if mean.ndim != 1 or scale.ndim != 1 or mean.shape[0] != D or scale.shape[0] != D:
            return None
    cdef const double *m = NULL if mean is None else <const double *>cnp.PyArray_DATA(mean)
    cdef const double *s = NULL if scale is None else <const double *>cnp.PyArray_DATA(scale)
    cdef const Py_ssize_t *ip = <const Py_ssize_t *>cnp.PyArray_DATA(index)
    cdef Py_ssize_t b
    for b in range(B):
        if ip[b] < 0 or ip[b] >= seqs.shape[0]:
            raise IndexError(f"gather_scaled: row {ip[b]} of {seqs.shape[0]}")
    cdef cnp.ndarray out = np.empty((B, T, D), dtype=out_dtype)
    cdef void *src = cnp.PyArray_DATA(seqs)
    cdef void *dst = cnp.PyArray_DATA(out)
    cdef Py_ssize_t row = T * D
    with nogil:
        if kind == cnp.NPY_FLOAT32:
            if out_dtype.type_num == cnp.NPY_FLOAT32:
                _gather_scaled(<const float *>src, ip, B, row, D, m, s, <float *>dst)
            else:
                _gather_scaled(<const float *>src, ip, B, row, D, m, s, <double *>dst)
        else:
            if out_dtype.type_num == cnp.NPY_FLOAT32:
                _gather_scaled(<const double *>src, ip, B, row, D, m, s, <float *>dst)
            else:
                _gather_scaled(<const double *>src, ip, B, row, D, m, s, <double *>dst)
    return out
