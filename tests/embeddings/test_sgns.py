"""The word2vec window update (skip-gram and CBOW, negative sampling and hierarchical
softmax) against its NumPy twin."""

import numpy as np
import pytest
from conftest import assert_close, huffman_cost
from hypothesis import given, settings, strategies as st

from rnnfast import functional, reference

RTOL = 1e-5


def tables(rng, V, d):
    W_in = (rng.standard_normal((V, d)) * 0.5).astype(np.float32)
    W_out = (rng.standard_normal((V, d)) * 0.5).astype(np.float32)
    return W_in, W_out


def random_windows(rng, V, n_windows, min_inputs, max_inputs, K):
    """(input_ends, inputs, outputs) of n_windows windows of min..max inputs, K negatives."""
    sizes = rng.integers(min_inputs, max_inputs + 1, n_windows)
    inputs = rng.integers(0, V, int(sizes.sum()))
    return np.cumsum(sizes), inputs, rng.integers(0, V, (n_windows, K + 1))


def few_repeats(n_windows, V):
    """Cap the windows of a tiny vocabulary: one row updated a thousand times in another
    summation order drifts past float32's 1e-5 while every single update agrees."""
    return min(n_windows, 6 * V)


def assert_tables_close(got, want):
    for g, w in zip(got, want):
        assert_close(g, w, np.float32)


def ns_windows(impl, W_in, syn1neg, inputs, input_ends, outputs, alpha, sg=True,
               cbow_mean=True):
    """The window update with negative sampling only."""
    return impl.word2vec_train_windows(W_in, syn1neg, None, inputs, input_ends, outputs, None,
                                       None, None, alpha, sg=sg, cbow_mean=cbow_mean)


def test_cbow_window_is_the_gradient_step_of_its_loss():
    # one window, distinct rows: the update is -alpha times the gradient of the loss
    # of sigmoid(h . u) (h the mean of the inputs) for the output rows, and the
    # gradient with respect to h itself for each input row (word2vec's rule)
    rng = np.random.default_rng(1)
    W_in, W_out = tables(rng, 8, 5)
    W_in, W_out = W_in.astype(np.float64), W_out.astype(np.float64)
    ins, outs = [1, 2, 3], [4, 5, 6]
    h = W_in[ins].mean(axis=0)
    labels = np.array([1.0, 0.0, 0.0])
    s = 1 / (1 + np.exp(-(W_out[outs] @ h)))
    want_out = W_out[outs] + 0.1 * (labels - s)[:, None] * h
    want_in = W_in[ins] + 0.1 * (labels - s) @ W_out[outs]
    a, b = W_in.astype(np.float32), W_out.astype(np.float32)
    loss = ns_windows(functional, a, b, ins, [3], [outs], 0.1, sg=False)
    np.testing.assert_allclose(b[outs], want_out, rtol=1e-5)
    np.testing.assert_allclose(a[ins], want_in, rtol=1e-5)
    assert loss == pytest.approx(-np.log(s[0]) - np.log(1 - s[1:]).sum(), rel=1e-5)
    # the sum: h is the sum of the inputs
    a, b = W_in.astype(np.float32), W_out.astype(np.float32)
    ns_windows(functional, a, b, ins, [3], [outs], 0.1, sg=False, cbow_mean=False)
    h = W_in[ins].sum(axis=0)
    s = 1 / (1 + np.exp(-(W_out[outs] @ h)))
    np.testing.assert_allclose(b[outs], W_out[outs] + 0.1 * (labels - s)[:, None] * h,
                               rtol=1e-5)
    # and, as gensim does for the sum, the context rows share h's gradient
    np.testing.assert_allclose(a[ins], W_in[ins] + 0.1 * (labels - s) @ W_out[outs] / 3,
                               rtol=1e-5)


def test_one_window_equals_its_pairs_when_rows_are_distinct():
    # with distinct rows, sharing negatives over a window changes nothing but the sharing:
    # the window update equals each pair's own one-input window from the same values
    rng = np.random.default_rng(0)
    W_in, W_out = tables(rng, 10, 8)
    inputs, outputs = np.array([1, 2, 3]), np.array([[4, 5, 6]])
    a = (W_in.copy(), W_out.copy())
    ns_windows(functional, *a, inputs, [3], outputs, 0.1)
    for row in inputs:
        b = (W_in.copy(), W_out.copy())
        ns_windows(functional, *b, [row], [1], outputs, 0.1)
        np.testing.assert_allclose(a[0][row], b[0][row], rtol=1e-6)


