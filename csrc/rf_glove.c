#include "rf_glove.h"
#include "rf_common.h"
#include "rf_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline int rf_cooc_dense(const rf_cooc *c, int32_t i, int32_t j)
{
    return i < c->dense_rows && (int64_t)(i + 1) * (int64_t)(j + 1) <= c->max_product;
}

static inline void rf_cooc_add(rf_cooc *c, int32_t i, int32_t j, double w)
{
    if (rf_cooc_dense(c, i, j)) {
        c->dense[c->dense_offset[i] + j] += w;
    } else {
        rf_record *rec = c->records + c->length++;
        rec->key = (int64_t)i * c->vocab_size + j;
        rec->value = w;
    }
}

/* Room for one more token's pairs? */
static inline int rf_cooc_full(const rf_cooc *c)
{
    return c->capacity - c->length < 2 * (int64_t)c->window;
}

/* Sentence 0 is counted from first_begin on, with ids[0:first_begin] as its left
 * context; every other sentence starts where the one before it ends. */
static int rf_cooc_run(rf_cooc *c, const int32_t *ids, const int64_t *ends,
                       int64_t n_sentences, int64_t first_begin)
{
    const int32_t window = c->window;
    const double *weights = c->weights;
    for (; c->sentence < n_sentences; c->sentence++) {
        int64_t s = c->sentence;
        int64_t begin = s ? ends[s - 1] : first_begin;
        int64_t context = s ? begin : 0;
        int64_t end = ends[s];
        if (c->position < begin) c->position = begin;
        for (; c->position < end; c->position++) {
            int64_t p = c->position;
            if (rf_cooc_full(c)) return 1;
            int32_t right = ids[p];
            int64_t lo = p - window > context ? p - window : context;
            for (int64_t k = p - 1; k >= lo; k--) {
                /* symmetric counts keep each pair once, as (smaller id, larger id) */
                int32_t i = ids[k], j = right;
                if (c->symmetric && i > j) { i = right; j = ids[k]; }
                rf_cooc_add(c, i, j, weights[p - k]);
            }
        }
    }
    return 0;
}

int rf_cooc_ids(rf_cooc *c, const int32_t *ids, const int64_t *ends, int64_t n_sentences)
{
    return rf_cooc_run(c, ids, ends, n_sentences, 0);
}

/* Fill the block from the reader: returns 0, or -2 on a read error. */
static int rf_cooc_fill(rf_cooc *c, rf_reader *r, const rf_vocab *vocab)
{
    char token[RF_MAX_TOKEN + 1];
    uint32_t len;
    int32_t *ids = c->block_ids;
    int64_t *ends = c->block_ends;
    int64_t n = 0, n_sentences = 0, first = 0;
    if (c->line_open) {
        /* the line goes on: its last ids (sentence 0's context reaches back to 0) */
        int64_t last_end = ends[c->block_sentences - 1];
        int64_t last_begin = c->block_sentences > 1 ? ends[c->block_sentences - 2] : 0;
        int64_t keep = last_end - last_begin < c->window ? last_end - last_begin : c->window;
        memmove(ids, ids + last_end - keep, (size_t)keep * sizeof(int32_t));
        n = first = keep;
    }
    while (n < c->block_capacity) {
        int status = rf_reader_next(r, token, &len);
        if (status < 0) return rf_reader_failure(status);
        if (status == RF_READ_END) {
            c->at_end = 1;
            break;
        }
        int64_t begin = n_sentences ? ends[n_sentences - 1] : first;
        if (status == RF_READ_LINE_END) {
            if (n > begin) ends[n_sentences++] = n;
            else if (n_sentences == 0) n = first = 0;  /* the line went on with nothing new */
            continue;
        }
        c->tokens++;
        const rf_entry *e = rf_vocab_find(vocab, token, len);
        if (e) ids[n++] = e->index;
    }
    int64_t begin = n_sentences ? ends[n_sentences - 1] : first;
    c->line_open = 0;
    if (n > begin) {              /* a line cut by the block's end (or the last line) */
        ends[n_sentences++] = n;
        c->line_open = !c->at_end;
    }
    c->block_sentences = n_sentences;
    c->block_first = first;
    c->sentence = 0;
    c->position = 0;
    c->block_live = 1;
    return 0;
}

void rf_cooc_init(rf_cooc *c, int32_t vocab_size, int32_t window, int32_t symmetric,
                  int32_t distance_weighting, int64_t max_product, int32_t dense_rows,
                  const int64_t *dense_offset, double *dense, const double *weights,
                  rf_record *records, int64_t capacity, int32_t *block_ids,
                  int64_t *block_ends, int64_t block_capacity, volatile const int *stop)
{
    memset(c, 0, sizeof *c);
    c->vocab_size = vocab_size;
    c->window = window;
    c->symmetric = symmetric;
    c->distance_weighting = distance_weighting;
    c->max_product = max_product;
    c->dense_rows = dense_rows;
    c->dense_offset = dense_offset;
    c->dense = dense;
    c->weights = weights;
    c->records = records;
    c->capacity = capacity;
    c->block_ids = block_ids;
    c->block_ends = block_ends;
    c->block_capacity = block_capacity;
    c->stop = stop;
}

