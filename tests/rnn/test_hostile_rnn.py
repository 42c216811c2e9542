"""The RNN estimators given hostile inputs and settings: each trains what it reports
or raises naming the argument."""

import numpy as np
import pytest
from conftest import tampered_copy
from hypothesis import given, settings, strategies as st

from rnnfast import KeyedVectors, RNNClassifier


def _kv(words, d=4, seed=0, keys=None):
    kv = KeyedVectors(d)
    kv.add_vectors(keys if keys is not None else words,
                   np.random.default_rng(seed).normal(size=(len(words), d)).astype(np.float32))
    return kv


def test_int_ids_with_a_keyedvectors_are_rows_not_unknown_words():
    words = [f"w{i}" for i in range(10)]
    kv = _kv(words)
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 10, (40, 6))
    y = (ids[:, -1] >= 5).astype(int)
    as_words = [[words[i] for i in row] for row in ids]
    by_ids = RNNClassifier(hidden_size=5, epochs=3, embedding=kv).fit(ids, y)
    by_words = RNNClassifier(hidden_size=5, epochs=3, embedding=kv).fit(as_words, y)
    np.testing.assert_array_equal(by_ids.predict_proba(ids), by_words.predict_proba(as_words))
    np.testing.assert_array_equal(by_ids.predict_proba([list(r) for r in ids]),
                                  by_ids.predict_proba(ids))
    assert len(np.unique(by_ids.predict_proba(ids)[:, 1])) > 5  # not all the unknown vector
    with pytest.raises(ValueError, match=r"X\[0\] holds ids outside 0..9"):
        by_ids.predict(np.full((1, 3), 10))


def test_int_keys_are_looked_up_as_keys():
    kv = _kv(["a", "b", "c"], keys=[30, 10, 20])  # int keys: gensim looks keys up first
    X = np.array([[10, 20, 30], [30, 30, 10]] * 5)
    model = RNNClassifier(hidden_size=3, epochs=1, embedding=kv).fit(X, [0, 1] * 5)
    data = model._inputs(X)
    assert data.seqs[0].tolist() == [1, 2, 0]


def _series(n=24, T=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, T, 2))
    return X, X[:, -1, 0] + 0.5 * X[:, 0, 1]