@pytest.mark.parametrize("sg", [True, False])
def test_loss_is_the_negative_log_likelihood(sg):
    W_in = np.array([[1.0, 0.0]], np.float32)
    W_out = np.array([[2.0, 0.0], [-1.0, 0.0]], np.float32)
    W_in = np.vstack([W_in, W_in])
    expected = np.log1p(np.exp(-2.0)) + np.log1p(np.exp(-1.0))
    for impl in (functional, reference):
        loss = ns_windows(impl, W_in.copy(), W_out.copy(), [0], [1], [[0, 1]], 0.0, sg=sg)
        assert loss == pytest.approx(expected, rel=1e-6)


def test_extreme_scores_stay_finite():
    W_in = np.full((2, 4), 30.0, np.float32)
    W_out = np.full((2, 4), -30.0, np.float32)
    for impl in (functional, reference):
        a, b = W_in.copy(), W_out.copy()
        loss = ns_windows(impl, a, b, [0], [1], [[1, 0]], 0.01)
        assert np.isfinite(loss) and loss == pytest.approx(3600, rel=1e-3)
        assert np.isfinite(a).all() and np.isfinite(b).all()


@pytest.mark.parametrize("impl", [functional, reference], ids=["functional", "reference"])
def test_bad_negative_sampling_inputs(impl):
    W = np.zeros((4, 3), np.float32)
    ok = dict(W_in=W.copy(), syn1neg=W.copy(), inputs=[0], input_ends=[1], outputs=[[1, 2]],
              alpha=0.1)
    cases = [
        ({"W_in": W.astype(np.float64)}, TypeError, "W_in must have dtype float32"),
        ({"syn1neg": np.zeros((4, 2), np.float32)}, ValueError, "same shape"),
        ({"W_in": np.zeros((4, 6), np.float32)[:, ::2]}, ValueError, "C-contiguous"),
        ({"W_in": np.full((4, 3), np.nan, np.float32)}, ValueError, "W_in contains NaN"),
        ({"inputs": [4]}, ValueError, r"inputs must lie in 0..3"),
        ({"outputs": [[-1, 2]]}, ValueError, r"outputs must lie in 0..3"),
        ({"outputs": [1, 2]}, ValueError, "outputs must have 2 dimension"),
        ({"outputs": [[0.5]]}, TypeError, "outputs must hold integers"),
        ({"outputs": np.zeros((1, 0), int)}, ValueError, "outputs must have 1 to"),
        ({"alpha": float("nan")}, ValueError, "alpha must be finite"),
        ({"alpha": -1}, ValueError, "alpha must be >= 0"),
        ({"inputs": [0, 1], "input_ends": [1]}, ValueError,
         "input_ends must be non-decreasing"),
        ({"inputs": [0, 1], "input_ends": [1, 2]}, ValueError,
         r"outputs must have 2 rows, one per window"),
    ]
    for change, exc, match in cases:
        with pytest.raises(exc, match=match):
            ns_windows(impl, **{**ok, **change})
    readonly = W.copy()
    readonly.setflags(write=False)
    with pytest.raises(ValueError, match="writeable"):
        ns_windows(impl, **{**ok, "syn1neg": readonly})
    with pytest.raises(ValueError, match="must not share memory"):
        ns_windows(impl, **{**ok, "syn1neg": ok["W_in"]})


def test_alias_tables_sample_the_given_distribution():
    from rnnfast.embeddings._sgns import alias_tables
    rng = np.random.default_rng(1)
    for weights in (rng.random(500) ** 4 * 1000 + 1e-3, np.ones(1), np.array([1.0, 0.0, 3.0])):
        accept, other = alias_tables(weights.astype(np.float64))
        keep = accept / 2.0**32
        prob = keep.copy()
        np.add.at(prob, other, 1 - keep)  # what each slot passes on to its alias
        np.testing.assert_allclose(prob / len(weights), weights / weights.sum(), atol=1e-9)


# --- hierarchical softmax, alone or with negative sampling, skip-gram or CBOW ---

def random_paths(rng, V, n_windows, max_len):
    """Per window a path of distinct inner nodes (as a tree path is) with 0/1 codes."""
    lengths = rng.integers(0, max_len + 1, n_windows)
    nodes = np.concatenate([rng.permutation(V)[:n] for n in lengths] + [np.zeros(0, int)])
    codes = rng.integers(0, 2, len(nodes))
    return nodes, codes, np.cumsum(lengths)


