# The C contract of the GloVe kernels (csrc/rf_glove.h), declared once.

from libc.stdint cimport int32_t, int64_t

from rnnfast.embeddings._vocab cimport rf_vocab, rf_reader


cdef extern from "rf_glove.h" nogil:
    ctypedef struct rf_record:
        int64_t key
        double value
    ctypedef struct rf_cooc:
        int64_t length
        int64_t tokens
    void rf_cooc_init(rf_cooc *c, int32_t vocab_size, int32_t window, int32_t symmetric,
                      int32_t distance_weighting, int64_t max_product, int32_t dense_rows,
                      const int64_t *dense_offset, double *dense, const double *weights,
                      rf_record *records, int64_t capacity, int32_t *block_ids,
                      int64_t *block_ends, int64_t block_capacity, volatile const int *stop)
    void rf_cooc_restart(rf_cooc *c)
    int rf_cooc_ids(rf_cooc *c, const int32_t *ids, const int64_t *ends, int64_t n_sentences)
    int rf_cooc_file(rf_cooc *c, rf_reader *r, const rf_vocab *vocab)
    int64_t rf_sort_combine(rf_record *records, int64_t n, rf_record *tmp, int64_t key_base,
                            int key_bits)
    void rf_partition(const rf_record *records, int64_t n, int32_t vocab_size,
                      const int32_t *part_of_row, int32_t n_parts, rf_record *out,
                      int64_t *bounds)
    void rf_to_glove_records(rf_record *records, int64_t n, int32_t vocab_size)
    int64_t rf_mirror(const rf_record *records, int64_t n, int32_t vocab_size, rf_record *out)
    ctypedef struct rf_glove_pair:
        int32_t row, col
        float log_x, weight
    void rf_glove_epoch(float *W, float *C, float *b, float *bc, float *GW, float *GC,
                        float *Gb, float *Gbc, int32_t dim, const rf_glove_pair *pairs,
                        const int64_t *order, int64_t start, int64_t end, float learning_rate,
                        float clip, double *cost, int64_t *skipped, float *work)


cdef class CoocCounter:
    cdef rf_cooc c
    cdef rf_reader reader
    cdef bint reader_open
    cdef readonly object dense
    cdef int32_t vocab_size
    cdef object _arrays, _records, _scratch, _path
