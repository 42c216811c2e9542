"""FastText: word2vec whose input vectors are built from character n-grams, so that a
word never seen in training still gets a vector.

A word's input is the mean of its own row and the rows of its character n-grams
(`min_n`..`max_n` characters of "<word>", hashed into `bucket` rows by fastText's
hash), and training moves each of those rows. The arguments, defaults and
training API follow gensim 4's `FastText`; Facebook's `.bin` files are read and
written by `rnnfast.embeddings.fasttext_bin`.
"""

import functools

import numpy as np

from rnnfast._core import persist
from rnnfast._core.checks import all_finite, check_index
from rnnfast.embeddings import checks
from rnnfast.embeddings.keyedvectors import KeyedVectors, _counts
from rnnfast.embeddings.checks import no_effect, no_effect_on_save
from rnnfast.embeddings.word2vec import JOB_WORDS, Word2Vec

__all__ = ["FastText", "FastTextKeyedVectors"]

# fastText's end-of-line token: a word of that name has no n-grams (fastText's rule)
EOS = "</s>"
# Rows of n-gram vectors initialised at a time (the table is large: no temporary copy)
_INIT_ROWS = 1 << 15
# Words whose vectors are composed at a time: their rows are gathered into one
# block (about 2 MB at 100 dimensions; 4,096 words took 33 MB at each epoch's end)
_COMPOSE_WORDS = 1 << 8
# The layouts of saved models and vectors (persist checks them on load).
FORMAT_VERSION = 1


def check_ngrams(min_n, max_n, bucket):
    """(min_n, max_n, bucket) as ints, with a clear error for a range that is empty or a
    bucket count of 0 while n-grams are on. max_n = 0 turns n-grams off."""
    min_n = check_index("min_n", min_n, low=1)
    max_n = check_index("max_n", max_n, low=0)
    bucket = check_index("bucket", bucket, low=0, high=2**31 - 1)
    if max_n and min_n > max_n:
        raise ValueError(f"min_n={min_n} is above max_n={max_n}: no n-gram length lies "
                         f"between them (give max_n=0 to turn n-grams off)")
    if max_n and not bucket:
        raise ValueError(f"bucket=0 leaves no row for the n-grams of max_n={max_n}; give "
                         f"bucket > 0, or max_n=0 to turn n-grams off")
    return min_n, max_n, bucket


def _utf8(word):
    """The bytes fastText hashes (a word read with undecodable bytes keeps them)."""
    return word.encode("utf-8", "surrogateescape")


