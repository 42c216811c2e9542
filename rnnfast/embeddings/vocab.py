"""The vocabulary: words with their corpus counts, sorted by descending count."""

import collections
import os

import numpy as np

from rnnfast._core import pool
from rnnfast._core.checks import check_index
from rnnfast._core.progress import Progress
from rnnfast.embeddings.corpus import check_corpus_file, check_sentence, check_sentences

__all__ = ["Vocabulary", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP"]

# What a trim_rule(word, count, min_count) returns, as in gensim.utils.
RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2


# the most tokens a corpus may hold (its counts' sum and total_words)
MAX_TOTAL_WORDS = 2**62


class EmptyVocabularyError(ValueError, RuntimeError):
    """No word is left to train on: an empty corpus, or min_count (or trim_rule) drops
    every word (gensim raises RuntimeError)."""


class Vocabulary:
    """Words kept by `min_count`, sorted by descending count, ties by the word's UTF-8 bytes.

    Attributes: `words` (list of str), `counts` (int64 array), `key_to_index` (dict),
    `total_words` (raw tokens in the corpus, kept or not), `n_sentences`.
    The order depends on nothing but the corpus, never on hash seeds or threads.
    """

    def __init__(self, words, counts, total_words=None, n_sentences=0):
        self.words = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)
        if len(self.words) != len(self.counts):
            raise ValueError(f"words and counts differ in length: {len(self.words)} vs "
                             f"{len(self.counts)}")
        self.key_to_index = {w: i for i, w in enumerate(self.words)}
        if len(self.key_to_index) != len(self.words):
            raise ValueError("words contains duplicates")
        if len(self.counts) and self.counts.min() < 0:
            raise ValueError("counts must be >= 0")
        # the kernels count words in int64, epochs of them included: bound a corpus at
        # 2^62 tokens (gensim would wrap silently)
        tokens = float(self.counts.sum(dtype=np.float64))
        if tokens >= MAX_TOTAL_WORDS:
            raise ValueError(f"the counts add up to {tokens:.4g} tokens, more than rnnfast "
                             f"counts ({MAX_TOTAL_WORDS:.4g}, 2^62)")
        self.total_words = int(self.counts.sum() if total_words is None else total_words)
        if not 0 <= self.total_words < MAX_TOTAL_WORDS:
            raise ValueError(f"total_words={self.total_words} must be in 0..2^62")
        self.n_sentences = int(n_sentences)

    @classmethod
    def _from_counts(cls, words, counts, min_count, total_words, n_sentences, source, top=None):
        """The words of `counts` kept by min_count, in vocabulary order; `top`: the
        largest count before they were filtered (for the error), if already filtered."""
        counts = np.asarray(counts, dtype=np.int64)
        top = int(counts.max(initial=0)) if top is None else top
        keep = counts >= min_count
        words = [w for w, k in zip(words, keep) if k]
        counts = counts[keep]
        if not words:
            raise _nothing_kept(source, min_count, top, total_words)
        order = _count_then_bytes_order([w.encode("utf-8") for w in words], counts)
        return cls([words[i] for i in order], counts[order], total_words, n_sentences)

    @classmethod
    def from_sentences(cls, sentences, min_count=5, max_vocab_size=None, progress=None):
        """Count an iterable of token lists (read once); `progress` as for Progress."""
        min_count, max_vocab_size = _check_limits(min_count, max_vocab_size)
        check_sentences(sentences)
        counts = collections.Counter()
        total = n_sentences = 0
        min_reduce = 1
        report = Progress("vocabulary", None, "tokens", progress)
        for sentence in sentences:
            check_sentence(sentence, n_sentences)
            counts.update(sentence)
            total += len(sentence)
            n_sentences += 1
            if not n_sentences % 1024:
                report.update(total, sentences=n_sentences, distinct=len(counts))
            if max_vocab_size is not None and len(counts) > max_vocab_size:
                # like the C tool: forget rare words while counting, raising the bar each time
                counts = collections.Counter({w: c for w, c in counts.items() if c >= min_reduce})
                min_reduce += 1
        report.update(total, force=True, sentences=n_sentences, distinct=len(counts))
        for w in counts:
            if not isinstance(w, str):
                raise TypeError(f"tokens must be str, got {type(w).__name__} ({w!r})")
        return cls._from_counts(list(counts), list(counts.values()), min_count, total,
                                n_sentences, "the corpus")

    @classmethod
    def from_corpus_file(cls, path, min_count=5, max_vocab_size=None, progress=None):
        """Count a text file in C (one sentence per line, whitespace-separated tokens)."""
        from rnnfast.embeddings._vocab import TokenTable

        min_count, max_vocab_size = _check_limits(min_count, max_vocab_size)
        path, size = check_corpus_file(path)
        table = TokenTable(1 << 16)
        totals = np.zeros(3, np.int64)  # tokens, sentences, bytes: written as C reads
        stop = pool.StopFlag()
        report = Progress("vocabulary", size, "bytes", progress)

        def count():
            table.count_file(os.fsencode(path), 0, size, max_vocab_size or 0, totals,
                             stop.array)

        pool.run([count], stop, lambda: report.update(int(totals[2]), tokens=int(totals[0])))
        n_tokens, n_sentences = int(totals[0]), int(totals[1])
        report.update(size, force=True, tokens=n_tokens, distinct=len(table))
        # Tens of millions of distinct words take seconds to check, pick and sort: done
        # in a thread, step by step, while this one keeps reporting and hears Ctrl-C.
        found = {}
        steps = [("checking UTF-8", lambda: found.update(bad=table.first_invalid_utf8())),
                 ("taking the kept words", lambda: found.update(
                     zip(("raw", "counts"), table.items(min_count)), top=table.max_count())),
                 ("sorting", lambda: found.update(order=_count_then_bytes_order(
                     found["raw"], found["counts"]))),
                 ("decoding", lambda: found.update(words=_decoded(found, path))),
                 ("indexing", lambda: found.update(vocab=cls(
                     found["words"], found["counts"][found["order"]], n_tokens,
                     n_sentences) if found["words"] else None))]
        stage = [steps[0][0]]

        def finish():
            for name, step in steps:
                if stop.is_set():
                    return
                stage[0] = name
                step()

        pool.run([finish], stop, lambda: report.update(size, tokens=n_tokens, stage=stage[0]))
        if found["vocab"] is None:
            raise _nothing_kept(f"corpus_file {path!r}", min_count, found["top"], n_tokens)
        return found["vocab"]

    def effective_min_count(self, min_count, max_final_vocab=None):
        """min_count, raised until at most max_final_vocab words reach it (gensim's rule)."""
        if max_final_vocab is not None and max_final_vocab < len(self):
            # counts are sorted: the count just past the limit is one too few
            min_count = max(min_count, int(self.counts[max_final_vocab]) + 1)
        return min_count

    def pruned(self, min_count, trim_rule=None, max_final_vocab=None, allow_empty=False):
        """The words kept by min_count (raised, as gensim does, until at most
        max_final_vocab words are left) or by trim_rule(word, count, min_count), which
        returns RULE_KEEP, RULE_DISCARD or RULE_DEFAULT (the min_count test); same
        order, same corpus totals."""
        min_count = self.effective_min_count(min_count, max_final_vocab)
        keep = self.counts >= min_count
        if trim_rule is not None:
            for i, (word, count) in enumerate(zip(self.words, self.counts.tolist())):
                rule = trim_rule(word, count, min_count)
                if rule == RULE_KEEP:
                    keep[i] = True
                elif rule == RULE_DISCARD:
                    keep[i] = False
                elif rule != RULE_DEFAULT:
                    raise ValueError(f"trim_rule returned {rule!r} for {word!r}; it must "
                                     f"return RULE_DEFAULT, RULE_DISCARD or RULE_KEEP")
        if not keep.any() and not allow_empty:
            top = int(self.counts.max(initial=0))
            raise EmptyVocabularyError(
                f"no word of the corpus is kept with min_count={min_count}"
                f"{' and the trim_rule' if trim_rule is not None else ''} (the most frequent "
                f"occurs {top} times in {self.total_words} tokens); lower min_count")
        return Vocabulary([w for w, k in zip(self.words, keep) if k], self.counts[keep],
                          self.total_words, self.n_sentences)

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.key_to_index

    def __repr__(self):
        return f"Vocabulary({len(self)} words, {self.total_words} tokens)"

    def keep_probabilities(self, sample):
        """Probability of keeping each word under word2vec's frequent-word subsampling.

        A word making up a fraction f of the kept tokens survives with probability
        (sqrt(f / sample) + 1) * sample / f, capped at 1; sample = 0 keeps everything.
        """
        if sample == 0:
            return np.ones(len(self))
        threshold = sample * float(self.counts.sum())
        c = self.counts.astype(np.float64)
        return np.minimum(1.0, (np.sqrt(c / threshold) + 1) * threshold / c)

    def huffman_paths(self):
        """The Huffman tree over the counts, as hierarchical softmax walks it.

        Returns (nodes, codes, ends): word i's path from the root is
        nodes[ends[i-1]:ends[i]] (int32 inner nodes in 0..V-2, the root V-2) and
        codes[...] (uint8: the branch, 0 or 1, taken at each). Frequent words get
        short paths. A tie between a word and an inner node picks the word (or the
        node, after `use_huffman_ties("node")`), so the tree depends on the counts
        and their order alone. Computed once per vocabulary.
        """
        if getattr(self, "_huffman", None) is None:
            self._huffman = _huffman_paths(self.counts,
                                           getattr(self, "_huffman_ties", "word") == "word")
        return self._huffman

    def use_huffman_ties(self, pick):
        """How huffman_paths breaks a tie between a word and an inner node: "word"
        (word2vec.c's rule, the default) or "node" (fastText's, for its models' trees)."""
        if pick not in ("word", "node"):
            raise ValueError(f"pick must be 'word' or 'node', got {pick!r}")
        self._huffman_ties, self._huffman = pick, None

    def noise_weights(self, exponent):
        """Unnormalised noise distribution counts ** exponent (float64); ValueError when
        the exponent makes them overflow or all vanish."""
        with np.errstate(over="ignore", under="ignore"):
            weights = self.counts.astype(np.float64) ** exponent
            total = weights.sum()
        if not (np.isfinite(total) and total > 0):
            raise ValueError(f"ns_exponent={exponent} makes the noise weights counts ** "
                             f"ns_exponent {'overflow' if total > 0 else 'all underflow to 0'}; "
                             f"gensim's range is about -1..1 (0.75 is word2vec's)")
        return weights


