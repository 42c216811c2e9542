"""GloVe kernels: co-occurrence counting state per worker, and AdaGrad epochs.

Thin Cython layer over csrc/rf_glove.c; the Python layer (`rnnfast.cooccur`,
`rnnfast.glove`) validates arguments, plans memory and runs the threads.
"""

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t

from rnnfast._vocab cimport TokenTable, rf_vocab, rf_reader, rf_reader_open, rf_reader_close

import numpy as np

cnp.import_array()


cdef extern from "rf_glove.h" nogil:
    ctypedef struct rf_cooc:
        int32_t window, symmetric, distance_weighting, vocab_size
        int64_t max_product
        int32_t dense_rows
        const int64_t *dense_offset
        double *dense
        int64_t *keys
        double *values
        int64_t capacity, length
        int32_t *history
        int64_t history_len
        int64_t tokens
        int64_t sentence, position
    int64_t rf_sort_combine(int64_t *keys, double *values, int64_t n, int64_t *tmp_keys,
                            double *tmp_values, int key_bits)
    int rf_cooc_ids(rf_cooc *c, const int32_t *ids, const int64_t *ends, int64_t n_sentences)
    int rf_cooc_file(rf_cooc *c, rf_reader *r, const rf_vocab *vocab)
    ctypedef struct rf_glove_pair:
        int32_t row, col
        float log_x, weight
    void rf_glove_epoch(float *W, float *C, float *b, float *bc, float *GW, float *GC,
                        float *Gb, float *Gbc, int32_t dim, const rf_glove_pair *pairs,
                        const int64_t *order, int64_t start, int64_t end, float learning_rate,
                        float clip, double *cost, int64_t *skipped, float *work)


cdef inline void *_ptr(cnp.ndarray a):
    return cnp.PyArray_DATA(a)


cdef class CoocCounter:
    """One worker's counting state: dense table, record buffer, window, and file reader."""
    cdef rf_cooc c
    cdef rf_reader reader
    cdef bint reader_open
    cdef readonly object dense
    cdef object _offsets, _keys, _values, _history, _path, _tmp_keys, _tmp_values

    def __init__(self, int vocab_size, int window, bint symmetric, bint distance_weighting,
                 long long max_product, cnp.ndarray dense_offsets, long long capacity):
        self._offsets = dense_offsets
        self.dense = np.zeros(int(dense_offsets[-1]), np.float64)
        self._keys = np.empty(capacity, np.int64)
        self._values = np.empty(capacity, np.float64)
        self._tmp_keys = np.empty(capacity, np.int64)
        self._tmp_values = np.empty(capacity, np.float64)
        self._history = np.zeros(window, np.int32)
        self.c.window = window
        self.c.symmetric = symmetric
        self.c.distance_weighting = distance_weighting
        self.c.vocab_size = vocab_size
        self.c.max_product = max_product
        self.c.dense_rows = len(dense_offsets) - 1
        self.c.dense_offset = <int64_t *>_ptr(dense_offsets)
        self.c.dense = <double *>_ptr(self.dense)
        self.c.keys = <int64_t *>_ptr(self._keys)
        self.c.values = <double *>_ptr(self._values)
        self.c.capacity = capacity
        self.c.length = 0
        self.c.history = <int32_t *>_ptr(self._history)
        self.c.history_len = 0
        self.c.tokens = 0
        self.c.sentence = 0
        self.c.position = 0
        self.reader_open = False

    def __dealloc__(self):
        if self.reader_open:
            rf_reader_close(&self.reader)

    def open_file(self, bytes path, int64_t start, int64_t end):
        """Read the lines that start in [start, end) of a file with the next count_file calls."""
        self._path = path
        if rf_reader_open(&self.reader, path, start, end) != 0:
            rf_reader_close(&self.reader)
            raise OSError(f"could not read {path.decode(errors='replace')!r}")
        self.reader_open = True
        self.c.history_len = 0

    def count_file(self, TokenTable table):
        """Count on from the reader; True when the buffer filled, False at the range's end."""
        cdef int rc
        with nogil:
            rc = rf_cooc_file(&self.c, &self.reader, &table.table)
        if rc == -2:
            raise OSError(f"could not read {self._path.decode(errors='replace')!r}")
        if rc == 0:
            rf_reader_close(&self.reader)
            self.reader_open = False
        return rc == 1

    def start_ids(self):
        """Reset the resume point before count_ids on new arrays."""
        self.c.sentence = 0
        self.c.position = 0
        self.c.history_len = 0

    def count_ids(self, cnp.ndarray ids, cnp.ndarray ends):
        """Count id sentences (int32 ids, int64 ends) from the resume point; True when full."""
        cdef int rc
        cdef int32_t *ip = <int32_t *>_ptr(ids)
        cdef int64_t *ep = <int64_t *>_ptr(ends)
        cdef int64_t n = ends.shape[0]
        with nogil:
            rc = rf_cooc_ids(&self.c, ip, ep, n)
        return rc == 1

    def combined_buffer(self):
        """Sort and combine the buffer in place; (keys, values) views of the unique
        records, valid until the next count call. Call clear() when done."""
        cdef int64_t n = _sort_combine(self._keys, self._values, self.c.length,
                                       self._tmp_keys, self._tmp_values, self.c.vocab_size)
        self.c.length = n
        return self._keys[:n], self._values[:n]

    def clear(self):
        self.c.length = 0

    @property
    def tokens(self):
        return self.c.tokens


