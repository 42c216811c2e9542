"""RNNClassifier / RNNRegressor: learning, conventions, inputs, persistence."""

import pickle

import numpy as np
import pytest

from rnnfast import KeyedVectors, RNNClassifier, RNNRegressor, simple_tokenize, sliding_windows
from rnnfast.rnn.estimators import NotFittedError


@pytest.fixture(scope="module")
def sum_task():
    """Label: is the sum of the first feature positive? Variable lengths 1..15."""
    rng = np.random.default_rng(0)
    X = [rng.standard_normal((rng.integers(1, 16), 2)) for _ in range(1200)]
    y = np.array(["neg", "pos"])[[int(x[:, 0].sum() > 0) for x in X]]
    return X, y


@pytest.fixture(scope="module")
def token_task():
    rng = np.random.default_rng(1)
    words = ["good", "great", "fine", "bad", "awful", "poor", "the", "a", "movie", "was"]
    vectors = rng.standard_normal((len(words), 6))
    X, y = [], []
    for _ in range(600):
        positive = rng.random() < 0.5
        mood = words[:3] if positive else words[3:6]
        seq = [words[i] for i in rng.integers(6, 10, rng.integers(2, 8))]
        seq.insert(rng.integers(len(seq) + 1), mood[rng.integers(3)])
        X.append(seq)
        y.append(int(positive))
    return KeyedVectors.from_arrays(words, vectors), X, np.array(y)


def test_classifier_learns(sum_task):
    X, y = sum_task
    clf = RNNClassifier(hidden_size=24, epochs=12, learning_rate=1e-2, random_state=1)
    assert clf.fit(X[:1000], y[:1000]) is clf
    assert clf.score(X[1000:], y[1000:]) > 0.85
    assert list(clf.classes_) == ["neg", "pos"]
    proba = clf.predict_proba(X[1000:1010])
    assert proba.shape == (10, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.predict(X[1000:1010]),
                                  clf.classes_[(proba[:, 1] > 0.5).astype(int)])
    np.testing.assert_array_equal(clf.decision_function(X[1000:1010]) > 0, proba[:, 1] > 0.5)
    assert len(clf.loss_curve_) == 12 and clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_regressor_learns_a_time_series():
    rng = np.random.default_rng(2)
    series = np.sin(np.arange(500) * 0.3) + 0.05 * rng.standard_normal(500)
    X, y = sliding_windows(series, 10)
    assert X.shape == (490, 10, 1) and y.shape == (490,)
    np.testing.assert_array_equal(y[:3], series[10:13])
    reg = RNNRegressor(hidden_size=16, epochs=25, learning_rate=1e-2, random_state=0).fit(X[:400], y[:400])
    assert reg.score(X[400:], y[400:]) > 0.9
    assert reg.predict(X[400:]).shape == (90,)
    two = RNNRegressor(hidden_size=8, epochs=2).fit(X[:100], np.column_stack([y[:100], -y[:100]]))
    assert two.predict(X[:5]).shape == (5, 2)


def test_tokens_with_an_embedding(token_task):
    kv, X, y = token_task
    for kwargs in ({}, {"freeze_embedding": True}, {"n_jobs": 2}, {"bptt_steps": 4},
                   {"optimizer": "sgd", "learning_rate": 0.5}):
        settings = {"hidden_size": 16, "epochs": 8, "learning_rate": 2e-2, "random_state": 0, **kwargs}
        clf = RNNClassifier(embedding=kv, **settings).fit(X[:500], y[:500])
        assert clf.score(X[500:], y[500:]) > 0.9, kwargs
    frozen = RNNClassifier(embedding=kv, freeze_embedding=True, epochs=2).fit(X[:100], y[:100])
    np.testing.assert_array_equal(frozen.embedding_[:-1], kv.vectors)  # only unknown row learns
    trained = RNNClassifier(embedding=kv, epochs=2).fit(X[:100], y[:100])
    assert not np.allclose(trained.embedding_[:-1], kv.vectors)
    assert clf.predict([["never", "seen", "words"]]).shape == (1,)


