"""Co-occurrence counting for GloVe, inside a memory budget.

Each worker thread counts its share of the corpus in C (`_glove.CoocCounter`):
frequent pairs add into a dense table, the rest go to a record buffer. A full
buffer is grouped (in C) into a fixed number of contiguous row ranges, the
partitions, and appended to them: in memory while they fit their share of the
budget, else to one file per partition (so the number of open files never grows
with the corpus). At the end each partition is sorted and its duplicates summed
on its own, in row order; a partition too big for the budget is split into row
ranges again first (a merge in rounds). Nothing is sorted before that: the
buffers of a large corpus hold mostly distinct pairs, so sorting them early would
be work done twice.
"""

import errno
import math
import os
import re
import shutil
import tempfile
import threading

import numpy as np
from scipy import sparse

from rnnfast._core import pool
from rnnfast._core.checks import check_index
from rnnfast._core.persist import OutputWriteError, atomic_write
from rnnfast._core.progress import Progress
from rnnfast.embeddings import checks
from rnnfast.embeddings._glove import (GLOVE_DTYPE as GLOVE_RECORD, RECORD_DTYPE, mirror, partition,
                                       sort_combine)
from rnnfast.embeddings.batches import id_batches
from rnnfast.embeddings.corpus import FileRanges, check_corpus_file, check_sentences

__all__ = ["cooccurrence", "cooccurrence_to_file", "parse_memory", "save_cooccurrence",
           "load_cooccurrence"]

# Of the budget (what counting may add to the memory the process held when it began),
# this much is kept for the interpreter's transients.
TRANSIENT_MEMORY = 40 << 20
# The smallest record buffer a worker may get (16 bytes a record).
MIN_BUFFER_RECORDS = 1 << 16
PARTITIONS = 64
# ids a worker decodes from a corpus file before counting their windows
BLOCK_IDS = 1 << 16
# tokens per job handed to a counting worker when counting from an iterable
JOB_WORDS = 50000

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40, "K": 10**3, "M": 10**6,
          "G": 10**9}


def parse_memory(limit):
    """Bytes from an int or a string such as "500MB", "2GB", "1.5GiB"; None stays None."""
    if limit is None:
        return None
    if isinstance(limit, (int, np.integer)) and not isinstance(limit, bool):
        value = int(limit)
    elif isinstance(limit, str):
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", limit)
        if not match or match.group(2).upper() not in _UNITS:
            raise ValueError(f"memory_limit {limit!r} is not a size such as '500MB' or '2GB'")
        value = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    else:
        raise TypeError(f"memory_limit must be a number of bytes or a string such as '2GB', "
                        f"got {type(limit).__name__}")
    if value <= 0:
        raise ValueError(f"memory_limit must be positive, got {limit!r}")
    if value > _machine_memory():
        raise ValueError(f"memory_limit {limit!r} is more than this machine's memory "
                         f"({_machine_memory() / 1e9:.1f} GB); give at most that")
    return value


