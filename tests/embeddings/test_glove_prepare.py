"""GloVe's records made ready in jobs: the same records, a uniform shuffle, the digest."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rnnfast.embeddings import glove_prepare
from rnnfast.embeddings.functional import glove_pairs


@pytest.fixture(scope="module")
def small_jobs():
    """Jobs and buckets of a few pairs, so that small inputs take every path."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(glove_prepare, "CHUNK", 8)
        patch.setattr(glove_prepare, "BUCKET", 3)
        patch.setattr(glove_prepare, "PLACE_CHUNKS", 2)
        yield


def counts_of(n, V, seed):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, V, n), rng.integers(0, V, n),
            rng.integers(1, 300, n) * rng.choice([0.25, 1.0], n))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 120), seed=st.integers(0, 2**32 - 1))
def test_the_records_are_glove_pairs_in_another_order(small_jobs, n, seed):
    rows, cols, counts = counts_of(n, 9, seed)
    want = glove_pairs(rows, cols, counts, 100.0, 0.75)
    got, digest, bounds = glove_prepare.prepared_pairs(rows, cols, counts, 9, 100.0, 0.75, seed, 2,
                                               progress=False)
    assert got.dtype == want.dtype and len(got) == n
    as_bytes = lambda records: sorted(r.tobytes() for r in records)  # noqa: E731
    assert as_bytes(got) == as_bytes(want)
    assert digest == glove_prepare.pairs_digest(rows, cols, counts, 9)
    assert bounds.tolist() == [0, n]


def test_the_order_depends_on_the_seed_not_on_the_workers(small_jobs):
    rows, cols, counts = counts_of(200, 50, 3)
    one, *_ = glove_prepare.prepared_pairs(rows, cols, counts, 50, 100.0, 0.75, 5, 1, False)
    two, *_ = glove_prepare.prepared_pairs(rows, cols, counts, 50, 100.0, 0.75, 5, 2, False)
    other, *_ = glove_prepare.prepared_pairs(rows, cols, counts, 50, 100.0, 0.75, 6, 2, False)
    assert one.tobytes() == two.tobytes()
    assert one.tobytes() != other.tobytes()


def test_the_shuffle_puts_each_pair_anywhere_alike(small_jobs):
    """n = 7 pairs in 3 chunks, 2 placing jobs and 2 buckets: over 700 seeds, where each pair lands.
    A shuffle that kept chunks, buckets or the order inside them would fail."""
    n, seeds = 7, 700
    rows = np.arange(n)
    cols, counts = np.zeros(n, np.int64), np.ones(n)
    landed = np.zeros((n, n))
    for seed in range(seeds):
        got, *_ = glove_prepare.prepared_pairs(rows, cols, counts, n, 100.0, 0.75, seed, 1,
                                              False)
        landed[got["row"], np.arange(n)] += 1
    chi2 = ((landed - seeds / n) ** 2 / (seeds / n)).sum()
    assert chi2 < 80   # 36 degrees of freedom: 80 is beyond p = 1e-4


def test_the_digest_ignores_order_and_sees_any_change():
    rows, cols, counts = counts_of(500, 40, 1)
    digest = glove_prepare.pairs_digest(rows, cols, counts, 40)
    order = np.random.default_rng(0).permutation(500)
    assert glove_prepare.pairs_digest(rows[order], cols[order], counts[order], 40) == digest
    changed = counts.copy()
    changed[17] += 1
    assert glove_prepare.pairs_digest(rows, cols, changed, 40) != digest
    assert glove_prepare.pairs_digest(rows[1:], cols[1:], counts[1:], 40) != digest
    assert len(digest) == 32


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 400), strata=st.integers(2, 4), seed=st.integers(0, 2**32 - 1))
def test_strata_hold_the_pairs_of_their_row_and_column_groups(small_jobs, n, strata, seed):
    V = 300
    rows, cols, counts = counts_of(n, V, seed)
    want = glove_pairs(rows, cols, counts, 100.0, 0.75)
    got, _, bounds = glove_prepare.prepared_pairs(rows, cols, counts, V, 100.0, 0.75, seed,
                                                  2, False, strata)
    assert bounds[0] == 0 and bounds[-1] == n and (np.diff(bounds) >= 0).all()
    assert len(bounds) == strata * strata + 1
    assert sorted(r.tobytes() for r in got) == sorted(r.tobytes() for r in want)
    for r in range(strata):
        for s in range(strata):
            block = got[bounds[r * strata + s]:bounds[r * strata + s + 1]]
            assert (glove_prepare.group_of(block["row"], strata) == r).all()
            assert (glove_prepare.group_of(block["col"], strata) == (r + s) % strata).all()


def test_the_blocks_of_one_step_share_no_row_column_or_bias_line():
    """What lets workers train side by side without a race: in step s the row groups
    are all different, and so are the column groups; a group is runs of 64 indices,
    whole cache lines of a float32 bias."""
    strata = 3
    index = np.arange(1000)
    groups = glove_prepare.group_of(index, strata)
    assert (groups == (index // 64) % strata).all()
    for s in range(strata):
        assert sorted((r + s) % strata for r in range(strata)) == list(range(strata))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 500), strata=st.integers(2, 4), seed=st.integers(0, 2**32 - 1))
def test_the_workers_of_one_step_share_no_row_and_no_column(small_jobs, n, strata, seed):
    """What the epoch hands its workers, step by step: within a step no row group and
    no column group is trained twice, and the steps cover every record once."""
    V = 400
    rows, cols, counts = counts_of(n, V, seed)
    got, _, bounds = glove_prepare.prepared_pairs(rows, cols, counts, V, 100.0, 0.75, seed,
                                                  1, False, strata)
    covered = np.zeros(n, np.int64)
    for step in range(strata):
        ranges = glove_prepare.step_ranges(bounds, strata, step)
        assert len(ranges) == strata
        row_groups, col_groups = set(), set()
        for lo, hi in ranges:
            covered[lo:hi] += 1
            part = got[lo:hi]
            rg = set(glove_prepare.group_of(part["row"], strata).tolist())
            cg = set(glove_prepare.group_of(part["col"], strata).tolist())
            assert not rg & row_groups and not cg & col_groups
            row_groups |= rg
            col_groups |= cg
    assert (covered == 1).all()
