"""FastText training and FastTextKeyedVectors: vectors for unseen words, word2vec at
max_n=0, determinism, persistence, bad settings."""

import numpy as np
import pytest
from conftest import QUIET, tampered_copy

from rnnfast import FastText, FastTextKeyedVectors, Word2Vec
from rnnfast.datasets import toy_analogies, toy_corpus
from rnnfast.embeddings._vocab import char_ngram_buckets


@pytest.fixture(scope="module")
def corpus():
    return toy_corpus(4000, seed=3)


@pytest.fixture
def corpus_file(tmp_path, corpus):
    path = tmp_path / "toy.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    return str(path)


def train(sentences=None, corpus_file=None, cls=FastText, **kw):
    settings = dict(vector_size=24, window=5, min_count=1, epochs=5, workers=1, seed=7,
                    **QUIET)
    if cls is FastText:
        settings["bucket"] = 2000
    settings.update(kw)
    return cls(sentences, corpus_file, **settings)


@pytest.mark.parametrize("sg", [0, 1])
def test_learns_the_structure_of_the_toy_world(corpus, sg):
    epochs = 8 if sg else 20   # CBOW over n-grams learns this world slowly (gensim's too)
    model = train(corpus, epochs=epochs, sg=sg)
    accuracy, sections = model.wv.evaluate_word_analogies(toy_analogies())
    assert accuracy > 0.75, sections[-1]["incorrect"][:10]
    losses = model.training_loss_
    assert len(losses) == epochs and all(np.isfinite(losses)) and losses[-1] < losses[0]


@pytest.mark.parametrize("sg", [0, 1])
@pytest.mark.parametrize("hs", [0, 1])
def test_without_ngrams_it_is_word2vec(corpus, corpus_file, sg, hs):
    # max_n=0: the same kernel and first values as Word2Vec, so the same vectors bit for bit
    for source in ({"sentences": corpus}, {"corpus_file": corpus_file}):
        kw = dict(sg=sg, hs=hs, negative=0 if hs else 5, epochs=2, **source)
        w2v, ft = train(cls=Word2Vec, **kw), train(max_n=0, **kw)
        np.testing.assert_array_equal(ft.wv.vectors, w2v.wv.vectors)
        np.testing.assert_array_equal(ft.syn1 if hs else ft.syn1neg,
                                      w2v.syn1 if hs else w2v.syn1neg)
        assert ft.wv.vectors_ngrams.shape == (0, 24)


