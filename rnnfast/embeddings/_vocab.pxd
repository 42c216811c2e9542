# The token table shared by the corpus readers of word2vec and GloVe.

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t


cdef extern from "rf_vocab.h" nogil:
    enum:
        RF_MAX_TOKEN
        RF_MAX_SENTENCE
        RF_NUL_BYTE
    ctypedef struct rf_entry:
        int64_t count
        int32_t index
    bint rf_entry_used(const rf_entry *e)
    uint32_t rf_entry_len(const rf_entry *e)
    const char *rf_entry_word(const rf_entry *e)
    ctypedef struct rf_vocab:
        rf_entry *slots
        size_t capacity
        size_t size
        int64_t min_reduce
    int rf_vocab_init(rf_vocab *v, size_t capacity_hint)
    void rf_vocab_free(rf_vocab *v)
    void rf_trim_heap()
    int rf_vocab_add(rf_vocab *v, const char *word, uint32_t len, int64_t count, int32_t index)
    const rf_entry *rf_vocab_find(const rf_vocab *v, const char *word, uint32_t len)
    ctypedef struct rf_reader:
        int64_t pos
    int rf_reader_open(rf_reader *r, const char *path, int64_t start, int64_t end)
    void rf_reader_close(rf_reader *r)
    ctypedef struct rf_encoded:
        uint8_t *bytes
        int64_t n_bytes
        int64_t n_sentences
        int64_t raw
        size_t max_bytes
        int dropped
    void rf_encoded_free(rf_encoded *t)
    uint32_t rf_varint_read(const uint8_t **p)
    uint32_t rf_fasttext_hash(const char *s, size_t len)
    int64_t rf_char_ngrams(const char *word, uint32_t len, int32_t minn, int32_t maxn,
                           uint32_t bucket, int32_t *out)
    int rf_count_file(rf_vocab *v, const char *path, int64_t start, int64_t end,
                      size_t max_size, volatile int64_t *totals, volatile const int *stop)



cdef class TokenTable:
    cdef rf_vocab table
    cdef readonly Py_ssize_t index_bound  # every entry's index is below it


cdef class EncodedText:
    cdef rf_encoded text
    cdef readonly Py_ssize_t index_bound  # every id is below it (the table's size)
    cdef readonly bint complete           # set once a whole range was kept

