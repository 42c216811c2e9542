"""Stacked, bidirectional and ReLU networks, pooled and per-step readouts: the kernel
against its NumPy twin, the twin against finite differences and against torch.nn.RNN."""

import numpy as np
import pytest
from conftest import (RTOL, assert_close, head_size, make_network_params, make_step_targets,
                      make_targets, numeric_grad)
from hypothesis import given, settings, strategies as st

from rnnfast import functional, reference
from rnnfast.rnn import diagnostics
from rnnfast.rnn import reference as rnn_reference
from rnnfast.rnn.params import param_names, torch_names

SEQUENCE_TASKS = ["binary", "multiclass", "regression"]
STEP_TASKS = ["binary_per_step", "multiclass_per_step", "regression_per_step"]


def _case(rng, L, bidirectional, task, B, T, D, H, dtype, pooling, with_h0, dropout,
          weighted, scale=1.0):
    nd = 2 if bidirectional else 1
    O = head_size(rng, task.replace("_per_step", ""))
    params = make_network_params(rng, L, bidirectional, D, H, O, dtype, scale)
    x = rng.standard_normal((B, T, D)).astype(dtype)
    lengths = rng.integers(1, T + 1, B)
    if task.endswith("_per_step"):
        y = make_step_targets(rng, task, B, T, O)
    else:
        y = make_targets(rng, task, B, O)
    kw = dict(num_layers=L, bidirectional=bidirectional, pooling=pooling)
    if with_h0:
        kw["h0"] = (rng.standard_normal((L * nd, B, H)) * 0.5).astype(dtype)
    if dropout and L > 1:
        kw["dropout_masks"] = ((rng.random((L - 1, B, T, nd * H)) > 0.4) / 0.6).astype(dtype)
    if weighted:
        w = np.where(rng.random(B) < 0.3, 0.0, rng.random(B) * 3)
        w[rng.integers(B)] = 0.5
        kw["sample_weight"] = w
    return params, x, y, lengths, kw


@settings(max_examples=200, deadline=None)
@given(L=st.integers(1, 3), bidirectional=st.booleans(),
       nonlinearity=st.sampled_from(["tanh", "relu"]),
       task=st.sampled_from(SEQUENCE_TASKS + STEP_TASKS),
       pooling=st.sampled_from(["last", "mean", "max"]),
       shape=st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 4),
                       st.integers(1, 5)),
       dtype=st.sampled_from([np.float64, np.float32]), with_h0=st.booleans(),
       dropout=st.booleans(), weighted=st.booleans(), dx_density=st.sampled_from([None, .3, .9]),
       seed=st.integers(0, 2**32 - 1))
def test_network_step_matches_reference(L, bidirectional, nonlinearity, task, pooling, shape,
                                        dtype, with_h0, dropout, weighted, dx_density, seed):
    rng = np.random.default_rng(seed)
    if task.endswith("_per_step"):
        pooling = "last"
    B, T, D, H = shape
    params, x, y, lengths, kw = _case(rng, L, bidirectional, task, B, T, D, H, dtype, pooling,
                                      with_h0, dropout, weighted)
    h0 = kw.pop("h0", None)
    grad = True if dx_density is None else rng.random((B, T)) < dx_density
    loss, grads = functional.rnn_loss_and_grads(params, x, y, lengths, task, h0,
                                                input_grad=grad, nonlinearity=nonlinearity, **kw)
    ref_loss, ref_grads = reference.rnn_loss_and_grads(params, x, y, lengths, task, h0,
                                                        input_grad=grad,
                                                        nonlinearity=nonlinearity, **kw)
    assert loss == pytest.approx(ref_loss, rel=10 * RTOL[dtype], abs=1e-300)
    assert set(grads) == set(ref_grads) == set(params) | {"x"}
    for name in ref_grads:
        assert grads[name].dtype == dtype, name
        assert_close(grads[name], ref_grads[name], dtype, name)
    # the forward kernel alone: outputs and final states
    layer_params = {k: v for k, v in params.items() if not k.startswith(("W_hy", "b_y"))}
    out, h_n = functional.rnn_layers_forward(layer_params, x, lengths, h0, num_layers=L,
                                             bidirectional=bidirectional,
                                             nonlinearity=nonlinearity)
    ref_out, ref_h_n = reference.rnn_layers_forward(layer_params, x, lengths, h0, num_layers=L,
                                                    bidirectional=bidirectional,
                                                    nonlinearity=nonlinearity)
    assert_close(out, ref_out, dtype, "outputs")
    assert_close(h_n, ref_h_n, dtype, "h_n")


