"""Bad input gets a clear exception naming the argument, from both implementations."""

import numpy as np
import pytest

from conftest import make_rnn_case


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    params, x, h0, lengths = make_rnn_case(rng, 3, 4, 2, 5, np.float64)
    return params, x, h0, lengths, np.array([0, 1, 1])


def forward(impl, params, x, **kw):
    return impl.rnn_forward(x, params["W_xh"], params["W_hh"], params["b_h"], **kw)


@pytest.mark.parametrize("bad_x, match", [
    (np.zeros((3, 4)), "x must have 3 dimensions"),
    (np.zeros((3, 4, 7)), r"x must have shape \(B, T, D\) with D = 2"),
    (np.zeros((3, 0, 2)), "at least one time step"),
    (np.zeros((3, 4, 2), dtype=np.int64), "x must have dtype float32 or float64"),
    (np.zeros((3, 4, 2), dtype=np.float32), "x has dtype float32 but the other arrays are float64"),
    (np.full((3, 4, 2), np.nan), "x contains NaN"),
    (np.full((3, 4, 2), np.inf), "x contains NaN or infinity"),
    (None, "x must be an array"),
])
def test_bad_x(impl, case, bad_x, match):
    params, _, h0, lengths, y = case
    exc = TypeError if "dtype" in match or "must be an array" in match else ValueError
    with pytest.raises(exc, match=match):
        forward(impl, params, bad_x)
    with pytest.raises(exc, match=match):
        impl.rnn_loss_and_grads(params, bad_x, y)


@pytest.mark.parametrize("name, value, exc, match", [
    ("W_hh", np.zeros((5, 4)), ValueError, r"W_hh must have shape \(5, 5\)"),
    ("W_hh", np.zeros((0, 0)), ValueError, "hidden size of at least 1"),
    ("W_hh", np.zeros((5, 5), dtype=np.int32), TypeError, "W_hh must have dtype"),
    ("W_xh", np.zeros((4, 2)), ValueError, r"W_xh must have shape \(H, D\) with H = 5"),
    ("W_xh", np.zeros(10), ValueError, "W_xh must have 2 dimensions"),
    ("W_xh", np.zeros((5, 2), dtype=np.float32), TypeError, "W_xh has dtype float32"),
    ("b_h", np.zeros(4), ValueError, r"b_h must have shape \(5,\)"),
    ("b_h", np.array([0, 0, 0, np.nan, 0]), ValueError, "b_h contains NaN"),
    ("W_hy", np.zeros((2, 5)), ValueError, r"task='binary' needs W_hy of shape \(1, 5\)"),
    ("W_hy", np.zeros((1, 4)), ValueError, r"W_hy must have shape \(O, 5\)"),
    ("W_hy", np.array([[np.inf, 0, 0, 0, 0]]), ValueError, "W_hy contains NaN or infinity"),
    ("b_y", np.zeros(2), ValueError, r"b_y must have shape \(1,\)"),
    ("b_y", "zero", TypeError, "b_y must have dtype"),
])
def test_bad_params(impl, case, name, value, exc, match):
    params, x, _, _, y = case
    params = {**params, name: value}
    with pytest.raises(exc, match=match):
        impl.rnn_loss_and_grads(params, x, y)


@pytest.mark.parametrize("lengths, exc, match", [
    (np.array([1, 0, 2]), ValueError, r"lengths must lie in 1..4"),
    (np.array([1, 5, 2]), ValueError, r"lengths must lie in 1..4"),
    (np.array([-1, 2, 2]), ValueError, r"lengths must lie in 1..4"),
    (np.array([1, 2]), ValueError, r"lengths must have shape \(3,\)"),
    (np.array([1.0, 2.0, 3.0]), TypeError, "lengths must hold integers"),
])
def test_bad_lengths(impl, case, lengths, exc, match):
    params, x, _, _, y = case
    with pytest.raises(exc, match=match):
        forward(impl, params, x, lengths=lengths)
    with pytest.raises(exc, match=match):
        impl.rnn_loss_and_grads(params, x, y, lengths)


def test_bad_h0(impl, case):
    params, x, _, _, y = case
    with pytest.raises(ValueError, match=r"h0 must have shape \(3, 5\)"):
        forward(impl, params, x, h0=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="h0 contains NaN"):
        impl.rnn_loss_and_grads(params, x, y, h0=np.full((3, 5), np.nan))


def test_bad_backward_arrays(impl, case):
    params, x, h0, lengths, _ = case
    hs = forward(impl, params, x, h0=h0, lengths=lengths)
    W_xh, W_hh = params["W_xh"], params["W_hh"]
    with pytest.raises(ValueError, match=r"dhs must have shape \(3, 4, 5\)"):
        impl.rnn_backward(x, hs, W_xh, W_hh, np.zeros((3, 4, 4)), h0, lengths)
    with pytest.raises(ValueError, match=r"hs must have shape \(3, 4, 5\)"):
        impl.rnn_backward(x, hs[:, :3], W_xh, W_hh, np.zeros_like(hs), h0, lengths)
    with pytest.raises(TypeError, match="dhs has dtype float32"):
        impl.rnn_backward(x, hs, W_xh, W_hh, np.zeros(hs.shape, np.float32), h0, lengths)
    with pytest.raises(ValueError, match="dhs contains NaN"):
        impl.rnn_backward(x, hs, W_xh, W_hh, np.full(hs.shape, np.nan), h0, lengths)


