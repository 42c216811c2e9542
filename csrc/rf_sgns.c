#include "rf_sgns.h"
#include "rf_common.h"
#include "rf_math.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: one 64-bit state per thread, seeded from the user's seed */
static inline uint64_t rf_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* uniform integer in [0, n) from the high bits (Lemire's multiply-shift) */
static inline uint32_t rf_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(((rf_rand(s) >> 32) * (uint64_t)n) >> 32);
}

static inline int32_t rf_draw_noise(const rf_sgns_model *m, uint64_t *s)
{
    uint64_t r = rf_rand(s);
    uint32_t i = (uint32_t)(((r >> 32) * (uint64_t)(uint32_t)m->vocab_size) >> 32);
    return (uint32_t)r < m->alias_accept[i] ? (int32_t)i : m->alias_other[i];
}

#if RF_GNU_C
typedef float rf_v8 __attribute__((vector_size(32)));
typedef float rf_v8u __attribute__((vector_size(32), aligned(4), may_alias));
typedef float rf_v4 __attribute__((vector_size(16)));
typedef float rf_v4u __attribute__((vector_size(16), aligned(4), may_alias));
#endif

/* One score's step: (label - s(v)) * alpha, and in *term the loss, -log s(v)
 * for label 1 or -log s(-v) for label 0. Branch-free inline math. */
static inline float rf_logit_grad(float v, float label, float alpha, float *term)
{
    float z = label > 0.0f ? -v : v;              /* the loss is log(1 + e^z) */
    float e = rf_expf_bounded(-rf_min_nonneg(rf_absf(v), 80.0f));   /* e^-|v| */
    *term = (z > 0.0f ? z : 0.0f) + rf_log1pf_unit(e);
    float sig = (v >= 0.0f ? 1.0f : e) / (1.0f + e);
    return (label - sig) * alpha;
}

/* For scores x[i] with labels 1 for i < n_pos and 0 after: the steps in place,
 * the losses added to *loss. */
static inline void rf_logits_to_grads(float *RF_RESTRICT x, int32_t n, int32_t n_pos,
                                      float alpha, double *loss)
{
    float total = 0.0f;
    for (int32_t i = 0; i < n; i++) {
        float term;
        x[i] = rf_logit_grad(x[i], i < n_pos ? 1.0f : 0.0f, alpha, &term);
        total += term;
    }
    *loss += (double)total;
}

#define RF_LOGIT_CHUNK 16

/* The same with labels 1 - codes[i] (hierarchical softmax). The loss terms go
 * through a buffer and are summed in order afterwards, so that the loop over the
 * scores vectorises: CBOW's path is a run of single scores. */
static inline void rf_coded_logits_to_grads(float *RF_RESTRICT x, int32_t n,
                                            const uint8_t *codes, float alpha, double *loss)
{
    float terms[RF_LOGIT_CHUNK];
    float total = 0.0f;
    for (int32_t i0 = 0; i0 < n; i0 += RF_LOGIT_CHUNK) {
        const int32_t c = n - i0 < RF_LOGIT_CHUNK ? n - i0 : RF_LOGIT_CHUNK;
        float *RF_RESTRICT xc = x + i0;
        for (int32_t i = 0; i < c; i++)
            xc[i] = rf_logit_grad(xc[i], codes[i0 + i] ? 0.0f : 1.0f, alpha, &terms[i]);
        for (int32_t i = 0; i < c; i++) total += terms[i];
    }
    *loss += (double)total;
}

/* One block of a window update: the n rows rows_in[a] are scored against the k1
 * rows W_out[outputs[b]], all from their values before the block. The labels
 * are 1 for b < n_pos and 0 after (negative sampling: the positives, then the
 * noise words), or 1 - codes[b] (hierarchical softmax: the inner nodes on a
 * word's path and the branch taken at each). Each output row moves by sum_a g[b, a]
 * rows_in[a]; the rows' gradients sum_b g[b, a] W_out[outputs[b]] are written
 * to grad_in (n, dim), or added to it when `add`. A row that occurs twice among
 * the outputs gets both steps. g: n * k1 floats of scratch. */
