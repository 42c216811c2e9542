"""The one persistence module: every model saves as an .npz of arrays plus JSON metadata.

The metadata always holds `kind` (what the file is, e.g. "rnnfast.Word2Vec") and
`version` (of that kind's layout). `load` refuses another kind, or a version newer
than this rnnfast reads, with a clear error; files are written atomically.
"""

import bz2
import contextlib
import errno
import gzip
import json
import lzma
import math
import os
import secrets
import shutil
import stat
import struct
import sys
import tempfile
import zipfile
import zlib

import numpy as np

__all__ = ["save", "load", "check_mmap", "atomic_write", "check_writable",
           "atomic_write_compressed", "open_compressed",
           "compression_of", "words_array", "InconsistentFileError", "check_field", "inconsistent",
           "OutputWriteError"]

# Streams compressed by the file name's suffix (and these magic bytes, to name what a
# reader that needs plain text was given).
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}
_DECOMPRESS = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}


class OutputWriteError(OSError):
    """Writing a file the user named failed (a full disk, no permission); the message
    names that file."""


# errno values of a disk or quota that is full, or of a file grown past its limit
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}


@contextlib.contextmanager
def atomic_write(path, mode="wb", **open_kwargs):
    """Write the file the user named: a regular (or new) file is replaced in one step.

    A symlink is followed and its target replaced (in the target's own folder); the
    link itself is left as it is. A character device or FIFO (``/dev/null``, a pipe
    another process reads) is written directly, since it cannot be replaced; a
    directory, block device or socket is refused with an OSError naming `path`. A
    FIFO that nobody reads is refused rather than waited on.

    On any error (or Ctrl-C, at any point) the temporary file is removed and `path`
    is untouched. Temporary files that a killed process left for the same target
    are removed first. A replaced file keeps its permission bits.
    """
    path = os.fspath(path)
    st, target = _what_is_there(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        with _open_special(path, st, mode, open_kwargs) as f:
            yield f
        return
    directory = os.path.dirname(target)
    prefix = f".tmp-{os.path.basename(target)}."
    _remove_orphans(directory, prefix)
    # the name is known before the file exists, so an interrupt at any point after
    # this line still finds the file to remove
    tmp = os.path.join(directory, f"{prefix}{os.getpid()}.{secrets.token_hex(4)}")
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o644 if st is None else stat.S_IMODE(st.st_mode))
        except OSError as e:
            raise OutputWriteError(e.errno, f"cannot write {path!r}: {e.strerror}") from None
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OutputWriteError):
            raise
        # a full disk shows while writing, as an error that names no file (or ours)
        if e.filename == tmp or (tmp in str(e) and path not in str(e)) or \
                (e.filename is None and e.errno in _FULL):
            raise OutputWriteError(e.errno, f"cannot write {path!r}: {e.strerror}") from None
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_writable(path):
    """Raise OSError naming `path` if `atomic_write(path)` could not write it: a
    directory, block device or socket, or a folder that is missing or not writable.
    Lets a long job refuse its output before it starts rather than after."""
    path = os.fspath(path)
    st, target = _what_is_there(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        _special_kind_refused(path, st)
        if not os.access(path, os.W_OK):
            raise PermissionError(errno.EACCES, f"cannot write {path!r}: permission denied")
        return
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"cannot write {path!r}: the directory "
                                f"{directory!r} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"cannot write {path!r}: the directory "
                              f"{directory!r} is not writable")


def _special_kind_refused(path, st):
    """OSError for the kinds of non-regular file no writer may write to."""
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"cannot write {path!r}: it is a directory; "
                                f"give a file name")
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        kind = "block device" if stat.S_ISBLK(st.st_mode) else "socket" \
            if stat.S_ISSOCK(st.st_mode) else "special file"
        raise OSError(errno.EINVAL, f"cannot write {path!r}: it is a {kind}; rnnfast writes "
                      f"regular files, character devices and FIFOs only")