def _nothing_kept(source, min_count, top, total_words):
    """The error for a corpus none of whose words min_count keeps."""
    if total_words == 0:
        return EmptyVocabularyError(f"{source} is empty: it holds no tokens")
    return EmptyVocabularyError(f"no word of {source} occurs min_count={min_count} times "
                                f"(the most frequent occurs {top} times in {total_words} "
                                f"tokens); lower min_count")


def _decoded(found, path):
    """The kept words of a counted file as str, in vocabulary order; ValueError naming
    the file if any word it holds (kept or not) is not UTF-8."""
    if found["bad"] is not None:
        try:
            found["bad"].decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"corpus_file {path!r} is not UTF-8 text: {e}") from None
    # gathered by numpy first: the bytes objects are then read in about memory order
    in_order = np.array(found["raw"], dtype=object)[found["order"]]
    found["raw"] = None
    return [w.decode("utf-8") for w in in_order.tolist()]


def _count_then_bytes_order(encoded, counts):
    """The order of words (their UTF-8 bytes) by falling count, ties by the bytes: int64 (n,).

    One numpy sort on (count, the first 8 bytes as a big-endian number, zero-padded),
    then a sort by whole bytes only inside runs those two leave tied. A zero-padded
    prefix never orders two words against their bytes, at worst it ties them. (A Python
    sort on the bytes of the 4M words of a 2B-token corpus took 6 s; this takes 1.)"""
    prefix = np.frombuffer(b"".join([e[:8].ljust(8, b"\0") for e in encoded]), ">u8")
    order = np.lexsort((prefix, -counts))
    if len(order) < 2:
        return order
    c, p = counts[order], prefix[order]
    tied = (c[1:] == c[:-1]) & (p[1:] == p[:-1])
    if tied.any():
        # runs of tied neighbours: from a start (tied to the next, not to the one
        # before) to the end of its run
        edge = np.flatnonzero(np.diff(np.concatenate(([0], tied.view(np.int8), [0]))))
        for start, stop in zip(edge[::2], edge[1::2] + 1):
            run = order[start:stop]
            order[start:stop] = sorted(run.tolist(), key=encoded.__getitem__)
    return order