RF_HOT
static void rf_block(const float *const *rows_in, int32_t n, float *const *rows_out, int32_t dim,
                     int32_t k1, const uint8_t *codes, int32_t n_pos, float alpha,
                     float *RF_RESTRICT g, float *RF_RESTRICT grad_in, int add, double *loss)
{
    /* g[b * n + a]: output-major, so that each output's scores share one label
     * and the sigmoid pass runs over contiguous runs */
    for (int32_t a = 0; a < n; a++) {
        int32_t b = 0;
        for (; b + 4 <= k1; b += 4) {
            float s[4];
            rf_dot4(rows_in[a], (const float *const *)rows_out + b, dim, s);
            for (int k = 0; k < 4; k++) g[(b + k) * n + a] = s[k];
        }
        for (; b < k1; b++) g[b * n + a] = rf_dot(rows_in[a], rows_out[b], dim);
    }
    if (codes == NULL) {
        rf_logits_to_grads(g, n * k1, n * n_pos, alpha, loss);
    } else if (n == 1) {
        rf_coded_logits_to_grads(g, k1, codes, alpha, loss);
    } else {
        for (int32_t b = 0; b < k1; b++)
            rf_logits_to_grads(g + b * n, n, codes[b] ? 0 : n, alpha, loss);
    }
    /* column block by column block: the gradient of the inputs reads the output
     * rows before they move. Each loop keeps its destination in registers across
     * the small inner sum and stores it once. Every sum is taken in the same order
     * whichever loop computes it. */
    int32_t j0 = 0;
#if RF_GNU_C
    /* Four sums at a time where possible: independent chains instead of one long
     * one, each sum still taken in the same order, so the result is unchanged. */
    const rf_v8 zero = {0, 0, 0, 0, 0, 0, 0, 0};
    const int32_t jv = dim - dim % 8;
    /* fewer than four rows (CBOW has one): their gradient in a pass of its own, four
     * column blocks at a time, so that the chains are independent */
    const int32_t own_pass = n < 4 ? n : 0;
    for (int32_t a = 0; a < own_pass; a++) {
        float *dst = grad_in + (int64_t)a * dim;
        int32_t j = 0;
        for (; j + 32 <= jv; j += 32) {
            rf_v8 c0 = zero, c1 = zero, c2 = zero, c3 = zero;
            if (add) {
                c0 = *(rf_v8u *)(dst + j);
                c1 = *(rf_v8u *)(dst + j + 8);
                c2 = *(rf_v8u *)(dst + j + 16);
                c3 = *(rf_v8u *)(dst + j + 24);
            }
            for (int32_t b = 0; b < k1; b++) {
                const float *u = rows_out[b] + j;
                const float gb = g[b * n + a];
                c0 += gb * *(const rf_v8u *)u;
                c1 += gb * *(const rf_v8u *)(u + 8);
                c2 += gb * *(const rf_v8u *)(u + 16);
                c3 += gb * *(const rf_v8u *)(u + 24);
            }
            *(rf_v8u *)(dst + j) = c0;
            *(rf_v8u *)(dst + j + 8) = c1;
            *(rf_v8u *)(dst + j + 16) = c2;
            *(rf_v8u *)(dst + j + 24) = c3;
        }
        for (; j < jv; j += 8) {
            rf_v8 acc = zero;
            if (add) acc = *(rf_v8u *)(dst + j);
            for (int32_t b = 0; b < k1; b++) acc += g[b * n + a] * *(const rf_v8u *)(rows_out[b] + j);
            *(rf_v8u *)(dst + j) = acc;
        }
    }
    for (; j0 + 8 <= dim; j0 += 8) {
        int32_t a = 0;
        for (; a + 4 <= n; a += 4) {
            float *d0 = grad_in + (int64_t)a * dim + j0, *d1 = d0 + dim, *d2 = d1 + dim,
                  *d3 = d2 + dim;
            rf_v8 c0 = zero, c1 = zero, c2 = zero, c3 = zero;
            if (add) {
                c0 = *(rf_v8u *)d0;
                c1 = *(rf_v8u *)d1;
                c2 = *(rf_v8u *)d2;
                c3 = *(rf_v8u *)d3;
            }
            for (int32_t b = 0; b < k1; b++) {
                const rf_v8 u = *(const rf_v8u *)(rows_out[b] + j0);
                const float *gb = g + b * n + a;
                c0 += gb[0] * u;
                c1 += gb[1] * u;
                c2 += gb[2] * u;
                c3 += gb[3] * u;
            }
            *(rf_v8u *)d0 = c0;
            *(rf_v8u *)d1 = c1;
            *(rf_v8u *)d2 = c2;
            *(rf_v8u *)d3 = c3;
        }
        for (a = a > own_pass ? a : own_pass; a < n; a++) {   /* rows the pass above left */
            rf_v8u *dst = (rf_v8u *)(grad_in + (int64_t)a * dim + j0);
            rf_v8 acc = zero;
            if (add) acc = *dst;
            for (int32_t b = 0; b < k1; b++) acc += g[b * n + a] * *(const rf_v8u *)(rows_out[b] + j0);
            *dst = acc;
        }
        int32_t b = 0;
        for (; b + 4 <= k1; b += 4) {
            float *r0 = rows_out[b], *r1 = rows_out[b + 1], *r2 = rows_out[b + 2],
                  *r3 = rows_out[b + 3];
            /* a row repeated among the outputs must see its first step: one at a time */
            if (r0 == r1 || r0 == r2 || r0 == r3 || r1 == r2 || r1 == r3 || r2 == r3) break;
            rf_v8 c0 = *(const rf_v8u *)(r0 + j0), c1 = *(const rf_v8u *)(r1 + j0),
                  c2 = *(const rf_v8u *)(r2 + j0), c3 = *(const rf_v8u *)(r3 + j0);
            const float *g0 = g + b * n;
            for (a = 0; a < n; a++) {
                const rf_v8 v = *(const rf_v8u *)(rows_in[a] + j0);
                c0 += g0[a] * v;
                c1 += g0[n + a] * v;
                c2 += g0[2 * n + a] * v;
                c3 += g0[3 * n + a] * v;
            }
            *(rf_v8u *)(r0 + j0) = c0;
            *(rf_v8u *)(r1 + j0) = c1;
            *(rf_v8u *)(r2 + j0) = c2;
            *(rf_v8u *)(r3 + j0) = c3;
        }
        for (; b < k1; b++) {
            rf_v8 acc = *(const rf_v8u *)(rows_out[b] + j0);
            for (a = 0; a < n; a++) acc += g[b * n + a] * *(const rf_v8u *)(rows_in[a] + j0);
            *(rf_v8u *)(rows_out[b] + j0) = acc;
        }
    }
    /* four of the columns left (dim 100 leaves four), summed in the order of the
     * scalar loop below */
    if (j0 + 4 <= dim) {
        const rf_v4 zero4 = {0, 0, 0, 0};
        for (int32_t a = 0; a < n; a++) {
            rf_v4u *dst = (rf_v4u *)(grad_in + (int64_t)a * dim + j0);
            rf_v4 acc = zero4;
            if (add) acc = *dst;
            for (int32_t b = 0; b < k1; b++) acc += g[b * n + a] * *(const rf_v4u *)(rows_out[b] + j0);
            *dst = acc;
        }
        for (int32_t b = 0; b < k1; b++) {
            rf_v4 acc = *(const rf_v4u *)(rows_out[b] + j0);
            for (int32_t a = 0; a < n; a++) acc += g[b * n + a] * *(const rf_v4u *)(rows_in[a] + j0);
            *(rf_v4u *)(rows_out[b] + j0) = acc;
        }
        j0 += 4;
    }
#endif
    for (int32_t j = j0; j < dim; j++) {
        for (int32_t a = 0; a < n; a++) {
            float acc = add ? grad_in[(int64_t)a * dim + j] : 0.0f;
            for (int32_t b = 0; b < k1; b++) acc += g[b * n + a] * rows_out[b][j];
            grad_in[(int64_t)a * dim + j] = acc;
        }
        for (int32_t b = 0; b < k1; b++) {
            float acc = rows_out[b][j];
            for (int32_t a = 0; a < n; a++) acc += g[b * n + a] * rows_in[a][j];
            rows_out[b][j] = acc;
        }
    }
}

/* rows[a] = row ids[a] of table t (RF_OWN_IN, _OUT or _SYN1, whose shared array
 * is `table`) for a < n: this training call's own copy where it keeps one. */
static inline void rf_rows(const rf_sgns_model *m, int t, float *table, const int32_t *ids,
                           int32_t n, float **rows)
{
    const rf_private_rows p = m->own[t];
    const int64_t dim = m->dim;
    if (p.count == 0) {   /* no copies: one worker */
        for (int32_t a = 0; a < n; a++) rows[a] = table + ids[a] * dim;
        return;
    }
    for (int32_t a = 0; a < n; a++) {
        const uint32_t own = (uint32_t)(ids[a] - p.first);
        rows[a] = own < (uint32_t)p.count ? p.rows + own * dim : table + ids[a] * dim;
    }
}

/* One window: the n context rows W_in[inputs[a]] (skip-gram: each of them;
 * CBOW: their sum, or mean, h) are trained to predict the center word, through
 * negative sampling (the k1 rows m->W_out[outputs[b]], outputs[0] the center)
 * and through hierarchical softmax (the n_nodes rows m->syn1[nodes[i]] on the
 * center's path, branch codes[i]); either part may be empty (k1 or n_nodes 0).
 * Every score comes from the values before the window (Ji et al. 2016 for
 * skip-gram's shared negatives). Skip-gram moves each context row by its own
 * gradient; CBOW moves each by the whole gradient of h for the mean (as
 * word2vec's C tool and gensim do), by that gradient over n for the sum (as
 * gensim). Windows without inputs change nothing.
 * work: rf_window_floats(n, max(k1, n_nodes), dim) floats. */