def test_one_layer_network_is_the_single_layer_recurrence():
    rng = np.random.default_rng(3)
    params = make_network_params(rng, 1, False, 3, 4, 1, np.float64)
    x = rng.standard_normal((5, 6, 3))
    lengths = np.array([6, 1, 3, 6, 2])
    out, h_n = functional.rnn_layers_forward(params, x, lengths)
    hs = functional.rnn_forward(x, params["W_xh"], params["W_hh"], params["b_h"], None, lengths)
    np.testing.assert_array_equal(out, hs)
    np.testing.assert_array_equal(h_n[0], hs[:, -1])


def test_reverse_direction_reads_each_sequence_from_its_own_end():
    # a reverse layer over a ragged batch gives, for each sequence, what it gives for
    # that sequence alone, flipped in time
    rng = np.random.default_rng(4)
    params = make_network_params(rng, 1, True, 2, 3, 1, np.float64)
    x = rng.standard_normal((3, 5, 2))
    lengths = np.array([5, 2, 4])
    out, h_n = functional.rnn_layers_forward(params, x, lengths, bidirectional=True)
    for b, n in enumerate(lengths):
        flipped = x[b:b + 1, :n][:, ::-1]
        hs = reference.rnn_forward(flipped, params["W_xh_reverse"], params["W_hh_reverse"],
                                   params["b_h_reverse"])
        np.testing.assert_allclose(out[b, :n, 3:], hs[0, ::-1], rtol=1e-12)
        np.testing.assert_allclose(h_n[1, b], hs[0, -1], rtol=1e-12)
        assert not out[b, n:, 3:].any()  # past the end the reverse half is zero


@pytest.mark.parametrize("L,bidirectional,nonlinearity,task,pooling", [
    (2, True, "tanh", "binary", "last"),
    (3, False, "tanh", "regression", "mean"),
    (2, True, "relu", "multiclass", "max"),
    (1, True, "tanh", "multiclass_per_step", "last"),
    (2, False, "relu", "regression_per_step", "last"),
    (2, True, "tanh", "binary_per_step", "last"),
])
def test_reference_network_gradients_match_finite_differences(L, bidirectional, nonlinearity,
                                                              task, pooling):
    rng = np.random.default_rng(L * 10 + bidirectional)
    params, x, y, lengths, kw = _case(rng, L, bidirectional, task, 3, 4, 2, 3, np.float64,
                                      pooling, True, True, True, scale=1.5)
    h0 = kw.pop("h0")

    def loss():
        return reference.rnn_loss_and_grads(params, x, y, lengths, task, h0,
                                            nonlinearity=nonlinearity, **kw)[0]

    _, grads = reference.rnn_loss_and_grads(params, x, y, lengths, task, h0, input_grad=True,
                                            nonlinearity=nonlinearity, **kw)
    for name, value in params.items():
        np.testing.assert_allclose(grads[name], numeric_grad(loss, value), rtol=1e-5,
                                   atol=1e-8, err_msg=name)
    np.testing.assert_allclose(grads["x"], numeric_grad(loss, x), rtol=1e-5, atol=1e-8)


def test_per_step_loss_ignores_targets_past_each_end():
    rng = np.random.default_rng(5)
    params = make_network_params(rng, 1, False, 2, 3, 3, np.float64)
    x = rng.standard_normal((2, 4, 2))
    lengths = np.array([4, 2])
    y = rng.integers(0, 3, (2, 4))
    padded = y.copy()
    padded[1, 2:] = -1  # padding labels are not read
    a = functional.rnn_loss_and_grads(params, x, y, lengths, "multiclass_per_step")
    b = functional.rnn_loss_and_grads(params, x, padded, lengths, "multiclass_per_step")
    assert a[0] == b[0]
    # the mean over the 6 valid steps, each sequence's steps counted once each
    per_seq = [reference.rnn_loss_and_grads(params, x[i:i + 1, :n], y[i:i + 1, :n], None,
                                            "multiclass_per_step")[0] for i, n in enumerate(lengths)]
    assert a[0] == pytest.approx((4 * per_seq[0] + 2 * per_seq[1]) / 6, rel=1e-12)


