"""Word2Vec given hostile inputs: each either trains what it says or raises naming
the argument; none trains something else without a word."""

import os

import numpy as np
import pytest
from conftest import QUIET, huffman_cost

from rnnfast import Word2Vec
from rnnfast.embeddings import word2vec


def _corpus(path, seed=0, lines=400):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(50)]
    path.write_text("\n".join(" ".join(rng.choice(words, 12)) for _ in range(lines)) + "\n")
    return path


class _EditAfterFirstEpoch:
    """A callback that rewrites the corpus in place between epochs: the same size,
    other bytes, with its modification time put back unless `touch`."""

    def __init__(self, path, touch):
        self.path, self.touch, self.done = path, touch, False

    def on_epoch_end(self, model):
        if self.done:
            return
        self.done = True
        st = os.stat(self.path)
        text = self.path.read_bytes()
        with open(self.path, "r+b") as f:  # in place: the same inode
            f.write(text.replace(b"w1 ", b"w2 "))
        if not self.touch:
            os.utime(self.path, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert os.path.getsize(self.path) == st.st_size


@pytest.mark.parametrize("cache", [0, 1 << 30])
@pytest.mark.parametrize("touch", [False, True])
def test_a_corpus_edited_between_epochs_is_refused(tmp_path, cache, touch, monkeypatch):
    monkeypatch.setattr(word2vec, "CORPUS_CACHE_BYTES", cache)
    path = _corpus(tmp_path / "c.txt")
    model = Word2Vec(vector_size=8, min_count=1, workers=1, epochs=3, **QUIET)
    model.build_vocab(corpus_file=str(path))
    with pytest.raises(ValueError, match="c.txt' changed during training: it was edited in "
                                         "place|c.txt' changed during training: it was written"):
        model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=3,
                    callbacks=[_EditAfterFirstEpoch(path, touch)])


def test_a_corpus_replaced_or_grown_between_epochs_is_refused(tmp_path):
    path = _corpus(tmp_path / "c.txt")

    class Replace:
        def on_epoch_end(self, model):
            other = _corpus(tmp_path / "other.txt", seed=1)
            os.replace(other, path)

    class Grow:
        def on_epoch_end(self, model):
            with open(path, "a") as f:
                f.write("w1 w2\n")

    for callback, what in ((Replace(), "size|replaced"), (Grow(), "is now")):
        model = Word2Vec(vector_size=8, min_count=1, workers=2, epochs=2, **QUIET)
        model.build_vocab(corpus_file=str(path))
        with pytest.raises(ValueError, match=what):
            model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=2,
                        callbacks=[callback])


def test_an_unchanged_corpus_trains_as_before(tmp_path):
    path = _corpus(tmp_path / "c.txt")
    a = Word2Vec(corpus_file=str(path), vector_size=8, min_count=1, workers=1, epochs=3, **QUIET)
    b = Word2Vec(corpus_file=str(path), vector_size=8, min_count=1, workers=1, epochs=3, **QUIET)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)


def test_a_large_corpus_is_stamped_by_samples(tmp_path, monkeypatch):
    from rnnfast.embeddings import corpus
    monkeypatch.setattr(corpus, "_STAMP_WHOLE_BYTES", 1000)
    path = _corpus(tmp_path / "c.txt", lines=2000)
    stamp = corpus.file_stamp(path)
    assert stamp == corpus.file_stamp(path)
    st = os.stat(path)
    with open(path, "r+b") as f:  # a sampled byte: the first
        f.write(b"x")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert corpus.file_stamp(path)[4] != stamp[4]
    with pytest.raises(ValueError, match="edited in place"):
        corpus.check_unchanged(str(path), stamp)


