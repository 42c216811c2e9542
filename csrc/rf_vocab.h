/* A byte-string -> (index, count) hash table, and whitespace tokenising of text files.
 *
 * Used to count a corpus file in C and, read-only and shared by all worker
 * threads, to map tokens to vocabulary indices while training from a file.
 */
#ifndef RF_VOCAB_H
#define RF_VOCAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The tokenising contract, shared with rnnfast.corpus.LineSentence: tokens are
 * separated by the six ASCII whitespace bytes (space, \t, \n, \v, \f, \r), a
 * line ends at \n; a token longer than RF_MAX_TOKEN bytes keeps its first
 * RF_MAX_TOKEN bytes less any UTF-8 character cut in two; a line of more than
 * RF_MAX_SENTENCE tokens is read as several sentences of at most that many. */
#define RF_MAX_TOKEN 1000
#define RF_MAX_SENTENCE 10000
/* What the file readers return when the text holds a NUL byte. */
#define RF_NUL_BYTE (-4)

/* Words of up to RF_INLINE_WORD bytes (99% of corpus17m's tokens, 93% of the rare
 * words of a 2B-token corpus) are held in their slot, zero-padded: a probe then reads
 * one cache line, not a slot and a word elsewhere (counting 2B tokens into 2M words
 * spent most of its time waiting for the words' lines). */
#define RF_INLINE_WORD 12

typedef struct {
    uint32_t hash;
    uint32_t stored; /* the word's length + 1; 0 marks an empty slot */
    int64_t count;
    int32_t index;   /* vocabulary index, -1 while counting */
    char word[RF_INLINE_WORD];  /* the word if that short, else a pointer (stored with
                                 * memcpy, unaligned) to its bytes in the table's arena */
} rf_entry;

static inline int rf_entry_used(const rf_entry *e) { return e->stored != 0; }
static inline uint32_t rf_entry_len(const rf_entry *e) { return e->stored - 1; }
static inline const char *rf_entry_word(const rf_entry *e)
{
    const char *far;
    if (e->stored - 1 <= RF_INLINE_WORD) return e->word;
    memcpy(&far, e->word, sizeof far);
    return far;
}

/* The words' bytes live in large blocks, not one malloc each: a corpus of 22M distinct
 * words took 6 s to free word by word (glibc's free, consolidate and trim), and
 * each small block cost 16 bytes more. */
typedef struct rf_word_block {
    struct rf_word_block *next;
    size_t used, cap;
    char bytes[];
} rf_word_block;

typedef struct {
    rf_word_block *head;   /* the block being filled; the others follow */
    size_t live, dead;     /* bytes of kept words, of pruned ones still held */
} rf_word_arena;

typedef struct {
    rf_entry *slots;     /* open addressing, linear probing; two slots a cache line */
    size_t capacity;     /* a power of two */
    size_t size;
    int64_t min_reduce;  /* counts below this were pruned (starts at 1) */
    rf_entry *spare;     /* the slots the last prune left (capacity of them), or NULL: the
                          * next prune fills them again instead of asking for fresh pages */
    void *slots_block, *spare_block;  /* the allocations the two lie in */
    rf_word_arena words; /* the bytes of every word longer than RF_INLINE_WORD */
} rf_vocab;

/* Give the heap's free pages back to the system. glibc keeps what is freed, and a
 * counted corpus leaves its words as small blocks all over the heap: after counting
 * corpus17m's 17M tokens the process held 101 MB, 76 MB once trimmed; elsewhere a
 * no-op. */
void rf_trim_heap(void);
int rf_vocab_init(rf_vocab *v, size_t capacity_hint);
void rf_vocab_free(rf_vocab *v);
/* Add `count` to `word`, inserting it if new. 0 on success, -1 on out of memory. */
int rf_vocab_add(rf_vocab *v, const char *word, uint32_t len, int64_t count, int32_t index);
/* The entry of `word`, or NULL. */
const rf_entry *rf_vocab_find(const rf_vocab *v, const char *word, uint32_t len);
/* The indices of n tokens (-1 for a word not in v), their slots and words fetched from
 * memory together (see RF_COUNT_BATCH in rf_vocab.c): for a table larger than the caches. */
