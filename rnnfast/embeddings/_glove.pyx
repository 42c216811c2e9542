"""GloVe kernels: co-occurrence counting state per worker, and AdaGrad epochs.

Thin Cython layer over csrc/rf_glove.c; the Python layer (`rnnfast.embeddings.cooccur`,
`rnnfast.embeddings.glove`) validates arguments, plans memory and runs the threads.
"""

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t

from rnnfast.embeddings._buffers cimport record_ptr
from rnnfast.embeddings._vocab cimport TokenTable, rf_reader_open, rf_reader_close

import numpy as np

from rnnfast.embeddings._vocab import check_read

cnp.import_array()


cdef class CoocCounter:
    """One worker's counting state: dense table, record buffer, window, and file reader.

    dense_offsets: (rows + 1,) int64 starts of the dense table's rows (the last: its
    size); stop: the (1,) C int flag the file counting polls; weight_scale: what
    distance d adds is weight_scale / d (weight_scale without distance weighting)."""

    def __init__(self, int32_t vocab_size, int32_t window, bint symmetric,
                 bint distance_weighting, int64_t max_product, const int64_t[::1] dense_offsets,
                 int64_t capacity, int[::1] stop, int64_t block_ids=1 << 16,
                 double weight_scale=1.0):
        cdef Py_ssize_t rows = dense_offsets.shape[0] - 1
        if rows < 0 or capacity < 2 * window or window < 1 or vocab_size < 1:
            raise ValueError("CoocCounter: dense_offsets must be non-empty, window >= 1 "
                             "and capacity >= 2 * window")
        self.vocab_size = vocab_size
        self.dense = np.zeros(int(dense_offsets[rows]), np.float64)
        self._records = np.empty(capacity, RECORD_DTYPE)
        self._scratch = np.empty(capacity, RECORD_DTYPE)
        distances = np.arange(window + 1, dtype=np.float64)
        distances[0] = 1
        cdef double[::1] weights = weight_scale / distances if distance_weighting else \
            np.full(window + 1, weight_scale)
        cdef int64_t block = max(block_ids, window + 1)  # a line's context and a new id
        cdef int32_t[::1] ids = np.empty(block, np.int32)
        cdef int64_t[::1] ends = np.empty(block, np.int64)
        cdef double[::1] dense = self.dense
        self._arrays = (dense_offsets, weights, ids, ends, stop)
        rf_cooc_init(&self.c, vocab_size, window, symmetric, distance_weighting, max_product,
                     <int32_t>rows, &dense_offsets[0],
                     &dense[0] if dense.shape[0] else NULL, &weights[0],
                     <rf_record *>record_ptr(self._records, RECORD_DTYPE, "records", True),
                     capacity, &ids[0], &ends[0], block, &stop[0])
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
        rf_cooc_restart(&self.c)

    def count_file(self, TokenTable table not None):
        """Count on from the reader; True when the buffer filled, False at the range's
        end or once stopped."""
        cdef int rc
        if not self.reader_open:
            raise RuntimeError("count_file: call open_file first")
        if table.index_bound > self.vocab_size:
            raise ValueError(f"count_file: the token table's indices run to "
                             f"{table.index_bound - 1}, past the counter's {self.vocab_size} words")
        with nogil:
            rc = rf_cooc_file(&self.c, &self.reader, &table.table)
        check_read(rc, self._path)
        if rc != 1:
            rf_reader_close(&self.reader)
            self.reader_open = False
        return rc == 1

    def start_ids(self):
        """Reset the resume point before count_ids on new arrays."""
        rf_cooc_restart(&self.c)

    def count_ids(self, const int32_t[::1] ids, const int64_t[::1] ends):
        """Count id sentences (ids in 0..V-1, checked by the caller; ends int64) from
        the resume point; True when the buffer filled."""
        cdef int rc
        cdef int64_t n = ends.shape[0]
        if n == 0:
            return False
        if ends[n - 1] > ids.shape[0]:
            raise ValueError("count_ids: ends run past ids")
        cdef const int32_t *ip = &ids[0] if ids.shape[0] else NULL
        with nogil:
            rc = rf_cooc_ids(&self.c, ip, &ends[0], n)
        return rc == 1

    def partition(self, part_of_row, int32_t n_parts):
        """The buffer's records grouped by partition into scratch (see `partition`);
        views valid until the next call. Call clear() when done with them."""
        n = self.c.length
        return partition(self._records[:n], self.vocab_size, part_of_row, n_parts,
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


def partition(records, int32_t vocab_size, const int32_t[::1] part_of_row,
              int32_t n_parts, out=None):
    """Group RECORD_DTYPE records by the partition of their row (part_of_row: int32
    (V,) of 0 .. n_parts - 1), each partition keeping the records' order; returns
    (grouped records, bounds (n_parts + 1,) int64). `out` may give the storage."""
    records = np.ascontiguousarray(records)
    out = np.empty_like(records) if out is None else out
    bounds = np.empty(n_parts + 1, np.int64)
    cdef int64_t n = len(records)
    if len(out) < n or part_of_row.shape[0] < vocab_size or n_parts < 1:
        raise ValueError("partition: out is too short, part_of_row is not (V,) or n_parts < 1")
    if part_of_row.shape[0] and (<size_t>&part_of_row[0]) % sizeof(int32_t):
        # an array unpickled from a byte buffer can sit at any offset
        raise ValueError("partition: part_of_row is not aligned; pass np.require(part_of_row, "
                         "np.int32, 'CA')")
    parts = np.asarray(part_of_row)
    if part_of_row.shape[0] and (parts.min() < 0 or parts.max() >= n_parts):
        raise ValueError(f"partition: part_of_row must hold partitions in 0..{n_parts - 1}")
    keys = records["k"]
    if n and (keys.min() < 0 or keys.max() >= <int64_t>vocab_size * vocab_size):
        raise ValueError(f"partition: record keys must lie in 0..V*V-1 (V = {vocab_size})")
    cdef const rf_record *rp = <const rf_record *>record_ptr(records, RECORD_DTYPE, "records")
    cdef rf_record *op = <rf_record *>record_ptr(out, RECORD_DTYPE, "out", True)
    cdef int64_t[::1] bv = bounds
    cdef const int32_t *pp = &part_of_row[0]
    cdef int64_t *bp = &bv[0]
    with nogil:
        rf_partition(rp, n, vocab_size, pp, n_parts, op, bp)
    return out, bounds


# GloVe's binary co-occurrence record: 1-based ids and the count.
GLOVE_DTYPE = np.dtype([("i", "<i4"), ("j", "<i4"), ("x", "<f8")])


def mirror(records, int32_t vocab_size, out=None):
    """Both orders of each symmetric pair held once as (i <= j): (i, j) and (j, i),
    or (i, i) once with twice its value. `out` may give the storage (>= 2n records)."""
    records = np.ascontiguousarray(records)
    cdef int64_t n = len(records), m
    out = np.empty(2 * n, RECORD_DTYPE) if out is None else out
    if len(out) < 2 * n:
        raise ValueError("mirror: out must hold at least twice as many records")
    cdef const rf_record *rp = <const rf_record *>record_ptr(records, RECORD_DTYPE, "records")
    cdef rf_record *op = <rf_record *>record_ptr(out, RECORD_DTYPE, "out", True)
    with nogil:
        m = rf_mirror(rp, n, vocab_size, op)
    return out[:m]


def to_glove_records(records, int32_t vocab_size):
    """Turn C-contiguous RECORD_DTYPE records into GloVe's records in place; returns
    the same memory viewed as GLOVE_DTYPE."""
    cdef rf_record *rp = <rf_record *>record_ptr(records, RECORD_DTYPE, "records", True)
    cdef int64_t n = len(records)
    with nogil:
        rf_to_glove_records(rp, n, vocab_size)
    return records.view(GLOVE_DTYPE)


def sort_combine(records, int64_t key_base, int64_t key_span, tmp=None):
    """Sort RECORD_DTYPE records (key_base <= key < key_base + key_span) by key in
    place and add up duplicates; returns the number of unique records, now at the
    front. `tmp` may give the scratch (at least as many records)."""
    cdef int key_bits = 0
    while key_bits < 62 and ((<int64_t>1) << key_bits) < key_span:
        key_bits += 1
    tmp = np.empty_like(records) if tmp is None else tmp
    if len(tmp) < len(records):
        raise ValueError("sort_combine: tmp must hold at least as many records")
    cdef rf_record *rp = <rf_record *>record_ptr(records, RECORD_DTYPE, "records", True)
    cdef rf_record *tp = <rf_record *>record_ptr(tmp, RECORD_DTYPE, "tmp", True)
    cdef int64_t n = len(records), out
    with nogil:
        out = rf_sort_combine(rp, n, tp, key_base, key_bits)
    if out < 0:
        raise MemoryError("out of memory while sorting co-occurrence records")
    return out


# One training pair as the kernel reads it (rf_glove_pair).
PAIR_DTYPE = np.dtype([("row", "<i4"), ("col", "<i4"), ("log_x", "<f4"), ("weight", "<f4")])
assert PAIR_DTYPE.itemsize == sizeof(rf_glove_pair)


# Per worker: the summed cost, pairs skipped for a non-finite score, pairs done.
EPOCH_STATS_DTYPE = np.dtype([("cost", np.float64), ("skipped", np.int64), ("pairs", np.int64)])


cdef struct EpochStats:
    double cost
    int64_t skipped
    int64_t pairs

assert EPOCH_STATS_DTYPE.itemsize == sizeof(EpochStats)


def glove_epoch(float[:, ::1] W, float[:, ::1] C, float[::1] b, float[::1] bc,
                float[:, ::1] GW, float[:, ::1] GC, float[::1] Gb, float[::1] Gbc, pairs,
                const int64_t[::1] order, int64_t start, int64_t end, float learning_rate,
                float clip, int64_t block_size=0, stats=None, int slot=0, int[::1] stop=None):
    """AdaGrad updates for pairs[order[start:end]] (PAIR_DTYPE records, rows and
    columns in 0..V-1 and order a permutation: checked by the caller; order None:
    pairs[start:end] as they lie); returns (cost, skipped). With block_size > 0,
    order holds block numbers instead: the blocks pairs[k * block_size:(k + 1) *
    block_size] for k in order[start:end], each visited as it lies; then stats[slot]
    (EPOCH_STATS_DTYPE) is added to after every block, and `stop` ends the epoch
    early."""
    cdef Py_ssize_t V = W.shape[0]
    cdef int32_t dim = W.shape[1]
    if C.shape[0] != V or GW.shape[0] != V or GC.shape[0] != V or b.shape[0] != V or \
            bc.shape[0] != V or Gb.shape[0] != V or Gbc.shape[0] != V or \
            C.shape[1] != dim or GW.shape[1] != dim or GC.shape[1] != dim:
        raise ValueError("glove_epoch: the state arrays must share V and d")
    cdef const rf_glove_pair *pp = <const rf_glove_pair *>record_ptr(pairs, PAIR_DTYPE, "pairs")
    cdef int64_t n_pairs = len(pairs), k, first, last
    cdef int64_t n_order = -1 if order is None else order.shape[0]
    if order is None and not 0 <= start <= end <= n_pairs or \
            order is not None and not 0 <= start <= end <= n_order:
        raise ValueError("glove_epoch: start and end must lie inside order (or pairs)")
    if block_size > 0 and order is None:
        raise ValueError("glove_epoch: block mode needs order")
    cdef double cost = 0
    cdef int64_t skipped = 0
    cdef const int64_t *order_p = NULL if order is None or n_order == 0 else &order[0]
    cdef float *w = &W[0, 0] if V else NULL
    cdef float *c = &C[0, 0] if V else NULL
    cdef float *bp = &b[0] if V else NULL
    cdef float *bcp = &bc[0] if V else NULL
    cdef float *gw = &GW[0, 0] if V else NULL
    cdef float *gc = &GC[0, 0] if V else NULL
    cdef float *gb = &Gb[0] if V else NULL
    cdef float *gbc = &Gbc[0] if V else NULL
    cdef EpochStats local
    local.cost, local.skipped, local.pairs = 0, 0, 0
    cdef EpochStats *st = &local
    cdef int never = 0
    cdef volatile int *stop_p = &never if stop is None else &stop[0]
    if stats is not None:
        if not 0 <= slot < len(stats):
            raise ValueError("glove_epoch: slot outside stats")
        st = <EpochStats *>record_ptr(stats, EPOCH_STATS_DTYPE, "stats", True) + slot
    with nogil:
        if block_size > 0:
            for k in range(start, end):
                if stop_p[0]:
                    break
                first = order_p[k] * block_size
                last = min(first + block_size, n_pairs)
                if first < 0 or first >= last:
                    continue
                rf_glove_epoch(w, c, bp, bcp, gw, gc, gb, gbc, dim, pp, NULL, first, last,
                               learning_rate, clip, &st.cost, &st.skipped, NULL)
                st.pairs += last - first
        else:
            rf_glove_epoch(w, c, bp, bcp, gw, gc, gb, gbc, dim, pp, order_p, start, end,
                           learning_rate, clip, &cost, &skipped, NULL)
    if block_size > 0:
        return st.cost, st.skipped
    return cost, skipped

