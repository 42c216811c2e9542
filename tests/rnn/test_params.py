"""A network's parameters: names, shapes and first values."""

import numpy as np
import pytest

from rnnfast.rnn.params import init_params, param_names, param_shapes


@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True), (3, False)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_params_follow_pytorch_with_orthogonal_recurrences(num_layers, bidirectional,
                                                                 dtype):
    D, H, O = 5, 7, 3
    params = init_params(np.random.default_rng(0), num_layers, bidirectional, D, H, O, dtype)
    assert list(params) == param_names(num_layers, bidirectional)
    shapes = param_shapes(num_layers, bidirectional, D, H, O)
    for name, p in params.items():
        assert p.shape == shapes[name] and p.dtype == dtype, name
        if name.startswith("W_hh"):
            np.testing.assert_allclose(p @ p.T, np.eye(H), atol=1e-5)
        elif name.startswith("W_"):
            assert np.abs(p).max() <= 1 / np.sqrt(H) and np.abs(p).max() > 0.5 / np.sqrt(H)
        else:
            assert not p.any(), name
    again = init_params(np.random.default_rng(0), num_layers, bidirectional, D, H, O, dtype)
    assert all(np.array_equal(params[k], again[k]) for k in params)
