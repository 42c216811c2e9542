/* GloVe: co-occurrence counting over token streams, and AdaGrad epochs over pairs. */
#ifndef RF_GLOVE_H
#define RF_GLOVE_H

#include <stdint.h>

#include "rf_vocab.h"

/* Counting state of one worker. Pairs (i, j) with (i + 1) * (j + 1) <= max_product
 * (ids sorted by frequency, so these are the frequent pairs) add into a dense
 * table whose row i holds columns 0 .. row_len(i) - 1; all other pairs are
 * appended to a buffer of (key = i * vocab_size + j, value) records that the
 * caller sorts, combines and stores whenever it fills. The state survives
 * between calls, so counting resumes where a full buffer stopped it. */
typedef struct {
    int32_t window, symmetric, distance_weighting, vocab_size;
    int64_t max_product;
    int32_t dense_rows;
    const int64_t *dense_offset; /* (dense_rows + 1,) start of each row in dense */
    double *dense;
    int64_t *keys;               /* (capacity,) */
    double *values;              /* (capacity,) */
    int64_t capacity, length;
    int32_t *history;            /* the last `window` ids of the current line (a ring) */
    int64_t history_len;         /* ids seen so far in the current line */
    int64_t tokens;              /* tokens read, in the vocabulary or not */
    /* resume points */
    int64_t sentence, position;  /* id input */
} rf_cooc;

/* Count sentences of ids (ids[ends[s-1]:ends[s]]) from the resume point on.
 * Returns 1 when the buffer filled (call again after emptying it), 0 when done. */
int rf_cooc_ids(rf_cooc *c, const int32_t *ids, const int64_t *ends, int64_t n_sentences);

/* Count the lines of an open reader (tokens looked up in `vocab`, unknown ones
 * dropped). Returns 1 when the buffer filled, 0 at the end, -2 on a read error. */
int rf_cooc_file(rf_cooc *c, rf_reader *r, const rf_vocab *vocab);

/* Sort n records by key (keys < 2^key_bits) and add up equal keys, leaving the
 * unique records at the front of keys/values; tmp_* are n-element scratch.
 * Returns the number of unique records, or -1 when out of memory. */
int64_t rf_sort_combine(int64_t *keys, double *values, int64_t n, int64_t *tmp_keys,
                        double *tmp_values, int key_bits);

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
