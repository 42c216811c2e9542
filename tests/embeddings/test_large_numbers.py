"""Counts, byte offsets, word totals and learning-rate positions past 2^31 and 2^32, on
small inputs: each test would fail if that number were held in 32 bits (a count or a
total wrapping, an offset seeking into the wrong place, a rate position cut short)."""

import os

import numpy as np
import pytest

from rnnfast import KeyedVectors, Vocabulary, Word2Vec
from rnnfast.embeddings.cooccur import count_arrays

QUIET = dict(progress=False)
PAST = [2**31 + 9, 2**32 + 9, 2**33 + 2**31 + 9]   # each wraps differently in 32 bits
TEXT = b"the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n"


def sparse_file(tmp_path, offset):
    """TEXT written `offset` bytes into a file whose first `offset` bytes are a hole
    (read as NUL bytes, which the readers refuse: only a range past it reads cleanly).
    The byte before TEXT is a newline, so the range [offset, size) starts a line."""
    path = tmp_path / "sparse.txt"
    with open(path, "wb") as f:
        f.seek(offset - 1)
        f.write(b"\n" + TEXT)
    if os.stat(path).st_blocks * 512 > 1 << 24:
        pytest.skip("this file system does not keep holes in files")
    return str(path)


def plain_counts():
    words = TEXT.split()
    return {w: words.count(w) for w in set(words)}


@pytest.mark.parametrize("offset", PAST)
def test_counting_a_range_far_into_a_file(tmp_path, offset):
    from rnnfast.embeddings._vocab import TokenTable

    path = sparse_file(tmp_path, offset)
    table, totals = TokenTable(16), np.zeros(3, np.int64)
    assert table.count_file(os.fsencode(path), offset, os.path.getsize(path), 0, totals,
                            np.zeros(1, np.intc))
    assert dict(zip(*table.items())) == plain_counts()
    assert totals.tolist() == [len(TEXT.split()), 3, len(TEXT)]


@pytest.mark.parametrize("offset", PAST)
def test_training_a_range_far_into_a_file(tmp_path, offset):
    from rnnfast.embeddings._sgns import STATS_DTYPE
    from rnnfast.embeddings._vocab import TokenTable

    path = sparse_file(tmp_path, offset)
    model = Word2Vec(vector_size=4, min_count=1, sample=0, seed=1, **QUIET)
    model.build_vocab([TEXT.decode().split()])
    table = TokenTable.from_words([w.encode() for w in model.vocab.words])
    stats = np.zeros(1, STATS_DTYPE)
    model._kernel_model().train_file(table, os.fsencode(path), offset, os.path.getsize(path),
                                     np.array([5], np.uint64), 0.025, 0.0001, len(TEXT.split()),
                                     stats, 0, np.zeros(1, np.intc))
    assert int(stats["words"][0]) == int(stats["kept"][0]) == len(TEXT.split())


