"""The estimators' encoder outputs: transform (the features the head reads, usable in a
Pipeline), hidden_states (every step's) and their names, against the NumPy reference."""

import numpy as np
import pytest
from conftest import assert_close

from rnnfast import RNNClassifier, RNNRegressor, RNNSequenceTagger, reference
from rnnfast.rnn.reference import rnn_readout


def reference_features(model, X):
    """The pooled top-layer outputs of the fitted `model` by the NumPy twin."""
    data = model._inputs(X)
    index = np.arange(len(data))
    feats, states = [], []
    for i in index:  # one sequence at a time: no padding anywhere
        x, lengths, _ = data.batch(index[i:i + 1], model.embedding_, model.dtype)
        kw = dict(num_layers=model.num_layers, bidirectional=model.bidirectional,
                  nonlinearity=model.nonlinearity)
        names = [k for k in model.params_ if k not in ("W_hy", "b_y")]
        out, h_n = reference.rnn_layers_forward({k: model.params_[k] for k in names}, x,
                                                lengths, **kw)
        nd = 2 if model.bidirectional else 1
        h_last = np.concatenate(list(h_n[-nd:]), axis=1)
        feats.append(rnn_readout(out, h_last, lengths, model.pooling)[0])
        states.append(out[0])
    return np.array(feats), states


@pytest.mark.parametrize("num_layers, bidirectional, pooling", [
    (1, False, "last"), (1, True, "last"), (2, True, "mean"), (2, False, "max")])
def test_transform_and_hidden_states_match_the_reference(num_layers, bidirectional, pooling):
    rng = np.random.default_rng(num_layers + 2 * bidirectional)
    X = [rng.standard_normal((n, 3)) for n in rng.integers(1, 9, 40)]
    y = rng.integers(0, 2, 40)
    clf = RNNClassifier(hidden_size=5, num_layers=num_layers, bidirectional=bidirectional,
                        pooling=pooling, epochs=2, dtype="float64").fit(X, y)
    feats, states = reference_features(clf, X)
    got = clf.transform(X)
    nd = 2 if bidirectional else 1
    assert got.shape == (40, nd * 5) and got.dtype == np.float64
    assert_close(got, feats, np.float64)
    hidden = clf.hidden_states(X)
    assert len(hidden) == 40
    for h, want, x in zip(hidden, states, X):
        assert h.shape == (len(x), nd * 5)
        assert_close(h, want, np.float64)
    # the head reads exactly these features
    assert_close(clf.decision_function(X), got @ clf.params_["W_hy"][0] + clf.params_["b_y"][0],
                 np.float64)


def test_transform_of_a_regressor_and_a_tagger_in_float32():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 6, 2))
    reg = RNNRegressor(hidden_size=4, epochs=1).fit(X, rng.standard_normal(30))
    feats, _ = reference_features(reg, X)
    got = reg.transform(X)
    assert got.dtype == np.float32 and got.shape == (30, 4)
    assert_close(got, feats, np.float32)
    tagger = RNNSequenceTagger(hidden_size=4, epochs=1).fit(list(X), list(X[:, :, 0] > 0))
    feats, states = reference_features(tagger, list(X))
    assert_close(tagger.transform(list(X)), feats, np.float32)
    assert_close(np.array(tagger.hidden_states(list(X))), np.array(states), np.float32)


def test_feature_names_and_fit_transform():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((20, 4, 2)), rng.integers(0, 2, 20)
    clf = RNNClassifier(hidden_size=3, bidirectional=True, epochs=1, random_state=1)
    with pytest.raises(Exception, match="not fitted"):
        clf.get_feature_names_out()
    first = clf.fit_transform(X, y)
    np.testing.assert_array_equal(first, clf.transform(X))
    names = clf.get_feature_names_out()
    assert names.dtype == object and names.tolist() == [f"rnnclassifier{i}" for i in range(6)]


def test_an_rnn_before_another_model_in_a_pipeline():
    pipeline = pytest.importorskip("sklearn.pipeline")
    linear = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(6)
    X = rng.standard_normal((200, 8, 2))
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    pipe = pipeline.make_pipeline(RNNClassifier(hidden_size=8, epochs=20, learning_rate=1e-2),
                                  linear.LogisticRegression())
    pipe.fit(X[:150], y[:150])
    assert pipe.score(X[150:], y[150:]) > 0.8
    assert pipe[:-1].get_feature_names_out().tolist()[:2] == ["rnnclassifier0",
                                                              "rnnclassifier1"]
