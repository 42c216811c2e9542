#include "rf_sgns.h"
#include "rf_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* On x86-64 Linux with gcc, the hot functions are compiled twice, for the
 * baseline and for AVX2+FMA, and the loader picks one per machine: wheels stay
 * portable while recent CPUs get wide vectors. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && !defined(RF_NO_CLONES)
#define RF_HOT __attribute__((target_clones("arch=haswell", "default")))
#else
#define RF_HOT
#endif

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

/* Dot product with eight independent partial sums: a single running sum
 * would serialise on the add latency and cannot be vectorised. */
static inline float rf_dot(const float *a, const float *b, int32_t n)
{
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int32_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

/* Loss of one output and the scaled gradient g = (label - sigmoid(x)) * alpha. */
static inline float rf_output_grad(float x, int label, float alpha, double *loss)
{
    /* -log sigmoid(x) for label 1, -log sigmoid(-x) for label 0, without overflow */
    float z = label ? -x : x;
    float e = expf(-fabsf(z));
    *loss += (double)((z > 0 ? z : 0.0f) + log1pf(e));
    float f = x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
    return ((float)label - f) * alpha;
}

/* One pair: v = W_in[center]; the context and each negative update their
 * output vector and add to v's gradient, which is applied at the end. */
static inline void rf_pair(float *W_in, float *W_out, int32_t dim, int32_t center,
                           int32_t context, const int32_t *negs, int32_t k,
                           float alpha, float *RF_RESTRICT grad_v, double *loss)
{
    float *RF_RESTRICT v = W_in + (int64_t)center * dim;
    memset(grad_v, 0, (size_t)dim * sizeof(float));
    for (int32_t i = -1; i < k; i++) {
        int32_t target = i < 0 ? context : negs[i];
        float *RF_RESTRICT u = W_out + (int64_t)target * dim;
        float g = rf_output_grad(rf_dot(u, v, dim), i < 0, alpha, loss);
        for (int32_t j = 0; j < dim; j++) grad_v[j] += g * u[j];
        for (int32_t j = 0; j < dim; j++) u[j] += g * v[j];
    }
    for (int32_t j = 0; j < dim; j++) v[j] += grad_v[j];
}

RF_HOT
double rf_sgns_pairs(float *W_in, float *W_out, int32_t dim, const int32_t *centers,
                     const int32_t *contexts, const int32_t *negatives, int64_t n_pairs,
                     int32_t k, float alpha, float *work)
{
    double loss = 0;
    for (int64_t p = 0; p < n_pairs; p++)
        rf_pair(W_in, W_out, dim, centers[p], contexts[p], negatives + p * k, k, alpha,
                work, &loss);
    return loss;
}

/* Train every pair of one (already subsampled) sentence. */
static inline void rf_sentence(const rf_sgns_model *m, uint64_t *rng, const int32_t *ids,
                               int32_t n, float alpha, float *grad_v, int32_t *negs,
                               rf_sgns_stats *st)
{
    const int32_t k = m->negative;
    for (int32_t i = 0; i < n; i++) {
        int32_t reach = m->shrink_windows ? 1 + (int32_t)rf_below(rng, (uint32_t)m->window)
                                          : m->window;
        int32_t lo = i - reach < 0 ? 0 : i - reach;
        int32_t hi = i + reach >= n ? n - 1 : i + reach;
        for (int32_t j = lo; j <= hi; j++) {
            if (j == i) continue;
            int32_t context = ids[j];
            int32_t got = 0;
            while (got < k) {
                int32_t w = rf_draw_noise(m, rng);
                if (w != context) negs[got++] = w;
            }
            rf_pair(m->W_in, m->W_out, m->dim, ids[i], context, negs, k, alpha, grad_v,
                    &st->loss);
            st->pairs++;
        }
    }
}

static inline int rf_keep(const rf_sgns_model *m, uint64_t *rng, int32_t id)
{
    uint32_t thr = m->keep_below[id];
    return thr == 0xffffffffu || (uint32_t)rf_rand(rng) < thr;
}

RF_HOT
void rf_sgns_train_ids(const rf_sgns_model *m, uint64_t *rng, const int32_t *ids,
                       const int64_t *sentence_ends, int64_t n_sentences,
                       float alpha_start, float alpha_end, rf_sgns_stats *stats,
                       volatile const int *stop)
{
    float *grad_v = malloc((size_t)m->dim * sizeof(float));
    int32_t *negs = malloc((size_t)(m->negative > 0 ? m->negative : 1) * sizeof(int32_t));
    int32_t *sentence = malloc(RF_MAX_SENTENCE * sizeof(int32_t));
    int64_t total = n_sentences ? sentence_ends[n_sentences - 1] : 0;
    int64_t begin = 0;
    if (!grad_v || !negs || !sentence) goto out;
    for (int64_t s = 0; s < n_sentences && !*stop; s++) {
        int64_t end = sentence_ends[s];
        float alpha = alpha_start + (alpha_end - alpha_start) * (float)((double)begin / (double)(total ? total : 1));
        int32_t n = 0;
        for (int64_t t = begin; t < end; t++) {
            if (!rf_keep(m, rng, ids[t])) continue;
            sentence[n++] = ids[t];
            stats->kept++;
            if (n == RF_MAX_SENTENCE) {
                rf_sentence(m, rng, sentence, n, alpha, grad_v, negs, stats);
                n = 0;
            }
        }
        rf_sentence(m, rng, sentence, n, alpha, grad_v, negs, stats);
        stats->words += end - begin;
        begin = end;
    }
out:
    free(grad_v);
    free(negs);
    free(sentence);
}

RF_HOT
int rf_sgns_train_file(const rf_sgns_model *m, const rf_vocab *vocab, uint64_t *rng,
                       const char *path, int64_t start, int64_t end,
                       float alpha_start, float alpha_end, rf_sgns_stats *stats,
                       volatile const int *stop)
{
    rf_reader r;
    char token[RF_MAX_TOKEN + 1];
    uint32_t len;
    int status = 0, rc = 0;
    float *grad_v = malloc((size_t)m->dim * sizeof(float));
    int32_t *negs = malloc((size_t)(m->negative > 0 ? m->negative : 1) * sizeof(int32_t));
    int32_t *sentence = malloc(RF_MAX_SENTENCE * sizeof(int32_t));
    int32_t n = 0;
    int64_t line_words = 0;
    double span = (double)(end - start > 0 ? end - start : 1);
    if (!grad_v || !negs || !sentence) {
        rc = -1;
        goto out;
    }
    if (rf_reader_open(&r, path, start, end) != 0) {
        rc = -2;
        rf_reader_close(&r);
        goto out;
    }
    float alpha = alpha_start;
    while (!*stop && (status = rf_reader_next(&r, token, &len)) > 0) {
        if (status == 1) {
            line_words++;
            const rf_entry *e = rf_vocab_find(vocab, token, len);
            if (!e || !rf_keep(m, rng, e->index)) continue;
            sentence[n++] = e->index;
            stats->kept++;
            if (n < RF_MAX_SENTENCE) continue;
        }
        rf_sentence(m, rng, sentence, n, alpha, grad_v, negs, stats);
        n = 0;
        if (status == 2) {
            stats->words += line_words;
            line_words = 0;
            double done = (double)(r.pos - start) / span;
            alpha = alpha_start + (alpha_end - alpha_start) * (float)(done < 1 ? done : 1);
        }
    }
    if (status < 0) rc = -2;
    rf_sentence(m, rng, sentence, n, alpha, grad_v, negs, stats);
    stats->words += line_words;
    rf_reader_close(&r);
out:
    free(grad_v);
    free(negs);
    free(sentence);
    return rc;
}

void rf_alias_build(const double *weights, int32_t n, uint32_t *accept, int32_t *other,
                    double *scaled, int32_t *stack)
{
    /* Walker/Vose: small ones (scaled < 1) at the bottom of `stack`, large at the top */
    double total = 0;
    for (int32_t i = 0; i < n; i++) total += weights[i];
    int32_t n_small = 0, n_large = 0;
    for (int32_t i = 0; i < n; i++) {
        scaled[i] = weights[i] * n / total;
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
