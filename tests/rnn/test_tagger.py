"""Estimators with stacked, bidirectional and ReLU layers, pooled readouts and dropout,
and RNNSequenceTagger, which labels every step."""

import numpy as np
import pytest

from rnnfast import RNNClassifier, RNNRegressor, RNNSequenceTagger


def _first_step_task(rng, n=300, T=12):
    X = rng.standard_normal((n, T, 2)).astype(np.float32)
    return X, (X[:, 0, 0] > 0).astype(int)


@pytest.mark.parametrize("kwargs", [
    dict(bidirectional=True),
    dict(num_layers=2, dropout=0.1),
    dict(num_layers=2, bidirectional=True, pooling="mean"),
    dict(nonlinearity="relu", pooling="max"),
])
def test_classifier_architectures_learn_a_task_that_needs_the_first_step(kwargs):
    X, y = _first_step_task(np.random.default_rng(0))
    model = RNNClassifier(hidden_size=12, epochs=15, learning_rate=0.01, **kwargs)
    model.fit(X[:240], y[:240])
    assert model.score(X[240:], y[240:]) > 0.85
    nd = 2 if model.bidirectional else 1
    assert model.params_["W_hy"].shape == (1, 12 * nd)
    assert len(model.params_) == 3 * model.num_layers * nd + 2


def test_a_bidirectional_reader_beats_a_forward_one_on_the_first_step():
    # a forward reader must carry the first step across 40 steps; the reverse one
    # reads it last
    rng = np.random.default_rng(1)
    X, y = _first_step_task(rng, 300, 40)
    kw = dict(hidden_size=8, epochs=6, learning_rate=0.01)
    forward = RNNClassifier(**kw).fit(X[:240], y[:240]).score(X[240:], y[240:])
    both = RNNClassifier(bidirectional=True, **kw).fit(X[:240], y[:240]).score(X[240:], y[240:])
    assert both > 0.9 and both > forward


def test_same_seed_same_network_and_dropout_changes_it():
    X, y = _first_step_task(np.random.default_rng(2), 64, 6)
    kw = dict(hidden_size=5, num_layers=2, epochs=2)
    a = RNNClassifier(dropout=0.3, **kw).fit(X, y)
    b = RNNClassifier(dropout=0.3, **kw).fit(X, y)
    c = RNNClassifier(dropout=0.0, **kw).fit(X, y)
    for k in a.params_:
        np.testing.assert_array_equal(a.params_[k], b.params_[k])
    assert not np.array_equal(a.params_["W_xh_l1"], c.params_["W_xh_l1"])


def test_regressor_save_load_keeps_the_architecture(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 7, 1))
    y = X[:, :, 0].sum(axis=1)
    model = RNNRegressor(hidden_size=6, num_layers=2, bidirectional=True, nonlinearity="relu",
                         pooling="mean", epochs=3, n_jobs=2).fit(X, y)
    model.save(tmp_path / "m.npz")
    loaded = RNNRegressor.load(tmp_path / "m.npz")
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_bad_architecture_hyperparameters_name_themselves():
    X, y = _first_step_task(np.random.default_rng(4), 20, 4)
    for kw, match in [(dict(num_layers=0), "num_layers"), (dict(dropout=1.0), "dropout"),
                      (dict(nonlinearity="gelu"), "nonlinearity"), (dict(pooling="sum"), "pooling"),
                      (dict(bidirectional=True, bptt_steps=2), "bptt_steps")]:
        with pytest.raises((ValueError, TypeError), match=match):
            RNNClassifier(epochs=1, **kw).fit(X, y)


def _tagging_data(rng, n, classes):
    lengths = rng.integers(2, 15, n)
    X = [rng.standard_normal((n_i, 1)) for n_i in lengths]
    if classes == 2:  # the sign of this step plus the one before it
        y = [np.where(s[:, 0] + np.r_[0, s[:-1, 0]] > 0, "up", "down") for s in X]
    else:  # where this step lies, in three bands
        y = [np.digitize(s[:, 0], [-0.5, 0.5]) for s in X]
    return X, y


@pytest.mark.parametrize("classes,kwargs", [
    (2, dict(bidirectional=False)),
    (3, dict(bidirectional=True)),
    (3, dict(num_layers=2, bptt_steps=4)),
])
def test_tagger_labels_every_step(classes, kwargs):
    X, y = _tagging_data(np.random.default_rng(5), 300, classes)
    model = RNNSequenceTagger(hidden_size=12, epochs=15, learning_rate=0.01, **kwargs)
    model.fit(X[:240], y[:240])
    predicted = model.predict(X[240:])
    assert [len(p) for p in predicted] == [len(s) for s in X[240:]]
    assert set(np.concatenate(predicted)) <= set(model.classes_)
    hits = np.concatenate([p == t for p, t in zip(predicted, y[240:])])
    assert model.score(X[240:], y[240:]) == pytest.approx(hits.mean())
    assert model.score(X[240:], y[240:]) > 0.9
    proba = model.predict_proba(X[240:243])
    assert [p.shape for p in proba] == [(len(s), classes) for s in X[240:243]]
    np.testing.assert_allclose([p.sum(axis=1) for p in proba][0], 1.0)


def test_tagger_weights_partial_fit_and_persistence(tmp_path):
    X, y = _tagging_data(np.random.default_rng(6), 60, 3)
    w = np.ones(60)
    w[:30] = 0  # zero weights are as if those sequences were absent
    a = RNNSequenceTagger(hidden_size=5, epochs=2).fit(X, y, sample_weight=w)
    b = RNNSequenceTagger(hidden_size=5, epochs=2).fit(X[30:], y[30:])
    np.testing.assert_allclose(a.params_["W_hy"], b.params_["W_hy"], rtol=1e-5)
    model = RNNSequenceTagger(hidden_size=5)
    model.partial_fit(X, y, classes=[0, 1, 2])
    model.partial_fit(X, y)
    assert model.n_iter_ == 2
    model.save(tmp_path / "t.npz")
    loaded = RNNSequenceTagger.load(tmp_path / "t.npz")
    for p, q in zip(loaded.predict(X[:5]), model.predict(X[:5])):
        np.testing.assert_array_equal(p, q)


def test_tagger_refuses_labels_that_do_not_fit_the_sequences():
    X, y = _tagging_data(np.random.default_rng(7), 10, 2)
    with pytest.raises(ValueError, match=r"y\[3\] must hold one label per step of X\[3\]"):
        RNNSequenceTagger(epochs=1).fit(X, y[:3] + [y[3][:-1]] + y[4:])
    with pytest.raises(ValueError, match="X has 10 sequences but y has 9"):
        RNNSequenceTagger(epochs=1).fit(X, y[:9])
    with pytest.raises(ValueError, match="pooling does not apply"):
        RNNSequenceTagger(epochs=1, pooling="mean").fit(X, y)
    with pytest.raises(ValueError, match="classes must be passed"):
        RNNSequenceTagger().partial_fit(X, y)
