"""The RNN estimators' scikit-learn conventions: multi-class, weights, continued
training, 2-D series, standardisation; with and without scikit-learn installed."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from rnnfast import RNNClassifier, RNNRegressor
from rnnfast._core import persist

SMALL = dict(hidden_size=8, epochs=20, learning_rate=1e-2)


@pytest.fixture(scope="module")
def three_class():
    """Label: which of the three features has the largest sum over the sequence."""
    rng = np.random.default_rng(4)
    X = [rng.standard_normal((rng.integers(2, 10), 3)) for _ in range(600)]
    y = np.array(["a", "b", "c"])[[int(np.argmax(x.sum(axis=0))) for x in X]]
    return X, y


def test_multiclass_learns_and_gives_probabilities(three_class):
    X, y = three_class
    clf = RNNClassifier(hidden_size=16, epochs=15, learning_rate=1e-2).fit(X[:500], y[:500])
    assert clf.params_["W_hy"].shape == (3, 16) and clf.classes_.tolist() == ["a", "b", "c"]
    assert clf.score(X[500:], y[500:]) > 0.85
    proba = clf.predict_proba(X[500:])
    assert proba.shape == (100, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X[500:]), rtol=1e-10)
    assert (clf.classes_[proba.argmax(axis=1)] == clf.predict(X[500:])).all()
    assert clf.decision_function(X[:7]).shape == (7, 3)


def test_binary_log_proba_is_stable_and_consistent():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 5))
    y = (X.sum(axis=1) > 0).astype(int)
    clf = RNNClassifier(**SMALL).fit(X, y)
    log_p = clf.predict_log_proba(X)
    np.testing.assert_allclose(np.exp(log_p), clf.predict_proba(X), rtol=1e-12)
    z = clf.decision_function(X)
    np.testing.assert_allclose(log_p[:, 1], -np.log1p(np.exp(-z)), rtol=1e-10)


def test_zero_weights_equal_removed_samples(three_class):
    X, y = three_class
    w = np.ones(300)
    w[::4] = 0
    kept = [x for x, wi in zip(X[:300], w) if wi]
    a = RNNClassifier(**SMALL).fit(X[:300], y[:300], sample_weight=w)
    b = RNNClassifier(**SMALL).fit(kept, y[:300][w > 0])
    np.testing.assert_array_equal(a.predict_proba(X[300:]), b.predict_proba(X[300:]))
    ones = RNNClassifier(**SMALL).fit(X[:300], y[:300], sample_weight=np.ones(300))
    plain = RNNClassifier(**SMALL).fit(X[:300], y[:300])
    np.testing.assert_array_equal(ones.predict_proba(X[300:]), plain.predict_proba(X[300:]))


def test_weights_and_class_weights_shift_the_decision():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((400, 4))
    y = (X[:, 0] + 0.8 * rng.standard_normal(400) > 1.0).astype(int)  # ~20% positives
    plain = RNNClassifier(**SMALL).fit(X, y)
    balanced = RNNClassifier(**SMALL, class_weight="balanced").fit(X, y)
    heavy = RNNClassifier(**SMALL).fit(X, y, sample_weight=np.where(y == 1, 4.0, 1.0))
    by_dict = RNNClassifier(**SMALL, class_weight={1: 4.0}).fit(X, y)
    recall = [np.mean(m.predict(X)[y == 1] == 1) for m in (plain, balanced, heavy, by_dict)]
    assert recall[1] > recall[0] + 0.1 and recall[2] > recall[0] + 0.1
    np.testing.assert_array_equal(heavy.predict_proba(X), by_dict.predict_proba(X))
    # the weighted score is the weighted mean of hits
    w = rng.random(400)
    hits = plain.predict(X) == y
    assert plain.score(X, y, sample_weight=w) == pytest.approx(np.average(hits, weights=w))
    with pytest.raises(ValueError, match="class_weight has labels not in y"):
        RNNClassifier(class_weight={7: 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight must be None, 'balanced' or a dict"):
        RNNClassifier(class_weight="equal").fit(X, y)
    with pytest.raises(ValueError, match="sample_weight is all zero"):
        RNNClassifier(class_weight={0: 0.0, 1: 0.0}).fit(X, y)


def test_weighted_threads_match_one_thread(three_class):
    X, y = three_class
    w = np.random.default_rng(5).random(300) + 0.1
    settings = dict(SMALL, epochs=3, dtype="float64")
    one = RNNClassifier(**settings).fit(X[:300], y[:300], sample_weight=w)
    two = RNNClassifier(**settings, n_jobs=2).fit(X[:300], y[:300], sample_weight=w)
    for k in one.params_:
        np.testing.assert_allclose(two.params_[k], one.params_[k], rtol=1e-8, atol=1e-10)


def test_warm_start_and_partial_fit_continue_training(three_class):
    X, y = three_class
    clf = RNNClassifier(**dict(SMALL, epochs=3), warm_start=True).fit(X[:300], y[:300])
    W = clf.params_["W_hh"].copy()
    clf.fit(X[:300], y[:300])
    assert clf.n_iter_ == 6 and len(clf.loss_curve_) == 6
    assert not np.array_equal(W, clf.params_["W_hh"])
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    # partial_fit: one epoch per call, classes fixed by the first call
    pf = RNNClassifier(**SMALL)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        pf.partial_fit(X[:50], y[:50])
    for start in range(0, 300, 100):
        pf.partial_fit(X[start:start + 100], y[start:start + 100], classes=["a", "b", "c"])
    assert pf.n_iter_ == 3 and pf.classes_.tolist() == ["a", "b", "c"]
    with pytest.raises(ValueError, match="labels not in classes_"):
        pf.partial_fit(X[:3], ["a", "b", "z"])
    # without warm_start, fit starts again
    cold = RNNClassifier(**dict(SMALL, epochs=3)).fit(X[:300], y[:300])
    cold.fit(X[:300], y[:300])
    assert cold.n_iter_ == 3
    reg = RNNRegressor(**SMALL).partial_fit(np.ones((10, 4)), np.arange(10.0))
    assert reg.n_iter_ == 1


def test_two_d_series_are_univariate_and_standardised():
    rng = np.random.default_rng(3)
    level = 300 + rng.standard_normal((200, 12)).cumsum(axis=1)  # far from 0, like CO2 ppm
    y = level[:, -1] + 0.5 * (level[:, -1] - level[:, -2])
    reg = RNNRegressor(hidden_size=8, epochs=40, learning_rate=1e-2).fit(level[:150], y[:150])
    assert reg.n_features_in_ == 12 and reg.params_["W_xh"].shape == (8, 1)
    assert reg.x_mean_ == pytest.approx([level[:150].mean()])
    assert reg.score(level[150:], y[150:]) > 0.9
    # the same series as (n, T, 1) sequences give the same model
    same = RNNRegressor(hidden_size=8, epochs=40, learning_rate=1e-2).fit(
        level[:150, :, None], y[:150])
    np.testing.assert_allclose(same.predict(level[150:, :, None]), reg.predict(level[150:]))
    raw = RNNRegressor(hidden_size=8, epochs=40, learning_rate=1e-2,
                       standardize=False).fit(level[:150], y[:150])
    assert raw.x_mean_ is None and raw.score(level[150:], y[150:]) < reg.score(level[150:],
                                                                              y[150:])
    with pytest.raises(ValueError, match="X has 11 features, but RNNRegressor is expecting 12"):
        reg.predict(level[:5, 1:])
    # other lengths go in as sequences
    assert reg.predict([level[0, :5], level[1]]).shape == (2,)


def test_integer_tables_are_series_unless_an_embedding_is_given():
    X = np.arange(40).reshape(10, 4) % 3
    y = X[:, 0] % 2
    assert RNNClassifier(epochs=1).fit(X, y)._input_kind == "table"
    emb = RNNClassifier(epochs=1, embedding=np.eye(3)).fit(X, y)
    assert emb._input_kind == "tokens" and emb.n_features_in_ == 3


def test_save_and_load_keep_classes_scaling_and_counts(tmp_path, three_class):
    X, y = three_class
    clf = RNNClassifier(**dict(SMALL, epochs=2)).fit(X[:200], y[:200])
    clf.save(tmp_path / "m.npz")
    back = RNNClassifier.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.predict_proba(X[200:]), clf.predict_proba(X[200:]))
    np.testing.assert_array_equal(back.x_scale_, clf.x_scale_)
    assert back.n_iter_ == 2 and back.get_params() == clf.get_params()


def test_files_of_the_unreleased_format_1_are_refused_naming_the_setting(tmp_path):
    # format 1 was written only by development builds before 0.1.0: no shim reads it
    rng = np.random.default_rng(0)
    arrays = {"W_xh": rng.standard_normal((3, 2)), "W_hh": np.eye(3), "b_h": np.zeros(3),
              "W_hy": rng.standard_normal((1, 3)), "b_y": np.zeros(1)}
    params = dict(hidden_size=3, epochs=1, seed=4, dtype="float64")
    meta = {"params": params, "fitted": {"classes": [0, 1]}, "n_features_in": 2,
            "loss_curve": [0.5], "validation_scores": []}
    persist.save(tmp_path / "old.npz", "rnnfast.RNNClassifier", 1, meta, arrays)
    with pytest.raises(ValueError, match="old.npz' is not a consistent saved file: 'params' "
                                         ".*unexpected keyword argument 'seed'"):
        RNNClassifier.load(tmp_path / "old.npz")


def test_random_state_forms():
    X = np.random.default_rng(0).standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(int)
    a = RNNClassifier(epochs=2, random_state=7).fit(X, y)
    b = RNNClassifier(epochs=2, random_state=np.random.RandomState(3)).fit(X, y)
    c = RNNClassifier(epochs=2, random_state=None).fit(X, y)
    assert all(m.n_iter_ == 2 for m in (a, b, c))
    with pytest.raises(ValueError, match="random_state must be None, an int"):
        RNNClassifier(random_state="seven").fit(X, y)


def test_fallback_bases_work_without_scikit_learn(tmp_path):
    # a fresh interpreter in which scikit-learn cannot be imported
    code = textwrap.dedent("""
        import sys
        sys.modules["sklearn"] = None
        import numpy as np
        from rnnfast import RNNClassifier, RNNRegressor
        from rnnfast._core import sklearn_compat as _sklearn
        assert not _sklearn.HAVE_SKLEARN
        X = np.random.default_rng(0).standard_normal((60, 4))
        y = np.array(["n", "p", "q"])[np.argmax(X[:, :3], axis=1)]
        clf = RNNClassifier(hidden_size=4, epochs=2)
        assert repr(clf) == "RNNClassifier(epochs=2, hidden_size=4)"
        try:
            clf.predict(X)
        except _sklearn.NotFittedError as e:
            assert isinstance(e, ValueError) and isinstance(e, AttributeError)
        else:
            raise AssertionError("no NotFittedError")
        clf.set_params(epochs=3).fit(X, y)
        w = np.linspace(0, 1, 60)
        assert abs(clf.score(X, y, w) - np.average(clf.predict(X) == y, weights=w)) < 1e-12
        reg = RNNRegressor(hidden_size=4, epochs=2).fit(X, X.sum(axis=1))
        assert -1 < reg.score(X, X.sum(axis=1)) <= 1
        try:
            clf.set_params(hidden=2)
        except ValueError as e:
            assert "Invalid parameter 'hidden'" in str(e)
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path)  # not the source tree: the installed package
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_fallback_r2_matches_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    from rnnfast._core.sklearn_compat import r2_score
    rng = np.random.default_rng(1)
    y, p, w = rng.standard_normal((30, 3)), rng.standard_normal((30, 3)), rng.random(30)
    y[:, 2] = 1.0
    for pred in (p, y):
        assert r2_score(y, pred, w) == pytest.approx(metrics.r2_score(y, pred, sample_weight=w))


@pytest.mark.parametrize("horizon", [1, 3])
def test_differenced_windows_rebuild_the_series(horizon):
    from rnnfast import sliding_windows
    rng = np.random.default_rng(0)
    series = 300 + np.arange(40) * 0.5 + rng.standard_normal(40)
    X, change = sliding_windows(series, 6, horizon, difference=True)
    m = 40 - 6 - horizon
    assert X.shape == (m, 6, 1) and change.shape == (m,)
    for i in (0, m - 1):
        np.testing.assert_allclose(X[i, :, 0], np.diff(series[i:i + 7]))
    last = series[6:6 + m]
    np.testing.assert_allclose(last + change, series[6 + horizon:])
    # a straight line: every difference is the slope
    X, change = sliding_windows(np.arange(10.0) * 2, 3, horizon, difference=True)
    assert np.all(X == 2) and np.all(change == 2 * horizon)
    with pytest.raises(ValueError, match="at least 2 values"):
        sliding_windows([1.0], 1, difference=True)