@settings(max_examples=150, deadline=None)
@given(V=st.integers(1, 12), d=st.integers(1, 37), n_windows=st.integers(0, 20),
       max_inputs=st.integers(0, 10), K=st.integers(0, 6), max_len=st.integers(0, 12),
       parts=st.sampled_from(["hs", "ns", "both"]), sg=st.booleans(), mean=st.booleans(),
       lock=st.sampled_from([None, "one", "each"]), seed=st.integers(0, 2**32 - 1))
def test_word2vec_windows_kernel_matches_reference(V, d, n_windows, max_inputs, K, max_len,
                                                   parts, sg, mean, lock, seed):
    rng = np.random.default_rng(seed)
    n_windows = few_repeats(n_windows, V)
    W_in, syn1neg = tables(rng, V, d)
    syn1 = (rng.standard_normal((V, d)) * 0.5).astype(np.float32)
    ends, inputs, outputs = random_windows(rng, V, n_windows, 0, max_inputs, K)
    ns = parts != "hs"
    hs = parts != "ns"
    outputs = outputs if ns else None
    nodes, codes, node_ends = random_paths(rng, V, n_windows, min(max_len, V)) if hs else \
        (None, None, None)
    # gensim's lock factors: one for every row, or one per row (0 freezes it)
    lockf = None if lock is None else \
        (rng.uniform(0, 2, 1 if lock == "one" else V) * rng.integers(0, 2, 1 if lock == "one"
                                                                     else V)).astype(np.float32)
    results = []
    for impl in (functional, reference):
        tabs = (W_in.copy(), syn1neg.copy() if ns else None, syn1.copy() if hs else None)
        loss = impl.word2vec_train_windows(*tabs, inputs, ends, outputs, nodes, codes,
                                           node_ends, 0.025, sg=sg, cbow_mean=mean, lockf=lockf)
        results.append((loss, tabs))
    (loss_fast, fast), (loss_slow, slow) = results
    assert loss_fast == pytest.approx(loss_slow, rel=RTOL, abs=1e-12)
    for f, s in zip(fast, slow):
        if f is not None:
            assert_close(f, s, np.float32)
    if lockf is not None:   # a frozen row keeps its values exactly
        frozen = lockf[np.arange(V) % len(lockf)] == 0
        np.testing.assert_array_equal(fast[0][frozen], W_in[frozen])


