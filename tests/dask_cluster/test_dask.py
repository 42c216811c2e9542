"""rnnfast.dask on a local cluster of two worker processes: sharded input, the
vocabulary and the co-occurrences equal to the one-machine results exactly."""

import gzip
import os
import sys
import tempfile
import warnings

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from conftest import local_cluster  # noqa: E402

import rnnfast.dask as rd  # noqa: E402
from rnnfast import Vocabulary, cooccurrence  # noqa: E402
from rnnfast.dask import counting  # noqa: E402
from rnnfast.dask._cluster import _InProcess, _OnCluster  # noqa: E402
from rnnfast.embeddings import cooccur

# the workers cannot import this file: the functions they run from it travel by value
pytest.importorskip("cloudpickle").register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as c:
        yield c


@pytest.fixture(autouse=True)
def _whole_cluster(request):
    """Both workers running before a test that uses the cluster: a test that killed
    or restarted one leaves it coming back for a while, and a fit started then would
    place one replica, not two (and so not equal the two-replica schedule)."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").wait_for_workers(2, timeout=120)


WORDS = [f"w{i}" for i in range(60)] + ["é", "日本語", "ü", "naïve", "€"]


def _text(rng, lines, crlf=False, final_newline=True):
    p = 1.0 / np.arange(1, len(WORDS) + 1)
    p /= p.sum()
    out = []
    for k in range(lines):
        words = rng.choice(WORDS, rng.integers(0, 14), p=p)  # some lines are blank
        out.append("  ".join(words) + ("\r\n" if crlf and k % 3 == 0 else "\n"))
    text = "".join(out)
    return text if final_newline else text.rstrip("\n")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """One corpus file: CRLF lines, multi-byte UTF-8 everywhere, no final newline."""
    path = tmp_path_factory.mktemp("corpus") / "c.txt"
    path.write_bytes(_text(np.random.default_rng(0), 400, crlf=True,
                           final_newline=False).encode("utf-8"))
    return str(path)


def _same_vocab(a, b):
    assert a.words == b.words
    np.testing.assert_array_equal(a.counts, b.counts)
    assert (a.total_words, a.n_sentences) == (b.total_words, b.n_sentences)


def test_shards_cover_each_file_and_keep_compressed_files_whole(tmp_path, corpus):
    size = os.path.getsize(corpus)
    got = rd.shards(corpus, shard_bytes=1000)
    assert got[0][1] == 0 and got[-1][2] == size
    assert all(a[2] == b[1] for a, b in zip(got, got[1:]))  # contiguous
    assert all(not s[3] for s in got) and len(got) == -(-size // 1000)
    gz = tmp_path / "more.txt.gz"
    gz.write_bytes(gzip.compress(b"a b c\n"))
    (tmp_path / "empty.txt").write_bytes(b"")
    found = rd.shards(str(tmp_path / "*"))
    assert [(os.path.basename(s[0]), s[3]) for s in found] == [("more.txt.gz", True)]
    with pytest.raises(FileNotFoundError, match="no file matches"):
        rd.shards(str(tmp_path / "nothing-*.txt"))
    with pytest.raises(ValueError, match="shard_bytes must be >= 1"):
        rd.shards(corpus, shard_bytes=0)


@pytest.mark.parametrize("shard_bytes", [10**9, 997, 61])
def test_vocabulary_equals_the_one_machine_vocabulary(client, corpus, shard_bytes):
    # small shards cut lines, CRLF pairs and UTF-8 characters at their boundaries
    want = Vocabulary.from_corpus_file(corpus, min_count=2)
    got = rd.build_vocab("file://" + corpus, min_count=2, client=client,
                         shard_bytes=shard_bytes, partitions=3)
    _same_vocab(got, want)


def test_vocabulary_of_several_files_and_a_compressed_one(client, tmp_path):
    rng = np.random.default_rng(1)
    texts = [_text(rng, 60) for _ in range(3)]
    (tmp_path / "a.txt").write_text(texts[0], encoding="utf-8")
    (tmp_path / "b.txt").write_text(texts[1], encoding="utf-8")
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(texts[2].encode("utf-8")))
    whole = tmp_path / "whole"
    whole.write_text("".join(texts), encoding="utf-8")
    want = Vocabulary.from_corpus_file(str(whole), min_count=1)
    before = set(os.listdir(tempfile.gettempdir()))
    got = rd.build_vocab([str(tmp_path / "*.txt"), str(tmp_path / "c.txt.gz")], min_count=1,
                         client=client, shard_bytes=300)
    _same_vocab(got, want)
    leftovers = {n for n in set(os.listdir(tempfile.gettempdir())) - before
                 if n.startswith("rnnfast-shard-")}
    assert not leftovers  # the decompressed copy is gone


def test_vocabulary_errors_read_as_on_one_machine(client, corpus):
    with pytest.raises(ValueError, match="no word of the corpus .* occurs min_count=100000 times"):
        rd.build_vocab(corpus, min_count=100000, client=client)
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        rd.build_vocab(corpus, client="tcp://nowhere:1")
    vocab = Vocabulary.from_corpus_file(corpus, min_count=1)
    with pytest.raises(ValueError, match="memory_limit 'lots' is not a size"):
        rd.cooccurrence(corpus, vocab, "unused", memory_limit="lots", client=client)
    with pytest.raises(ValueError, match="blocks must be >= 1"):
        rd.cooccurrence(corpus, vocab, "unused", blocks=0, client=client)


def test_shards_of_a_remote_filesystem_count_as_local_ones(corpus):
    # memory:// stands for any non-local fsspec store: each shard is copied from
    # the byte before it to the end of its last line, then counted
    fsspec = pytest.importorskip("fsspec")
    with open(corpus, "rb") as f:
        data = f.read()
    with fsspec.open("memory://rnnfast-test/c.txt", "wb") as f:
        f.write(data)
    remote = rd.shards("memory://rnnfast-test/c.txt", shard_bytes=83)
    local = rd.shards(corpus, shard_bytes=83)
    assert [s[1:] for s in remote] == [s[1:] for s in local]
    for r, s in zip(remote, local):
        a, b = counting._vocab_shard(r, 1), counting._vocab_shard(s, 1)
        assert a[1:] == b[1:]
        assert dict(zip(counting._unpack(*a[0][0][:2]), a[0][0][2])) == \
            dict(zip(counting._unpack(*b[0][0][:2]), b[0][0][2]))


def _tiny_budget():
    """In a worker: shrink the counter's buffers so that a small shard spills, and
    count the spills (in c.spills_seen)."""
    from rnnfast.embeddings import cooccur as c
    c.TRANSIENT_MEMORY = 0
    c.MIN_BUFFER_RECORDS = 64
    c.PARTITIONS = 4
    if not hasattr(c, "spills_seen"):
        c.spills_seen = 0
        spill = c._PartitionStore._spill

        def counted(self):
            c.spills_seen += 1
            return spill(self)

        c._PartitionStore._spill = counted


def _spills_seen():
    from rnnfast.embeddings import cooccur as c
    return getattr(c, "spills_seen", 0)


def _sorted(coo):
    coo = coo.tocoo()
    order = np.lexsort((coo.col, coo.row))
    return coo.row[order], coo.col[order], coo.data[order]


@pytest.mark.parametrize("blocks,shard_bytes,kw", [
    (1, 10**9, {}),
    (2, 3000, {}),
    (3, 1500, {"window": 4, "symmetric": False}),
    (2, 1500, {"distance_weighting": False}),
])
def test_cooccurrence_equals_the_one_machine_counts_bit_for_bit(client, corpus, tmp_path,
                                                                blocks, shard_bytes, kw):
    vocab = Vocabulary.from_corpus_file(corpus, min_count=1)
    want = _sorted(cooccurrence(vocab, corpus_file=corpus, **kw))
    client.run(_tiny_budget)
    before = sum(client.run(_spills_seen).values())
    got = rd.cooccurrence(corpus, vocab, str(tmp_path / "cooc"), blocks=blocks, client=client,
                          shard_bytes=shard_bytes, memory_limit="20KB", **kw)
    assert sum(client.run(_spills_seen).values()) > before  # the shards spilled to disk
    assert got.nnz == len(want[0])
    for a, b in zip(_sorted(got.to_coo()), want):
        np.testing.assert_array_equal(a, b)  # exact: the sums do not depend on the split
    # each block holds the rows and columns dealt to it
    rows, cols, _ = got.block(blocks - 1, 0)
    assert set(rows) <= set(got.rows_of(blocks - 1)) and set(cols) <= set(got.rows_of(0))
    again = rd.load_blocked_cooccurrence(str(tmp_path / "cooc"))
    assert again.nnz == got.nnz and again.blocks == blocks
    files = sorted(p.relative_to(tmp_path / "cooc").as_posix()
                   for p in (tmp_path / "cooc").rglob("*.bin"))
    assert files == sorted(f"row={p}/col={q}.bin" for p in range(blocks) for q in range(blocks))


def test_blocks_spread_the_frequent_rows(corpus):
    # the permutation deals the most frequent ids (0, 1, ...) to different blocks
    vocab = Vocabulary.from_corpus_file(corpus, min_count=1)
    meta = {"vocab_size": len(vocab), "blocks": 4, "seed": 0, "records": [[0] * 4] * 4}
    blocked = rd.BlockedCooccurrence("unused", meta)
    head = [next(p for p in range(4) if i in set(blocked.rows_of(p))) for i in range(8)]
    assert len(set(head)) > 1


def test_one_machine_counts_do_not_depend_on_workers_or_budget(corpus, monkeypatch):
    vocab = Vocabulary.from_corpus_file(corpus, min_count=1)
    want = _sorted(cooccurrence(vocab, corpus_file=corpus, workers=1))
    monkeypatch.setattr(cooccur, "TRANSIENT_MEMORY", 0)
    monkeypatch.setattr(cooccur, "MIN_BUFFER_RECORDS", 64)
    for workers, budget in [(2, None), (3, "60KB")]:
        got = _sorted(cooccurrence(vocab, corpus_file=corpus, workers=workers,
                                   memory_limit=budget))
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_a_worker_killed_mid_task_still_gives_the_exact_counts(client, corpus, tmp_path):
    marker = str(tmp_path / "killed")

    def die_once():
        # in each worker: the first shard task to run kills its process (once in all)
        import rnnfast.dask.counting as mod
        original = mod._vocab_shard

        def dying(shard, parts):
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                return original(shard, parts)
            os.close(fd)
            os._exit(1)

        mod._vocab_shard = dying

    client.run(die_once)
    want = Vocabulary.from_corpus_file(corpus, min_count=1)
    try:
        got = rd.build_vocab(corpus, min_count=1, client=client, shard_bytes=500)
    finally:
        client.restart()  # fresh workers, without the patch
    assert os.path.exists(marker)
    _same_vocab(got, want)


def test_cli_glove_counts_on_the_cluster(client, corpus, tmp_path, capsys):
    from rnnfast import KeyedVectors
    from rnnfast.cli import main
    out = tmp_path / "vectors.txt"
    assert main(["glove", corpus, "-o", str(out), "--dask", client.scheduler.address,
                 "--epochs", "2", "--min-count", "2", "--dim", "8",
                 "--blocks-dir", str(tmp_path / "blocks")]) == 0
    wv = KeyedVectors.load_word2vec_format(str(out))
    assert wv.index_to_key == Vocabulary.from_corpus_file(corpus, min_count=2).words
    assert (tmp_path / "blocks" / counting.MANIFEST).exists()  # --blocks-dir is kept
    assert main(["glove", corpus, "-o", str(out), "--dask", client.scheduler.address,
                 "--max-vocab-size", "10"]) == 2
    assert "--max-vocab-size prunes in reading order" in capsys.readouterr().err


@pytest.fixture(scope="module")
def glove_corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("glove") / "g.txt"
    path.write_text(_text(np.random.default_rng(4), 1500), encoding="utf-8")
    return str(path)


def _same_state(a, b):
    return all(np.array_equal(a.state_[k], b.state_[k]) for k in a.state_) and a.cost_ == b.cost_


def test_distributed_glove_with_one_block_is_the_one_machine_run(client, glove_corpus, tmp_path):
    from rnnfast import GloVe
    vocab = Vocabulary.from_corpus_file(glove_corpus, min_count=1)
    counts = rd.cooccurrence(glove_corpus, vocab, str(tmp_path / "c1"), blocks=1, client=client)
    want = GloVe(vector_size=6, epochs=4, workers=1, seed=5).fit_cooccurrence(counts.to_coo(),
                                                                            vocab)
    got = rd.GloVe(vector_size=6, epochs=4, seed=5).fit(counts, vocab, client=client)
    assert _same_state(got, want)  # bit for bit
    assert got.wv.index_to_key == vocab.words
    np.testing.assert_array_equal(got.wv.vectors, want.wv.vectors)


def test_distributed_glove_equals_its_in_process_schedule_and_resumes(client, glove_corpus,
                                                                      tmp_path):
    vocab = Vocabulary.from_corpus_file(glove_corpus, min_count=1)
    counts = rd.cooccurrence(glove_corpus, vocab, str(tmp_path / "c2"), blocks=2, client=client)
    kw = dict(vector_size=6, seed=5)
    got = rd.GloVe(epochs=4, **kw).fit(str(tmp_path / "c2"), vocab, client=client)
    simulated = rd.GloVe(epochs=4, **kw)._fit_blocks(counts, vocab.words, False, _InProcess())
    assert _same_state(got, simulated)
    # the cost it reaches is the one-block run's, to within a few per cent
    one = rd.GloVe(epochs=4, **kw)._fit_blocks(
        rd.cooccurrence(glove_corpus, vocab, str(tmp_path / "c1"), blocks=1, client=client),
        vocab.words, False, _InProcess())
    assert got.cost_[-1] == pytest.approx(one.cost_[-1], rel=0.05)
    # two epochs, a checkpoint, then two more: the same as four at once
    ckpt = str(tmp_path / "ckpt.npz")
    rd.GloVe(epochs=2, checkpoint=ckpt, **kw).fit(counts, vocab, client=client)
    resumed = rd.GloVe(epochs=4, checkpoint=ckpt, **kw).fit(counts, vocab, client=client,
                                                            resume=True)
    assert _same_state(resumed, got)


def test_distributed_glove_goes_on_from_its_checkpoint_when_a_worker_dies(client, glove_corpus,
                                                                          tmp_path):
    vocab = Vocabulary.from_corpus_file(glove_corpus, min_count=1)
    counts = rd.cooccurrence(glove_corpus, vocab, str(tmp_path / "c2"), blocks=2, client=client)
    kw = dict(vector_size=6, seed=5, epochs=3)
    want = rd.GloVe(**kw)._fit_blocks(counts, vocab.words, False, _InProcess())
    marker = str(tmp_path / "killed")

    def die_in_second_epoch():
        import rnnfast.dask.glove as mod
        original = mod._train_stratum

        def dying(rows, ctx, pairs, order_seed, *rest):
            if len(order_seed) > 1 and order_seed[1] == 1:  # epoch 2
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    return original(rows, ctx, pairs, order_seed, *rest)
                os._exit(1)
            return original(rows, ctx, pairs, order_seed, *rest)

        mod._train_stratum = dying

    client.run(die_in_second_epoch)
    try:
        got = rd.GloVe(checkpoint=str(tmp_path / "ckpt.npz"), **kw).fit(counts, vocab,
                                                                        client=client)
    finally:
        client.restart()
    assert os.path.exists(marker)
    assert _same_state(got, want)


def test_distributed_glove_resumes_from_its_checkpoint_when_blocks_are_lost(
        client, glove_corpus, tmp_path, monkeypatch):
    # what Dask raises when a block's only copy died with its worker
    from distributed.scheduler import KilledWorker
    vocab = Vocabulary.from_corpus_file(glove_corpus, min_count=1)
    counts = rd.cooccurrence(glove_corpus, vocab, str(tmp_path / "c2"), blocks=2, client=client)
    kw = dict(vector_size=6, seed=5, epochs=3)
    want = rd.GloVe(**kw)._fit_blocks(counts, vocab.words, False, _InProcess())
    gathered, fits = [], []
    gather, fit_blocks = _OnCluster.gather, rd.GloVe._fit_blocks

    def failing_gather(self, futures):
        gathered.append(1)
        if len(gathered) == 4:  # the second epoch's figures (after the first's state)
            raise KilledWorker("_train_stratum", "tcp://lost:1", 3)
        return gather(self, futures)

    monkeypatch.setattr(_OnCluster, "gather", failing_gather)
    monkeypatch.setattr(rd.GloVe, "_fit_blocks",
                        lambda self, *a: fits.append(a[2]) or fit_blocks(self, *a))
    got = rd.GloVe(checkpoint=str(tmp_path / "ckpt.npz"), **kw).fit(counts, vocab,
                                                                    client=client)
    assert fits == [False, True]  # the second attempt resumed
    assert _same_state(got, want)
    monkeypatch.setattr(_OnCluster, "gather", lambda self, f: (_ for _ in ()).throw(
        KilledWorker("_train_stratum", "tcp://lost:1", 3)))
    with pytest.raises(KilledWorker):  # without a checkpoint there is nothing to resume
        rd.GloVe(**kw).fit(counts, vocab, client=client)


# --- Word2Vec, combined across the workers ---------------------------------------------

W2V = dict(vector_size=8, window=3, min_count=1, epochs=3, workers=1, seed=2,
           progress=False)


@pytest.fixture(scope="module")
def w2v_corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("w2v") / "w.txt"
    path.write_text(_text(np.random.default_rng(6), 1200), encoding="utf-8")
    return str(path)


def _w2v_in_process(path, replicas, **kw):
    """The cluster run's schedule, here: `replicas` replicas one after another."""
    m = rd.Word2Vec(**kw)
    m._adopt_vocab(Vocabulary.from_corpus_file(path, min_count=1), False, None)
    m._rng = None
    m._epochs(m._pieces(path), _InProcess(), [None] * replicas)
    return m


