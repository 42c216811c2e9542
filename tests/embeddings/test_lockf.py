"""gensim's lock factors (wv.vectors_lockf) and intersect_word2vec_format: frozen vectors
stay exactly as they are through training, whichever path trains them."""

import numpy as np
import pytest

from conftest import QUIET
from rnnfast import FastText, KeyedVectors, Word2Vec
from rnnfast.datasets import toy_corpus


@pytest.fixture(scope="module")
def corpus():
    return toy_corpus(2000, seed=3)


@pytest.fixture
def corpus_file(tmp_path, corpus):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    return str(path)


def trained(corpus, **kw):
    settings = dict(vector_size=12, min_count=1, workers=1, epochs=1, seed=4, **QUIET)
    settings.update(kw)
    return Word2Vec(corpus, **settings)


@pytest.mark.parametrize("settings", [dict(sg=1), dict(sg=0), dict(sg=1, hs=1, negative=0),
                                      dict(sg=0, hs=1, negative=2, workers=2)])
@pytest.mark.parametrize("source", ["iterable", "file"])
def test_a_frozen_vector_does_not_move_and_the_others_do(corpus, corpus_file, settings, source):
    m = trained(corpus, **settings)
    V = len(m.wv)
    lockf = np.ones(V, np.float32)
    lockf[[0, 5]] = 0.0
    lockf[7] = 0.5
    m.wv.vectors_lockf = lockf
    before = m.wv.vectors.copy()
    out_before = (m.syn1neg if m.negative else m.syn1).copy()
    data = dict(corpus_iterable=corpus) if source == "iterable" else \
        dict(corpus_file=corpus_file)
    m.train(**data, total_examples=m.corpus_count, total_words=m.corpus_total_words,
            epochs=1)
    np.testing.assert_array_equal(m.wv.vectors[[0, 5]], before[[0, 5]])
    assert not np.array_equal(m.wv.vectors[[1, 7]], before[[1, 7]])
    assert not np.array_equal(m.syn1neg if m.negative else m.syn1, out_before)


def test_one_factor_scales_every_row_and_ones_change_nothing(corpus):
    frozen = trained(corpus)
    before = frozen.wv.vectors.copy()
    frozen.wv.vectors_lockf = np.zeros(1, np.float32)
    frozen.train(corpus, total_examples=frozen.corpus_count, epochs=1)
    np.testing.assert_array_equal(frozen.wv.vectors, before)
    # factors of 1 are the default's steps, bit for bit
    a, b = trained(corpus), trained(corpus)
    b.wv.vectors_lockf = np.ones(len(b.wv), np.float32)
    for m in (a, b):
        m.train(corpus, total_examples=m.corpus_count, epochs=1)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)


def test_default_is_gensims_single_one(corpus):
    m = trained(corpus)
    assert m.wv.vectors_lockf.dtype == np.float32
    np.testing.assert_array_equal(m.wv.vectors_lockf, [1.0])
    assert KeyedVectors(3).vectors_lockf.tolist() == [1.0]


@pytest.mark.parametrize("lockf, exc, match", [
    (np.ones(3, np.float32), ValueError, r"vectors_lockf must hold 1 factor .* or \d+"),
    (np.array([np.nan], np.float32), ValueError, "vectors_lockf contains NaN"),
    (np.ones((2, 2), np.float32), ValueError, "vectors_lockf must have 1 dimensions"),
    ("x", TypeError, "vectors_lockf must have dtype float"),
])
def test_bad_lock_factors_are_refused_before_training(corpus, lockf, exc, match):
    m = trained(corpus)
    before = m.wv.vectors.copy()
    m.wv.vectors_lockf = lockf
    with pytest.raises(exc, match=match):
        m.train(corpus, total_examples=m.corpus_count, epochs=1)
    np.testing.assert_array_equal(m.wv.vectors, before)


def test_lock_factors_are_saved_and_loaded(corpus, tmp_path):
    m = trained(corpus)
    lockf = np.linspace(0, 1, len(m.wv)).astype(np.float32)
    m.wv.vectors_lockf = lockf
    m.save(tmp_path / "m.model")
    m.wv.save(tmp_path / "m.kv")
    np.testing.assert_array_equal(Word2Vec.load(tmp_path / "m.model").wv.vectors_lockf, lockf)
    np.testing.assert_array_equal(KeyedVectors.load(tmp_path / "m.kv").vectors_lockf, lockf)
    plain = trained(corpus)
    plain.save(tmp_path / "p.model")
    np.testing.assert_array_equal(Word2Vec.load(tmp_path / "p.model").wv.vectors_lockf, [1.0])


