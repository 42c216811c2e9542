"""The NumPy reference against central finite differences (float64)."""

import numpy as np
import pytest

from conftest import make_rnn_case, make_targets, numeric_grad
from rnnfast import reference



@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("B,T,D,H", [(3, 4, 2, 3), (1, 1, 1, 1), (2, 5, 3, 1)])
def test_loss_gradients_match_finite_differences(task, weighted, B, T, D, H):
    rng = np.random.default_rng(B * 100 + T)
    O = {"binary": 1, "multiclass": 3}.get(task, 2)
    params, x, h0, lengths = make_rnn_case(rng, B, T, D, H, np.float64, O=O, scale=1.5)
    y = make_targets(rng, task, B, O)
    w = rng.random(B) + 0.1 if weighted else None

    def loss():
        return reference.rnn_loss_and_grads(params, x, y, lengths, task, h0, sample_weight=w)[0]

    _, grads = reference.rnn_loss_and_grads(params, x, y, lengths, task, h0, input_grad=True,
                                            sample_weight=w)
    for name, value in params.items():
        np.testing.assert_allclose(grads[name], numeric_grad(loss, value), rtol=1e-6,
                                   atol=1e-9, err_msg=name)
    np.testing.assert_allclose(grads["x"], numeric_grad(loss, x), rtol=1e-6, atol=1e-9)


def test_backward_matches_finite_differences_of_a_linear_functional():
    rng = np.random.default_rng(7)
    B, T, D, H = 3, 4, 2, 3
    params, x, h0, lengths = make_rnn_case(rng, B, T, D, H, np.float64, scale=1.5)
    G = rng.standard_normal((B, T, H))  # loss = sum(G * hs), so dLoss/dhs = G
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]

    def loss():
        return float(np.sum(G * reference.rnn_forward(x, W_xh, W_hh, b_h, h0, lengths)))

    hs = reference.rnn_forward(x, W_xh, W_hh, b_h, h0, lengths)
    dx, dW_xh, dW_hh, db_h, dh0 = reference.rnn_backward(x, hs, W_xh, W_hh, G, h0, lengths)
    for analytic, wrt in [(dx, x), (dW_xh, W_xh), (dW_hh, W_hh), (db_h, b_h), (dh0, h0)]:
        np.testing.assert_allclose(analytic, numeric_grad(loss, wrt), rtol=1e-6, atol=1e-9)


def test_states_are_carried_past_each_length():
    rng = np.random.default_rng(3)
    params, x, h0, _ = make_rnn_case(rng, 3, 5, 2, 4, np.float64)
    lengths = np.array([1, 3, 5])
    hs = reference.rnn_forward(x, params["W_xh"], params["W_hh"], params["b_h"], h0, lengths)
    for b, n in enumerate(lengths):
        for t in range(n, 5):
            np.testing.assert_array_equal(hs[b, t], hs[b, n - 1])
        # and the state up to the length is the one of the truncated sequence
        short = reference.rnn_forward(x[b:b + 1, :n], params["W_xh"], params["W_hh"],
                                      params["b_h"], h0[b:b + 1])
        np.testing.assert_allclose(hs[b, :n], short[0], rtol=1e-12, atol=1e-15)


def test_forward_matches_the_formula_step_by_step():
    rng = np.random.default_rng(4)
    params, x, h0, _ = make_rnn_case(rng, 2, 3, 2, 3, np.float64)
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    hs = reference.rnn_forward(x, W_xh, W_hh, b_h, h0)
    h = h0
    for t in range(3):
        h = np.tanh(np.einsum("hd,bd->bh", W_xh, x[:, t]) + np.einsum("ij,bj->bi", W_hh, h) + b_h)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-12, atol=1e-15)


def test_binary_loss_is_stable_for_huge_logits():
    params = {"W_xh": np.zeros((1, 1)), "W_hh": np.zeros((1, 1)), "b_h": np.zeros(1),
              "W_hy": np.zeros((1, 1)), "b_y": np.array([800.0])}
    x = np.zeros((2, 1, 1))
    loss, grads = reference.rnn_loss_and_grads(params, x, np.array([1, 0]))
    assert np.isfinite(loss) and loss == pytest.approx(400.0)  # (0 + 800) / 2
    assert grads["b_y"][0] == pytest.approx(0.5)


def test_weighted_loss_is_the_weighted_mean_of_single_losses():
    rng = np.random.default_rng(3)
    params, x, h0, lengths = make_rnn_case(rng, 4, 3, 2, 3, np.float64, O=3)
    y = rng.integers(0, 3, 4)
    w = np.array([0.0, 1.0, 2.0, 5.0])
    single = [reference.rnn_loss_and_grads(params, x[b:b + 1], y[b:b + 1], lengths[b:b + 1],
                                           "multiclass", h0[b:b + 1])[0] for b in range(4)]
    loss, _ = reference.rnn_loss_and_grads(params, x, y, lengths, "multiclass", h0,
                                           sample_weight=w)
    assert loss == pytest.approx(np.dot(w, single) / w.sum(), rel=1e-12)
    # integer weights act as repeated samples
    rep = np.repeat(np.arange(4), w.astype(int))
    loss_rep, _ = reference.rnn_loss_and_grads(params, x[rep], y[rep], lengths[rep],
                                               "multiclass", h0[rep])
    assert loss == pytest.approx(loss_rep, rel=1e-12)


def test_multiclass_loss_is_stable_for_huge_logits():
    params = {"W_xh": np.zeros((1, 1)), "W_hh": np.zeros((1, 1)), "b_h": np.zeros(1),
              "W_hy": np.zeros((3, 1)), "b_y": np.array([900.0, 0.0, -900.0])}
    loss, grads = reference.rnn_loss_and_grads(params, np.zeros((2, 1, 1)), np.array([0, 1]),
                                               task="multiclass")
    assert loss == pytest.approx(450.0)  # (0 + 900) / 2
    np.testing.assert_allclose(grads["b_y"], [0.5, -0.5, 0.0], atol=1e-12)