cdef int64_t _sort_combine(cnp.ndarray keys, cnp.ndarray values, int64_t n,
                           cnp.ndarray tmp_keys, cnp.ndarray tmp_values, int64_t vocab_size) except -1:
    cdef int key_bits = 1
    while ((<int64_t>1) << key_bits) < vocab_size * vocab_size:
        key_bits += 1
    cdef int64_t *k = <int64_t *>_ptr(keys)
    cdef double *v = <double *>_ptr(values)
    cdef int64_t *tk = <int64_t *>_ptr(tmp_keys)
    cdef double *tv = <double *>_ptr(tmp_values)
    cdef int64_t out
    with nogil:
        out = rf_sort_combine(k, v, n, tk, tv, key_bits)
    if out < 0:
        raise MemoryError("out of memory while sorting co-occurrence records")
    return out


def sort_combine(cnp.ndarray keys, cnp.ndarray values, int64_t vocab_size):
    """Sort int64 keys (< vocab_size^2) with their float64 values in place and add up
    duplicates; returns the number of unique records now at the front."""
    tmp_keys = np.empty_like(keys)
    tmp_values = np.empty_like(values)
    return _sort_combine(keys, values, len(keys), tmp_keys, tmp_values, vocab_size)


# One training pair as the kernel reads it (rf_glove_pair).
PAIR_DTYPE = np.dtype([("row", "<i4"), ("col", "<i4"), ("log_x", "<f4"), ("weight", "<f4")])
assert PAIR_DTYPE.itemsize == sizeof(rf_glove_pair)


def glove_epoch(cnp.ndarray W, cnp.ndarray C, cnp.ndarray b, cnp.ndarray bc, cnp.ndarray GW,
                cnp.ndarray GC, cnp.ndarray Gb, cnp.ndarray Gbc, cnp.ndarray pairs, order,
                int64_t start, int64_t end, float learning_rate, float clip):
    """AdaGrad updates for pairs[order[start:end]] (PAIR_DTYPE records; order None:
    pairs[start:end] as they lie); returns (cost, skipped)."""
    cdef double cost = 0
    cdef int64_t skipped = 0
    cdef int32_t dim = W.shape[1]
    cdef float *w = <float *>_ptr(W)
    cdef float *c = <float *>_ptr(C)
    cdef float *bp = <float *>_ptr(b)
    cdef float *bcp = <float *>_ptr(bc)
    cdef float *gw = <float *>_ptr(GW)
    cdef float *gc = <float *>_ptr(GC)
    cdef float *gb = <float *>_ptr(Gb)
    cdef float *gbc = <float *>_ptr(Gbc)
    cdef rf_glove_pair *pp = <rf_glove_pair *>_ptr(pairs)
    cdef int64_t *order_p = NULL if order is None else <int64_t *>_ptr(<cnp.ndarray>order)
    with nogil:
        rf_glove_epoch(w, c, bp, bcp, gw, gc, gb, gbc, dim, pp, order_p, start, end,
                       learning_rate, clip, &cost, &skipped, NULL)
    return cost, skipped
