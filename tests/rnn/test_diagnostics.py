"""Gradient diagnostics: per-step gradient norms against finite differences, spectral radius."""

import numpy as np
import pytest
from conftest import make_rnn_case, make_targets, numeric_grad

from rnnfast import reference
from rnnfast.rnn.diagnostics import gradient_norms, spectral_radius


def head_loss(params, h, y, task):
    z = h @ params["W_hy"].T + params["b_y"]
    if task == "binary":
        return float(np.mean(np.logaddexp(0, z[:, 0]) - y * z[:, 0]))
    if task == "multiclass":
        return float(np.mean(np.logaddexp.reduce(z, axis=1) - z[np.arange(len(y)), y]))
    return float(np.mean((z - y) ** 2))


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_gradient_norms_match_finite_differences(task):
    # dLoss/dh_t is the gradient of the loss of the steps after t, started from h_t
    rng = np.random.default_rng(3)
    B, T, D, H = 3, 5, 2, 4
    O = 1 if task == "binary" else 3
    params, x, _, _ = make_rnn_case(rng, B, T, D, H, np.float64, O=O, scale=1.5)
    y = make_targets(rng, task, B, O)
    norms = gradient_norms(params, x, y, task=task)
    assert norms.shape == (T,) and norms.dtype == np.float64
    hs = reference.rnn_forward(x, params["W_xh"], params["W_hh"], params["b_h"])
    for t in range(T):
        h = hs[:, t].copy()
        if t == T - 1:
            grad = numeric_grad(lambda: head_loss(params, h, y, task), h)
        else:
            grad = numeric_grad(lambda: reference.rnn_loss_and_grads(
                params, x[:, t + 1:], y, None, task, h)[0], h)
        assert norms[t] == pytest.approx(np.mean(np.linalg.norm(grad, axis=1)), rel=1e-6), t


def test_gradient_norms_carry_past_the_end_and_show_vanishing():
    rng = np.random.default_rng(4)
    params, x, _, _ = make_rnn_case(rng, 1, 8, 2, 6, np.float64)
    norms = gradient_norms(params, x, [1], lengths=[3])
    np.testing.assert_allclose(norms[2:], norms[2])  # the state is carried from step 2 on
    params["W_hh"] *= 0.1 / spectral_radius(params["W_hh"])
    small = gradient_norms(params, x, [1])
    assert small[0] < 1e-4 * small[-1]  # a small radius: the gradient vanishes backwards


def test_spectral_radius():
    assert spectral_radius(np.diag([0.5, -2.0, 1.0])) == pytest.approx(2.0)
    rotation = np.array([[0.0, -3.0], [3.0, 0.0]])  # eigenvalues +-3i
    assert spectral_radius(rotation) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="square"):
        spectral_radius(np.zeros((2, 3)))


def test_gradient_norms_of_a_float32_model_match_float64():
    rng = np.random.default_rng(5)
    params, x, _, lengths = make_rnn_case(rng, 4, 9, 3, 7, np.float64)
    y = rng.integers(0, 2, 4)
    want = gradient_norms(params, x, y, lengths)
    got = gradient_norms({k: v.astype(np.float32) for k, v in params.items()},
                         x.astype(np.float32), y, lengths)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-5)
