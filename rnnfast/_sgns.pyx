"""Skip-gram negative-sampling kernels (word2vec).

Thin Cython layer over csrc/rf_sgns.c: every function takes
arrays that the Python layer (`rnnfast.word2vec`, `rnnfast.vocab`) has already
validated, and runs its loop with the GIL released.
"""

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, free

import numpy as np

from rnnfast._vocab cimport TokenTable, rf_vocab

cnp.import_array()


cdef extern from "rf_sgns.h" nogil:
    ctypedef struct rf_sgns_model:
        float *W_in
        float *W_out
        int32_t dim
        int32_t vocab_size
        int32_t negative
        int32_t window
        int32_t shrink_windows
        const uint32_t *keep_below
        const uint32_t *alias_accept
        const int32_t *alias_other
    ctypedef struct rf_sgns_stats:
        double loss
        int64_t pairs
        int64_t words
        int64_t kept
    double rf_sgns_pairs(float *W_in, float *W_out, int32_t dim, const int32_t *centers,
                         const int32_t *contexts, const int32_t *negatives, int64_t n_pairs,
                         int32_t k, float alpha, float *work)
    double rf_sgns_windows(float *W_in, float *W_out, int32_t dim, const int32_t *inputs,
                           const int64_t *input_ends, const int32_t *outputs, int64_t n_windows,
                           int32_t k1, float alpha, float *work)
    void rf_sgns_train_ids(const rf_sgns_model *m, uint64_t *rng, const int32_t *ids,
                           const int64_t *sentence_ends, int64_t n_sentences,
                           float alpha_start, float alpha_end, rf_sgns_stats *stats,
                           volatile const int *stop)
    int rf_sgns_train_file(const rf_sgns_model *m, const rf_vocab *vocab, uint64_t *rng,
                           const char *path, int64_t start, int64_t end,
                           float alpha_start, float alpha_end, rf_sgns_stats *stats,
                           volatile const int *stop)
    void rf_alias_build(const double *weights, int32_t n, uint32_t *accept, int32_t *other,
                        double *scratch, int32_t *stack)


cdef inline void *_ptr(cnp.ndarray a):
    return cnp.PyArray_DATA(a)


# One record per worker, laid out like rf_sgns_stats; the kernels add to it as
# they go, so the main thread can read progress and running loss from it.
STATS_DTYPE = np.dtype([("loss", np.float64), ("pairs", np.int64), ("words", np.int64),
                        ("kept", np.int64)])
assert STATS_DTYPE.itemsize == sizeof(rf_sgns_stats)


def sgns_pairs(cnp.ndarray W_in, cnp.ndarray W_out, cnp.ndarray centers,
               cnp.ndarray contexts, cnp.ndarray negatives, float alpha):
    """Sequential SGNS updates on explicit pairs; returns the summed loss (float64)."""
    cdef int32_t dim = W_in.shape[1]
    cdef int64_t n = centers.shape[0]
    cdef int32_t k = negatives.shape[1]
    cdef float *work = <float *>malloc(max(dim, 1) * sizeof(float))
    cdef double loss
    cdef float *w_in = <float *>_ptr(W_in)
    cdef float *w_out = <float *>_ptr(W_out)
    cdef int32_t *c = <int32_t *>_ptr(centers)
    cdef int32_t *o = <int32_t *>_ptr(contexts)
    cdef int32_t *neg = <int32_t *>_ptr(negatives)
    if work == NULL:
        raise MemoryError()
    with nogil:
        loss = rf_sgns_pairs(w_in, w_out, dim, c, o, neg, n, k, alpha, work)
    free(work)
    return loss


def sgns_windows(cnp.ndarray W_in, cnp.ndarray W_out, cnp.ndarray inputs,
                 cnp.ndarray input_ends, cnp.ndarray outputs, float alpha, int64_t max_n):
    """Shared-negative window updates; returns the summed loss (float64)."""
    cdef int32_t dim = W_in.shape[1]
    cdef int64_t n_windows = outputs.shape[0]
    cdef int32_t k1 = outputs.shape[1]
    cdef float *work = <float *>malloc(max(max_n * (k1 + dim), 1) * sizeof(float))
    cdef double loss
    cdef float *w_in = <float *>_ptr(W_in)
    cdef float *w_out = <float *>_ptr(W_out)
    cdef int32_t *ins = <int32_t *>_ptr(inputs)
    cdef int64_t *ends = <int64_t *>_ptr(input_ends)
    cdef int32_t *outs = <int32_t *>_ptr(outputs)
    if work == NULL:
        raise MemoryError()
    with nogil:
        loss = rf_sgns_windows(w_in, w_out, dim, ins, ends, outs, n_windows, k1, alpha, work)
    free(work)
    return loss


