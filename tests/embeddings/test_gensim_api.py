"""Word2Vec's training API as gensim 4 has it (gensim's own snippets and tests as the spec)."""

import numpy as np
import pytest

from conftest import QUIET
from rnnfast import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Word2Vec
from rnnfast.datasets import toy_analogies, toy_corpus


@pytest.fixture(scope="module")
def corpus():
    return toy_corpus(3000, seed=5)


def model(**kw):
    settings = dict(vector_size=16, min_count=1, workers=1, epochs=3, **QUIET)
    settings.update(kw)
    return Word2Vec(**settings)


def test_gensims_standard_snippet(corpus):
    m = model()
    m.build_vocab(corpus)
    assert m.corpus_count == len(corpus)
    assert m.corpus_total_words == sum(len(s) for s in corpus)
    m.train(corpus, total_examples=m.corpus_count, epochs=m.epochs)
    assert len(m.training_loss_) == 3
    # the defaults are gensim's: CBOW, the mean of the context, negative sampling
    assert (m.sg, m.hs, m.negative, m.cbow_mean, m.alpha, m.window) == (0, 0, 5, 1, 0.025, 5)
    assert m.wv.get_vecattr("italy", "count") == m.vocab.counts[m.wv.get_index("italy")]
    assert m.syn1neg.shape == m.wv.vectors.shape


def test_the_epoch_size_sets_the_learning_rate_schedule(corpus):
    seen = []

    class Alphas:
        def on_epoch_end(self, m):
            seen.append(m)

    reports = []
    m = model(epochs=1, progress=reports.append).build_vocab(corpus)
    m.train(corpus, total_examples=m.corpus_count, epochs=1, callbacks=[Alphas()])
    assert reports[-1]["alpha"] == pytest.approx(m.min_alpha)
    half = model(epochs=1, seed=4).build_vocab(corpus)
    full = model(epochs=1, seed=4).build_vocab(corpus)
    # telling train the epoch is twice as long keeps the rate higher: a different model
    half.train(corpus, total_words=2 * half.corpus_total_words, epochs=1)
    full.train(corpus, total_words=full.corpus_total_words, epochs=1)
    assert not np.array_equal(half.wv.vectors, full.wv.vectors)
    same = model(epochs=1, seed=4).build_vocab(corpus)
    same.train(corpus, total_examples=2 * same.corpus_count, epochs=1)
    np.testing.assert_array_equal(same.wv.vectors, half.wv.vectors)
    # start_alpha = end_alpha = 0: nothing moves
    frozen = model(epochs=1).build_vocab(corpus)
    before = frozen.wv.vectors.copy()
    frozen.train(corpus, epochs=1, start_alpha=0.0, end_alpha=0.0)
    np.testing.assert_array_equal(frozen.wv.vectors, before)


def test_all_four_callback_hooks_in_order(corpus):
    events = []

    class Hooks:
        def on_train_begin(self, m):
            events.append("train_begin")

        def on_epoch_begin(self, m):
            events.append("epoch_begin")

        def on_epoch_end(self, m):
            events.append(f"epoch_end {len(m.training_loss_)}")

        def on_train_end(self, m):
            events.append("train_end")

    model(epochs=2, callbacks=[Hooks()]).build_vocab(corpus).train(corpus, epochs=2)
    assert events == ["train_begin", "epoch_begin", "epoch_end 1", "epoch_begin",
                      "epoch_end 2", "train_end"]


def test_latest_training_loss_is_the_sum_of_the_call(corpus):
    m = model(compute_loss=True).build_vocab(corpus)
    m.train(corpus, total_examples=m.corpus_count, epochs=2, compute_loss=True)
    first = m.get_latest_training_loss()
    assert first > 0 and np.isfinite(first)
    m.train(corpus, total_examples=m.corpus_count, epochs=1)
    assert 0 < m.get_latest_training_loss() < first  # one epoch, and a better model
    assert len(m.training_loss_) == 3