class FastTextKeyedVectors(KeyedVectors):
    """Vectors for any string: `vectors` (V, d) float32 holds each vocabulary word's
    vector (the mean of its row in `vectors_vocab` and its n-grams' rows in
    `vectors_ngrams`); another word's vector is the mean of its n-grams' rows
    (KeyError when none of them has `min_n`..`max_n` characters, or max_n = 0).

    `vectors_vocab` (V, d) and `vectors_ngrams` (bucket, d; (0, d) with max_n = 0)
    are two views of one float32 table: at gensim's defaults (bucket 2,000,000,
    vector_size 100) the n-gram rows alone take 800 MB. `word in kv` is True for
    any word that has a vector, `has_index_for(word)` only for vocabulary words.
    """

    def __init__(self, vector_size, min_n=3, max_n=6, bucket=2000000, count=0,
                 dtype=np.float32):
        super().__init__(vector_size, count, dtype)
        self.min_n, self.max_n, self.bucket = check_ngrams(min_n, max_n, bucket)
        self._adopt_table(np.zeros((count + self._n_buckets(), self.vector_size), dtype))

    def _n_buckets(self):
        return self.bucket if self.max_n else 0

    @classmethod
    def _over_table(cls, words, table, counts, min_n, max_n, bucket):
        """Keyed vectors over `table` (len(words) + buckets, d) float32, used as it is."""
        kv = cls(table.shape[1], min_n, max_n, bucket if max_n else 0)
        kv.bucket = bucket
        kv.index_to_key = list(words)
        kv.key_to_index = {k: i for i, k in enumerate(kv.index_to_key)}
        if len(kv.key_to_index) != len(words):
            raise ValueError("keys contains duplicates")
        if counts is not None:
            kv.set_counts(counts)
        if table.shape[0] != len(words) + kv._n_buckets():
            raise ValueError(f"the table has {table.shape[0]} rows, not {len(words)} words + "
                             f"{kv._n_buckets()} n-gram buckets")
        kv._adopt_table(table)
        return kv

    def set_counts(self, counts):
        """The "count" attribute of every key, (V,) ints >= 0."""
        self.expandos["count"] = _counts(counts, len(self))

    def _adopt_table(self, table):
        from rnnfast.embeddings._vocab import subword_table

        self._table = table
        V = len(self.index_to_key)
        if self.max_n:
            ids, ends = subword_table([b"" if w == EOS else _utf8(w) for w in self.index_to_key],
                                      self.min_n, self.max_n, self.bucket)
            # fastText gives its end-of-line word no n-grams: keep its own row alone
            self._subwords, self._subword_ends = _drop_eos_ngrams(ids, ends, self.index_to_key)
            self.vectors = np.empty((V, self.vector_size), table.dtype)
        else:
            self._subwords = self._subword_ends = None
            self.vectors = table[:V]   # each word its own row: nothing to compose
        self.vectors_changed()

    @property
    def vectors_vocab(self):
        """The vocabulary words' own rows, (V, d), a view of the trained table."""
        return self._table[:len(self.index_to_key)]

    @property
    def vectors_ngrams(self):
        """The n-gram buckets' rows, (bucket, d) ((0, d) with max_n = 0), a view."""
        return self._table[len(self.index_to_key):]

    def vectors_changed(self):
        """Compose every word's vector from its rows again and forget the cached norms
        (training calls it after every epoch; call it after changing the rows)."""
        if self._subwords is not None:
            _compose(self._table, self._subwords, self._subword_ends, self._vectors)
        self._norms = None

    def _ngram_rows(self, word):
        """The table rows of `word`'s n-grams; KeyError when it has none."""
        from rnnfast.embeddings._vocab import char_ngram_buckets

        if not isinstance(word, str):
            raise KeyError(f"Key {word!r} not present (a word is a str)")
        if self.max_n and word != EOS:
            buckets = char_ngram_buckets(_utf8(word), self.min_n, self.max_n, self.bucket)
            if len(buckets):
                return len(self.index_to_key) + buckets.astype(np.int64)
        why = ("this model has max_n=0, no n-grams" if not self.max_n else
               f"none of its character n-grams has {self.min_n} to {self.max_n} characters")
        raise KeyError(f"Key {word!r} not present, and no vector can be composed for it: {why}")

    def get_vector(self, key, norm=False):
        """The vector (d,) of `key`: a vocabulary word's row of `vectors`, or the mean of an
        unseen word's n-gram rows; unit length if `norm`."""
        if self._has_row(key):
            return super().get_vector(key, norm)
        rows = self._ngram_rows(key)
        vector = self._table[rows].sum(axis=0) * self._table.dtype.type(1 / len(rows))
        if norm:
            length = np.linalg.norm(vector.astype(np.float64))
            return vector / vector.dtype.type(length) if length > 0 else vector
        return vector

    def __contains__(self, key):
        """Whether `key` has a vector: a vocabulary word, or one with an n-gram in range."""
        if key in self.key_to_index:
            return True
        try:
            self._ngram_rows(key)
        except KeyError:
            return False
        return True

    def __repr__(self):
        return (f"FastTextKeyedVectors({len(self)} keys, vector_size={self.vector_size}, "
                f"min_n={self.min_n}, max_n={self.max_n}, bucket={self.bucket})")

    def _refused(self, what):
        raise TypeError(f"FastTextKeyedVectors: {what} is not supported (each word's vector "
                        f"is composed from its own row and its n-grams'); train with "
                        f"FastText.build_vocab(..., update=True) to add words")

    def add_vectors(self, keys, weights, extras=None, replace=False, check_finite=True):
        self._refused("add_vectors")

    def __setitem__(self, keys, weights):
        self._refused("assigning vectors")

    def sort_by_descending_frequency(self):
        self._refused("sort_by_descending_frequency")

    def unit_normalize_all(self):
        self._refused("unit_normalize_all")

    def intersect_word2vec_format(self, *args, **kwargs):
        self._refused("intersect_word2vec_format")

    # --- native format -------------------------------------------------------------

    def _meta(self):
        return {"vector_size": self.vector_size, "min_n": self.min_n, "max_n": self.max_n,
                "bucket": self.bucket}

    def save(self, fname, separately=None, sep_limit=10 * 1024 ** 2, ignore=frozenset(),
             pickle_protocol=4):
        """Save to rnnfast's own format (an .npz archive: the word and n-gram rows, the
        keys and counts, the n-gram settings), atomically; see `load`."""
        no_effect_on_save("save", separately, sep_limit, ignore, pickle_protocol)
        arrays = {"table": self._table, "keys": persist.words_array(self.index_to_key)}
        if "count" in self.expandos:
            arrays["counts"] = self.expandos["count"]
        persist.save(fname, "rnnfast.FastTextKeyedVectors", FORMAT_VERSION, self._meta(),
                     arrays)

    @classmethod
    def load(cls, fname, mmap=None):
        """Load what `save` wrote; mmap="r" or "c" maps the word and n-gram rows from the
        file (see KeyedVectors.load) instead of reading them."""
        with persist.load(fname, "rnnfast.FastTextKeyedVectors", FORMAT_VERSION,
                          mmap) as (data, meta):
            counts = data["counts"] if "counts" in data.files else None
            table, keys = data["table"], data["keys"]
        field = functools.partial(persist.check_field, fname)
        field("keys", keys.ndim == 1 and keys.dtype.kind == "U" and len(set(keys.tolist())) ==
              len(keys), f"is {keys.dtype} {keys.shape}, not a list of distinct keys")
        min_n, max_n, bucket = _checked_ngrams(fname, meta)
        d = meta.get("vector_size")
        rows = len(keys) + (bucket if max_n else 0)
        field("table", table.dtype == np.float32 and table.shape == (rows, d),
              f"is {table.dtype} {table.shape}, not float32 ({len(keys)} keys + the "
              f"n-gram buckets, vector_size {d!r})")
        field("table", all_finite(table), "holds NaN or infinity")
        field("counts", counts is None or (counts.shape == (len(keys),) and
                                           counts.dtype.kind in "iu" and (counts >= 0).all()),
              "is not one count >= 0 per key")
        return cls._over_table(keys.tolist(), np.ascontiguousarray(table), counts, min_n, max_n,
                               bucket)