def _torch_copy(params, L, bidirectional, nonlinearity, D, H):
    torch = pytest.importorskip("torch")
    m = torch.nn.RNN(D, H, num_layers=L, bidirectional=bidirectional,
                     nonlinearity=nonlinearity, batch_first=True).double()
    with torch.no_grad():
        for ours, theirs in torch_names(L, bidirectional).items():
            getattr(m, theirs).copy_(torch.from_numpy(params[ours]))
            if theirs.startswith("bias_ih"):  # rnnfast has one bias: their sum
                getattr(m, theirs.replace("bias_ih", "bias_hh")).zero_()
    return torch, m


@pytest.mark.parametrize("L,bidirectional,nonlinearity", [
    (1, False, "tanh"), (2, True, "tanh"), (3, True, "relu"), (2, False, "relu")])
def test_outputs_and_gradients_match_torch_on_copied_weights(L, bidirectional, nonlinearity):
    rng = np.random.default_rng(6)
    B, T, D, H = 4, 6, 3, 5
    params = make_network_params(rng, L, bidirectional, D, H, 1, np.float64)
    torch, m = _torch_copy(params, L, bidirectional, nonlinearity, D, H)
    x = rng.standard_normal((B, T, D))
    lengths = np.array([6, 3, 1, 5])
    y = rng.integers(0, 2, (B, T))
    pack = torch.nn.utils.rnn
    packed = pack.pack_padded_sequence(torch.from_numpy(x), torch.from_numpy(lengths),
                                       batch_first=True, enforce_sorted=False)
    out_p, h_n = m(packed)
    out, _ = pack.pad_packed_sequence(out_p, batch_first=True, total_length=T)
    valid = np.arange(T)[None, :] < lengths[:, None]
    layer_params = {k: v for k, v in params.items() if k not in ("W_hy", "b_y")}
    got_out, got_h_n = functional.rnn_layers_forward(layer_params, x, lengths, num_layers=L,
                                                     bidirectional=bidirectional,
                                                     nonlinearity=nonlinearity)
    np.testing.assert_allclose(got_out[valid], out.detach().numpy()[valid], rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(got_h_n, h_n.detach().numpy(), rtol=1e-10, atol=1e-12)
    # a per-step binary loss, mean over the valid steps, through torch's autograd
    W_hy = torch.from_numpy(params["W_hy"]).requires_grad_()
    z = out @ W_hy.T + torch.from_numpy(params["b_y"])
    mask = torch.from_numpy(valid)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        z[..., 0][mask], torch.from_numpy(y.astype(float))[mask])
    loss.backward()
    got_loss, grads = functional.rnn_loss_and_grads(
        params, x, y, lengths, "binary_per_step", num_layers=L, bidirectional=bidirectional,
        nonlinearity=nonlinearity)
    assert got_loss == pytest.approx(loss.item(), rel=1e-10)
    np.testing.assert_allclose(grads["W_hy"], W_hy.grad.numpy(), rtol=1e-9, atol=1e-12)
    for ours, theirs in torch_names(L, bidirectional).items():
        np.testing.assert_allclose(grads[ours], getattr(m, theirs).grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=ours)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(num_layers=0), ValueError, "num_layers must be >= 1"),
    (dict(bidirectional="yes"), TypeError, "bidirectional must be True or False"),
    (dict(nonlinearity="sigmoid"), ValueError, "nonlinearity must be one of"),
    (dict(pooling="sum"), ValueError, "pooling must be one of"),
    (dict(num_layers=2), ValueError, "params is missing W_xh_l1, W_hh_l1, b_h_l1"),
    (dict(bidirectional=True), ValueError, "params is missing W_xh_reverse"),
])
def test_bad_architecture_arguments(impl, kwargs, exc, match):
    rng = np.random.default_rng(0)
    params = make_network_params(rng, 1, False, 2, 3, 1, np.float64)
    x = rng.standard_normal((2, 3, 2))
    with pytest.raises(exc, match=match):
        impl.rnn_loss_and_grads(params, x, np.array([0, 1]), **kwargs)


