"""Arrays read from files or assigned by users reach no kernel unchecked; mutated files
give clear errors, never a crash."""

import os

import numpy as np
import pytest
from conftest import QUIET
from hypothesis import HealthCheck, given, settings, strategies as st

from rnnfast import GloVe, KeyedVectors, Word2Vec, cooccurrence
from rnnfast.embeddings.cooccur import load_cooccurrence, save_cooccurrence

SENTENCES = [["a", "b", "c", "d", "e", "a", "b"]] * 40
SMALL = dict(vector_size=4, min_count=1, epochs=1, workers=1, **QUIET)
# what a bad file may raise: clear errors, never a crash or a silent success that trains
CLEAR = (ValueError, TypeError, KeyError, OSError, EOFError, UnicodeDecodeError)


def test_word2vec_arrays_of_the_wrong_shape_dtype_or_layout_are_refused(tmp_path):
    model = Word2Vec(SENTENCES, **SMALL)
    model.save(tmp_path / "m.npz")
    loaded = Word2Vec.load(tmp_path / "m.npz")
    loaded.syn1neg = loaded.syn1neg[:2].copy()  # fewer rows than words
    with pytest.raises(ValueError, match=r"model.syn1neg has shape \(2, 4\), not \(5, "
                                         r"vector_size=4\)"):
        loaded.train(SENTENCES)
    model.wv.vectors = model.wv.vectors.astype(np.float64)
    with pytest.raises(TypeError, match="model.wv.vectors is float64"):
        model.train(SENTENCES)
    model.wv.vectors = np.asfortranarray(model.wv.vectors.astype(np.float32))
    with pytest.raises(ValueError, match="must be a writeable C-contiguous array"):
        model.train(SENTENCES)


@pytest.mark.parametrize("key, value, match", [
    ("W", np.nan, r"\['W'\] contains NaN"),
    ("G_W", -1.0, r"\['G_W'\] must be positive"),
])
def test_glove_checkpoints_with_bad_state_are_refused(tmp_path, key, value, match):
    checkpoint = tmp_path / "state.npz"
    model = GloVe(checkpoint=checkpoint, **SMALL).fit(SENTENCES)
    model.state_[key].flat[0] = value
    model.save(checkpoint)
    with pytest.raises(ValueError, match=match):
        GloVe(checkpoint=checkpoint, **{**SMALL, "epochs": 2}).fit(SENTENCES, resume=True)


def test_numbers_past_float32_and_nul_keys():
    with pytest.raises(ValueError, match="clip must be <="):
        GloVe(clip=1e39)
    with pytest.raises(ValueError, match="alpha must be <="):
        Word2Vec(alpha=1e39)
    kv = KeyedVectors.from_arrays(["ok", "bad\x00"], np.ones((2, 2)))
    with pytest.raises(ValueError, match="without NUL"):
        kv.save("never-written.npz")


def test_a_missing_corpus_file_is_named_as_such(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus_file .* does not exist"):
        cooccurrence(["a"], corpus_file=tmp_path / "none.txt")


@settings(max_examples=200, deadline=None)
@given(weights=st.lists(st.one_of(st.just(0.0), st.floats(5e-324, 1e-300),
                                  st.floats(1e-3, 1e3), st.floats(1e300, 1e307)),
                        min_size=1, max_size=40))
def test_alias_tables_draw_each_index_by_its_weight(weights):
    from rnnfast.embeddings._sgns import alias_tables
    w = np.array(weights)
    accept, other = alias_tables(w)
    n = len(w)
    assert ((other >= 0) & (other < n)).all()
    keep = accept / 2.0**32
    implied = keep + np.bincount(other, weights=1 - keep, minlength=n)
    total = w.sum()
    if np.isfinite(total) and total > 0:
        np.testing.assert_allclose(implied / n, w / total, atol=1e-7)  # 32-bit thresholds
    else:  # nothing usable: uniform
        np.testing.assert_allclose(implied, 1.0)


def saved_files(tmp_path):
    model = Word2Vec(SENTENCES, **SMALL)
    model.save(tmp_path / "w2v.npz")
    model.wv.save(tmp_path / "kv.npz")
    model.wv.save_word2vec_format(tmp_path / "v.txt")
    model.wv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    GloVe(checkpoint=tmp_path / "glove.npz", **SMALL).fit(SENTENCES)
    save_cooccurrence(cooccurrence(model.vocab, SENTENCES, workers=1), tmp_path / "c.bin")
    loaders = {
        "w2v.npz": lambda p: Word2Vec.load(p).train(SENTENCES),
        "kv.npz": lambda p: KeyedVectors.load(p).most_similar("a"),
        "v.txt": lambda p: KeyedVectors.load_word2vec_format(p).most_similar("a"),
        "v.bin": lambda p: KeyedVectors.load_word2vec_format(p, binary=True),
        "glove.npz": lambda p: GloVe(checkpoint=p, **{**SMALL, "epochs": 2}).fit(
            SENTENCES, resume=True),
        "c.bin": lambda p: GloVe(**SMALL).fit_cooccurrence(load_cooccurrence(p, 5),
                                                           model.vocab),
    }
    return {name: (tmp_path / name).read_bytes() for name in loaders}, loaders


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    return saved_files(tmp_path_factory.mktemp("files"))


@settings(max_examples=int(os.environ.get("RNNFAST_FUZZ_EXAMPLES", 80)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_files_load_with_clear_errors_or_train_safely(originals, tmp_path, data):
    blobs, loaders = originals
    name = data.draw(st.sampled_from(sorted(blobs)))
    blob = bytearray(blobs[name])
    how = data.draw(st.sampled_from(["flip", "truncate", "zero"]))
    at = data.draw(st.integers(0, len(blob) - 1))
    if how == "truncate":
        blob = blob[:at]
    else:
        for i in range(at, min(at + data.draw(st.integers(1, 16)), len(blob))):
            blob[i] = 0 if how == "zero" else blob[i] ^ data.draw(st.integers(1, 255))
    path = tmp_path / name
    path.write_bytes(bytes(blob))
    try:
        loaders[name](path)  # a load that succeeds must also train or answer safely
    except CLEAR:
        pass
