"""GloVe: counting against the reference (in memory and spilled), epochs, the model."""

import os

import numpy as np
import pytest
from conftest import QUIET, assert_close
from hypothesis import given, settings, strategies as st
from scipy import sparse

import rnnfast.embeddings.cooccur as cooccur
from rnnfast import GloVe, Vocabulary, functional, reference
from rnnfast.datasets import COUNTRIES, toy_corpus
from rnnfast.embeddings import functional as embeddings_functional


@pytest.fixture(scope="module")
def corpus():
    return toy_corpus(3000, seed=5)


@pytest.fixture
def corpus_file(tmp_path, corpus):
    path = tmp_path / "toy.txt"
    # ragged spacing, blank lines and out-of-vocabulary words on purpose
    lines = ["  ".join(s) + (" zzz" if k % 7 == 0 else "") for k, s in enumerate(corpus)]
    path.write_text("\n\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def tiny_budget(monkeypatch):
    """Shrink every buffer so that a small corpus spills, re-partitions and merges in rounds."""
    monkeypatch.setattr(cooccur, "TRANSIENT_MEMORY", 0)
    monkeypatch.setattr(cooccur, "MIN_BUFFER_RECORDS", 64)
    monkeypatch.setattr(cooccur, "PARTITIONS", 4)
    spills = []
    original = cooccur._PartitionStore._spill

    def counting(self):
        spills.append(1)
        return original(self)

    monkeypatch.setattr(cooccur._PartitionStore, "_spill", counting)
    return spills


def as_dense(m):
    return m.toarray()


@pytest.mark.parametrize("kw", [{}, {"symmetric": False}, {"distance_weighting": False},
                                {"window": 1}, {"window": 25}])
def test_counts_match_reference(corpus, kw):
    vocab = Vocabulary.from_sentences(corpus, min_count=3)
    want = reference.cooccurrence(vocab, corpus, **kw)
    for workers in (1, 2):
        got = functional.cooccurrence(vocab, corpus, workers=workers, **kw)
        assert got.dtype == np.float64 and got.shape == (len(vocab), len(vocab))
        np.testing.assert_allclose(as_dense(got), as_dense(want), rtol=1e-12, atol=0)


def test_spilled_and_in_memory_paths_agree(corpus, corpus_file, tiny_budget, tmp_path):
    vocab = Vocabulary.from_sentences(corpus, min_count=1)
    want = as_dense(reference.cooccurrence(vocab, corpus_file=corpus_file, window=6))
    in_memory = as_dense(functional.cooccurrence(vocab, corpus_file=corpus_file, window=6))
    np.testing.assert_allclose(in_memory, want, rtol=1e-12)
    assert not tiny_budget
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for workers in (1, 2):
        for source in ({"corpus_file": corpus_file}, {"sentences": corpus}):
            got = functional.cooccurrence(vocab, **source, window=6, memory_limit="60KB",
                                          workers=workers, tmp_dir=str(scratch))
            np.testing.assert_allclose(as_dense(got), want, rtol=1e-12)
    assert tiny_budget, "the tiny budget should have forced spills"
    assert os.listdir(scratch) == []  # temporary files removed


@pytest.mark.parametrize("block", [1, 2, 3, 5, 8, 50])
def test_lines_longer_than_a_decoding_block(tmp_path, monkeypatch, block):
    # a file is decoded a block of ids at a time: lines cut by a block's end go on
    # in the next with their context, and a line that goes on with nothing new ends
    monkeypatch.setattr(cooccur, "BLOCK_IDS", block)
    rng = np.random.default_rng(block)
    words = [f"w{i}" for i in range(6)]
    lines = []
    for k in range(40):
        n = int(rng.integers(0, 30 if k % 3 else 4))
        lines.append(" ".join(words[i] if i < 6 else "oov" for i in rng.integers(0, 8, n)))
    lines[5] = "w1 w2 w3 " + "oov " * 20  # a line whose tail has no in-vocabulary token
    path = tmp_path / "long.txt"
    path.write_text("\n".join(lines) + "\n")
    for window in (1, 4, 9):
        want = reference.cooccurrence(words, corpus_file=str(path), window=window)
        got = functional.cooccurrence(words, corpus_file=str(path), window=window, workers=1)
        np.testing.assert_allclose(as_dense(got), as_dense(want), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(n_sent=st.integers(0, 30), window=st.integers(1, 6), symmetric=st.booleans(),
       weighting=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_random_corpora_match_reference(n_sent, window, symmetric, weighting, seed):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(8)]
    sentences = [[words[i] if i < 8 else "oov" for i in rng.integers(0, 10, rng.integers(0, 12))]
                 for _ in range(n_sent)]
    kw = dict(window=window, symmetric=symmetric, distance_weighting=weighting)
    got = functional.cooccurrence(words, sentences, workers=2, **kw)
    np.testing.assert_allclose(as_dense(got), as_dense(reference.cooccurrence(words, sentences,
                                                                             **kw)), rtol=1e-12)


def test_glove_file_format_round_trip(corpus, tmp_path):
    vocab = Vocabulary.from_sentences(corpus, min_count=1)
    X = functional.cooccurrence(vocab, corpus, window=4)
    cooccur.save_cooccurrence(X, tmp_path / "cooc.bin")
    raw = np.fromfile(tmp_path / "cooc.bin", dtype=cooccur.GLOVE_RECORD)
    assert len(raw) == X.nnz and raw["i"].min() == 1  # GloVe's ids start at 1
    back = cooccur.load_cooccurrence(tmp_path / "cooc.bin", len(vocab))
    np.testing.assert_array_equal(as_dense(back), as_dense(X))
    (tmp_path / "broken.bin").write_bytes(raw.tobytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        cooccur.load_cooccurrence(tmp_path / "broken.bin")
    with pytest.raises(ValueError, match="vocabulary has 2 words"):
        cooccur.load_cooccurrence(tmp_path / "cooc.bin", 2)


def glove_state(V, d, seed=1):
    rng = np.random.default_rng(seed)
    state = {k: ((rng.random((V, d)) - 0.5) / d).astype(np.float32) for k in ("W", "W_ctx")}
    state.update({k: ((rng.random(V) - 0.5) / d).astype(np.float32) for k in ("b", "b_ctx")})
    state.update({k: np.ones((V, d), np.float32) for k in ("G_W", "G_ctx")})
    state.update({k: np.ones(V, np.float32) for k in ("G_b", "G_bctx")})
    return state


@settings(max_examples=60, deadline=None)
@given(V=st.integers(1, 10), d=st.integers(1, 20), n=st.integers(0, 60),
       seed=st.integers(0, 2**32 - 1))
def test_epoch_kernel_matches_reference(V, d, n, seed):
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, V, n), rng.integers(0, V, n)
    counts = rng.random(n) * 200 + 0.5
    order = rng.permutation(n)
    fast, slow = glove_state(V, d), glove_state(V, d)
    cost_fast, skipped_fast = functional.glove_epoch(fast, rows, cols, counts, order)
    cost_slow, skipped_slow = reference.glove_epoch(slow, rows, cols, counts, order)
    assert skipped_fast == skipped_slow == 0
    assert cost_fast == pytest.approx(cost_slow, rel=1e-5, abs=1e-9)
    for k in fast:
        assert_close(fast[k], slow[k], np.float32, k)


@pytest.mark.parametrize("n, block", [(1, 4), (10, 3), (64, 8), (65, 8)])
def test_epoch_over_blocks_is_the_epoch_over_their_pairs(n, block):
    # GloVe.fit's epochs visit blocks of pairs in a random order: the kernel's block
    # mode must do exactly what the explicit order of those pairs does
    from rnnfast.embeddings._glove import glove_epoch
    rng = np.random.default_rng(n)
    V, d = 7, 5
    pairs = embeddings_functional.glove_pairs(rng.integers(0, V, n), rng.integers(0, V, n),
                                   rng.random(n) * 200 + 0.5, 100.0, 0.75)
    blocks = rng.permutation(-(-n // block))
    order = np.concatenate([np.arange(b * block, min((b + 1) * block, n)) for b in blocks])
    by_blocks, by_pairs = glove_state(V, d), glove_state(V, d)
    keys = ("W", "W_ctx", "b", "b_ctx", "G_W", "G_ctx", "G_b", "G_bctx")
    got = glove_epoch(*(by_blocks[k] for k in keys), pairs, blocks, 0, len(blocks), 0.05,
                      100.0, block)
    want = glove_epoch(*(by_pairs[k] for k in keys), pairs, order, 0, n, 0.05, 100.0)
    assert got[0] == pytest.approx(want[0], rel=1e-12)  # cost summed block by block
    assert got[1] == want[1]
    for k in keys:
        np.testing.assert_array_equal(by_blocks[k], by_pairs[k], err_msg=k)


def test_epoch_skips_pairs_whose_score_overflows():
    state = glove_state(2, 4)
    state["W"][0] = 3e19
    state["W_ctx"][1] = 3e19
    for impl in (functional, reference):
        s = {k: v.copy() for k, v in state.items()}
        cost, skipped = impl.glove_epoch(s, [0, 1], [1, 0], [5.0, 5.0], [0, 1])
        assert skipped == 1 and np.isfinite(cost)


def test_bad_epoch_inputs():
    state = glove_state(3, 2)
    with pytest.raises(ValueError, match="order must be a permutation"):
        functional.glove_epoch(state, [0], [1], [1.0], [1])
    with pytest.raises(ValueError, match="counts must be finite and positive"):
        functional.glove_epoch(state, [0], [1], [0.0], [0])
    with pytest.raises(ValueError, match="state is missing G_b"):
        functional.glove_epoch({k: v for k, v in state.items() if k != "G_b"}, [], [], [], [])
    with pytest.raises(TypeError, match="float32"):
        functional.glove_epoch({**state, "W": state["W"].astype(np.float64)}, [], [], [], [])


def test_glove_learns_the_toy_world(corpus_file):
    model = GloVe(vector_size=24, window=5, min_count=1, epochs=40, x_max=10, workers=2,
                  **QUIET).fit(corpus_file=corpus_file)
    assert len(model.cost_) == 40 and model.cost_[-1] < 0.5 * model.cost_[1]
    near = [w for w, _ in model.wv.most_similar("paris", topn=5)]
    places = {country for country, _, _ in COUNTRIES} | {capital for _, capital, _ in COUNTRIES}
    assert len(places.intersection(near)) >= 3, near
    word_only = GloVe(vector_size=8, min_count=1, epochs=2, output="word", **QUIET)
    word_only.fit(corpus_file=corpus_file)
    np.testing.assert_array_equal(word_only.wv.vectors, word_only.state_["W"])


def test_one_worker_is_reproducible_and_checkpoints_resume(corpus, tmp_path):
    vocab = Vocabulary.from_sentences(corpus, min_count=1)
    X = functional.cooccurrence(vocab, corpus, window=4)
    a = GloVe(vector_size=8, epochs=4, workers=1, **QUIET).fit_cooccurrence(X, vocab)
    b = GloVe(vector_size=8, epochs=4, workers=1, **QUIET).fit_cooccurrence(X, vocab)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    path = str(tmp_path / "ckpt.npz")
    GloVe(vector_size=8, epochs=2, workers=1, checkpoint=path, **QUIET).fit_cooccurrence(X, vocab)
    resumed = GloVe(vector_size=8, epochs=4, workers=1, checkpoint=path, **QUIET)
    resumed.fit_cooccurrence(X, vocab, resume=True)
    assert len(resumed.cost_) == 4
    np.testing.assert_array_equal(resumed.wv.vectors, a.wv.vectors)
    # the same counts split into duplicate entries, shuffled: summed back, the same model
    coo = X.tocoo()
    half = coo.data / 2
    order = np.random.default_rng(0).permutation(2 * coo.nnz)
    split = sparse.coo_matrix((np.concatenate([half, coo.data - half])[order],
                               (np.tile(coo.row, 2)[order], np.tile(coo.col, 2)[order])),
                              shape=X.shape)
    c = GloVe(vector_size=8, epochs=4, workers=1, **QUIET).fit_cooccurrence(split, vocab)
    np.testing.assert_allclose(c.wv.vectors, a.wv.vectors, rtol=1e-5, atol=1e-6)
    loaded = GloVe.load(path)
    assert len(loaded.cost_) == 4 and loaded.wv.vector_size == 8


def test_bad_inputs(corpus, tmp_path):
    vocab = Vocabulary.from_sentences(corpus, min_count=1)
    X = functional.cooccurrence(vocab, corpus, window=2)
    with pytest.raises(ValueError, match="matrix has shape"):
        GloVe(**QUIET).fit_cooccurrence(X, vocab.words[:-1])
    with pytest.raises(ValueError, match="all zeros"):
        GloVe(**QUIET).fit_cooccurrence(X * 0, vocab)
    with pytest.raises(ValueError, match="too small for this job"):
        functional.cooccurrence(vocab, corpus, memory_limit="1MB")
    with pytest.raises(ValueError, match="not a size"):
        GloVe(memory_limit="lots")
    with pytest.raises(ValueError, match="tmp_dir"):
        functional.cooccurrence(vocab, corpus, tmp_dir=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="output must be"):
        GloVe(output="both")
    with pytest.raises(ValueError, match="window must be >= 1"):
        GloVe(window=0)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        GloVe(**QUIET).fit(corpus_file=str(empty))
    with pytest.raises(ValueError, match="duplicate"):
        functional.cooccurrence(["a", "a"], [["a"]])
    assert cooccur.parse_memory("500MB") == 500 * 10**6
    assert cooccur.parse_memory("1.5GiB") == int(1.5 * 2**30)
    assert cooccur.parse_memory(1024) == 1024


def test_unwritable_temporary_directory(corpus, tiny_budget, tmp_path):
    if os.geteuid() == 0:
        locked = "/proc"  # root ignores permission bits; /proc refuses new files to anyone
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
    vocab = Vocabulary.from_sentences(corpus, min_count=1)
    with pytest.raises(OSError, match="full or unwritable"):
        functional.cooccurrence(vocab, corpus, memory_limit="60KB", tmp_dir=str(locked))


def test_partition_refuses_arrays_it_cannot_read_safely():
    from rnnfast.embeddings._glove import RECORD_DTYPE, partition
    records = np.zeros(3, RECORD_DTYPE)
    records["k"] = [0, 5, 8]
    parts = np.array([1, 0, 1], np.int32)
    grouped, bounds = partition(records, 3, parts, 2)
    assert bounds.tolist() == [0, 1, 3] and grouped["k"].tolist() == [5, 0, 8]
    unaligned = np.frombuffer(bytearray(13), np.int32, 3, offset=1)  # as unpickled arrays can be
    with pytest.raises(ValueError, match="part_of_row is not aligned"):
        partition(records, 3, unaligned, 2)
    with pytest.raises(ValueError, match=r"part_of_row must hold partitions in 0..1"):
        partition(records, 3, np.array([0, 1, 2], np.int32), 2)
    records["k"][2] = 9  # row 3 of a 3-word vocabulary
    with pytest.raises(ValueError, match=r"record keys must lie in 0..V\*V-1"):
        partition(records, 3, parts, 2)


def test_kernels_refuse_record_arrays_at_a_misaligned_address():
    # numpy calls a packed record array aligned at any offset; the C structs are not
    from rnnfast.embeddings import _glove
    records = np.frombuffer(bytearray(16 * 3 + 1), _glove.RECORD_DTYPE, 3, offset=1)
    with pytest.raises(ValueError, match="records is not 8-byte aligned"):
        _glove.partition(records, 3, np.zeros(3, np.int32), 1)
    V, d = 3, 2
    state = {k: np.ones((V, d), np.float32) for k in ("W", "W_ctx", "G_W", "G_ctx")}
    state.update({k: np.ones(V, np.float32) for k in ("b", "b_ctx", "G_b", "G_bctx")})
    pairs = np.frombuffer(bytearray(16 * 2 + 1), _glove.PAIR_DTYPE, 2, offset=1)
    with pytest.raises(ValueError, match="pairs is not 4-byte aligned"):
        _glove.glove_epoch(state["W"], state["W_ctx"], state["b"], state["b_ctx"], state["G_W"],
                           state["G_ctx"], state["G_b"], state["G_bctx"], pairs, None, 0, 2,
                           0.05, 100.0)


def test_cooccurrence_file_counter_refuses_a_table_past_its_vocabulary(tmp_path):
    # the C reader writes each token's table index into the counts: an index past
    # the counter's rows must be refused before it reads
    from rnnfast.embeddings._glove import CoocCounter
    from rnnfast.embeddings._vocab import TokenTable
    path = tmp_path / "c.txt"
    path.write_text("a b c\n")
    counter = CoocCounter(2, 1, True, True, 0, np.zeros(1, np.int64), 8, np.zeros(1, np.intc))
    counter.open_file(os.fsencode(path), 0, path.stat().st_size)
    with pytest.raises(ValueError, match="token table's indices"):
        counter.count_file(TokenTable.from_words([b"a", b"b", b"c"]))
    with pytest.raises(ValueError, match="token table's indices"):
        counter.count_file(TokenTable.from_words([b"a", b"a", b"b"]))  # index 2, two entries
    with pytest.raises(TypeError):
        counter.count_file(None)
    assert counter.count_file(TokenTable.from_words([b"a", b"b"])) is False  # the range's end


def test_several_workers_give_the_same_vectors_every_time(corpus):
    """Workers train disjoint strata, so the threads' timing cannot change a bit; with
    one worker the schedule is one stratum."""
    from rnnfast.embeddings.glove import GloVe as Model
    vocab = Vocabulary.from_sentences(corpus, min_count=1)
    assert len(vocab) > 64   # two groups of 64 words at least: more than one stratum
    counts = cooccur.cooccurrence(vocab, corpus, window=5)
    fits = [Model(vector_size=8, epochs=3, workers=w, seed=3, progress=False,
                  min_count=1).fit_cooccurrence(counts, vocab.words) for w in (3, 3, 1)]
    for k in fits[0].state_:
        np.testing.assert_array_equal(fits[0].state_[k], fits[1].state_[k], err_msg=k)
    assert fits[0].cost_ == fits[1].cost_
    # a different schedule, the same objective: costs close, vectors not equal
    assert fits[0].cost_[-1] == pytest.approx(fits[2].cost_[-1], rel=0.1)
