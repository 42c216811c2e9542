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
