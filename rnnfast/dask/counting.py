"""Vocabulary and co-occurrences counted over shards as map-reduce on the workers."""

import contextlib
import json
import os
import warnings
import zlib

import numpy as np
from scipy import sparse

from rnnfast._core.checks import check_index
from rnnfast.dask._cluster import _aligned, _cluster, _n_workers, _pick
from rnnfast.dask._files import SHARD_BYTES, _has_tokens, _read, _readable, _remove, _write, shards
from rnnfast.embeddings import checks
from rnnfast.embeddings._glove import partition
from rnnfast.embeddings.cooccur import _count, parse_memory, weight_scale
from rnnfast.embeddings.vocab import Vocabulary

# GloVe's binary record: int32 row + 1, int32 column + 1, float64 count
GLOVE_RECORD = np.dtype([("i", "<i4"), ("j", "<i4"), ("x", "<f8")])
_RECORD = np.dtype([("k", "<i8"), ("v", "<f8")])
MANIFEST = "_rnnfast_cooccurrence.json"
FORMAT_VERSION = 1


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
    from rnnfast.embeddings._vocab import TokenTable

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
    min_count = check_index("min_count", min_count, low=1)
    partitions = check_index("partitions", partitions, low=1, optional=True)
    pieces = shards(paths, shard_bytes)
    with _cluster(client) as c:
        parts = partitions if partitions is not None else _n_workers(c)
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
    from rnnfast.embeddings import cooccur

    got = []

    def sink(records):
        got.append(records.copy())  # the counter reuses its buffers

    if memory_limit is None:
        # sized to the shard: a dense table much larger than its pairs costs more in
        # fresh pages than it saves (16 MB shards: 4.0 s at 4 GB, 1.5 s at 2 GB)
        memory_limit = min(cooccur._default_memory(), (256 << 20) + 96 * (shard[2] - shard[1]))
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
    from rnnfast.embeddings.cooccur import _combine

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
    whole numbers (see `rnnfast.embeddings.cooccur.weight_scale`), so no order of adding changes
    them. (On a corpus so large that they would pass 2^53 the weights are 1/d, the sums
    depend on their order, and the two agree to rounding only.)"""
    words = checks.check_vocab_words(vocab)
    V = len(words)
    blocks = check_index("blocks", blocks, low=1, high=max(V, 1))
    window = check_index("window", window, low=1, high=checks.MAX_COOC_WINDOW)
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a directory path or URL, got {type(out).__name__}")
    out = os.fspath(out)
    parse_memory(memory_limit)  # its error here, not from every worker
    pieces = shards(paths, shard_bytes)
    plain = all(not s[3] for s in pieces)
    # the one-machine bound on tokens: the bytes of a plain file, else what a
    # Vocabulary of the corpus counted
    bound = sum(s[2] - s[1] for s in pieces) if plain else getattr(vocab, "total_words", None)
    _warn_of_a_large_shuffle(pieces, V, window, getattr(vocab, "total_words", None))
    scale = weight_scale(window, bool(distance_weighting), bound)
    block_of_row = (np.random.default_rng(seed).permutation(V) % blocks).astype(np.int32)
    with _cluster(client) as c:
        shared = c.scatter([words, block_of_row], broadcast=True, hash=False)
        counted = c.map(_cooc_shard, pieces, words=shared[0], window=window,
                        symmetric=bool(symmetric), distance_weighting=bool(distance_weighting),
                        memory_limit=memory_limit, scale=scale, block_of_row=shared[1],
                        blocks=blocks, pure=False)
        # a manifest left by an earlier run would describe the blocks this one replaces
        _remove([f"{out.rstrip('/')}/{MANIFEST}"])
        reduced = [c.submit(_cooc_reduce, [c.submit(_pick, f, p) for f in counted], p, out, V,
                            scale, shared[1], blocks, pure=False) for p in range(blocks)]
        try:
            written = c.gather(reduced)
        except BaseException:
            # no partial result: let the reduces still running end, then remove every
            # block this run may have written
            import distributed
            with contextlib.suppress(Exception):
                distributed.wait(reduced, timeout=120)
            _remove([_block_url(out, p, q) for p in range(blocks) for q in range(blocks)])
            raise
    meta = {"format": "rnnfast.blocked-cooccurrence", "version": FORMAT_VERSION,
            "vocab_size": V, "blocks": blocks, "seed": seed, "window": window,
            "symmetric": bool(symmetric), "distance_weighting": bool(distance_weighting),
            "records": [[int(n) for n in row] for row in written]}
    _write(f"{out.rstrip('/')}/{MANIFEST}", json.dumps(meta, indent=1).encode())
    return BlockedCooccurrence(out, meta)


# A shuffle smaller than this is never worth a warning.
SHUFFLE_WARN_BYTES = 1 << 30


def _warn_of_a_large_shuffle(pieces, V, window, total_words):
    """Warn when the shards could send many times the pairs the whole matrix can hold.

    Each shard sends each distinct pair it saw, at most min(its tokens x 2 x window,
    V^2) of them (a plain shard's tokens are at most half its bytes); the matrix holds
    at most min(the corpus's tokens x 2 x window, V^2). With a small vocabulary most
    pairs recur in every shard: 190 shards of 64 MiB of a 2B-token corpus at V = 10k
    sent about that many times the matrix's 95M pairs and filled a 65 GB disk."""
    plain = all(not compressed for *_, compressed in pieces)
    tokens = total_words if total_words is not None else (
        sum((end - start) // 2 for _, start, end, _ in pieces) if plain else None)
    if tokens is None:   # compressed files of a corpus not counted: no bound to give
        return
    held = min(tokens * 2 * window, V * V)
    sent = sum(min(((end - start) // 2 if not compressed else tokens) * 2 * window, held)
               for _, start, end, compressed in pieces)
    if sent * 16 > SHUFFLE_WARN_BYTES and sent > 4 * held:
        size = sum(end - start for _, start, end, _ in pieces)
        warnings.warn(
            f"cooccurrence: {len(pieces)} shards may send up to {sent * 16 / 1e9:,.1f} GB of "
            f"pairs between workers, {sent / max(held, 1):,.0f} times the "
            f"{held * 16 / 1e9:,.1f} GB the whole matrix can hold (with {V:,} words most "
            f"pairs recur in every shard, and each shard sends its own); Dask spills what "
            f"does not fit in memory to its workers' disks. Fewer, larger shards send "
            f"less: shard_bytes of about {size:,} / the number of workers.",
            stacklevel=3)


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
