"""Every writer writes through to what the user named: a symlink's target is replaced
(the link stays), a FIFO or character device is written in place, and a directory,
block device or socket is refused naming the path. Never a special file replaced."""

import os
import socket
import stat
import threading

import numpy as np
import pytest
from conftest import QUIET

from rnnfast import GloVe, KeyedVectors, RNNRegressor, Word2Vec
from rnnfast._core import persist
from rnnfast.cli import main

SENTENCES = [["a", "b", "c", "a", "b"]] * 20
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _writers():
    """name -> function(path) writing one of rnnfast's files to path."""
    w2v = Word2Vec(SENTENCES, vector_size=4, min_count=1, epochs=1, workers=1, **QUIET)
    glove = GloVe(vector_size=4, min_count=1, epochs=1, workers=1, **QUIET).fit(SENTENCES)
    rnn = RNNRegressor(hidden_size=3, epochs=1).fit(np.ones((4, 2, 1)), np.arange(4.0))
    return {
        "Word2Vec.save": w2v.save,
        "KeyedVectors.save": w2v.wv.save,
        "save_word2vec_format text": w2v.wv.save_word2vec_format,
        "save_word2vec_format binary": lambda p: w2v.wv.save_word2vec_format(p, binary=True),
        "GloVe.save": glove.save,
        "RNNRegressor.save": rnn.save,
    }


WRITERS = _writers()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_symlink_is_written_through_and_kept(tmp_path, name):
    target = tmp_path / "real" / "file.out"
    target.parent.mkdir()
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    link = tmp_path / "link.out"
    link.symlink_to(target)
    chain = tmp_path / "chain.out"  # a link to a link
    chain.symlink_to(link)
    WRITERS[name](str(chain))
    assert chain.is_symlink() and link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_bytes() != b"old" and target.stat().st_size > 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # a replaced file keeps its mode
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".tmp-")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    target = tmp_path / "made.txt"
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    WRITERS["save_word2vec_format text"](link)
    assert link.is_symlink() and target.read_text().startswith("3 4\n")


def _read_while(fd, thread):
    """Everything read from the non-blocking `fd` until `thread` ends."""
    chunks = []
    while True:
        alive = thread.is_alive()
        try:
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
        except BlockingIOError:
            pass
        if not alive:
            return b"".join(chunks)
        thread.join(0.001)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_fifo_is_written_in_place(tmp_path, name):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there first
    errors = []

    def write():
        try:
            WRITERS[name](str(fifo))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        got = _read_while(reader, writer)
    finally:
        os.close(reader)
    assert not errors
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert len(got) > 0