def _same_tables(a, b):
    for x, y in ((a.wv.vectors, b.wv.vectors), (a.syn1neg, b.syn1neg), (a.syn1, b.syn1)):
        assert (x is None and y is None) or np.array_equal(x, y)
    assert a.training_loss_ == b.training_loss_


@pytest.mark.parametrize("sg,hs,negative", [(1, 0, 5), (0, 0, 5), (1, 1, 0), (0, 1, 3)])
def test_distributed_word2vec_with_one_replica_is_the_one_machine_run(w2v_corpus, sg, hs,
                                                                      negative):
    from rnnfast import Word2Vec
    kw = dict(W2V, sg=sg, hs=hs, negative=negative)
    want = Word2Vec(corpus_file=w2v_corpus, **kw)
    got = _w2v_in_process(w2v_corpus, 1, sync_words=1500, **kw)  # several pieces
    assert len(got._pieces(w2v_corpus)) > 3
    assert got.wv.index_to_key == want.wv.index_to_key
    _same_tables(got, want)  # bit for bit


@pytest.mark.parametrize("sg,hs,negative,combine", [(1, 0, 5, "sum"), (0, 1, 3, "average")])
def test_distributed_word2vec_equals_its_in_process_schedule(client, w2v_corpus, sg, hs,
                                                             negative, combine):
    kw = dict(W2V, sg=sg, hs=hs, negative=negative, sync_words=1800, combine=combine)
    reports = []
    got = rd.Word2Vec(**dict(kw, progress=reports.append)).fit(w2v_corpus, client=client)
    assert len(got._pieces(w2v_corpus)) % 2  # an odd count: one worker idles a round
    _same_tables(got, _w2v_in_process(w2v_corpus, 2, **kw))
    assert got.wv.index_to_key == Vocabulary.from_corpus_file(w2v_corpus, min_count=1).words
    assert reports[-1]["task"] == "word2vec" and reports[-1]["fraction"] == 1.0
    assert got.training_loss_[-1] < got.training_loss_[0]