RF_HOT
static void rf_train_window(const rf_sgns_model *m, const int32_t *inputs, int32_t n,
                            const int32_t *outputs, int32_t k1, const int32_t *nodes,
                            const uint8_t *codes, int32_t n_nodes, float alpha, float *work,
                            double *loss)
{
    const int32_t dim = m->dim;
    float *inputs_at[RF_MAX_WINDOW_ROWS], *rows_out[RF_MAX_WINDOW_ROWS];
    const float *const *rows_in = (const float *const *)inputs_at;
    const float *cbow_row[1] = {work};   /* CBOW's one input row, h */
    float *grad_in, *g;
    int32_t n_rows;
    if (n == 0 || (k1 == 0 && n_nodes == 0)) return;
    rf_rows(m, RF_OWN_IN, m->W_in, inputs, n, inputs_at);
    if (m->cbow) {
        float *RF_RESTRICT h = work;
        grad_in = h + dim;
        g = grad_in + dim;
        memset(h, 0, (size_t)dim * sizeof(float));
        for (int32_t a = 0; a < n; a++) {
            const float *RF_RESTRICT v = inputs_at[a];
            for (int32_t j = 0; j < dim; j++) h[j] += v[j];
        }
        if (m->cbow_mean) {
            const float inv = 1.0f / (float)n;
            for (int32_t j = 0; j < dim; j++) h[j] *= inv;
        }
        rows_in = cbow_row;
        n_rows = 1;
    } else {
        grad_in = work;
        g = work + (int64_t)n * dim;
        n_rows = n;
    }
    if (n_nodes > 0) {
        rf_rows(m, RF_OWN_SYN1, m->syn1, nodes, n_nodes, rows_out);
        rf_block(rows_in, n_rows, rows_out, dim, n_nodes, codes, 0, alpha, g, grad_in, 0,
                 loss);
    }
    if (k1 > 0) {
        rf_rows(m, RF_OWN_OUT, m->W_out, outputs, k1, rows_out);
        rf_block(rows_in, n_rows, rows_out, dim, k1, NULL, 1, alpha, g, grad_in, n_nodes > 0,
                 loss);
    }
    if (m->cbow && !m->cbow_mean) {  /* a sum spreads its gradient over its terms, as gensim */
        const float inv = 1.0f / (float)n;
        for (int32_t j = 0; j < dim; j++) grad_in[j] *= inv;
    }
    for (int32_t a = 0; a < n; a++) {
        float *RF_RESTRICT v = inputs_at[a];
        const float *RF_RESTRICT d = grad_in + (m->cbow ? 0 : (int64_t)a * dim);
        if (m->lockf != NULL) {
            const float f = m->lockf[inputs[a] % m->lockf_len];
            for (int32_t j = 0; j < dim; j++) v[j] += f * d[j];
        } else {
            for (int32_t j = 0; j < dim; j++) v[j] += d[j];
        }
    }
}

size_t rf_window_floats(int32_t n, int32_t k1, int32_t dim)
{
    size_t sg = (size_t)n * (size_t)dim + (size_t)n * (size_t)k1;
    size_t cbow = 2 * (size_t)dim + (size_t)k1;
    return sg > cbow ? sg : cbow;
}

RF_HOT
double rf_w2v_windows(const rf_sgns_model *m, const int32_t *inputs, const int64_t *input_ends,
                      int64_t n_windows, const int32_t *outputs, int32_t k1,
                      const int32_t *nodes, const uint8_t *codes, const int64_t *node_ends,
                      float alpha, float *work)
{
    double loss = 0;
    int64_t begin = 0, node_begin = 0;
    for (int64_t w = 0; w < n_windows; w++) {
        int64_t end = input_ends[w];
        int64_t node_end = node_ends ? node_ends[w] : 0;
        rf_train_window(m, inputs + begin, (int32_t)(end - begin),
                        k1 ? outputs + w * k1 : NULL, k1, nodes ? nodes + node_begin : NULL,
                        codes ? codes + node_begin : NULL, (int32_t)(node_end - node_begin),
                        alpha, work, &loss);
        begin = end;
        node_begin = node_end;
    }
    return loss;
}

static inline void rf_prefetch_row(const float *row, int32_t dim)
{
    RF_PREFETCH_FLOATS_READ(row, dim);
}

/* The first of the Huffman path entries of `word` (its path ends at path_ends[word]). */
static inline int64_t rf_path_begin(const rf_sgns_model *m, int32_t word)
{
    return word > 0 ? m->path_ends[word - 1] : 0;
}

/* Row id of table t as this training call sees it: its own copy where it keeps one. */
static inline float *rf_row(const rf_sgns_model *m, int t, float *table, int32_t id)
{
    const rf_private_rows p = m->own[t];
    const uint32_t own = (uint32_t)(id - p.first);
    return own < (uint32_t)p.count ? p.rows + (int64_t)own * m->dim : table + (int64_t)id * m->dim;
}

static inline int64_t rf_subword_begin(const rf_sgns_model *m, int32_t word)
{
    return word > 0 ? m->subword_ends[word - 1] : 0;
}

/* h += each of word's subword rows, in order; returns how many */
static inline int64_t rf_add_subwords(const rf_sgns_model *m, int32_t word, float *RF_RESTRICT h)
{
    const int32_t dim = m->dim;
    const int64_t begin = rf_subword_begin(m, word), end = m->subword_ends[word];
    for (int64_t r = begin; r < end; r++) {
        const float *RF_RESTRICT v = rf_row(m, RF_OWN_IN, m->W_in, m->subwords[r]);
        for (int32_t j = 0; j < dim; j++) h[j] += v[j];
    }
    return end - begin;
}

/* Every subword row of word moves by scale * d (a row listed twice, twice). */
static inline void rf_spread_subwords(const rf_sgns_model *m, int32_t word, float scale,
                                      const float *RF_RESTRICT d)
{
    const int32_t dim = m->dim;
    for (int64_t r = rf_subword_begin(m, word); r < m->subword_ends[word]; r++) {
        float *RF_RESTRICT v = rf_row(m, RF_OWN_IN, m->W_in, m->subwords[r]);
        for (int32_t j = 0; j < dim; j++) v[j] += scale * d[j];
    }
}

/* FastText's skip-gram window: the center's input h (the mean of its subword
 * rows, taken once) scores the n context words targets[0 .. n-1] (label 1) and
 * the k noise words after them (label 0; the pairs' own draws) in one block
 * through W_out, and each context word's path
 * through syn1; each subword row moves by h's whole gradient (fastText's rule,
 * gensim's too: not that over the number of rows).
 * work: rf_window_floats(1, max(n + k, longest path), dim) floats. */