@pytest.mark.parametrize("freeze", [False, True])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_one_sgd_step_on_tokens_matches_the_reference(token_task, monkeypatch, freeze, n_jobs):
    # one batch, plain SGD: every weight and embedding row moves by -lr times the
    # reference gradient (the embedding's summed over the steps that hold the word)
    from rnnfast import reference
    kv, X, y = token_task
    X = [s + (["unheard"] if i % 3 == 0 else []) for i, s in enumerate(X[:10])]
    y = y[:10]
    init = {}
    from rnnfast.rnn import estimators
    original = estimators.init_params

    def capture(*args):
        params = original(*args)
        init.update({k: v.copy() for k, v in params.items()})
        return params

    monkeypatch.setattr(estimators, "init_params", capture)
    settings = dict(embedding=kv, hidden_size=5, epochs=1, batch_size=len(X), optimizer="sgd",
                    learning_rate=0.1, clip_norm=None, freeze_embedding=freeze, n_jobs=n_jobs,
                    dtype="float64", random_state=3)
    clf = RNNClassifier(**settings).fit(X, y)
    fresh = RNNClassifier(**settings)
    data = fresh._fit_inputs(X, fresh._rng())  # the same ids and initial embedding table
    emb_before = fresh.embedding_
    ids = np.zeros((len(X), data.lengths.max()), int)
    for row, seq in enumerate(data.seqs):
        ids[row, :len(seq)] = seq
    _, grads = reference.rnn_loss_and_grads(init, emb_before[ids], y, data.lengths, "binary",
                                            input_grad=True)
    for k in init:
        np.testing.assert_allclose(clf.params_[k], init[k] - 0.1 * grads[k], rtol=1e-10,
                                   atol=1e-12, err_msg=k)
    want = emb_before.copy()
    np.add.at(want, ids.ravel(), -0.1 * grads["x"].reshape(-1, kv.vector_size))
    if freeze:  # only the unknown-token row learns
        want[:-1] = emb_before[:-1]
    np.testing.assert_allclose(clf.embedding_, want, rtol=1e-10, atol=1e-12)


def test_embedding_as_array_with_int_ids_or_words(token_task):
    kv, X, y = token_task
    ids = [[kv.key_to_index[w] for w in s] for s in X]
    clf = RNNClassifier(embedding=kv.vectors, epochs=3, random_state=0).fit(ids[:300], y[:300])
    assert clf.predict(ids[300:305]).shape == (5,)
    with pytest.raises(ValueError, match="ids outside"):
        clf.predict([[999]])
    clf = RNNClassifier(embedding=(kv.vectors, kv.index_to_key), epochs=1).fit(X[:50], y[:50])
    same = RNNClassifier(embedding=kv, epochs=1).fit(X[:50], y[:50])  # words to the same rows
    np.testing.assert_array_equal(clf.predict_proba(X[50:60]), same.predict_proba(X[50:60]))


def test_early_stopping_and_validation(sum_task):
    X, y = sum_task
    clf = RNNClassifier(epochs=40, early_stopping=True, n_iter_no_change=2, random_state=0,
                        learning_rate=3e-2).fit(X, y)
    assert clf.n_iter_ < 40
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_same_seed_gives_the_same_model(sum_task):
    X, y = sum_task
    a = RNNClassifier(hidden_size=8, epochs=2, random_state=5).fit(X[:200], y[:200])
    b = RNNClassifier(hidden_size=8, epochs=2, random_state=5).fit(X[:200], y[:200])
    for k in a.params_:
        np.testing.assert_array_equal(a.params_[k], b.params_[k])


def test_initial_recurrent_matrix_is_orthogonal(sum_task):
    from rnnfast.rnn.diagnostics import spectral_radius
    X, y = sum_task
    clf = RNNClassifier(hidden_size=12, epochs=1, learning_rate=0.0).fit(X[:20], y[:20])
    W = clf.params_["W_hh"].astype(np.float64)
    np.testing.assert_allclose(W @ W.T, np.eye(12), atol=1e-5)
    assert spectral_radius(W) == pytest.approx(1.0, abs=1e-5)


def test_get_set_params_and_repr():
    clf = RNNClassifier(hidden_size=7)
    params = clf.get_params()
    assert params["hidden_size"] == 7 and params["optimizer"] == "adam"
    assert clf.set_params(epochs=3) is clf and clf.epochs == 3
    with pytest.raises(ValueError, match="Invalid parameter 'hidden'"):
        clf.set_params(hidden=3)
    assert repr(clf) == "RNNClassifier(epochs=3, hidden_size=7)"