def _check_limits(min_count, max_vocab_size):
    return (check_index("min_count", min_count, low=1),
            check_index("max_vocab_size", max_vocab_size, low=1, optional=True))


def _huffman_paths(counts, word_on_tie=True):
    """See Vocabulary.huffman_paths. Nodes 0..V-1 are the words, V..2V-2 the inner
    nodes in the order they are made; merging the two lightest of the words (taken
    in ascending count) and of the inner nodes made so far (which come out in
    ascending weight by construction) builds the tree in one pass. The words need
    not be sorted (a vocabulary grown by build_vocab(update=True) is not): they are
    taken in the order of a stable sort by descending count, which is their own
    order when they are sorted."""
    V = len(counts)
    if V < 2:
        return np.zeros(0, np.int32), np.zeros(0, np.uint8), np.zeros(V, np.int64)
    by_count = np.argsort(-np.asarray(counts, dtype=np.int64), kind="stable").tolist()
    weight = [int(c) for c in counts] + [0] * (V - 1)
    parent = np.zeros(2 * V - 1, np.int64)
    branch = np.zeros(2 * V - 1, np.uint8)
    leaf, inner = V - 1, V  # the lightest word not yet merged; the lightest inner node
    for made in range(V, 2 * V - 1):
        pair = []
        for _ in range(2):
            if leaf >= 0 and (inner >= made or weight[by_count[leaf]] < weight[inner] or
                              (word_on_tie and weight[by_count[leaf]] == weight[inner])):
                pair.append(by_count[leaf])
                leaf -= 1
            else:
                pair.append(inner)
                inner += 1
        weight[made] = weight[pair[0]] + weight[pair[1]]
        parent[pair] = made
        branch[pair[1]] = 1
    root = 2 * V - 2
    # walk up from every word at once: first the depths, then the paths, filled
    # from their ends since the walk meets the nodes leaf first
    depth = np.zeros(V, np.int64)
    node = np.arange(V)
    while True:
        moving = node != root
        if not moving.any():
            break
        depth[moving] += 1
        node[moving] = parent[node[moving]]
    ends = np.cumsum(depth)
    nodes = np.zeros(int(ends[-1]), np.int32)
    codes = np.zeros(int(ends[-1]), np.uint8)
    slot, node = ends - 1, np.arange(V)
    for step in range(int(depth.max())):
        moving = depth > step
        here = node[moving]
        nodes[slot[moving]] = parent[here] - V
        codes[slot[moving]] = branch[here]
        slot[moving] -= 1
        node[moving] = parent[here]
    return nodes, codes, ends
