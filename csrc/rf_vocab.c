/* fseeko is POSIX, not C11; 64-bit offsets on 32-bit systems too */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include "rf_vocab.h"
#include "rf_common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#define RF_READ_BUF (1 << 20)

#if defined(_WIN32)
#define rf_fseek64 _fseeki64
#else
#define rf_fseek64 fseeko
#endif

static uint32_t rf_hash_bytes(const char *s, uint32_t len)
{
    /* FNV-1a: simple, and fixed (no per-process seed) so runs are reproducible */
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

#define RF_WORD_BLOCK (1u << 20)

static void rf_arena_free(rf_word_arena *a)
{
    while (a->head) {
        rf_word_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
    a->live = a->dead = 0;
}

/* A copy of word (len bytes and a NUL) in the arena, or NULL when out of memory. */
static char *rf_arena_copy(rf_word_arena *a, const char *word, uint32_t len)
{
    rf_word_block *b = a->head;
    if (!b || b->cap - b->used < (size_t)len + 1) {
        size_t cap = RF_WORD_BLOCK > (size_t)len + 1 ? RF_WORD_BLOCK : (size_t)len + 1;
        b = malloc(sizeof(rf_word_block) + cap);
        if (!b) return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    char *out = b->bytes + b->used;
    memcpy(out, word, len);
    out[len] = '\0';
    b->used += (size_t)len + 1;
    a->live += (size_t)len + 1;
    return out;
}

/* two slots a cache line, neither cut by a line's end */
typedef char rf_entry_is_32_bytes[sizeof(rf_entry) == 32 ? 1 : -1];
#define RF_LINE 64

static inline int rf_entry_far(const rf_entry *e) { return e->stored - 1 > RF_INLINE_WORD; }

static inline void rf_entry_set_far(rf_entry *e, const char *far)
{
    memcpy(e->word, &far, sizeof far);
}

/* n zeroed slots starting on a cache line (calloc's blocks start 16 bytes into one:
 * every other slot straddled two); *block receives what to free. */
static rf_entry *rf_slots_new(size_t n, void **block)
{
    *block = calloc(1, n * sizeof(rf_entry) + RF_LINE);
    if (!*block) return NULL;
    return (rf_entry *)(((uintptr_t)*block + RF_LINE - 1) & ~(uintptr_t)(RF_LINE - 1));
}

/* Once pruned words hold more bytes than kept ones, the kept ones move to fresh
 * blocks and the old go: the bytes stay within twice the live words', and each move
 * is paid for by as many pruned bytes. */
static void rf_arena_compact(rf_vocab *v)
{
    if (v->words.dead <= v->words.live) return;
    rf_word_arena fresh = {NULL, 0, 0};
    for (size_t i = 0; i < v->capacity; i++) {
        rf_entry *e = &v->slots[i];
        if (!rf_entry_used(e) || !rf_entry_far(e)) continue;
        char *copy = rf_arena_copy(&fresh, rf_entry_word(e), rf_entry_len(e));
        if (!copy) {
            /* out of memory: both arenas stay, the entries moved so far in the new one */
            rf_word_block *last = fresh.head;
            while (last && last->next) last = last->next;
            if (last) {
                last->next = v->words.head;
                v->words.head = fresh.head;
            }
            v->words.dead += fresh.live;
            return;
        }
        rf_entry_set_far(e, copy);
    }
    rf_arena_free(&v->words);
    v->words = fresh;
}

int rf_vocab_init(rf_vocab *v, size_t capacity_hint)
{
    size_t cap = 1024;
    while (cap < 2 * capacity_hint) cap *= 2;
    v->slots = rf_slots_new(cap, &v->slots_block);
    v->capacity = cap;
    v->size = 0;
    v->min_reduce = 1;
    v->spare = v->spare_block = NULL;
    v->words = (rf_word_arena){NULL, 0, 0};
    return v->slots ? 0 : -1;
}

void rf_trim_heap(void)
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

void rf_vocab_free(rf_vocab *v)
{
    if (!v->slots) return;
    rf_arena_free(&v->words);
    free(v->slots_block);
    free(v->spare_block);
    v->slots = v->spare = NULL;
    v->slots_block = v->spare_block = NULL;
    if (v->capacity >= (1u << 16)) rf_trim_heap();
    v->size = v->capacity = 0;
}

/* Words are short: an inline loop beats a call to memcmp. */
static inline int rf_same_bytes(const char *a, const char *b, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static rf_entry *rf_probe(rf_entry *slots, size_t capacity, const char *word,
                          uint32_t len, uint32_t hash)
{
    const size_t mask = capacity - 1;
    const uint32_t stored = len + 1;
    if (len <= RF_INLINE_WORD) {
        /* compared as the slot holds it, zero-padded: a fixed-size compare, no loop */
        char key[RF_INLINE_WORD] = {0};
        memcpy(key, word, len);
        for (size_t i = hash & mask;; i = (i + 1) & mask) {
            rf_entry *e = &slots[i];
            if (!rf_entry_used(e)) return e;
            if (e->hash == hash && e->stored == stored && memcmp(e->word, key, sizeof key) == 0)
                return e;
        }
    }
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        rf_entry *e = &slots[i];
        if (!rf_entry_used(e)) return e;
        if (e->hash == hash && e->stored == stored && rf_same_bytes(rf_entry_word(e), word, len))
            return e;
    }
}

/* A slot's entry moved into fresh slots (its word stays where it is). */
static void rf_move(rf_entry *slots, size_t capacity, const rf_entry *e)
{
    const size_t mask = capacity - 1;
    size_t i = e->hash & mask;
    while (rf_entry_used(&slots[i])) i = (i + 1) & mask;
    slots[i] = *e;
}

static int rf_grow(rf_vocab *v)
{
    size_t cap = v->capacity * 2;
    free(v->spare_block);   /* a prune's slots: too few from now on */
    v->spare = v->spare_block = NULL;
    void *block;
    rf_entry *slots = rf_slots_new(cap, &block);
    if (!slots) return -1;
    for (size_t i = 0; i < v->capacity; i++)
        if (rf_entry_used(&v->slots[i])) rf_move(slots, cap, &v->slots[i]);
    free(v->slots_block);
    v->slots = slots;
    v->slots_block = block;
    v->capacity = cap;
    return 0;
}

static int rf_vocab_add_hashed(rf_vocab *v, const char *word, uint32_t len, uint32_t hash,
                               int64_t count, int32_t index)
{
    rf_entry *e = rf_probe(v->slots, v->capacity, word, len, hash);
    if (rf_entry_used(e)) {
        e->count += count;
        return 0;
    }
    if (2 * (v->size + 1) > v->capacity) {
        if (rf_grow(v) != 0) return -1;
        e = rf_probe(v->slots, v->capacity, word, len, hash);
    }
    if (len > RF_INLINE_WORD) {
        const char *far = rf_arena_copy(&v->words, word, len);
        if (!far) return -1;
        rf_entry_set_far(e, far);
    } else {
        memcpy(e->word, word, len);   /* the rest is zero: the slot was empty */
    }
    e->stored = len + 1;
    e->hash = hash;
    e->count = count;
    e->index = index;
    v->size++;
    return 0;
}

int rf_vocab_add(rf_vocab *v, const char *word, uint32_t len, int64_t count, int32_t index)
{
    return rf_vocab_add_hashed(v, word, len, rf_hash_bytes(word, len), count, index);
}

const rf_entry *rf_vocab_find(const rf_vocab *v, const char *word, uint32_t len)
{
    const rf_entry *e = rf_probe(v->slots, v->capacity, word, len, rf_hash_bytes(word, len));
    return rf_entry_used(e) ? e : NULL;
}

int rf_vocab_prune(rf_vocab *v)
{
    /* pruning repeats every few million tokens on a large corpus: the slots the last
     * prune left are cleared and filled again (fresh pages from calloc cost a fault
     * and a clearing each: 15% of counting 2B tokens into 2M words) */
    rf_entry *slots = v->spare;
    void *block = v->spare_block;
    v->spare = v->spare_block = NULL;
    if (slots) memset(slots, 0, v->capacity * sizeof(rf_entry));
    else slots = rf_slots_new(v->capacity, &block);
    if (!slots) return -1;
    size_t kept = 0;
    for (size_t i = 0; i < v->capacity; i++) {
        rf_entry *e = &v->slots[i];
        if (!rf_entry_used(e)) continue;
        if (e->count >= v->min_reduce) {
            rf_move(slots, v->capacity, e);
            kept++;
        } else if (rf_entry_far(e)) {
            v->words.live -= (size_t)rf_entry_len(e) + 1;
            v->words.dead += (size_t)rf_entry_len(e) + 1;
        }
    }
    v->spare = v->slots;
    v->spare_block = v->slots_block;
    v->slots = slots;
    v->slots_block = block;
    v->size = kept;
    v->min_reduce++;
    rf_arena_compact(v);
    return 0;
}

static int rf_fill(rf_reader *r)
{
    if (r->at_eof) return 0;
    r->buf_len = fread(r->buf, 1, RF_READ_BUF, r->fp);
    r->buf_pos = 0;
    if (r->buf_len == 0) {
        if (ferror(r->fp)) return -1;
        r->at_eof = 1;
        return 0;
    }
    return 1;
}

/* Next byte, or -1 at end of file, -2 on error. Tracks the file position. */
static int rf_getc(rf_reader *r)
{
    if (r->buf_pos == r->buf_len) {
        int f = rf_fill(r);
        if (f <= 0) return f == 0 ? -1 : -2;
    }
    r->pos++;
    return (unsigned char)r->buf[r->buf_pos++];
}

int rf_reader_open(rf_reader *r, const char *path, int64_t start, int64_t end)
{
    memset(r, 0, sizeof *r);
    r->fp = fopen(path, "rb");
    if (!r->fp) return -1;
    r->buf = malloc(RF_READ_BUF);
    if (!r->buf) {
        fclose(r->fp);
        r->fp = NULL;
        return -1;
    }
    r->end = end;
    r->pos = 0;
    if (start > 0) {
        /* begin at the first line that starts at or after `start`: look at the
         * byte before it; unless it is a newline, skip the rest of that line */
        if (rf_fseek64(r->fp, start - 1, SEEK_SET) != 0) return -1;
        r->pos = start - 1;
        int c;
        do {
            c = rf_getc(r);
        } while (c >= 0 && c != '\n');
        if (c == -2) return -1;
    }
    r->line_started_in_range = r->pos < r->end;
    return 0;
}

void rf_reader_close(rf_reader *r)
{
    if (r->fp) fclose(r->fp);
    free(r->buf);
    r->fp = NULL;
    r->buf = NULL;
}

static int rf_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Length of the first n bytes of a token less a UTF-8 character cut by the end. */
static uint32_t rf_utf8_whole(const char *s, uint32_t n)
{
    uint32_t i = n, back = 0;
    while (i > 0 && back < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) { i--; back++; }
    if (i == 0) return n;
    unsigned char lead = (unsigned char)s[i - 1];
    uint32_t need = lead < 0x80 ? 1 : (lead >> 5) == 6 ? 2 : (lead >> 4) == 14 ? 3
                  : (lead >> 3) == 30 ? 4 : 1;
    return (i - 1) + need > n ? i - 1 : n;
}

int rf_reader_next(rf_reader *r, char *out, uint32_t *len)
{
    uint32_t n = 0;
    int cut = 0;
    for (;;) {
        if (!r->line_started_in_range) return RF_READ_END;
        int c = rf_getc(r);
        if (c == -2) return RF_READ_ERROR;
        if (c == 0) return RF_READ_BINARY;  /* text holds no NUL */
        if (c == -1 || rf_is_space(c)) {
            if (n > 0) {
                /* hand out the token now; a newline after it is seen next call */
                if (c == '\n') { r->buf_pos--; r->pos--; }
                if (cut) n = rf_utf8_whole(out, n);
                out[n] = '\0';
                *len = n;
                return RF_READ_TOKEN;
            }
            if (c == -1) {
                r->line_started_in_range = 0;
                return RF_READ_LINE_END;  /* the last line may lack its newline */
            }
            if (c == '\n') {
                r->line_started_in_range = r->pos < r->end;
                return RF_READ_LINE_END;
            }
            continue;
        }
        if (n < RF_MAX_TOKEN) out[n++] = (char)c;
        else cut = 1;
    }
}

/* Tokens counted per batch. A table of millions of words lies outside the caches: the
 * batch's slots, then the words of the slots that hold its tokens, are fetched from
 * memory together, so their misses overlap instead of coming one after another (70M
 * synthetic tokens into 2M words: 12.6M tokens/s one at a time, 17.8M in batches of 16,
 * 21.1M of 32, 17.0M of 64). The adds run in the order the tokens were read, so the
 * counts and the pruning are as before. */
#define RF_COUNT_BATCH 32

/* The hash of a token, its first slot asked for from memory. */
static inline uint32_t rf_hash_ask(const rf_vocab *v, const char *token, uint32_t len)
{
    const uint32_t hash = rf_hash_bytes(token, len);
    RF_PREFETCH_READ(&v->slots[hash & (v->capacity - 1)]);
    return hash;
}

/* Ask for the word of each token's first slot, where that slot holds its hash. */
static void rf_prefetch_words(const rf_vocab *v, const uint32_t *hashes, int n)
{
    size_t mask = v->capacity - 1;
    for (int i = 0; i < n; i++) {
        const rf_entry *e = &v->slots[hashes[i] & mask];
        if (rf_entry_used(e) && e->hash == hashes[i] && rf_entry_far(e))
            RF_PREFETCH_READ(rf_entry_word(e));
    }
}

void rf_vocab_lookup(const rf_vocab *v, const char (*tokens)[RF_MAX_TOKEN + 1],
                     const uint32_t *lens, int n, int32_t *ids)
{
    uint32_t hashes[RF_COUNT_BATCH];
    for (int begin = 0; begin < n; begin += RF_COUNT_BATCH) {
        const int m = n - begin < RF_COUNT_BATCH ? n - begin : RF_COUNT_BATCH;
        for (int i = 0; i < m; i++) hashes[i] = rf_hash_ask(v, tokens[begin + i], lens[begin + i]);
        rf_prefetch_words(v, hashes, m);
        for (int i = 0; i < m; i++) {
            const rf_entry *e = rf_probe(v->slots, v->capacity, tokens[begin + i],
                                         lens[begin + i], hashes[i]);
            ids[begin + i] = rf_entry_used(e) ? e->index : -1;
        }
    }
}

int rf_count_file(rf_vocab *v, const char *path, int64_t start, int64_t end,
                  size_t max_size, volatile int64_t *totals, volatile const int *stop)
{
    rf_reader r;
    char (*tokens)[RF_MAX_TOKEN + 1] = malloc(RF_COUNT_BATCH * sizeof *tokens);
    uint32_t lens[RF_COUNT_BATCH], hashes[RF_COUNT_BATCH];
    int status, rc = 0, n = 0;
    int64_t line_tokens = 0;
    totals[0] = totals[1] = totals[2] = 0;
    if (!tokens) return -1;
    if (rf_reader_open(&r, path, start, end) != 0) {
        rf_reader_close(&r);
        free(tokens);
        return -2;
    }
    for (;;) {
        status = rf_reader_next(&r, tokens[n], &lens[n]);
        if (status == RF_READ_LINE_END) {
            totals[1] += (line_tokens + RF_MAX_SENTENCE - 1) / RF_MAX_SENTENCE;
            line_tokens = 0;
            totals[2] = r.pos - start;
            if (*stop) { rc = -3; break; }
            continue;
        }
        if (status == RF_READ_TOKEN) {
            line_tokens++;
            totals[0]++;
            hashes[n] = rf_hash_ask(v, tokens[n], lens[n]);
            if (++n < RF_COUNT_BATCH) continue;
        }
        /* a full batch, or the end of the range: add what the batch holds */
        rf_prefetch_words(v, hashes, n);
        for (int i = 0; i < n && rc == 0; i++) {
            if (rf_vocab_add_hashed(v, tokens[i], lens[i], hashes[i], 1, -1) != 0) rc = -1;
            else if (max_size && v->size > max_size && rf_vocab_prune(v) != 0) rc = -1;
        }
        n = 0;
        if (rc != 0 || status != RF_READ_TOKEN) break;
    }
    totals[1] += (line_tokens + RF_MAX_SENTENCE - 1) / RF_MAX_SENTENCE;
    if (rc == 0) totals[2] = end - start;
    if (status < 0 && rc == 0) rc = rf_reader_failure(status);
    rf_reader_close(&r);
    free(tokens);
    return rc;
}

void rf_encoded_free(rf_encoded *t)
{
    free(t->bytes);
    t->bytes = NULL;
    t->n_bytes = t->cap_bytes = t->n_sentences = 0;
}

/* t->bytes, reallocated with room for `need` bytes, its capacity doubled as it
 * grows (capacity not yet written costs address space, not memory); 0 when out of
 * memory (the old buffer is still valid then). */
static int rf_reserve_bytes(rf_encoded *t, int64_t need)
{
    if (need <= t->cap_bytes) return 1;
    int64_t grown = t->cap_bytes > 0 ? t->cap_bytes : 1 << 16;
    while (grown < need) grown *= 2;
    uint8_t *p = realloc(t->bytes, (size_t)grown);
    if (!p) return 0;
    t->bytes = p;
    t->cap_bytes = grown;
    return 1;
}

static inline uint8_t *rf_varint_write(uint8_t *p, uint32_t v)
{
    for (; v >= 0x80; v >>= 7) *p++ = (uint8_t)(v | 0x80);
    *p++ = (uint8_t)v;
    return p;
}

#define RF_VARINT_MAX 5   /* bytes of a uint32 at most */

void rf_encoded_append(rf_encoded *t, const int32_t *ids, const int32_t *ends, int32_t n)
{
    if (t->dropped) return;
    for (int32_t k = 0, begin = 0; k < n; begin = ends[k++]) {
        const int64_t need = t->n_bytes + (int64_t)(ends[k] - begin + 2) * RF_VARINT_MAX;
        if ((size_t)need > t->max_bytes || !rf_reserve_bytes(t, need)) {
            t->dropped = 1;   /* past the budget, or out of memory */
            rf_encoded_free(t);
            return;
        }
        uint32_t kept = 0;
        for (int32_t i = begin; i < ends[k]; i++) kept += ids[i] >= 0;
        uint8_t *p = t->bytes + t->n_bytes;
        p = rf_varint_write(p, kept);
        p = rf_varint_write(p, (uint32_t)(ends[k] - begin));
        for (int32_t i = begin; i < ends[k]; i++)
            if (ids[i] >= 0) p = rf_varint_write(p, (uint32_t)ids[i]);
        t->n_bytes = p - t->bytes;
        t->raw += ends[k] - begin;
        t->n_sentences++;
    }
}

#define RF_FNV_BASIS 2166136261u
#define RF_FNV_PRIME 16777619u

/* one byte into the hash, sign-extended as fastText's char is */
static inline uint32_t rf_fnv_step(uint32_t h, char c)
{
    return (h ^ (uint32_t)(int32_t)(int8_t)c) * RF_FNV_PRIME;
}

uint32_t rf_fasttext_hash(const char *s, size_t len)
{
    uint32_t h = RF_FNV_BASIS;
    for (size_t i = 0; i < len; i++) h = rf_fnv_step(h, s[i]);
    return h;
}

static inline int rf_utf8_continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

int64_t rf_char_ngrams(const char *word, uint32_t len, int32_t minn, int32_t maxn,
                       uint32_t bucket, int32_t *out)
{
    const size_t size = (size_t)len + 2;
    int64_t count = 0;
    if (maxn <= 0 || minn > maxn || bucket == 0) return 0;
    /* the bracketed word's byte k, without copying it */
#define RF_BRACKETED(k) ((k) == 0 ? '<' : (k) == size - 1 ? '>' : word[(k) - 1])
    for (size_t i = 0; i < size; i++) {
        if (rf_utf8_continuation(RF_BRACKETED(i))) continue;
        /* the n-grams starting at i share their prefixes: hash each once */
        uint32_t h = RF_FNV_BASIS;
        size_t j = i;
        for (int32_t n = 1; j < size && n <= maxn; n++) {
            h = rf_fnv_step(h, RF_BRACKETED(j));
            j++;
            while (j < size && rf_utf8_continuation(RF_BRACKETED(j))) {
                h = rf_fnv_step(h, RF_BRACKETED(j));
                j++;
            }
            if (n >= minn && !(n == 1 && (i == 0 || j == size))) {
                if (out) out[count] = (int32_t)(h % bucket);
                count++;
            }
        }
    }
#undef RF_BRACKETED
    return count;
}
