"""Word2Vec training: learning, determinism, inputs, persistence."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import QUIET
from hypothesis import given, settings, strategies as st

from rnnfast import KeyedVectors, LineSentence, Word2Vec
from rnnfast.datasets import toy_analogies, toy_corpus


@pytest.fixture(scope="module")
def corpus():
    return toy_corpus(6000, seed=3)


@pytest.fixture
def corpus_file(tmp_path, corpus):
    path = tmp_path / "toy.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    return str(path)


def train(sentences=None, corpus_file=None, **kw):
    settings = dict(vector_size=24, window=5, min_count=1, epochs=5, workers=1, seed=7,
                    sample=1e-3, **QUIET)
    settings.update(kw)
    return Word2Vec(sentences, corpus_file, **settings)


@pytest.mark.parametrize("sg", [0, 1])
@pytest.mark.parametrize("source", ["iterable", "file"])
def test_learns_the_structure_of_the_toy_world(corpus, corpus_file, source, sg):
    model = train(corpus, epochs=8, sg=sg) if source == "iterable" else \
        train(corpus_file=corpus_file, epochs=8, sg=sg)
    accuracy, sections = model.wv.evaluate_word_analogies(toy_analogies())
    assert accuracy > 0.8, sections[-1]["incorrect"][:10]
    assert model.wv.most_similar("italian", topn=3)[0][0] in ("pasta", "espresso", "italy", "rome")
    losses = model.training_loss_
    assert len(losses) == 8 and all(np.isfinite(losses))
    assert losses[-1] < losses[0] < 4.16  # below chance: (1 + K) log 2 with K = 5


def test_iterable_and_file_build_the_same_vocabulary(corpus, corpus_file):
    a = Word2Vec(vector_size=8, min_count=2, **QUIET).build_vocab(corpus)
    b = Word2Vec(vector_size=8, min_count=2, **QUIET).build_vocab(corpus_file=corpus_file)
    assert a.vocab.words == b.vocab.words
    np.testing.assert_array_equal(a.vocab.counts, b.vocab.counts)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)  # same seeded initialisation


@pytest.mark.parametrize("sg", [0, 1])
@pytest.mark.parametrize("source", ["iterable", "file"])
def test_one_worker_is_bit_reproducible(corpus, corpus_file, source, sg):
    args = (corpus, None) if source == "iterable" else (None, corpus_file)
    a, b = train(*args, epochs=2, sg=sg), train(*args, epochs=2, sg=sg)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    np.testing.assert_array_equal(a.syn1neg, b.syn1neg)
    assert a.training_loss_ == b.training_loss_
    c = train(*args, epochs=2, seed=8, sg=sg)
    assert not np.array_equal(a.wv.vectors, c.wv.vectors)
    if sg == 0:  # the mean and the sum of the context are different models
        d = train(*args, epochs=2, cbow_mean=0)
        assert not np.array_equal(a.wv.vectors, d.wv.vectors)


def test_reproducible_whatever_the_hash_seed(corpus_file):
    script = textwrap.dedent(f"""
        import hashlib
        from rnnfast import Word2Vec, LineSentence
        m = Word2Vec(LineSentence({corpus_file!r}), vector_size=16, min_count=1, epochs=1,
                     workers=1, seed=3, progress=lambda s: None)
        print(hashlib.sha256(m.wv.vectors.tobytes()).hexdigest(), m.wv.index_to_key[:5])
    """)
    outputs = set()
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, check=True, cwd=os.path.dirname(corpus_file)).stdout
        outputs.add(out)
    assert len(outputs) == 1


@pytest.mark.parametrize("sg", [0, 1])
@pytest.mark.parametrize("source", ["iterable", "file"])
@pytest.mark.parametrize("hs, negative", [(0, 5), (1, 0), (1, 5)], ids=["ns", "hs", "hs+ns"])
def test_two_workers_train_too(corpus, corpus_file, source, sg, hs, negative):
    settings = dict(workers=2, epochs=4, sg=sg, hs=hs, negative=negative)
    model = train(corpus, **settings) if source == "iterable" else \
        train(corpus_file=corpus_file, **settings)
    assert np.isfinite(model.wv.vectors).all()
    assert (model.syn1 is not None) == bool(hs) and (model.syn1neg is not None) == bool(negative)
    assert model.wv.evaluate_word_analogies(toy_analogies())[0] > 0.6


@pytest.mark.parametrize("sg", [0, 1])
def test_hierarchical_softmax_models_are_reproducible_and_save(corpus, corpus_file, tmp_path,
                                                               sg):
    # one worker: the file and the sentences train the same model, twice alike
    a = train(corpus_file=corpus_file, workers=1, epochs=2, sg=sg, hs=1, negative=0)
    b = train(LineSentence(corpus_file), workers=1, epochs=2, sg=sg, hs=1, negative=0)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    np.testing.assert_array_equal(a.syn1, b.syn1)
    assert a.syn1.shape == a.wv.vectors.shape and a.syn1neg is None
    assert not a.syn1[len(a.wv) - 1].any()  # V - 1 inner nodes: the last row stays unused
    a.save(tmp_path / "hs.npz")
    back = Word2Vec.load(tmp_path / "hs.npz")
    assert (back.hs, back.negative, back.sg) == (1, 0, sg) and back.syn1neg is None
    np.testing.assert_array_equal(back.syn1, a.syn1)
    back.train(corpus_file=corpus_file, epochs=1)  # continues training
    with pytest.raises(RuntimeError, match="negative=0"):
        back.predict_output_word(["france"])


def test_callbacks_and_progress_reports(corpus):
    seen, reports = [], []

    class Callback:
        def on_epoch_end(self, model):
            seen.append(("object", len(model.training_loss_)))

    model = train(corpus, epochs=3, callbacks=[Callback(), lambda m, e: seen.append(("fn", e))],
                  progress=reports.append)
    assert seen == [("object", 1), ("fn", 0), ("object", 2), ("fn", 1), ("object", 3), ("fn", 2)]
    final = reports[-1]
    assert final["fraction"] == 1.0 and final["epoch"] == 3
    assert final["loss"] == pytest.approx(model.training_loss_[-1])
    assert final["alpha"] == pytest.approx(model.min_alpha)


def test_one_word_vocabulary_and_single_word_sentences():
    # every noise word equals the center here: training must still end
    model = train([["only", "only", "only"]] * 20, epochs=2, sample=0)
    assert len(model.wv) == 1 and np.isfinite(model.wv.vectors).all()
    assert np.isfinite(model.training_loss_).all()
    model = train([["only"]] * 50, epochs=2)
    assert len(model.wv) == 1 and np.isfinite(model.wv.vectors).all()
    assert np.isnan(model.training_loss_).all()  # no pair to train: the mean loss is undefined
    model = train([["a"], ["b"], ["a", "b"]] * 10, epochs=1, sample=0)
    assert np.isfinite(model.training_loss_[0])


def test_generator_cannot_serve_several_passes(corpus):
    with pytest.raises(TypeError, match="one-shot iterator"):
        train((s for s in corpus), epochs=1)  # vocabulary and training are two passes
    model = Word2Vec(vector_size=8, min_count=1, epochs=2, **QUIET).build_vocab(corpus)
    with pytest.raises(TypeError, match="one-shot iterator"):
        model.train(s for s in corpus)
    model.train((s for s in corpus), epochs=1)
    assert len(model.training_loss_) == 1


def test_sentences_that_vanish_after_the_first_pass(corpus):
    class OnlyOnce:
        def __init__(self):
            self.used = False

        def __iter__(self):
            if self.used:
                return iter([])
            self.used = True
            return iter(corpus)

    with pytest.raises(ValueError, match="yielded no sentences in epoch 1"):
        train(OnlyOnce(), epochs=2)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"vector_size": 0}, ValueError, "vector_size must be >= 1"),
    ({"window": 0}, ValueError, "window must be >= 1"),
    ({"negative": 0}, ValueError, "negative=0 with hs=0 trains nothing"),
    ({"negative": -1}, ValueError, "negative must be >= 0"),
    ({"epochs": -1}, ValueError, "epochs must be >= 1"),
    ({"workers": 0}, ValueError, "workers must be >= 1"),
    ({"min_count": -1}, ValueError, "min_count must be >= 0"),
    ({"sample": -0.1}, ValueError, "sample must be >= 0"),
    ({"alpha": float("nan")}, ValueError, "alpha must be finite"),
    ({"alpha": "fast"}, TypeError, "alpha must be a number"),
    ({"vector_size": 2.5}, TypeError, "vector_size must be an integer"),
    ({"sg": 2}, ValueError, "sg must be 0 .CBOW. or 1 .skip-gram."),
    ({"hs": 2}, ValueError, "hs must be 0 .negative sampling. or 1 .hierarchical softmax."),
    ({"sorted_vocab": 0}, ValueError, "only sorted_vocab=1"),
    ({"trim_rule": 3}, TypeError, "trim_rule must be a function"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Word2Vec(**kwargs)


def test_bad_corpus_inputs(tmp_path, corpus):
    with pytest.raises(ValueError, match="got both"):
        Word2Vec(corpus, corpus_file="x.txt")
    with pytest.raises(ValueError, match="is empty"):
        train([[]] * 3)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        train(corpus_file=str(empty))
    with pytest.raises(ValueError, match="no word of the corpus is kept with min_count=1000000"):
        train(corpus, min_count=10**6)
    with pytest.raises(RuntimeError, match="call build_vocab before train"):
        Word2Vec(**QUIET).train(corpus)
    with pytest.raises(TypeError, match="list of str tokens"):
        train(["not", "tokenised"])


def test_save_load_and_continue_training(tmp_path, corpus):
    model = train(corpus, epochs=1)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = Word2Vec.load(path)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(loaded.syn1neg, model.syn1neg)
    assert loaded.vocab.words == model.vocab.words and loaded.window == model.window
    assert loaded.training_loss_ == model.training_loss_
    loaded.progress = QUIET["progress"]
    loaded.train(corpus, epochs=1)
    assert len(loaded.training_loss_) == 2
    assert not np.array_equal(loaded.wv.vectors, model.wv.vectors)
    KeyedVectors.from_arrays(["a"], np.ones((1, 2))).save(tmp_path / "kv.npz")
    with pytest.raises(ValueError, match="not a saved rnnfast.Word2Vec"):
        Word2Vec.load(tmp_path / "kv.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable rnnfast.Word2Vec file"):
        Word2Vec.load(tmp_path / "junk.npz")
    with pytest.raises(FileNotFoundError):
        Word2Vec.load(tmp_path / "missing.npz")


def test_interrupted_save_leaves_no_file(tmp_path, corpus, monkeypatch):
    model = train(corpus, epochs=1)
    path = tmp_path / "model.npz"

    def broken_write(f, members):
        f.write(b"partial")
        raise KeyboardInterrupt

    from rnnfast._core import persist
    monkeypatch.setattr(persist, "_write_npz", broken_write)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert os.listdir(tmp_path) == []


def _count_run(sentences, counting, **kw):
    """One pass of the kernel over `sentences`, with or without update counters;
    returns (model, counters)."""
    from rnnfast.embeddings._sgns import STATS_DTYPE
    model = Word2Vec(vector_size=8, min_count=1, sample=0, shrink_windows=False, seed=1,
                     **QUIET, **kw)
    model.build_vocab(sentences)
    kernel = model._kernel_model()
    counters = None
    if counting:
        counters = [np.zeros(len(model.vocab), np.uint32) if t is not None else None
                    for t in (model.wv.vectors, model.syn1neg, model.syn1)]
        kernel.count_updates(*counters)
    ids = np.array([model.vocab.key_to_index[w] for s in sentences for w in s], np.int32)
    ends = np.cumsum([len(s) for s in sentences]).astype(np.int64)
    kernel.train_ids(ids, ends, ends.copy(), np.array([5], np.uint64), 0.025, 0.001, 0,
                     int(ends[-1]), np.zeros(1, STATS_DTYPE), 0, np.zeros(1, np.int32))
    return model, counters


@settings(max_examples=40, deadline=None)
@given(lengths=st.lists(st.integers(1, 12), min_size=1, max_size=6),
       window=st.integers(1, 4), sg=st.integers(0, 1), hs=st.integers(0, 1),
       negative=st.integers(0, 3), seed=st.integers(0, 2**16))
def test_update_counts_are_the_windows_rows_and_change_no_vector(lengths, window, sg, hs,
                                                                 negative, seed):
    if not hs and not negative:
        negative = 2
    rng = np.random.default_rng(seed)
    sentences = [[f"w{i}" for i in rng.integers(0, 7, n)] for n in lengths]
    kw = dict(window=window, sg=sg, hs=hs, negative=negative)
    plain, _ = _count_run(sentences, False, **kw)
    model, (c_in, c_out, c_syn1) = _count_run(sentences, True, **kw)
    for a, b in ((plain.wv.vectors, model.wv.vectors), (plain.syn1neg, model.syn1neg),
                 (plain.syn1, model.syn1)):
        assert (a is None and b is None) or np.array_equal(a, b)  # counting moves nothing
    # every window with an input: its context words' input rows, its center's output
    # rows (and negative noise rows), its center's path nodes
    V = len(model.vocab)
    want_in, centers, windows = np.zeros(V, np.int64), np.zeros(V, np.int64), 0
    for s in sentences:
        ids = [model.vocab.key_to_index[w] for w in s]
        n = len(ids)
        for i, v in enumerate(ids):
            want_in[v] += min(i, window) + min(n - 1 - i, window)
            if n > 1:
                centers[v] += 1
                windows += 1
    np.testing.assert_array_equal(c_in, want_in)
    if negative:
        assert int(c_out.sum()) == windows * (negative + 1)
        assert np.all(c_out >= centers)
    else:
        assert c_out is None
    if hs:
        nodes, _, ends = model.vocab.huffman_paths()
        want = np.zeros(V, np.int64)
        for v in range(V):
            np.add.at(want, nodes[(ends[v - 1] if v else 0):ends[v]], centers[v])
        np.testing.assert_array_equal(c_syn1, want)
    else:
        assert c_syn1 is None


def test_update_counters_are_checked():
    model = Word2Vec(vector_size=4, min_count=1, negative=2, hs=0, **QUIET)
    model.build_vocab([["a", "b", "c"]])
    kernel = model._kernel_model()
    good = np.zeros(3, np.uint32)
    with pytest.raises(ValueError, match=r"updates_in must have shape \(3,\), got \(2,\)"):
        kernel.count_updates(np.zeros(2, np.uint32), good)
    with pytest.raises(ValueError, match="updates_out must be given exactly when"):
        kernel.count_updates(good)
    with pytest.raises(ValueError, match="updates_syn1 must be given exactly when"):
        kernel.count_updates(good, good.copy(), good.copy())
    with pytest.raises(ValueError, match="Buffer dtype mismatch"):
        kernel.count_updates(np.zeros(3, np.int64), good)
    kernel.count_updates(good, good.copy())
    kernel.count_updates(None)  # off again


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 40), min_size=2, max_size=30), sg=st.integers(0, 1),
       hs=st.integers(0, 1), private=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_private_rows_merge_back_what_they_learn(sizes, sg, hs, private, seed):
    # with one writer, training the top inner nodes and the frequent words' rows on
    # private copies and adding the change back every 8,192 words must give the
    # in-place result, up to rounding
    from rnnfast.embeddings._sgns import STATS_DTYPE
    rng = np.random.default_rng(seed)
    sentences = [[f"w{i}" for i in rng.zipf(1.5, n) % 30] for n in sizes] * 60
    results = []
    for rows in (0, private):
        model = Word2Vec(vector_size=8, min_count=1, sample=0, seed=1, sg=sg, hs=hs,
                         negative=0 if hs else 3, window=3, **QUIET)
        model.build_vocab(sentences)
        kernel = model._kernel_model()
        kernel.keep_private_rows(rows, rows)
        ids = np.array([model.vocab.key_to_index[w] for s in sentences for w in s], np.int32)
        ends = np.cumsum([len(s) for s in sentences]).astype(np.int64)
        kernel.train_ids(ids, ends, ends.copy(), np.array([5], np.uint64), 0.05, 0.05, 0,
                         int(ends[-1]), np.zeros(1, STATS_DTYPE), 0, np.zeros(1, np.int32))
        out = model.syn1 if hs else model.syn1neg
        results.append((out.copy(), model.wv.vectors.copy()))
    (out, vectors), (out_p, vectors_p) = results
    hot = len(model.vocab) - 2 if hs else 0   # the root, or the most frequent word
    assert not np.array_equal(out[hot], 0)    # that row learned
    np.testing.assert_allclose(out_p, out, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(vectors_p, vectors, rtol=1e-3, atol=1e-5)


@pytest.fixture
def file_with_rare_words(tmp_path, corpus):
    """The toy corpus with words below min_count, empty lines and CRLF endings."""
    lines = [" ".join(s) + (f" rare{i}" if i % 7 == 0 else "") for i, s in enumerate(corpus)]
    lines[::50] = [""] * len(lines[::50])
    path = tmp_path / "rare.txt"
    path.write_bytes(("\r\n".join(lines) + "\n").encode())
    return str(path)


@pytest.mark.parametrize("sg, hs, negative", [(0, 0, 5), (1, 0, 5), (0, 1, 0), (1, 1, 3)])
def test_later_epochs_train_on_the_kept_ids_as_on_the_file(file_with_rare_words, monkeypatch,
                                                            sg, hs, negative):
    """The first epoch keeps the file as ids; a budget too small to keep them, or none,
    reads the file every epoch: the vectors are the same."""
    import rnnfast.embeddings.word2vec as w2v

    models = []
    for budget in (0, 600, w2v.CORPUS_CACHE_BYTES):
        monkeypatch.setattr(w2v, "CORPUS_CACHE_BYTES", budget)
        models.append(train(corpus_file=file_with_rare_words, sg=sg, hs=hs, negative=negative,
                            epochs=3, min_count=3))
    for m in models[1:]:
        assert np.array_equal(m.wv.vectors, models[0].wv.vectors)
        assert m.training_loss_ == models[0].training_loss_


@pytest.fixture
def file_with_many_words(tmp_path):
    """20,000 words twice each (ids past one and two varint bytes), singletons below
    min_count 2 and one line longer than a sentence."""
    from rnnfast.embeddings._vocab import MAX_SENTENCE

    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(20000)] * 2
    rng.shuffle(words)
    lines = [" ".join(words[i:i + 37]) + f" once{i}" for i in range(0, len(words) - 20000, 37)]
    lines.append(" ".join(words[len(words) - 20000:][:MAX_SENTENCE + 5]))
    lines.append(" ".join(words[len(words) - 20000:][MAX_SENTENCE + 5:]))
    path = tmp_path / "many.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return str(path)


def test_kept_sentences_are_the_file_as_read(file_with_many_words, monkeypatch):
    """The kept varints give back each sentence's ids and raw count (sentences cut at
    MAX_SENTENCE as the reader cuts them), and later epochs on them train as the file."""
    import rnnfast.embeddings.word2vec as w2v
    from rnnfast.embeddings._sgns import STATS_DTYPE
    from rnnfast.embeddings._vocab import MAX_SENTENCE, EncodedText, TokenTable

    model = train(corpus_file=file_with_many_words, epochs=1, min_count=2, vector_size=4)
    assert len(model.vocab) == 20000
    table = TokenTable.from_words([w.encode() for w in model.vocab.words])
    kept = EncodedText(1 << 24, table)
    stats, stop = np.zeros(1, STATS_DTYPE), np.zeros(1, np.intc)
    model._kernel_model().train_file(table, os.fsencode(file_with_many_words), 0,
                                     os.path.getsize(file_with_many_words),
                                     np.array([5], np.uint64), 0.0, 0.0, 1, stats, 0, stop,
                                     keep=kept)
    expected = []
    with open(file_with_many_words, encoding="utf8") as f:
        for line in f:
            tokens = line.split()
            for lo in range(0, len(tokens), MAX_SENTENCE):
                piece = tokens[lo:lo + MAX_SENTENCE]
                expected.append(([model.vocab.key_to_index[t] for t in piece
                                  if t in model.vocab.key_to_index], len(piece)))
    got = kept.sentences()
    assert [(list(ids), raw) for ids, raw in got] == expected
    assert max(max(ids) for ids, _ in expected) >= 1 << 14   # three-byte ids are there
    assert kept.n_bytes < 2.5 * sum(len(ids) for ids, _ in expected)
    models = []
    for budget in (0, w2v.CORPUS_CACHE_BYTES):
        monkeypatch.setattr(w2v, "CORPUS_CACHE_BYTES", budget)
        models.append(train(corpus_file=file_with_many_words, epochs=3, min_count=2,
                            vector_size=8))
    assert np.array_equal(models[0].wv.vectors, models[1].wv.vectors)


def test_kept_ids_are_the_range_as_read(file_with_rare_words):
    """train_file's keep holds the whole range; train_encoded on it repeats a pass
    over the file draw for draw; a kept text is refused where it does not belong."""
    from rnnfast.embeddings._sgns import STATS_DTYPE
    from rnnfast.embeddings._vocab import EncodedText, TokenTable

    model = train(corpus_file=file_with_rare_words, epochs=1, min_count=3)
    table = TokenTable.from_words([w.encode() for w in model.vocab.words])
    path, size = os.fsencode(file_with_rare_words), os.path.getsize(file_with_rare_words)
    kernel, stop = model._kernel_model(), np.zeros(1, np.intc)
    starts = [np.array([5], np.uint64), np.array([5], np.uint64)]
    stats = np.zeros(2, STATS_DTYPE)
    kept, small = EncodedText(1 << 24, table), EncodedText(600, table)
    kernel.train_file(table, path, 0, size, starts[0], 0.0, 0.0, 1, stats, 0, stop, keep=kept)
    kernel.train_file(table, path, 0, size, starts[1], 0.0, 0.0, 1, stats, 1, stop, keep=small)
    assert kept.held and not small.held
    assert kept.raw_words == stats["words"][0] == model.corpus_total_words
    # with alpha 0 nothing moves: a second pass either way draws the same stream
    again = np.zeros(2, STATS_DTYPE)
    kernel.train_file(table, path, 0, size, starts[0], 0.0, 0.0, 1, again, 0, stop)
    kernel.train_encoded(kept, starts[1], 0.0, 0.0, 1, again, 1, stop)
    assert np.array_equal(starts[0], starts[1])
    assert again[0] == again[1]
    with pytest.raises(ValueError, match="no whole range"):
        kernel.train_encoded(small, starts[0], 0.0, 0.0, 1, again, 0, stop)
    with pytest.raises(ValueError, match="new EncodedText"):
        kernel.train_file(table, path, 0, size, starts[0], 0.0, 0.0, 1, again, 0, stop, keep=kept)
    bigger = TokenTable.from_words([w.encode() for w in model.vocab.words] + [b"extra"])
    with pytest.raises(ValueError, match="token table's indices"):
        kernel.train_file(bigger, path, 0, size, starts[0], 0.0, 0.0, 1, again, 0, stop)
    # a repeated word leaves the table smaller than its largest index
    words = [w.encode() for w in model.vocab.words]
    repeated = TokenTable.from_words(words[:-1] + [words[0], words[-1]])
    assert len(repeated) == len(words) and repeated.index_bound == len(words) + 1
    with pytest.raises(ValueError, match="token table's indices"):
        kernel.train_file(repeated, path, 0, size, starts[0], 0.0, 0.0, 1, again, 0, stop)
    with pytest.raises(TypeError):
        kernel.train_encoded(None, starts[0], 0.0, 0.0, 1, again, 0, stop)
    with pytest.raises(TypeError):
        kernel.train_file(None, path, 0, size, starts[0], 0.0, 0.0, 1, again, 0, stop)
    with pytest.raises(TypeError):
        EncodedText(1 << 20, None)
    with pytest.raises(AttributeError):
        kept.complete = False   # set by train_file alone


def test_an_epoch_without_pairs_saves_and_loads(tmp_path):
    """An epoch that trains no pair has a NaN loss; the model saves and loads with it."""
    model = train([["only"], ["words", "alone"]], epochs=2)
    assert all(np.isnan(v) for v in model.training_loss_)
    model.save(tmp_path / "m")
    assert all(np.isnan(v) for v in Word2Vec.load(tmp_path / "m").training_loss_)


@pytest.mark.parametrize("source", ["iterable", "file"])
def test_train_returns_gensims_word_counts(corpus, corpus_file, source):
    """train returns (words trained after subsampling, words read), over all epochs."""
    data = {"corpus_iterable": corpus} if source == "iterable" else {"corpus_file": corpus_file}
    model = train(sample=0, epochs=1)
    model.build_vocab(**data)
    effective, raw = model.train(**data, epochs=3)
    assert raw == 3 * model.corpus_total_words and effective == raw  # every word kept
    model.sample = 1e-3
    effective, raw = model.train(**data, epochs=2)
    assert raw == 2 * model.corpus_total_words and 0 < effective < raw
