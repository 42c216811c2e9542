"""GloVe's training records, made ready once per fit: computed, digested and shuffled.

A big co-occurrence matrix holds a hundred million pairs and more; computing their
records, one numpy permutation and one gather of them took 17 s for 95M pairs, in
one thread and with no report. Here every step is cut into jobs that `pool.feed`
hands to the workers, with reports and the stop flag between jobs, and the records
are computed only once each pair's place is known, straight into it: the whole
preparation holds the shuffled records and a bucket number a pair (18 bytes).

The shuffle is a uniform random permutation built from jobs: each pair draws one of
`n_buckets` buckets at random (a stable counting sort puts the buckets in order),
then each bucket is shuffled on its own. Every draw comes from a stream of its own
chunk or bucket, so the order depends on the seed and the pairs, never on the
number of workers.
"""

import numpy as np

from rnnfast._core import pool
from rnnfast._core.progress import Progress
from rnnfast.embeddings._glove import PAIR_DTYPE
from rnnfast.embeddings.functional import glove_pairs

__all__ = ["prepared_pairs", "pairs_digest", "step_ranges", "group_of"]

# Pairs per job: each job's temporaries (its records, digest keys, ranks and places)
# take about 100 bytes a pair on each worker, so jobs are kept small (4M-pair jobs
# took 18M pairs to a peak of 55 bytes a pair).
CHUNK = 1 << 18
# Chunks per job when the records are put in their buckets: a job writes one run per
# bucket (95M pairs make 1,452 buckets), and runs of a quarter-million-pair job were
# short enough to make this step twice as slow a pair as for 18M pairs
PLACE_CHUNKS = 4
BUCKET = 1 << 16       # pairs per bucket, on average (a bucket's records fit in L2)
MAX_BUCKETS = 1 << 15  # bucket numbers fit in uint16
# Indices per run of a group: 64 floats are 4 cache lines (numpy arrays start 16 bytes
# past a line, so a run's lines are its own but for the one it shares at each end).
GROUP_RUN = 64
RUN_SHIFT = GROUP_RUN.bit_length() - 1   # index >> RUN_SHIFT: the index's run


