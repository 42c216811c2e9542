"""The Adam kernel against its NumPy twin."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import assert_close
from rnnfast import functional, reference


@settings(max_examples=80, deadline=None)
@given(shape=st.tuples(st.integers(1, 9), st.integers(1, 17)),
       dtype=st.sampled_from([np.float32, np.float64]), steps=st.integers(1, 4),
       sparse=st.booleans(), scale=st.sampled_from([1.0, 0.3]), seed=st.integers(0, 2**32 - 1))
def test_adam_matches_reference(shape, dtype, steps, sparse, scale, seed):
    rng = np.random.default_rng(seed)
    param = rng.standard_normal(shape).astype(dtype)
    state = [param, np.zeros_like(param), np.abs(rng.standard_normal(shape)).astype(dtype)]
    fast, slow = [a.copy() for a in state], [a.copy() for a in state]
    for step in range(1, steps + 1):
        rows = rng.permutation(shape[0])[: rng.integers(1, shape[0] + 1)] if sparse else None
        grad_shape = (len(rows), shape[1]) if sparse else shape
        grad = rng.standard_normal(grad_shape).astype(dtype)
        kw = dict(learning_rate=0.01, step=step, grad_scale=scale)
        functional.adam_step(fast[0], grad, fast[1], fast[2], rows, **kw)
        reference.adam_step(slow[0], grad, slow[1], slow[2], rows, **kw)
    for got, want in zip(fast, slow):
        assert_close(got, want, dtype)


def test_first_adam_step_moves_each_weight_by_the_learning_rate():
    param = np.zeros(4)
    for impl in (functional, reference):
        p, m, v = param.copy(), np.zeros(4), np.zeros(4)
        impl.adam_step(p, np.array([1.0, -2.0, 3.0, 1e-3]), m, v, learning_rate=0.1)
        np.testing.assert_allclose(p, [-0.1, 0.1, -0.1, -0.1], rtol=1e-4)


@pytest.mark.parametrize("impl", [functional, reference], ids=["functional", "reference"])
def test_bad_adam_inputs(impl):
    p, m, v = np.zeros((3, 2)), np.zeros((3, 2)), np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"m must have shape \(3, 2\), got \(2, 2\)"):
        impl.adam_step(p, np.zeros((3, 2)), np.zeros((2, 2)), v)
    with pytest.raises(ValueError, match=r"grad must have shape \(3, 2\)"):
        impl.adam_step(p, np.zeros((2, 2)), m, v)
    with pytest.raises(ValueError, match="rows must not repeat"):
        impl.adam_step(p, np.zeros((2, 2)), m, v, [1, 1])
    with pytest.raises(ValueError, match="rows must lie in 0..2"):
        impl.adam_step(p, np.zeros((1, 2)), m, v, [3])
    with pytest.raises(ValueError, match="grad contains NaN"):
        impl.adam_step(p, np.full((3, 2), np.nan), m, v)
    with pytest.raises(ValueError, match="beta1 must be < 1"):
        impl.adam_step(p, np.zeros((3, 2)), m, v, beta1=1.0)
    with pytest.raises(ValueError, match="step must be >= 1"):
        impl.adam_step(p, np.zeros((3, 2)), m, v, step=0)
    with pytest.raises(ValueError, match="C-contiguous and writeable"):
        impl.adam_step(np.zeros((3, 4))[:, ::2], np.zeros((3, 2)), m, v)