RF_HOT
static void rf_train_subword_sg(const rf_sgns_model *m, int32_t center, const int32_t *targets,
                                int32_t n, int32_t k, float alpha, float *work, double *loss)
{
    const int32_t dim = m->dim;
    float *RF_RESTRICT h = work, *grad = work + dim, *g = grad + dim;
    const float *rows_in[1] = {h};
    float *rows_out[RF_MAX_WINDOW_ROWS];
    int add = 0;
    if (n == 0) return;
    memset(h, 0, (size_t)dim * sizeof(float));
    const float share = 1.0f / (float)rf_add_subwords(m, center, h);
    for (int32_t j = 0; j < dim; j++) h[j] *= share;
    if (m->hs) {
        for (int32_t a = 0; a < n; a++) {
            const int64_t p0 = rf_path_begin(m, targets[a]);
            const int32_t len = (int32_t)(m->path_ends[targets[a]] - p0);
            if (len == 0) continue;
            rf_rows(m, RF_OWN_SYN1, m->syn1, m->path_nodes + p0, len, rows_out);
            rf_block(rows_in, 1, rows_out, dim, len, m->path_codes + p0, 0, alpha, g, grad,
                     add, loss);
            add = 1;
        }
    }
    if (m->negative > 0) {
        rf_rows(m, RF_OWN_OUT, m->W_out, targets, n + k, rows_out);
        rf_block(rows_in, 1, rows_out, dim, n + k, NULL, n, alpha, g, grad, add, loss);
        add = 1;
    }
    if (add) rf_spread_subwords(m, center, 1.0f, grad);
}

RF_HOT
double rf_ft_windows(const rf_sgns_model *m, const int32_t *centers, const int32_t *contexts,
                     const int64_t *context_ends, int64_t n_windows, const int32_t *negatives,
                     int32_t k, float alpha, float *work)
{
    int32_t targets[RF_MAX_WINDOW_ROWS];
    double loss = 0;
    if (m->negative == 0) k = 0;
    for (int64_t w = 0, begin = 0; w < n_windows; begin = context_ends[w++]) {
        const int32_t n = (int32_t)(context_ends[w] - begin);
        if (n == 0) continue;   /* (contexts may be NULL then) */
        memcpy(targets, contexts + begin, (size_t)n * sizeof(int32_t));
        for (int32_t b = 0; b < k; b++) targets[n + b] = negatives[w * k + b];
        rf_train_subword_sg(m, centers[w], targets, n, k, alpha, work, &loss);
    }
    return loss;
}

/* The most noise words a window's plan draws: FastText's skip-gram draws
 * `negative` for each word of the window (fastText's and gensim's rule) and scores
 * them all in the window's one block. Fewer, shared by the window's words and
 * standing for the pairs' draws, cost quality: on corpus17m, 3 epochs, 2 x
 * negative shared gave 60.1% on the analogies, a draw per pair 62.3% (gensim
 * 62.7%), at 1.4x the speed. */
static inline int32_t rf_noise_draws(const rf_sgns_model *m)
{
    return m->subwords && !m->cbow ? 2 * m->window * m->negative : m->negative;
}

/* Draw window i's reach and negatives into plan (reach, the center, then the
 * negatives), and start loading the rows it will touch: by the time that window
 * is trained they are in cache. Negatives are random rows of a large table, and
 * waiting for them was the largest single cost of training. */
static inline void rf_plan_window(const rf_sgns_model *m, uint64_t *rng, const int32_t *ids,
                                  int32_t n, int32_t i, int32_t *plan)
{
    const int32_t dim = m->dim;
    int32_t reach = m->shrink_windows ? 1 + (int32_t)rf_below(rng, (uint32_t)m->window)
                                      : m->window;
    /* FastText's skip-gram: the window's words are the positives */
    const int context_positive = m->subwords && !m->cbow;
    const int32_t lo = i - reach < 0 ? 0 : i - reach, hi = i + reach >= n ? n - 1 : i + reach;
    /* the window's words besides the center: each draws its own noise words */
    const int32_t k1 = 1 + (context_positive ? (hi - lo) * m->negative : m->negative);
    plan[0] = reach;
    plan[1] = ids[i];
    for (int32_t got = 1; got < k1; got++) {
        /* redraw a noise word equal to its pair's positive (the center, or in FastText's
         * skip-gram the window word it was drawn for), a bounded number of times: with
         * a one-word vocabulary there is no other word to draw */
        int32_t positive = ids[i];
        if (context_positive) {
            const int32_t j = lo + (got - 1) / m->negative;
            positive = ids[j < i ? j : j + 1];
        }
        int32_t w = rf_draw_noise(m, rng);
        for (int tries = 0; w == positive && tries < 16; tries++) w = rf_draw_noise(m, rng);
        plan[1 + got] = w;
    }
    if (m->negative > 0) {
        /* the noise words' output rows, and the center's, or in FastText's skip-gram
         * (where the window's words are the positives) the word that can first join
         * a window at window i */
        for (int32_t b = context_positive; b < k1; b++)
            rf_prefetch_row(m->W_out + (int64_t)plan[1 + b] * dim, dim);
        if (context_positive && i + m->window < n)
            rf_prefetch_row(m->W_out + (int64_t)ids[i + m->window] * dim, dim);
    }
    if (m->hs && !context_positive) {  /* the rows of the center's path, deep ones are rarely in cache */
        for (int64_t p = rf_path_begin(m, ids[i]); p < m->path_ends[ids[i]]; p++)
            rf_prefetch_row(m->syn1 + (int64_t)m->path_nodes[p] * dim, dim);
    }
    /* the input rows that enter: the window's new word's, the center's subwords, or
     * those of the word whose bag FastText's CBOW sums at window i */
    const int32_t ahead = m->subwords ? m->window : reach;
    const int32_t entering = context_positive ? ids[i] : i + ahead < n ? ids[i + ahead] : -1;
    if (entering < 0) return;
    if (!m->subwords) {
        rf_prefetch_row(m->W_in + (int64_t)entering * dim, dim);
        return;
    }
    /* into L2: a dozen or more rows at once; loading them into L1 held the core back
     * (corpus17m, one core: CBOW 687k -> 747k words/s, skip-gram 635k -> 658k, medians
     * of 3 alternated) */
    for (int64_t r = rf_subword_begin(m, entering); r < m->subword_ends[entering]; r++)
        RF_PREFETCH_FLOATS_L2(m->W_in + (int64_t)m->subwords[r] * dim, dim);
}

/* Floats of workspace a sentence needs (FastText's CBOW: its bags too). */
static size_t rf_work_floats(const rf_sgns_model *m)
{
    int32_t rows = m->negative + 1 > m->max_path ? m->negative + 1 : m->max_path;
    if (m->subwords && rows < 2 * m->window + rf_noise_draws(m))
        rows = 2 * m->window + rf_noise_draws(m);
    size_t floats = rf_window_floats(2 * m->window, rows, m->dim);
    if (m->subwords && m->cbow)
        floats += 2 * (2 * (size_t)m->window + 1) * (size_t)m->dim;
    return floats;
}

/* Ints of scratch a sentence needs: two plans, the window's words and noise words
 * (FastText's CBOW: each bag's row count and whether it moved). */
static size_t rf_scratch_ints(const rf_sgns_model *m)
{
    return 3 * ((size_t)rf_noise_draws(m) + 2) + 2 * (2 * (size_t)m->window + 1);
}