@pytest.mark.parametrize("weight", [1e308, 1e-300, 3.0])
def test_huge_or_tiny_sample_weights_train_as_their_ratios_say(weight):
    from rnnfast import RNNRegressor
    X, y = _series()
    w = np.where(np.arange(len(y)) % 2, 1.0, 0.5)
    ref = RNNRegressor(hidden_size=4, epochs=3).fit(X, y, sample_weight=w)
    big = RNNRegressor(hidden_size=4, epochs=3).fit(X, y, sample_weight=w * weight)
    assert np.isfinite(big.loss_curve_).all()
    np.testing.assert_allclose(big.loss_curve_, ref.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(big.predict(X), ref.predict(X), rtol=1e-9, atol=1e-12)


def test_the_kernel_and_its_twin_refuse_weights_whose_sum_overflows(impl):
    rng = np.random.default_rng(0)
    params = {"W_xh": rng.normal(size=(3, 2)), "W_hh": rng.normal(size=(3, 3)),
              "b_h": np.zeros(3), "W_hy": rng.normal(size=(1, 3)), "b_y": np.zeros(1)}
    with pytest.raises(ValueError, match="sample_weight sums past float64"):
        impl.rnn_loss_and_grads(params, rng.normal(size=(2, 4, 2)), np.array([0.0, 1.0]),
                                sample_weight=np.array([1e308, 1e308]))


@pytest.mark.parametrize("size", [1e305, 1e307, -1e308])
def test_targets_near_the_float64_limit_fit_and_predict_finite(size):
    from rnnfast import RNNRegressor
    X, y = _series()
    y = y / np.abs(y).max()
    model = RNNRegressor(hidden_size=4, epochs=2).fit(X, y * size)
    assert np.isfinite(model.y_scale_).all() and np.isfinite(model.y_mean_).all()
    assert model.y_scale_[0] > 0
    pred = model.predict(X)
    assert np.isfinite(pred).all()
    small = RNNRegressor(hidden_size=4, epochs=2).fit(X, y * np.sign(size))
    np.testing.assert_allclose(pred / abs(size), small.predict(X), rtol=1e-6, atol=1e-9)


def test_a_diverging_fit_raises_instead_of_recording_nan():
    from rnnfast import RNNRegressor
    X, y = _series()
    with pytest.raises(FloatingPointError, match="not finite"):
        RNNRegressor(hidden_size=4, epochs=50, learning_rate=1e30, optimizer="sgd",
                     clip_norm=None).fit(X, y)


@pytest.mark.parametrize("change", [{"hidden_size": 8}, {"bidirectional": True},
                                    {"num_layers": 2}, {"nonlinearity": "relu"},
                                    {"pooling": "mean"}, {"dtype": "float64"},
                                    {"standardize": False}])
def test_a_shape_changed_after_fit_is_refused_not_ignored(tmp_path, change):
    from rnnfast import RNNRegressor
    X, y = _series()
    model = RNNRegressor(hidden_size=4, epochs=1).fit(X, y)
    before = model.predict(X)
    model.set_params(**change)
    for action in (lambda: model.predict(X), lambda: model.save(tmp_path / "m.npz"),
                   lambda: model.partial_fit(X, y),
                   lambda: model.set_params(warm_start=True).fit(X, y)):
        with pytest.raises(ValueError, match=f"{next(iter(change))}=.* was set after this "
                                             f"RNNRegressor was fitted with"):
            action()
    model.set_params(warm_start=False)
    model.fit(X, y)  # a new fit takes the new shape
    assert model.params_["W_hh"].shape[0] == model.hidden_size
    assert np.isfinite(model.predict(X)).all()
    if "hidden_size" in change:
        assert model.predict(X).shape == before.shape


def test_settings_that_do_not_shape_the_model_take_effect_on_continued_training():
    from rnnfast import RNNRegressor
    from rnnfast.rnn import optimizers
    X, y = _series()
    model = RNNRegressor(hidden_size=4, epochs=1, warm_start=True).fit(X, y)
    assert isinstance(model._optimizer, optimizers.Adam)
    model.set_params(optimizer="sgd", learning_rate=0.5, epochs=2)
    model.fit(X, y)
    assert isinstance(model._optimizer, optimizers.SGD)
    assert model._optimizer.learning_rate == 0.5 and model.n_iter_ == 3


def test_partial_fit_refuses_other_classes():
    X, _ = _series()
    y = np.arange(len(X)) % 3
    model = RNNClassifier(hidden_size=4).partial_fit(X, y, classes=[0, 1, 2])
    model.partial_fit(X, y, classes=[2, 1, 0])  # the same classes, in any order
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2, 3\] is not the classes_"):
        model.partial_fit(X, y, classes=[0, 1, 2, 3])


def _saved_models(tmp_path):
    from rnnfast import RNNRegressor, RNNSequenceTagger
    X, y = _series()
    paths = {}
    paths["clf"] = tmp_path / "clf.npz"
    RNNClassifier(hidden_size=3, epochs=1).fit(X, np.arange(len(X)) % 3).save(paths["clf"])
    paths["reg"] = tmp_path / "reg.npz"
    RNNRegressor(hidden_size=3, epochs=1, bidirectional=True).fit(X, y).save(paths["reg"])
    paths["tok"] = tmp_path / "tok.npz"
    kv = _kv([f"w{i}" for i in range(6)])
    RNNClassifier(hidden_size=3, epochs=1, embedding=kv).fit(
        [["w1", "w2"], ["w3"], ["w4", "w5", "w0"]], [0, 1, 0]).save(paths["tok"])
    paths["tag"] = tmp_path / "tag.npz"
    RNNSequenceTagger(hidden_size=3, epochs=1).fit(
        [np.ones((3, 2)), np.zeros((2, 2))], [[0, 1, 1], [1, 0]]).save(paths["tag"])
    return paths


