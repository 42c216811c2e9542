"""scikit-learn's own estimator checks and tools on the RNN estimators."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from rnnfast import RNNClassifier, RNNRegressor  # noqa: E402

# Each entry is a check the estimators fail by design, with the reason.
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data":
        "training is mini-batch SGD over shuffled batches: a weight of 2 and a repeated "
        "row give the same objective, but different batches and so a different model "
        "(zero weights do equal removed rows exactly)",
}


@parametrize_with_checks(
    [RNNClassifier(hidden_size=8, epochs=20, learning_rate=1e-2),
     RNNRegressor(hidden_size=8, epochs=20, learning_rate=1e-2)],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 6))
    return X, (X[:, :3].sum(axis=1) > 0).astype(int), np.argmax(X[:, :3], axis=1)


def test_grid_search_in_a_pipeline_scores_every_setting(series):
    X, y, _ = series
    search = GridSearchCV(Pipeline([("rnn", RNNClassifier(epochs=5, learning_rate=1e-2))]),
                          {"rnn__hidden_size": [2, 4]}, cv=3, error_score="raise")
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and scores.max() > 0.6
    assert search.best_params_["rnn__hidden_size"] in (2, 4)


@pytest.mark.parametrize("scoring", ["roc_auc", "neg_log_loss", "balanced_accuracy", "f1"])
def test_cross_val_score_with_binary_scorers(series, scoring):
    X, y, _ = series
    scores = cross_val_score(RNNClassifier(hidden_size=4, epochs=5), X, y, cv=3,
                             scoring=scoring, error_score="raise")
    assert np.isfinite(scores).all()


@pytest.mark.parametrize("scoring", ["roc_auc_ovr", "neg_log_loss", "accuracy"])
def test_cross_val_score_with_multiclass_scorers(series, scoring):
    X, _, y3 = series
    scores = cross_val_score(RNNClassifier(hidden_size=4, epochs=5), X, y3, cv=3,
                             scoring=scoring, error_score="raise")
    assert np.isfinite(scores).all()


def test_regressor_scorers_clone_and_fitted_state(series):
    X, y, _ = series
    reg = RNNRegressor(hidden_size=4, epochs=5)
    assert is_regressor(reg) and is_classifier(RNNClassifier())
    with pytest.raises(NotFittedError):
        check_is_fitted(reg)
    with pytest.raises(NotFittedError):
        reg.predict(X)
    scores = cross_val_score(reg, X, X.sum(axis=1), cv=3, scoring="neg_mean_squared_error",
                             error_score="raise")
    assert np.isfinite(scores).all()
    reg.fit(X, X.sum(axis=1))
    check_is_fitted(reg)
    copy = clone(reg)
    assert copy.get_params() == reg.get_params() and not hasattr(copy, "params_")
