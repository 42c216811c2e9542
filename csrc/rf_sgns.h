/* word2vec, skip-gram or CBOW, with negative sampling and/or hierarchical
 * softmax: the update of one (center, context) pair, of windows, and whole
 * training passes over id arrays or over a byte range of a text file.
 * Every function works on float32 vectors shared by all threads (Hogwild). */
#ifndef RF_SGNS_H
#define RF_SGNS_H

#include <stdint.h>

#include "rf_vocab.h"

/* Most input rows, and most output rows (1 + negatives), in one window:
 * the Python layer caps window at RF_MAX_WINDOW_ROWS / 2 and negative below it. */
#define RF_MAX_WINDOW_ROWS 512

/* A training call's own copy of rows first .. first + count - 1 of a table,
 * followed by their values at the last merge; rows NULL: none. */
typedef struct {
    float *rows;
    int32_t first, count;
} rf_private_rows;

enum { RF_OWN_IN, RF_OWN_OUT, RF_OWN_SYN1 };

typedef struct {
    float *W_in;                 /* (V, dim) input ("center") vectors */
    float *W_out;                /* (V, dim) output ("context") vectors */
    int32_t dim;
    int32_t vocab_size;
    int32_t negative;            /* noise words per window; 0: no negative sampling */
    int32_t window;
    int32_t shrink_windows;
    int32_t cbow;                /* 0: skip-gram windows; 1: CBOW (the context predicts the center) */
    int32_t cbow_mean;           /* CBOW: 1 averages the context vectors, 0 sums them */
    int32_t hs;                  /* 1: hierarchical softmax too (or alone, negative = 0) */
    float *syn1;                 /* (V, dim) inner-node vectors of the Huffman tree */
    const int32_t *path_nodes;   /* word i's path: entries path_ends[i-1] .. path_ends[i]-1 */
    const uint8_t *path_codes;   /* the branch (0 or 1) taken at each node of a path */
    const int64_t *path_ends;    /* (V,) */
    int32_t max_path;            /* the longest path, <= RF_MAX_WINDOW_ROWS */
    const uint32_t *keep_below;  /* (V,) keep a token when a 32-bit draw is below this */
    const uint32_t *alias_accept;/* (V,) noise sampler: Walker alias tables */
    const int32_t *alias_other;  /* (V,) */
    uint32_t *updates_in;        /* (V,) or NULL: updates of each W_in row, counted (saturating) */
    uint32_t *updates_out;       /* (V,) or NULL: of each W_out row */
    uint32_t *updates_syn1;      /* (V,) or NULL: of each syn1 row */
    /* With several workers: each training call keeps its own copy of the syn1 rows
     * of the private_rows inner nodes nearest the root, and of the W_in and W_out
     * rows of the private_words most frequent words, and adds its changes to them
     * back every few thousand words. Those rows are written by nearly every window,
     * and two cores writing them at once spend their time passing the cache lines.
     * Merges are not atomic: two at the same moment can lose a change, as Hogwild
     * updates can; with one worker nothing is lost and the result equals the
     * in-place one up to rounding. */
    int32_t private_rows;
    int32_t private_words;
    rf_private_rows own[3];      /* a training call's copies (RF_OWN_IN, _OUT, _SYN1) */
    /* FastText: word i's input is the mean of the W_in rows subwords[subword_ends[i-1] ..
     * subword_ends[i]-1] (its own row, then those of its character n-grams, which
     * follow the V word rows). NULL: word2vec, each word its own row. */
    const int32_t *subwords;
    const int64_t *subword_ends; /* (V,) */
    /* gensim's lock factors: the step of word i's W_in row is scaled by
     * lockf[i % lockf_len] (0 freezes the row). NULL: every step whole. */
    const float *lockf;
    int32_t lockf_len;
} rf_sgns_model;

/* Set every field of m; the arrays are the caller's and must outlive it. */
void rf_sgns_model_init(rf_sgns_model *m, float *W_in, float *W_out, int32_t vocab_size,
                        int32_t dim, int32_t negative, int32_t window, int32_t shrink_windows,
                        int32_t cbow, int32_t cbow_mean, const uint32_t *keep_below,
                        const uint32_t *alias_accept, const int32_t *alias_other);

/* Turn on hierarchical softmax: syn1 and the paths are the caller's. */
void rf_sgns_model_set_hs(rf_sgns_model *m, float *syn1, const int32_t *path_nodes,
                          const uint8_t *path_codes, const int64_t *path_ends, int32_t max_path);

/* Turn on subword inputs (FastText): the arrays are the caller's, their ids index
 * W_in, which has a row for each of them. In skip-gram the center's input predicts
 * every word of its window (FastText's direction); CBOW is word2vec's. */
void rf_sgns_model_set_subwords(rf_sgns_model *m, const int32_t *subwords,
                                const int64_t *subword_ends);

/* Scale the step of word i's input row by lockf[i % len] (word2vec only, not with
 * subwords); lockf NULL turns it off. The array is the caller's. */
void rf_sgns_model_set_lockf(rf_sgns_model *m, const float *lockf, int32_t len);

/* Keep private copies, in each training call, of the syn1 rows of the `nodes`
 * inner nodes nearest the root and of the W_in and W_out rows of the `words` most
 * frequent words (see private_rows); 0 turns either off. */
void rf_sgns_model_set_private_rows(rf_sgns_model *m, int32_t nodes, int32_t words);