@pytest.mark.parametrize("offset", PAST[:2])
def test_cooccurrence_of_a_range_far_into_a_file(tmp_path, offset, monkeypatch):
    from rnnfast.embeddings import cooccur

    path = sparse_file(tmp_path, offset)
    # the file's first bytes are the hole, which the whole-file check refuses as binary
    monkeypatch.setattr(cooccur, "check_corpus_file", lambda p: (p, os.path.getsize(p)))
    plain = tmp_path / "plain.txt"
    plain.write_bytes(TEXT)
    vocab = Vocabulary.from_corpus_file(str(plain), min_count=1, progress=False)
    want = count_arrays(vocab, None, str(plain), 3, True, True, None, 2, None, False)
    got = []
    cooccur._count(vocab, None, path, 3, True, True, None, 2, None,
                   lambda records: got.append(records.copy()), False,
                   byte_range=(offset, os.path.getsize(path)))
    records = np.concatenate(got)
    V = len(vocab)
    have = {(int(k) // V, int(k) % V): float(v) for k, v in zip(records["k"], records["v"])}
    assert have == {(int(r), int(c)): float(v) for r, c, v in zip(*want)}


@pytest.mark.parametrize("offset", PAST[:2])
def test_dask_shards_far_into_a_file(tmp_path, offset):
    pytest.importorskip("dask")
    from rnnfast.dask.counting import _vocab_shard

    path = sparse_file(tmp_path, offset)
    pieces, tokens, sentences = _vocab_shard((path, offset, os.path.getsize(path), False), 1)
    assert (tokens, sentences) == (len(TEXT.split()), 3)
    assert int(pieces[0][-1].sum()) == tokens


@pytest.mark.parametrize("big", [2**31 + 1, 2**32 + 3, 2**40 + 7])
def test_counts_past_32_bits_stay_exact(tmp_path, big):
    freq = {"huge": big, "large": 2**32 - 1, "small": 7, "tiny": 5}
    model = Word2Vec(vector_size=4, min_count=1, seed=1, **QUIET)
    model.build_vocab_from_freq(freq)
    total = sum(freq.values())
    assert model.corpus_total_words == total
    assert [model.wv.get_vecattr(w, "count") for w in freq] == list(freq.values())
    assert model.vocab.counts.dtype == np.int64
    # subsampling and the noise table see the true proportions
    keep = model.vocab.keep_probabilities(model.sample)[model.vocab.key_to_index["huge"]]
    threshold = model.sample * total
    assert keep == pytest.approx((np.sqrt(big / threshold) + 1) * threshold / big, rel=1e-12)
    assert model.cum_table[-1] == 2**31 - 1 and np.all(np.diff(model.cum_table.astype(np.int64)) > 0)
    # and every file keeps them
    model.save(str(tmp_path / "m.model"))
    again = Word2Vec.load(str(tmp_path / "m.model"))
    assert [again.wv.get_vecattr(w, "count") for w in freq] == list(freq.values())
    assert again.corpus_total_words == total
    model.wv.save_word2vec_format(str(tmp_path / "v.txt"), fvocab=str(tmp_path / "v.vocab"))
    read = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"),
                                             fvocab=str(tmp_path / "v.vocab"))
    assert [read.get_vecattr(w, "count") for w in freq] == list(freq.values())
    # and training on a few sentences with these counts runs and stays finite
    model.train([["huge", "large", "small", "tiny"]] * 20, total_examples=20, epochs=1)
    assert np.isfinite(model.wv.vectors).all()


def test_a_vocabulary_of_counts_past_32_bits_keeps_its_order_and_totals():
    counts = [2**33 + 1, 2**33, 2**32 + 1, 3]
    vocab = Vocabulary(["a", "b", "c", "d"], counts, total_words=sum(counts) + 5,
                       n_sentences=2**32 + 1)
    assert vocab.counts.tolist() == counts
    assert vocab.total_words == sum(counts) + 5 and vocab.n_sentences == 2**32 + 1
    assert vocab.pruned(2**32 + 1).words == ["a", "b", "c"]
    assert vocab.pruned(2**32 + 2).words == ["a", "b"]


def _train_ids(model, words_before, words_total, alpha_start=0.025, alpha_end=0.0):
    """One pass of the kernel over a few sentences, the pass's position set by hand;
    returns the input vectors before and after it, and puts every table back."""
    from rnnfast.embeddings._sgns import STATS_DTYPE

    ids = np.array([model.vocab.key_to_index[w] for w in TEXT.decode().split()], np.int32)
    ends = np.array([len(ids)], np.int64)
    before = model.wv.vectors.copy()
    tables = [t.copy() for t in (model.syn1, model.syn1neg) if t is not None]
    model._kernel_model().train_ids(ids, ends, ends.copy(), np.array([5], np.uint64),
                                    alpha_start, alpha_end, words_before, words_total,
                                    np.zeros(1, STATS_DTYPE), 0, np.zeros(1, np.int32))
    after = model.wv.vectors.copy()
    model.wv.vectors[:] = before
    for saved, t in zip(tables, [t for t in (model.syn1, model.syn1neg) if t is not None]):
        t[:] = saved
    return before, after


@pytest.mark.parametrize("total", PAST)
def test_the_learning_rate_follows_positions_past_32_bits(total):
    """With alpha falling from 0.025 to 0 over the pass, a sentence positioned at the
    pass's end moves nothing, one at its start moves the vectors, one half way trains
    exactly as at the constant rate 0.0125 (a position or total cut to 32 bits would
    put each somewhere else)."""
    model = Word2Vec(vector_size=8, min_count=1, sample=0, negative=0, hs=1, seed=1,
                     **QUIET)
    model.build_vocab([TEXT.decode().split()])
    before, at_end = _train_ids(model, total, total)
    np.testing.assert_array_equal(at_end, before)
    _, at_start = _train_ids(model, 0, total)
    assert np.abs(at_start - before).max() > 1e-4
    _, half = _train_ids(model, total // 2, total)
    _, constant = _train_ids(model, 0, 1, alpha_start=0.0125, alpha_end=0.0125)
    np.testing.assert_array_equal(half, constant)


def test_a_total_past_32_bits_keeps_the_rate_at_its_start():
    """train(total_words=2^40 + 2^31) on 900 words: the rate stays within float32's
    rounding of alpha, so the vectors equal a run at the constant rate alpha (bit for
    bit, one worker); cut to 32 bits the total would be 2^31 or less, and the rate
    would fall far enough to show."""
    sentences = [TEXT.decode().split()] * 50
    a = Word2Vec(vector_size=8, min_count=1, seed=3, workers=1, epochs=1, **QUIET)
    b = Word2Vec(vector_size=8, min_count=1, seed=3, workers=1, epochs=1, **QUIET)
    for m in (a, b):
        m.build_vocab(sentences)
    a.train(sentences, total_words=2**40 + 2**31, epochs=1)
    b.train(sentences, total_examples=len(sentences), epochs=1, end_alpha=b.alpha)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)


def test_update_counters_stop_at_their_largest_value():
    """The update counts of a Dask piece saturate: a row moved 2^32 times keeps
    2^32 - 1 rather than wrapping to a small count (or to 0, "not moved")."""
    from rnnfast.embeddings._sgns import STATS_DTYPE

    model = Word2Vec(vector_size=4, min_count=1, sample=0, shrink_windows=False, seed=1,
                     **QUIET)
    sentences = [TEXT.decode().split()] * 3
    model.build_vocab(sentences)
    kernel = model._kernel_model()
    top = np.iinfo(np.uint32).max
    counters = [np.full(len(model.vocab), top - 2, np.uint32) for _ in range(2)]
    kernel.count_updates(counters[0], counters[1], None)
    ids = np.array([model.vocab.key_to_index[w] for s in sentences for w in s], np.int32)
    ends = np.cumsum([len(s) for s in sentences]).astype(np.int64)
    kernel.train_ids(ids, ends, ends.copy(), np.array([5], np.uint64), 0.025, 0.001, 0,
                     int(ends[-1]), np.zeros(1, STATS_DTYPE), 0, np.zeros(1, np.int32))
    # every word is a center of several windows: its input row saturates
    assert counters[0].tolist() == [top] * len(model.vocab)
    assert counters[1].min() >= top - 2 and counters[1].max() == top
