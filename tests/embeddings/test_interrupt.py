"""Ctrl-C in the middle of a long job: it stops within 2 s, re-raises
KeyboardInterrupt, leaves no temporary file, and never damages an earlier output."""

import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory):
    """About 3M tokens of Zipf-distributed words: seconds of work for every job."""
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(5000)])
    ids = np.minimum(rng.zipf(1.2, 3_000_000), 5000) - 1
    path = tmp_path_factory.mktemp("corpus") / "big.txt"
    with open(path, "w") as f:
        for line in np.array_split(words[ids], 150_000):
            f.write(" ".join(line) + "\n")
    return path


def interrupt(tmp_path, script, ready):
    """Run `script` in a child, SIGINT it once it prints `ready`; returns (seconds from
    the signal to the child's exit, its stderr). The child's temporary files go to
    tmp_path / "tmp", which must be empty afterwards."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        seen = ""
        while ready not in seen:
            assert time.monotonic() < deadline, f"never got {ready!r}: {seen!r}"
            if select.select([child.stdout], [], [], 1)[0]:
                line = child.stdout.readline()
                assert line, f"the child ended early: {child.stderr.read()}"
                seen += line
        child.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, err = child.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode != 0
    assert "KeyboardInterrupt" in err, err
    assert list(tmp.iterdir()) == [], "temporary files left behind"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")], err
    return took, err


def test_word2vec_corpus_file(tmp_path, big_corpus):
    (tmp_path / "vectors.npz").write_bytes(b"an earlier result")
    took, _ = interrupt(tmp_path, f"""
        from rnnfast import Word2Vec
        def progress(status):
            if status["task"] == "word2vec":
                print("training", flush=True)
        model = Word2Vec(corpus_file={str(big_corpus)!r}, vector_size=50, epochs=50,
                         min_count=1, workers=2, progress=progress)
        model.save("vectors.npz")
        """, "training")
    assert took < 2
    assert (tmp_path / "vectors.npz").read_bytes() == b"an earlier result"


def test_cooccurrence_while_spilling(tmp_path, big_corpus):
    (tmp_path / "counts.bin").write_bytes(b"an earlier result")
    took, _ = interrupt(tmp_path, f"""
        from rnnfast import Vocabulary
        from rnnfast.embeddings.cooccur import cooccurrence_to_file
        vocab = Vocabulary.from_corpus_file({str(big_corpus)!r}, min_count=1)
        budget = 80 << 20  # just above the floor: it spills
        def progress(status):
            if status.get("spills"):
                print("spilled", flush=True)
        cooccurrence_to_file(vocab, "counts.bin", corpus_file={str(big_corpus)!r}, window=15,
                             memory_limit=budget, workers=2, progress=progress)
        """, "spilled")
    assert took < 2
    assert (tmp_path / "counts.bin").read_bytes() == b"an earlier result"


def test_glove_fit_keeps_its_last_checkpoint(tmp_path, big_corpus):
    took, _ = interrupt(tmp_path, f"""
        from rnnfast import GloVe
        def progress(status):
            if status["task"] == "glove" and status["epoch"] >= 3:
                print("epoch 3", flush=True)
        GloVe(vector_size=30, epochs=100, min_count=1, workers=2, checkpoint="state.npz",
              progress=progress).fit(corpus_file={str(big_corpus)!r})
        """, "epoch 3")
    assert took < 2
    from rnnfast import GloVe
    saved = GloVe.load(tmp_path / "state.npz")  # an epoch's whole state, not a torn file
    assert len(saved.cost_) >= 2 and np.isfinite(saved.state_["W"]).all()


def test_a_killed_save_leaves_nothing_the_next_save_keeps(tmp_path):
    from rnnfast._core.persist import atomic_write
    target = tmp_path / "model.npz"
    orphan = tmp_path / ".tmp-model.npz.99999999.0badf00d"  # no such process
    orphan.write_bytes(b"half a file")
    mine = tmp_path / f".tmp-model.npz.{os.getpid()}.0badf00d"  # a live writer's: kept
    mine.write_bytes(b"being written")
    other = tmp_path / ".tmp-other.npz.99999999.0badf00d"  # another target's: kept
    other.write_bytes(b"not ours")
    with atomic_write(target) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new"
    assert not orphan.exists() and mine.exists() and other.exists()


def test_no_glove_thread_writes_after_an_interrupt():
    import threading

    from rnnfast import GloVe
    rng = np.random.default_rng(0)
    sentences = [[f"w{i}" for i in rng.integers(0, 200, 30)] for _ in range(3000)]
    seen = []

    def progress(status):  # runs in the calling thread, as a SIGINT's handler would
        if status["task"] == "glove":
            seen.append(status)
            raise KeyboardInterrupt

    model = GloVe(vector_size=8, epochs=50, min_count=1, workers=2, progress=progress)
    before = threading.active_count()
    with pytest.raises(KeyboardInterrupt):
        model.fit(sentences)
    assert seen and threading.active_count() == before
    W = model.state_["W"].copy()
    time.sleep(0.2)
    assert np.array_equal(W, model.state_["W"])  # nothing is still training