/* Count, in the training passes, how often each row of W_in, W_out and syn1 is
 * moved (one per window it takes part in; a table the model lacks may be NULL).
 * A count stops at 2^32 - 1. The counts are not atomic: with several threads a few
 * may be lost. The passes check for counting once per sentence, so they cost nothing
 * when off. */
void rf_sgns_model_set_updates(rf_sgns_model *m, uint32_t *in, uint32_t *out, uint32_t *syn1);

/* Added to as training goes, so that another thread can read progress from it. */
typedef struct {
    double loss;      /* summed loss of the trained pairs */
    int64_t pairs;    /* trained (center, context) pairs; CBOW: trained windows */
    int64_t words;    /* raw tokens read, before subsampling */
    int64_t kept;     /* tokens kept by subsampling (in the vocabulary) */
} rf_sgns_stats;

/* Windows as the training passes update them (see rf_train_window in
 * rf_sgns.c): window w's context rows inputs[input_ends[w-1]:input_ends[w]]
 * predict its center through negative sampling, outputs[w*k1] (the center)
 * and outputs[w*k1+1 .. w*k1+k1-1] (noise words) in m->W_out, and through
 * hierarchical softmax, the inner nodes nodes[node_ends[w-1]:node_ends[w]] in
 * m->syn1 with their branch codes; k1 = 0 or node_ends = NULL leaves a part out.
 * m->cbow and m->cbow_mean choose skip-gram or CBOW. work: rf_window_floats(
 * largest window, max(k1, longest path), dim) floats. Returns the summed loss. */
double rf_w2v_windows(const rf_sgns_model *m, const int32_t *inputs, const int64_t *input_ends,
                      int64_t n_windows, const int32_t *outputs, int32_t k1,
                      const int32_t *nodes, const uint8_t *codes, const int64_t *node_ends,
                      float alpha, float *work);
size_t rf_window_floats(int32_t n, int32_t k1, int32_t dim);

/* FastText's skip-gram windows (m->subwords set, m->cbow 0), as the training
 * passes update them: window w's center centers[w] and its context words
 * contexts[context_ends[w-1]:context_ends[w]], with the noise words
 * negatives[w*k .. w*k+k-1] when m->negative > 0 (hierarchical softmax uses the
 * model's paths). The center's input scores each context word (label 1) and the
 * noise words (label 0) in one block through W_out, and each context word's path
 * through syn1. work: rf_window_floats(1, max(outputs of
 * a block), dim) floats. Returns the summed loss. */
double rf_ft_windows(const rf_sgns_model *m, const int32_t *centers, const int32_t *contexts,
                     const int64_t *context_ends, int64_t n_windows, const int32_t *negatives,
                     int32_t k, float alpha, float *work);

/* FastText's CBOW over one sentence of n ids, as the training passes update it
 * (see rf_subword_cbow_sentence in rf_sgns.c: each word's bag summed once, its
 * steps gathered and added once), with window i's reach reaches[i] (1..window)
 * and noise words negatives[i*negative ..]. Returns the summed loss (NaN when
 * out of memory) and in *trained the windows trained. */
double rf_ft_cbow_sentence(const rf_sgns_model *m, const int32_t *ids, int32_t n,
                           const int32_t *reaches, const int32_t *negatives, float alpha,
                           int64_t *trained);

/* The learning rate of a sentence falls linearly from alpha_start to alpha_end
 * with the raw words read before it, out of the `words_total` the pass expects.
 *
 * One pass over sentences of vocabulary ids (ids[sentence_ends[s-1]:sentence_ends[s]]),
 * with subsampling, dynamic windows and sampled negatives. raw_ends[s] counts the
 * raw tokens (unknown ones included) up to sentence s's end; words_before, those
 * the pass read before these sentences. Returns early once *stop is set. */
void rf_sgns_train_ids(const rf_sgns_model *m, uint64_t *rng, const int32_t *ids,
                       const int64_t *sentence_ends, const int64_t *raw_ends,
                       int64_t n_sentences, float alpha_start, float alpha_end,
                       int64_t words_before, int64_t words_total, rf_sgns_stats *stats,
                       volatile const int *stop);

/* rf_sgns_train_ids on the sentences that rf_sgns_train_file kept in text. */
void rf_sgns_train_encoded(const rf_sgns_model *m, uint64_t *rng, const rf_encoded *text,
                           float alpha_start, float alpha_end, int64_t words_before,
                           int64_t words_total, rf_sgns_stats *stats, volatile const int *stop);

/* One pass over the lines that start in [start, end) of a text file, each line
 * a sentence of whitespace-separated tokens, unknown tokens dropped; words_before
 * raw words of the pass were read before the range (for the learning rate).
 * Unless keep is NULL, the sentences read are appended to it, so that
 * rf_sgns_train_encoded can train on them again exactly as this would.
 * Returns 0, -1 when out of memory, -2 on a read error, RF_NUL_BYTE at a NUL byte. */
int rf_sgns_train_file(const rf_sgns_model *m, const rf_vocab *vocab, uint64_t *rng,
                       const char *path, int64_t start, int64_t end,
                       float alpha_start, float alpha_end, int64_t words_before,
                       int64_t words_total, rf_sgns_stats *stats, rf_encoded *keep,
                       volatile const int *stop);

/* Walker alias tables for drawing index i with probability weights[i] / sum. */
void rf_alias_build(const double *weights, int32_t n, uint32_t *accept, int32_t *other,
                    double *scratch, int32_t *stack);

#endif
