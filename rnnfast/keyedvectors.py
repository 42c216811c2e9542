"""KeyedVectors: words and their vectors, with similarity queries, evaluation and file formats.

The API follows gensim's `KeyedVectors`, so switching is a change of import.
"""

import io
import os

import numpy as np

from rnnfast import _checks, persist
from rnnfast.persist import atomic_write

__all__ = ["KeyedVectors"]

# The layout of a saved KeyedVectors (persist checks it on load).
FORMAT_VERSION = 1


class KeyedVectors:
    """`vectors` (n, d) float32, row i belonging to `index_to_key[i]`.

    Unit norms are cached for the similarity queries: assigning `vectors` drops the
    cache, and whoever changes the array in place calls `vectors_changed()` (the
    trainers do, after every epoch)."""

    def __init__(self, vector_size, count=0, dtype=np.float32):
        if vector_size < 1:
            raise ValueError(f"vector_size must be >= 1, got {vector_size}")
        self.vector_size = int(vector_size)
        self.vectors = np.zeros((count, vector_size), dtype=dtype)
        self.index_to_key = []
        self.key_to_index = {}
        self.expandos = {}  # per-key extra attributes, such as "count"
        self._norms = None

    @property
    def vectors(self):
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        self._vectors = value
        self._norms = None

    def vectors_changed(self):
        """Forget the cached norms; call after changing `vectors` in place."""
        self._norms = None

    @classmethod
    def from_arrays(cls, keys, vectors, counts=None, dtype=np.float32):
        """KeyedVectors over `keys` (sequence of str) and `vectors` (n, d), stored as `dtype`."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D (n, d), got shape {vectors.shape}")
        keys = list(keys)
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys for {len(vectors)} vectors")
        kv = cls(vectors.shape[1], 0)
        kv.vectors = np.ascontiguousarray(vectors, dtype=dtype)
        kv.index_to_key = keys
        kv.key_to_index = {k: i for i, k in enumerate(keys)}
        if len(kv.key_to_index) != len(keys):
            raise ValueError("keys contains duplicates")
        if counts is not None:
            kv.expandos["count"] = np.asarray(counts, dtype=np.int64)
        return kv

    # --- lookups -------------------------------------------------------------------

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        return key in self.key_to_index

    def __repr__(self):
        return f"KeyedVectors({len(self)} keys, vector_size={self.vector_size})"

    def get_index(self, key, default=None):
        """Row of `key`; KeyError (or `default`) if absent."""
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self):
            return int(key)
        index = self.key_to_index.get(key)
        if index is not None:
            return index
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    def get_vector(self, key, norm=False):
        """The vector (d,) of `key`, unit length if `norm`."""
        index = self.get_index(key)
        if norm:
            return self.vectors[index] / self.norms[index]
        return self.vectors[index]

    def __getitem__(self, keys):
        if isinstance(keys, (str, int, np.integer)):
            return self.get_vector(keys)
        return np.vstack([self.get_vector(k) for k in keys]) if len(keys) else \
            np.zeros((0, self.vector_size), np.float32)

    @property
    def norms(self):
        if self._norms is None:
            self._norms = np.linalg.norm(self.vectors, axis=1)
        return self._norms

    def fill_norms(self, force=False):
        if force:
            self._norms = None
        return self.norms

    def get_normed_vectors(self):
        """All vectors scaled to unit length (zero vectors stay zero), (n, d) float32."""
        norms = self.norms
        return self.vectors / np.where(norms > 0, norms, 1)[:, None]

    # --- similarity ----------------------------------------------------------------

    def similarity(self, w1, w2):
        """Cosine similarity of two keys."""
        return float(np.dot(self.get_vector(w1, norm=True), self.get_vector(w2, norm=True)))

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
                    parts.append(sign_w * item)
                else:
                    index = self.get_index(item)
                    used.add(index)
                    parts.append(sign_w * self.get_vector(index, norm=True))
        mean = np.mean(np.asarray(parts, dtype=np.float64), axis=0)
        norm = np.linalg.norm(mean)
        return (mean / norm if norm > 0 else mean), used

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Keys closest by cosine to the mean of the unit `positive` minus `negative` vectors.

        Returns [(key, similarity), ...] best first, the query keys left out; with
        topn=None, the similarity array over the (restricted) vocabulary instead.
        """
        query, used = self._weighted_query(positive, negative)
        limit = self._limit(restrict_vocab)
        sims = self.get_normed_vectors()[:limit] @ query.astype(np.float32)
        return self._top(sims, used, topn)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """3CosMul (Levy and Goldberg, 2014): product of positive similarities over negative ones.

        Similarities are mapped to [0, 1] by (1 + cos) / 2 first.
        """
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive and not negative:
            raise ValueError("give at least one key in positive or negative")
        limit = self._limit(restrict_vocab)
        normed = self.get_normed_vectors()[:limit]
        used = set()

        def sims(items):
            out = []
            for item in items:
                if isinstance(item, np.ndarray):
                    v = item / (np.linalg.norm(item) or 1)
                else:
                    used.add(self.get_index(item))
                    v = self.get_vector(item, norm=True)
                out.append((1 + normed @ v.astype(np.float32)) / 2)
            return out

        pos, neg = sims(positive), sims(negative)
        scores = np.prod(pos, axis=0) / (np.prod(neg, axis=0) + 1e-6) if neg else np.prod(pos, axis=0)
        return self._top(scores, used, topn)

    def _limit(self, restrict_vocab):
        """How many of the first keys a query may answer with."""
        restrict_vocab = _checks.check_index("restrict_vocab", restrict_vocab, low=1,
                                             optional=True)
        return len(self) if restrict_vocab is None else min(restrict_vocab, len(self))

    def _top(self, scores, exclude, topn):
        topn = _checks.check_index("topn", topn, low=0, optional=True)
        if topn is None:
            return scores
        order = np.argsort(-scores, kind="stable")[: topn + len(exclude)]
        return [(self.index_to_key[i], float(scores[i])) for i in order if i not in exclude][:topn]

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
                                dummy4unknown=False):
        """Accuracy on analogy questions `a b c d` (a : b :: c : d) in sections `: name`.

        Each question is answered by the nearest key to b - a + c among the first
        `restrict_vocab` keys, the three question words excluded. Questions with a
        word outside those keys are skipped (or counted wrong with dummy4unknown).
        Returns (accuracy, sections): sections is a list of dicts with "section",
        "correct" and "incorrect" (lists of 4-tuples), the last one "Total accuracy".
        """
        restrict_vocab = self._limit(restrict_vocab)
        lookup = self._restricted_lookup(restrict_vocab, case_insensitive)
        normed = self.get_normed_vectors()[:restrict_vocab]
        sections, section, oov, n_questions = [], None, 0, 0
        for line_no, line in enumerate(_read_lines(analogies, "analogies"), 1):
            if line.startswith(":"):
                section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
                sections.append(section)
                continue
            if not line.strip():
                continue
            if section is None:
                raise ValueError(f"analogies line {line_no}: a question before the first "
                                 f"': section' header")
            words = line.split()
            if len(words) != 4:
                raise ValueError(f"analogies line {line_no}: expected 4 words, got {line!r}")
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
            query = normed[b] - normed[a] + normed[c]
            scores = normed @ (query / (np.linalg.norm(query) or 1))
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
        for line_no, line in enumerate(_read_lines(pairs, "pairs"), 1):
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split(delimiter)
            if len(parts) < 3:
                raise ValueError(f"pairs line {line_no}: expected word{delimiter}word"
                                 f"{delimiter}score, got {line!r}")
            try:
                score = float(parts[2])
            except ValueError:
                raise ValueError(f"pairs line {line_no}: score {parts[2]!r} is not a number") from None
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
        """Write the vectors in word2vec's C format (text or binary), atomically; with
        `fvocab`, also each key's count ("key count" lines) to that file, as gensim does."""
        for key in self.index_to_key:
            if not isinstance(key, str) or not key or any(ch.isspace() for ch in key):
                raise ValueError(f"key {key!r} cannot be written in word2vec format "
                                 f"(keys must be non-empty str without whitespace)")
        if fvocab is not None and "count" not in self.expandos:
            raise ValueError("fvocab: these vectors carry no counts to write")
        vectors = self.vectors.astype(np.float32, copy=False)
        with atomic_write(fname, "wb") as f:
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
            with atomic_write(fvocab, "w", encoding="utf-8", newline="\n") as f:
                for key, count in zip(self.index_to_key, self.expandos["count"].tolist()):
                    f.write(f"{key} {count}\n")

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                             unicode_errors="strict", limit=None, datatype=np.float32,
                             no_header=False):
        """Read vectors written by word2vec's C tool, gensim or GloVe (no_header=True),
        as `datatype`; `fvocab` names a file of "key count" lines to take counts from.
        The arguments are gensim's, in gensim's order."""
        fname = os.fspath(fname)
        limit = _checks.check_index("limit", limit, low=0, optional=True)
        with open(fname, "rb") as f:
            if binary:
                if no_header:
                    raise ValueError("binary word2vec files always have a header")
                n, d = _parse_header(f.readline(), fname)
                room = os.fstat(f.fileno()).st_size - f.tell()
                if min(n, limit if limit is not None else n) * (4 * d + 2) > room:
                    raise ValueError(f"{fname!r}: the header promises {n:,} vectors of "
                                     f"{d} floats, more than the file's {room:,} bytes hold "
                                     f"(truncated, or not word2vec's binary format?)")
                keys, vectors = _read_binary(f, n if limit is None else min(n, limit), d, fname,
                                             encoding, unicode_errors)
            else:
                keys, vectors = _read_text(f, no_header, limit, fname, encoding, unicode_errors)
        counts = None if fvocab is None else _read_counts(fvocab, keys)
        return cls.from_arrays(keys, vectors, counts, dtype=datatype)

    # --- native format -------------------------------------------------------------

    def save(self, fname):
        """Save to rnnfast's own format (an .npz archive), atomically; see `load`."""
        arrays = {"vectors": self.vectors, "keys": persist.words_array(self.index_to_key)}
        if "count" in self.expandos:
            arrays["counts"] = self.expandos["count"]
        persist.save(fname, "rnnfast.KeyedVectors", FORMAT_VERSION,
                     {"vector_size": self.vector_size}, arrays)

    @classmethod
    def load(cls, fname):
        """Load what `save` wrote."""
        with persist.load(fname, "rnnfast.KeyedVectors", FORMAT_VERSION) as (data, meta):
            counts = data["counts"] if "counts" in data.files else None
            vectors = data["vectors"]
            return cls.from_arrays(data["keys"].tolist(), vectors, counts, dtype=vectors.dtype)


