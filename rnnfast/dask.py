"""Vocabulary and co-occurrences counted over shards of a corpus on a Dask cluster.

`pip install "rnnfast[dask]"`. A corpus is one or more text files (paths, globs or
fsspec URLs such as ``s3://bucket/corpus/*.txt``), one sentence per line. Plain
files are cut into newline-aligned byte ranges by the rule of ``corpus_file``
training (a line belongs to the range it starts in); a compressed file is one
shard. Each shard is counted by the same C code as on one machine, inside a Dask
task; partial results are partitioned by a hash of the word (vocabulary) or by a
permutation of the rows (co-occurrences) and reduced on the workers, so only the
kept vocabulary comes back to the client, and the co-occurrences go straight to
files. Both results equal the one-machine ones exactly (see `build_vocab` and
`cooccurrence`).

``client=None`` starts a local cluster (one worker process per core) for the call
and closes it after. Dask retries a task whose worker died; shard tasks are pure
functions of their byte range, so a retried task gives the same counts.
"""

import contextlib
import json
import os
import shutil
import tempfile
import zlib

import numpy as np
from scipy import sparse

from rnnfast import _checks, persist
from rnnfast._glove import partition
from rnnfast import glove as _glove_model
from rnnfast.cooccur import _count, parse_memory, weight_scale
from rnnfast.progress import Progress
from rnnfast.vocab import Vocabulary

__all__ = ["shards", "build_vocab", "cooccurrence", "BlockedCooccurrence",
           "load_blocked_cooccurrence", "GloVe"]

SHARD_BYTES = 64 << 20
# GloVe's binary record: int32 row + 1, int32 column + 1, float64 count
GLOVE_RECORD = np.dtype([("i", "<i4"), ("j", "<i4"), ("x", "<f8")])
_RECORD = np.dtype([("k", "<i8"), ("v", "<f8")])
MANIFEST = "_rnnfast_cooccurrence.json"
FORMAT_VERSION = 1


def _fsspec():
    try:
        import fsspec
    except ImportError:
        raise ImportError('rnnfast.dask needs dask: pip install "rnnfast[dask]"') from None
    return fsspec


# --- sharded input ------------------------------------------------------------------


def shards(paths, shard_bytes=SHARD_BYTES):
    """The shards of a corpus: a list of (url, start, end, compressed) tuples.

    paths: a path, glob or fsspec URL, or a list of them. Plain files are cut into
    byte ranges of about shard_bytes (each shard counts the lines that start in its
    range); a gzip, bzip2 or xz file (told by its first bytes) is one shard, read
    whole (start 0, end its compressed size). Empty files give no shard."""
    fsspec = _fsspec()
    shard_bytes = _checks.check_index("shard_bytes", shard_bytes, low=1)
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


# --- the cluster --------------------------------------------------------------------