def _what_is_there(path):
    """(os.stat of what `path` leads to, or None if nothing; the real path a new or
    regular file is written at). stat follows every link, /dev/stdout's too (to a
    pipe that has no path of its own), so that such a target is written in place."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OSError(e.errno, f"cannot write {path!r}: {e.strerror}") from None
    return st, os.path.realpath(path)  # a chain of links ends here; a dangling one too


@contextlib.contextmanager
def _open_special(path, st, mode, open_kwargs):
    """A character device or FIFO (or pipe), opened for writing in place (never replaced)."""
    _special_kind_refused(path, st)
    flags = os.O_WRONLY | getattr(os, "O_BINARY", 0)
    fifo = stat.S_ISFIFO(st.st_mode)
    try:
        # a FIFO opened without a reader would block for ever: ENXIO says none is there
        fd = os.open(path, flags | (os.O_NONBLOCK if fifo else 0))
    except OSError as e:
        why = "no process is reading the FIFO" if fifo and e.errno == errno.ENXIO else e.strerror
        raise OSError(e.errno, f"cannot write {path!r}: {why}") from None
    if fifo:
        os.set_blocking(fd, True)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
    except OSError as e:
        if isinstance(e, OutputWriteError) or e.filename is not None or e.errno not in _FULL:
            raise
        raise OutputWriteError(e.errno, f"cannot write {path!r}: {e.strerror}") from None


def compression_of(path):
    """The compressed suffix of `path` (".gz", ".bz2", ".xz") or None."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    return suffix if suffix in _OPENERS else None


def open_compressed(path, mode="rb", **open_kwargs):
    """Open `path` for reading, decompressing as its suffix says (plain otherwise)."""
    suffix = compression_of(path)
    return (_OPENERS[suffix] if suffix else open)(path, mode, **open_kwargs)


@contextlib.contextmanager
def atomic_write_compressed(path):
    """`atomic_write(path, "wb")`, compressed as the suffix of `path` says."""
    suffix = compression_of(path)
    with atomic_write(path, "wb") as f:
        if suffix is None:
            yield f
        else:
            with _OPENERS[suffix](f, "wb") as packed:  # closing it leaves f open
                yield packed


def _remove_orphans(directory, prefix):
    """Remove `prefix<pid>.<random>` files whose writing process no longer runs."""
    with contextlib.suppress(OSError):
        for name in os.listdir(directory):
            if not name.startswith(prefix):
                continue
            pid = name[len(prefix):].split(".")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, name))


def _alive(pid):
    if not hasattr(os, "kill") or sys.platform == "win32":
        return True  # no cheap test: keep the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def words_array(words):
    """Words as a numpy str array for `save`; a word with a NUL character is refused
    (numpy would drop a trailing NUL, and the file would not load back the same)."""
    words = list(words)
    bad = next((w for w in words if not isinstance(w, str) or "\x00" in w), None)
    if bad is not None:
        raise ValueError(f"cannot save the word {bad!r}: words must be str without NUL "
                         f"characters")
    return np.array(words, dtype=str)


class InconsistentFileError(ValueError):
    """A file that reads whole but whose fields disagree with each other; its message
    names the file and the field. `load` passes it through as it is."""


# what reading a damaged archive raises, lazily, from any array it holds (zipfile's
# NotImplementedError: a damaged header naming a method or flag it does not support)
_DAMAGED = (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError,
            NotImplementedError, RuntimeError)