def test_a_fifo_nobody_reads_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="no process is reading the FIFO"):
        WRITERS["KeyedVectors.save"](fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_directories_and_sockets_are_refused_by_name(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        WRITERS["KeyedVectors.save"](tmp_path)
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        with pytest.raises(OSError, match=r"s\.sock.* is a socket"):
            WRITERS["GloVe.save"](sock_path)
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)


@pytest.mark.skipif(not ROOT, reason="making device nodes needs root")
@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_character_device_is_written_not_replaced(tmp_path, name):
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    WRITERS[name](null)
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    link = tmp_path / "to-null"
    link.symlink_to(null)
    WRITERS[name](link)
    assert link.is_symlink() and stat.S_ISCHR(os.lstat(null).st_mode)


@pytest.mark.skipif(not ROOT, reason="making device nodes needs root")
def test_a_block_device_is_refused(tmp_path):
    block = tmp_path / "loop"
    os.mknod(block, 0o600 | stat.S_IFBLK, os.makedev(7, 200))
    with pytest.raises(OSError, match="is a block device"):
        WRITERS["KeyedVectors.save"](block)
    assert stat.S_ISBLK(os.lstat(block).st_mode)


@pytest.mark.skipif(not ROOT, reason="making device nodes needs root")
def test_the_cli_writes_through_to_a_device(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c a b\n" * 50)
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    assert main(["word2vec", str(corpus), "-o", str(null), "--min-count", "1",
                 "--epochs", "1", "--dim", "4"]) == 0
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    block = tmp_path / "loop"
    os.mknod(block, 0o600 | stat.S_IFBLK, os.makedev(7, 200))
    assert main(["word2vec", str(corpus), "-o", str(block), "--min-count", "1"]) == 2
    assert "is a block device" in capsys.readouterr().err


def test_a_failed_write_through_a_link_leaves_the_target(tmp_path):
    target = tmp_path / "t.npz"
    target.write_bytes(b"keep me")
    link = tmp_path / "l.npz"
    link.symlink_to(target)
    with pytest.raises(RuntimeError):
        with persist.atomic_write(link) as f:
            f.write(b"half")
            raise RuntimeError("stop")
    assert target.read_bytes() == b"keep me" and link.is_symlink()
    assert len(list(tmp_path.iterdir())) == 2


def test_check_writable_matches_what_the_writer_does(tmp_path):
    persist.check_writable(tmp_path / "new.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        persist.check_writable(tmp_path / "no" / "new.txt")
    with pytest.raises(IsADirectoryError):
        persist.check_writable(tmp_path)
    kv = KeyedVectors(2)
    kv.add_vector("a", np.ones(2, np.float32))
    link = tmp_path / "l.txt"
    link.symlink_to(tmp_path / "t.txt")
    persist.check_writable(link)
    kv.save_word2vec_format(link)
    assert (tmp_path / "t.txt").exists()


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs mounted in tmp_path (root only), unmounted after the test."""
    import subprocess
    where = tmp_path / "small"
    where.mkdir()
    if not ROOT or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                                   str(where)], capture_output=True).returncode:
        pytest.skip("mounting a small tmpfs needs root")
    yield where
    subprocess.run(["umount", str(where)], check=False)


def _big_vectors():
    rng = np.random.default_rng(0)
    return KeyedVectors.from_arrays([f"w{i}" for i in range(2000)],
                                    rng.normal(size=(2000, 50)).astype(np.float32))


def test_a_full_disk_names_the_file_being_written(full_disk):
    kv = _big_vectors()
    for save, name in ((kv.save, "kv.npz"), (kv.save_word2vec_format, "kv.txt"),
                       (lambda p: kv.save_word2vec_format(p, binary=True), "kv.bin")):
        target = full_disk / name
        with pytest.raises(persist.OutputWriteError,
                           match=rf"cannot write '.*{name}': No space left on device"):
            save(target)
        assert not target.exists() and not list(full_disk.iterdir())


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_device_names_itself():
    with pytest.raises(persist.OutputWriteError, match="cannot write '/dev/full': No space"):
        _big_vectors().save_word2vec_format("/dev/full")


def test_a_full_output_disk_is_not_blamed_on_the_temporary_directory(full_disk, tmp_path):
    from rnnfast.embeddings.cooccur import cooccurrence_to_file
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    sentences = [list(rng.choice(words, 20)) for _ in range(500)]
    with pytest.raises(persist.OutputWriteError, match="cannot write '.*cooc.bin': (No space|.*disk full)"):
        cooccurrence_to_file(words, full_disk / "cooc.bin", sentences=sentences, window=5,
                             workers=1, tmp_dir=str(tmp_path))
    assert not list(full_disk.iterdir())


def test_dev_stdout_writes_into_the_pipe_or_file_it_leads_to(tmp_path):
    import subprocess
    import sys
    code = ("import numpy as np; from rnnfast import KeyedVectors; "
            "KeyedVectors.from_arrays(['a', 'b'], np.ones((2, 2)))"
            ".save_word2vec_format('/dev/stdout')")
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == "2 2\na 1 1\nb 1 1\n"
    out = tmp_path / "redirected.txt"
    with open(out, "w") as f:
        done = subprocess.run([sys.executable, "-c", code], stdout=f, cwd=tmp_path)
    assert done.returncode == 0 and out.read_text() == "2 2\na 1 1\nb 1 1\n"