class _SpearmanResult(tuple):
    """(statistic, pvalue) that also answers to .statistic/.correlation/.pvalue, as scipy's does."""

    def __new__(cls, statistic, pvalue):
        return super().__new__(cls, (statistic, pvalue))

    statistic = correlation = property(lambda self: self[0])
    pvalue = property(lambda self: self[1])


def _as_list(x):
    if x is None:
        return []
    if isinstance(x, (str, np.ndarray)):
        return [x]
    return list(x)


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
    parts = line.split()
    try:
        n, d = int(parts[0]), int(parts[1])
        if len(parts) != 2 or n < 0 or d < 1:
            raise ValueError
    except (ValueError, IndexError):
        raise ValueError(f"{fname!r}: the first line should be '<count> <dimension>', "
                         f"got {line[:80]!r}") from None
    return n, d


def _read_text(f, no_header, limit, fname, encoding, unicode_errors):
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
            rows.append(np.array(parts[1:], dtype=np.float64))
        except ValueError:
            raise ValueError(f"{fname!r} line {line_no}: vector of {parts[0]!r} holds a "
                             f"non-number") from None
        keys.append(parts[0])
    expected = n if limit is None or n is None else min(n, limit)
    if expected is not None and len(keys) != expected:
        raise ValueError(f"{fname!r}: the header promises {expected} vectors, the file holds "
                         f"{len(keys)} (truncated?)")
    if not keys and d is None:
        raise ValueError(f"{fname!r} holds no vectors")
    return keys, np.array(rows).reshape(len(keys), d)


def _read_binary(f, n, d, fname, encoding, unicode_errors):
    keys = []
    vectors = np.empty((n, d), dtype=np.float32)
    width = 4 * d
    for i in range(n):
        word = bytearray()
        while True:
            ch = f.read(1)
            if not ch:
                raise ValueError(f"{fname!r}: file ends inside vector {i} of {n} (truncated?)")
            if ch == b" ":
                break
            if ch != b"\n" or word:  # a newline may end the previous vector
                word += ch
        data = f.read(width)
        if len(data) != width:
            raise ValueError(f"{fname!r}: file ends inside vector {i} of {n} (truncated?)")
        keys.append(word.decode(encoding, errors=unicode_errors))
        vectors[i] = np.frombuffer(data, dtype="<f4")
    return keys, vectors


def _read_counts(fvocab, keys):
    """Counts of `keys` from a file of "key count" lines (keys it lacks count 0)."""
    found = {}
    with open(fvocab, encoding="utf-8") as f:
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