def test_distributed_word2vec_sum_keeps_the_one_machine_pace(w2v_corpus):
    # averaging shrinks every shared row's step: with 4 replicas it ends well behind
    from rnnfast import Word2Vec
    kw = dict(W2V, sync_words=600)
    one = Word2Vec(corpus_file=w2v_corpus, **W2V).training_loss_[-1]
    summed = _w2v_in_process(w2v_corpus, 4, combine="sum", **kw).training_loss_[-1]
    averaged = _w2v_in_process(w2v_corpus, 4, combine="average", **kw).training_loss_[-1]
    assert one < summed < averaged


class _Agreed:
    def __init__(self, vectors):
        self.vectors = vectors

    def base(self):
        return {"vectors": self.vectors}


@pytest.mark.parametrize("rule,row5", [("sum", 2.0 + 5.0 - 3.0), ("average", (2 + 5 * 3) / 4)])
def test_distributed_word2vec_combines_the_touched_rows(rule, row5):
    from rnnfast.dask.word2vec import _combine
    agreed = _Agreed(np.array([[0.0]] * 5 + [[3.0]] + [[0.0]] * 3, np.float32))
    rows = np.array([1, 5]), np.array([5, 7])  # slice 1 of 2: the odd rows
    part = [{"vectors": (rows[0], np.array([[1.0], [2.0]], np.float32),
                         np.array([3, 1], np.uint32))},
            {"vectors": (rows[1], np.array([[5.0], [9.0]], np.float32),
                         np.array([3, 2], np.uint32))}]
    got_rows, values = _combine(part, agreed, rule)["vectors"]
    np.testing.assert_array_equal(got_rows, [1, 5, 7])
    # a row one replica moved keeps its value; row 5 was 3 before both moved it
    np.testing.assert_array_equal(values[:, 0], np.array([1.0, row5, 9.0], np.float32))
    got_rows, values = _combine(part[::-1], agreed, rule)["vectors"]
    np.testing.assert_array_equal(got_rows, [1, 5, 7])  # the same whoever comes first
    np.testing.assert_array_equal(values[:, 0], np.array([1.0, row5, 9.0], np.float32))
    empty = {"vectors": (np.array([], np.int64), np.zeros((0, 1), np.float32),
                         np.array([], np.uint32))}
    got_rows, values = _combine([empty, empty], agreed, rule)["vectors"]
    assert got_rows.shape == (0,) and values.shape == (0, 1)