/* FastText's CBOW over one (subsampled) sentence of n words. Each position's bag
 * (the sum of its word's subword rows, and how many) is summed once, at the first
 * window that can reach it (window p - W, W = m->window), into S; the steps the
 * windows give it gather in G and go to each of its rows once, after the last
 * window that can reach it (window p + W). Window i: h, the sum of S over its
 * context positions (lo..hi but i; over their rows' count for the mean),
 * predicts the center as word2vec's CBOW does, and each context position's G
 * gathers h's gradient (over the count for the sum, as gensim). fastText reads
 * and writes every row of every context word at every window; here each is read
 * and written once per word, and a row moves up to 2W + 1 windows late.
 * reaches (n, in 1..W) and negatives (n * m->negative) are given, or NULL: drawn
 * from rng a window ahead, the rows' loads started. work: rf_work_floats(m);
 * scratch: rf_scratch_ints(m). Returns the windows trained; adds to *loss. */
RF_HOT
static int64_t rf_subword_cbow_sentence(const rf_sgns_model *m, uint64_t *rng,
                                        const int32_t *ids, int32_t n, const int32_t *reaches,
                                        const int32_t *negatives, float alpha, float *work,
                                        int32_t *scratch, double *loss)
{
    const int32_t dim = m->dim, W = m->window, slots = 2 * W + 1, neg = m->negative;
    const int32_t k1 = neg + 1, k1_used = neg > 0 ? k1 : 0;
    float *S = work, *G = S + (int64_t)slots * dim, *h = G + (int64_t)slots * dim;
    float *grad = h + dim, *g = grad + dim;
    int32_t *plans[2] = {scratch, scratch + k1 + 1};
    int32_t *rows = scratch + 2 * (k1 + 1), *touched = rows + slots;
    const float *rows_in[1] = {h};
    float *rows_out[RF_MAX_WINDOW_ROWS];
    int64_t trained = 0;
    int32_t entered = 0;
#define RF_SLOT(p) ((int64_t)((p) % slots) * dim)
    if (n > 0 && !reaches) rf_plan_window(m, rng, ids, n, 0, plans[0]);
    for (int32_t i = 0; i < n; i++) {
        int32_t *plan = plans[i & 1];
        if (reaches) {
            plan[0] = reaches[i];
            plan[1] = ids[i];
            for (int32_t b = 0; b < neg; b++) plan[2 + b] = negatives[(int64_t)i * neg + b];
        } else if (i + 1 < n) {
            rf_plan_window(m, rng, ids, n, i + 1, plans[(i + 1) & 1]);
        }
        for (; entered < n && entered <= i + W; entered++) {
            const int32_t s = entered % slots;
            memset(S + RF_SLOT(entered), 0, (size_t)dim * sizeof(float));
            memset(G + RF_SLOT(entered), 0, (size_t)dim * sizeof(float));
            rows[s] = (int32_t)rf_add_subwords(m, ids[entered], S + RF_SLOT(entered));
            touched[s] = 0;
        }
        const int32_t reach = plan[0];
        const int32_t lo = i - reach < 0 ? 0 : i - reach, hi = i + reach >= n ? n - 1 : i + reach;
        if (hi > lo) {   /* a context position besides i */
            int64_t count = 0;
            memset(h, 0, (size_t)dim * sizeof(float));
            for (int32_t p = lo; p <= hi; p++) {
                if (p == i) continue;
                const float *RF_RESTRICT sp = S + RF_SLOT(p);
                for (int32_t j = 0; j < dim; j++) h[j] += sp[j];
                count += rows[p % slots];
            }
            const float inv = 1.0f / (float)count;
            if (m->cbow_mean)
                for (int32_t j = 0; j < dim; j++) h[j] *= inv;
            const int32_t c = ids[i];
            const int64_t p0 = m->hs ? rf_path_begin(m, c) : 0;
            const int32_t n_nodes = m->hs ? (int32_t)(m->path_ends[c] - p0) : 0;
            if (n_nodes > 0) {
                rf_rows(m, RF_OWN_SYN1, m->syn1, m->path_nodes + p0, n_nodes, rows_out);
                rf_block(rows_in, 1, rows_out, dim, n_nodes, m->path_codes + p0, 0, alpha,
                         g, grad, 0, loss);
            }
            if (k1_used > 0) {
                rf_rows(m, RF_OWN_OUT, m->W_out, plan + 1, k1_used, rows_out);
                rf_block(rows_in, 1, rows_out, dim, k1_used, NULL, 1, alpha, g, grad,
                         n_nodes > 0, loss);
            }
            if (n_nodes > 0 || k1_used > 0) {
                const float scale = m->cbow_mean ? 1.0f : inv;
                for (int32_t p = lo; p <= hi; p++) {
                    if (p == i) continue;
                    float *RF_RESTRICT gp = G + RF_SLOT(p);
                    for (int32_t j = 0; j < dim; j++) gp[j] += scale * grad[j];
                    touched[p % slots] = 1;
                }
                trained++;
            }
        }
        const int32_t leaving = i - W;
        if (leaving >= 0 && touched[leaving % slots])
            rf_spread_subwords(m, ids[leaving], 1.0f, G + RF_SLOT(leaving));
    }
    for (int32_t p = n - W > 0 ? n - W : 0; p < n; p++)
        if (touched[p % slots]) rf_spread_subwords(m, ids[p], 1.0f, G + RF_SLOT(p));
#undef RF_SLOT
    return trained;
}

double rf_ft_cbow_sentence(const rf_sgns_model *m, const int32_t *ids, int32_t n,
                           const int32_t *reaches, const int32_t *negatives, float alpha,
                           int64_t *trained)
{
    float *work = malloc(rf_work_floats(m) * sizeof(float));
    int32_t *scratch = malloc(rf_scratch_ints(m) * sizeof(int32_t));
    double loss = 0;
    if (work && scratch)
        *trained = rf_subword_cbow_sentence(m, NULL, ids, n, reaches, negatives, alpha, work,
                                            scratch, &loss);
    else
        loss = NAN;
    free(work);
    free(scratch);
    return loss;
}

/* One more update of row i, saturating: a row moved 2^32 times in one piece of a long
 * run keeps the largest count instead of wrapping to a small one (the counts weigh
 * the rows' merge, and 0 would read as "not moved"). */
static inline void rf_count_update(uint32_t *counts, int32_t i)
{
    counts[i] += counts[i] != UINT32_MAX;
}

/* Train one (already subsampled) sentence, a window per center word: the
 * center is the word its context words, the inputs, predict (as in word2vec's
 * C tool, for skip-gram too). Window i + 1 is planned while window i trains.
 * scratch: rf_scratch_ints(m) ints. */
