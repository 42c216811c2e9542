"""A C hash table from token bytes to (index, count), and corpus-file counting with it."""

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t

import numpy as np

cnp.import_array()


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
        return t

    def count_file(self, path, int64_t start, int64_t end, size_t max_size):
        """Count the tokens of the lines starting in [start, end); returns (tokens, lines)."""
        cdef bytes bpath = path.encode() if isinstance(path, str) else path
        cdef const char *cpath = bpath
        cdef int64_t n_tokens = 0, n_lines = 0
        cdef int rc
        with nogil:
            rc = rf_count_file(&self.table, cpath, start, end, max_size, &n_tokens, &n_lines)
        if rc == -1:
            raise MemoryError("out of memory while counting the corpus")
        if rc == -2:
            raise OSError(f"could not read {path!r}")
        return n_tokens, n_lines

    def items(self):
        """(list of token bytes, int64 counts) in table order."""
        cdef size_t i
        cdef list words = []
        counts = np.empty(self.table.size, np.int64)
        cdef int64_t[::1] c = counts
        cdef size_t j = 0
        for i in range(self.table.capacity):
            if self.table.slots[i].word != NULL:
                words.append(self.table.slots[i].word[:self.table.slots[i].len])
                c[j] = self.table.slots[i].count
                j += 1
        return words, counts

    @property
    def min_reduce(self):
        return self.table.min_reduce

    def __len__(self):
        return self.table.size


