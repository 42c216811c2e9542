"""KeyedVectors: words and their vectors, with similarity queries, evaluation and file formats.

The API follows gensim's `KeyedVectors`, so switching is a change of import.
"""

import functools
import io
import lzma
import os

import numpy as np

from rnnfast._core import persist
from rnnfast._core.checks import all_finite, check_index, check_number
from rnnfast.embeddings import checks

__all__ = ["KeyedVectors"]

# The layout of a saved KeyedVectors (persist checks it on load).
FORMAT_VERSION = 1


class KeyedVectors:
    """`vectors` (n, d) float32, row i belonging to `index_to_key[i]`.

    Unit norms are cached for the similarity queries: assigning `vectors` drops the
    cache, and whoever changes the array in place calls `vectors_changed()` (the
    trainers do, after every epoch).

    Examples
    --------
    >>> import numpy as np
    >>> from rnnfast import KeyedVectors
    >>> kv = KeyedVectors.from_arrays(["a", "b", "c"], np.array([[1, 0], [0.9, 0.1], [0, 1]]))
    >>> [key for key, _ in kv.most_similar("a", topn=2)]
    ['b', 'c']
    >>> round(kv.similarity("a", "c"), 3)
    0.0
    """

    def __init__(self, vector_size, count=0, dtype=np.float32):
        self.vector_size = check_index("vector_size", vector_size, low=1)
        count = check_index("count", count, low=0)
        self.vectors = np.zeros((count, vector_size), dtype=dtype)
        self.index_to_key = []
        self.key_to_index = {}
        self.expandos = {}  # per-key extra attributes, such as "count"
        self._norms = None

    @property
    def vectors(self):
        """The vectors, one row per key: (n, vector_size) float32 (or the dtype given).
        Assigning a new array forgets the cached norms; after changing it in place, call
        vectors_changed()."""
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        self._vectors = value
        self._norms = None

    @property
    def vectors_lockf(self):
        """gensim's lock factors ((1,) or (len(self),) float32, default [1.0]): training
        scales the step of key i's vector by vectors_lockf[i] (or the one factor); 0
        freezes a vector. Set by intersect_word2vec_format, or assign an array."""
        if getattr(self, "_vectors_lockf", None) is None:
            self._vectors_lockf = np.ones(1, dtype=np.float32)
        return self._vectors_lockf

    @vectors_lockf.setter
    def vectors_lockf(self, value):
        self._vectors_lockf = value

    def vectors_changed(self):
        """Forget the cached norms; call after changing `vectors` in place."""
        self._norms = None

    @classmethod
    def from_arrays(cls, keys, vectors, counts=None, dtype=np.float32, check_finite=True):
        """KeyedVectors over `keys` (sequence of str) and `vectors` (n, d), stored as
        `dtype`; `counts` (n,) ints >= 0 become the "count" attribute. Vectors with NaN,
        infinity or values beyond `dtype`'s range are refused unless not `check_finite`."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D (n, d), got shape {vectors.shape}")
        keys = list(keys)
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys for {len(vectors)} vectors")
        kv = cls(vectors.shape[1], 0)
        kv.vectors = _stored(vectors, dtype, check_finite, keys, "vectors")
        kv.index_to_key = keys
        kv.key_to_index = {k: i for i, k in enumerate(keys)}
        if len(kv.key_to_index) != len(keys):
            raise ValueError("keys contains duplicates")
        if counts is not None:
            kv.expandos["count"] = _counts(counts, len(keys))
        return kv

    # --- per-key attributes and editing ---------------------------------------------

    # attributes computed from a key's row on demand (name -> function of the row), as
    # a model that owns these vectors provides them (Word2Vec's Huffman code and point)
    derived_vecattrs = {}

    def get_vecattr(self, key, attr):
        """The extra attribute `attr` (such as "count") of `key`."""
        if attr not in self.expandos and attr in self.derived_vecattrs:
            return self.derived_vecattrs[attr](self.get_index(key))
        if attr not in self.expandos:
            raise KeyError(f"no attribute {attr!r} (these vectors have: "
                           f"{sorted(self.expandos) or 'none'})")
        return self.expandos[attr][self.get_index(key)]

    def set_vecattr(self, key, attr, val):
        """Set the extra attribute `attr` of `key` (creating it, zero for every key, if new)."""
        index = self.get_index(key)
        self.allocate_vecattrs([attr], [type(val)])
        column = self.expandos[attr]
        if column.dtype != object:
            try:
                stored = np.asarray(val).astype(column.dtype)
                exact = bool(stored == val)
            except (TypeError, ValueError, OverflowError):
                exact = False
            if not exact:
                raise TypeError(f"set_vecattr: {val!r} cannot be stored in the {attr!r} "
                                f"attribute, which holds {column.dtype} (it would become "
                                f"another value)")
        column[index] = val

    def allocate_vecattrs(self, attrs=None, types=None):
        """Make every attribute array (or the named new ones, of `types`) one entry per key."""
        if attrs is None:
            attrs, types = list(self.expandos), [a.dtype for a in self.expandos.values()]
        n = len(self.index_to_key)
        for attr, kind in zip(attrs, types):
            kind = np.int64 if kind is int else object if kind is str else kind
            old = self.expandos.get(attr)
            if old is None:
                self.expandos[attr] = np.zeros(n, dtype=kind)
            elif len(old) != n:
                grown = np.zeros(n, dtype=old.dtype)
                grown[:min(n, len(old))] = old[:n]
                self.expandos[attr] = grown

    @property
    def next_index(self):
        """The row the next new key takes (gensim's name)."""
        return len(self.index_to_key)

    def add_lifecycle_event(self, event_name, log_level=None, **event):
        """Record an event in `lifecycle_events` (gensim's model history)."""
        self.__dict__.setdefault("lifecycle_events", []).append(
            {"event": event_name, **event})

    def add_vector(self, key, vector):
        """Append one key with its vector (d,); returns its row."""
        self.add_vectors([key], np.asarray(vector).reshape(1, -1))
        return self.key_to_index[key]

    def add_vectors(self, keys, weights, extras=None, replace=False, check_finite=True):
        """Append `keys` (a key or a list) with `weights` (d,) or (n, d); keys already
        present keep their vectors unless `replace`. `extras` maps attribute names to
        (n,) arrays of values for these keys. Weights with NaN, infinity or values
        beyond the vectors' dtype are refused unless not `check_finite`. On any error
        nothing is added."""
        if isinstance(keys, (str, int, np.integer)):
            keys = [keys]
        keys = list(keys)
        try:
            weights = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"weights must be numbers of shape ({len(keys)}, "
                             f"{self.vector_size}), one vector per key") from None
        if weights.ndim == 1 and len(keys) == 1:
            weights = weights.reshape(1, -1)
        if weights.shape != (len(keys), self.vector_size):
            raise ValueError(f"weights must have shape ({len(keys)}, {self.vector_size}) for "
                             f"{len(keys)} keys of vector_size {self.vector_size}, got "
                             f"{weights.shape}")
        if len(set(keys)) != len(keys):
            raise ValueError("keys contains duplicates")
        weights = _stored(weights, self.vectors.dtype, check_finite, keys, "weights")
        extras = {k: np.asarray(v) for k, v in (extras or {}).items()}
        for attr, values in extras.items():
            if values.shape[:1] != (len(keys),):
                raise ValueError(f"extras[{attr!r}] must hold one value per key, got shape "
                                 f"{values.shape} for {len(keys)} keys")
        before = (len(self.index_to_key), self.vectors, dict(self.expandos))
        try:
            present = np.array([k in self.key_to_index for k in keys], dtype=bool)
            # KeyedVectors(d, count) holds `count` rows for keys to come (gensim's way):
            # new keys fill those first
            free = len(self.vectors) - len(self.index_to_key)
            for key in (k for k, p in zip(keys, present) if not p):
                self.key_to_index[key] = len(self.index_to_key)
                self.index_to_key.append(key)
            missing = int((~present).sum()) - free
            if missing > 0:
                self.vectors = np.vstack([self.vectors, weights[~present][-missing:]])
            self.allocate_vecattrs(list(extras), [v.dtype for v in extras.values()])
            self.allocate_vecattrs()
            rows = np.array([self.key_to_index[k] for k in keys], dtype=np.intp)
            chosen = np.ones(len(keys), bool) if replace else ~present
            self.vectors[rows[chosen]] = weights[chosen]
            for attr, values in extras.items():
                self.expandos[attr][rows[chosen]] = values[chosen]
        except BaseException:
            n, self.vectors, self.expandos = before
            for key in self.index_to_key[n:]:
                del self.key_to_index[key]
            del self.index_to_key[n:]
            raise

    def __setitem__(self, keys, weights):
        """kv[key] = vector, or kv[[keys]] = vectors: add or replace."""
        if not isinstance(keys, list):
            keys, weights = [keys], np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """A new KeyedVectors of those `keys` that have a vector here (deduplicated, in
        the order given; with `allow_inference`, keys a subclass composes a vector for,
        such as FastText's unseen words, too), with their attributes if `copy_vecattrs`
        (zero for composed keys), else with gensim's made-up "count" (n down to 1)."""
        keys = _key_list(keys, "keys")
        has = (lambda k: k in self) if allow_inference else (lambda k: k in self.key_to_index)
        chosen = list(dict.fromkeys(k for k in keys if has(k)))
        rows = np.array([self.key_to_index.get(k, -1) for k in chosen], dtype=np.intp)
        vectors = self.vectors[np.maximum(rows, 0)] if len(self.vectors) else \
            np.zeros((len(chosen), self.vector_size), self.vectors.dtype)
        for i in np.flatnonzero(rows < 0):
            vectors[i] = self.get_vector(chosen[i])
        kv = KeyedVectors(self.vector_size, 0, dtype=self.vectors.dtype)
        kv.vectors = vectors
        kv.index_to_key = chosen
        kv.key_to_index = {k: i for i, k in enumerate(chosen)}
        if copy_vecattrs:
            kv.expandos = {attr: np.where(rows >= 0, values[np.maximum(rows, 0)], 0).astype(
                values.dtype) for attr, values in self.expandos.items()}
        else:
            kv.expandos = {"count": np.arange(len(chosen), 0, -1, dtype=np.int64)}
        return kv

    def unit_normalize_all(self):
        """Scale every vector to unit length in place (zero vectors stay zero)."""
        self.vectors = self.get_normed_vectors().astype(self.vectors.dtype)

    def sort_by_descending_frequency(self):
        """Reorder the keys by descending "count" (ties keep their order)."""
        if "count" not in self.expandos:
            raise ValueError("these vectors carry no counts to sort by")
        order = np.argsort(-self.expandos["count"], kind="stable")
        self.index_to_key = [self.index_to_key[i] for i in order]
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        self.vectors = self.vectors[order]
        self.expandos = {attr: values[order] for attr, values in self.expandos.items()}

    # --- lookups -------------------------------------------------------------------

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        return key in self.key_to_index

    def has_index_for(self, key):
        """Whether `key` has a row of its own."""
        return key in self.key_to_index

    def __repr__(self):
        return f"KeyedVectors({len(self)} keys, vector_size={self.vector_size})"

    def get_index(self, key, default=None):
        """Row of `key`; KeyError (or `default`) if absent."""
        index = self.key_to_index.get(key)  # a key first, then a row number (gensim's order)
        if index is not None:
            return index
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and \
                0 <= key < len(self):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    def get_vector(self, key, norm=False):
        """The vector (d,) of `key`, unit length if `norm`."""
        index = self.get_index(key)
        if norm:
            return _unit(self.vectors[index])
        return self.vectors[index]

    def __getitem__(self, keys):
        if isinstance(keys, (str, int, np.integer)):
            return self.get_vector(keys)
        return np.vstack([self.get_vector(k) for k in keys]) if len(keys) else \
            np.zeros((0, self.vector_size), np.float32)

    @property
    def norms(self):
        """The length of each vector, (n,) float64, computed once and cached until the
        vectors change."""
        if self._norms is None:
            self._norms = _row_norms(self.vectors)
        return self._norms

    def fill_norms(self, force=False):
        """Compute the cached norms now (gensim's name); force recomputes them. Returns
        them, (n,) float64."""
        if force:
            self._norms = None
        return self.norms

    def get_normed_vectors(self):
        """All vectors scaled to unit length (zero vectors stay zero), (n, d) in the
        vectors' dtype (divided in float64 a block of rows at a time, so that vectors
        near float32's limit are not zeroed)."""
        out = np.empty_like(self.vectors)
        for block in _row_blocks(*out.shape):
            out[block] = self._normed_rows(block)
        return out

    def _normed_rows(self, block):
        norms = self.norms[block]
        return (self.vectors[block] / np.where(norms > 0, norms, 1.0)[:, None]).astype(
            self.vectors.dtype, copy=False)

    def _cosines(self, unit, limit=None):
        """Cosines of the first `limit` vectors (all by default) with the unit vector
        `unit` (d,): (limit,) floats. Rows are normalised a block at a time, never the
        whole table at once (a memory-mapped table stays shared, and a large one is
        not copied for each query)."""
        limit = len(self) if limit is None else limit
        unit = np.asarray(unit).astype(np.float32)
        parts = [self._normed_rows(block) @ unit
                 for block in _row_blocks(*self.vectors.shape, limit)]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    # --- similarity ----------------------------------------------------------------

    def similarity(self, w1, w2):
        """Cosine similarity of two keys (exactly 1 for a key with itself, unless zero)."""
        if not (self._has_row(w1) and self._has_row(w2)):  # a vector composed for a key
            a, b = self.get_vector(w1), self.get_vector(w2)
            return float(np.linalg.norm(a) > 0) if w1 == w2 else float(np.dot(_unit(a), _unit(b)))
        i, j = self.get_index(w1), self.get_index(w2)
        if i == j:
            return float(self.norms[i] > 0)
        return float(np.dot(_unit(self.vectors[i]), _unit(self.vectors[j])))

    def _has_row(self, key):
        """Whether `key` is a key or a row number (its vector is a row of `vectors`); a
        subclass may compose vectors for other keys in `get_vector`."""
        return key in self.key_to_index or (isinstance(key, (int, np.integer)) and
                                            not isinstance(key, bool))

    def _weighted_query(self, positive, negative):
        positive = _as_list(positive)
        negative = _as_list(negative)
        if not positive and not negative:
            raise ValueError("give at least one key in positive or negative")
        parts, used = [], set()
        for sign, items in ((1.0, positive), (-1.0, negative)):
            for item in items:
                if isinstance(item, tuple):  # (key, weight) as gensim accepts
                    item, weight = item
                    sign_w = sign * float(weight)
                else:
                    sign_w = sign
                if isinstance(item, np.ndarray):
                    parts.append(sign_w * self._query_vector(item, "positive/negative"))
                elif not self._has_row(item):   # get_vector composes it or raises KeyError
                    parts.append(sign_w * self.get_vector(item, norm=True))
                else:
                    index = self.get_index(item)
                    used.add(index)
                    parts.append(sign_w * self.get_vector(index, norm=True))
        mean = np.mean(np.asarray(parts, dtype=np.float64), axis=0)
        norm = np.linalg.norm(mean)
        return (mean / norm if norm > 0 else mean), used

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None,
                     indexer=None):
        """Keys closest by cosine to the mean of the unit `positive` minus `negative` vectors.

        Returns [(key, similarity), ...] best first, the query keys left out; with
        topn=None, the similarity array over the (restricted) vocabulary instead. An
        `indexer` (an approximate nearest-neighbour index with gensim's protocol,
        `indexer.most_similar(unit query vector (d,) float32, topn)`) answers instead,
        as its own list, when topn is an int.
        """
        query, used = self._weighted_query(positive, negative)
        if indexer is not None and isinstance(topn, (int, np.integer)):
            if not callable(getattr(indexer, "most_similar", None)):
                raise TypeError(f"indexer must have a most_similar(vector, num) method, got "
                                f"{type(indexer).__name__}")
            return indexer.most_similar(query.astype(np.float32), topn)
        limit = self._limit(restrict_vocab)
        return self._top(self._cosines(query, limit), used, topn)

    def wmdistance(self, document1, document2, norm=True):
        """Word Mover's Distance between two documents (lists of keys), as gensim's: keys
        without a vector are left out (inf if a document has none left); each
        document's words weigh by their frequency in it; with `norm`, between unit
        vectors. Solved exactly (wmd.word_movers_distance; gensim needs POT, and
        returns inf where every distance is zero: here that is 0)."""
        from rnnfast.embeddings.wmd import word_movers_distance

        docs = []
        for name, doc in (("document1", document1), ("document2", document2)):
            known = [k for k in _key_list(doc, name) if k in self]
            words, counts = np.unique(np.array(known, dtype=object), return_counts=True) \
                if known else ([], [])
            docs.append((list(words), np.asarray(counts, np.float64) / max(len(known), 1)))
        if not docs[0][0] or not docs[1][0]:
            return float("inf")
        parts = [(np.array([self.get_vector(w, norm=norm) for w in words]), weights)
                 for words, weights in docs]
        return word_movers_distance(parts[0][0], parts[0][1], parts[1][0], parts[1][1])

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """3CosMul (Levy and Goldberg, 2014): product of positive similarities over negative ones.

        Similarities are mapped to [0, 1] by (1 + cos) / 2 first.
        """
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive and not negative:
            raise ValueError("give at least one key in positive or negative")
        limit = self._limit(restrict_vocab)
        used = set()

        def sims(items):
            out = []
            for item in items:
                if isinstance(item, np.ndarray):
                    v = item / (np.linalg.norm(item) or 1)
                else:
                    if self._has_row(item):
                        used.add(self.get_index(item))
                    v = self.get_vector(item, norm=True)
                out.append((1 + self._cosines(v, limit)) / 2)
            return out

        pos, neg = sims(positive), sims(negative)
        scores = np.prod(pos, axis=0) / (np.prod(neg, axis=0) + 1e-6) if neg else np.prod(pos, axis=0)
        return self._top(scores, used, topn)

    def _limit(self, restrict_vocab):
        """How many of the first keys a query may answer with."""
        restrict_vocab = check_index("restrict_vocab", restrict_vocab, low=1,
                                     optional=True)
        return len(self) if restrict_vocab is None else min(restrict_vocab, len(self))

    def _top(self, scores, exclude, topn):
        topn = check_index("topn", topn, low=0, optional=True)
        if topn is None:
            return scores
        order = np.argsort(-scores, kind="stable")[: topn + len(exclude)]
        return [(self.index_to_key[i], float(scores[i])) for i in order if i not in exclude][:topn]

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """most_similar(word)."""
        return self.most_similar(word, topn=topn, restrict_vocab=restrict_vocab)

    similar_by_key = similar_by_word

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """The keys closest by cosine to `vector` (d,)."""
        return self.most_similar(positive=[self._query_vector(vector, "vector")], topn=topn,
                                 restrict_vocab=restrict_vocab)

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """The mean (d,) of the vectors of `keys` (keys or (d,) arrays), weighted by
        `weights` and divided by the sum of their absolute values; unit vectors first
        if `pre_normalize`, a unit result if `post_normalize`. Missing keys are skipped
        unless not `ignore_missing` (KeyError)."""
        keys = list(keys) if not isinstance(keys, (str, np.ndarray)) else [keys]
        if not keys:
            raise ValueError("get_mean_vector: keys is empty")
        weights = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(keys),):
            raise ValueError(f"weights must hold one number per key ({len(keys)}), got shape "
                             f"{weights.shape}")
        total = np.zeros(self.vector_size)
        weight_sum = 0.0
        for key, weight in zip(keys, weights):
            if isinstance(key, np.ndarray):
                vector = self._query_vector(key, "keys")
            elif key in self or isinstance(key, (int, np.integer)):
                vector = self.get_vector(key, norm=pre_normalize)
            elif ignore_missing:
                continue
            else:
                raise KeyError(f"Key '{key}' not present")
            total += weight * vector
            weight_sum += abs(weight)
        mean = total / weight_sum if weight_sum > 0 else total
        if post_normalize:
            mean = mean / (np.linalg.norm(mean) or 1)
        return mean.astype(self.vectors.dtype)

    def _query_vector(self, vector, name):
        vector = np.asarray(vector, dtype=np.float64)
        if vector.shape != (self.vector_size,):
            raise ValueError(f"{name}: a vector must have shape ({self.vector_size},), got "
                             f"{vector.shape}")
        return vector

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine of `vector_1` (d,) with each row of `vectors_all` (n, d); 0 for zero vectors."""
        vector_1, vectors_all = np.asarray(vector_1), np.asarray(vectors_all)
        if vector_1.ndim != 1 or vectors_all.shape[-1:] != vector_1.shape:
            raise ValueError(f"cosine_similarities: vector_1 (d,) and vectors_all (n, d) must "
                             f"agree, got {vector_1.shape} and {vectors_all.shape}")
        norms = np.linalg.norm(vectors_all, axis=-1) * np.linalg.norm(vector_1)
        dots = vectors_all @ vector_1
        return np.divide(dots, norms, out=np.zeros_like(dots, dtype=np.result_type(dots, 1.0)),
                         where=norms > 0)

    def distances(self, word_or_vector, other_words=()):
        """1 - cosine of a key or vector (d,) with `other_words` (every key if empty), (n,)."""
        if isinstance(word_or_vector, np.ndarray):
            query = self._query_vector(word_or_vector, "word_or_vector")
        else:
            query = self.get_vector(word_or_vector)
        others = self.vectors if not len(other_words) else self[list(other_words)]
        return 1 - self.cosine_similarities(query, others)

    def distance(self, w1, w2):
        """1 - cosine similarity of two keys."""
        return 1 - self.similarity(w1, w2)

    def n_similarity(self, ws1, ws2):
        """Cosine of the mean vectors of two non-empty lists of keys (for one key each,
        exactly `similarity`)."""
        ws1, ws2 = _key_list(ws1, "ws1"), _key_list(ws2, "ws2")
        if not len(ws1) or not len(ws2):
            raise EmptyKeysError("n_similarity: both lists of keys must be non-empty")
        a = np.mean([self.get_vector(k) for k in ws1], axis=0)
        b = np.mean([self.get_vector(k) for k in ws2], axis=0)
        return float(np.dot(_unit(a), _unit(b)))

    def doesnt_match(self, words):
        """The key of `words` furthest from the mean of their unit vectors (unknown keys ignored)."""
        known = [w for w in _key_list(words, "words") if w in self]
        if not known:
            raise ValueError("doesnt_match: none of the words has a vector")
        vectors = np.array([self.get_vector(w, norm=True) for w in known])
        mean = vectors.mean(axis=0)
        return known[int(np.argmin(vectors @ (mean / (np.linalg.norm(mean) or 1))))]

    def closer_than(self, key1, key2):
        """Keys closer to `key1` than `key2` is, `key1` itself left out."""
        index = self.get_index(key1)
        sims = self._cosines(self.get_vector(key1, norm=True))
        threshold = sims[self.get_index(key2)]
        return [self.index_to_key[i] for i in np.flatnonzero(sims > threshold) if i != index]

    def rank_by_centrality(self, words, use_norm=True):
        """(cosine, word) pairs of the `words` that have a vector, by closeness to the
        unit mean of their (unit, with use_norm) vectors, closest first, as gensim's."""
        used = [w for w in _key_list(words, "words") if w in self]
        if not used:
            raise ValueError("rank_by_centrality: none of the words has a vector")
        vectors = np.vstack([self.get_vector(w, norm=use_norm) for w in used]).astype(
            np.float32)
        mean = _unit(vectors.astype(np.float64).mean(axis=0))
        return sorted(zip((vectors @ mean.astype(np.float32)).tolist(), used), reverse=True)

    def resize_vectors(self, seed=0):
        """Make `vectors` one row per key: rows made ahead (KeyedVectors(d, count)) and
        not used are dropped; keys without a row get small random vectors from `seed`."""
        n, have = len(self.index_to_key), len(self.vectors)
        if have > n:
            self.vectors = self.vectors[:n].copy()
        elif have < n:
            rng = np.random.default_rng(check_index("seed", seed, low=0))
            extra = (rng.random((n - have, self.vector_size)) - 0.5) / self.vector_size
            self.vectors = np.vstack([self.vectors, extra.astype(self.vectors.dtype)])
        self.allocate_vecattrs()

    def words_closer_than(self, word1, word2):
        """closer_than under gensim 3's name."""
        return self.closer_than(word1, word2)

    def init_sims(self, replace=False):
        """gensim 3's: compute the norms now (they are cached anyway); with replace=True,
        scale every vector to unit length in place, as unit_normalize_all does."""
        if replace:
            self.unit_normalize_all()
        self.fill_norms()

    def rank(self, key1, key2):
        """Position of `key2` among the keys nearest `key1` (1 = nearest)."""
        return len(self.closer_than(key1, key2)) + 1

    def most_similar_to_given(self, key1, keys_list):
        """The key of `keys_list` most similar to `key1`."""
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    def relative_cosine_similarity(self, wa, wb, topn=10):
        """similarity(wa, wb) over the sum of `wa`'s top-n similarities (Leeuwenberg et al., 2016)."""
        top = self.most_similar(wa, topn=topn)
        total = sum(s for _, s in top)
        return self.similarity(wa, wb) / total if total else 0.0

    # --- evaluation ----------------------------------------------------------------

    def _restricted_lookup(self, restrict_vocab, case_insensitive):
        keys = self.index_to_key[:restrict_vocab]
        if not case_insensitive:
            return {k: i for i, k in enumerate(keys)}
        lookup = {}
        for i, k in enumerate(keys):  # the most frequent spelling wins
            lookup.setdefault(k.upper(), i)
        return lookup

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar"):
        """Accuracy on analogy questions `a b c d` (a : b :: c : d) in sections `: name`.

        Each question is answered by the nearest key to b - a + c (or, with
        similarity_function="most_similar_cosmul", the best 3CosMul score) among the first
        `restrict_vocab` keys, the three question words excluded. Questions with a
        word outside those keys are skipped (or counted wrong with dummy4unknown).
        Returns (accuracy, sections): sections is a list of dicts with "section",
        "correct" and "incorrect" (lists of 4-tuples), the last one "Total accuracy".
        """
        if similarity_function not in ("most_similar", "most_similar_cosmul"):
            raise ValueError(f"similarity_function must be 'most_similar' (3CosAdd) or "
                             f"'most_similar_cosmul' (3CosMul), got {similarity_function!r}")
        restrict_vocab = self._limit(restrict_vocab)
        lookup = self._restricted_lookup(restrict_vocab, case_insensitive)
        normed = self.get_normed_vectors()[:restrict_vocab]
        sections, section, oov, n_questions = [], None, 0, 0
        where = _source_name(analogies, "analogies")
        for line_no, line in enumerate(_read_lines(analogies, "analogies"), 1):
            if line.startswith(":"):
                section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
                sections.append(section)
                continue
            if not line.strip():
                continue
            if section is None:
                raise ValueError(f"{where} line {line_no}: a question before the first "
                                 f"': section' header")
            words = line.split()
            if len(words) != 4:
                raise ValueError(f"{where} line {line_no}: expected 4 words, got {line!r}")
            n_questions += 1
            if case_insensitive:
                words = [w.upper() for w in words]
            ids = [lookup.get(w) for w in words]
            if None in ids:
                oov += 1
                if dummy4unknown:
                    section["incorrect"].append(tuple(words))
                continue
            a, b, c, expected = ids
            if similarity_function == "most_similar":
                query = normed[b] - normed[a] + normed[c]
                scores = normed @ (query / (np.linalg.norm(query) or 1))
            else:  # 3CosMul, as most_similar_cosmul scores it
                sims = (1 + normed @ normed[[b, c, a]].T) / 2
                scores = sims[:, 0] * sims[:, 1] / (sims[:, 2] + 1e-6)
            scores[[a, b, c]] = -np.inf
            predicted = int(np.argmax(scores))
            ok = predicted == expected
            section["correct" if ok else "incorrect"].append(tuple(words))
        total = {"section": "Total accuracy",
                 "correct": [q for s in sections for q in s["correct"]],
                 "incorrect": [q for s in sections for q in s["incorrect"]]}
        sections.append(total)
        n = len(total["correct"]) + len(total["incorrect"])
        self.last_analogy_oov_ratio = oov / n_questions if n_questions else 0.0
        return (len(total["correct"]) / n if n else 0.0), sections

    def evaluate_word_pairs(self, pairs, delimiter="\t", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlation of cosine similarity with human scores on `w1<delim>w2<delim>score` lines.

        Lines starting with '#' are comments. Returns (pearson, spearman, oov_ratio):
        pearson and spearman are (statistic, p-value) from scipy.stats; oov_ratio is
        the percentage of pairs skipped for a word outside the first restrict_vocab keys.
        """
        from scipy import stats

        lookup = self._restricted_lookup(self._limit(restrict_vocab), case_insensitive)
        normed = self.get_normed_vectors()
        model_sims, human_sims, oov, n = [], [], 0, 0
        where = _source_name(pairs, "pairs")
        for line_no, line in enumerate(_read_lines(pairs, "pairs"), 1):
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split(delimiter)
            if len(parts) < 3:
                raise ValueError(f"{where} line {line_no}: expected word{delimiter}word"
                                 f"{delimiter}score, got {line!r}")
            try:
                score = float(parts[2])
            except ValueError:
                raise ValueError(f"{where} line {line_no}: score {parts[2]!r} is not a "
                                 f"number") from None
            n += 1
            w1, w2 = parts[0].strip(), parts[1].strip()
            if case_insensitive:
                w1, w2 = w1.upper(), w2.upper()
            i, j = lookup.get(w1), lookup.get(w2)
            if i is None or j is None:
                oov += 1
                if dummy4unknown:
                    model_sims.append(0.0)
                    human_sims.append(score)
                continue
            model_sims.append(float(normed[i] @ normed[j]))
            human_sims.append(score)
        if len(model_sims) < 2:
            raise ValueError(f"fewer than two usable pairs ({n} read, {oov} out of vocabulary)")
        pearson = stats.pearsonr(human_sims, model_sims)
        spearman = stats.spearmanr(human_sims, model_sims)
        return ((float(pearson[0]), float(pearson[1])),
                _SpearmanResult(float(spearman[0]), float(spearman[1])),
                100.0 * oov / n)

    # --- word2vec file format ------------------------------------------------------

    def save_word2vec_format(self, fname, fvocab=None, binary=False, write_header=True):
        """Write the vectors in word2vec's C format (text or binary), atomically,
        compressed if `fname` ends in .gz, .bz2 or .xz; with `fvocab`, also each key's
        count ("key count" lines) to that file, as gensim does."""
        for key in self.index_to_key:
            if not checks.is_word(key):
                raise ValueError(f"key {key!r} cannot be written in word2vec format "
                                 f"(keys must be non-empty str without whitespace)")
        if fvocab is not None and "count" not in self.expandos:
            raise ValueError("fvocab: these vectors carry no counts to write")
        vectors = self.vectors.astype(np.float32, copy=False)
        with persist.atomic_write_compressed(fname) as f:
            if write_header:
                f.write(f"{len(self)} {self.vector_size}\n".encode())
            if binary:
                for key, row in zip(self.index_to_key, vectors):
                    f.write(key.encode("utf-8") + b" " + row.astype("<f4").tobytes() + b"\n")
            else:
                # %.9g: nine significant digits read back to the same float32
                row_format = " ".join(["%.9g"] * self.vector_size)
                text = io.TextIOWrapper(f, encoding="utf-8", newline="\n")
                for key, row in zip(self.index_to_key, vectors.tolist()):
                    text.write(key + " " + row_format % tuple(row) + "\n")
                text.flush()
                text.detach()
        if fvocab is not None:
            with persist.atomic_write_compressed(fvocab) as f:
                f.write("".join(f"{key} {count}\n" for key, count in
                                zip(self.index_to_key, self.expandos["count"].tolist()))
                        .encode("utf-8"))

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                             unicode_errors="strict", limit=None, datatype=np.float32,
                             no_header=False):
        """Read vectors written by word2vec's C tool, gensim or GloVe (no_header=True),
        decompressing .gz, .bz2 and .xz files, as `datatype`. `fvocab` names a file of
        "key count" lines to take the "count" attribute from; without it the counts are
        len(file)..1 in file order, as gensim gives. The arguments are gensim's, in order."""
        fname = os.fspath(fname)
        limit = check_index("limit", limit, low=0, optional=True)
        keys, vectors = cls._read_unique(fname, binary, no_header, limit, encoding,
                                         unicode_errors, np.finfo(datatype).max)
        if fvocab is None:  # the file's order as counts, as gensim does: sorting keeps it
            counts = np.arange(len(keys), 0, -1, dtype=np.int64)
        else:
            counts = _read_counts(fvocab, keys, encoding, unicode_errors)
        return cls.from_arrays(keys, vectors, counts, dtype=datatype)

    @classmethod
    def _read_unique(cls, fname, binary, no_header, limit, encoding, unicode_errors, largest):
        """The keys (list of str) and vectors (n, d) of a word2vec file, each key once."""
        try:
            keys, vectors = cls._read_vectors(fname, binary, no_header, limit, encoding,
                                              unicode_errors, largest)
        except (EOFError, lzma.LZMAError, OSError) as e:
            if isinstance(e, (FileNotFoundError, TruncatedFileError)):
                raise
            raise ValueError(f"{fname!r} cannot be read as a word2vec file: {e}") from None
        if len(set(keys)) != len(keys):  # gensim keeps the first silently
            seen = {}
            for i, k in enumerate(keys):
                if k in seen:
                    raise ValueError(f"{fname!r}: the key {k!r} has a vector twice (vectors "
                                     f"{seen[k] + 1} and {i + 1}); keep one of them")
                seen[k] = i
        return keys, vectors

    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8",
                                  unicode_errors="strict"):
        """Take the vectors of the keys this set shares with the word2vec file `fname`
        (no key is added or removed; the others keep theirs) and give those keys the
        lock factor `lockf` in `vectors_lockf`: 0.0 keeps them as they are through later
        training, 1.0 lets them train freely. Returns the number of keys taken."""
        fname = os.fspath(fname)
        lockf = check_number("lockf", lockf)
        if not (isinstance(self.vectors, np.ndarray) and self.vectors.flags.writeable):
            raise ValueError("intersect_word2vec_format writes into vectors, which are read-only "
                             "(loaded with mmap='r'): load with mmap='c' or None")
        keys, vectors = self._read_unique(fname, binary, False, None, encoding,
                                          unicode_errors, np.finfo(self.vectors.dtype).max)
        if vectors.shape[1] != self.vector_size:
            raise ValueError(f"{fname!r} holds vectors of size {vectors.shape[1]}, these keys "
                             f"have vector_size {self.vector_size}")
        shared = [(i, self.key_to_index[k]) for i, k in enumerate(keys)
                  if k in self.key_to_index]
        src, dst = (np.array(side, dtype=np.int64) for side in zip(*shared)) if shared else \
            (np.zeros(0, np.int64),) * 2
        factors = checks.check_lockf("vectors_lockf", self.vectors_lockf, len(self))
        factors = np.array(np.broadcast_to(factors, (len(self),)), dtype=np.float32)
        self.vectors[dst] = vectors[src]
        self.vectors_changed()
        factors[dst] = lockf
        self.vectors_lockf = factors
        self.add_lifecycle_event("intersect_word2vec_format",
                                 msg=f"merged {len(dst)} vectors into {self.vectors.shape} "
                                     f"matrix from {fname}")
        return len(dst)

    @staticmethod
    def _read_vectors(fname, binary, no_header, limit, encoding, unicode_errors, largest):
        with persist.open_compressed(fname, "rb") as f:
            if binary:
                if no_header:
                    raise ValueError(f"{fname!r}: no_header=True is for GloVe's text files; "
                                     f"binary word2vec files always have a header")
                n, d = _parse_header(f.readline(), fname)
                room = (os.path.getsize(fname) - f.tell() if persist.compression_of(fname) is None
                        else float("inf"))  # a compressed file's size says nothing
                if min(n, limit if limit is not None else n) * (4 * d + 2) > room:
                    raise TruncatedFileError(
                        f"{fname!r}: the header promises {n:,} vectors of {d} floats, more "
                        f"than the file's {room:,} bytes hold (truncated, or not word2vec's "
                        f"binary format?)")
                keys, vectors = _read_binary(f, n if limit is None else min(n, limit), d, fname,
                                             encoding, unicode_errors, largest,
                                             whole=limit is None or limit >= n,
                                             sized=room != float("inf"))
            else:
                keys, vectors = _read_text(f, no_header, limit, fname, encoding, unicode_errors,
                                           largest)
        return keys, vectors

    # --- native format -------------------------------------------------------------

    def save(self, fname, separately=None, sep_limit=10 * 1024 ** 2, ignore=frozenset(),
             pickle_protocol=4):
        """Save to rnnfast's own format (an .npz archive), atomically; see `load`."""
        checks.no_effect_on_save("save", separately, sep_limit, ignore, pickle_protocol)
        arrays = {"vectors": self.vectors, "keys": persist.words_array(self.index_to_key)}
        if "count" in self.expandos:
            arrays["counts"] = self.expandos["count"]
        lockf = checks.check_lockf("vectors_lockf", self.vectors_lockf, len(self))
        if not (lockf == 1).all():
            arrays["vectors_lockf"] = lockf
        persist.save(fname, "rnnfast.KeyedVectors", FORMAT_VERSION,
                     {"vector_size": self.vector_size}, arrays)

    @classmethod
    def _from_gensim(cls, parts, fname):
        """KeyedVectors of the parts gensim_files.read_gensim read from `fname`."""
        try:
            kv = cls.from_arrays(parts["keys"], parts["vectors"], parts["counts"],
                                 dtype=parts["vectors"].dtype)
        except ValueError as e:
            persist.inconsistent(fname, "index_to_key", str(e))
        if parts["lockf"] is not None:
            kv.vectors_lockf = parts["lockf"]
        return kv

    @classmethod
    def load(cls, fname, mmap=None):
        """Load what `save` wrote (or gensim 4's `save`: see load_gensim). mmap="r" maps
        the vectors from the file read-only instead of reading them into memory
        (processes that load the same file share its pages); "c" maps them
        copy-on-write (writable, the file unchanged)."""
        from rnnfast.embeddings import gensim_files

        parts = gensim_files.read_if_gensim(fname, mmap, "KeyedVectors",
                                            "rnnfast.Word2Vec.load(...).wv")
        if parts is not None:
            return cls._from_gensim(parts, fname)
        with persist.load(fname, "rnnfast.KeyedVectors", FORMAT_VERSION, mmap) as (data, meta):
            counts = data["counts"] if "counts" in data.files else None
            lockf = data["vectors_lockf"] if "vectors_lockf" in data.files else None
            vectors, keys = data["vectors"], data["keys"]
        field = functools.partial(persist.check_field, fname)
        field("keys", keys.ndim == 1 and keys.dtype.kind == "U",
              f"is {keys.dtype} {keys.shape}, not a list of keys")
        n, d = len(keys), meta.get("vector_size")
        field("vectors", vectors.dtype in (np.float32, np.float64) and vectors.shape == (n, d),
              f"is {vectors.dtype} {vectors.shape}, not ({n} keys, vector_size {d!r})")
        field("vectors", all_finite(vectors), "holds NaN or infinity")
        field("keys", len(set(keys.tolist())) == n, "holds a key twice")
        field("counts", counts is None or (counts.shape == (n,) and counts.dtype.kind in "iu"
                                           and (counts >= 0).all()),
              "is not one count >= 0 per key")
        kv = cls.from_arrays(keys.tolist(), vectors, counts, dtype=vectors.dtype)
        lockf = checks.checked_lockf(fname, lockf, n)
        if lockf is not None:
            kv.vectors_lockf = lockf
        return kv