class _Arrays:
    """An open archive's arrays by name; a member that is not an array (an altered
    name makes numpy hand back its raw bytes) is a ValueError."""

    def __init__(self, data, path, size, mmap=None):
        self._data, self._path, self.files, self._mmap = data, path, data.files, mmap
        self._size = size   # of the archive (decompressed, for a compressed file)

    def __contains__(self, name):
        return name in self._data

    def __getitem__(self, name):
        if self._mmap is not None and name in self._data.files:
            return self._mapped(name)
        self._check_size(name)
        value = self._data[name]
        if not isinstance(value, np.ndarray):
            raise ValueError(f"{self._path!r} is damaged: {name!r} is not an array")
        return value

    def _mapped(self, name):
        """Member `name` mapped from the file where np.savez stored it (uncompressed),
        without reading it; its .npy header is checked against the member's size."""
        info = self._data.zip.getinfo(name + ".npy")
        damaged = f"{self._path!r} is damaged: {name!r}"
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"{self._path!r} stores {name!r} compressed; a compressed "
                             f"member cannot be memory-mapped: load it with mmap=None")
        with open(self._path, "rb") as f:
            f.seek(info.header_offset)
            local = f.read(30)   # the member's local header: its name and extra field follow
            if len(local) != 30 or local[:4] != b"PK\x03\x04":
                raise ValueError(f"{damaged} has no local header where the archive says")
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            start = info.header_offset + 30 + name_len + extra_len
            f.seek(start)
            version = np.lib.format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"{damaged} is an .npy of version {version}, which "
                                 f"cannot be memory-mapped here: load it with mmap=None")
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(f)
            offset = f.tell()
        if dtype.hasobject:
            raise ValueError(f"{damaged} holds Python objects, which are never loaded")
        needed = math.prod(shape) * dtype.itemsize
        if offset - start + needed > info.file_size or \
                offset + needed > self._size:
            raise ValueError(f"{damaged} claims shape {shape} of {dtype} ({needed:,} bytes), "
                             f"more than the archive holds for it")
        if needed == 0:
            return np.zeros(shape, dtype)
        mapped = np.memmap(self._path, dtype=dtype, mode=self._mmap, offset=offset,
                           shape=shape, order="F" if fortran else "C").view(np.ndarray)
        if offset % dtype.alignment:
            # np.savez places a member's data wherever the archive's headers end: an
            # array at an odd address is read into aligned memory (the kernels read
            # whole floats), not mapped
            copy = np.array(mapped)
            copy.flags.writeable = self._mmap != "r"
            return copy
        return mapped

    def _check_size(self, name):
        """Refuse a member whose .npy header claims more bytes than the archive can hold
        (numpy would allocate them before reading): a stored member holds at most its
        compressed size, a deflated one at most 1,032 times it (deflate's limit)."""
        archive = getattr(self._data, "zip", None)
        if archive is None or name not in self._data.files:
            return
        try:
            info = archive.getinfo(name + ".npy")
        except KeyError:
            return
        room = min(info.compress_size, self._size)
        if info.compress_type != zipfile.ZIP_STORED:
            room *= 1032
        with archive.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                return  # a newer layout: numpy reads it (and checks it) itself
        needed = math.prod(shape) * dtype.itemsize
        if needed > room:
            raise ValueError(f"{self._path!r} is damaged: {name!r} claims shape {shape} of "
                             f"{dtype} ({needed:,} bytes), more than the file can hold "
                             f"({room:,} bytes)")


def save(path, kind, version, meta, arrays):
    """Write `arrays` (name -> array) and `meta` (JSON-able dict) to `path`, atomically:
    an .npz archive of uncompressed members (so `load` can map them), compressed
    whole when `path` ends in .gz, .bz2 or .xz."""
    header = {"kind": kind, "version": version, **meta}
    members = {"meta": np.array(json.dumps(header)), **arrays}
    if compression_of(path) is None:
        with atomic_write(path, "wb") as f:
            _write_npz(f, members)
        return
    # the archive is written to a temporary file first: zipfile needs to seek
    with tempfile.TemporaryFile() as plain:
        _write_npz(plain, members)
        plain.seek(0)
        with atomic_write_compressed(path) as f:
            shutil.copyfileobj(plain, f, 1 << 20)


# a member's .npy starts on this boundary in the archive; numpy pads the .npy header
# to a multiple of 64 bytes, so each array's data is 64-byte aligned and can be mapped
_MEMBER_ALIGN = 64
_PADDING_ID = 0x7272   # an extra-field id no zip tool gives a meaning to


def _write_npz(f, members):
    """np.savez's archive (uncompressed .npy members, np.load reads it), with each
    member's local header padded through its extra field so that its data is aligned.
    A stream that cannot seek (a pipe: nothing to map) gets np.savez's own layout."""
    if not f.seekable():
        np.savez(f, **members)
        return
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in members.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            # local header: 30 bytes, the name, zip64's 20-byte extra, then ours
            start = f.tell() + 30 + len(info.filename.encode()) + 20
            pad = (-(start + 4)) % _MEMBER_ALIGN
            info.extra = struct.pack("<HH", _PADDING_ID, pad) + bytes(pad)
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


MMAP_MODES = ("r", "c")


def check_mmap(mmap):
    """`mmap` as load takes it: None (read into memory), "r" (mapped read-only) or "c"
    (mapped copy-on-write: writable in memory, the file unchanged)."""
    if mmap is None or (isinstance(mmap, str) and mmap in MMAP_MODES):
        return mmap
    if mmap in ("r+", "w+"):
        raise ValueError(f"mmap={mmap!r} would change the saved file in place, not "
                         f"atomically: use mmap='c' (copy-on-write) and save the result")
    raise ValueError(f"mmap must be None, 'r' or 'c', got {mmap!r}")


