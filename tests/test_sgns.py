"""Skip-gram negative-sampling kernels against their NumPy twins."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import assert_close
from rnnfast import functional, reference

RTOL = 1e-5


def tables(rng, V, d):
    W_in = (rng.standard_normal((V, d)) * 0.5).astype(np.float32)
    W_out = (rng.standard_normal((V, d)) * 0.5).astype(np.float32)
    return W_in, W_out


def assert_tables_close(got, want):
    for g, w in zip(got, want):
        assert_close(g, w, np.float32)


@settings(max_examples=120, deadline=None)
@given(V=st.integers(1, 12), d=st.integers(1, 37), n=st.integers(0, 40), K=st.integers(0, 6),
       alpha=st.sampled_from([0.0, 0.025, 0.1]), seed=st.integers(0, 2**32 - 1))
def test_pairs_kernel_matches_reference(V, d, n, K, alpha, seed):
    # alpha stays at training-like sizes: with alpha near 1, hundreds of sequential
    # updates of one row amplify float32 rounding beyond any fixed tolerance
    rng = np.random.default_rng(seed)
    W_in, W_out = tables(rng, V, d)
    centers, contexts = rng.integers(0, V, n), rng.integers(0, V, n)
    negatives = rng.integers(0, V, (n, K))
    fast = (W_in.copy(), W_out.copy())
    slow = (W_in.copy(), W_out.copy())
    loss_fast = functional.sgns_train_pairs(*fast, centers, contexts, negatives, alpha)
    loss_slow = reference.sgns_train_pairs(*slow, centers, contexts, negatives, alpha)
    assert loss_fast == pytest.approx(loss_slow, rel=RTOL, abs=1e-12)
    assert_tables_close(fast, slow)
    if alpha == 0:
        np.testing.assert_array_equal(fast[0], W_in)


@settings(max_examples=120, deadline=None)
@given(V=st.integers(1, 12), d=st.integers(1, 37), n_windows=st.integers(0, 25),
       max_inputs=st.integers(1, 10), K=st.integers(0, 6), seed=st.integers(0, 2**32 - 1))
def test_windows_kernel_matches_reference(V, d, n_windows, max_inputs, K, seed):
    # small V makes repeated rows (inputs, negatives) common: they must add up
    rng = np.random.default_rng(seed)
    W_in, W_out = tables(rng, V, d)
    sizes = rng.integers(1, max_inputs + 1, n_windows)
    ends = np.cumsum(sizes)
    inputs = rng.integers(0, V, int(sizes.sum()))
    outputs = rng.integers(0, V, (n_windows, K + 1))
    fast = (W_in.copy(), W_out.copy())
    slow = (W_in.copy(), W_out.copy())
    loss_fast = functional.sgns_train_windows(*fast, inputs, ends, outputs, 0.025)
    loss_slow = reference.sgns_train_windows(*slow, inputs, ends, outputs, 0.025)
    assert loss_fast == pytest.approx(loss_slow, rel=RTOL, abs=1e-12)
    assert_tables_close(fast, slow)


@settings(max_examples=120, deadline=None)
@given(V=st.integers(1, 12), d=st.integers(1, 37), n_windows=st.integers(0, 25),
       max_inputs=st.integers(0, 10), K=st.integers(0, 6), mean=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_cbow_kernel_matches_reference(V, d, n_windows, max_inputs, K, mean, seed):
    # windows of 0 inputs (skipped) among them; small V repeats rows
    rng = np.random.default_rng(seed)
    W_in, W_out = tables(rng, V, d)
    sizes = rng.integers(0, max_inputs + 1, n_windows)
    ends = np.cumsum(sizes)
    inputs = rng.integers(0, V, int(sizes.sum()))
    outputs = rng.integers(0, V, (n_windows, K + 1))
    fast = (W_in.copy(), W_out.copy())
    slow = (W_in.copy(), W_out.copy())
    loss_fast = functional.cbow_train_windows(*fast, inputs, ends, outputs, 0.025, mean)
    loss_slow = reference.cbow_train_windows(*slow, inputs, ends, outputs, 0.025, mean)
    assert loss_fast == pytest.approx(loss_slow, rel=RTOL, abs=1e-12)
    assert_tables_close(fast, slow)


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
    loss = functional.cbow_train_windows(a, b, ins, [3], [outs], 0.1, True)
    np.testing.assert_allclose(b[outs], want_out, rtol=1e-5)
    np.testing.assert_allclose(a[ins], want_in, rtol=1e-5)
    assert loss == pytest.approx(-np.log(s[0]) - np.log(1 - s[1:]).sum(), rel=1e-5)
    # the sum: h is the sum of the inputs
    a, b = W_in.astype(np.float32), W_out.astype(np.float32)
    functional.cbow_train_windows(a, b, ins, [3], [outs], 0.1, False)
    h = W_in[ins].sum(axis=0)
    s = 1 / (1 + np.exp(-(W_out[outs] @ h)))
    np.testing.assert_allclose(b[outs], W_out[outs] + 0.1 * (labels - s)[:, None] * h,
                               rtol=1e-5)


def test_one_window_equals_its_pairs_when_rows_are_distinct():
    # with distinct rows, sharing negatives over a window changes nothing but the sharing:
    # the window update equals the pairs' updates taken from the same starting values
    rng = np.random.default_rng(0)
    W_in, W_out = tables(rng, 10, 8)
    inputs, outputs = np.array([1, 2, 3]), np.array([[4, 5, 6]])
    a = (W_in.copy(), W_out.copy())
    functional.sgns_train_windows(*a, inputs, [3], outputs, 0.1)
    for row in inputs:
        b = (W_in.copy(), W_out.copy())
        functional.sgns_train_pairs(*b, [row], [4], [[5, 6]], 0.1)
        np.testing.assert_allclose(a[0][row], b[0][row], rtol=1e-6)


def test_loss_is_the_negative_log_likelihood():
    W_in = np.array([[1.0, 0.0]], np.float32)
    W_out = np.array([[2.0, 0.0], [-1.0, 0.0]], np.float32)
    W_in = np.vstack([W_in, W_in])
    expected = np.log1p(np.exp(-2.0)) + np.log1p(np.exp(-1.0))
    for impl in (functional, reference):
        loss = impl.sgns_train_pairs(W_in.copy(), W_out.copy(), [0], [0], [[1]], 0.0)
        assert loss == pytest.approx(expected, rel=1e-6)


def test_extreme_scores_stay_finite():
    W_in = np.full((2, 4), 30.0, np.float32)
    W_out = np.full((2, 4), -30.0, np.float32)
    for impl in (functional, reference):
        a, b = W_in.copy(), W_out.copy()
        loss = impl.sgns_train_pairs(a, b, [0], [1], [[0]], 0.01)
        assert np.isfinite(loss) and loss == pytest.approx(3600, rel=1e-3)
        assert np.isfinite(a).all() and np.isfinite(b).all()


@pytest.mark.parametrize("impl", [functional, reference], ids=["functional", "reference"])
def test_bad_inputs(impl):
    W = np.zeros((4, 3), np.float32)
    ok = dict(W_in=W.copy(), W_out=W.copy(), centers=[0], contexts=[1], negatives=[[2]], alpha=0.1)
    cases = [
        ({"W_in": W.astype(np.float64)}, TypeError, "W_in must have dtype float32"),
        ({"W_out": np.zeros((4, 2), np.float32)}, ValueError, "same shape"),
        ({"W_in": np.zeros((4, 6), np.float32)[:, ::2]}, ValueError, "C-contiguous"),
        ({"W_in": np.full((4, 3), np.nan, np.float32)}, ValueError, "W_in contains NaN"),
        ({"centers": [4]}, ValueError, r"centers must lie in 0..3"),
        ({"contexts": [-1]}, ValueError, r"contexts must lie in 0..3"),
        ({"contexts": [1, 2]}, ValueError, r"contexts must have shape \(1,\)"),
        ({"negatives": [2]}, ValueError, "negatives must have 2 dimension"),
        ({"negatives": [[0.5]]}, TypeError, "negatives must hold integers"),
        ({"alpha": float("nan")}, ValueError, "alpha must be finite"),
        ({"alpha": -1}, ValueError, "alpha must be >= 0"),
    ]
    for change, exc, match in cases:
        with pytest.raises(exc, match=match):
            impl.sgns_train_pairs(**{**ok, **change})
    readonly = W.copy()
    readonly.setflags(write=False)
    with pytest.raises(ValueError, match="writeable"):
        impl.sgns_train_pairs(**{**ok, "W_out": readonly})
    with pytest.raises(ValueError, match="must not share memory"):
        impl.sgns_train_pairs(**{**ok, "W_out": ok["W_in"]})
    with pytest.raises(ValueError, match="input_ends must be non-decreasing"):
        impl.sgns_train_windows(W.copy(), W.copy(), [0, 1], [1], [[2, 3]], 0.1)
    with pytest.raises(ValueError, match=r"input_ends must have shape \(1,\)"):
        impl.sgns_train_windows(W.copy(), W.copy(), [0, 1], [1, 2], [[2, 3]], 0.1)


def test_alias_tables_sample_the_given_distribution():
    from rnnfast._sgns import alias_tables
    rng = np.random.default_rng(1)
    for weights in (rng.random(500) ** 4 * 1000 + 1e-3, np.ones(1), np.array([1.0, 0.0, 3.0])):
        accept, other = alias_tables(weights.astype(np.float64))
        keep = accept / 2.0**32
        prob = keep.copy()
        np.add.at(prob, other, 1 - keep)  # what each slot passes on to its alias
        np.testing.assert_allclose(prob / len(weights), weights / weights.sum(), atol=1e-9)
