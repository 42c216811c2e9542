/* GloVe: co-occurrence counting over token streams, and AdaGrad epochs over pairs. */
#ifndef RF_GLOVE_H
#define RF_GLOVE_H

#include <stdint.h>

#include "rf_vocab.h"

/* One co-occurrence record: key = row * vocab_size + column. */
typedef struct {
    int64_t key;
    double value;
} rf_record;

/* Counting state of one worker. Pairs (i, j) with (i + 1) * (j + 1) <= max_product
 * (ids sorted by frequency, so these are the frequent pairs) add into a dense
 * table whose row i holds columns 0 .. row_len(i) - 1; all other pairs are
 * appended to a buffer of records (key = i * vocab_size + j, value) that the
 * caller sorts, combines and stores whenever it fills. The state survives
 * between calls, so counting resumes where a full buffer stopped it.
 *
 * Windows are read straight from an array of ids (prefetching the table cells of
 * tokens ahead was tried and measured no faster). A file is read a block of ids
 * at a time; a line cut by the end of a block goes on in the next, with its
 * last `window` ids copied in front as context. */
typedef struct {
    int32_t window, symmetric, distance_weighting, vocab_size;
    int64_t max_product;
    int32_t dense_rows;
    const int64_t *dense_offset; /* (dense_rows + 1,) start of each row in dense */
    double *dense;
    const double *weights;       /* (window + 1,): weights[d] is what distance d adds */
    rf_record *records;          /* (capacity,) */
    int64_t capacity, length;
    int64_t tokens;              /* tokens read, in the vocabulary or not */
    /* resume point in the current id arrays */
    int64_t sentence, position;
    /* file input: a block of ids and line ends */
    int32_t *block_ids;          /* (block_capacity,) */
    int64_t *block_ends;         /* (block_capacity,) */
    int64_t block_capacity;      /* > window */
    int64_t block_sentences, block_first;
    int32_t block_live, line_open, at_end;
    volatile const int *stop;    /* file counting returns once this is non-zero */
} rf_cooc;

/* Set every field: the arrays are the caller's and must outlive the state. */
void rf_cooc_init(rf_cooc *c, int32_t vocab_size, int32_t window, int32_t symmetric,
                  int32_t distance_weighting, int64_t max_product, int32_t dense_rows,
                  const int64_t *dense_offset, double *dense, const double *weights,
                  rf_record *records, int64_t capacity, int32_t *block_ids,
                  int64_t *block_ends, int64_t block_capacity, volatile const int *stop);
/* Forget the resume point: the next call reads new id arrays or a new reader. */
void rf_cooc_restart(rf_cooc *c);

/* With symmetric set, each pair is counted once as (smaller id, larger id), in the
 * dense table (cells i <= j only) and in the buffer alike; rf_mirror restores both
 * orders when the counts are read out.
 *
 * Count sentences of ids (ids[ends[s-1]:ends[s]]) from the resume point on.
 * Returns 1 when the buffer filled (call again after emptying it), 0 when done. */
int rf_cooc_ids(rf_cooc *c, const int32_t *ids, const int64_t *ends, int64_t n_sentences);

/* Count the lines of an open reader (tokens looked up in `vocab`, unknown ones
 * dropped). Returns 1 when the buffer filled, 0 at the end, 3 once *stop is set
 * (checked every block of ids), -2 on a read error, RF_NUL_BYTE at a NUL byte. Call rf_cooc_restart before
 * the first call on a reader. */
int rf_cooc_file(rf_cooc *c, rf_reader *r, const rf_vocab *vocab);

/* Sort n records by key (key_base <= key < key_base + 2^key_bits) and add up equal
 * keys, leaving the unique records at the front of `records`; tmp is n-record
 * scratch. Returns the number of unique records, or -1 when out of memory. */
int64_t rf_sort_combine(rf_record *records, int64_t n, rf_record *tmp, int64_t key_base,
                        int key_bits);

/* Group n records by the partition of their row (part_of_row[key / vocab_size],
 * 0 .. n_parts - 1) into out, partitions in order, records in their order within
 * each; bounds (n_parts + 1,) receives where each partition starts and ends. */
void rf_partition(const rf_record *records, int64_t n, int32_t vocab_size,
                  const int32_t *part_of_row, int32_t n_parts, rf_record *out, int64_t *bounds);

/* Symmetric counts are kept once per pair, as (i <= j): write both orders of each
 * record into out (2 n records at most), the pair (i, i) once with twice its value
 * (it stood for both orders). Returns the number written. */
int64_t rf_mirror(const rf_record *records, int64_t n, int32_t vocab_size, rf_record *out);

/* Rewrite records in place as GloVe's (int32 i + 1, int32 j + 1, float64 x): the
 * same 16 bytes, the key's 8 turned into the two 1-based ids. */
void rf_to_glove_records(rf_record *records, int64_t n, int32_t vocab_size);

/* One worker's share of an AdaGrad epoch: pairs[order[start:end]] (order NULL:
 * pairs[start:end] as they lie), each with its log X and weight f(X). W, C: (V, dim) word and
 * context vectors; b, bc: (V,) biases; G*, the squared-gradient sums in the same
 * shapes. As in GloVe's C code, gradients are scaled by the learning rate and
 * clipped to [-clip, clip] first; each step divides by the square root of the sum
 * of earlier scaled squares, then adds its own; a pair whose score is not finite is skipped and counted.
 * Adds 0.5 f(X) diff^2 per pair to *cost. `work` is unused (kept 4 * dim). */
typedef struct {
    int32_t row, col;
    float log_x, weight;  /* log X and f(X) of the pair */
} rf_glove_pair;

void rf_glove_epoch(float *W, float *C, float *b, float *bc, float *GW, float *GC, float *Gb,
                    float *Gbc, int32_t dim, const rf_glove_pair *pairs, const int64_t *order,
                    int64_t start, int64_t end, float learning_rate, float clip,
                    double *cost, int64_t *skipped, float *work);

#endif