void rf_vocab_lookup(const rf_vocab *v, const char (*tokens)[RF_MAX_TOKEN + 1],
                     const uint32_t *lens, int n, int32_t *ids);
/* Drop every word whose count is below v->min_reduce, then raise min_reduce by one. */
int rf_vocab_prune(rf_vocab *v);

/* Reads the lines that start in [start, end) of a file, token by token.
 * A range that begins mid-line skips to the start of the next line, so ranges
 * split at arbitrary byte offsets cover each line exactly once. */
typedef struct {
    FILE *fp;
    int64_t pos, end;
    char *buf;
    size_t buf_len, buf_pos;
    int at_eof;
    int line_started_in_range;
} rf_reader;

int rf_reader_open(rf_reader *r, const char *path, int64_t start, int64_t end);
void rf_reader_close(rf_reader *r);
/* What rf_reader_next found. The failures are negative: a caller reads while the
 * status is > 0 and hands a failure on with rf_reader_failure. */
typedef enum {
    RF_READ_BINARY = -3,   /* a NUL byte: the file is binary, not text */
    RF_READ_ERROR = -1,    /* the file could not be read */
    RF_READ_END = 0,       /* the end of the range */
    RF_READ_TOKEN = 1,     /* a token, in out */
    RF_READ_LINE_END = 2   /* the end of a line (no token) */
} rf_read_status;

/* Next token into out (NUL-terminated, *len bytes), or another rf_read_status. */
int rf_reader_next(rf_reader *r, char *out, uint32_t *len);

/* The file readers' return code for a failed read: RF_NUL_BYTE for binary data,
 * -2 for a read error. */
static inline int rf_reader_failure(int status)
{
    return status == RF_READ_BINARY ? RF_NUL_BYTE : -2;
}

/* A range's sentences as vocabulary ids, kept to train on again without reading.
 * Each sentence with tokens is stored as unsigned LEB128 varints: how many of its
 * tokens are in the vocabulary, how many raw tokens (unknown ones too) it held,
 * then those tokens' ids. The vocabulary is sorted by frequency, so most tokens
 * take one or two bytes (about 1.6 a token on English text, against 4 as int32).
 * Zero-initialise it, set max_bytes; a text that would pass max_bytes is dropped
 * (emptied, dropped = 1). */
typedef struct {
    uint8_t *bytes;
    int64_t n_bytes, cap_bytes;
    int64_t n_sentences, raw;
    size_t max_bytes;
    int dropped;
} rf_encoded;

/* Append one batch of the file reader: ids[t] per raw token (-1 out of the
 * vocabulary), ends[k] where sentence k ends. Drops the text past max_bytes or
 * when out of memory. */
void rf_encoded_append(rf_encoded *t, const int32_t *ids, const int32_t *ends, int32_t n);

static inline uint32_t rf_varint_read(const uint8_t **p)
{
    uint32_t v = 0;
    for (int shift = 0;; shift += 7) {
        const uint8_t b = *(*p)++;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
}

void rf_encoded_free(rf_encoded *t);

/* Count the tokens of [start, end) of a file into v, pruning when the table
 * exceeds max_size (0 = never). totals[0], [1] and [2] count the tokens, the
 * sentences (before pruning) and the bytes as they are read, for another thread
 * to watch.
 * Returns 0, -1 on out of memory, -2 on a read error, -3 once *stop is set,
 * RF_NUL_BYTE at a NUL byte (not rf_read_status: these are rf_count_file's own). */
int rf_count_file(rf_vocab *v, const char *path, int64_t start, int64_t end,
                  size_t max_size, volatile int64_t *totals, volatile const int *stop);

/* fastText's subwords. rf_fasttext_hash: its 32-bit FNV-1a over the bytes taken
 * as signed chars (as every published fastText model was hashed). rf_char_ngrams:
 * the bucket (hash % bucket) of each character n-gram of "<" word ">" with
 * minn <= n <= maxn UTF-8 characters, in fastText's order (by start, then length;
 * "<" and ">" alone left out), written to out unless it is NULL; returns how
 * many there are, at most (len + 2) * (maxn - minn + 1). */
uint32_t rf_fasttext_hash(const char *s, size_t len);
int64_t rf_char_ngrams(const char *word, uint32_t len, int32_t minn, int32_t maxn,
                       uint32_t bucket, int32_t *out);

#endif
