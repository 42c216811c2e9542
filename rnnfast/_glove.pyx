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
    ctypedef struct rf_record:
        int64_t key
        double value
    ctypedef struct rf_cooc:
        int32_t window, symmetric, distance_weighting, vocab_size
        int64_t max_product
        int32_t dense_rows
        const int64_t *dense_offset
        double *dense
        const double *weights
        rf_record *records
        int64_t capacity, length
        int64_t tokens
        int64_t sentence, position
        int32_t *block_ids
        int64_t *block_ends
        int64_t block_capacity, block_sentences, block_first
        int32_t block_live, line_open, at_end
    int64_t rf_sort_combine(rf_record *records, int64_t n, rf_record *tmp, int64_t key_base,
                            int key_bits)
    void rf_partition(const rf_record *records, int64_t n, int32_t vocab_size,
                      const int32_t *part_of_row, int32_t n_parts, rf_record *out,
                      int64_t *bounds)
    void rf_to_glove_records(rf_record *records, int64_t n, int32_t vocab_size)
    int64_t rf_mirror(const rf_record *records, int64_t n, int32_t vocab_size, rf_record *out)
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
    cdef object _offsets, _records, _scratch, _weights, _path
    cdef object _block_ids, _block_ends

    def __init__(self, int vocab_size, int window, bint symmetric, bint distance_weighting,
                 long long max_product, cnp.ndarray dense_offsets, long long capacity,
                 long long block_ids=1 << 16):
        self._offsets = dense_offsets
        self.dense = np.zeros(int(dense_offsets[-1]), np.float64)
        self._records = np.empty(capacity, RECORD_DTYPE)
        self._scratch = np.empty(capacity, RECORD_DTYPE)
        distances = np.arange(window + 1, dtype=np.float64)
        distances[0] = 1
        self._weights = 1 / distances if distance_weighting else np.ones(window + 1)
        block = max(block_ids, window + 1)  # room for a line's context and a new id
        self._block_ids = np.empty(block, np.int32)
        self._block_ends = np.empty(block, np.int64)
        self.c.window = window
        self.c.symmetric = symmetric
        self.c.distance_weighting = distance_weighting
        self.c.vocab_size = vocab_size
        self.c.max_product = max_product
        self.c.dense_rows = len(dense_offsets) - 1
        self.c.dense_offset = <int64_t *>_ptr(dense_offsets)
        self.c.dense = <double *>_ptr(self.dense)
        self.c.records = <rf_record *>_ptr(self._records)
        self.c.capacity = capacity
        self.c.length = 0
        self.c.weights = <double *>_ptr(self._weights)
        self.c.tokens = 0
        self.c.sentence = 0
        self.c.position = 0
        self.c.block_ids = <int32_t *>_ptr(self._block_ids)
        self.c.block_ends = <int64_t *>_ptr(self._block_ends)
        self.c.block_capacity = block
        self.c.block_sentences = 0
        self.c.block_first = 0
        self.c.block_live = 0
        self.c.line_open = 0
        self.c.at_end = 0
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
        self.c.sentence = 0
        self.c.position = 0
        self.c.block_live = 0
        self.c.line_open = 0
        self.c.at_end = 0

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

    def count_ids(self, cnp.ndarray ids, cnp.ndarray ends):
        """Count id sentences (int32 ids, int64 ends) from the resume point; True when full."""
        cdef int rc
        cdef int32_t *ip = <int32_t *>_ptr(ids)
        cdef int64_t *ep = <int64_t *>_ptr(ends)
        cdef int64_t n = ends.shape[0]
        with nogil:
            rc = rf_cooc_ids(&self.c, ip, ep, n)
        return rc == 1

    def partition(self, cnp.ndarray part_of_row, int32_t n_parts):
        """The buffer's records grouped by partition into scratch (see `partition`);
        views valid until the next call. Call clear() when done with them."""
        n = self.c.length
        return partition(self._records[:n], self.c.vocab_size, part_of_row, n_parts,
                         self._scratch[:n])

    def buffer(self):
        """The records in the buffer (a view, valid until the next count call)."""
        return self._records[:self.c.length]

    def clear(self):
        self.c.length = 0

    @property
    def tokens(self):
        return self.c.tokens


# One co-occurrence record (rf_record): key = row * V + column, and its count.
RECORD_DTYPE = np.dtype([("k", "<i8"), ("v", "<f8")])
assert RECORD_DTYPE.itemsize == sizeof(rf_record)


