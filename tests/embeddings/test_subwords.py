"""FastText's pieces: the character n-grams and their hash against fastText's rule, and
the subword window update (skip-gram and CBOW, negative sampling and hierarchical
softmax) against its NumPy twin."""

import numpy as np
import pytest
from conftest import assert_close
from hypothesis import given, settings, strategies as st

from rnnfast import functional, reference
from rnnfast.embeddings import _vocab

RTOL = 1e-5


# --- n-grams and their hash ------------------------------------------------------------

def fnv_signed(data):
    """fastText's hash written out: FNV-1a over the bytes read as signed chars."""
    h = 2166136261
    for b in data:
        h ^= (b - 256 if b > 127 else b) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def ngrams_by_rule(word, minn, maxn):
    """The character n-grams of "<word>" as fastText lists them: by start, then length,
    minn..maxn characters, "<" and ">" alone left out."""
    chars = "<" + word + ">"
    out = []
    for i in range(len(chars)):
        for n in range(1, maxn + 1):
            if i + n > len(chars):
                break
            if n >= minn and not (n == 1 and (i == 0 or i + n == len(chars))):
                out.append(chars[i:i + n])
    return out


def test_hash_is_fasttexts_on_known_values():
    # FNV-1a's published values for ASCII; bytes >= 0x80 sign-extended as fastText does
    assert _vocab.fasttext_hash(b"") == 2166136261
    assert _vocab.fasttext_hash(b"a") == 0xE40C292C
    assert _vocab.fasttext_hash(b"foobar") == 0xBF9CF968
    assert _vocab.fasttext_hash("é".encode()) == fnv_signed("é".encode())
    assert _vocab.fasttext_hash("é".encode()) != 0x8F0F0B66  # plain FNV-1a would give this


@settings(max_examples=200, deadline=None)
@given(word=st.text(min_size=1, max_size=12), minn=st.integers(1, 4), extra=st.integers(0, 4),
       bucket=st.sampled_from([1, 7, 1000, 2000000, 2**31 - 1]))
def test_char_ngrams_follow_fasttexts_rule(word, minn, extra, bucket):
    maxn = minn + extra
    data = word.encode("utf-8", "surrogatepass")
    want = [fnv_signed(g.encode("utf-8", "surrogatepass")) % bucket
            for g in ngrams_by_rule(word, minn, maxn)]
    assert _vocab.char_ngram_buckets(data, minn, maxn, bucket).tolist() == want


def test_char_ngrams_off():
    assert len(_vocab.char_ngram_buckets(b"word", 3, 0, 100)) == 0
    assert len(_vocab.char_ngram_buckets(b"word", 4, 3, 100)) == 0
    assert len(_vocab.char_ngram_buckets(b"word", 3, 6, 0)) == 0
    assert len(_vocab.char_ngram_buckets(b"a", 4, 6, 100)) == 0   # "<a>" is 3 characters


def test_subword_table_lists_each_words_row_then_its_ngrams():
    words = ["a", "the", "naïve"]
    ids, ends = _vocab.subword_table([w.encode() for w in words], 3, 5, 50)
    begin = 0
    for i, w in enumerate(words):
        rows = ids[begin:ends[i]]
        assert rows[0] == i
        assert rows[1:].tolist() == [3 + b for b in
                                     _vocab.char_ngram_buckets(w.encode(), 3, 5, 50)]
        begin = ends[i]


# --- the window update -----------------------------------------------------------------

def random_model(rng, V, buckets, d, max_subwords):
    """Tables, and per word its own row then up to max_subwords - 1 bucket rows (repeats
    allowed, as hashing gives them)."""
    W_in = (rng.standard_normal((V + buckets, d)) * 0.5).astype(np.float32)
    syn1neg = (rng.standard_normal((V, d)) * 0.5).astype(np.float32)
    syn1 = (rng.standard_normal((V, d)) * 0.5).astype(np.float32)
    counts = rng.integers(1, max_subwords + 1, V) if buckets else np.ones(V, int)
    parts = [np.r_[i, V + rng.integers(0, max(buckets, 1), c - 1)] for i, c in enumerate(counts)]
    return W_in, syn1neg, syn1, np.concatenate(parts), np.cumsum(counts)


