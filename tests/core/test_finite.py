"""The compiled value scans of the checks agree with numpy: finiteness (every array
argument), 0-or-1 (binary targets), and the one-call test of an array that needs
nothing done to it."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnnfast._core._finite import finite_contiguous, ready_float, zero_one
from rnnfast._core.checks import all_finite, float_array

DTYPES = (np.float32, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 7, 4095, 4096, (1 << 16) + 3])
def test_each_non_finite_value_anywhere_is_found(n, dtype):
    a = np.linspace(-1, 1, n).astype(dtype)
    assert finite_contiguous(a) is True and all_finite(a)
    for bad in (np.nan, np.inf, -np.inf):
        for at in {0, n // 2, n - 1} if n else ():
            b = a.copy()
            b[at] = bad
            assert finite_contiguous(b) is False and not all_finite(b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_finite_values_are_finite(dtype):
    info = np.finfo(dtype)
    a = np.array([info.max, -info.max, info.tiny, info.smallest_subnormal, -0.0], dtype)
    assert finite_contiguous(a) is True


def test_other_arrays_are_left_to_numpy():
    unaligned = np.frombuffer(bytearray(8 * 5 + 1), dtype=np.float64, offset=1)
    assert not unaligned.flags.aligned  # as pickled buffers can arrive (dask)
    for a in (np.ones(3, np.float16), np.ones(3, int), np.ones((3, 4), np.float32)[:, ::2],
              unaligned):
        assert finite_contiguous(a) is None
    assert all_finite(unaligned)
    view = np.ones((3, 4))[:, ::2]
    assert all_finite(view)
    view[1, 1] = np.nan
    assert not all_finite(view)
    assert not all_finite(view, block=2)  # numpy's path in blocks


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9),
    elements=st.floats(allow_nan=True, allow_infinity=True, width=32 if dt == np.float32 else 64))))
def test_agrees_with_numpy(a):
    assert finite_contiguous(a) == bool(np.isfinite(a).all())
    assert all_finite(a) == bool(np.isfinite(a).all())


def test_unaligned_inputs_reach_the_kernels_as_aligned_copies():
    from rnnfast import functional
    from rnnfast.bench import make_problem
    params, x, y = make_problem(5, 3, 4, 6, dtype=np.float64)
    raw = bytearray(x.nbytes + 1)
    unaligned = np.frombuffer(raw, dtype=np.float64, offset=1, count=x.size).reshape(x.shape)
    unaligned[...] = x
    assert not unaligned.flags.aligned and unaligned.flags.c_contiguous
    from rnnfast._core.checks import float_array
    copied = float_array("x", unaligned, 3)
    assert copied.flags.aligned and copied.flags.c_contiguous
    np.testing.assert_array_equal(copied, x)
    want_loss, want = functional.rnn_loss_and_grads(params, x, y)
    loss, grads = functional.rnn_loss_and_grads(params, unaligned, y)
    assert loss == want_loss
    for k in want:
        np.testing.assert_array_equal(grads[k], want[k])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9),
    elements=st.sampled_from([0.0, 1.0, -0.0, 0.5, -1.0, 2.0, 2.0**-100, np.nan, np.inf]))))
def test_zero_one_agrees_with_numpy(a):
    # (a subnormal is not in the sampled values: hypothesis refuses one under numpy 1.23)
    for dtype in DTYPES:
        subnormal = np.finfo(dtype).smallest_subnormal
        assert zero_one(np.array([0, 1, subnormal], dtype)) is False
    assert zero_one(a) == bool(((a == 0) | (a == 1)).all())
    view = a[::2] if a.ndim else a
    want = bool(((view == 0) | (view == 1)).all()) if view.flags.c_contiguous else None
    assert zero_one(view) == want
    with np.errstate(invalid="ignore"):
        for kind in (np.int64, np.int32):
            ints = a.astype(kind)
            assert zero_one(ints) == bool(((ints == 0) | (ints == 1)).all())
        assert zero_one(a.astype(np.int16)) is None


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5),
                  elements=st.sampled_from([0, 1, 2.5, np.nan, -np.inf])),
       st.sampled_from([np.float32, np.float64, np.float16, np.int32, np.bool_]),
       st.integers(1, 3), st.sampled_from([None, np.float32, np.float64]), st.booleans())
def test_ready_float_only_passes_arrays_float_array_would_return_as_they_are(a, kind, ndim,
                                                                              dtype, strided):
    with np.errstate(invalid="ignore"):
        a = a.astype(kind)
    if strided and a.shape[0] > 1:
        a = a[::2]
    want = (a.dtype in (np.float32, np.float64) and a.ndim == ndim and a.flags.c_contiguous
            and (dtype is None or a.dtype == dtype) and bool(np.isfinite(a).all()))
    assert ready_float(a, ndim, None if dtype is None else np.dtype(dtype)) == want
    if want:
        assert float_array("a", a, ndim, dtype) is a
    if dtype is not None:
        assert not ready_float(a, ndim, dtype)  # a scalar type, not a dtype: the full path
    assert not ready_float(a.tolist(), ndim, None)