def _machine_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _default_memory():
    return min(4 << 30, _machine_memory() // 4)


class _Plan:
    """How the budget is shared: dense tables, record buffers, in-memory runs, merging."""

    def __init__(self, memory_limit, workers, vocab_size, symmetric):
        budget = memory_limit if memory_limit is not None else _default_memory()
        # the budget is what counting adds to the process: the floor scales with the
        # job: the interpreter's transients, the token table of the vocabulary (~100
        # bytes a word), and per worker its smallest buffer with the scratch it is
        # grouped into (4 x 16 bytes a record)
        base = TRANSIENT_MEMORY + 100 * vocab_size
        usable = budget - base
        need = workers * MIN_BUFFER_RECORDS * 16 * 4
        if usable < need:
            raise ValueError(f"memory_limit={budget:,} bytes is too small for this job: "
                             f"counting adds {base / 1e6:.0f} MB of headroom and vocabulary "
                             f"table and {need / 1e6:.0f} MB for the buffers of {workers} "
                             f"worker(s); give at least {math.ceil((need + base) / 1e6)} MB "
                             f"or fewer workers")
        # shares of the usable memory: dense tables 22%, record buffers with their
        # grouping scratch 8%, partitions kept in memory 12%, and the final merge of
        # one partition (its records, the sort's scratch and the combined copy: about
        # three times its file) 20%; the rest is slack for the interpreter's transients
        self.buffer_records = max(MIN_BUFFER_RECORDS, int(0.04 * usable / workers / 16))
        self.run_bytes = int(0.12 * usable)
        self.merge_bytes = int(0.20 * usable)
        dense_entries = int(0.22 * usable / workers / 8)
        self.max_product, self.row_starts, self.cell_base = _dense_layout(
            vocab_size, dense_entries, symmetric)


def _dense_layout(V, entries, triangle):
    """The dense table's shape: (max_product, row_starts, cell_base). Pair (i, j) is
    dense when (i + 1) * (j + 1) <= max_product, the largest value whose table fits
    `entries`; row i holds columns below min(V, max_product // (i + 1)), from column i
    on only when `triangle` (symmetric counts keep one cell per pair, i <= j). Row i
    starts at row_starts[i] (row_starts[-1]: the table's size); cell (i, j) is at
    cell_base[i] + j, and cell_base[-1] is the size too (as the counting kernel reads it)."""
    def lengths(mp):
        rows = np.arange(min(V, mp), dtype=np.int64)
        ends = np.minimum(V, mp // (rows + 1))
        return np.maximum(ends - rows, 0) if triangle else ends

    lo, hi = 0, V * V
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if int(lengths(mid).sum()) <= entries:
            lo = mid
        else:
            hi = mid - 1
    row_lengths = lengths(lo)
    row_lengths = row_lengths[:np.count_nonzero(row_lengths)]  # rows past the last are empty
    row_starts = np.concatenate([[0], np.cumsum(row_lengths)]).astype(np.int64)
    cell_base = row_starts.copy()
    if triangle:
        cell_base[:-1] -= np.arange(len(row_lengths))
    return lo, row_starts, cell_base


def _combine(records, V, row_lo, row_hi, tmp=None):
    """Sort records (rows in [row_lo, row_hi)) by key and sum duplicates, in place (a
    stable radix sort in C); returns the unique records, a view at the front."""
    n = sort_combine(records, row_lo * V, max(1, (row_hi - row_lo) * V), tmp)
    return records[:n]


def sum_duplicates(rows, cols, values, V):
    """(rows int32, cols int32, values float64) with each (row, col) once, its values
    added up, sorted by row then column (the C radix sort: scipy's sum_duplicates
    takes several times longer on tens of millions of pairs)."""
    records = np.empty(len(values), RECORD_DTYPE)
    records["k"] = np.asarray(rows, dtype=np.int64) * V + cols
    records["v"] = values
    records = _combine(records, V, 0, V)
    keys = records["k"]
    return (keys // V).astype(np.int32), (keys % V).astype(np.int32), records["v"].copy()


def _row_cuts(rows, lo, hi, parts):
    """At most `parts` contiguous row ranges covering [lo, hi), cut at quantiles of
    `rows` (a sample of the records' rows), so that records spread evenly over them.
    Returns the starts of ranges 1.. (ascending, inside (lo, hi))."""
    if len(rows) == 0 or hi - lo <= 1:
        return np.zeros(0, np.int64)
    cuts = np.quantile(rows, np.linspace(0, 1, parts + 1)[1:-1], method="higher")
    return np.unique(np.clip(cuts.astype(np.int64), lo + 1, hi - 1))


class _PartitionStore:
    """Buffered records, grouped into contiguous row ranges (partitions) as they come.

    Partitions stay in memory while they fit their share of the budget; past it,
    every partition goes to a file of its own, appended to (so the number of open
    files is fixed). At the end each partition, in row order, is combined on its
    own; one too big for the budget is split again into row ranges first (a merge
    in rounds). The ranges are cut at quantiles of the first buffer's rows."""

    def __init__(self, plan, vocab_size, symmetric, tmp_dir):
        self.plan = plan
        self.V = vocab_size
        self.symmetric = symmetric  # records hold one order of each pair: mirror them
        self.tmp_dir = tmp_dir
        self.part_of_row = None
        self.starts = None      # (n_parts + 1,) row where each partition starts, then V
        self.chunks = None      # per partition: record arrays in memory
        self.bytes = 0
        self.files = None
        self.dir = None
        self.merge_buffer = self.merge_tmp = None
        self.lock = threading.Lock()
        self.closed = False
        self.spills = 0  # buffers written to the partition files

    def _plan_partitions(self, records):
        cuts = _row_cuts(records["k"][::max(1, len(records) // 100000)] // self.V, 0, self.V,
                         PARTITIONS)
        self.starts = np.concatenate([[0], cuts, [self.V]]).astype(np.int64)
        self.part_of_row = np.repeat(np.arange(len(self.starts) - 1, dtype=np.int32),
                                     np.diff(self.starts))
        self.chunks = [[] for _ in range(len(self.starts) - 1)]

    def add(self, counter):
        """Take the records in a counter's buffer (the counter is cleared after)."""
        buffered = counter.buffer()
        if not len(buffered):
            return
        with self.lock:
            if self.closed:
                raise RuntimeError("the partition store is closed")
            if self.part_of_row is None:
                self._plan_partitions(buffered)
        records, bounds = counter.partition(self.part_of_row, len(self.chunks))
        with self.lock:
            spilled = False
            for p in range(len(self.chunks)):
                part = records[bounds[p]:bounds[p + 1]]
                if not len(part):
                    continue
                if self.files is not None:
                    self.files[p].write(part.tobytes())
                    spilled = True
                else:
                    self.chunks[p].append(part.copy())
                    self.bytes += part.nbytes
            if self.files is None and self.bytes > self.plan.run_bytes:
                self._spill()
                spilled = True
            self.spills += spilled

    def _spill(self):
        self.dir = tempfile.mkdtemp(prefix="rnnfast-cooc-", dir=self.tmp_dir)
        self.files = [open(os.path.join(self.dir, f"part-{p:03d}.bin"), "wb")
                      for p in range(len(self.chunks))]
        for f, chunks in zip(self.files, self.chunks):
            for chunk in chunks:
                f.write(chunk.tobytes())
        self.chunks = [[] for _ in self.chunks]
        self.bytes = 0

    def records(self):
        """How many records the partitions hold (before duplicates are combined)."""
        if self.chunks is None:
            return 0
        if self.files is None:
            return sum(len(c) for chunks in self.chunks for c in chunks)
        return sum(f.tell() for f in self.files) // RECORD_DTYPE.itemsize

    def close(self):
        """Close and remove every temporary file (safe to call more than once); no
        later `add` can make new ones."""
        with self.lock:
            self.closed = True
        for f in self.files or []:
            f.close()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.files, self.dir = None, None

    def finish(self):
        """Yield combined partitions (RECORD_DTYPE) in row order, each key once; each
        may live in a buffer that the next one reuses."""
        if self.chunks is None:
            return
        starts = self.starts
        if self.files is None:
            for p, chunks in enumerate(self.chunks):
                if chunks:
                    records = np.concatenate(chunks)
                    self.chunks[p] = []
                    records = _combine(records, self.V, starts[p], starts[p + 1])
                    yield mirror(records, self.V) if self.symmetric else records
            return
        for f in self.files:
            f.close()
        paths = [f.name for f in self.files]
        self.files = []
        for p, path in enumerate(paths):
            yield from self._merge(path, starts[p], starts[p + 1])

    def _merge(self, path, lo, hi):
        """Yield the combined records of a partition file (rows in [lo, hi))."""
        size = os.path.getsize(path)
        if size == 0:
            os.unlink(path)
            return
        if 3 * size <= self.plan.merge_bytes or hi - lo <= 1:
            n = size // RECORD_DTYPE.itemsize
            if self.merge_buffer is None or len(self.merge_buffer) < n:
                # one buffer and one scratch (the sort's, then the mirrored output's)
                # for every partition: fresh memory for each costs a page fault per 4 KB
                self.merge_buffer = self.merge_tmp = None
                self.merge_buffer = np.empty(n, RECORD_DTYPE)
                self.merge_tmp = np.empty(2 * n if self.symmetric else n, RECORD_DTYPE)
            records = self.merge_buffer[:n]
            with open(path, "rb") as f:
                if f.readinto(memoryview(records).cast("B")) != size:
                    raise OSError(f"short read from temporary file {path!r}")
            os.unlink(path)
            records = _combine(records, self.V, lo, hi, self.merge_tmp)
            yield mirror(records, self.V, self.merge_tmp) if self.symmetric else records
            return
        # too big to combine at once: split it into row ranges, then merge those
        chunk_bytes = max(self.plan.merge_bytes // 8, 1 << 20) // 16 * 16
        with open(path, "rb") as f:
            sample = np.frombuffer(f.read(chunk_bytes), dtype=RECORD_DTYPE)
        cuts = _row_cuts(sample["k"] // self.V, lo, hi, PARTITIONS)
        starts = np.concatenate([[lo], cuts, [hi]]).astype(np.int64)
        part_of_row = np.zeros(self.V, np.int32)
        part_of_row[lo:hi] = np.repeat(np.arange(len(starts) - 1, dtype=np.int32),
                                       np.diff(starts))
        sub_dir = path + ".d"
        os.mkdir(sub_dir)
        subs = [open(os.path.join(sub_dir, f"part-{p:03d}.bin"), "wb")
                for p in range(len(starts) - 1)]
        try:
            with open(path, "rb") as f:
                while chunk := f.read(chunk_bytes):
                    records = np.frombuffer(chunk, dtype=RECORD_DTYPE)
                    grouped, bounds = partition(records, self.V, part_of_row, len(subs))
                    for p, sub in enumerate(subs):
                        sub.write(grouped[bounds[p]:bounds[p + 1]].tobytes())
        finally:
            for sub in subs:
                sub.close()
        os.unlink(path)
        for p, sub in enumerate(subs):
            yield from self._merge(sub.name, starts[p], starts[p + 1])


def cooccurrence(vocab, sentences=None, corpus_file=None, window=10, symmetric=True,
                 distance_weighting=True, memory_limit=None, workers=None, tmp_dir=None,
                 progress=None):
    """Co-occurrence counts X (V x V scipy.sparse.coo_matrix, float64) of a corpus.

    Row and column i belong to vocab[i] (a sequence of words or a Vocabulary).
    Every line (or sentence) is its own document; tokens outside vocab are dropped
    before windowing. A pair at distance d = 1..window adds 1/d (or 1 without
    distance_weighting) to X[left, right], and with `symmetric` to X[right, left]
    too. `memory_limit` (bytes, or "500MB", "2GB") bounds the memory counting adds
    to what the process holds when the call begins (default: a quarter of the
    machine's, at most 4 GB); the returned matrix needs 16 bytes per non-zero on
    top, allocated once. Temporary files go to
    `tmp_dir` (default: the system's) and are removed whatever happens. `progress`:
    a callable for the progress reports (default: the "rnnfast" logger).
    """
    rows, cols, values = count_arrays(vocab, sentences, corpus_file, window, symmetric,
                                      distance_weighting, memory_limit, workers, tmp_dir,
                                      progress)
    V = len(checks.check_vocab_words(vocab))
    return sparse.coo_matrix((values, (rows, cols)), shape=(V, V))


def count_arrays(vocab, sentences, corpus_file, window, symmetric, distance_weighting,
                 memory_limit, workers, tmp_dir, progress=None):
    """The counts as arrays: (rows int32, cols int32, values float64), each pair once.

    The arrays are allocated once, at an upper bound of the pairs known when counting
    ends, and filled part by part: the pages past the last pair are never touched, so
    the result costs its 16 bytes a pair once (no concatenated second copy)."""
    V = len(checks.check_vocab_words(vocab))
    out = {}

    def reserve(n):
        out.update(rows=np.empty(n, np.int32), cols=np.empty(n, np.int32),
                   values=np.empty(n, np.float64), n=0)

    def sink(records):
        a, b = out["n"], out["n"] + len(records)
        keys = records["k"]
        np.floor_divide(keys, V, out=out["rows"][a:b], casting="unsafe")
        np.remainder(keys, V, out=out["cols"][a:b], casting="unsafe")
        out["values"][a:b] = records["v"]
        out["n"] = b

    sink.reserve = reserve
    _count(vocab, sentences, corpus_file, window, symmetric, distance_weighting, memory_limit,
           workers, tmp_dir, sink, progress)
    n = out["n"]
    return out["rows"][:n], out["cols"][:n], out["values"][:n]


def weight_scale(window, distance_weighting, max_tokens):
    """The integer L by which every pair weight is scaled while counting: lcm(1..window)
    with distance weighting, so that each weight L/d is a whole number and every sum of
    them is exact in float64, whatever its order (the counts do not depend on the
    workers, the memory budget or how the corpus is split); the values are divided by
    L once, at the end. 1 when the weights are 1 already, or when max_tokens (an upper
    bound on the tokens, None if unknown) could take a sum past 2^53."""
    if not distance_weighting:
        return 1
    scale = math.lcm(*range(1, window + 1))
    harmonic = sum(1 / d for d in range(1, window + 1))
    # one token adds at most 2 * L * H(window) to the pairs it is in; a pair (i, i)
    # doubles when its two orders are restored
    # (a window past 42 makes L itself over 2^53: too large for float64 to hold exactly,
    # and from 709 too large to convert at all)
    if max_tokens is None or scale.bit_length() > 53 or \
            4 * scale * harmonic * max(max_tokens, 1) >= 2**53:
        return 1
    return scale


def _count(vocab, sentences, corpus_file, window, symmetric, distance_weighting, memory_limit,
           workers, tmp_dir, sink, progress=None, byte_range=None, scale=None, divide=True):
    """Count into sink(records), part by part. byte_range: (start, end), the lines of
    corpus_file that start there only; scale: the weight scale (weight_scale's, by
    default), which every part of a corpus counted apart must share; divide=False
    leaves the sums scaled (to be added up with other parts' before dividing)."""
    from rnnfast.embeddings._glove import CoocCounter

    words = checks.check_vocab_words(vocab)
    V = len(words)
    window = check_index("window", window, low=1, high=checks.MAX_COOC_WINDOW)
    workers = pool.check_workers(workers)
    checks.check_one_source(sentences, corpus_file)
    if corpus_file is not None:
        check_corpus_file(corpus_file)  # its own errors, before any temporary file
    if V > 2**31 - 1 or V * V >= 2**63:
        raise ValueError(f"vocab of {V} words is too large")
    if tmp_dir is not None and not os.path.isdir(tmp_dir):
        raise ValueError(f"tmp_dir {tmp_dir!r} is not a directory")
    plan = _Plan(parse_memory(memory_limit), workers, V, bool(symmetric))
    stop = pool.StopFlag()
    # a file has at most as many tokens as bytes; sentences, what a Vocabulary counted
    max_tokens = os.path.getsize(corpus_file) if corpus_file is not None else \
        getattr(vocab, "total_words", None)
    if scale is None:
        scale = weight_scale(window, bool(distance_weighting), max_tokens)
    counters = [CoocCounter(V, window, bool(symmetric), bool(distance_weighting),
                            plan.max_product, plan.cell_base, plan.buffer_records, stop.array,
                            BLOCK_IDS, float(scale)) for _ in range(workers)]
    if scale != 1 and divide:
        take = sink

        def sink(records):  # the spent records are divided in place
            np.divide(records["v"], scale, out=records["v"])
            take(records)

        if hasattr(take, "reserve"):
            sink.reserve = take.reserve
    store = _PartitionStore(plan, V, bool(symmetric), tmp_dir)
    try:
        # the tokens are known beforehand only from a Vocabulary of the same corpus
        report = Progress("cooccurrence", getattr(vocab, "total_words", None), "tokens",
                          progress)

        def poll():
            report.update(sum(c.tokens for c in counters), spills=store.spills)

        if corpus_file is not None:
            _count_file(counters, store, words, corpus_file, stop, poll, byte_range)
        else:
            _count_sentences(counters, store, words, sentences, stop, poll)
        report.update(sum(c.tokens for c in counters), force=True, spills=store.spills)
        dense = counters[0].dense
        for c in counters[1:]:
            dense += c.dense
        del counters
        if hasattr(sink, "reserve"):  # every pair the read-out can give, mirrored or not
            sink.reserve((2 if symmetric else 1) * (np.count_nonzero(dense) + store.records()))
        for part in _dense_records(dense, plan, V, bool(symmetric)):
            sink(part)   # block by block: the table is never copied whole
        del dense
        parts = len(store.chunks or ())
        report = Progress("merge", max(parts, 1), "partitions", progress)
        for done, part in enumerate(store.finish(), 1):
            sink(part)
            report.update(done, spills=store.spills)
        report.update(max(parts, 1), force=True, spills=store.spills)
    except OSError as e:
        if isinstance(e, OutputWriteError):
            raise  # the output file's own error, which names it
        temp_root = os.path.abspath(tmp_dir or tempfile.gettempdir())
        about_temp = e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)) or \
            os.path.abspath(str(e.filename or "")).startswith(temp_root + os.sep)
        if not about_temp:
            raise  # the corpus's own error, already clear
        raise OSError(f"counting co-occurrences failed (is the temporary directory "
                      f"{tmp_dir or tempfile.gettempdir()!r} full or unwritable?): {e}") from e
    finally:
        store.close()


def _dense_records(dense, plan, V, symmetric, block=1 << 20):
    """The dense table's non-zero entries as RECORD_DTYPE records, a block at a time
    (with their mirror images when the table holds one cell per symmetric pair)."""
    for start in range(0, len(dense), block):
        flat = np.flatnonzero(dense[start:start + block]) + start
        rows = np.searchsorted(plan.row_starts, flat, side="right") - 1
        records = np.empty(len(flat), RECORD_DTYPE)
        records["k"] = rows * V + (flat - plan.cell_base[rows])
        records["v"] = dense[flat]
        yield mirror(records, V) if symmetric else records


def _flush(counter, store):
    store.add(counter)
    counter.clear()


def _count_file(counters, store, words, corpus_file, stop, poll, byte_range=None):
    """Each worker counts the lines of its own byte range of the file (of byte_range,
    when given: a line belongs to the range it starts in, so ranges split further
    still cover each line once)."""
    from rnnfast.embeddings._vocab import TokenTable

    path, _ = check_corpus_file(corpus_file)
    file = FileRanges(path, len(counters), byte_range)
    table = TokenTable.from_words([w.encode("utf-8") for w in words])

    def job(i, start, end):
        counter = counters[i]
        counter.open_file(os.fsencode(path), start, end)
        while counter.count_file(table):
            _flush(counter, store)
        if not stop.is_set():
            _flush(counter, store)

    file.run(job, stop, poll)


def _count_sentences(counters, store, words, sentences, stop, poll):
    """A producer thread turns the sentences into id batches for the counting workers."""
    check_sentences(sentences)
    key_to_index = {w: i for i, w in enumerate(words)}

    def consume(i, job):
        ids, ends = job[:2]
        counters[i].start_ids()
        while counters[i].count_ids(ids, ends):
            _flush(counters[i], store)

    # no sentence cut: GloVe's windows run over whole lines, as its own cooccur does
    pool.feed(id_batches(sentences, key_to_index, JOB_WORDS, 1 << 62), consume,
              len(counters), stop, poll, finish=lambda i: _flush(counters[i], store))


def cooccurrence_to_file(vocab, path, sentences=None, corpus_file=None, window=10,
                         symmetric=True, distance_weighting=True, memory_limit=None,
                         workers=None, tmp_dir=None, progress=None):
    """Count as `cooccurrence` does, but stream the counts into a GloVe binary file
    (see save_cooccurrence), so that the whole run stays within memory_limit.

    Returns the number of non-zero pairs written."""
    from rnnfast.embeddings._glove import to_glove_records

    written = [0]
    V = len(checks.check_vocab_words(vocab))
    with atomic_write(path, "wb") as f:
        def sink(records):
            try:
                to_glove_records(records, V).tofile(f)  # in place: the records are spent
            except OSError as e:  # not the temporary files': say which file
                what = e.strerror or f"{e} (is its disk full?)"  # numpy's short write: no errno
                raise OutputWriteError(*(() if e.errno is None else (e.errno,)),
                                       f"cannot write {os.fspath(path)!r}: {what}") from None
            written[0] += len(records)

        _count(vocab, sentences, corpus_file, window, symmetric, distance_weighting,
               memory_limit, workers, tmp_dir, sink, progress)
    return written[0]


def save_cooccurrence(matrix, path):
    """Write X in GloVe's binary record format (int32 i, int32 j, float64 x; 1-based ids)."""
    coo = sparse.coo_matrix(matrix)
    records = np.empty(coo.nnz, dtype=GLOVE_RECORD)
    records["i"], records["j"], records["x"] = coo.row + 1, coo.col + 1, coo.data
    with atomic_write(path, "wb") as f:
        records.tofile(f)


def load_cooccurrence(path, vocab_size=None):
    """Read GloVe's binary co-occurrence records into a coo_matrix (V x V)."""
    size = os.path.getsize(path)
    if size % GLOVE_RECORD.itemsize:
        raise ValueError(f"{path!r} is not a GloVe co-occurrence file: its size {size} is not "
                         f"a multiple of {GLOVE_RECORD.itemsize} bytes (truncated?)")
    records = np.fromfile(path, dtype=GLOVE_RECORD)
    if len(records) and (records["i"].min() < 1 or records["j"].min() < 1):
        raise ValueError(f"{path!r} holds word ids below 1 (GloVe's ids start at 1)")
    top = int(max(records["i"].max(), records["j"].max())) if len(records) else 0
    V = top if vocab_size is None else int(vocab_size)
    if top > V:
        raise ValueError(f"{path!r} holds word id {top} but the vocabulary has {V} words")
    if not np.isfinite(records["x"]).all():
        raise ValueError(f"{path!r} holds non-finite counts")
    return sparse.coo_matrix((records["x"], (records["i"] - 1, records["j"] - 1)), shape=(V, V))