def test_update_adds_new_words_and_keeps_the_old_vectors(corpus):
    m = model(epochs=2).build_vocab(corpus)
    m.train(corpus, total_examples=m.corpus_count, epochs=2)
    old_words = list(m.wv.index_to_key)
    italy = m.wv["italy"].copy()
    count_before = m.wv.get_vecattr("italy", "count")
    extra = [["zebra", "italy", "quagga"], ["zebra", "okapi"]] * 5
    m.build_vocab(extra, update=True)
    assert m.wv.index_to_key[:len(old_words)] == old_words
    assert set(m.wv.index_to_key[len(old_words):]) == {"zebra", "quagga", "okapi"}
    np.testing.assert_array_equal(m.wv["italy"], italy)
    assert m.wv.get_vecattr("italy", "count") == count_before + 5
    assert m.syn1neg.shape == m.wv.vectors.shape
    assert m.corpus_count == len(extra)
    m.train(extra, total_examples=m.corpus_count, epochs=2)
    assert not np.array_equal(m.wv["italy"], italy)
    assert np.isfinite(m.wv.vectors).all()
    with pytest.raises(RuntimeError, match="needs a model with a vocabulary"):
        model().build_vocab(extra, update=True)


def test_trim_rule_max_final_vocab_and_min_count(corpus):
    def rule(word, count, min_count):
        if word == "italy":
            return RULE_DISCARD
        if word.startswith("x"):
            return RULE_KEEP
        return RULE_DEFAULT

    extra = corpus + [["xylophone"]]
    m = model(min_count=5, trim_rule=rule).build_vocab(extra)
    assert "italy" not in m.wv and "xylophone" in m.wv
    assert all(m.wv.get_vecattr(w, "count") >= 5 for w in m.wv.index_to_key if w != "xylophone")
    per_call = model(min_count=5).build_vocab(extra, trim_rule=rule)
    assert per_call.wv.index_to_key == m.wv.index_to_key
    capped = model(max_final_vocab=10).build_vocab(corpus)
    assert len(capped.wv) <= 10
    counts = sorted(model().build_vocab(corpus).vocab.counts, reverse=True)
    assert len(capped.wv) == sum(c > counts[10] for c in counts)
    assert len(model(min_count=0).build_vocab(corpus).wv) == len(model().build_vocab(corpus).wv)
    with pytest.raises(ValueError, match="trim_rule returned 7"):
        model(trim_rule=lambda w, c, m: 7).build_vocab(corpus)


def test_batch_words_do_not_change_a_one_worker_model(corpus):
    a = model(batch_words=50).build_vocab(corpus)
    a.train(corpus, epochs=1)
    b = model(batch_words=100000).build_vocab(corpus)
    b.train(corpus, epochs=1)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)


def test_predict_output_word(corpus):
    m = model(epochs=8, vector_size=24)
    m.build_vocab(corpus)
    m.train(corpus, total_examples=m.corpus_count, epochs=8)
    out = m.predict_output_word(["people", "in", "italy", "eat"], topn=5)
    assert len(out) == 5 and all(isinstance(w, str) for w, _ in out)
    probs = [p for _, p in out]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1
    assert m.predict_output_word(["unheard", "unseen"]) is None
    known = [w for w in ["people", "in", "italy", "eat"] if w in m.wv]
    ids = [m.wv.get_index(w) for w in known]
    assert len(known) >= 2 and m.predict_output_word(ids, topn=5) == out
    assert m.predict_output_word([ids[0]] + known[1:], topn=5) == out
    with pytest.raises(RuntimeError, match="no vocabulary"):
        Word2Vec().predict_output_word(["italy"])
    hs_only = model(hs=1, negative=0).build_vocab(corpus)
    with pytest.raises(RuntimeError, match="negative=0"):
        hs_only.predict_output_word(["italy"])


def test_build_vocab_from_freq(corpus):
    freq = {"graph": 3, "system": 4, "trees": 3, "eps": 2, "user": 0}
    m = model(min_count=0, hs=1, negative=0).build_vocab_from_freq(freq, corpus_count=7)
    assert m.wv.index_to_key == ["system", "graph", "trees", "eps", "user"]
    assert m.wv.get_vecattr("graph", "count") == 3 and m.corpus_count == 7
    assert m.corpus_total_words == 12
    m.build_vocab_from_freq({"graph": 1, "artificial": 4}, update=True)
    assert len(m.wv) == 6 and m.wv.get_vecattr("graph", "count") == 4
    assert m.wv.get_vecattr("artificial", "count") == 4 and m.syn1.shape == (6, 16)
    assert len(model(min_count=3).build_vocab_from_freq(freq).wv) == 3
    with pytest.raises(ValueError, match="str words to counts in 0..2\\^62"):
        model().build_vocab_from_freq({"a": -1})
    with pytest.raises(TypeError, match="dict of word -> count"):
        model().build_vocab_from_freq([("a", 1)])