def test_distributed_word2vec_goes_on_when_a_worker_dies(client, w2v_corpus, tmp_path):
    kw = dict(W2V, sync_words=1500)
    want = _w2v_in_process(w2v_corpus, 2, **kw)
    marker = str(tmp_path / "killed")

    def die_in_second_epoch():
        import rnnfast.dask.word2vec as mod
        original = mod._train_piece

        def dying(replica, merged, piece, done, alphas, *rest):
            if alphas[0] < W2V.get("alpha", 0.025) and piece is not None:  # epoch 2 on
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    return original(replica, merged, piece, done, alphas, *rest)
                os._exit(1)
            return original(replica, merged, piece, done, alphas, *rest)

        mod._train_piece = dying

    client.run(die_in_second_epoch)
    epochs = []
    try:
        got = rd.Word2Vec(callbacks=[lambda m, e: epochs.append(e)], **kw).fit(w2v_corpus,
                                                                              client=client)
    finally:
        client.restart()
    assert os.path.exists(marker)
    assert len(got.training_loss_) == 3 and epochs == [0, 1, 2]
    # epoch 2 started again from epoch 1's end with its random streams: nothing differs
    _same_tables(got, want)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(sentences=[["a"]]), TypeError, "takes no sentences: call fit"),
    (dict(corpus_file="x.txt"), TypeError, "takes no corpus_file: call fit"),
    (dict(max_vocab_size=10), ValueError, "max_vocab_size prunes in reading order"),
    (dict(sync_words=0), ValueError, "sync_words"),
    (dict(sync_words=1.5), TypeError, "sync_words"),
    (dict(combine="median"), ValueError, "combine must be one of"),
])
def test_distributed_word2vec_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        rd.Word2Vec(**kwargs)


