"""Negative-sampling kernels of word2vec (skip-gram and CBOW).

Thin Cython layer over csrc/rf_sgns.c: every function takes
arrays that the Python layer (`rnnfast.word2vec`, `rnnfast.vocab`) has already
validated, and runs its loop with the GIL released.
"""

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, free

import numpy as np

from rnnfast._vocab import check_read
from rnnfast._buffers cimport record_ptr
from rnnfast._vocab cimport TokenTable

cnp.import_array()


# One record per worker, laid out like rf_sgns_stats; the kernels add to it as
# they go, so the main thread can read progress and running loss from it.
STATS_DTYPE = np.dtype([("loss", np.float64), ("pairs", np.int64), ("words", np.int64),
                        ("kept", np.int64)])
assert STATS_DTYPE.itemsize == sizeof(rf_sgns_stats)


def sgns_pairs(float[:, ::1] W_in, float[:, ::1] W_out, const int32_t[::1] centers,
               const int32_t[::1] contexts, const int32_t[:, ::1] negatives, float alpha):
    """Sequential SGNS updates on explicit pairs; returns the summed loss (float64)."""
    cdef int32_t dim = W_in.shape[1]
    cdef int64_t n = centers.shape[0]
    cdef int32_t k = negatives.shape[1]
    if n == 0:
        return 0.0
    cdef float *work = <float *>malloc(max(dim, 1) * sizeof(float))
    cdef double loss
    if work == NULL:
        raise MemoryError()
    with nogil:
        loss = rf_sgns_pairs(&W_in[0, 0], &W_out[0, 0], dim, &centers[0], &contexts[0],
                             &negatives[0, 0] if k else NULL, n, k, alpha, work)
    free(work)
    return loss


def sgns_windows(float[:, ::1] W_in, float[:, ::1] W_out, const int32_t[::1] inputs,
                 const int64_t[::1] input_ends, const int32_t[:, ::1] outputs, float alpha,
                 int64_t max_n):
    """Shared-negative window updates; returns the summed loss (float64)."""
    cdef int32_t dim = W_in.shape[1]
    cdef int64_t n_windows = outputs.shape[0]
    cdef int32_t k1 = outputs.shape[1]
    if inputs.shape[0] == 0:
        return 0.0
    cdef float *work = <float *>malloc(max(max_n * (k1 + dim), 1) * sizeof(float))
    cdef double loss
    if work == NULL:
        raise MemoryError()
    with nogil:
        loss = rf_sgns_windows(&W_in[0, 0], &W_out[0, 0], dim, &inputs[0], &input_ends[0],
                               &outputs[0, 0], n_windows, k1, alpha, work)
    free(work)
    return loss


def cbow_windows(float[:, ::1] W_in, float[:, ::1] W_out, const int32_t[::1] inputs,
                 const int64_t[::1] input_ends, const int32_t[:, ::1] outputs, float alpha,
                 bint mean):
    """CBOW window updates; returns the summed loss (float64)."""
    cdef int32_t dim = W_in.shape[1]
    cdef int64_t n_windows = outputs.shape[0]
    cdef int32_t k1 = outputs.shape[1]
    if inputs.shape[0] == 0:
        return 0.0
    cdef float *work = <float *>malloc((k1 + 2 * dim) * sizeof(float))
    cdef double loss
    if work == NULL:
        raise MemoryError()
    with nogil:
        loss = rf_cbow_windows(&W_in[0, 0], &W_out[0, 0], dim, &inputs[0], &input_ends[0],
                               &outputs[0, 0], n_windows, k1, alpha, mean, work)
    free(work)
    return loss


def alias_tables(const double[::1] weights):
    """Walker alias tables (accept: uint32, other: int32) for sampling by float64 weights."""
    cdef int32_t n = weights.shape[0]
    accept = np.zeros(n, np.uint32)
    other = np.zeros(n, np.int32)
    if n == 0:
        return accept, other
    cdef double[::1] scratch = np.empty(n, np.float64)
    cdef int32_t[::1] stack = np.empty(n, np.int32)
    cdef uint32_t[::1] a = accept
    cdef int32_t[::1] o = other
    with nogil:
        rf_alias_build(&weights[0], n, &a[0], &o[0], &scratch[0], &stack[0])
    return accept, other