class TruncatedFileError(ValueError, EOFError):
    """A word2vec file holding fewer vectors than its header promises (gensim raises
    EOFError)."""


class EmptyKeysError(ValueError, ZeroDivisionError):
    """An empty list of keys where a mean is needed (gensim raises ZeroDivisionError)."""


def _unit(vector):
    """vector / its norm, in its own dtype (zero stays zero; the norm is taken in
    float64, so a float32 vector near float32's limit does not become zero)."""
    norm = np.linalg.norm(vector.astype(np.float64))
    return (vector / norm).astype(vector.dtype) if norm > 0 else vector


# values of the table taken at a time when normalising (a float64 temporary of 2 MB)
_NORM_BLOCK_VALUES = 1 << 18


def _row_blocks(n_rows, width, limit=None):
    """Slices of rows [0, limit) holding about _NORM_BLOCK_VALUES values each."""
    step = max(1, _NORM_BLOCK_VALUES // max(width, 1))
    limit = n_rows if limit is None else limit
    return [slice(i, min(i + step, limit)) for i in range(0, limit, step)]


def _row_norms(vectors):
    """Euclidean norm of each row (n,) float64, computed in float64 block by block."""
    norms = np.empty(len(vectors), np.float64)
    for block in _row_blocks(*vectors.shape):
        norms[block] = np.linalg.norm(vectors[block].astype(np.float64), axis=1)
    return norms


def _stored(values, dtype, check_finite, keys, name):
    """`values` (n, d) as C-contiguous `dtype` (no copy when they already are); with
    `check_finite`, a ValueError naming the first key whose vector holds NaN, infinity
    or a value `dtype` cannot hold (it would have become infinity)."""
    a = np.asarray(values)
    if a.dtype.kind not in "biuf":
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be numbers, got dtype {a.dtype}") from None
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(a, dtype=dtype)
    if check_finite and not all_finite(out):
        i = int(np.flatnonzero(~np.isfinite(out.reshape(len(out), -1)).all(axis=1))[0])
        key = keys[i] if i < len(keys) else i
        raise ValueError(f"{name}: the vector of {key!r} holds NaN, infinity or a value "
                         f"beyond {np.dtype(dtype).name}'s range; pass check_finite=False "
                         f"to keep it anyway")
    return out


def _counts(counts, n):
    """"count" values: (n,) int64 >= 0, else ValueError."""
    a = np.asarray(counts)
    if a.shape != (n,):
        raise ValueError(f"counts must hold one count per key ({n}), got shape {a.shape}")
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and np.all(a == np.round(a))):
        raise ValueError(f"counts must be whole numbers, got dtype {a.dtype}")
    if a.size and a.min() < 0:
        raise ValueError("counts must be >= 0")
    return a.astype(np.int64)