def test_bad_network_inputs(impl):
    rng = np.random.default_rng(0)
    params = make_network_params(rng, 2, True, 2, 3, 1, np.float64)
    x = rng.standard_normal((2, 3, 2))
    kw = dict(num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match=r"h0 must have shape \(4, 2, 3\)"):
        impl.rnn_loss_and_grads(params, x, np.array([0, 1]), h0=np.zeros((2, 3)), **kw)
    with pytest.raises(ValueError, match="dropout_masks must have shape"):
        impl.rnn_loss_and_grads(params, x, np.array([0, 1]), dropout_masks=np.ones((1, 2, 3, 3)),
                                **kw)
    with pytest.raises(ValueError, match="dropout_masks must be >= 0"):
        impl.rnn_loss_and_grads(params, x, np.array([0, 1]),
                                dropout_masks=-np.ones((1, 2, 3, 6)), **kw)
    with pytest.raises(ValueError, match=r"y must have shape \(2, 3\) for task='binary_per_step'"):
        impl.rnn_loss_and_grads(params, x, np.array([0, 1]), task="binary_per_step", **kw)
    with pytest.raises(ValueError, match="pooling='mean' reads one vector per sequence"):
        impl.rnn_loss_and_grads(params, x, np.zeros((2, 3)), task="binary_per_step",
                                pooling="mean", **kw)
    bad = dict(params, W_xh_l1=np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"W_xh_l1 must have shape \(3, 6\)"):
        impl.rnn_loss_and_grads(bad, x, np.array([0, 1]), **kw)
    bad = dict(params, W_hy=np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"W_hy must have shape \(O, 6\)"):
        impl.rnn_loss_and_grads(bad, x, np.array([0, 1]), **kw)


def test_kernel_refuses_arrays_that_bypass_the_checks():
    from rnnfast.rnn import _rnn
    rng = np.random.default_rng(0)
    params = make_network_params(rng, 2, True, 2, 3, 1, np.float64)
    names = param_names(2, True)
    arrays = [params[k] for k in names]
    x = rng.standard_normal((2, 3, 2))
    lengths = np.array([3, 1], dtype=np.intp)
    y = np.array([0.0, 1.0])
    with pytest.raises(ValueError, match="expected 14 weight arrays"):
        _rnn.loss_and_grads(arrays[:-1], x, y, lengths, "binary", None, False, None, None, 2, True)
    wrong = list(arrays)
    wrong[3] = wrong[3].astype(np.float32)
    with pytest.raises(TypeError, match=r"W_xh\[1\] must be a C-contiguous float64"):
        _rnn.loss_and_grads(wrong, x, y, lengths, "binary", None, False, None, None, 2, True)
    with pytest.raises(ValueError, match="dropout_masks must have shape"):
        _rnn.loss_and_grads(arrays, x, y, lengths, "binary", None, False, None, None, 2, True,
                            False, "last", np.ones((2, 2, 3, 6)))
    masks = np.ones((1, 2, 3, 6))

    def call(weights=arrays, x=x, y=y, lengths=lengths, task="binary", h0=None, sw=None):
        return _rnn.loss_and_grads(weights, x, y, lengths, task, h0, False, None, sw, 2, True,
                                   False, "last", masks)

    call()  # the arrays as functional passes them
    refused = [
        (dict(x=x[:, ::-1]), TypeError, "x must be a C-contiguous float64"),
        (dict(x=x[:, :2].copy()), ValueError, r"W_xh must have shape|lengths must lie"),
        (dict(lengths=np.array([4, 1], np.intp)), ValueError, r"lengths must lie in 1\.\.3"),
        (dict(lengths=np.array([0, 1], np.intp)), ValueError, r"lengths must lie in 1\.\.3"),
        (dict(lengths=np.array([3, 1])[::1].astype(np.int32)), TypeError, "lengths must"),
        (dict(y=np.array([0.0, 1.0, 1.0])), ValueError, r"y must have shape \(2,\)"),
        (dict(y=np.array([0, 1], np.intp), task="multiclass"), ValueError, r"labels in 0\.\.0"),
        (dict(h0=np.zeros((4, 2, 2))), ValueError, r"h0 must have shape \(4, 2, 3\)"),
        (dict(sw=np.ones(3)), ValueError, r"sample_weight must have shape \(2,\)"),
        (dict(sw=np.zeros(2)), ValueError, "positive sum"),
    ]
    for kwargs, error, message in refused:
        with pytest.raises(error, match=message):
            call(**kwargs)
    wide = make_network_params(rng, 2, True, 2, 3, 3, np.float64)
    wide = [wide[k] for k in names]
    with pytest.raises(ValueError, match=r"y must hold labels in 0\.\.2"):
        call(weights=wide, y=np.array([0, 3], np.intp), task="multiclass")
    with pytest.raises(ValueError, match=r"y must hold labels in 0\.\.2"):
        call(weights=wide, y=np.array([-1, 0], np.intp), task="multiclass")
    call(weights=wide, y=np.array([2, 0], np.intp), task="multiclass")
    with pytest.raises(ValueError, match=r"b_h\[2\] must have shape \(3,\)"):
        call(weights=arrays[:8] + [np.zeros(4)] + arrays[9:])