def _checked_ngrams(fname, meta):
    try:
        return check_ngrams(meta.get("min_n"), meta.get("max_n"), meta.get("bucket"))
    except (TypeError, ValueError) as e:
        persist.inconsistent(fname, "min_n/max_n/bucket", f"hold a bad setting: {e}")


def _drop_eos_ngrams(ids, ends, words):
    """The subword table with the end-of-line word's n-grams left out."""
    try:
        i = words.index(EOS)
    except ValueError:
        return ids, ends
    begin = ends[i - 1] if i else 0
    keep = np.ones(len(ids), bool)
    keep[begin + 1:ends[i]] = False
    ends = ends - np.where(np.arange(len(ends)) >= i, ends[i] - begin - 1, 0)
    return np.ascontiguousarray(ids[keep]), ends


def _compose(table, subwords, ends, out):
    """out[i] = the mean of table[subwords[ends[i-1]:ends[i]]], a block of words at a time."""
    starts = np.concatenate([[0], ends[:-1]])
    for lo in range(0, len(ends), _COMPOSE_WORDS):
        hi = min(lo + _COMPOSE_WORDS, len(ends))
        first = starts[lo]
        sums = np.add.reduceat(table[subwords[first:ends[hi - 1]]], starts[lo:hi] - first, axis=0)
        out[lo:hi] = sums * (1 / (ends[lo:hi] - starts[lo:hi])).astype(table.dtype)[:, None]