def test_similarity_forms_agree_and_empty_lists_fail(corpus):
    m = model(epochs=2).build_vocab(corpus)
    m.train(corpus, total_examples=m.corpus_count, epochs=2)
    wv = m.wv
    assert wv.n_similarity(["italy"], ["rome"]) == wv.similarity("italy", "rome")
    with pytest.raises(ZeroDivisionError, match="non-empty"):
        wv.n_similarity(["italy"], [])
    with pytest.raises(ValueError, match="non-empty"):
        wv.n_similarity([], ["italy"])
    add = wv.evaluate_word_analogies(toy_analogies())[0]
    mul = wv.evaluate_word_analogies(toy_analogies(), similarity_function="most_similar_cosmul")[0]
    assert 0 <= add <= 1 and 0 <= mul <= 1
    with pytest.raises(ValueError, match="similarity_function"):
        wv.evaluate_word_analogies(toy_analogies(), similarity_function="cosine")


def test_cbow_learns_and_saves_as_cbow(corpus, tmp_path):
    m = model(epochs=8, vector_size=24, seed=3)
    m.build_vocab(corpus)
    m.train(corpus, total_examples=m.corpus_count, epochs=8)
    assert m.wv.evaluate_word_analogies(toy_analogies())[0] > 0.8
    m.save(tmp_path / "m.npz")
    back = Word2Vec.load(tmp_path / "m.npz")
    assert back.sg == 0 and back.cbow_mean == 1
    np.testing.assert_array_equal(back.syn1neg, m.syn1neg)


GENSIM_SENTENCES = [["human", "interface", "computer"],
                    ["survey", "user", "computer", "system", "response", "time"],
                    ["eps", "user", "interface", "system"], ["system", "human", "system", "eps"],
                    ["user", "response", "time"], ["trees"], ["graph", "trees"],
                    ["graph", "minors", "trees"], ["graph", "minors", "survey"]]


@pytest.mark.parametrize("min_count, max_final_vocab, report, effective", [
    (4, 4, dict(drop_unique=11, retain_total=4, num_retained_words=1), 4),  # limit not binding
    (2, 4, dict(drop_unique=8, retain_total=13, num_retained_words=4), 3),  # min_count raised
])
def test_scan_then_prepare_vocab_as_gensim_reports(min_count, max_final_vocab, report, effective):
    """gensim's two halves of build_vocab, with its report and effective_min_count
    (figures from gensim's test_max_final_vocab)."""
    m = model(min_count=min_count, max_final_vocab=max_final_vocab, sample=0)
    assert m.scan_vocab(GENSIM_SENTENCES) == (29, 9)
    assert m.raw_vocab["system"] == 4 and len(m.raw_vocab) == 12
    dry = m.prepare_vocab(dry_run=True)
    assert m.vocab is None and {k: dry[k] for k in report} == report
    got = m.prepare_vocab()
    assert got == dry and {k: got[k] for k in report} == report
    assert got["downsample_unique"] == 0 and got["downsample_total"] == got["retain_total"]
    assert m.effective_min_count == effective and len(m.wv) == report["num_retained_words"]
    assert not hasattr(m, "raw_vocab")
    whole = model(min_count=min_count, max_final_vocab=max_final_vocab, sample=0)
    whole.build_vocab(GENSIM_SENTENCES)
    assert whole.wv.index_to_key == m.wv.index_to_key
    assert whole.effective_min_count == effective
    with pytest.raises(RuntimeError, match="scan_vocab first"):
        model().prepare_vocab()


def test_subsampling_shows_in_prepare_vocabs_report(corpus):
    m = model(sample=1e-3)
    m.scan_vocab(corpus)
    report = m.prepare_vocab(keep_raw_vocab=True)
    assert 0 < report["downsample_unique"] <= report["num_retained_words"]
    assert 0 < report["downsample_total"] < report["retain_total"]
    assert sum(m.raw_vocab.values()) == m.corpus_total_words


