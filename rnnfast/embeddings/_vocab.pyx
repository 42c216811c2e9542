"""A C hash table from token bytes to (index, count), and corpus-file counting with it."""

cimport numpy as cnp
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t
from libc.string cimport memset

import numpy as np

cnp.import_array()


cdef bint _valid_utf8(const unsigned char *s, uint32_t n) noexcept nogil:
    """Whether s[:n] is UTF-8 as Python's strict decoder reads it (no overlong forms,
    no surrogates, nothing past U+10FFFF)."""
    cdef uint32_t i = 0, k, need
    cdef unsigned char b
    cdef uint32_t cp
    while i < n:
        b = s[i]
        if b < 0x80:
            i += 1
            continue
        if 0xC2 <= b <= 0xDF:
            need, cp = 1, b & 0x1F
        elif 0xE0 <= b <= 0xEF:
            need, cp = 2, b & 0x0F
        elif 0xF0 <= b <= 0xF4:
            need, cp = 3, b & 0x07
        else:
            return False
        if i + need >= n:   # the character's last bytes are missing
            return False
        for k in range(1, need + 1):
            if s[i + k] & 0xC0 != 0x80:
                return False
            cp = (cp << 6) | (s[i + k] & 0x3F)
        if (need == 2 and (cp < 0x800 or 0xD800 <= cp <= 0xDFFF)) or \
                (need == 3 and (cp < 0x10000 or cp > 0x10FFFF)):
            return False
        i += need + 1
    return True


cdef class TokenTable:
    """A C hash table from token bytes to (index, count), owned by this object."""

    def __cinit__(self, size_t capacity_hint=0):
        if rf_vocab_init(&self.table, capacity_hint) != 0:
            raise MemoryError("could not allocate the token table")

    def __dealloc__(self):
        rf_vocab_free(&self.table)

    @staticmethod
    def from_words(words):
        """A table mapping words[i] (bytes) to index i."""
        cdef TokenTable t = TokenTable(len(words))
        cdef bytes w
        cdef int32_t i
        for i, w in enumerate(words):
            if rf_vocab_add(&t.table, w, len(w), 0, i) != 0:
                raise MemoryError("could not grow the token table")
        t.index_bound = len(words)  # a repeated word keeps its first index
        return t

    def count_file(self, bytes path, int64_t start, int64_t end, size_t max_size,
                   int64_t[::1] totals, int[::1] stop):
        """Count the tokens of the lines starting in [start, end); totals (3,) int64
        receives the tokens, sentences and bytes read as it goes. Returns False if
        stopped."""
        cdef const char *cpath = path
        cdef int rc
        if totals.shape[0] != 3:
            raise ValueError("count_file: totals must have shape (3,)")
        with nogil:
            rc = rf_count_file(&self.table, cpath, start, end, max_size, &totals[0], &stop[0])
        if rc == -1:
            raise MemoryError("out of memory while counting the corpus")
        check_read(rc, path)
        return rc != -3

    def items(self, int64_t min_count=1):
        """(list of token bytes, int64 counts) of the words counted min_count times or
        more, in table order. A corpus of billions of tokens holds tens of millions of
        words, most of them rare: only the kept ones become Python objects."""
        slots = self._kept_slots(min_count)
        cdef const int64_t[::1] at = slots
        cdef list words = []
        cdef size_t j
        cdef rf_entry *e
        for j in range(at.shape[0]):
            e = &self.table.slots[at[j]]
            words.append(rf_entry_word(e)[:rf_entry_len(e)])
        counts = np.empty(len(slots), np.int64)
        cdef int64_t[::1] c = counts
        with nogil:
            for j in range(at.shape[0]):
                c[j] = self.table.slots[at[j]].count
        return words, counts

    def _kept_slots(self, int64_t min_count):
        """The slots holding a word counted min_count times or more: int64, in order."""
        cdef size_t i, n = 0
        with nogil:
            for i in range(self.table.capacity):
                if rf_entry_used(&self.table.slots[i]) and self.table.slots[i].count >= min_count:
                    n += 1
        slots = np.empty(n, np.int64)
        cdef int64_t[::1] out = slots
        cdef size_t j = 0
        with nogil:
            for i in range(self.table.capacity):
                if rf_entry_used(&self.table.slots[i]) and self.table.slots[i].count >= min_count:
                    out[j] = i
                    j += 1
        return slots

    def max_count(self):
        """The largest count in the table (0 when empty)."""
        cdef size_t i
        cdef int64_t top = 0
        with nogil:
            for i in range(self.table.capacity):
                if rf_entry_used(&self.table.slots[i]) and self.table.slots[i].count > top:
                    top = self.table.slots[i].count
        return top

    def first_invalid_utf8(self):
        """The first word (bytes, in table order) that is not valid UTF-8, or None."""
        cdef size_t i, bad = self.table.capacity
        with nogil:
            for i in range(self.table.capacity):
                if rf_entry_used(&self.table.slots[i]) and not _valid_utf8(
                        <const unsigned char *>rf_entry_word(&self.table.slots[i]),
                        rf_entry_len(&self.table.slots[i])):
                    bad = i
                    break
        if bad == self.table.capacity:
            return None
        return rf_entry_word(&self.table.slots[bad])[:rf_entry_len(&self.table.slots[bad])]

    def index(self, bytes word):
        """The index of word (bytes) as the corpus readers look it up, or -1."""
        cdef const rf_entry *e = rf_vocab_find(&self.table, word, len(word))
        return e.index if e != NULL else -1

    def __len__(self):
        return self.table.size