static inline void rf_sentence_body(const rf_sgns_model *m, uint64_t *rng, const int32_t *ids,
                                    int32_t n, float alpha, float *work, int32_t *scratch,
                                    rf_sgns_stats *st, const int count)
{
    const int32_t k1 = rf_noise_draws(m) + 1, k1_used = m->negative > 0 ? k1 : 0;
    int32_t *plans[2] = {scratch, scratch + k1 + 1};
    if (m->subwords && m->cbow) {
        st->pairs += rf_subword_cbow_sentence(m, rng, ids, n, NULL, NULL, alpha, work, scratch,
                                              &st->loss);
        return;
    }
    int32_t *inputs = scratch + 2 * (k1 + 1);   /* up to 2 * window, and the negatives */
    if (n > 0) rf_plan_window(m, rng, ids, n, 0, plans[0]);
    for (int32_t i = 0; i < n; i++) {
        const int32_t *plan = plans[i & 1];
        if (i + 1 < n) rf_plan_window(m, rng, ids, n, i + 1, plans[(i + 1) & 1]);
        int32_t reach = plan[0];
        int32_t lo = i - reach < 0 ? 0 : i - reach;
        int32_t hi = i + reach >= n ? n - 1 : i + reach;
        int32_t n_in = 0;
        for (int32_t j = lo; j <= hi; j++)
            if (j != i) inputs[n_in++] = ids[j];
        if (n_in == 0) continue;
        if (m->subwords && !m->cbow) {   /* the noise words follow the window's words */
            const int32_t k = n_in * m->negative;
            for (int32_t b = 0; b < k; b++) inputs[n_in + b] = plan[2 + b];
            rf_train_subword_sg(m, ids[i], inputs, n_in, k, alpha, work, &st->loss);
            st->pairs += n_in;
            continue;
        }
        const int32_t *nodes = NULL;
        const uint8_t *codes = NULL;
        int32_t n_nodes = 0;
        if (m->hs) {
            int64_t begin = rf_path_begin(m, ids[i]);
            nodes = m->path_nodes + begin;
            codes = m->path_codes + begin;
            n_nodes = (int32_t)(m->path_ends[ids[i]] - begin);
        }
        rf_train_window(m, inputs, n_in, plan + 1, k1_used, nodes, codes, n_nodes, alpha, work,
                        &st->loss);
        st->pairs += m->cbow ? 1 : n_in;
        if (count) {
            for (int32_t a = 0; a < n_in; a++) rf_count_update(m->updates_in, inputs[a]);
            if (m->updates_out)
                for (int32_t b = 0; b < k1_used; b++) rf_count_update(m->updates_out, plan[1 + b]);
            if (m->updates_syn1)
                for (int32_t c = 0; c < n_nodes; c++) rf_count_update(m->updates_syn1, nodes[c]);
        }
    }
}

/* The body compiled twice, with and without the counts, so that the windows'
 * loop holds no test for them; the choice is made once per sentence. */
RF_HOT
static void rf_sentence_counted(const rf_sgns_model *m, uint64_t *rng, const int32_t *ids,
                                int32_t n, float alpha, float *work, int32_t *scratch,
                                rf_sgns_stats *st)
{
    rf_sentence_body(m, rng, ids, n, alpha, work, scratch, st, 1);
}

static inline void rf_sentence(const rf_sgns_model *m, uint64_t *rng, const int32_t *ids,
                               int32_t n, float alpha, float *work, int32_t *scratch,
                               rf_sgns_stats *st)
{
    if (m->updates_in)
        rf_sentence_counted(m, rng, ids, n, alpha, work, scratch, st);
    else
        rf_sentence_body(m, rng, ids, n, alpha, work, scratch, st, 0);
}


static inline int rf_keep(const rf_sgns_model *m, uint64_t *rng, int32_t id)
{
    uint32_t thr = m->keep_below[id];
    return thr == 0xffffffffu || (uint32_t)rf_rand(rng) < thr;
}

/* The learning rate once `done` of the `total` raw words a pass expects are read:
 * the one schedule of both passes, so a file and the same sentences from Python
 * train alike. */
static inline float rf_alpha(float alpha_start, float alpha_end, int64_t done, int64_t total)
{
    double f = (double)done / (double)(total > 0 ? total : 1);
    return alpha_start + (alpha_end - alpha_start) * (float)(f < 1 ? f : 1);
}

static void rf_free_local(rf_sgns_model *local)
{
    for (int t = 0; t < 3; t++) {
        free(local->own[t].rows);
        local->own[t].rows = NULL;
    }
}

/* A training call's model: a copy of m that, with m->private_rows or
 * m->private_words, points those rows at this call's own buffers. Returns 0, or
 * -1 on out of memory. */
static int rf_local_model(const rf_sgns_model *m, rf_sgns_model *local)
{
    *local = *m;
    float *tables[3] = {m->W_in, m->W_out, m->syn1};
    int32_t first[3] = {0, 0, 0}, count[3] = {0, 0, 0};
    const int32_t V = m->vocab_size, words = m->private_words < V ? m->private_words : V;
    if (words > 0) {
        count[RF_OWN_IN] = words;
        if (m->negative > 0) count[RF_OWN_OUT] = words;
    }
    if (m->hs && m->private_rows > 0 && V > 1) {
        count[RF_OWN_SYN1] = m->private_rows < V - 1 ? m->private_rows : V - 1;
        first[RF_OWN_SYN1] = V - 1 - count[RF_OWN_SYN1];  /* the root is node V - 2 */
    }
    for (int t = 0; t < 3; t++) {
        local->own[t].rows = NULL;
        local->own[t].first = first[t];
        local->own[t].count = count[t];
    }
    for (int t = 0; t < 3; t++) {
        if (count[t] == 0) continue;
        const size_t floats = (size_t)count[t] * (size_t)m->dim;
        float *rows = malloc(2 * floats * sizeof(float));
        if (!rows) {
            rf_free_local(local);
            return -1;
        }
        memcpy(rows, tables[t] + (int64_t)first[t] * m->dim, floats * sizeof(float));
        memcpy(rows + floats, rows, floats * sizeof(float));
        local->own[t].rows = rows;
    }
    return 0;
}

/* A training call works on its own copies of its random state and its stats
 * record, which the caller's arrays hold side by side with the other workers'
 * (in one cache line, often: written at every draw and window, the line would
 * pass between the cores all the time). The stats go back at every merge, for
 * progress, and both at the end. */
#define RF_OWN_STATE(rng_shared, stats_shared)                 \
    uint64_t rng_state = *(rng_shared);                          \
    rf_sgns_stats stats_state = *(stats_shared);                 \
    uint64_t *const rng = &rng_state;                            \
    rf_sgns_stats *const stats = &stats_state

/* Raw words between merges of the private rows: often enough that the workers'
 * rows stay close, rarely enough that passing the lines costs little (CBOW-NS on
 * two workers, corpus17m: 1.73-1.77x one worker at 2,048, 1.79-1.83x at 8,192,
 * no better at 32,768). */
#define RF_MERGE_WORDS 8192

/* Add this call's changes to its private rows to the shared ones and start again
 * from their sum (which holds the other workers' changes too). */