class FastText(Word2Vec):
    """FastText (Bojanowski et al., 2017): word2vec (CBOW with `sg=0`, gensim's default, or
    skip-gram; negative sampling and/or hierarchical softmax) whose input vector of a
    word is the mean of its own row and the rows of its character n-grams (`min_n`
    to `max_n` characters of "<word>", hashed into `bucket` rows). `wv` is a
    FastTextKeyedVectors: it gives a vector for words never seen too.

    Skip-gram scores each window's words and their noise words (`negative` each) from
    the center word's input, in one block, in fastText's direction; CBOW is word2vec's over the context words' inputs. With
    `max_n=0` the model is Word2Vec itself: the same kernel and, for one worker and a
    seed, the same vectors bit for bit. `word_ngrams` must be 1 (word n-grams belong
    to fastText's supervised classifier). `null_word` and `hashfxn` (gensim's) have no
    effect: rnnfast always uses fastText's hash.

    Examples
    --------
    >>> from rnnfast import FastText
    >>> from rnnfast.datasets import toy_corpus
    >>> model = FastText(toy_corpus(2000), vector_size=16, min_count=1, bucket=10000,
    ...                  workers=1, progress=False)
    >>> "schoolhouses" in model.wv.key_to_index, model.wv["schoolhouses"].shape
    (False, (16,))
    """

    def __init__(self, sentences=None, corpus_file=None, sg=0, hs=0, vector_size=100,
                 alpha=0.025, window=5, min_count=5, max_vocab_size=None, word_ngrams=1,
                 sample=1e-3, seed=1, workers=None, min_alpha=0.0001, negative=5,
                 ns_exponent=0.75, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0, min_n=3,
                 max_n=6, sorted_vocab=1, bucket=2000000, trim_rule=None,
                 batch_words=JOB_WORDS, callbacks=(), max_final_vocab=None,
                 shrink_windows=True, progress=None):
        if word_ngrams != 1:
            raise ValueError(f"word_ngrams must be 1, got {word_ngrams!r}: word n-grams belong "
                             f"to fastText's supervised classifier, not to word vectors")
        no_effect("FastText", null_word=(null_word, 0), hashfxn=(hashfxn, hash))
        self.min_n, self.max_n, self.bucket = check_ngrams(min_n, max_n, bucket)
        self.word_ngrams = 1
        if sg and self.max_n:   # the window's words and their noise words form one block
            rows = 2 * check_index("window", window, low=1) * (
                1 + check_index("negative", negative, low=0))
            if rows >= checks.MAX_WINDOW_ROWS:
                raise ValueError(f"skip-gram FastText scores 2 * window * (1 + negative) = "
                                 f"{rows} rows at once, at most {checks.MAX_WINDOW_ROWS - 1}")
        super().__init__(sentences, corpus_file, vector_size, alpha, window, min_count,
                         max_vocab_size, sample, seed, workers, min_alpha, sg, hs, negative,
                         ns_exponent, cbow_mean, epochs, trim_rule, sorted_vocab, batch_words,
                         callbacks=callbacks, max_final_vocab=max_final_vocab,
                         shrink_windows=shrink_windows, progress=progress)

    def _n_buckets(self):
        return self.bucket if self.max_n else 0

    def _make_wv(self, word_rows, fresh):
        V, d, B = len(self.vocab), self.vector_size, self._n_buckets()
        if V + B > 2**31 - 1:
            raise ValueError(f"{V} words and bucket={B} pass 2^31 - 1 rows; lower bucket")
        old = None if fresh or self.wv is None else self.wv.vectors_ngrams
        table = np.empty((V + B, d), np.float32)
        table[:V] = word_rows
        if old is not None and len(old) == B:
            table[V:] = old
        else:
            self._initial_ngram_rows(table[V:])
        return FastTextKeyedVectors._over_table(self.vocab.words, table, self.vocab.counts,
                                                self.min_n, self.max_n, self.bucket)

    def _initial_ngram_rows(self, rows):
        """Uniform in [-1/d, 1/d) as the word rows, from the seed, filled in place."""
        rng = np.random.default_rng([self.seed, 2**32])   # a stream of its own
        scale = np.float32(2.0 / self.vector_size)
        for lo in range(0, len(rows), _INIT_ROWS):
            block = rows[lo:lo + _INIT_ROWS]
            rng.random(out=block, dtype=np.float32)
            block -= np.float32(0.5)
            block *= scale

    def _extra_memory(self):
        # the n-gram rows, and each word's list of them (about 20 int32 a word)
        V = len(self.vocab) if self.vocab is not None else 0
        return {"vectors_ngrams": self._n_buckets() * self.vector_size * 4,
                "subwords": V * 20 * 4 if self.max_n else 0}

    def _word_rows(self):
        return self.wv.vectors_vocab

    def _trained_tables(self):
        return [t for t in (self.wv._table, self.syn1neg, self.syn1) if t is not None]

    def _input_rows(self):
        if self.wv._subwords is None:     # no n-grams: word2vec's windows on the word rows
            return self.wv.vectors_vocab, None, None
        return self.wv._table, self.wv._subwords, self.wv._subword_ends

    def _lock_factors(self):
        lockf = self.wv.vectors_lockf
        if not (isinstance(lockf, np.ndarray) and lockf.shape == (1,) and lockf[0] == 1):
            raise ValueError("FastText does not train with model.wv.vectors_lockf (a word's "
                             "input is its n-grams' rows too, which gensim locks through "
                             "vectors_vocab_lockf and vectors_ngrams_lockf, not built here): "
                             "set it back to np.ones(1, np.float32)")
        return None

    def _check_wv(self):
        wv, V, d = self.wv, len(self.vocab), self.vector_size
        if not isinstance(wv, FastTextKeyedVectors) or wv.index_to_key != self.vocab.words:
            raise ValueError("model.wv is not the FastTextKeyedVectors of the model's "
                             "vocabulary (replaced, or keys changed); add words with "
                             "build_vocab(sentences, update=True)")
        table = wv._table
        if table.dtype != np.float32 or table.shape != (V + self._n_buckets(), d) or \
                not table.flags.c_contiguous or not table.flags.writeable:
            raise ValueError(f"model.wv's rows are {table.dtype} {table.shape}, not a "
                             f"writeable float32 ({V} + {self._n_buckets()}, {d}) table")
        if not all_finite(table):
            raise ValueError("model.wv's word or n-gram rows hold NaN or infinity; training "
                             "cannot start from them")
        for name in ("syn1neg", "syn1"):
            t = getattr(self, name)
            if t is not None and np.shape(t) != (V, d):
                raise ValueError(f"model.{name} has shape {np.shape(t)}, not ({V}, "
                                 f"vector_size={d})")

    # --- persistence -----------------------------------------------------------------

    _PARAMS = Word2Vec._PARAMS + ("min_n", "max_n", "bucket")

    def save(self, fname, separately=None, sep_limit=10 * 1024 ** 2, ignore=frozenset(),
             pickle_protocol=4):
        """Save the whole model (word and n-gram rows, output vectors, vocabulary,
        settings), atomically; `load` reads it back, ready to train further."""
        no_effect_on_save("save", separately, sep_limit, ignore, pickle_protocol)
        if self.vocab is None:
            raise RuntimeError("nothing to save: the model has no vocabulary yet")
        meta = {"params": {k: getattr(self, k) for k in self._PARAMS},
                "training_loss": self.training_loss_,
                "total_words": self.vocab.total_words, "n_sentences": self.vocab.n_sentences}
        arrays = {"table": self.wv._table, "words": persist.words_array(self.vocab.words),
                  "counts": self.vocab.counts}
        for name, table in (("context_vectors", self.syn1neg), ("syn1", self.syn1)):
            if table is not None:
                arrays[name] = table
        persist.save(fname, "rnnfast.FastText", FORMAT_VERSION, meta, arrays)

    @checks.class_only
    def load(cls, fname, mmap=None):
        """Load a model written by `save`; it can be trained further. mmap as
        Word2Vec.load takes it (the n-gram rows are most of the file)."""
        model, words, counts, table, _ = cls._load_checked(fname, "rnnfast.FastText",
                                                           FORMAT_VERSION, "table", mmap)
        model.wv = FastTextKeyedVectors._over_table(words, np.ascontiguousarray(table), counts,
                                                    model.min_n, model.max_n, model.bucket)
        return model

    def _check_input(self, V, table, field):
        d, B = self.vector_size, self._n_buckets()
        field("table", table.dtype == np.float32 and table.shape == (V + B, d),
              f"is {table.dtype} {table.shape}, not float32 ({V} words + {B} buckets, "
              f"vector_size {d})")
        field("table", all_finite(table), "holds NaN or infinity")

    def __repr__(self):
        return super().__repr__().replace("Word2Vec<", "FastText<", 1)[:-1] + (
            f", min_n={self.min_n}, max_n={self.max_n}, bucket={self.bucket}>")

