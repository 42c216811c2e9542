"""Files saved by rnnfast 0.1.0 before the subpackages (commit c3e9338; see
data/saved_0_1_0/README.md) load and give what they gave then."""

import pathlib

import numpy as np
import pytest

from rnnfast import GloVe, KeyedVectors, RNNClassifier, RNNSequenceTagger, Word2Vec

SAVED = pathlib.Path(__file__).parent / "data" / "saved_0_1_0"


@pytest.fixture(scope="module")
def expected():
    with np.load(SAVED / "expected.npz") as f:
        return dict(f)


@pytest.fixture(scope="module")
def probe():
    with np.load(SAVED / "probe.npz") as f:
        return [f[f"arr_{i}"] for i in range(len(f.files))]


def test_word2vec_and_keyedvectors_load(expected):
    model = Word2Vec.load(SAVED / "word2vec.npz")
    np.testing.assert_array_equal(model.wv["king"], expected["w2v_king"])
    kv = KeyedVectors.load(SAVED / "vectors.kv.npz")
    np.testing.assert_array_equal(kv["queen"], expected["kv_queen"])
    model.train([kv.index_to_key[:6]] * 5, total_examples=5, epochs=1)  # and trains on


def test_glove_checkpoint_loads(expected):
    glove = GloVe.load(SAVED / "glove.ckpt.npz")
    np.testing.assert_array_equal(glove.state_["W"], expected["glove_W"])


def test_estimators_load_and_predict_the_same(expected, probe):
    clf = RNNClassifier.load(SAVED / "classifier.npz")
    np.testing.assert_allclose(clf.predict_proba(probe), expected["proba"], rtol=1e-6,
                               atol=1e-7)
    tagger = RNNSequenceTagger.load(SAVED / "tagger.npz")
    np.testing.assert_allclose(np.concatenate(tagger.predict_proba(probe)), expected["tags"],
                               rtol=1e-6, atol=1e-7)