class _SpearmanResult(tuple):
    """(statistic, pvalue) that also answers to .statistic/.correlation/.pvalue, as scipy's does."""

    def __new__(cls, statistic, pvalue):
        return super().__new__(cls, (statistic, pvalue))

    statistic = correlation = property(lambda self: self[0])
    pvalue = property(lambda self: self[1])


def _key_list(keys, name):
    """`keys` as a list; a single str (which would be iterated as characters) is a
    TypeError naming the argument (gensim iterates it silently)."""
    if isinstance(keys, (str, bytes)):
        raise TypeError(f"{name} must be a list of keys, got the single str {keys!r}: "
                        f"write [{keys!r}]")
    try:
        return list(keys)
    except TypeError:
        raise TypeError(f"{name} must be a list of keys, got {type(keys).__name__}") from None


def _as_list(x):
    if x is None:
        return []
    if isinstance(x, (str, int, np.integer)) or (isinstance(x, np.ndarray) and x.ndim == 1):
        return [x]
    return list(x)  # a 2-D array: one query vector per row


def _source_name(source, name):
    """How errors name a file of lines: the argument and its path, if it is one."""
    if isinstance(source, (str, os.PathLike)):
        return f"{name} {os.fspath(source)!r}"
    return name


def _read_lines(source, name):
    """Lines of a file path (or an iterable of lines), as str."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8") as f:
            yield from f
    else:
        try:
            yield from source
        except TypeError:
            raise TypeError(f"{name} must be a path or an iterable of lines") from None


def _parse_header(line, fname):
    if line.startswith(b"PK\x03\x04"):
        raise ValueError(f"{fname!r} is an .npz archive, not a word2vec file: read it with "
                         f"KeyedVectors.load")
    for magic, kind in persist.MAGIC.items():
        if line.startswith(magic):
            raise ValueError(f"{fname!r} is {kind}-compressed but its name does not say so: "
                             f"name it .gz, .bz2 or .xz to have it decompressed")
    parts = line.split()
    try:
        n, d = int(parts[0]), int(parts[1])
        if len(parts) != 2 or n < 0 or d < 1:
            raise ValueError
    except (ValueError, IndexError):
        raise ValueError(f"{fname!r}: the first line should be '<count> <dimension>', "
                         f"got {line[:80]!r}") from None
    return n, d


def _read_text(f, no_header, limit, fname, encoding, unicode_errors, largest):
    """(keys, float64 vectors) of a text file; a value that is not a finite number
    within +-`largest` (the dtype the vectors will have) is an error naming the line."""
    n = d = None
    first = 1
    if not no_header:
        n, d = _parse_header(f.readline(), fname)
        first = 2
    keys, rows = [], []
    for line_no, raw in enumerate(f, first):
        if limit is not None and len(keys) >= limit:
            break
        parts = raw.decode(encoding, errors=unicode_errors).rstrip("\r\n").split(" ")
        parts = [p for p in parts if p != ""] if len(parts) > 1 else parts
        if not parts or parts == [""]:
            continue
        if d is None:
            d = len(parts) - 1
            if d < 1:
                raise ValueError(f"{fname!r} line {line_no}: no vector after {parts[0]!r}")
        if len(parts) != d + 1:
            raise ValueError(f"{fname!r} line {line_no}: {parts[0]!r} has {len(parts) - 1} "
                             f"values, expected {d}")
        try:
            row = np.array(parts[1:], dtype=np.float64)
        except ValueError:
            raise ValueError(f"{fname!r} line {line_no}: vector of {parts[0]!r} holds a "
                             f"non-number") from None
        if not (np.abs(row) <= largest).all():
            raise ValueError(f"{fname!r} line {line_no}: vector of {parts[0]!r} holds NaN, "
                             f"infinity or a value beyond +-{largest:.4g}")
        rows.append(row)
        keys.append(parts[0])
    expected = n if limit is None or n is None else min(n, limit)
    if expected is not None and len(keys) != expected:
        raise TruncatedFileError(f"{fname!r}: the header promises {expected} vectors, the "
                                 f"file holds {len(keys)} (truncated?)")
    if not keys and d is None:
        raise ValueError(f"{fname!r} holds no vectors")
    return keys, np.array(rows).reshape(len(keys), d)


def _read_binary(f, n, d, fname, encoding, unicode_errors, largest, whole, sized):
    """n (key, vector) records "key<space><d little-endian float32>", each perhaps
    after newlines; read in blocks (a compressed stream is slow byte by byte).

    A header whose dimension is not the records' shows as keys with control bytes
    or undecodable bytes (they start inside a vector), or, when the `whole` file is
    read, as data left after the n records: each is an error, as is a vector with
    NaN, infinity or a value beyond +-`largest`. `sized`: n was checked against the
    file's size (a plain file), so its rows are allocated at once."""
    keys = []
    width = 4 * d
    # rows are stored in chunks made as the records arrive, so a header promising
    # more than a (compressed) file holds allocates no more than the file gives
    chunk_rows = max(1, n if sized else min(n, 4096, (64 << 20) // width))
    chunks = []
    buf, pos = bytearray(), 0
    hint = f"(is the header's dimension {d} that of the records?)"
    for i in range(n):
        while True:
            while pos < len(buf) and buf[pos] == 10:  # a newline may end the previous vector
                pos += 1
            space = buf.find(b" ", pos)
            if space >= 0 and len(buf) - space - 1 >= width:
                break
            block = f.read(1 << 20)
            if not block:
                raise ValueError(f"{fname!r}: file ends inside vector {i + 1} of {n:,} (the "
                                 f"header promises more records than the file holds)")
            del buf[:pos]
            buf += block
            pos = 0
        raw = bytes(buf[pos:space])
        if not raw or min(raw) < 32:
            raise ValueError(f"{fname!r}: record {i + 1} has an empty key or one with control "
                             f"bytes {raw[:20]!r} {hint}")
        try:
            keys.append(raw.decode(encoding, errors=unicode_errors))
        except UnicodeDecodeError as e:  # gensim raises this type: keep it, name the place
            raise UnicodeDecodeError(
                e.encoding, e.object, e.start, e.end,
                f"{e.reason}, in the key of record {i + 1} of {fname!r} {hint}; for keys in "
                f"another encoding pass encoding= or unicode_errors='replace'") from None
        if i % chunk_rows == 0:
            chunks.append(np.empty((min(chunk_rows, n - i), d), dtype=np.float32))
        chunks[-1][i % chunk_rows] = np.frombuffer(buf, dtype="<f4", count=d, offset=space + 1)
        pos = space + 1 + width
    vectors = np.concatenate(chunks) if len(chunks) > 1 else \
        chunks[0] if chunks else np.empty((0, d), np.float32)
    if whole:
        rest = bytes(buf[pos:]) + f.read(1 << 16)
        if rest.strip(b"\n\r\t "):
            raise ValueError(f"{fname!r}: data follows the header's {n:,} records of {d} "
                             f"floats {hint}")
    bad = ~(np.abs(vectors) <= largest).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{fname!r}: the vector of {keys[i]!r} (record {i + 1}) holds NaN, "
                         f"infinity or a value beyond +-{largest:.4g}")
    return keys, vectors


def _read_counts(fvocab, keys, encoding, unicode_errors):
    """Counts of `keys` from a file of "key count" lines (keys it lacks count 0)."""
    found = {}
    with persist.open_compressed(fvocab, "rt", encoding=encoding, errors=unicode_errors) as f:
        for line_no, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            try:
                found[parts[0]] = int(parts[1])
            except (IndexError, ValueError):
                raise ValueError(f"fvocab {os.fspath(fvocab)!r} line {line_no}: expected "
                                 f"'key count', got {line.rstrip()!r}") from None
    return np.array([found.get(k, 0) for k in keys], dtype=np.int64)