def alias_tables(cnp.ndarray weights):
    """Walker alias tables (accept: uint32, other: int32) for sampling by float64 weights."""
    cdef int32_t n = weights.shape[0]
    accept = np.zeros(n, np.uint32)
    other = np.zeros(n, np.int32)
    scratch = np.empty(n, np.float64)
    stack = np.empty(n, np.int32)
    cdef double *w = <double *>_ptr(weights)
    cdef uint32_t *a = <uint32_t *>_ptr(accept)
    cdef int32_t *o = <int32_t *>_ptr(other)
    cdef double *sc = <double *>_ptr(scratch)
    cdef int32_t *st = <int32_t *>_ptr(stack)
    with nogil:
        rf_alias_build(w, n, a, o, sc, st)
    return accept, other


cdef class SGNSModel:
    """The arrays a training pass reads and writes, gathered in one C struct."""
    cdef rf_sgns_model m
    cdef object _keep   # references that keep the arrays alive
    cdef object _accept, _other, _W_in, _W_out

    def __init__(self, cnp.ndarray W_in, cnp.ndarray W_out, cnp.ndarray keep_below,
                 cnp.ndarray alias_accept, cnp.ndarray alias_other, int negative,
                 int window, bint shrink_windows):
        self._W_in, self._W_out, self._keep = W_in, W_out, keep_below
        self._accept, self._other = alias_accept, alias_other
        self.m.W_in = <float *>_ptr(W_in)
        self.m.W_out = <float *>_ptr(W_out)
        self.m.dim = W_in.shape[1]
        self.m.vocab_size = W_in.shape[0]
        self.m.negative = negative
        self.m.window = window
        self.m.shrink_windows = shrink_windows
        self.m.keep_below = <uint32_t *>_ptr(keep_below)
        self.m.alias_accept = <uint32_t *>_ptr(alias_accept)
        self.m.alias_other = <int32_t *>_ptr(alias_other)

    def train_ids(self, cnp.ndarray ids, cnp.ndarray sentence_ends, cnp.ndarray rng_state,
                  float alpha_start, float alpha_end, cnp.ndarray stats, int slot,
                  cnp.ndarray stop):
        """Train on id sentences, adding to stats[slot] (a STATS_DTYPE record)."""
        cdef rf_sgns_stats *st = <rf_sgns_stats *>_ptr(stats) + slot
        cdef uint64_t *rng = <uint64_t *>_ptr(rng_state)
        cdef int32_t *id_ptr = <int32_t *>_ptr(ids)
        cdef int64_t *ends = <int64_t *>_ptr(sentence_ends)
        cdef int64_t n_sent = sentence_ends.shape[0]
        cdef int *stop_flag = <int *>_ptr(stop)
        with nogil:
            rf_sgns_train_ids(&self.m, rng, id_ptr, ends, n_sent, alpha_start, alpha_end,
                              st, stop_flag)

    def train_file(self, TokenTable table, path, int64_t start, int64_t end,
                   cnp.ndarray rng_state, float alpha_start, float alpha_end,
                   cnp.ndarray stats, int slot, cnp.ndarray stop):
        """Train on the lines starting in [start, end) of a file, adding to stats[slot]."""
        cdef bytes bpath = path.encode() if isinstance(path, str) else path
        cdef const char *cpath = bpath
        cdef rf_sgns_stats *st = <rf_sgns_stats *>_ptr(stats) + slot
        cdef uint64_t *rng = <uint64_t *>_ptr(rng_state)
        cdef int *stop_flag = <int *>_ptr(stop)
        cdef int rc
        with nogil:
            rc = rf_sgns_train_file(&self.m, &table.table, rng, cpath, start, end,
                                    alpha_start, alpha_end, st, stop_flag)
        if rc == -1:
            raise MemoryError("out of memory in a training worker")
        if rc == -2:
            raise OSError(f"could not read {path!r}")


from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject


def encode_sentences(list sentences, dict key_to_index):
    """Vocabulary ids of a list of token lists, unknown tokens dropped.

    Returns (ids: int32 (n_kept,), sentence_ends: int64 (n_sentences,), raw tokens).
    """
    cdef Py_ssize_t total = 0, k = 0, s = 0
    cdef object sentence, token
    cdef PyObject *found
    for sentence in sentences:
        total += len(sentence)
    ids = np.empty(total, np.int32)
    ends = np.empty(len(sentences), np.int64)
    cdef int32_t[::1] id_view = ids
    cdef int64_t[::1] end_view = ends
    for sentence in sentences:
        for token in sentence:
            found = PyDict_GetItem(key_to_index, token)
            if found != NULL:
                id_view[k] = <int32_t>(<object>found)
                k += 1
        end_view[s] = k
        s += 1
    return ids[:k], ends, total