def test_reset_from_takes_the_other_vocabulary_with_fresh_vectors(corpus):
    m, other = model(), model(seed=9)
    m.build_vocab(corpus[:50])
    m.train(corpus[:50], total_examples=50, epochs=1)   # its own output rows, fewer
    other.build_vocab(corpus)
    other.train(corpus, total_examples=len(corpus), epochs=1)
    m.reset_from(other)
    assert m.wv.key_to_index == other.wv.key_to_index and m.vocab is other.vocab
    fresh = model()
    fresh.build_vocab(corpus)
    assert np.array_equal(m.wv.vectors, fresh.wv.vectors)   # the seed's start, not other's
    assert not m.syn1neg.any() and m.training_loss_ == []
    m.train(corpus, total_examples=len(corpus), epochs=1)
    with pytest.raises(RuntimeError, match="needs a model with a vocabulary"):
        m.reset_from(model())


def test_build_vocab_again_starts_afresh(corpus):
    """A second build_vocab (not update) keeps nothing of the first vocabulary's training."""
    m = model()
    m.build_vocab(corpus[:40])
    m.train(corpus[:40], total_examples=40, epochs=1)
    m.build_vocab(corpus)
    assert not m.syn1neg.any() and m.syn1neg.shape == m.wv.vectors.shape



@pytest.mark.parametrize("sg, cbow_mean", [(1, 1), (0, 1), (0, 0)])
def test_score_is_the_log_probability_through_the_huffman_tree(sg, cbow_mean):
    """gensim's score (hs only), checked term by term: each word's path probability
    from its context (skip-gram: each context word; CBOW: their sum or mean), exact
    even beyond gensim's +-6 cut."""
    import math
    sentences = [["a", "b", "c", "a"], ["c", "zz", "a"], ["b"]]
    m = model(sg=sg, hs=1, negative=0, window=1, cbow_mean=cbow_mean, epochs=1)
    m.build_vocab([["a"] * 5 + ["b"] * 3 + ["c"] * 2])
    rng = np.random.default_rng(0)
    m.wv.vectors = rng.normal(0, 3, m.wv.vectors.shape).astype(np.float32)  # |f| past 6
    m.syn1 = rng.normal(0, 3, m.syn1.shape).astype(np.float32)
    nodes, codes, ends = m.vocab.huffman_paths()

    def log_p(word, inputs):
        i = m.wv.key_to_index[word]
        v = sum(m.wv.vectors[m.wv.key_to_index[w]].astype(np.float64) for w in inputs)
        v = v / len(inputs) if (not sg and cbow_mean) else v
        total = 0.0
        for b in range(ends[i - 1] if i else 0, ends[i]):
            f = float(v @ m.syn1[nodes[b]].astype(np.float64)) * (1 - 2 * int(codes[b]))
            total += -math.log1p(math.exp(-f)) if f > -30 else f
        return total

    expected = []
    for sentence in sentences:
        known = [w for w in sentence if w in m.wv.key_to_index]
        total = 0.0
        for i, word in enumerate(known):
            context = known[max(0, i - 1):i] + known[i + 1:i + 2]
            if context:
                total += sum(log_p(word, [c]) for c in context) if sg else log_p(word, context)
        expected.append(total)
    got = m.score(sentences)
    assert got.dtype == np.float32 and got.shape == (3,) and got[2] == 0.0
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(m.score(sentences, total_sentences=2), expected[:2], rtol=1e-5)
    with pytest.raises(RuntimeError, match="hs=1"):
        model(epochs=1).build_vocab(sentences).score(sentences)
    with pytest.raises(RuntimeError, match="build_vocab"):
        model(hs=1).score(sentences)