cdef class EncodedText:
    """A file range's sentences as vocabulary ids, kept while a first pass reads it
    (SGNSModel.train_file's `keep`) for the passes after it; at most max_bytes of
    ids and sentence ends, else dropped (`held` False)."""

    def __cinit__(self, size_t max_bytes, TokenTable table not None):
        memset(&self.text, 0, sizeof(self.text))
        self.text.max_bytes = max_bytes
        self.index_bound = table.index_bound
        self.complete = False

    def __dealloc__(self):
        rf_encoded_free(&self.text)

    @property
    def held(self):
        """Whether the whole range is here to train on."""
        return self.complete and not self.text.dropped

    @property
    def n_bytes(self):
        """The bytes the kept sentences take."""
        return self.text.n_bytes

    def sentences(self):
        """The kept sentences as [(ids int32 (n,), raw tokens it held)], in order."""
        cdef const uint8_t *p = self.text.bytes
        cdef int64_t s
        cdef uint32_t kept, raw, t
        out = []
        for s in range(self.text.n_sentences):
            kept = rf_varint_read(&p)
            raw = rf_varint_read(&p)
            ids = np.empty(kept, np.int32)
            for t in range(kept):
                ids[t] = rf_varint_read(&p)
            out.append((ids, raw))
        return out

    @property
    def raw_words(self):
        """The raw tokens (unknown ones too) of the sentences kept so far."""
        return self.text.raw




def check_read(int rc, bytes path):
    """Raise for what a C file reader returned: -2 a read error, RF_NUL_BYTE binary data."""
    name = path.decode(errors="replace")
    if rc == -2:
        raise OSError(f"could not read corpus_file {name!r}")
    if rc == RF_NUL_BYTE:
        raise ValueError(f"corpus_file {name!r} holds a NUL byte: it is binary data, not "
                         f"UTF-8 text with one sentence per line")


def trim_heap():
    """Give the C heap's free pages back to the system (glibc keeps them after free;
    a no-op elsewhere)."""
    rf_trim_heap()


MAX_SENTENCE = RF_MAX_SENTENCE
MAX_TOKEN_BYTES = RF_MAX_TOKEN


def encode_sentences(list sentences, dict key_to_index, Py_ssize_t max_length=RF_MAX_SENTENCE):
    """Vocabulary ids of a list of token lists, unknown tokens dropped, each sentence
    cut into pieces of at most `max_length` raw tokens.

    Returns (ids int32 (n_kept,), sentence_ends int64 (n_pieces,), raw_ends int64
    (n_pieces,): raw tokens up to each piece's end, total raw tokens)."""
    cdef Py_ssize_t total = 0, pieces = 0, k = 0, s = 0, n, i
    cdef object sentence, token
    cdef PyObject *found
    if max_length < 1:
        raise ValueError(f"max_length must be >= 1, got {max_length}")
    for sentence in sentences:
        n = len(sentence)
        total += n
        pieces += (n + max_length - 1) // max_length
    ids = np.empty(total, np.int32)
    ends = np.empty(pieces, np.int64)
    raw = np.empty(pieces, np.int64)
    cdef int32_t[::1] id_view = ids
    cdef int64_t[::1] end_view = ends, raw_view = raw
    cdef Py_ssize_t seen = 0
    for sentence in sentences:
        i = 0
        for token in sentence:
            found = PyDict_GetItem(key_to_index, token)
            if found != NULL:
                id_view[k] = <int32_t>(<object>found)
                k += 1
            i += 1
            seen += 1
            if i % max_length == 0:
                end_view[s] = k
                raw_view[s] = seen
                s += 1
        if i % max_length:
            end_view[s] = k
            raw_view[s] = seen
            s += 1
    return ids[:k], ends, raw, total


def fasttext_hash(bytes word):
    """fastText's 32-bit hash of `word`'s bytes (FNV-1a over signed chars), an int."""
    return rf_fasttext_hash(word, len(word))


def char_ngram_buckets(bytes word, int32_t minn, int32_t maxn, uint32_t bucket):
    """The bucket of each character n-gram of "<" word ">" (minn..maxn UTF-8
    characters), in fastText's order: int32 (m,), repeats kept."""
    if len(word) > 0xFFFFFFFF - 2:
        raise ValueError("char_ngram_buckets: word too long")
    cdef int64_t n = rf_char_ngrams(word, len(word), minn, maxn, bucket, NULL)
    out = np.empty(n, np.int32)
    cdef int32_t[::1] view = out
    if n:
        rf_char_ngrams(word, len(word), minn, maxn, bucket, &view[0])
    return out


def subword_table(list words, int32_t minn, int32_t maxn, uint32_t bucket):
    """FastText's input rows of each word of `words` (bytes, V of them): row i, then
    V + the bucket of each of its character n-grams. Returns ids int32 (m,) and
    ends int64 (V,): word i's rows are ids[ends[i-1]:ends[i]]."""
    cdef Py_ssize_t V = len(words), i
    cdef int64_t total = 0, k = 0
    cdef bytes w
    if V + <int64_t>bucket > 0x7FFFFFFF:
        raise ValueError(f"subword_table: {V} words and {bucket} buckets pass int32 row ids")
    ends = np.empty(V, np.int64)
    cdef int64_t[::1] end_view = ends
    for i in range(V):
        w = words[i]
        total += 1 + rf_char_ngrams(w, len(w), minn, maxn, bucket, NULL)
        end_view[i] = total
    ids = np.empty(total, np.int32)
    cdef int32_t[::1] id_view = ids
    cdef int32_t first = <int32_t>V
    cdef int64_t j, n
    cdef int32_t *base = &id_view[0] if total else NULL
    for i in range(V):
        w = words[i]
        id_view[k] = <int32_t>i
        n = rf_char_ngrams(w, len(w), minn, maxn, bucket, base + k + 1)
        for j in range(k + 1, k + 1 + n):
            id_view[j] += first
        k += 1 + n
    return ids, ends