def prepared_pairs(rows, cols, counts, V, x_max, alpha, seed, workers, progress=None,
                   strata=1):
    """The records `glove_pairs` makes of (rows, cols, counts), in a random order drawn
    from `seed` (an int or a list of them), and `pairs_digest` of the counts:
    (PAIR_DTYPE (n,), str, bounds int64 (strata * strata + 1,)).

    rows, cols: int (n,) in [0, V); counts: float (n,) > 0. `workers` threads do the
    work; Ctrl-C stops it between two jobs. With `strata` S > 1 the records come in S x S
    blocks, block r * S + s in records[bounds[r * S + s]:bounds[r * S + s + 1]]: those
    whose row lies in group r and whose column in group (r + s) % S (see `group_of`),
    each block in its own random order. The S blocks of one s touch disjoint rows and
    columns."""
    n = len(counts)
    blocks = strata * strata
    if not 1 <= blocks <= MAX_BUCKETS:
        raise ValueError(f"strata must be in 1..{int(MAX_BUCKETS ** 0.5)}, got {strata}")
    per_block = int(min(max(n // (BUCKET * blocks), 1), MAX_BUCKETS // blocks))
    n_buckets = blocks * per_block
    chunks = [(lo, min(lo + CHUNK, n)) for lo in range(0, n, CHUNK)]
    buckets = np.empty(n, np.uint16)
    tallies = np.zeros((len(chunks), n_buckets), np.int64)
    digests = [None] * len(chunks)
    done = np.zeros(3, np.int64)   # pairs drawn, placed, shuffled
    report = Progress("pairs", 3 * n, "pairs", progress)

    if blocks > 1:
        # looked up, not computed a pair at a time (numpy's integer division and modulo
        # took 20 ns a pair): each run's group, each (row group, column group)'s first
        # bucket (block r * S + s holds row group r and column group (r + s) % S)
        run_group = group_of(np.arange(-(-V // GROUP_RUN)) * GROUP_RUN, strata).astype(np.int32)
        r, c = np.divmod(np.arange(blocks), strata)
        first_bucket = ((r * strata + (c - r) % strata) * per_block).astype(np.uint16)

    def poll():
        report.update(int(done.sum()))

    def draw(worker, c):
        lo, hi = chunks[c]
        digests[c] = _digest_part(rows[lo:hi], cols[lo:hi], counts[lo:hi], V)
        if per_block > 1:
            buckets[lo:hi] = _stream(seed, 1, c).integers(
                0, per_block, hi - lo, dtype=np.uint16)
        else:
            buckets[lo:hi] = 0
        if blocks > 1:
            row_run, col_run = (np.asarray(x[lo:hi]) >> RUN_SHIFT for x in (rows, cols))
            buckets[lo:hi] += first_bucket[run_group[row_run] * strata + run_group[col_run]]
        tallies[c] = np.bincount(buckets[lo:hi], minlength=n_buckets)
        done[0] += hi - lo

    stop = pool.StopFlag()
    pool.feed(range(len(chunks)), draw, workers, stop, poll)
    digest = _digest_join(digests, n)

    # The records are computed where they go, PLACE_CHUNKS chunks a job: longer runs
    # of one bucket per job than a chunk's (a 95M-pair matrix has 1,452 buckets), and
    # no whole-size array of them in bucket-less order. A pair goes after every earlier
    # bucket, then after that bucket's pairs in earlier jobs, then in the order it came.
    jobs = [(j, min(j + PLACE_CHUNKS, len(chunks))) for j in range(0, len(chunks), PLACE_CHUNKS)]
    job_tallies = np.add.reduceat(tallies, [a for a, _ in jobs], axis=0) if jobs else tallies
    bucket_ends = np.cumsum(tallies.sum(axis=0))
    bucket_starts = bucket_ends - tallies.sum(axis=0)
    starts = bucket_starts + np.cumsum(job_tallies, axis=0) - job_tallies
    shuffled = np.empty(n, PAIR_DTYPE)

    def place(worker, j):
        lo, hi = chunks[jobs[j][0]][0], chunks[jobs[j][1] - 1][1]
        order = np.argsort(buckets[lo:hi], kind="stable")
        sorted_buckets = buckets[lo:hi][order]
        # a pair's rank among its job's pairs of the same bucket
        first = np.cumsum(job_tallies[j]) - job_tallies[j]
        rank = np.arange(hi - lo) - first[sorted_buckets]
        records = glove_pairs(rows[lo:hi], cols[lo:hi], counts[lo:hi], x_max, alpha)
        shuffled[starts[j][sorted_buckets] + rank] = records[order]
        done[1] += hi - lo

    pool.feed(range(len(jobs)), place, workers, stop, poll)

    # buckets in groups of about CHUNK pairs, each group one job
    groups = np.searchsorted(bucket_ends, np.arange(CHUNK, n, CHUNK), side="left")
    groups = np.unique(np.concatenate(([0], groups + 1, [n_buckets])).clip(0, n_buckets))

    def shuffle(worker, g):
        for b in range(groups[g], groups[g + 1]):
            lo, hi = int(bucket_starts[b]), int(bucket_ends[b])
            within = _stream(seed, 2, b).permutation(hi - lo)
            shuffled[lo:hi] = shuffled[lo:hi][within]
            done[2] += hi - lo

    pool.feed(range(len(groups) - 1), shuffle, workers, stop, poll)
    report.update(3 * n, force=True)
    bounds = np.concatenate(([0], bucket_ends[per_block - 1::per_block])).astype(np.int64)
    return shuffled, digest, bounds


def step_ranges(bounds, strata, step):
    """[(start, end)] of the records worker r trains in `step` (0..strata-1), for each r:
    its row group r against column group (r + step) % strata."""
    return [(int(bounds[r * strata + step]), int(bounds[r * strata + step + 1]))
            for r in range(strata)]


def group_of(index, strata):
    """The group (of `strata`) of each row or column index: runs of GROUP_RUN indices
    in turn, so that a group's bias entries fill whole cache lines of their own."""
    return (np.asarray(index, np.int64) // GROUP_RUN) % strata


def _stream(seed, *more):
    return np.random.default_rng([*(seed if isinstance(seed, (list, tuple)) else [seed]),
                                  *more])


def pairs_digest(rows, cols, counts, V):
    """A digest of the co-occurrence counts that does not depend on their order (the
    pairs of several counting threads may come in any order): n, then the sum and
    xor of a 64-bit mix of each (row, col, float32 count) modulo 2**64, in hex."""
    return _digest_join([_digest_part(rows, cols, counts, V)], len(counts))


def _digest_part(rows, cols, counts, V):
    """(sum modulo 2**64, xor) of the mixed keys of some of the pairs."""
    key = rows.astype(np.uint64) * np.uint64(V) + cols.astype(np.uint64)
    key ^= np.asarray(counts, np.float32).view(np.uint32).astype(np.uint64) << np.uint64(32)
    with np.errstate(over="ignore"):  # splitmix64's finaliser, wrapping as meant
        key ^= key >> np.uint64(30)
        key *= np.uint64(0xBF58476D1CE4E5B9)
        key ^= key >> np.uint64(27)
        key *= np.uint64(0x94D049BB133111EB)
        key ^= key >> np.uint64(31)
    total = int(np.sum(key, dtype=np.uint64))
    mixed = int(np.bitwise_xor.reduce(key)) if len(key) else 0
    return total, mixed


def _digest_join(parts, n):
    total, mixed = 0, 0
    for part_total, part_mixed in parts:
        total += part_total
        mixed ^= part_mixed
    return f"{(total ^ n) & (2**64 - 1):016x}{mixed:016x}"