def random_paths(rng, V, max_len):
    """Per word a path of distinct inner nodes with 0/1 codes."""
    lengths = rng.integers(0, min(max_len, V) + 1, V)
    nodes = np.concatenate([rng.permutation(V)[:n] for n in lengths] + [np.zeros(0, int)])
    return nodes, rng.integers(0, 2, len(nodes)), np.cumsum(lengths)


@settings(max_examples=150, deadline=None)
@given(V=st.integers(1, 10), buckets=st.integers(0, 8), d=st.integers(1, 37),
       n_windows=st.integers(0, 12), max_ctx=st.integers(0, 8), K=st.integers(1, 5),
       max_subwords=st.integers(1, 6), max_len=st.integers(0, 8),
       parts=st.sampled_from(["hs", "ns", "both"]), seed=st.integers(0, 2**32 - 1))
def test_skipgram_windows_kernel_matches_reference(V, buckets, d, n_windows, max_ctx, K,
                                                   max_subwords, max_len, parts, seed):
    rng = np.random.default_rng(seed)
    n_windows = min(n_windows, 4 * V)  # one row moved very often drifts in another order
    W_in, syn1neg, syn1, subwords, ends = random_model(rng, V, buckets, d, max_subwords)
    sizes = rng.integers(0, max_ctx + 1, n_windows)
    contexts = rng.integers(0, V, int(sizes.sum()))
    centers = rng.integers(0, V, n_windows)
    ns, hs = parts != "hs", parts != "ns"
    negatives = rng.integers(0, V, (n_windows, K)) if ns else None
    paths = random_paths(rng, V, max_len) if hs else (None, None, None)
    results = []
    for impl in (functional, reference):
        tabs = (W_in.copy(), syn1neg.copy() if ns else None, syn1.copy() if hs else None)
        loss = impl.fasttext_train_windows(*tabs, subwords, ends, centers, contexts,
                                           np.cumsum(sizes), negatives, *paths, 0.05)
        results.append((loss, tabs))
    assert_same_update(results, W_in, ns and sizes.sum())


def assert_same_update(results, W_in, moved):
    (loss_fast, fast), (loss_slow, slow) = results
    assert loss_fast == pytest.approx(loss_slow, rel=RTOL, abs=1e-12)
    for f, s in zip(fast, slow):
        if f is not None:
            assert_close(f, s, np.float32)
    if moved:
        assert not np.array_equal(fast[0], W_in)  # the update did something