void rf_cooc_restart(rf_cooc *c)
{
    c->sentence = c->position = 0;
    c->block_live = c->line_open = c->at_end = 0;
}

int rf_cooc_file(rf_cooc *c, rf_reader *r, const rf_vocab *vocab)
{
    for (;;) {
        if (*c->stop) return 3;
        if (c->block_live) {
            if (rf_cooc_run(c, c->block_ids, c->block_ends, c->block_sentences,
                            c->block_first))
                return 1;
            c->block_live = 0;
        }
        if (c->at_end) return 0;
        int rc = rf_cooc_fill(c, r, vocab);
        if (rc != 0) return rc;
    }
}

/* how many pairs ahead the rows are prefetched: far enough to cover a miss to DRAM */
#define RF_AHEAD 8

static inline float rf_clipf(float x, float lim)
{
    return x > lim ? lim : (x < -lim ? -lim : x);
}

static inline void rf_prefetch_floats(const float *p, int32_t n)
{
    RF_PREFETCH_FLOATS_WRITE(p, n);
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
            /* the biases too: with Hogwild threads on cores that share no cache, a
             * small vocabulary's bias lines are mostly held by the other core */
            RF_PREFETCH_WRITE(b + ahead->row);
            RF_PREFETCH_WRITE(Gb + ahead->row);
            RF_PREFETCH_WRITE(bc + ahead->col);
            RF_PREFETCH_WRITE(Gbc + ahead->col);
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
         * then adds its own; the biases alike (unlike GloVe's code, whose bias
         * steps carry no learning rate) */
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

int64_t rf_sort_combine(rf_record *records, int64_t n, rf_record *tmp, int64_t key_base,
                        int key_bits)
{
    /* LSD radix sort (stable, so equal keys keep their order and their sums are
     * reproducible) on digits of at most 16 bits, as few passes as the keys need,
     * then equal neighbours are added up */
    int passes = key_bits > 0 ? (key_bits + 15) / 16 : 0;
    int digit = passes ? (key_bits + passes - 1) / passes : 0;
    int64_t buckets = (int64_t)1 << digit;
    int64_t *count = (int64_t *)malloc((size_t)buckets * sizeof(int64_t));
    if (!count) return -1;
    rf_record *src = records, *dst = tmp;
    for (int pass = 0; pass < passes; pass++) {
        int shift = pass * digit;
        uint64_t mask = (uint64_t)buckets - 1;
        memset(count, 0, (size_t)buckets * sizeof(int64_t));
        for (int64_t r = 0; r < n; r++)
            count[((uint64_t)(src[r].key - key_base) >> shift) & mask]++;
        int64_t total = 0;
        for (int64_t b = 0; b < buckets; b++) {
            int64_t c = count[b];
            count[b] = total;
            total += c;
        }
        for (int64_t r = 0; r < n; r++)
            dst[count[((uint64_t)(src[r].key - key_base) >> shift) & mask]++] = src[r];
        rf_record *t = src; src = dst; dst = t;
    }
    free(count);
    /* combine from the sorted copy into records (in place when that is records:
     * writing at out <= r never overtakes the reading at r) */
    int64_t out = 0;
    for (int64_t r = 0; r < n; r++) {
        if (out > 0 && records[out - 1].key == src[r].key) {
            records[out - 1].value += src[r].value;
        } else {
            records[out++] = src[r];
        }
    }
    return out;
}

void rf_partition(const rf_record *records, int64_t n, int32_t vocab_size,
                  const int32_t *part_of_row, int32_t n_parts, rf_record *out, int64_t *bounds)
{
    memset(bounds, 0, (size_t)(n_parts + 1) * sizeof(int64_t));
    for (int64_t r = 0; r < n; r++) bounds[part_of_row[records[r].key / vocab_size] + 1]++;
    for (int32_t p = 0; p < n_parts; p++) bounds[p + 1] += bounds[p];
    /* bounds[p] serves as partition p's write position, then is restored */
    for (int64_t r = 0; r < n; r++) out[bounds[part_of_row[records[r].key / vocab_size]]++] = records[r];
    for (int32_t p = n_parts; p > 0; p--) bounds[p] = bounds[p - 1];
    bounds[0] = 0;
}

void rf_to_glove_records(rf_record *records, int64_t n, int32_t vocab_size)
{
    for (int64_t r = 0; r < n; r++) {
        int32_t ij[2];
        ij[0] = (int32_t)(records[r].key / vocab_size) + 1;
        ij[1] = (int32_t)(records[r].key % vocab_size) + 1;
        memcpy(&records[r].key, ij, sizeof ij);
    }
}

int64_t rf_mirror(const rf_record *records, int64_t n, int32_t vocab_size, rf_record *out)
{
    int64_t m = 0;
    for (int64_t r = 0; r < n; r++) {
        int64_t i = records[r].key / vocab_size, j = records[r].key % vocab_size;
        if (i == j) {  /* the pair counted once stands for both of its orders */
            out[m].key = records[r].key;
            out[m++].value = 2 * records[r].value;
        } else {
            out[m++] = records[r];
            out[m].key = j * vocab_size + i;
            out[m++].value = records[r].value;
        }
    }
    return m;
}