def test_gensims_exception_types_and_warnings(corpus, caplog):
    """What gensim's callers catch and what its users see in the log: an empty or fully
    filtered corpus is a RuntimeError (and a ValueError), training before build_vocab a
    ValueError (and a RuntimeError); hs with negative sampling, and a learning rate that
    starts above where the last training ended, are logged warnings."""
    import logging
    with pytest.raises(RuntimeError, match="empty"):
        Word2Vec([], **QUIET)
    with pytest.raises(RuntimeError, match="lower min_count"):
        Word2Vec(corpus[:5], min_count=10 ** 6, **QUIET)
    with pytest.raises(ValueError, match="build_vocab before train"):
        model().train(corpus[:5], total_examples=5)
    with caplog.at_level(logging.WARNING, logger="rnnfast"):
        model(hs=1, negative=5)
        m = model(hs=1, negative=0)
        assert "Both hierarchical softmax and negative sampling" in caplog.text
        m.build_vocab(corpus[:20])
        caplog.clear()
        m.train(corpus[:20], total_examples=20, epochs=1)
        assert "higher than previous" not in caplog.text
        m.train(corpus[:20], total_examples=20, epochs=1, start_alpha=0.02, end_alpha=0.01)
        assert "starts at 0.02, an earlier one ended at 0.0001" in caplog.text


def test_hs_models_give_each_words_huffman_code_and_point(corpus, tmp_path):
    """gensim's wv.get_vecattr(word, "code") and "point": the word's path through the
    Huffman tree (branches taken, inner nodes), which hierarchical softmax trains."""
    import pickle
    m = model(hs=1, negative=0, epochs=1)
    m.build_vocab(corpus)
    nodes, codes, ends = m.vocab.huffman_paths()
    for word in ("the", m.wv.index_to_key[-1]):
        i = m.wv.key_to_index[word]
        path = slice(ends[i - 1] if i else 0, ends[i])
        assert m.wv.get_vecattr(word, "code").tolist() == codes[path].tolist()
        assert m.wv.get_vecattr(word, "point").tolist() == nodes[path].tolist()
    assert len(m.wv.get_vecattr("the", "code")) < len(m.wv.get_vecattr(word, "code"))
    m.progress = False   # (QUIET's lambda does not pickle)
    again = pickle.loads(pickle.dumps(m))
    assert again.wv.get_vecattr("the", "code").tolist() == m.wv.get_vecattr("the", "code").tolist()
    m.save(tmp_path / "m")
    assert Word2Vec.load(tmp_path / "m").wv.get_vecattr(word, "point").tolist() == \
        nodes[path].tolist()
    with pytest.raises(KeyError, match="no attribute 'code'"):
        Word2Vec(corpus[:50], min_count=1, epochs=1, **QUIET).wv.get_vecattr("the", "code")


def test_estimate_memory_counts_every_table(corpus):
    from rnnfast import FastText
    m = model(hs=1, negative=5)
    m.build_vocab(corpus)
    V, table = len(m.wv), len(m.wv) * 16 * 4
    report = m.estimate_memory()
    assert report["vectors"] == report["syn1"] == report["syn1neg"] == table
    assert report["total"] == sum(v for k, v in report.items() if k != "total")
    assert model(negative=5).estimate_memory(vocab_size=1000)["vectors"] == 1000 * 16 * 4
    ft = FastText(vector_size=16, bucket=1000, min_count=1, **QUIET)
    ft.build_vocab(corpus)
    assert ft.estimate_memory()["vectors_ngrams"] == 1000 * 16 * 4
    assert "syn1" not in ft.estimate_memory() and V > 0


def test_cum_table_is_gensims_noise_table(corpus):
    m = model(ns_exponent=0.75)
    m.build_vocab(corpus)
    table = m.cum_table
    weights = m.vocab.counts.astype(np.float64) ** 0.75
    want = [round(c / weights.sum() * (2**31 - 1)) for c in np.cumsum(weights)]
    assert table.dtype == np.uint32 and table.tolist() == want and table[-1] == 2**31 - 1
    assert model(negative=0, hs=1).cum_table is None


def test_load_is_called_on_the_class_not_on_a_model(corpus, tmp_path):
    from rnnfast import FastText
    m = model()
    m.build_vocab(corpus)
    m.save(tmp_path / "m.model")
    with pytest.raises(AttributeError, match=r"Word2Vec.load is called on the class.*"
                                             r"model = Word2Vec.load\(...\)"):
        m.load(tmp_path / "m.model")
    assert isinstance(Word2Vec.load(tmp_path / "m.model"), Word2Vec)
    with pytest.raises(AttributeError, match="FastText.load is called on the class"):
        FastText(vector_size=4).load(tmp_path / "m.model")
