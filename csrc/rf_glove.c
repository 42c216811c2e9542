#include "rf_glove.h"
#include "rf_common.h"
#include "rf_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline void rf_cooc_add(rf_cooc *c, int32_t i, int32_t j, double w)
{
    if (i < c->dense_rows && (int64_t)(i + 1) * (int64_t)(j + 1) <= c->max_product) {
        c->dense[c->dense_offset[i] + j] += w;
    } else {
        c->keys[c->length] = (int64_t)i * c->vocab_size + j;
        c->values[c->length] = w;
        c->length++;
    }
}

/* Window one in-vocabulary id against the ids before it on its line. */
static inline void rf_cooc_token(rf_cooc *c, int32_t id)
{
    const int32_t window = c->window;
    int64_t seen = c->history_len;
    int32_t reach = seen < window ? (int32_t)seen : window;
    for (int32_t d = 1; d <= reach; d++) {
        int32_t left = c->history[(seen - d) % window];
        double w = c->distance_weighting ? 1.0 / d : 1.0;
        rf_cooc_add(c, left, id, w);
        if (c->symmetric) rf_cooc_add(c, id, left, w);
    }
    c->history[seen % window] = id;
    c->history_len = seen + 1;
}

/* Room for one more token's pairs? */
static inline int rf_cooc_full(const rf_cooc *c)
{
    return c->capacity - c->length < 2 * (int64_t)c->window;
}

int rf_cooc_ids(rf_cooc *c, const int32_t *ids, const int64_t *ends, int64_t n_sentences)
{
    for (; c->sentence < n_sentences; c->sentence++) {
        int64_t begin = c->sentence ? ends[c->sentence - 1] : 0;
        if (c->position <= begin) {  /* a new sentence (not a resume inside one) */
            c->position = begin;
            c->history_len = 0;
        }
        for (; c->position < ends[c->sentence]; c->position++) {
            if (rf_cooc_full(c)) return 1;
            rf_cooc_token(c, ids[c->position]);
        }
    }
    return 0;
}

int rf_cooc_file(rf_cooc *c, rf_reader *r, const rf_vocab *vocab)
{
    char token[RF_MAX_TOKEN + 1];
    uint32_t len;
    int status;
    for (;;) {
        if (rf_cooc_full(c)) return 1;
        status = rf_reader_next(r, token, &len);
        if (status <= 0) return status < 0 ? -2 : 0;
        if (status == 2) {
            c->history_len = 0;
            continue;
        }
        c->tokens++;
        const rf_entry *e = rf_vocab_find(vocab, token, len);
        if (e) rf_cooc_token(c, e->index);
    }
}

/* how many pairs ahead the rows are prefetched: far enough to cover a miss to DRAM */
#define RF_AHEAD 8

#if defined(__GNUC__)
#define RF_PREFETCH_READ(p) __builtin_prefetch(p)
#else
#define RF_PREFETCH_READ(p) ((void)0)
#endif

static inline float rf_clipf(float x, float lim)
{
    return x > lim ? lim : (x < -lim ? -lim : x);
}

static inline void rf_prefetch_floats(const float *p, int32_t n)
{
#if defined(__GNUC__)
    for (int32_t k = 0; k < n; k += 16) __builtin_prefetch(p + k, 1);
#else
    (void)p;
    (void)n;
#endif
}