def test_growing_the_vocabulary_keeps_the_factors_and_frees_new_words(corpus):
    m = trained(corpus)
    V0 = len(m.wv)
    m.wv.vectors_lockf = np.zeros(V0, np.float32)
    m.build_vocab([["brandnew", "words", "here"]], update=True)
    lockf = m.wv.vectors_lockf
    assert lockf.shape == (len(m.wv),) and len(m.wv) == V0 + 3
    assert (lockf[:V0] == 0).all() and (lockf[V0:] == 1).all()


def write_vectors(path, keys, vectors, binary):
    kv = KeyedVectors.from_arrays(keys, vectors)
    kv.save_word2vec_format(str(path), binary=binary)


@pytest.mark.parametrize("binary", [False, True])
def test_intersect_takes_shared_vectors_and_freezes_them(corpus, tmp_path, binary):
    m = trained(corpus)
    shared = m.wv.index_to_key[:3]
    rng = np.random.default_rng(0)
    theirs = rng.standard_normal((5, 12)).astype(np.float32)
    write_vectors(tmp_path / "v", shared + ["unknown1", "unknown2"], theirs, binary)
    others = m.wv.vectors[3:].copy()
    taken = m.wv.intersect_word2vec_format(str(tmp_path / "v"), lockf=0.0, binary=binary)
    assert taken == 3 and len(m.wv) == len(m.vocab)
    np.testing.assert_array_equal(m.wv.vectors[:3], theirs[:3])
    np.testing.assert_array_equal(m.wv.vectors[3:], others)
    np.testing.assert_array_equal(m.wv.vectors_lockf[:3], 0.0)
    assert (m.wv.vectors_lockf[3:] == 1.0).all()
    m.train(corpus, total_examples=m.corpus_count, epochs=1)
    np.testing.assert_array_equal(m.wv.vectors[:3], theirs[:3])    # frozen through training
    assert not np.array_equal(m.wv.vectors[3:], others)


def test_intersect_refuses_what_it_cannot_merge(corpus, tmp_path):
    m = trained(corpus)
    write_vectors(tmp_path / "v", ["a", "b"], np.ones((2, 5), np.float32), False)
    with pytest.raises(ValueError, match="holds vectors of size 5, these keys have "
                                         "vector_size 12"):
        m.wv.intersect_word2vec_format(str(tmp_path / "v"))
    with pytest.raises(ValueError, match="lockf must be finite"):
        m.wv.intersect_word2vec_format(str(tmp_path / "v"), lockf=float("nan"))
    (tmp_path / "bad").write_text("2 12\nword 1 2\n")
    with pytest.raises(ValueError, match="bad"):
        m.wv.intersect_word2vec_format(str(tmp_path / "bad"))
    m.wv.save(tmp_path / "m.kv")
    mapped = KeyedVectors.load(tmp_path / "m.kv", mmap="r")
    with pytest.raises(ValueError, match="read-only"):
        mapped.intersect_word2vec_format(str(tmp_path / "v"))


def test_fasttext_refuses_lock_factors(corpus):
    ft = FastText(corpus, vector_size=8, min_count=1, epochs=1, workers=1, bucket=100,
                  **QUIET)
    ft.wv.vectors_lockf = np.zeros(1, np.float32)
    with pytest.raises(ValueError, match="FastText does not train with "
                                         "model.wv.vectors_lockf"):
        ft.train(corpus, total_examples=ft.corpus_count, epochs=1)
    with pytest.raises(TypeError, match="intersect_word2vec_format is not supported"):
        ft.wv.intersect_word2vec_format("anything")


def test_files_whose_lock_factors_disagree_are_refused_naming_the_field(tmp_path):
    import os
    import shutil
    from rnnfast._core import persist
    from rnnfast.embeddings.keyedvectors import FORMAT_VERSION
    path = tmp_path / "bad.kv"
    persist.save(path, "rnnfast.KeyedVectors", FORMAT_VERSION, {"vector_size": 2},
                 {"vectors": np.ones((3, 2), np.float32),
                  "keys": persist.words_array(["a", "b", "c"]),
                  "vectors_lockf": np.ones(2, np.float32)})
    with pytest.raises(ValueError, match="bad.kv.*'vectors_lockf'.*must hold 1 factor"):
        KeyedVectors.load(path)
    # a gensim 3 file whose per-word factors do not match its vocabulary
    here = os.path.join(os.path.dirname(__file__), os.pardir, "data", "gensim")
    for name in os.listdir(here):
        if name.startswith("w2v_gensim3.model"):
            shutil.copy(os.path.join(here, name), tmp_path)
    np.save(tmp_path / "w2v_gensim3.model.trainables.vectors_lockf.npy",
            np.ones(3, np.float32))
    with pytest.raises(ValueError, match="w2v_gensim3.model.*'vectors_lockf'.*must hold 1"):
        Word2Vec.load(tmp_path / "w2v_gensim3.model")