cdef class SGNSModel:
    """The arrays a training pass reads and writes, gathered in one C struct.

    W_in, W_out: (V, d) float32, updated in place; keep_below, alias_accept: (V,)
    uint32; alias_other: (V,) int32 in 0..V-1; 1 <= negative < RF_MAX_WINDOW_ROWS and
    1 <= window <= RF_MAX_WINDOW_ROWS / 2 (the kernel's fixed-size window tables)."""

    def __init__(self, float[:, ::1] W_in, float[:, ::1] W_out, const uint32_t[::1] keep_below,
                 const uint32_t[::1] alias_accept, const int32_t[::1] alias_other,
                 int negative, int window, bint shrink_windows, bint cbow=False,
                 bint cbow_mean=True):
        cdef Py_ssize_t V = W_in.shape[0]
        if W_out.shape[0] != V or W_out.shape[1] != W_in.shape[1] or V == 0 or \
                keep_below.shape[0] != V or alias_accept.shape[0] != V or \
                alias_other.shape[0] != V:
            raise ValueError("SGNSModel: W_in, W_out (V, d) and the (V,) tables must agree, "
                             f"got V = {V}, W_out ({W_out.shape[0]}, {W_out.shape[1]}), tables "
                             f"{keep_below.shape[0]}, {alias_accept.shape[0]}, "
                             f"{alias_other.shape[0]}")
        if not (1 <= negative < RF_MAX_WINDOW_ROWS and 1 <= window <= RF_MAX_WINDOW_ROWS // 2):
            raise ValueError(f"SGNSModel: negative must be in 1..{RF_MAX_WINDOW_ROWS - 1} and "
                             f"window in 1..{RF_MAX_WINDOW_ROWS // 2}")
        other = np.asarray(alias_other)
        if other.min() < 0 or other.max() >= V:
            raise ValueError(f"SGNSModel: alias_other must lie in 0..{V - 1}")
        self._arrays = (W_in, W_out, keep_below, alias_accept, alias_other)
        rf_sgns_model_init(&self.m, &W_in[0, 0], &W_out[0, 0], V, W_in.shape[1], negative,
                           window, shrink_windows, cbow, cbow_mean, &keep_below[0],
                           &alias_accept[0], &alias_other[0])

    def train_ids(self, const int32_t[::1] ids, const int64_t[::1] sentence_ends,
                  const int64_t[::1] raw_ends, uint64_t[::1] rng_state, float alpha_start,
                  float alpha_end, int64_t words_before, int64_t words_total, stats,
                  int slot, int[::1] stop):
        """Train on id sentences (ids in 0..V-1, checked by the caller), adding to
        stats[slot] (a STATS_DTYPE record); the learning rate follows the raw words."""
        cdef rf_sgns_stats *st = <rf_sgns_stats *>record_ptr(stats, STATS_DTYPE, "stats", True)
        cdef int64_t n_sent = sentence_ends.shape[0]
        if not 0 <= slot < len(stats) or raw_ends.shape[0] != n_sent:
            raise ValueError("train_ids: slot outside stats, or raw_ends and sentence_ends "
                             "differ in length")
        if n_sent == 0:
            return
        if sentence_ends[n_sent - 1] > ids.shape[0]:
            raise ValueError("train_ids: sentence_ends run past ids")
        cdef const int32_t *id_ptr = &ids[0] if ids.shape[0] else NULL
        with nogil:
            rf_sgns_train_ids(&self.m, &rng_state[0], id_ptr, &sentence_ends[0], &raw_ends[0],
                              n_sent, alpha_start, alpha_end, words_before, words_total,
                              st + slot, &stop[0])

    def train_file(self, TokenTable table, bytes path, int64_t start, int64_t end,
                   uint64_t[::1] rng_state, float alpha_start, float alpha_end,
                   int64_t words_total, stats, int slot, int[::1] stop):
        """Train on the lines starting in [start, end) of a file, adding to stats[slot]."""
        cdef const char *cpath = path
        cdef rf_sgns_stats *st = <rf_sgns_stats *>record_ptr(stats, STATS_DTYPE, "stats", True)
        cdef int rc
        if not 0 <= slot < len(stats):
            raise ValueError("train_file: slot outside stats")
        with nogil:
            rc = rf_sgns_train_file(&self.m, &table.table, &rng_state[0], cpath, start, end,
                                    alpha_start, alpha_end, words_total, st + slot, &stop[0])
        if rc == -1:
            raise MemoryError("out of memory in a training worker")
        check_read(rc, path)