def test_hierarchical_softmax_after_a_vocabulary_update_gives_frequent_words_short_codes():
    old = [["r1", "r2", "r3", "r4"]] * 3 + [["a", "b"]] * 20
    new = [["n1", "n2"]] * 400  # new words far more frequent than the old ones
    model = Word2Vec(old, vector_size=8, min_count=1, hs=1, negative=0, epochs=1, workers=1,
                     **QUIET)
    model.build_vocab(new, update=True)
    counts = model.vocab.counts
    assert not np.all(np.diff(counts) <= 0)  # the vocabulary is no longer sorted
    _, _, ends = model.vocab.huffman_paths()
    lengths = np.diff(np.concatenate([[0], ends]))
    assert int(np.sum(counts * lengths)) == huffman_cost(counts)
    words = model.vocab.words
    assert lengths[words.index("n1")] <= lengths[words.index("r1")]
    model.train(new, total_examples=len(new), epochs=1)
    assert np.isfinite(model.syn1).all()


def test_build_vocab_while_train_runs_is_refused():
    import threading
    sentences = [["a", "b", "c", "d"]] * 200
    model = Word2Vec(vector_size=8, min_count=1, workers=1, epochs=3, **QUIET)
    model.build_vocab(sentences)
    started, release = threading.Event(), threading.Event()

    class Pause:
        def on_epoch_begin(self, m):
            started.set()
            release.wait(10)

    errors = []

    def train():
        try:
            model.train(sentences, total_examples=len(sentences), epochs=3, callbacks=[Pause()])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    worker = threading.Thread(target=train)
    worker.start()
    try:
        assert started.wait(10)
        with pytest.raises(RuntimeError, match="build_vocab cannot run while train runs"):
            model.build_vocab([["new", "words"]] * 10, update=True)
        with pytest.raises(RuntimeError, match="train cannot run while train runs"):
            model.train(sentences, total_examples=len(sentences), epochs=1)
    finally:
        release.set()
        worker.join(30)
    assert not errors and len(model.training_loss_) == 3 and "new" not in model.wv
    model.build_vocab([["new", "words"]] * 10, update=True)  # once train has ended
    assert "new" in model.wv


def test_build_vocab_from_a_training_callback_is_refused():
    sentences = [["a", "b", "c"]] * 50

    class Grow:
        def on_epoch_end(self, m):
            m.build_vocab([["x", "y"]] * 10, update=True)

    model = Word2Vec(vector_size=4, min_count=1, workers=1, epochs=2, **QUIET)
    model.build_vocab(sentences)
    with pytest.raises(RuntimeError, match="build_vocab cannot run while train runs"):
        model.train(sentences, total_examples=50, epochs=2, callbacks=[Grow()])
    model.train(sentences, total_examples=50, epochs=1)  # the model is usable after


def test_counts_past_int64_are_refused_when_the_vocabulary_is_built():
    model = Word2Vec(vector_size=4, min_count=1, workers=1, **QUIET)
    with pytest.raises(ValueError, match="more than rnnfast counts"):
        model.build_vocab_from_freq({"a": 2**62 - 1, "b": 2**62 - 1, "c": 5})
    with pytest.raises(ValueError, match="word_freq"):
        model.build_vocab_from_freq({"a": 2**64})
    model.build_vocab_from_freq({"a": 2**60, "b": 2**60, "c": 5})
    with pytest.raises(ValueError, match="more than rnnfast counts"):
        model.build_vocab_from_freq({"a": 2**61, "b": 2**61}, update=True)
    assert model.vocab.counts.tolist() == [2**60, 2**60, 5]
    with pytest.raises(ValueError, match="total_words"):
        model.train([["a", "b", "c"]] * 10, total_words=2**63, epochs=1)
    model.train([["a", "b", "c"]] * 10, total_examples=10, epochs=1)


