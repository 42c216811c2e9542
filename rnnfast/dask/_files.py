"""The corpus's files: shards (newline-aligned byte ranges, or whole compressed
files) read through fsspec, and the files rnnfast.dask writes."""

import contextlib
import os
import shutil
import tempfile

import numpy as np

from rnnfast._core import persist
from rnnfast._core.checks import check_index

SHARD_BYTES = 64 << 20


def _fsspec():
    try:
        import fsspec
    except ImportError:
        raise ImportError('rnnfast.dask needs dask: pip install "rnnfast[dask]"') from None
    return fsspec


def shards(paths, shard_bytes=SHARD_BYTES):
    """The shards of a corpus: a list of (url, start, end, compressed) tuples.

    paths: a path, glob or fsspec URL, or a list of them. Plain files are cut into
    byte ranges of about shard_bytes (each shard counts the lines that start in its
    range); a gzip, bzip2 or xz file (told by its first bytes) is one shard, read
    whole (start 0, end its compressed size). Empty files give no shard."""
    fsspec = _fsspec()
    shard_bytes = check_index("shard_bytes", shard_bytes, low=1)
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not paths:
        raise ValueError("paths is empty: give at least one file, glob or URL")
    found = []
    for pattern in paths:
        pattern = os.fspath(pattern)
        fs, _, matched = fsspec.core.get_fs_token_paths(pattern, mode="rb")
        matched = [p for p in matched if fs.isfile(p)]
        if not matched:
            raise FileNotFoundError(f"paths: no file matches {pattern!r}")
        found += [(fs, p) for p in sorted(matched)]
    out = []
    for fs, path in found:
        size = int(fs.size(path))
        if size == 0:
            continue
        url = fs.unstrip_protocol(path)
        with fs.open(path, "rb") as f:
            head = f.read(6)
        if any(head.startswith(m) for m in persist.MAGIC):
            out.append((url, 0, size, True))
            continue
        n = max(1, -(-size // shard_bytes))
        bounds = [size * i // n for i in range(n + 1)]
        out += [(url, a, b, False) for a, b in zip(bounds[:-1], bounds[1:])]
    return out


@contextlib.contextmanager
def _readable(shard):
    """(local path, start, end) whose lines starting in [start, end) are the shard's:
    the file itself when it is local and plain, else a temporary copy of the shard's
    bytes (decompressed), removed on exit whatever happens."""
    fsspec = _fsspec()
    url, start, end, compressed = shard
    fs, path = fsspec.core.url_to_fs(url)
    if not compressed and "file" in np.atleast_1d(fs.protocol):
        yield path, start, end
        return
    tmp = tempfile.mkdtemp(prefix="rnnfast-shard-")
    try:
        local = os.path.join(tmp, "shard.txt")
        with open(local, "wb") as out:
            if compressed:
                kind = _compression(fs, path)
                with fs.open(path, "rb", compression=kind) as f:
                    shutil.copyfileobj(f, out, 1 << 20)
                first, last = 0, out.tell()
            else:
                # from the byte before the range (it says whether the range starts a
                # line) through the end of the line the range's last line ends with
                with fs.open(path, "rb") as f:
                    f.seek(max(start - 1, 0))
                    out.write(f.read(end - max(start - 1, 0)))
                    while True:
                        block = f.read(1 << 16)
                        if not block:
                            break
                        cut = block.find(b"\n")
                        out.write(block if cut < 0 else block[:cut + 1])
                        if cut >= 0:
                            break
                first = 1 if start > 0 else 0
                last = first + end - start
        yield local, first, last
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _compression(fs, path):
    with fs.open(path, "rb") as f:
        head = f.read(6)
    kind = next(k for m, k in persist.MAGIC.items() if head.startswith(m))
    return {"gzip": "gzip", "bzip2": "bz2", "xz": "xz"}[kind]


def _has_tokens(path, start, end):
    """Whether the bytes of [start, end) hold anything but whitespace (read in blocks)."""
    with open(path, "rb") as f:
        f.seek(start)
        left = end - start
        while left > 0:
            block = f.read(min(left, 1 << 20))
            if not block:
                break
            if block.strip():
                return True
            left -= len(block)
    return False


def _write(url, data):
    """Write bytes to a local path atomically, or to an fsspec URL (object stores
    make a written object visible whole)."""
    fs, path = _fsspec().core.url_to_fs(url)
    if "file" in np.atleast_1d(fs.protocol):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with persist.atomic_write(path, "wb") as f:
            f.write(data)
    else:
        with fs.open(path, "wb") as f:
            f.write(data)


def _remove(urls):
    """Remove the files at `urls` that exist (local paths or fsspec URLs), and the
    local folders that leaves empty; best effort: a file that cannot be removed stays."""
    folders = set()
    for url in urls:
        with contextlib.suppress(Exception):
            fs, path = _fsspec().core.url_to_fs(url)
            if fs.exists(path):
                fs.rm(path)
            if "file" in np.atleast_1d(fs.protocol):
                folders.add(os.path.dirname(path))
    for folder in folders:
        with contextlib.suppress(OSError):
            os.rmdir(folder)  # only when empty


def _read(url):
    fs, path = _fsspec().core.url_to_fs(url)
    with fs.open(path, "rb") as f:
        return f.read()