TAMPERED = [  # (model, arrays, meta, field named in the error)
    ("clf", None, {"fitted.classes": [0, 1]}, "W_hy"),
    ("clf", None, {"fitted.classes": [0, 0, 1]}, "classes"),
    ("clf", None, {"fitted.classes": [2, 1, 0]}, "classes"),
    ("clf", None, {"params.hidden_size": 4}, "W_h"),
    ("clf", None, {"params.num_layers": 2}, "W_hh"),
    ("clf", None, {"params.hidden_size": -1}, "params"),
    ("clf", None, {"params.no_such_setting": 1}, "params"),
    ("clf", None, {"params.dtype": "float64"}, "W_h"),
    ("clf", None, {"n_features_in": 5}, "W_xh"),
    ("clf", None, {"n_features_in": "two"}, "n_features_in"),
    ("clf", None, {"input_kind": "images"}, "input_kind"),
    ("clf", None, {"loss_curve": [float("nan")]}, "loss_curve"),
    ("clf", {"W_hh": np.full((3, 3), np.nan, np.float32)}, None, "W_hh"),
    ("clf", {"b_y": np.array([np.inf, 0, 0], np.float32)}, None, "b_y"),
    ("clf", {"W_hh": np.zeros((3, 3), np.float64)}, None, "W_hh"),
    ("clf", {"x_scale": np.zeros(2)}, None, "x_scale"),
    ("clf", {"x_mean": np.array([np.nan, 0.0])}, None, "x_mean"),
    ("clf", {"x_mean": np.zeros(3)}, None, "x_mean"),
    ("reg", None, {"fitted.y_scale": [0.0]}, "fitted"),
    ("reg", None, {"fitted.y_mean": [1.0, 2.0]}, "fitted"),
    ("reg", None, {"fitted.y_ndim": 3}, "fitted"),
    ("reg", None, {"params.bidirectional": False}, "W_hy"),
    ("tok", {"embedding": np.full((7, 4), np.nan, np.float32)}, None, "embedding"),
    ("tok", {"embedding": np.zeros((7, 5), np.float32)}, None, "embedding"),
    ("tok", {"word_ids": np.arange(6) + 3}, None, "word_ids"),
    ("tok", {"word_ids": np.zeros(6, np.int64)}, None, "word_ids"),
    ("tok", {"word_ids": np.arange(5)}, None, "word_ids"),
    ("tok", None, {"input_kind": "vectors"}, "embedding"),
    ("tag", None, {"fitted.classes": [0, 1, 2]}, "W_hy"),
]


@pytest.mark.parametrize("case", range(len(TAMPERED)))
def test_a_saved_model_that_disagrees_with_itself_is_refused_naming_the_field(tmp_path, case):
    from rnnfast import RNNRegressor, RNNSequenceTagger
    which, arrays, meta, field = TAMPERED[case]
    cls = {"clf": RNNClassifier, "tok": RNNClassifier, "reg": RNNRegressor,
           "tag": RNNSequenceTagger}[which]
    src = _saved_models(tmp_path)[which]
    cls.load(src)  # the untouched file loads
    bad = tampered_copy(src, tmp_path / "bad.npz", arrays, meta)
    with pytest.raises(ValueError, match=rf"bad.npz' is not a consistent saved file: '({field})"
                                         rf"|bad.npz' has no array 'W_"):
        cls.load(bad)


@settings(max_examples=10, deadline=None)
@given(weights=st.lists(st.floats(1e-3, 1e3), min_size=8, max_size=8),
       power=st.integers(-1000, 1000))
def test_sample_weights_count_only_by_their_ratios(weights, power):
    from rnnfast import RNNRegressor
    X, y = _series(n=8)
    w = np.array(weights)
    scaled = np.ldexp(w, power)
    assert np.isfinite(scaled).all() and (scaled > 0).all()
    a = RNNRegressor(hidden_size=3, epochs=2, batch_size=4).fit(X, y, sample_weight=w)
    b = RNNRegressor(hidden_size=3, epochs=2, batch_size=4).fit(X, y, sample_weight=scaled)
    assert a.loss_curve_ == b.loss_curve_  # bit for bit