def partition(cnp.ndarray records, int32_t vocab_size, cnp.ndarray part_of_row,
              int32_t n_parts, cnp.ndarray out=None):
    """Group RECORD_DTYPE records by the partition of their row (part_of_row: int32
    (V,) of 0 .. n_parts - 1), each partition keeping the records' order; returns
    (grouped records, bounds (n_parts + 1,) int64). `out` may give the storage."""
    records = np.ascontiguousarray(records)
    out = np.empty_like(records) if out is None else out
    bounds = np.empty(n_parts + 1, np.int64)
    cdef int64_t n = len(records)
    cdef const rf_record *rp = <const rf_record *>_ptr(records)
    cdef rf_record *op = <rf_record *>_ptr(out)
    cdef int64_t *bp = <int64_t *>_ptr(bounds)
    cdef const int32_t *pp = <const int32_t *>_ptr(part_of_row)
    with nogil:
        rf_partition(rp, n, vocab_size, pp, n_parts, op, bp)
    return out, bounds


# GloVe's binary co-occurrence record: 1-based ids and the count.
GLOVE_DTYPE = np.dtype([("i", "<i4"), ("j", "<i4"), ("x", "<f8")])


def mirror(cnp.ndarray records, int32_t vocab_size, out=None):
    """Both orders of each symmetric pair held once as (i <= j): (i, j) and (j, i),
    or (i, i) once with twice its value. `out` may give the storage (>= 2n records)."""
    records = np.ascontiguousarray(records)
    cdef int64_t n = len(records), m
    out = np.empty(2 * n, RECORD_DTYPE) if out is None else out
    if len(out) < 2 * n or out.dtype != RECORD_DTYPE:
        raise ValueError("mirror: out must hold at least twice as many records")
    cdef const rf_record *rp = <const rf_record *>_ptr(records)
    cdef rf_record *op = <rf_record *>_ptr(out)
    with nogil:
        m = rf_mirror(rp, n, vocab_size, op)
    return out[:m]


def to_glove_records(cnp.ndarray records, int32_t vocab_size):
    """Turn C-contiguous RECORD_DTYPE records into GloVe's records in place; returns
    the same memory viewed as GLOVE_DTYPE."""
    cdef rf_record *rp = <rf_record *>_ptr(records)
    cdef int64_t n = len(records)
    with nogil:
        rf_to_glove_records(rp, n, vocab_size)
    return records.view(GLOVE_DTYPE)


def sort_combine(cnp.ndarray records, int64_t key_base, int64_t key_span, tmp=None):
    """Sort RECORD_DTYPE records (key_base <= key < key_base + key_span) by key in
    place and add up duplicates; returns the number of unique records, now at the
    front. `tmp` may give the scratch (at least as many records)."""
    cdef int key_bits = 0
    while key_bits < 62 and ((<int64_t>1) << key_bits) < key_span:
        key_bits += 1
    tmp = np.empty_like(records) if tmp is None else tmp
    if len(tmp) < len(records) or tmp.dtype != RECORD_DTYPE:
        raise ValueError("sort_combine: tmp must hold at least as many records")
    cdef rf_record *rp = <rf_record *>_ptr(records)
    cdef rf_record *tp = <rf_record *>_ptr(tmp)
    cdef int64_t n = len(records), out
    with nogil:
        out = rf_sort_combine(rp, n, tp, key_base, key_bits)
    if out < 0:
        raise MemoryError("out of memory while sorting co-occurrence records")
    return out


# One training pair as the kernel reads it (rf_glove_pair).
PAIR_DTYPE = np.dtype([("row", "<i4"), ("col", "<i4"), ("log_x", "<f4"), ("weight", "<f4")])
assert PAIR_DTYPE.itemsize == sizeof(rf_glove_pair)


def glove_epoch(cnp.ndarray W, cnp.ndarray C, cnp.ndarray b, cnp.ndarray bc, cnp.ndarray GW,
                cnp.ndarray GC, cnp.ndarray Gb, cnp.ndarray Gbc, cnp.ndarray pairs, order,
                int64_t start, int64_t end, float learning_rate, float clip,
                int64_t block_size=0):
    """AdaGrad updates for pairs[order[start:end]] (PAIR_DTYPE records; order None:
    pairs[start:end] as they lie); returns (cost, skipped). With block_size > 0,
    order holds block numbers instead: the blocks pairs[k * block_size:(k + 1) *
    block_size] for k in order[start:end], each visited as it lies."""
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
    cdef int64_t n_pairs = len(pairs), k, first, last
    with nogil:
        if block_size > 0:
            for k in range(start, end):
                first = order_p[k] * block_size
                last = min(first + block_size, n_pairs)
                rf_glove_epoch(w, c, bp, bcp, gw, gc, gb, gbc, dim, pp, NULL, first, last,
                               learning_rate, clip, &cost, &skipped, NULL)
        else:
            rf_glove_epoch(w, c, bp, bcp, gw, gc, gb, gbc, dim, pp, order_p, start, end,
                           learning_rate, clip, &cost, &skipped, NULL)
    return cost, skipped