def test_bad_task_params_and_targets(impl, case):
    params, x, _, _, y = case
    with pytest.raises(ValueError, match="task must be one of"):
        impl.rnn_loss_and_grads(params, x, y, task="softmax")
    with pytest.raises(ValueError, match=r"task='multiclass' needs W_hy of shape \(K, 5\)"):
        impl.rnn_loss_and_grads(params, x, y, task="multiclass")
    three = dict(params, W_hy=np.zeros((3, 5), x.dtype), b_y=np.zeros(3, x.dtype))
    with pytest.raises(ValueError, match=r"class labels in 0\.\.2"):
        impl.rnn_loss_and_grads(three, x, np.array([0, 3, 1]), task="multiclass")
    with pytest.raises(TypeError, match="integer class labels"):
        impl.rnn_loss_and_grads(three, x, np.array([0, 0.5, 1]), task="multiclass")
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(3,\)"):
        impl.rnn_loss_and_grads(params, x, y, sample_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="sample_weight must be >= 0"):
        impl.rnn_loss_and_grads(params, x, y, sample_weight=[1.0, -2.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight is all zero"):
        impl.rnn_loss_and_grads(params, x, y, sample_weight=[0, 0, 0])
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        impl.rnn_loss_and_grads(params, x, y, sample_weight=[1.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="params is missing W_hy, b_y"):
        impl.rnn_loss_and_grads({k: params[k] for k in ("W_xh", "W_hh", "b_h")}, x, y)
    with pytest.raises(TypeError, match="params must be a dict"):
        impl.rnn_loss_and_grads(None, x, y)
    with pytest.raises(ValueError, match="y must hold only 0 and 1"):
        impl.rnn_loss_and_grads(params, x, np.array([0, 2, 1]))
    with pytest.raises(ValueError, match=r"y must have shape \(3,\) for task='binary'"):
        impl.rnn_loss_and_grads(params, x, np.array([[0], [1], [1]]))
    with pytest.raises(ValueError, match=r"y must have shape \(3, 1\) for task='regression'"):
        impl.rnn_loss_and_grads(params, x, np.array([0.0, 1.0, 2.0]), task="regression")
    with pytest.raises(ValueError, match="y contains NaN"):
        impl.rnn_loss_and_grads(params, x, np.array([[0.0], [np.nan], [1.0]]), task="regression")
    with pytest.raises(TypeError, match="y must be numeric"):
        impl.rnn_loss_and_grads(params, x, np.array(["a", "b", "c"]))
    with pytest.raises(ValueError, match="empty batch"):
        impl.rnn_loss_and_grads(params, x[:0], y[:0])
    with pytest.raises(ValueError, match=r"input_grad mask must have shape \(3, 4\)"):
        impl.rnn_loss_and_grads(params, x, y, input_grad=np.ones((3, 5), bool))
    with pytest.raises(TypeError, match="input_grad must be a bool or a bool array"):
        impl.rnn_loss_and_grads(params, x, y, input_grad=np.ones((3, 4)))


def test_binary_targets_may_be_bool_int_or_float(impl, case):
    params, x, _, _, _ = case
    losses = [impl.rnn_loss_and_grads(params, x, y)[0]
              for y in (np.array([False, True, True]), [0, 1, 1], np.array([0.0, 1.0, 1.0]))]
    assert losses[0] == losses[1] == losses[2]


@pytest.mark.parametrize("y, ok", [
    ([0, 1, 1], True), ([True, False, True], True), (np.array([0, 1, 0], np.uint8), True),
    (np.array([1, 0, 1], np.int8), True), ([0.0, 1.0, 0.0], True),
    ([0, 2, 1], False), ([0, -1, 1], False), (np.array([255, 0, 1], np.uint8), False),
    (np.array([-128, 0, 1], np.int8), False), (np.array([2**62, 0, 1]), False),
    (np.array([2**63, 0, 1], np.uint64), False), ([1e-320, 0.0, 1.0], False),
    ([0.5, 1.0, 0.0], False), ([np.nan, 1.0, 0.0], False), ([np.inf, 1.0, 0.0], False),
    ([1e300, 1.0, 0.0], False),
])
def test_binary_targets_are_exactly_0_and_1(y, ok):
    from rnnfast.rnn.checks import _check_targets
    y = np.asarray(y)
    if ok:
        np.testing.assert_array_equal(_check_targets(y, "binary", np.float32, 3, 1),
                                      y.astype(np.float32))
    else:
        with pytest.raises(ValueError, match="y must hold only 0 and 1"):
            _check_targets(y, "binary", np.float32, 3, 1)