static void rf_merge_private(const rf_sgns_model *local)
{
    float *tables[3] = {local->W_in, local->W_out, local->syn1};
    for (int t = 0; t < 3; t++) {
        const rf_private_rows *p = &local->own[t];
        if (!p->rows) continue;
        const size_t floats = (size_t)p->count * (size_t)local->dim;
        float *shared = tables[t] + (int64_t)p->first * local->dim;
        float *mine = p->rows, *base = p->rows + floats;
        for (size_t j = 0; j < floats; j++) {
            const float sum = shared[j] + (mine[j] - base[j]);
            shared[j] = sum;
            mine[j] = base[j] = sum;
        }
    }
}

/* What one training call owns besides its state: its copy of the model (shared
 * tables, private hot rows) and the workspace rf_sentence needs. */
typedef struct {
    rf_sgns_model model;
    int local_rc;
    float *work;
    int32_t *scratch;
    int32_t *sentence;
} rf_call;

/* 0, or -1 when the copy or a buffer could not be had (rf_call_end frees either way). */
static int rf_call_begin(rf_call *c, const rf_sgns_model *shared)
{
    c->local_rc = rf_local_model(shared, &c->model);
    const rf_sgns_model *m = &c->model;
    c->work = malloc(rf_work_floats(m) * sizeof(float));
    c->scratch = malloc(rf_scratch_ints(m) * sizeof(int32_t));
    c->sentence = malloc(RF_MAX_SENTENCE * sizeof(int32_t));
    return c->local_rc == 0 && c->work && c->scratch && c->sentence ? 0 : -1;
}

/* Merge the private rows, hand the random state and stats back, free. */
static void rf_call_end(rf_call *c, uint64_t *rng_shared, const uint64_t *rng,
                        rf_sgns_stats *stats_shared, const rf_sgns_stats *stats)
{
    if (c->local_rc == 0)
        rf_merge_private(&c->model);
    *rng_shared = *rng;
    *stats_shared = *stats;
    rf_free_local(&c->model);
    free(c->work);
    free(c->scratch);
    free(c->sentence);
}

/* n more raw words trained: every RF_MERGE_WORDS, merge the private rows and publish
 * the stats for progress. */
static inline void rf_words_trained(rf_call *c, int64_t n, int64_t *since_merge,
                                    const rf_sgns_stats *stats, rf_sgns_stats *stats_shared)
{
    *since_merge += n;
    if (*since_merge >= RF_MERGE_WORDS) {
        rf_merge_private(&c->model);
        *stats_shared = *stats;
        *since_merge = 0;
    }
}

RF_HOT
void rf_sgns_train_ids(const rf_sgns_model *m_shared, uint64_t *rng_shared, const int32_t *ids,
                       const int64_t *sentence_ends, const int64_t *raw_ends,
                       int64_t n_sentences, float alpha_start, float alpha_end,
                       int64_t words_before, int64_t words_total, rf_sgns_stats *stats_shared,
                       volatile const int *stop)
{
    RF_OWN_STATE(rng_shared, stats_shared);
    rf_call c;
    const rf_sgns_model *m = &c.model;
    int64_t begin = 0, raw_begin = 0, since_merge = 0;
    if (rf_call_begin(&c, m_shared) != 0) goto out;
    for (int64_t s = 0; s < n_sentences && !*stop; s++) {
        int64_t end = sentence_ends[s];
        float alpha = rf_alpha(alpha_start, alpha_end, words_before + raw_begin, words_total);
        int32_t n = 0;
        for (int64_t t = begin; t < end; t++) {
            if (!rf_keep(m, rng, ids[t])) continue;
            c.sentence[n++] = ids[t];
            stats->kept++;
            if (n == RF_MAX_SENTENCE) {  /* the caller cuts sentences; this is a guard */
                rf_sentence(m, rng, c.sentence, n, alpha, c.work, c.scratch, stats);
                n = 0;
            }
        }
        rf_sentence(m, rng, c.sentence, n, alpha, c.work, c.scratch, stats);
        stats->words += raw_ends[s] - raw_begin;
        rf_words_trained(&c, raw_ends[s] - raw_begin, &since_merge, stats, stats_shared);
        raw_begin = raw_ends[s];
        begin = end;
    }
out:
    rf_call_end(&c, rng_shared, rng, stats_shared, stats);
}

/* rf_sgns_train_ids on the sentences a file pass kept (rf_encoded's varints):
 * the same subsampling draws in the same order, so the same training. */
RF_HOT
void rf_sgns_train_encoded(const rf_sgns_model *m_shared, uint64_t *rng_shared,
                           const rf_encoded *text, float alpha_start, float alpha_end,
                           int64_t words_before, int64_t words_total,
                           rf_sgns_stats *stats_shared, volatile const int *stop)
{
    RF_OWN_STATE(rng_shared, stats_shared);
    rf_call c;
    const rf_sgns_model *m = &c.model;
    const uint8_t *p = text->bytes;
    int64_t raw_begin = 0, since_merge = 0;
    if (rf_call_begin(&c, m_shared) != 0) goto out;
    for (int64_t s = 0; s < text->n_sentences && !*stop; s++) {
        /* kept <= raw <= RF_MAX_SENTENCE: the file reader cut the sentence */
        const uint32_t kept = rf_varint_read(&p), raw = rf_varint_read(&p);
        float alpha = rf_alpha(alpha_start, alpha_end, words_before + raw_begin, words_total);
        int32_t n = 0;
        for (uint32_t t = 0; t < kept; t++) {
            const int32_t id = (int32_t)rf_varint_read(&p);
            if (rf_keep(m, rng, id)) c.sentence[n++] = id;
        }
        stats->kept += n;
        rf_sentence(m, rng, c.sentence, n, alpha, c.work, c.scratch, stats);
        stats->words += raw;
        rf_words_trained(&c, raw, &since_merge, stats, stats_shared);
        raw_begin += raw;
    }
out:
    rf_call_end(&c, rng_shared, rng, stats_shared, stats);
}

/* Raw tokens looked up per batch: enough to start another sentence of the
 * longest length, so a batch always ends at a sentence boundary. */
#define RF_LOOKUP_BATCH (2 * RF_MAX_SENTENCE)
/* tokens looked up together (rf_vocab_lookup): a vocabulary of millions of words lies
 * outside the caches, and their misses overlap */
#define RF_LOOKUP_AHEAD 32