def test_forward_predict_and_backward_kernels_refuse_bypassing_arrays():
    from rnnfast.rnn import _rnn
    rng = np.random.default_rng(1)
    params = make_network_params(rng, 1, False, 2, 3, 1, np.float32)
    arrays = [params[k] for k in param_names(1, False)]
    x = rng.standard_normal((2, 4, 2)).astype(np.float32)
    lengths = np.array([4, 2], np.intp)
    assert _rnn.network_predict(arrays, x, lengths, None, 1, False, False, "last").shape == (2, 1)
    assert _rnn.network_forward(arrays[:3], x, lengths, None, 1, False, False)[0].shape == \
        (2, 4, 3)
    with pytest.raises(TypeError, match="x must be a C-contiguous float32"):
        _rnn.network_predict(arrays, x[:, ::2], lengths[:2], None, 1, False, False, "last")
    with pytest.raises(TypeError, match="b_y must be a C-contiguous float32"):
        _rnn.network_predict(arrays[:-1] + [np.zeros(1)], x, lengths, None, 1, False, False,
                             "last")
    with pytest.raises(ValueError, match=r"lengths must lie in 1\.\.4"):
        _rnn.network_forward(arrays[:3], x, np.array([5, 1], np.intp), None, 1, False, False)
    hs = np.zeros((2, 4, 3), np.float32)
    with pytest.raises(ValueError, match=r"dhs must have shape \(2, 4, 3\)"):
        _rnn.backward(x, hs, arrays[0], arrays[1], hs[:, :3].copy(), None, lengths)
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 3\)"):
        _rnn.backward(x, hs, arrays[0], arrays[1], hs, np.zeros((1, 3), np.float32), lengths)


def test_gradient_norms_per_layer_and_direction():
    rng = np.random.default_rng(8)
    params = make_network_params(rng, 2, True, 2, 3, 1, np.float64)
    x = rng.standard_normal((4, 5, 2))
    y = rng.integers(0, 2, 4)
    norms = diagnostics.gradient_norms(params, x, y, num_layers=2, bidirectional=True)
    assert norms.shape == (4, 5) and (norms >= 0).all()
    # at the top layer's last step (for the reverse direction: its last step read, the
    # sequence's first) dLoss/dh is the head's gradient through that half of W_hy
    layers = {k: v for k, v in params.items() if k not in ("W_hy", "b_y")}
    _, h_n = reference.rnn_layers_forward(layers, x, num_layers=2, bidirectional=True)
    r = np.concatenate([h_n[2], h_n[3]], axis=1)
    _, dz = rnn_reference.head_loss(r @ params["W_hy"].T + params["b_y"], y, "binary")
    dr = dz @ params["W_hy"]
    assert norms[2, -1] == pytest.approx(np.linalg.norm(dr[:, :3], axis=1).mean(), rel=1e-12)
    assert norms[3, -1] == pytest.approx(np.linalg.norm(dr[:, 3:], axis=1).mean(), rel=1e-12)
    one = make_network_params(rng, 1, False, 2, 3, 1, np.float64)
    assert diagnostics.gradient_norms(one, x, y).shape == (5,)
    radii = diagnostics.spectral_radii(params)
    assert set(radii) == {"W_hh", "W_hh_reverse", "W_hh_l1", "W_hh_l1_reverse"}
    assert radii["W_hh_l1"] == pytest.approx(diagnostics.spectral_radius(params["W_hh_l1"]))