@pytest.mark.parametrize("edit, error, words", [
    ("add", ValueError, "model.wv holds 4 keys, the model's vocabulary 3"),
    ("reorder", ValueError, "added, removed or reordered"),
    ("float64", TypeError, "model.wv.vectors is float64"),
    ("narrow", ValueError, r"model.wv.vectors has shape \(3, 2\), not \(3, vector_size=4\)"),
    ("nan", ValueError, "model.wv.vectors holds NaN"),
    ("readonly", ValueError, r"read-only \(as after load\(\.\.\., mmap='r'\)\)"),
])
def test_editing_wv_then_training_says_what_was_changed(edit, error, words):
    s = [["a", "b", "c"]] * 30
    model = Word2Vec(s, vector_size=4, min_count=1, workers=1, epochs=1, **QUIET)
    wv = model.wv
    if edit == "add":
        wv.add_vector("new", np.ones(4))
    elif edit == "reorder":
        wv.index_to_key = wv.index_to_key[::-1]
    elif edit == "float64":
        wv.vectors = wv.vectors.astype(np.float64)
    elif edit == "narrow":
        wv.vectors = np.ascontiguousarray(wv.vectors[:, :2])
    elif edit == "nan":
        wv.vectors[1, 2] = np.nan
    else:
        wv.vectors.flags.writeable = False
    with pytest.raises(error, match=words):
        model.train(s, total_examples=30, epochs=1)


def test_gensim_arguments_without_effect_warn_once(monkeypatch):
    from rnnfast.embeddings import checks
    monkeypatch.setattr(checks, "_WARNED", set())
    s = [["a", "b", "c"]] * 20
    model = Word2Vec(vector_size=4, min_count=1, workers=1, **QUIET)
    with pytest.warns(UserWarning, match=r"build_vocab\(progress_per=5\) has no effect"):
        model.build_vocab(s, progress_per=5)
    for name, value in (("queue_factor", 4), ("report_delay", 0.5), ("word_count", 7)):
        with pytest.warns(UserWarning, match=rf"train\({name}={value}\) has no effect"):
            model.train(s, total_examples=20, epochs=1, **{name: value})
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once each: no second warning, and none for defaults
        model.train(s, total_examples=20, epochs=1, queue_factor=4)
        model.train(s, total_examples=20, epochs=1, queue_factor=2, report_delay=1.0)


def test_a_copy_made_during_training_can_be_trained():
    import copy
    import pickle
    s = [["a", "b", "c"]] * 30
    copies = []

    class Keep:
        def on_epoch_end(self, m):
            own, m.callbacks = m.callbacks, []  # this callback is no part of the copies
            copies.append(copy.deepcopy(m))
            copies.append(pickle.loads(pickle.dumps(m)))
            m.callbacks = own

    model = Word2Vec(vector_size=4, min_count=1, workers=1, epochs=1, progress=False,
                     callbacks=[Keep()])
    model.build_vocab(s)
    model.train(s, total_examples=30, epochs=1)
    assert len(copies) == 2
    for c in copies:
        c.train(s, total_examples=30, epochs=1)
    assert model.train(s, total_examples=30, epochs=1)[1] == 90


def test_gensims_save_arguments_are_accepted_and_warn_once(monkeypatch, tmp_path):
    """gensim's save(separately, sep_limit, ignore, pickle_protocol) lay out its pickle;
    rnnfast's archive needs none of them: a non-default value warns, the file is whole."""
    from rnnfast.embeddings import checks
    monkeypatch.setattr(checks, "_WARNED", set())
    model = Word2Vec([["a", "b", "c"]] * 20, vector_size=4, min_count=1, workers=1, **QUIET)
    model.save(tmp_path / "plain")   # defaults: silent
    with pytest.warns(UserWarning, match=r"save\(sep_limit=0\) has no effect"):
        model.save(tmp_path / "m", sep_limit=0)
    with pytest.warns(UserWarning, match=r"save\(ignore=\['syn1neg'\]\) has no effect"):
        model.wv.save(tmp_path / "kv", ignore=["syn1neg"])
    assert np.array_equal(Word2Vec.load(tmp_path / "m", mmap="r").wv.vectors, model.wv.vectors)