@pytest.mark.parametrize("sg", [True, False])
def test_lock_factors_scale_each_input_step(sg):
    # the step of input row i with factor f is f times the step without factors;
    # output rows move as without factors
    rng = np.random.default_rng(5)
    V, d = 8, 5
    W_in, syn1neg = tables(rng, V, d)
    ins, outs = [1, 2, 3], [[4, 5, 6]]
    lockf = np.array([1, 0.5, 0, 2, 1, 1, 1, 1], np.float32)
    whole = (W_in.copy(), syn1neg.copy())
    functional.word2vec_train_windows(*whole[:1], whole[1], None, ins, [3], outs, None, None,
                                      None, 0.1, sg=sg)
    scaled = (W_in.copy(), syn1neg.copy())
    functional.word2vec_train_windows(scaled[0], scaled[1], None, ins, [3], outs, None, None,
                                      None, 0.1, sg=sg, lockf=lockf)
    np.testing.assert_allclose(scaled[0][ins] - W_in[ins],
                               lockf[ins, None] * (whole[0][ins] - W_in[ins]), rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_array_equal(scaled[0][2], W_in[2])   # factor 0: frozen
    np.testing.assert_array_equal(scaled[1], whole[1])


@pytest.mark.parametrize("sg", [True, False])
def test_hierarchical_softmax_step_is_the_gradient_step_of_its_loss(sg):
    # one window, distinct rows, HS and NS together: each output row moves by
    # alpha (label - sigmoid) times the input (h for CBOW); each input by the sum of
    # both parts' gradients, all from the values before the window
    rng = np.random.default_rng(2)
    V, d = 9, 6
    W_in, syn1neg = (t.astype(np.float64) for t in tables(rng, V, d))
    syn1 = rng.standard_normal((V, d)) * 0.5
    ins, outs, path, code = [1, 2, 3], [4, 5], [0, 6, 7], [1, 0, 1]
    A = W_in[ins] if sg else W_in[ins].mean(axis=0, keepdims=True)
    grad_A = np.zeros_like(A)
    want, loss = {}, 0.0
    for name, table, rows, labels in (("syn1", syn1, path, 1 - np.array(code, float)),
                                      ("syn1neg", syn1neg, outs, np.array([1.0, 0.0]))):
        s = 1 / (1 + np.exp(-(A @ table[rows].T)))
        loss -= np.sum(labels * np.log(s) + (1 - labels) * np.log(1 - s))
        g = 0.1 * (labels - s)
        grad_A += g @ table[rows]
        want[name] = table[rows] + g.T @ A
    a, b, c = (t.astype(np.float32) for t in (W_in, syn1neg, syn1))
    got = functional.word2vec_train_windows(a, b, c, ins, [3], [outs], path, code, [3], 0.1,
                                            sg=sg, cbow_mean=True)
    np.testing.assert_allclose(c[path], want["syn1"], rtol=1e-5)
    np.testing.assert_allclose(b[outs], want["syn1neg"], rtol=1e-5)
    np.testing.assert_allclose(a[ins], W_in[ins] + grad_A, rtol=1e-5)
    assert got == pytest.approx(loss / (3 if sg else 1), rel=1e-5)


def test_word2vec_windows_bad_inputs():
    W = np.zeros((4, 3), np.float32)
    ok = dict(W_in=W.copy(), syn1neg=None, syn1=W.copy(), inputs=[0, 1], input_ends=[2],
              outputs=None, nodes=[0, 2], codes=[1, 0], node_ends=[2], alpha=0.1)
    for impl in (functional, reference):
        assert impl.word2vec_train_windows(**{**ok, "W_in": W.copy(), "syn1": W.copy()}) > 0
    cases = [
        ({"syn1": None}, ValueError, "give syn1neg"),
        ({"nodes": [0, 4]}, ValueError, r"nodes must lie in 0..3"),
        ({"codes": [1, 2]}, ValueError, "codes must hold 0 or 1"),
        ({"codes": [1]}, ValueError, "codes must hold 0 or 1"),
        ({"node_ends": [1]}, ValueError, "node_ends must be non-decreasing and end at len"),
        ({"node_ends": [1, 2]}, ValueError, r"node_ends must have shape \(1,\)"),
        ({"outputs": [[1]]}, ValueError, "outputs given without syn1neg"),
        ({"syn1": np.zeros((4, 2), np.float32)}, ValueError, "same shape"),
        ({"syn1": ok["W_in"]}, ValueError, "must not share memory"),
        ({"lockf": np.ones(3, np.float32)}, ValueError, "lockf must hold 1 factor"),
        ({"lockf": [np.nan]}, ValueError, "lockf contains NaN"),
        ({"lockf": np.ones((4, 1))}, ValueError, "lockf must have 1 dimensions"),
        ({"lockf": ["a"]}, TypeError, "lockf must have dtype float"),
    ]
    for change, exc, match in cases:
        for impl in (functional, reference):
            with pytest.raises(exc, match=match):
                impl.word2vec_train_windows(**{**ok, **change})


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 10**6), min_size=1, max_size=60), ordered=st.booleans())
def test_huffman_paths_are_an_optimal_prefix_code(counts, ordered):
    from rnnfast.embeddings.vocab import _huffman_paths
    counts = np.array(counts, np.int64)  # unsorted, as build_vocab(update=True) leaves them
    if ordered:
        counts = np.sort(counts)[::-1]
    V = len(counts)
    nodes, codes, ends = _huffman_paths(counts)
    starts = np.concatenate([[0], ends[:-1]])
    words = [tuple(codes[s:e]) for s, e in zip(starts, ends)]
    if V == 1:
        assert words == [()]
        return
    assert nodes.min() >= 0 and nodes.max() == V - 2  # the root
    # every path starts at the root, and equal code prefixes share their nodes
    assert all(nodes[s] == V - 2 for s in starts)
    seen = {}
    for (s, e), word in zip(zip(starts, ends), words):
        for i in range(e - s):
            assert seen.setdefault(word[:i], nodes[s + i]) == nodes[s + i]
    # a prefix code: no word's code begins another's
    assert len(set(words)) == V
    assert not any(a != b and b[:len(a)] == a for a in words for b in words)
    # optimal: the weighted length equals the cost of any Huffman merge order
    assert int(np.sum(counts * np.diff(np.concatenate([[0], ends])))) == huffman_cost(counts)
    # frequent words never get longer codes than rarer ones
    lengths = np.diff(np.concatenate([[0], ends]))
    assert np.all(np.diff(lengths[np.argsort(-counts, kind="stable")]) >= 0)