def test_a_words_vector_is_the_mean_of_its_rows(corpus):
    model = train(corpus, epochs=1, min_n=2, max_n=5)
    wv, V = model.wv, len(model.wv)
    for word in ("school", "boy", "a"):
        rows = np.r_[wv.get_index(word), V + char_ngram_buckets(word.encode(), 2, 5, 2000)]
        np.testing.assert_allclose(wv[word], wv._table[rows].mean(axis=0), rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(wv.vectors_vocab[wv.get_index(word)],
                                      wv._table[wv.get_index(word)])
    for word in ("schoolboys", "naïveté", "zz"):   # never seen: the n-gram rows alone
        assert word not in wv.key_to_index and word in wv and not wv.has_index_for(word)
        rows = V + char_ngram_buckets(word.encode(), 2, 5, 2000)
        np.testing.assert_allclose(wv[word], wv._table[rows].mean(axis=0), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(np.linalg.norm(wv.get_vector(word, norm=True)), 1, rtol=1e-6)


def test_unseen_words_take_part_in_queries(corpus):
    wv = train(corpus, epochs=4).wv
    assert wv.most_similar("schools", topn=3)   # composed, then compared with the vocabulary
    assert -1 <= wv.similarity("schools", "school") <= 1
    assert wv.similarity("schools", "schools") == 1.0
    assert wv.n_similarity(["schools"], ["boy"]) == pytest.approx(wv.similarity("schools", "boy"),
                                                                  rel=1e-5)
    assert wv.doesnt_match(["schools", "school", "boy"]) in ("schools", "school", "boy")
    assert wv.get_mean_vector(["schools", "boy"]).shape == (24,)
    assert wv["schools", "boy"].shape == (2, 24)


def test_a_word_without_a_vector_is_a_clear_key_error(corpus):
    model = train(corpus, epochs=1, min_n=4, max_n=5)
    with pytest.raises(KeyError, match="none of its character n-grams has 4 to 5"):
        model.wv["q"]   # "<q>" has 3 characters
    assert "q" not in model.wv
    with pytest.raises(KeyError, match="max_n=0"):
        train(corpus, epochs=1, max_n=0).wv["schools"]
    with pytest.raises(KeyError, match="a word is a str"):
        model.wv.get_vector(3.5)


def test_norms_follow_training(corpus):
    model = train(corpus, epochs=1)
    before = model.wv.norms.copy()
    model.train(corpus, total_examples=len(corpus), epochs=1)
    np.testing.assert_allclose(model.wv.norms, np.linalg.norm(model.wv.vectors, axis=1),
                               rtol=1e-5)
    assert not np.allclose(before, model.wv.norms)


def test_iterable_and_file_train_alike(corpus, corpus_file):
    a = train(corpus, epochs=2, sg=1)
    b = train(corpus_file=corpus_file, epochs=2, sg=1)
    np.testing.assert_array_equal(a.wv._table, b.wv._table)


def test_two_workers_train_and_stay_finite(corpus_file):
    model = train(corpus_file=corpus_file, epochs=8, sg=1, workers=2)
    assert np.all(np.isfinite(model.wv._table))
    accuracy, _ = model.wv.evaluate_word_analogies(toy_analogies())
    assert accuracy > 0.6


def test_vocabulary_update_keeps_the_ngram_rows(corpus):
    model = train(corpus, epochs=1)
    ngrams = model.wv.vectors_ngrams.copy()
    model.build_vocab([["zebra", "quokka"]] * 3, update=True)
    assert model.wv.has_index_for("zebra") and model.wv._table.shape[0] == len(model.wv) + 2000
    np.testing.assert_array_equal(model.wv.vectors_ngrams, ngrams)
    model.train([["zebra", "quokka", "school"]] * 20, total_examples=20, epochs=1)


def test_save_and_load(tmp_path, corpus):
    model = train(corpus, epochs=1, hs=1, negative=3)
    path = tmp_path / "ft.model"
    model.save(path)
    back = FastText.load(path)
    np.testing.assert_array_equal(back.wv._table, model.wv._table)
    np.testing.assert_array_equal(back.wv["unseenword"], model.wv["unseenword"])
    np.testing.assert_array_equal(back.syn1, model.syn1)
    assert (back.min_n, back.max_n, back.bucket) == (3, 6, 2000)
    back.train(corpus, total_examples=len(corpus), epochs=1)
    model.wv.save(tmp_path / "ft.kv")
    kv = FastTextKeyedVectors.load(tmp_path / "ft.kv")
    np.testing.assert_array_equal(kv["unseenword"], model.wv["unseenword"])
    np.testing.assert_array_equal(kv.vectors, model.wv.vectors)
    with pytest.raises(ValueError, match="not a saved rnnfast.FastText"):
        FastText.load(tmp_path / "ft.kv")


@pytest.mark.parametrize("kw, match", [
    (dict(min_n=5, max_n=3), "min_n=5 is above max_n=3"),
    (dict(bucket=0), "bucket=0 leaves no row"),
    (dict(bucket=-1), "bucket"),
    (dict(min_n=0), "min_n"),
    (dict(max_n=-2), "max_n"),
    (dict(vector_size=-1), "vector_size"),
    (dict(word_ngrams=2), "word_ngrams must be 1"),
    (dict(sg=1, window=30, negative=10), "2 \\* window \\* \\(1 \\+ negative\\) = 660"),
])
def test_bad_settings_are_refused(kw, match):
    with pytest.raises((TypeError, ValueError), match=match):
        FastText(**kw)


def test_keyedvectors_edits_are_refused(corpus):
    wv = train(corpus, epochs=1).wv
    for call in (lambda: wv.add_vector("new", np.zeros(24, np.float32)),
                 lambda: wv.__setitem__("new", np.zeros(24, np.float32)),
                 wv.sort_by_descending_frequency, wv.unit_normalize_all):
        with pytest.raises(TypeError, match="not supported"):
            call()


def test_changed_rows_are_refused_before_training(corpus):
    model = train(corpus, epochs=1)
    model.wv._table[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.train(corpus, total_examples=len(corpus), epochs=1)


@pytest.mark.parametrize("arrays, meta, field", [
    ({"table": np.zeros((5, 24), np.float32)}, None, "table"),
    (None, {"params.bucket": 1000}, "table"),
    (None, {"params.max_n": 2, "params.min_n": 3}, "params"),
    ({"context_vectors": None}, None, "syn1neg"),
    (None, {"total_words": -1}, "total_words"),
])
def test_a_saved_model_that_disagrees_with_itself_is_refused(tmp_path, corpus, arrays, meta,
                                                             field):
    path = tmp_path / "ft.model"
    train(corpus, epochs=1).save(path)
    bad = tampered_copy(path, tmp_path / "bad.npz", arrays, meta)
    with pytest.raises(ValueError, match=f"bad.npz' is not a consistent saved file: '{field}'"):
        FastText.load(bad)


def test_vectors_for_all_composes_unseen_words_unless_told_not_to():
    """gensim's allow_inference: unseen words get their n-gram vectors; the result is a
    plain KeyedVectors."""
    from rnnfast import KeyedVectors
    model = FastText([["alpha", "beta", "gamma"]] * 20, vector_size=8, min_count=1,
                     bucket=300, epochs=1, workers=1, progress=lambda s: None)
    got = model.wv.vectors_for_all(["beta", "alphabet", "beta"], copy_vecattrs=True)
    assert type(got) is KeyedVectors and got.index_to_key == ["beta", "alphabet"]
    np.testing.assert_array_equal(got["alphabet"], model.wv["alphabet"])
    np.testing.assert_array_equal(got["beta"], model.wv["beta"])
    assert got.get_vecattr("beta", "count") == 20 and got.get_vecattr("alphabet", "count") == 0
    assert model.wv.vectors_for_all(["beta", "alphabet"], allow_inference=False).index_to_key \
        == ["beta"]

