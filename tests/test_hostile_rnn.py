"""The RNN estimators given hostile inputs and settings: each trains what it reports
or raises naming the argument."""

import numpy as np
import pytest

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


def test_the_kernel_refuses_weights_whose_sum_overflows():
    from rnnfast import functional as F
    rng = np.random.default_rng(0)
    params = {"W_xh": rng.normal(size=(3, 2)), "W_hh": rng.normal(size=(3, 3)),
              "b_h": np.zeros(3), "W_hy": rng.normal(size=(1, 3)), "b_y": np.zeros(1)}
    with pytest.raises(ValueError, match="sample_weight sums past float64"):
        F.rnn_loss_and_grads(params, rng.normal(size=(2, 4, 2)), np.array([0.0, 1.0]),
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
    from rnnfast import RNNRegressor, optimizers
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