RF_HOT
int rf_sgns_train_file(const rf_sgns_model *m_shared, const rf_vocab *vocab, uint64_t *rng_shared,
                       const char *path, int64_t start, int64_t end,
                       float alpha_start, float alpha_end, int64_t words_before,
                       int64_t words_total, rf_sgns_stats *stats_shared, rf_encoded *keep,
                       volatile const int *stop)
{
    RF_OWN_STATE(rng_shared, stats_shared);
    rf_reader r;
    /* tokens waiting for their lookup, which fills ids[nb - waiting .. nb - 1] */
    char (*tokens)[RF_MAX_TOKEN + 1] = malloc(RF_LOOKUP_AHEAD * sizeof *tokens);
    uint32_t lens[RF_LOOKUP_AHEAD];
    int waiting = 0;
    int status = RF_READ_TOKEN, rc = 0;
    rf_call c;
    const rf_sgns_model *m = &c.model;
    const int call_rc = rf_call_begin(&c, m_shared);
    /* a batch: each raw token's index (-1 out of the vocabulary), and where
     * each sentence with tokens ends */
    int32_t *ids = malloc(RF_LOOKUP_BATCH * sizeof(int32_t));
    int32_t *ends = malloc(RF_LOOKUP_BATCH * sizeof(int32_t));
    int64_t words = words_before;  /* raw tokens of the pass before the next sentence */
    int64_t since_merge = 0;
    if (call_rc != 0 || !ids || !ends || !tokens) {
        rc = -1;
        goto out;
    }
    if (rf_reader_open(&r, path, start, end) != 0) {
        rc = -2;
        rf_reader_close(&r);
        goto out;
    }
    /* A sentence ends with its line or after RF_MAX_SENTENCE raw tokens, as
     * LineSentence cuts it; its learning rate is set by the words before it.
     * Tokens are looked up a batch at a time, so the hash table's frequent words
     * stay in cache across lookups, and RF_LOOKUP_AHEAD at once, so that the rare
     * words' misses (the slot, then the word's bytes) overlap. Subsampling draws
     * stay with each sentence's training, so the random stream is the same as
     * reading one sentence at a time. */
    while (status > 0 && !*stop) {
        int32_t nb = 0, ns = 0, raw = 0;
        /* a sentence may start while fewer than RF_MAX_SENTENCE tokens are held */
        while ((raw > 0 || nb < RF_MAX_SENTENCE) && !*stop &&
               (status = rf_reader_next(&r, tokens[waiting], &lens[waiting])) > 0) {
            if (status == RF_READ_TOKEN) {
                nb++;
                if (++waiting == RF_LOOKUP_AHEAD) {
                    rf_vocab_lookup(vocab, (const char (*)[RF_MAX_TOKEN + 1])tokens, lens,
                                    waiting, ids + nb - waiting);
                    waiting = 0;
                }
                if (++raw < RF_MAX_SENTENCE) continue;
            }
            if (raw > 0) ends[ns++] = nb;
            raw = 0;
        }
        rf_vocab_lookup(vocab, (const char (*)[RF_MAX_TOKEN + 1])tokens, lens, waiting,
                        ids + nb - waiting);
        waiting = 0;
        if (raw > 0) ends[ns++] = nb;   /* the range ended inside a sentence */
        if (keep) rf_encoded_append(keep, ids, ends, ns);
        for (int32_t k = 0, begin = 0; k < ns && !*stop; begin = ends[k++]) {
            int32_t n = 0;
            for (int32_t t = begin; t < ends[k]; t++)
                if (ids[t] >= 0 && rf_keep(m, rng, ids[t])) c.sentence[n++] = ids[t];
            stats->kept += n;
            rf_sentence(m, rng, c.sentence, n,
                        rf_alpha(alpha_start, alpha_end, words, words_total), c.work, c.scratch,
                        stats);
            words += ends[k] - begin;
            stats->words += ends[k] - begin;
            rf_words_trained(&c, ends[k] - begin, &since_merge, stats, stats_shared);
        }
    }
    if (status < 0) rc = rf_reader_failure(status);
    rf_reader_close(&r);
out:
    rf_call_end(&c, rng_shared, rng, stats_shared, stats);
    free(ids);
    free(ends);
    free(tokens);
    return rc;
}

void rf_sgns_model_init(rf_sgns_model *m, float *W_in, float *W_out, int32_t vocab_size,
                        int32_t dim, int32_t negative, int32_t window, int32_t shrink_windows,
                        int32_t cbow, int32_t cbow_mean, const uint32_t *keep_below,
                        const uint32_t *alias_accept, const int32_t *alias_other)
{
    memset(m, 0, sizeof *m);   /* no hierarchical softmax until rf_sgns_model_set_hs */
    m->cbow = cbow;
    m->cbow_mean = cbow_mean;
    m->W_in = W_in;
    m->W_out = W_out;
    m->vocab_size = vocab_size;
    m->dim = dim;
    m->negative = negative;
    m->window = window;
    m->shrink_windows = shrink_windows;
    m->keep_below = keep_below;
    m->alias_accept = alias_accept;
    m->alias_other = alias_other;
}

void rf_sgns_model_set_updates(rf_sgns_model *m, uint32_t *in, uint32_t *out, uint32_t *syn1)
{
    m->updates_in = in;
    m->updates_out = out;
    m->updates_syn1 = syn1;
}

void rf_sgns_model_set_subwords(rf_sgns_model *m, const int32_t *subwords,
                                const int64_t *subword_ends)
{
    m->subwords = subwords;
    m->subword_ends = subword_ends;
}

void rf_sgns_model_set_lockf(rf_sgns_model *m, const float *lockf, int32_t len)
{
    m->lockf = len > 0 ? lockf : NULL;
    m->lockf_len = len > 0 ? len : 1;
}

void rf_sgns_model_set_private_rows(rf_sgns_model *m, int32_t nodes, int32_t words)
{
    m->private_rows = nodes > 0 ? nodes : 0;
    m->private_words = words > 0 ? words : 0;
}

void rf_sgns_model_set_hs(rf_sgns_model *m, float *syn1, const int32_t *path_nodes,
                          const uint8_t *path_codes, const int64_t *path_ends, int32_t max_path)
{
    m->hs = 1;
    m->syn1 = syn1;
    m->path_nodes = path_nodes;
    m->path_codes = path_codes;
    m->path_ends = path_ends;
    m->max_path = max_path;
}

void rf_alias_build(const double *weights, int32_t n, uint32_t *accept, int32_t *other,
                    double *scaled, int32_t *stack)
{
    /* Walker/Vose: small ones (scaled < 1) at the bottom of `stack`, large at the top */
    double total = 0;
    for (int32_t i = 0; i < n; i++) total += weights[i];
    if (!(total > 0) || total > DBL_MAX) {  /* no usable weights: draw uniformly */
        for (int32_t i = 0; i < n; i++) {
            accept[i] = 0xffffffffu;
            other[i] = i;
        }
        return;
    }
    int32_t n_small = 0, n_large = 0;
    for (int32_t i = 0; i < n; i++) {
        scaled[i] = weights[i] / total * n;  /* weights[i] * n may overflow */
        if (scaled[i] < 1.0) stack[n_small++] = i;
        else stack[n - 1 - n_large++] = i;
        other[i] = i;
    }
    while (n_small > 0 && n_large > 0) {
        int32_t s = stack[--n_small];
        int32_t l = stack[n - n_large];
        accept[s] = (uint32_t)(scaled[s] * 4294967296.0);
        other[s] = l;
        scaled[l] -= 1.0 - scaled[s];
        if (scaled[l] < 1.0) {
            n_large--;
            stack[n_small++] = l;
        }
    }
    while (n_large > 0) accept[stack[n - n_large--]] = 0xffffffffu;
    while (n_small > 0) accept[stack[--n_small]] = 0xffffffffu;  /* rounding leftovers */
}