def _compressed(path):
    """The compression whose magic bytes start the file at `path`, or None."""
    with open(path, "rb") as f:
        head = f.read(6)
    return next((name for magic, name in MAGIC.items() if head.startswith(magic)), None)


@contextlib.contextmanager
def load(path, kind, version, mmap=None):
    """(arrays, meta) of a file `save` wrote as `kind`, with a layout version up to
    `version`; ValueError naming the file otherwise. A missing array is a
    ValueError too (a truncated or foreign file). With `mmap` ("r" or "c", see
    check_mmap) the arrays are mapped from the file, not read; a compressed file
    is decompressed to a temporary file first (and cannot be mapped)."""
    path = os.fspath(path)
    mmap = check_mmap(mmap)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path!r} does not exist")
    if os.path.isfile(path):
        with open(path, "rb") as f:
            if f.read(1) == b"\x80":
                raise ValueError(f"{path!r} is a pickle (gensim's save?), not a saved {kind}: "
                                 f"rnnfast reads gensim 4's Word2Vec and KeyedVectors files "
                                 f"(Word2Vec.load, KeyedVectors.load, load_gensim), and runs "
                                 f"no other pickle")
    with contextlib.ExitStack() as stack:
        source = path
        compressed = _compressed(path) if os.path.isfile(path) else None
        if compressed is not None:
            if mmap is not None:
                raise ValueError(f"{path!r} is {compressed}-compressed and cannot be "
                                 f"memory-mapped: load it with mmap=None, or save it under "
                                 f"a name without .gz, .bz2 or .xz")
            source = stack.enter_context(tempfile.TemporaryFile())
            try:
                with _DECOMPRESS[compressed](path, "rb") as packed:
                    shutil.copyfileobj(packed, source, 1 << 20)
            except _DAMAGED + (lzma.LZMAError,) as e:
                raise ValueError(f"{path!r} is not a readable {kind} file: {e}") from None
            source.seek(0)
        with _opened(path, source, kind, version, mmap) as loaded:
            yield loaded




@contextlib.contextmanager
def _opened(path, source, kind, version, mmap):
    size = os.path.getsize(path) if source is path else os.fstat(source.fileno()).st_size
    try:
        data = np.load(source, allow_pickle=False)
    except _DAMAGED as e:
        raise ValueError(f"{path!r} is not a readable {kind} file: {e}") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{path!r} is not a saved {kind} (a .npy array, not an .npz archive)")
    with data:
        try:
            meta = json.loads(str(_Arrays(data, path, size)["meta"]))
        except (KeyError, *_DAMAGED) as e:
            raise ValueError(f"{path!r} is not a readable {kind} file: {e}") from None
        if not isinstance(meta, dict):
            raise ValueError(f"{path!r} is not a readable {kind} file: its metadata is "
                             f"not a JSON object")
        found = meta.get("kind")
        if found != kind:
            raise ValueError(f"{path!r} is not a saved {kind} (it holds {found!r})")
        saved = meta.get("version")
        if not isinstance(saved, int) or saved < 1:
            raise ValueError(f"{path!r} has no valid format version ({saved!r})")
        if saved > version:
            raise ValueError(f"{path!r} was written in {kind} format version {saved}, newer "
                             f"than this rnnfast reads ({version}): upgrade rnnfast")
        try:
            yield _Arrays(data, path, size, mmap), meta
        except InconsistentFileError:
            raise
        except _DAMAGED as e:  # an array that does not read back whole
            raise ValueError(f"{path!r} is damaged (a truncated or altered file?): "
                             f"{type(e).__name__}: {e}") from None
        except KeyError as e:
            name = str(e.args[0]).split(" is not a file")[0] if e.args else "?"
            raise ValueError(f"{path!r} has no array {name!r} (a truncated or foreign "
                             f"file?)") from None


def check_field(path, field, ok, what):
    """Raise InconsistentFileError naming `path` and `field` unless `ok`."""
    if not ok:
        inconsistent(path, field, what)


def inconsistent(path, field, what):
    """Raise InconsistentFileError: `field` of the file at `path` is wrong, as `what` says."""
    raise InconsistentFileError(f"{os.fspath(path)!r} is not a consistent saved file: "
                                f"{field!r} {what}")