def test_save_load_and_pickle(tmp_path, token_task, sum_task):
    kv, X, y = token_task
    clf = RNNClassifier(embedding=kv, epochs=2, random_state=0).fit(X[:100], y[:100])
    clf.save(tmp_path / "clf.npz")
    back = RNNClassifier.load(tmp_path / "clf.npz")
    np.testing.assert_allclose(back.predict_proba(X[:20]), clf.predict_proba(X[:20]))
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.decision_function(X[:20]), clf.decision_function(X[:20]))
    Xs, ys = sum_task
    reg = RNNRegressor(epochs=1).fit(Xs[:50], np.arange(50.0))
    reg.save(tmp_path / "reg.npz")
    np.testing.assert_allclose(RNNRegressor.load(tmp_path / "reg.npz").predict(Xs[:5]),
                               reg.predict(Xs[:5]))
    with pytest.raises(ValueError, match="not a saved rnnfast.RNNClassifier"):
        RNNClassifier.load(tmp_path / "reg.npz")


def test_bad_inputs(sum_task, token_task):
    X, y = sum_task
    kv, tokens, ty = token_task
    clf = RNNClassifier(epochs=1)
    cases = [
        (([], []), ValueError, "Found array with 0 sample"),
        ((X[:10], y[:9]), ValueError, "X has 10 sequences but y has 9 targets"),
        ((X[:10], ["a"] * 10), ValueError, "at least two classes .* got 1"),
        ((X[:10], np.linspace(0, 1, 10)), ValueError, "Unknown label type: continuous"),
        (([np.full((3, 2), np.nan)] + X[1:10], y[:10]), ValueError, r"X\[0\] contains NaN"),
        (([np.zeros((0, 2))] + X[1:10], y[:10]), ValueError, "zero-length sequence"),
        (([np.zeros((3, 3))] + X[1:10], y[:10]), ValueError, r"X\[1\] has 2 features per step, but X\[0\] has 3"),
        ((tokens[:10], ty[:10]), ValueError, "give embedding="),
        ((np.zeros(4), [0, 1, 0, 1]), ValueError, "Reshape your data"),
        ((np.zeros((4, 3, 1, 1)), [0, 1, 0, 1]), ValueError, "must be a 2-D .* or 3-D"),
        (([np.zeros((4, 3, 1))] * 4, [0, 1, 0, 1]), ValueError, r"X\[0\] must be 2-D"),
    ]
    for (Xb, yb), exc, match in cases:
        with pytest.raises(exc, match=match):
            RNNClassifier(epochs=1).fit(Xb, yb)
    with pytest.raises(ValueError, match="y contains NaN"):
        RNNRegressor(epochs=1).fit(X[:4], [0.0, np.nan, 1.0, 2.0])
    with pytest.raises(NotFittedError, match="not fitted yet"):
        clf.predict(X[:2])
    with pytest.raises(ValueError, match="optimizer must be"):
        RNNClassifier(optimizer="rmsprop").fit(X[:10], y[:10])
    with pytest.raises(ValueError, match="hidden_size must be >= 1"):
        RNNClassifier(hidden_size=0).fit(X[:10], y[:10])
    fitted = RNNClassifier(embedding=kv, epochs=1).fit(tokens[:20], ty[:20])
    fitted.set_params(embedding=KeyedVectors.from_arrays(["x"], np.ones((1, 3))))
    with pytest.raises(ValueError, match="width 3 but the model was fitted with width 6"):
        fitted.predict(tokens[:2])
    with pytest.raises(TypeError, match="tokenize it first"):
        RNNClassifier(embedding=kv, epochs=1).fit(["a text"] * 2 + tokens[:2], [0, 1, 0, 1])
    dense = RNNClassifier(epochs=1).fit(X[:20], y[:20])
    with pytest.raises(ValueError, match="fitted with 2"):
        dense.predict([np.zeros((3, 5))])


def test_simple_tokenize():
    assert simple_tokenize("Hello, World! It's 2024 -- e-mail") == \
        ["hello", "world", "it", "s", "e", "mail"]
    with pytest.raises(TypeError):
        simple_tokenize(None)
    with pytest.raises(ValueError, match="too short"):
        sliding_windows([1.0, 2.0], 5)