@settings(max_examples=150, deadline=None)
@given(V=st.integers(1, 10), buckets=st.integers(0, 8), d=st.integers(1, 37),
       n=st.integers(0, 14), window=st.integers(1, 4), K=st.integers(1, 5),
       max_subwords=st.integers(1, 6), max_len=st.integers(0, 8),
       parts=st.sampled_from(["hs", "ns", "both"]), mean=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_cbow_sentence_kernel_matches_reference(V, buckets, d, n, window, K, max_subwords,
                                                max_len, parts, mean, seed):
    rng = np.random.default_rng(seed)
    n = min(n, 4 * V)
    W_in, syn1neg, syn1, subwords, ends = random_model(rng, V, buckets, d, max_subwords)
    ids = rng.integers(0, V, n)
    reaches = rng.integers(1, window + 1, n)
    ns, hs = parts != "hs", parts != "ns"
    negatives = rng.integers(0, V, (n, K)) if ns else None
    paths = random_paths(rng, V, max_len) if hs else (None, None, None)
    results = []
    for impl in (functional, reference):
        tabs = (W_in.copy(), syn1neg.copy() if ns else None, syn1.copy() if hs else None)
        loss = impl.fasttext_cbow_sentence(*tabs, subwords, ends, ids, reaches, negatives,
                                           *paths, 0.05, window, cbow_mean=mean)
        results.append((loss, tabs))
    assert_same_update(results, W_in, ns and n > 1)


def test_cbow_bags_move_late():
    # a word's rows move once, after the last window that can reach it: with window 1 and
    # a 3-word sentence, window 0 and window 1 both score from the first values
    rng = np.random.default_rng(5)
    V, d = 4, 6
    W_in, syn1neg, _, subwords, ends = random_model(rng, V, 3, d, 3)
    ids, reaches, negatives = [0, 1, 2], [1, 1, 1], [[3], [3], [3]]
    a, b = W_in.copy(), syn1neg.copy()
    functional.fasttext_cbow_sentence(a, b, None, subwords, ends, ids, reaches, negatives,
                                      None, None, None, 0.1, 1)
    rows = [subwords[(ends[w - 1] if w else 0):ends[w]] for w in range(V)]
    S = [W_in[r].sum(axis=0) for r in rows]
    # window 0: position 1 predicts word 0 from its bag alone; window 2 the same for word 2
    h0 = S[1] / len(rows[1])
    s0 = 1 / (1 + np.exp(-(syn1neg[[0, 3]] @ h0)))
    np.testing.assert_allclose(b[0], syn1neg[0] + 0.1 * (1 - s0[0]) * h0, rtol=1e-5)
    # window 1 scores word 1 from positions 0 and 2's first values: the mean of their rows
    h1 = (S[0] + S[2]) / (len(rows[0]) + len(rows[2]))
    s1 = 1 / (1 + np.exp(-(syn1neg[1] @ h1)))
    np.testing.assert_allclose(b[1], syn1neg[1] + 0.1 * (1 - s1) * h1, rtol=1e-5)


def test_skipgram_window_steps_by_the_gradient_of_its_loss():
    # one window, distinct rows: h is the mean of the center's rows; the loss of each
    # (center, context) pair is -log s(h.u_c) - sum over its noise words of
    # log s(-h.u_n) (here the pairs' draws, given together); every output row moves by -alpha
    # times its gradient, every subword row by -alpha times h's whole gradient
    # (fastText's rule)
    rng = np.random.default_rng(3)
    V, d = 8, 5
    W_in, syn1neg, _, _, _ = random_model(rng, V, 4, d, 1)
    W_in, syn1neg = W_in.astype(np.float64), syn1neg.astype(np.float64)
    rows, ctx, neg = [2, 9, 11], [4, 5], [6, 7, 1]
    h = W_in[rows].mean(axis=0)
    s_ctx, s_neg = 1 / (1 + np.exp(-(syn1neg[ctx] @ h))), 1 / (1 + np.exp(-(syn1neg[neg] @ h)))
    loss = -np.log(s_ctx).sum() - np.log(1 - s_neg).sum()
    g_ctx, g_neg = 0.1 * (1 - s_ctx), 0.1 * (0 - s_neg)
    grad_h = g_ctx @ syn1neg[ctx] + g_neg @ syn1neg[neg]
    a, b = W_in.astype(np.float32), syn1neg.astype(np.float32)
    subwords, ends = np.r_[0, 1, rows, 3, 4, 5, 6, 7], np.r_[1, 2, 5, 6, 7, 8, 9, 10]
    got = functional.fasttext_train_windows(a, b, None, subwords, ends, [2], ctx, [2], [neg],
                                            None, None, None, 0.1)
    np.testing.assert_allclose(b[ctx], syn1neg[ctx] + g_ctx[:, None] * h, rtol=1e-5)
    np.testing.assert_allclose(b[neg], syn1neg[neg] + g_neg[:, None] * h, rtol=1e-5)
    np.testing.assert_allclose(a[rows], W_in[rows] + grad_h, rtol=1e-5, atol=1e-7)
    assert got == pytest.approx(loss / len(ctx), rel=1e-5)


def test_subword_windows_bad_inputs():
    W, O = np.zeros((6, 3), np.float32), np.zeros((4, 3), np.float32)
    ok = dict(W_in=W, syn1neg=O, syn1=None, subwords=[0, 4, 1, 2, 3, 5], subword_ends=[2, 3, 4, 6],
              centers=[1], contexts=[0, 2], context_ends=[2], negatives=[[3]],
              path_nodes=None, path_codes=None, path_ends=None, alpha=0.1)
    for impl in (functional, reference):
        assert impl.fasttext_train_windows(**{**ok, "W_in": W.copy(), "syn1neg": O.copy()}) > 0
    cases = [
        ({"syn1neg": None}, ValueError, "give syn1neg"),
        ({"subwords": [0, 4, 1, 2, 3, 6]}, ValueError, r"subwords must lie in 0..5"),
        ({"subword_ends": [2, 2, 4, 6]}, ValueError, "at least one row"),
        ({"subword_ends": [2, 3, 6]}, ValueError, r"subword_ends must have shape \(4,\)"),
        ({"subword_ends": [2, 3, 4, 5]}, ValueError, "end at len"),
        ({"centers": [4]}, ValueError, r"centers must lie in 0..3"),
        ({"contexts": [0, -1]}, ValueError, r"contexts must lie in 0..3"),
        ({"context_ends": [1]}, ValueError, "context_ends must be non-decreasing"),
        ({"negatives": [[3], [2]]}, ValueError, "negatives must have 1 rows"),
        ({"negatives": np.zeros((1, 0), int)}, ValueError, "at least one column"),
        ({"negatives": None}, TypeError, "negatives must hold integers"),
        ({"path_nodes": [0]}, ValueError, "given without syn1"),
        ({"W_in": np.zeros((6, 2), np.float32)}, ValueError, r"W_in must have shape"),
        ({"W_in": W.astype(np.float64)}, TypeError, "W_in"),
        ({"alpha": float("nan")}, ValueError, "alpha"),
    ]
    for change, exc, match in cases:
        for impl in (functional, reference):
            with pytest.raises(exc, match=match):
                impl.fasttext_train_windows(**{**ok, **change})


def test_cbow_sentence_bad_inputs():
    W, O = np.zeros((6, 3), np.float32), np.zeros((4, 3), np.float32)
    ok = dict(W_in=W, syn1neg=O, syn1=None, subwords=[0, 4, 1, 2, 3, 5], subword_ends=[2, 3, 4, 6],
              ids=[1, 0, 2], reaches=[1, 2, 1], negatives=[[3], [3], [1]], path_nodes=None,
              path_codes=None, path_ends=None, alpha=0.1, window=2)
    for impl in (functional, reference):
        impl.fasttext_cbow_sentence(**{**ok, "W_in": W.copy(), "syn1neg": O.copy()})
    cases = [
        ({"reaches": [1, 3, 1]}, ValueError, r"reaches must hold one reach in 1..window=2"),
        ({"reaches": [1, 0, 1]}, ValueError, "reaches"),
        ({"reaches": [1, 1]}, ValueError, "reaches"),
        ({"reaches": [1.0, 1.0, 1.0]}, TypeError, "reaches must hold integers"),
        ({"ids": [1, 0, 4]}, ValueError, r"ids must lie in 0..3"),
        ({"negatives": [[3], [3]]}, ValueError, "negatives must have 3 rows"),
        ({"window": 0}, ValueError, "window"),
        ({"subword_ends": [2, 3, 3, 6]}, ValueError, "at least one row"),
    ]
    for change, exc, match in cases:
        for impl in (functional, reference):
            with pytest.raises(exc, match=match):
                impl.fasttext_cbow_sentence(**{**ok, **change})
