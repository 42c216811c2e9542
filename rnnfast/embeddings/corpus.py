"""Reading corpora: streamed token lists, and checks on corpus files.

A corpus is either an iterable of sentences (each a list of str tokens), which
must be re-iterable when trained for several epochs, or a plain-text file
(`corpus_file`) with one sentence per line and tokens separated by whitespace.
"""

import functools
import hashlib
import lzma
import os
import re

from rnnfast._core import persist, pool
from rnnfast._core.checks import check_index

__all__ = ["LineSentence", "PathLineSentences", "split_line", "check_corpus_file",
           "check_sentence", "check_sentences", "check_unchanged", "file_stamp", "byte_ranges",
           "FileRanges"]

# The tokenising contract of the C reader (csrc/rf_vocab.h), kept here too: this
# module must not import compiled code.
MAX_SENTENCE_LENGTH = 10000  # RF_MAX_SENTENCE
MAX_TOKEN_BYTES = 1000       # RF_MAX_TOKEN
_SPACE = re.compile(r"[ \t\n\r\v\f]+")
_NOT_C_SPACE = re.compile(r"[\x1c-\x1f]")  # str.split() splits here, the C reader does not


def split_line(line):
    """The tokens of one line, exactly as the C reader cuts them: split on the six
    ASCII whitespace characters only (not on other Unicode spaces), a token over
    MAX_TOKEN_BYTES bytes of UTF-8 cut to that many, less a character cut in two."""
    if line.isascii() and not _NOT_C_SPACE.search(line):
        tokens = line.split()
    else:
        tokens = [t for t in _SPACE.split(line) if t]
    if len(line) > MAX_TOKEN_BYTES // 4:
        tokens = [t if len(t) <= MAX_TOKEN_BYTES // 4 or len(t.encode()) <= MAX_TOKEN_BYTES
                  else t.encode()[:MAX_TOKEN_BYTES].decode("utf-8", "ignore") for t in tokens]
    return tokens



class LineSentence:
    """Sentences of a text file, one per line, tokens as `split_line` cuts them.

    `source` is a path (plain, .gz, .bz2 or .xz, read as a stream, never loaded
    whole) or an open file, text or binary (UTF-8), read from its start at each pass.
    Lines end at "\\n" only; lines longer than `max_sentence_length` tokens are cut
    into pieces; `limit` stops after that many lines. With the defaults a file gives
    the same sentences as the C reader of `corpus_file=`, so both train the same
    vectors. Iterating again reads the file again, so it serves any number of epochs.
    """

    def __init__(self, source, max_sentence_length=MAX_SENTENCE_LENGTH, limit=None):
        self.max_sentence_length = check_index("max_sentence_length",
                                               max_sentence_length, low=1)
        self.limit = check_index("limit", limit, low=0, optional=True)
        self._passes = 0
        if hasattr(source, "read"):
            self.source = source
            self._name = getattr(source, "name", type(source).__name__)
            return
        try:
            self.source = self._name = os.fspath(source)
        except TypeError:
            raise TypeError(f"LineSentence: source must be a path or an open file, got "
                            f"{type(source).__name__}") from None
        if os.path.isdir(self.source):
            raise ValueError(f"LineSentence reads one file; {self.source!r} is a directory "
                             f"(PathLineSentences reads every file of a directory)")
        if not os.path.isfile(self.source):
            raise FileNotFoundError(f"corpus file {self.source!r} does not exist")

    def _lines(self):
        """The lines of one pass, as str."""
        if isinstance(self.source, str):
            with persist.open_compressed(self.source, "rt", encoding="utf-8", newline="\n") as f:
                yield from f
            return
        if self.source.seekable():
            self.source.seek(0)
        elif self._passes > 1:
            raise ValueError(f"LineSentence: {self._name!r} cannot be rewound (not seekable), so "
                             f"it serves one pass only; give a path for several epochs")
        if isinstance(self.source.read(0), bytes):
            for raw in self.source:
                yield raw.decode("utf-8")
        else:
            yield from self.source

    def __iter__(self):
        self._passes += 1
        try:
            for line_no, line in enumerate(self._lines()):
                if self.limit is not None and line_no >= self.limit:
                    break
                if "\x00" in line:
                    raise ValueError(f"{self._name!r} looks binary (NUL byte on line "
                                     f"{line_no + 1}); expected text")
                tokens = split_line(line)
                for i in range(0, len(tokens), self.max_sentence_length):
                    yield tokens[i:i + self.max_sentence_length]
        except UnicodeDecodeError as e:
            raise ValueError(f"{self._name!r} is not UTF-8 text: {e}") from None
        except (EOFError, OSError, lzma.LZMAError) as e:
            raise ValueError(f"could not read {self._name!r}: {e}") from None

    def __repr__(self):
        return f"LineSentence({self._name!r})"


class PathLineSentences:
    """Sentences of every file in a directory (in sorted name order, subdirectories
    skipped), or of one file, each read as `LineSentence` reads it; `limit` applies
    to each file."""

    def __init__(self, source, max_sentence_length=MAX_SENTENCE_LENGTH, limit=None):
        self.source = os.fspath(source)
        if os.path.isfile(self.source):
            self.input_files = [self.source]
        elif os.path.isdir(self.source):
            self.input_files = sorted(
                os.path.join(self.source, name) for name in os.listdir(self.source)
                if os.path.isfile(os.path.join(self.source, name)))
            if not self.input_files:
                raise ValueError(f"PathLineSentences: directory {self.source!r} holds no file")
        else:
            raise FileNotFoundError(f"PathLineSentences: {self.source!r} is neither a file nor "
                                    f"a directory")
        self._files = [LineSentence(p, max_sentence_length, limit) for p in self.input_files]

    def __iter__(self):
        for lines in self._files:
            yield from lines

    def __repr__(self):
        return f"PathLineSentences({self.source!r}, {len(self.input_files)} files)"


