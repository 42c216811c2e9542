"""The compiled prediction pass (forward, readout, head) against its NumPy twin, and the
estimators' predictions through it."""

import numpy as np
import pytest
from conftest import assert_close, make_network_params
from hypothesis import given, settings, strategies as st

from rnnfast import RNNClassifier, RNNRegressor, RNNSequenceTagger, functional, reference


@settings(max_examples=200, deadline=None)
@given(L=st.integers(1, 3), bidirectional=st.booleans(),
       nonlinearity=st.sampled_from(["tanh", "relu"]),
       pooling=st.sampled_from(["last", "mean", "max", "steps"]),
       shape=st.tuples(st.integers(0, 4), st.integers(1, 6), st.integers(1, 4),
                       st.integers(1, 5), st.integers(1, 4)),
       dtype=st.sampled_from([np.float64, np.float32]), with_h0=st.booleans(),
       ragged=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_predict_kernel_matches_reference(L, bidirectional, nonlinearity, pooling, shape, dtype,
                                          with_h0, ragged, seed):
    rng = np.random.default_rng(seed)
    B, T, D, H, O = shape
    nd = 2 if bidirectional else 1
    params = make_network_params(rng, L, bidirectional, D, H, O, dtype)
    x = rng.standard_normal((B, T, D)).astype(dtype)
    lengths = rng.integers(1, T + 1, B) if ragged else None
    h0 = (rng.standard_normal((L * nd, B, H)) * 0.5).astype(dtype) if with_h0 else None
    kw = dict(num_layers=L, bidirectional=bidirectional, nonlinearity=nonlinearity,
              pooling=pooling)
    got = functional.rnn_predict(params, x, lengths, h0, **kw)
    want = reference.rnn_predict(params, x, lengths, h0, **kw)
    assert got.dtype == np.float64 and want.dtype == np.float64
    assert got.shape == ((B, T, O) if pooling == "steps" else (B, O))
    assert_close(got, want, dtype)


def test_predict_is_the_head_of_the_forward_pass():
    # the twin itself, from rnn_layers_forward's outputs by hand
    rng = np.random.default_rng(3)
    params = make_network_params(rng, 2, True, 3, 4, 2, np.float64)
    x = rng.standard_normal((3, 5, 3))
    lengths = np.array([5, 2, 1])
    layers = {k: v for k, v in params.items() if k not in ("W_hy", "b_y")}
    out, h_n = reference.rnn_layers_forward(layers, x, lengths, num_layers=2, bidirectional=True)
    head = (lambda r: r @ params["W_hy"].T + params["b_y"])
    last = np.concatenate([h_n[2], h_n[3]], axis=1)
    mean = np.stack([out[b, :n].mean(axis=0) for b, n in enumerate(lengths)])
    top = np.stack([out[b, :n].max(axis=0) for b, n in enumerate(lengths)])
    for pooling, r in [("last", last), ("mean", mean), ("max", top), ("steps", out)]:
        for impl in (functional, reference):
            got = impl.rnn_predict(params, x, lengths, num_layers=2, bidirectional=True,
                                   pooling=pooling)
            np.testing.assert_allclose(got, head(r), rtol=1e-12, atol=1e-14, err_msg=pooling)


@pytest.mark.parametrize("impl", [functional, reference], ids=["functional", "reference"])
def test_bad_predict_arguments(impl):
    rng = np.random.default_rng(0)
    params = make_network_params(rng, 1, False, 2, 3, 1, np.float64)
    x = rng.standard_normal((2, 3, 2))
    with pytest.raises(ValueError, match="pooling must be one of .*'steps'.*got 'sum'"):
        impl.rnn_predict(params, x, pooling="sum")
    with pytest.raises(ValueError, match="pooling must be one of"):
        impl.rnn_predict(params, x, pooling=["last"])
    with pytest.raises(ValueError, match="params is missing W_hy"):
        impl.rnn_predict({k: v for k, v in params.items() if k != "W_hy"}, x)
    with pytest.raises(ValueError, match=r"W_hy must have shape \(O, 3\)"):
        impl.rnn_predict(dict(params, W_hy=np.zeros((1, 4))), x)
    with pytest.raises(ValueError, match="x contains NaN"):
        impl.rnn_predict(params, np.full((2, 3, 2), np.nan))
    with pytest.raises(ValueError, match="lengths must lie in 1..3"):
        impl.rnn_predict(params, x, [0, 3])


@pytest.mark.parametrize("make", [
    lambda: RNNClassifier(hidden_size=6, epochs=2, num_layers=2, bidirectional=True,
                          pooling="mean", random_state=0),
    lambda: RNNRegressor(hidden_size=5, epochs=2, pooling="max", random_state=0),
    lambda: RNNSequenceTagger(hidden_size=5, epochs=2, random_state=0)])
def test_estimators_predict_through_the_prediction_pass(make):
    rng = np.random.default_rng(1)
    X = [rng.standard_normal((n, 3)) for n in rng.integers(1, 9, 30)]
    est = make()
    if isinstance(est, RNNSequenceTagger):
        y = [rng.integers(0, 3, len(s)) for s in X]
    elif isinstance(est, RNNRegressor):
        y = rng.standard_normal(30)
    else:
        y = rng.integers(0, 3, 30)
    est.fit(X, y)
    data = est._inputs(X)  # as the estimator reads them (scaled)
    x, lengths, _ = data.batch(np.arange(len(X)), est.embedding_, est.dtype)
    pooling = "steps" if isinstance(est, RNNSequenceTagger) else est.pooling
    want = reference.rnn_predict(est.params_, x, lengths, num_layers=est.num_layers,
                                 bidirectional=est.bidirectional, pooling=pooling)
    got = est._final_outputs(data)
    if pooling == "steps":
        for i, n in enumerate(lengths):
            np.testing.assert_allclose(got[i], want[i, :n], rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_array_and_a_list_of_its_sequences_give_the_same_model_bit_for_bit(dtype):
    # an (n, T, D) array stays one array through scaling and batching (no loop per
    # sequence); a list of the same sequences takes the general path
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 7, 3)) * 3 + 1
    y = (X[:, -1, 0] > 1).astype(int)
    kw = dict(hidden_size=5, epochs=3, batch_size=8, random_state=0, dtype=dtype)
    dense = RNNClassifier(**kw).fit(X, y)
    listed = RNNClassifier(**kw).fit(list(X), y)
    for a, b in ((dense, listed), (listed, dense)):
        for k in a.params_:
            np.testing.assert_array_equal(a.params_[k], b.params_[k])
    np.testing.assert_array_equal(dense.predict_proba(X), dense.predict_proba(list(X)))
    np.testing.assert_array_equal(dense.predict_proba(X[:, :, :1].repeat(3, axis=2)),
                                  listed.predict_proba(list(X[:, :, :1].repeat(3, axis=2))))
    table = RNNRegressor(hidden_size=4, epochs=2, random_state=0).fit(X[:, :, 0], y)
    np.testing.assert_array_equal(table.predict(X[:, :, 0]), table.predict(list(X[:, :, 0])))