RF_HOT
void rf_glove_epoch(float *W, float *C, float *b, float *bc, float *GW, float *GC, float *Gb,
                    float *Gbc, int32_t dim, const rf_glove_pair *pairs, const int64_t *order,
                    int64_t start, int64_t end, float learning_rate, float clip,
                    double *cost, int64_t *skipped, float *work)
{
    (void)work;
    double total = 0;
    for (int64_t k = start; k < end; k++) {
        /* the order is random: fetch a pair's record two strides ahead and, once it
         * is in cache, its rows one stride ahead */
        if (order && k + 2 * RF_AHEAD < end) RF_PREFETCH_READ(pairs + order[k + 2 * RF_AHEAD]);
        if (k + RF_AHEAD < end) {
            const rf_glove_pair *ahead = pairs + (order ? order[k + RF_AHEAD] : k + RF_AHEAD);
            rf_prefetch_floats(W + (int64_t)ahead->row * dim, dim);
            rf_prefetch_floats(C + (int64_t)ahead->col * dim, dim);
            rf_prefetch_floats(GW + (int64_t)ahead->row * dim, dim);
            rf_prefetch_floats(GC + (int64_t)ahead->col * dim, dim);
        }
        const rf_glove_pair *pair = pairs + (order ? order[k] : k);
        int32_t i = pair->row, j = pair->col;
        float *RF_RESTRICT w = W + (int64_t)i * dim;
        float *RF_RESTRICT c = C + (int64_t)j * dim;
        float *RF_RESTRICT gw = GW + (int64_t)i * dim;
        float *RF_RESTRICT gc = GC + (int64_t)j * dim;
        float dot = rf_dot(w, c, dim);
        int32_t d;
        float diff = dot + b[i] + bc[j] - pair->log_x;
        float fdiff = pair->weight * diff;
        /* with gradients clipped and every sum >= 1, only an overflowing score
         * can make the update non-finite: such a pair is skipped */
        if (!isfinite(fdiff)) {
            (*skipped)++;
            continue;
        }
        total += 0.5 * (double)fdiff * (double)diff;
        /* GloVe's AdaGrad: the gradient is scaled by the learning rate first, each
         * step divides by the root of the scaled squares summed so far (from 1),
         * then adds its own; biases alike */
        const float step = learning_rate * fdiff;
        for (d = 0; d < dim; d++) {
            float g_w = rf_clipf(step * c[d], clip);
            float g_c = rf_clipf(step * w[d], clip);
            w[d] -= g_w / sqrtf(gw[d]);
            c[d] -= g_c / sqrtf(gc[d]);
            gw[d] += g_w * g_w;
            gc[d] += g_c * g_c;
        }
        b[i] -= step / sqrtf(Gb[i]);
        bc[j] -= step / sqrtf(Gbc[j]);
        Gb[i] += step * step;
        Gbc[j] += step * step;
    }
    *cost += total;
}

int64_t rf_sort_combine(int64_t *keys, double *values, int64_t n, int64_t *tmp_keys,
                        double *tmp_values, int key_bits)
{
    /* LSD radix sort on 16-bit digits (stable, so equal keys keep their order and
     * their sums are reproducible), then equal neighbours are added up */
    enum { DIGIT = 16, BUCKETS = 1 << 16 };
    int64_t *count = (int64_t *)malloc(BUCKETS * sizeof(int64_t));
    if (!count) return -1;
    int passes = (key_bits + DIGIT - 1) / DIGIT;
    int64_t *src_k = keys, *dst_k = tmp_keys;
    double *src_v = values, *dst_v = tmp_values;
    for (int pass = 0; pass < passes; pass++) {
        int shift = pass * DIGIT;
        memset(count, 0, BUCKETS * sizeof(int64_t));
        for (int64_t r = 0; r < n; r++) count[(src_k[r] >> shift) & (BUCKETS - 1)]++;
        int64_t total = 0;
        for (int b = 0; b < BUCKETS; b++) {
            int64_t c = count[b];
            count[b] = total;
            total += c;
        }
        for (int64_t r = 0; r < n; r++) {
            int64_t pos = count[(src_k[r] >> shift) & (BUCKETS - 1)]++;
            dst_k[pos] = src_k[r];
            dst_v[pos] = src_v[r];
        }
        int64_t *tk = src_k; src_k = dst_k; dst_k = tk;
        double *tv = src_v; src_v = dst_v; dst_v = tv;
    }
    free(count);
    /* combine from the sorted copy into keys/values */
    int64_t out = 0;  /* writing at out <= r never overtakes the reading at r */
    for (int64_t r = 0; r < n; r++) {
        if (out > 0 && keys[out - 1] == src_k[r]) {
            values[out - 1] += src_v[r];
        } else {
            keys[out] = src_k[r];
            values[out] = src_v[r];
            out++;
        }
    }
    return out;
}