def check_corpus_file(path):
    """Validate a corpus file for the C readers; returns (path as str, size in bytes)."""
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"corpus_file must be a path, got {type(path).__name__}") from None
    if not os.path.exists(path):
        raise FileNotFoundError(f"corpus_file {path!r} does not exist")
    if not os.path.isfile(path):
        raise ValueError(f"corpus_file {path!r} is not a regular file")
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
            blank = not head.strip()
            while blank and (block := f.read(1 << 20)):  # leading whitespace is not empty
                blank = not block.strip()
    except OSError as e:
        raise OSError(f"corpus_file {path!r} cannot be read: {e}") from None
    for magic, kind in persist.MAGIC.items():
        if head.startswith(magic):
            raise ValueError(f"corpus_file {path!r} is {kind}-compressed; decompress it, "
                             f"or pass sentences=LineSentence({path!r}) to stream it")
    if b"\x00" in head:
        raise ValueError(f"corpus_file {path!r} looks binary (it contains NUL bytes); "
                         f"expected UTF-8 text, one sentence per line")
    size = os.path.getsize(path)
    if blank:
        raise ValueError(f"corpus_file {path!r} is empty: it holds no token")
    return path, size


def check_sentence(sentence, number=None):
    """Refuse a sentence that is not a list of tokens (a str would be read as letters)."""
    if isinstance(sentence, (str, bytes)) or not hasattr(sentence, "__len__"):
        where = "" if number is None else f" (sentence {number})"
        raise TypeError(f"each sentence must be a list of str tokens, got "
                        f"{type(sentence).__name__}{where}")


def check_sentences(sentences, name="sentences"):
    """Refuse inputs that are not an iterable of token lists, before any work."""
    if sentences is None:
        raise ValueError(f"{name}: give an iterable of token lists, or corpus_file")
    if isinstance(sentences, (str, bytes)):
        raise TypeError(f"{name} must be an iterable of token lists, got a single "
                        f"{type(sentences).__name__}; for a file use corpus_file= or LineSentence")
    if not hasattr(type(sentences), "__iter__"):  # iter() would use up a one-pass iterable
        raise TypeError(f"{name} must be an iterable of token lists, "
                        f"got {type(sentences).__name__}")
    return sentences


# a file up to this size is hashed whole for its stamp; a larger one in evenly spaced samples
_STAMP_WHOLE_BYTES = 32 << 20
_STAMP_SAMPLES, _STAMP_SAMPLE_BYTES = 256, 4096


def file_stamp(path):
    """What identifies the content of the file at `path` now: its size, mtime_ns,
    device and inode, and a BLAKE2 digest of its bytes (the whole file up to 32 MiB;
    beyond, 256 samples of 4 KiB spread over it, the last block included). An edit
    in place of the same size changes the digest of a small file and the mtime of
    any file (an edit within the same clock tick as the stamp of a large file, at
    an unsampled byte, with its mtime set back, is the case this cannot see)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        size = st.st_size
        if size <= _STAMP_WHOLE_BYTES:
            while block := f.read(1 << 20):
                digest.update(block)
        else:
            step = (size - _STAMP_SAMPLE_BYTES) // (_STAMP_SAMPLES - 1)
            for k in range(_STAMP_SAMPLES):
                f.seek(k * step)
                digest.update(f.read(_STAMP_SAMPLE_BYTES))
    return (size, st.st_mtime_ns, st.st_dev, st.st_ino, digest.hexdigest())


def check_unchanged(path, stamp):
    """A corpus file that changed since `stamp = file_stamp(path)` was taken (during a
    pass, or between the epochs whose ids were kept) would give vectors of neither
    text: refuse it."""
    try:
        now = file_stamp(path)
    except OSError:
        now = None
    if now != stamp:
        what = ("is gone" if now is None else
                f"is now {now[0]:,} bytes, was {stamp[0]:,}" if now[0] != stamp[0] else
                "was replaced by another file" if now[2:4] != stamp[2:4] else
                "was edited in place (same size, other bytes)" if now[4] != stamp[4] else
                "was written to (its modification time moved)")
        raise ValueError(f"corpus_file {path!r} changed during training: it {what}; train on "
                         f"a file that stays as it is until training ends")


def byte_ranges(size, parts):
    """Split [0, size) into `parts` contiguous byte ranges [(start, end), ...]."""
    bounds = [size * i // parts for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


class FileRanges:
    """A corpus file cut into one byte range per worker thread, and the file's stamp.

    A line belongs to the range it starts in, so ranges cut from a range still cover
    each line once. byte_range: (start, end), to cut only that part of the file;
    stamp=False for a file that cannot change under the job (a private copy)."""

    def __init__(self, path, parts, byte_range=None, stamp=True):
        self.path = path
        self.stamp = file_stamp(path) if stamp else None
        size = self.stamp[0] if stamp else os.path.getsize(path)
        first, last = (0, size) if byte_range is None else byte_range
        self.ranges = [(first + a, first + b) for a, b in byte_ranges(last - first, parts)]

    def run(self, job, stop, poll=None):
        """Run job(i, start, end) for each range on a thread of its own (see pool.run),
        then refuse a file that changed meanwhile."""
        pool.run([functools.partial(job, i, start, end)
                  for i, (start, end) in enumerate(self.ranges)], stop, poll)
        if self.stamp is not None:
            check_unchanged(self.path, self.stamp)