@contextlib.contextmanager
def _cluster(client):
    """The client to use: the one given, or a local cluster's for the call."""
    try:
        import distributed
    except ImportError:
        raise ImportError('rnnfast.dask needs dask.distributed: pip install "rnnfast[dask]"') \
            from None
    if client is not None:
        if not isinstance(client, distributed.Client):
            raise TypeError(f"client must be a dask.distributed.Client or None, got "
                            f"{type(client).__name__}")
        yield client
        return
    with distributed.LocalCluster(processes=True, threads_per_worker=1,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as own:
        yield own


def _n_workers(client):
    return max(1, len(client.scheduler_info()["workers"]))


def _aligned(a):
    """`a`, or an aligned copy: an array that travelled between processes may be a view
    of a byte buffer at any offset, which the C kernels must not read."""
    return a if a.ctypes.data % 8 == 0 else a.copy()


def _pick(result, i):
    """Part i of a shard task's partitioned result (a task of its own, run where the
    result lives, so that each reducer fetches only its part)."""
    return result[0][i]


# --- vocabulary ---------------------------------------------------------------------


def _pack(words):
    """Words (bytes) as (blob, lengths int64): compact to move between workers."""
    return b"".join(words), np.fromiter((len(w) for w in words), np.int64, len(words))


def _unpack(blob, lengths):
    ends = np.cumsum(lengths).tolist()
    starts = [0] + ends[:-1]
    return [blob[a:b] for a, b in zip(starts, ends)]


def _vocab_shard(shard, parts):
    """Count a shard in C; its words split into `parts` by a hash of their bytes."""
    from rnnfast._vocab import TokenTable

    table = TokenTable(1 << 16)
    totals = np.zeros(3, np.int64)
    with _readable(shard) as (path, start, end):
        if _has_tokens(path, start, end):
            table.count_file(os.fsencode(path), start, end, 0, totals,
                             np.zeros(1, np.intc))
    words, counts = table.items()
    part = np.fromiter((zlib.crc32(w) % parts for w in words), np.int64, len(words))
    pieces = []
    for p in range(parts):
        at = np.flatnonzero(part == p)
        pieces.append((*_pack([words[i] for i in at]), counts[at]))
    return pieces, int(totals[0]), int(totals[1])


def _vocab_reduce(pieces, min_count):
    """One hash partition's words over all shards: counts summed, those below
    min_count dropped. Returns (blob, lengths, counts, the largest count)."""
    total = {}
    for blob, lengths, counts in pieces:
        for w, c in zip(_unpack(blob, lengths), counts.tolist()):
            total[w] = total.get(w, 0) + c
    top = max(total.values(), default=0)
    kept = [(w, c) for w, c in total.items() if c >= min_count]
    return (*_pack([w for w, _ in kept]), np.array([c for _, c in kept], np.int64), top)


def build_vocab(paths, min_count=5, client=None, shard_bytes=SHARD_BYTES, partitions=None):
    """The Vocabulary of a sharded corpus, equal to `Vocabulary.from_corpus_file` on
    the files' concatenation (words, counts, order, total_words, n_sentences), for any
    shard size.

    paths: as for `shards`. partitions: hash partitions of the reduce (default: one
    per worker). (`max_vocab_size` pruning is not offered: it depends on the order the
    words are read in, so no split of the corpus could reproduce it.)"""
    min_count = _checks.check_index("min_count", min_count, low=1)
    pieces = shards(paths, shard_bytes)
    with _cluster(client) as c:
        parts = _checks.check_index("partitions", partitions or _n_workers(c), low=1)
        counted = c.map(_vocab_shard, pieces, parts=parts, pure=False)
        reduced = [c.submit(_vocab_reduce, [c.submit(_pick, f, p) for f in counted], min_count)
                   for p in range(parts)]
        totals = c.gather([c.submit(lambda r: r[1:], f) for f in counted])
        results = c.gather(reduced)
    words, counts = [], []
    for blob, lengths, kept, _ in results:
        words += _unpack(blob, lengths)
        counts.append(kept)
    n_tokens = sum(t for t, _ in totals)
    try:
        words = [w.decode("utf-8") for w in words]
    except UnicodeDecodeError as e:
        raise ValueError(f"the corpus {paths!r} is not UTF-8 text: {e}") from None
    return Vocabulary._from_counts(words, np.concatenate(counts) if counts else [], min_count,
                                   n_tokens, sum(s for _, s in totals), f"the corpus {paths!r}",
                                   top=max((r[3] for r in results), default=0))


# --- co-occurrences -----------------------------------------------------------------


def _cooc_shard(shard, words, window, symmetric, distance_weighting, memory_limit, scale,
                block_of_row, blocks):
    """Count a shard's co-occurrences with the one-machine counter (sums still scaled
    by `scale`, both orders of symmetric pairs), split into row blocks."""
    from rnnfast import cooccur

    got = []

    def sink(records):
        got.append(records.copy())  # the counter reuses its buffers

    if memory_limit is None:
        # sized to the shard: a dense table much larger than its pairs costs more in
        # fresh pages than it saves (16 MB shards: 4.0 s at 4 GB, 1.5 s at 2 GB)
        memory_limit = min(cooccur._default_memory(), cooccur._resident_memory() + (256 << 20)
                           + 96 * (shard[2] - shard[1]))
    with _readable(shard) as (path, start, end):
        if _has_tokens(path, start, end):
            _count(words, None, path, window, symmetric, distance_weighting, memory_limit, 1,
                   None, sink, lambda report: None, byte_range=(start, end), scale=scale,
                   divide=False)
    records = np.concatenate(got) if got else np.zeros(0, _RECORD)
    del got
    block_of_row = _aligned(block_of_row)
    grouped, bounds = partition(records, len(words), block_of_row, blocks)
    return [grouped[bounds[p]:bounds[p + 1]] for p in range(blocks)], len(records)


def _cooc_reduce(pieces, p, out, V, scale, block_of_row, blocks):
    """Row block p: the shards' records summed (exact: integer-valued), divided by the
    scale once, and written as one GloVe record file per column block q. Returns the
    records written per column block."""
    from rnnfast.cooccur import _combine

    records = np.concatenate(pieces) if pieces else np.zeros(0, _RECORD)
    del pieces
    records = _combine(records, V, 0, V)  # sorted by (row, column), each pair once
    keys = records["k"]
    rows, cols = (keys // V).astype(np.int32), (keys % V).astype(np.int32)
    values = records["v"]
    if scale != 1:
        values /= scale
    written = []
    col_block = block_of_row[cols]
    for q in range(blocks):
        at = np.flatnonzero(col_block == q)
        out_records = np.empty(len(at), GLOVE_RECORD)
        out_records["i"], out_records["j"], out_records["x"] = rows[at] + 1, cols[at] + 1, \
            values[at]
        _write(_block_url(out, p, q), out_records.tobytes())
        written.append(len(at))
    return written


def _block_url(out, p, q):
    return f"{out.rstrip('/')}/row={p}/col={q}.bin"


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


def _read(url):
    fs, path = _fsspec().core.url_to_fs(url)
    with fs.open(path, "rb") as f:
        return f.read()


def cooccurrence(paths, vocab, out, blocks=1, window=10, symmetric=True,
                 distance_weighting=True, memory_limit=None, client=None,
                 shard_bytes=SHARD_BYTES, seed=0):
    """Count the co-occurrences of a sharded corpus as map-reduce; returns a
    BlockedCooccurrence of the files written under `out` (a directory or URL).

    Arguments as for `rnnfast.cooccurrence` (memory_limit bounds each shard task).
    Rows and columns are dealt to `blocks` blocks by a permutation of the vocabulary
    (from `seed`), so the frequent head spreads over all of them; block (p, q) is the
    GloVe binary record file ``out/row=p/col=q.bin``. The counts equal the one-machine
    `cooccurrence()` on the files' concatenation bit for bit: pair weights are summed as
    whole numbers (see `rnnfast.cooccur.weight_scale`), so no order of adding changes
    them. (On a corpus so large that they would pass 2^53 the weights are 1/d, the sums
    depend on their order, and the two agree to rounding only.)"""
    words = _checks.check_vocab_words(vocab)
    V = len(words)
    blocks = _checks.check_index("blocks", blocks, low=1, high=max(V, 1))
    window = _checks.check_index("window", window, low=1, high=_checks.MAX_COOC_WINDOW)
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a directory path or URL, got {type(out).__name__}")
    out = os.fspath(out)
    parse_memory(memory_limit)  # its error here, not from every worker
    pieces = shards(paths, shard_bytes)
    plain = all(not s[3] for s in pieces)
    # the one-machine bound on tokens: the bytes of a plain file, else what a
    # Vocabulary of the corpus counted
    bound = sum(s[2] - s[1] for s in pieces) if plain else getattr(vocab, "total_words", None)
    scale = weight_scale(window, bool(distance_weighting), bound)
    block_of_row = (np.random.default_rng(seed).permutation(V) % blocks).astype(np.int32)
    with _cluster(client) as c:
        shared = c.scatter([words, block_of_row], broadcast=True, hash=False)
        counted = c.map(_cooc_shard, pieces, words=shared[0], window=window,
                        symmetric=bool(symmetric), distance_weighting=bool(distance_weighting),
                        memory_limit=memory_limit, scale=scale, block_of_row=shared[1],
                        blocks=blocks, pure=False)
        reduced = [c.submit(_cooc_reduce, [c.submit(_pick, f, p) for f in counted], p, out, V,
                            scale, shared[1], blocks, pure=False) for p in range(blocks)]
        written = c.gather(reduced)
    meta = {"format": "rnnfast.blocked-cooccurrence", "version": FORMAT_VERSION,
            "vocab_size": V, "blocks": blocks, "seed": seed, "window": window,
            "symmetric": bool(symmetric), "distance_weighting": bool(distance_weighting),
            "records": [[int(n) for n in row] for row in written]}
    _write(f"{out.rstrip('/')}/{MANIFEST}", json.dumps(meta, indent=1).encode())
    return BlockedCooccurrence(out, meta)


class BlockedCooccurrence:
    """Co-occurrence counts on disk in blocks: ``row=p/col=q.bin`` GloVe record files
    under `out`, with a JSON manifest. `block(p, q)` reads one block, `to_coo()` the
    whole matrix (V x V coo_matrix, float64) when it fits in memory; `rows_of(p)` the
    rows dealt to block p."""

    def __init__(self, out, meta):
        self.out = out
        self.meta = meta
        self.vocab_size = meta["vocab_size"]
        self.blocks = meta["blocks"]
        self.nnz = sum(map(sum, meta["records"]))

    def rows_of(self, p):
        """The vocabulary ids of row (and column) block p, ascending."""
        perm = np.random.default_rng(self.meta["seed"]).permutation(self.vocab_size)
        return np.flatnonzero(perm % self.blocks == p)

    def block(self, p, q):
        """(rows int32, cols int32, values float64) of block (p, q), 0-based ids."""
        data = _read(_block_url(self.out, p, q))
        if len(data) % GLOVE_RECORD.itemsize:
            raise ValueError(f"{_block_url(self.out, p, q)!r} is truncated: {len(data)} bytes "
                             f"is not a whole number of {GLOVE_RECORD.itemsize}-byte records")
        records = np.frombuffer(data, GLOVE_RECORD)
        if len(records) != self.meta["records"][p][q]:
            raise ValueError(f"{_block_url(self.out, p, q)!r} holds {len(records)} records; "
                             f"the manifest says {self.meta['records'][p][q]}")
        return (records["i"] - 1).astype(np.int32), (records["j"] - 1).astype(np.int32), \
            records["x"].copy()

    def to_coo(self):
        """The whole matrix as one scipy.sparse.coo_matrix (V x V)."""
        parts = [self.block(p, q) for p in range(self.blocks) for q in range(self.blocks)]
        rows, cols, values = (np.concatenate([part[i] for part in parts]) for i in range(3))
        V = self.vocab_size
        return sparse.coo_matrix((values, (rows, cols)), shape=(V, V))

    def __repr__(self):
        return (f"BlockedCooccurrence({self.out!r}, {self.vocab_size} words, {self.blocks}x"
                f"{self.blocks} blocks, {self.nnz} pairs)")


def load_blocked_cooccurrence(out):
    """The BlockedCooccurrence that `cooccurrence` wrote under `out`."""
    try:
        meta = json.loads(_read(f"{os.fspath(out).rstrip('/')}/{MANIFEST}"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{out!r} holds no {MANIFEST}: not written by "
                                f"rnnfast.dask.cooccurrence") from None
    if meta.get("format") != "rnnfast.blocked-cooccurrence" or \
            meta.get("version") != FORMAT_VERSION:
        raise ValueError(f"{out!r}: unknown blocked co-occurrence format "
                         f"{meta.get('format')!r} version {meta.get('version')!r}")
    return BlockedCooccurrence(os.fspath(out), meta)


# --- GloVe by stratified blocks ------------------------------------------------------

_ROW_STATE = ("W", "b", "G_W", "G_b")          # a row block: the word vectors' side
_CTX_STATE = ("W_ctx", "b_ctx", "G_ctx", "G_bctx")  # a column block: the contexts' side


def _stratum_pairs(url, local_of, x_max, alpha, order_seed):
    """Block (p, q)'s training pairs, ids made local to the blocks, shuffled once."""
    from rnnfast.functional import glove_pairs

    data = _read(url)
    records = np.frombuffer(data, GLOVE_RECORD)
    rows = local_of[records["i"] - 1]
    cols = local_of[records["j"] - 1]
    pairs = glove_pairs(rows, cols, records["x"], x_max, alpha)
    return pairs[np.random.default_rng(order_seed).permutation(len(pairs))]


def _train_stratum(rows, ctx, pairs, order_seed, learning_rate, clip):
    """One pass of the AdaGrad kernel over block (p, q)'s pairs (one thread, so the
    result depends on nothing but the inputs); returns new (rows, ctx, cost, skipped)."""
    from rnnfast._glove import EPOCH_STATS_DTYPE, glove_epoch

    rows = {k: v.copy() for k, v in rows.items()}
    ctx = {k: v.copy() for k, v in ctx.items()}
    pairs = _aligned(pairs)
    stats = np.zeros(1, EPOCH_STATS_DTYPE)
    if len(pairs):
        n_blocks = -(-len(pairs) // _glove_model.PAIR_BLOCK)
        order = np.random.default_rng(order_seed).permutation(n_blocks)
        state = {**rows, **ctx}
        glove_epoch(*(state[k] for k in _checks.GLOVE_STATE), pairs, order, 0, n_blocks,
                    learning_rate, clip, _glove_model.PAIR_BLOCK, stats, 0, None)
    return rows, ctx, float(stats["cost"][0]), int(stats["skipped"][0])


def _lost_worker(error):
    """Whether an error is Dask's for a task whose worker (or data) was lost."""
    import concurrent.futures
    from distributed.scheduler import KilledWorker
    return isinstance(error, (KilledWorker, concurrent.futures.CancelledError)) or \
        type(error).__name__ in ("FutureCancelledError", "CancelledError")


def _item(result, i):
    return result[i]


class _InProcess:
    """Runs the schedule's tasks here, one after another: the reference the cluster's
    run must equal bit for bit."""

    def submit(self, fn, *args):
        return fn(*args)

    def put(self, value):
        return value

    def gather(self, values):
        return values


class _OnCluster:
    def __init__(self, client):
        self.client = client

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def put(self, value):
        """Data sent to the workers once (not inside every task that reads it)."""
        # in a list: a scattered dict would become one future per key, named by the key
        return self.client.scatter([value], hash=False)[0]

    def gather(self, futures):
        return self.client.gather(futures)


class GloVe(_glove_model.GloVe):
    """GloVe trained on a Dask cluster from a BlockedCooccurrence, by stratified blocks
    (DSGD, Gemulla et al. 2011): block p of the rows (vectors, biases, AdaGrad sums)
    is trained in sub-epoch s against block (p + s) mod P of the contexts, the P blocks
    of a sub-epoch in parallel (they share no row and no column); the sub-epochs' order
    is drawn afresh each epoch. Parameters and attributes as `rnnfast.GloVe` (the
    counting ones unused); a checkpoint is the one-machine format, so either can resume
    the other's. With one block the run equals `rnnfast.GloVe(workers=1)
    .fit_cooccurrence(counts.to_coo(), vocab)` bit for bit.

    In each sub-epoch a task's row block or column block goes to the other's worker:
    V/P x (d + 1) x 2 float32 (vectors, biases and their AdaGrad sums) per task."""

    def fit(self, counts, vocab, client=None, resume=False):
        """Train on the blocks of `counts` (a BlockedCooccurrence, or the `out` it was
        written to) whose ids are vocab's; returns self."""
        if not isinstance(counts, BlockedCooccurrence):
            counts = load_blocked_cooccurrence(counts)
        words = _checks.check_vocab_words(vocab)
        if len(words) != counts.vocab_size:
            raise ValueError(f"counts are over {counts.vocab_size} words but vocab has "
                             f"{len(words)}")
        if counts.nnz == 0:
            raise ValueError("the co-occurrence blocks are empty: nothing to train on")
        with _cluster(client) as c:
            for attempt in range(3):
                try:
                    return self._fit_blocks(counts, words, resume or attempt > 0,
                                            _OnCluster(c))
                except Exception as e:  # noqa: BLE001: only a lost worker is retried
                    if not (self.checkpoint and _lost_worker(e)) or attempt == 2:
                        raise
                    # blocks that lived on a lost worker cannot be recomputed (their
                    # inputs are gone): go on from the last epoch's checkpoint
                    self.state_ = None

    def _fit_blocks(self, counts, words, resume, runner):
        V, P = len(words), counts.blocks
        self.words_ = words
        self._start_state(words, resume)
        members = [counts.rows_of(p) for p in range(P)]
        # every block padded to one size: the kernel takes equal row counts on both sides
        size = max(len(m) for m in members)
        local_of = np.zeros(V, np.int32)
        for m in members:
            local_of[m] = np.arange(len(m), dtype=np.int32)

        def blocks_of(keys):
            out = []
            for m in members:
                block = {}
                for k in keys:
                    a = self.state_[k]
                    padded = np.zeros((size,) + a.shape[1:], a.dtype)
                    padded[:len(m)] = a[m]
                    block[k] = padded
                out.append(block)
            return out

        rows = [runner.put(b) for b in blocks_of(_ROW_STATE)]
        ctx = [runner.put(b) for b in blocks_of(_CTX_STATE)]
        local_of = runner.put(local_of)
        # the one-machine streams when there is one block, so that P = 1 is that run
        one = P == 1
        pairs = [[runner.submit(_stratum_pairs, _block_url(counts.out, p, q), local_of,
                                self.x_max, self.alpha,
                                [self.seed] if one else [self.seed, 3, p, q])
                  for q in range(P)] for p in range(P)]
        report = Progress("glove", counts.nnz, "pairs", self.progress, self.epochs)
        for epoch in range(len(self.cost_), self.epochs):
            order = [0] if one else np.random.default_rng([self.seed, epoch, 1]).permutation(P)
            results = []
            for s in order:
                new_rows, new_ctx = [None] * P, [None] * P
                for p in range(P):
                    q = (p + int(s)) % P
                    done = runner.submit(_train_stratum, rows[p], ctx[q], pairs[p][q],
                                         [self.seed, epoch] if one else
                                         [self.seed, epoch, 2, p, q],
                                         self.learning_rate, self.clip)
                    new_rows[p] = runner.submit(_item, done, 0)
                    new_ctx[q] = runner.submit(_item, done, 1)
                    results.append(runner.submit(_item, done, 2))
                    results.append(runner.submit(_item, done, 3))
                rows, ctx = new_rows, new_ctx
            figures = runner.gather(results)
            cost, skipped = float(sum(figures[0::2])), int(sum(figures[1::2]))
            self._end_epoch(epoch, cost, skipped, counts.nnz, report)
            last = epoch + 1 == self.epochs
            if self.checkpoint or last or self.callbacks:
                self._gather_state(runner.gather(rows), runner.gather(ctx), members)
            if self.checkpoint:
                self.save(self.checkpoint)
            for cb in self.callbacks:
                self._set_vectors()
                cb(self, epoch)
        if not self._finite():
            raise FloatingPointError("training diverged: the vectors are not finite")
        self._set_vectors()
        return self

    def _gather_state(self, rows, ctx, members):
        """The blocks written back into the whole state_ (padding dropped)."""
        for blocks in (rows, ctx):
            for m, block in zip(members, blocks):
                for k, a in block.items():
                    self.state_[k][m] = a[:len(m)]