def test_distributed_word2vec_bad_inputs(client, w2v_corpus, tmp_path):
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        rd.Word2Vec(**W2V).fit(w2v_corpus, client="tcp://nowhere:1")
    with pytest.raises(FileNotFoundError):
        rd.Word2Vec(**W2V).fit(str(tmp_path / "missing.txt"), client=client)


def test_many_small_shards_of_a_small_vocabulary_are_warned_of():
    """The shuffle's bound, on paper: 190 shards of 64 MiB at V = 10k (what filled a
    65 GB disk) warn; two shards, or a vocabulary of millions, do not."""
    from rnnfast.dask.counting import _warn_of_a_large_shuffle
    mib64 = 64 << 20
    many = [("c.txt", k * mib64, (k + 1) * mib64, False) for k in range(190)]
    with pytest.warns(UserWarning, match=r"190 shards may send up to .* GB .*shard_bytes"):
        _warn_of_a_large_shuffle(many, 10_000, 10, 2_150_000_000)
    two = [("c.txt", 0, 95 * mib64, False), ("c.txt", 95 * mib64, 190 * mib64, False)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_of_a_large_shuffle(two, 10_000, 10, 2_150_000_000)
        _warn_of_a_large_shuffle(many, 4_000_000, 10, 2_150_000_000)
        _warn_of_a_large_shuffle([("c.xz", 0, 10**6, True)] * 50, 10_000, 10, None)