@pytest.mark.parametrize("make, message", [
    (lambda X: X[:, :0], "X\\[0\\] is a zero-length sequence"),
    (lambda X: X[:, :, :0], "X has zero features per step"),
    (lambda X: np.where(np.arange(5)[:, None, None] == 3, np.nan, X), "X\\[3\\] contains NaN"),
    (lambda X: np.where(np.arange(5)[:, None, None] == 2, -np.inf, X), "X\\[2\\] contains NaN"),
])
def test_one_array_is_refused_as_its_list_is(make, message):
    X = make(np.ones((5, 4, 2)))
    for given_as in (X, list(X)):
        with pytest.raises(ValueError, match=message):
            RNNClassifier(hidden_size=3, epochs=1).fit(given_as, np.arange(5) % 2)
    fitted = RNNClassifier(hidden_size=3, epochs=1).fit(np.ones((4, 4, 2)), [0, 1, 0, 1])
    wrong = np.ones((2, 4, 3))
    for given_as in (wrong, list(wrong)):
        with pytest.raises(ValueError, match="has 3 features per step, but the model"):
            fitted.predict(given_as)


@pytest.mark.parametrize("make", [
    lambda: (RNNClassifier(hidden_size=4, epochs=1, batch_size=8), "classes"),
    lambda: (RNNRegressor(hidden_size=4, epochs=1, batch_size=8), "values"),
    lambda: (RNNSequenceTagger(hidden_size=4, epochs=1, batch_size=8), "tags"),
])
def test_predictions_split_over_threads_equal_one_threads(make):
    # 700 sequences of ragged lengths: three batches of 256 or fewer, dealt to 3 threads
    model, kind = make()
    rng = np.random.default_rng(2)
    X = [rng.standard_normal((n, 2)) for n in rng.integers(1, 9, 700)]
    y = [rng.integers(0, 2, len(s)) for s in X] if kind == "tags" else \
        rng.integers(0, 2, len(X))
    model.fit(X[:60], y[:60])
    one = model.predict(X)
    model.set_params(n_jobs=3)
    many = model.predict(X)
    if kind == "tags":
        assert len(one) == len(many) == len(X)
        for a, b in zip(one, many):
            np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_array_equal(one, many)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([np.float32, np.float64, np.float16, np.int64]),
       st.sampled_from([np.float32, np.float64]), st.integers(1, 5), st.integers(1, 4),
       st.integers(1, 3), st.booleans(), st.integers(0, 2**32 - 1))
def test_a_dense_batch_is_numpys_standardised_rows_bit_for_bit(source, dtype, n, T, D, scaled,
                                                               seed):
    # the compiled gather (float32 and float64 sources) and numpy's path (the others)
    # give the bits of astype(float64), subtract, divide, astype(dtype)
    from rnnfast.rnn import sequences
    from rnnfast.rnn._arrays import gather_scaled
    rng = np.random.default_rng(seed)
    seqs = (rng.standard_normal((n, T, D)) * 10 ** rng.uniform(-3, 30)).astype(source)
    index = rng.integers(0, n, rng.integers(1, 6))
    mean, scale = rng.standard_normal(D), rng.uniform(1e-3, 1e3, D)
    want = seqs[index].astype(np.float64)
    if scaled:
        want = (want - mean) / scale
    with np.errstate(over="ignore"):
        want = want.astype(dtype)
        data = sequences.SequenceData(seqs, tokens=False, scaling=(mean, scale) if scaled
                                      else None)
        x, lengths, _ = data.batch(index, None, dtype)
    assert x.dtype == dtype and x.flags.c_contiguous and list(lengths) == [T] * len(index)
    np.testing.assert_array_equal(x.view(np.uint8), want.view(np.uint8))
    compiled = gather_scaled(seqs, index.astype(np.intp), (mean, scale) if scaled else None,
                             dtype)
    assert (compiled is None) == (source not in (np.float32, np.float64))
    with pytest.raises(IndexError):
        gather_scaled(seqs.astype(np.float32), np.array([n], np.intp), None, dtype)
