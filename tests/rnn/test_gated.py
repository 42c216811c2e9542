"""The gated cells (GRU, LSTM): the compiled kernel against its NumPy twin on random
networks, the twin against finite differences, and both against torch.nn.GRU/LSTM."""

import numpy as np
import pytest
from conftest import assert_close, make_network_params, make_step_targets, numeric_grad
from hypothesis import given, settings, strategies as st

from rnnfast import functional, reference
from rnnfast.rnn.params import GATES, param_names, param_shapes, torch_names

CELLS = ["gru", "lstm"]


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("B, T, D, H", [
    # inputs up to _blas.pxd's NARROW_INPUT wide are projected row by row, wider ones
    # by a bias copy and a product: widths on both sides of it, whatever it is set to
    (5, 7, 1, 12), (4, 6, 4, 9), (6, 5, 5, 16), (5, 3, 16, 8), (3, 4, 17, 7),
    (8, 9, 40, 24),   # large enough for the BLAS paths; the second layer's input 2 H wide
])
def test_kernel_matches_reference_on_either_side_of_the_narrow_input_path(cell, B, T, D, H):
    rng = np.random.default_rng(B * T * D)
    for dtype in (np.float64, np.float32):
        params = make_network_params(rng, 2, True, D, H, 3, dtype, cell=cell)
        x = rng.standard_normal((B, T, D)).astype(dtype)
        lengths = rng.integers(1, T + 1, B)
        states = dict(h0=(rng.standard_normal((4, B, H)) * 0.5).astype(dtype))
        if cell == "lstm":
            states["c0"] = (rng.standard_normal((4, B, H)) * 0.5).astype(dtype)
        y = rng.integers(0, 3, B)
        kw = dict(num_layers=2, bidirectional=True, cell=cell, input_grad=True, **states)
        loss, grads = functional.rnn_loss_and_grads(params, x, y, lengths, "multiclass", **kw)
        want_loss, want = reference.rnn_loss_and_grads(params, x, y, lengths, "multiclass",
                                                       **kw)
        assert loss == pytest.approx(want_loss, rel=1e-10 if dtype == np.float64 else 1e-5)
        for k in want:
            assert_close(grads[k], want[k], dtype, k)


@settings(max_examples=150, deadline=None)
@given(cell=st.sampled_from(CELLS), L=st.integers(1, 3), bidirectional=st.booleans(),
       shape=st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 4),
                       st.integers(1, 5), st.integers(2, 3)),
       task=st.sampled_from(["binary", "multiclass", "regression", "multiclass_per_step",
                             "regression_per_step"]),
       pooling=st.sampled_from(["last", "mean", "max"]),
       dtype=st.sampled_from([np.float64, np.float32]), with_h0=st.booleans(),
       ragged=st.booleans(), dropout=st.booleans(),
       input_grad=st.sampled_from([False, True, "mask"]), weighted=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_kernel_matches_reference(cell, L, bidirectional, shape, task, pooling, dtype, with_h0,
                                  ragged, dropout, input_grad, weighted, seed):
    rng = np.random.default_rng(seed)
    B, T, D, H, O = shape
    nd = 2 if bidirectional else 1
    if task == "binary":
        O = 1
    if task.endswith("_per_step"):
        pooling = "last"
    params = make_network_params(rng, L, bidirectional, D, H, O, dtype, cell=cell)
    x = rng.standard_normal((B, T, D)).astype(dtype)
    lengths = rng.integers(1, T + 1, B) if ragged else None
    states = dict(h0=(rng.standard_normal((L * nd, B, H)) * 0.5).astype(dtype) if with_h0 else None)
    if cell == "lstm" and with_h0:
        states["c0"] = (rng.standard_normal((L * nd, B, H)) * 0.5).astype(dtype)
    if task.endswith("_per_step"):
        y = make_step_targets(rng, task, B, T, O)
    elif task == "regression":
        y = rng.standard_normal((B, O))
    else:
        y = rng.integers(0, O if task == "multiclass" else 2, B)
    masks = None
    if dropout and L > 1:
        masks = (rng.random((L - 1, B, T, nd * H)) > 0.3).astype(dtype) / dtype(0.7)
    grad = rng.random((B, T)) > 0.5 if input_grad == "mask" else input_grad
    kw = dict(num_layers=L, bidirectional=bidirectional, cell=cell, pooling=pooling,
              input_grad=grad, dropout_masks=masks,
              sample_weight=rng.random(B) + 0.1 if weighted else None, **states)
    loss, grads = functional.rnn_loss_and_grads(params, x, y, lengths, task, **kw)
    want_loss, want = reference.rnn_loss_and_grads(params, x, y, lengths, task, **kw)
    assert loss == pytest.approx(want_loss, rel=1e-10 if dtype == np.float64 else 1e-5)
    assert sorted(grads) == sorted(want)
    for k in want:
        assert grads[k].dtype == dtype
        assert_close(grads[k], want[k], dtype, k)
    pkw = dict(num_layers=L, bidirectional=bidirectional, cell=cell, **states)
    for pool in ("steps", pooling):
        assert_close(functional.rnn_predict(params, x, lengths, pooling=pool, **pkw),
                     reference.rnn_predict(params, x, lengths, pooling=pool, **pkw), dtype)
    layers = {k: v for k, v in params.items() if k not in ("W_hy", "b_y")}
    got = functional.rnn_layers_forward(layers, x, lengths, **pkw)
    want = reference.rnn_layers_forward(layers, x, lengths, **pkw)
    assert_close(got[0], want[0], dtype)
    if cell == "lstm":  # (outputs, (h_n, c_n)), as torch.nn.LSTM
        assert_close(got[1][0], want[1][0], dtype)
        assert_close(got[1][1], want[1][1], dtype)
    else:
        assert_close(got[1], want[1], dtype)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_reference_gradients_match_finite_differences(cell, bidirectional):
    rng = np.random.default_rng(7)
    L, B, T, D, H = 2, 2, 4, 2, 3
    nd = 2 if bidirectional else 1
    params = make_network_params(rng, L, bidirectional, D, H, 2, np.float64, cell=cell)
    x = rng.standard_normal((B, T, D))
    lengths = np.array([4, 2])
    y = np.array([0, 1])
    h0 = rng.standard_normal((L * nd, B, H)) * 0.5
    c0 = rng.standard_normal((L * nd, B, H)) * 0.5 if cell == "lstm" else None
    kw = dict(num_layers=L, bidirectional=bidirectional, cell=cell, h0=h0, c0=c0,
              input_grad=True, pooling="mean")

    def loss():
        return reference.rnn_loss_and_grads(params, x, y, lengths, "multiclass", **kw)[0]

    _, grads = reference.rnn_loss_and_grads(params, x, y, lengths, "multiclass", **kw)
    for k in list(params) + ["x"]:
        a = x if k == "x" else params[k]
        np.testing.assert_allclose(grads[k], numeric_grad(loss, a), rtol=1e-6, atol=1e-8,
                                   err_msg=k)


def _torch_module(cell, params, L, bidirectional, D, H):
    torch = pytest.importorskip("torch")
    make = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    m = make(D, H, num_layers=L, bidirectional=bidirectional, batch_first=True).double()
    with torch.no_grad():
        for ours, theirs in torch_names(L, bidirectional, cell).items():
            getattr(m, theirs).copy_(torch.from_numpy(params[ours]))
    return torch, m


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("L, bidirectional", [(1, False), (2, True)])
def test_outputs_and_gradients_match_torch(cell, L, bidirectional):
    rng = np.random.default_rng(11)
    B, T, D, H = 4, 6, 3, 5
    nd = 2 if bidirectional else 1
    params = make_network_params(rng, L, bidirectional, D, H, 1, np.float64, cell=cell)
    torch, m = _torch_module(cell, params, L, bidirectional, D, H)
    x = rng.standard_normal((B, T, D))
    lengths = np.array([6, 3, 1, 5])
    h0 = rng.standard_normal((L * nd, B, H)) * 0.5
    c0 = rng.standard_normal((L * nd, B, H)) * 0.5
    pack = torch.nn.utils.rnn
    packed = pack.pack_padded_sequence(torch.from_numpy(x), torch.from_numpy(lengths),
                                       batch_first=True, enforce_sorted=False)
    start = (torch.from_numpy(h0), torch.from_numpy(c0)) if cell == "lstm" else \
        torch.from_numpy(h0)
    out_p, final = m(packed, start)
    out, _ = pack.pad_packed_sequence(out_p, batch_first=True, total_length=T)
    valid = np.arange(T)[None, :] < lengths[:, None]
    layers = {k: v for k, v in params.items() if k not in ("W_hy", "b_y")}
    kw = dict(num_layers=L, bidirectional=bidirectional, cell=cell,
              c0=c0 if cell == "lstm" else None)
    for impl in (functional, reference):
        got_out, got_final = impl.rnn_layers_forward(layers, x, lengths, h0, **kw)
        np.testing.assert_allclose(got_out[valid], out.detach().numpy()[valid], rtol=1e-10,
                                   atol=1e-12)
        if cell == "lstm":
            for a, b in zip(got_final, final):
                np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-12)
        else:
            np.testing.assert_allclose(got_final, final.detach().numpy(), rtol=1e-10,
                                       atol=1e-12)
    # a binary loss on the top layer's final states (both directions), through autograd
    h_n = final[0] if cell == "lstm" else final
    last = torch.cat(list(h_n[-nd:]), dim=1)
    z = last @ torch.from_numpy(params["W_hy"]).T + torch.from_numpy(params["b_y"])
    y = np.array([0, 1, 1, 0])
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        z[:, 0], torch.from_numpy(y.astype(float)))
    loss.backward()
    for impl in (functional, reference):
        got_loss, grads = impl.rnn_loss_and_grads(params, x, y, lengths, "binary", h0, **kw)
        assert got_loss == pytest.approx(loss.item(), rel=1e-10)
        for ours, theirs in torch_names(L, bidirectional, cell).items():
            np.testing.assert_allclose(grads[ours], getattr(m, theirs).grad.numpy(),
                                       rtol=1e-9, atol=1e-12, err_msg=ours)


def test_names_shapes_and_first_values():
    assert param_names(1, False, "gru") == ["W_xh", "W_hh", "b_h", "b_hh", "W_hy", "b_y"]
    shapes = param_shapes(2, True, 3, 5, 2, "lstm")
    assert shapes["W_xh"] == (20, 3) and shapes["W_xh_l1_reverse"] == (20, 10)
    assert shapes["W_hh_l1"] == (20, 5) and shapes["b_hh_reverse"] == (20,)
    params = make_network_params(np.random.default_rng(0), 1, False, 3, 4, 1, np.float64,
                                 cell="lstm")
    from rnnfast.rnn.params import init_params
    first = init_params(np.random.default_rng(0), 1, False, 3, 4, 1, np.float64, "lstm")
    np.testing.assert_array_equal(first["b_h"], [0] * 4 + [1] * 4 + [0] * 8)  # forget: 1
    assert not first["b_hh"].any()
    for g in range(GATES["lstm"]):  # each gate's block of W_hh is orthogonal
        block = first["W_hh"][4 * g:4 * (g + 1)]
        np.testing.assert_allclose(block @ block.T, np.eye(4), atol=1e-12)
    assert params["W_xh"].shape == (16, 3)


@pytest.mark.parametrize("impl", [functional, reference])
def test_gated_cells_refuse_what_does_not_fit(impl):
    rng = np.random.default_rng(0)
    gru = make_network_params(rng, 1, False, 2, 3, 1, np.float64, cell="gru")
    x, y = rng.standard_normal((2, 3, 2)), np.array([0, 1])
    with pytest.raises(ValueError, match="cell must be one of"):
        impl.rnn_loss_and_grads(gru, x, y, cell="transformer")
    with pytest.raises(ValueError, match="nonlinearity='relu' is for cell='rnn'"):
        impl.rnn_loss_and_grads(gru, x, y, cell="gru", nonlinearity="relu")
    with pytest.raises(ValueError, match="params is missing b_hh"):
        impl.rnn_loss_and_grads({k: v for k, v in gru.items() if k != "b_hh"}, x, y,
                                cell="gru")
    with pytest.raises(ValueError, match=r"W_hh must have shape \(9, 3\)"):
        impl.rnn_loss_and_grads(dict(gru, W_hh=np.zeros((8, 3))), x, y, cell="gru")
    with pytest.raises(ValueError, match=r"W_xh must have shape \(3 H, D\) with H = 3"):
        impl.rnn_loss_and_grads(dict(gru, W_xh=np.zeros((8, 2))), x, y, cell="gru")
    with pytest.raises(ValueError, match=r"b_hh must have shape \(9,\)"):
        impl.rnn_loss_and_grads(dict(gru, b_hh=np.zeros(3)), x, y, cell="gru")
    with pytest.raises(ValueError, match="b_hh contains NaN"):
        impl.rnn_loss_and_grads(dict(gru, b_hh=np.full(9, np.nan)), x, y, cell="gru")
    with pytest.raises(ValueError, match="c0 holds an LSTM's initial cell states"):
        impl.rnn_loss_and_grads(gru, x, y, cell="gru", c0=np.zeros((1, 2, 3)))
    lstm = make_network_params(rng, 1, False, 2, 3, 1, np.float64, cell="lstm")
    with pytest.raises(ValueError, match=r"c0 must have shape \(1, 2, 3\)"):
        impl.rnn_loss_and_grads(lstm, x, y, cell="lstm", c0=np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="c0 contains NaN"):
        impl.rnn_loss_and_grads(lstm, x, y, cell="lstm", c0=np.full((1, 2, 3), np.inf))
    with pytest.raises(ValueError, match=r"W_hh must have shape \(12, 3\)"):
        impl.rnn_loss_and_grads(gru, x, y, cell="lstm")


@pytest.mark.parametrize("cell", CELLS)
def test_estimators_learn_with_each_cell(cell, tmp_path):
    from rnnfast import RNNClassifier, RNNRegressor, RNNSequenceTagger
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 12, 2))
    y = (X[:, :3, 0].sum(axis=1) > 0).astype(int)  # decided by the first steps
    clf = RNNClassifier(hidden_size=12, epochs=25, learning_rate=1e-2, cell=cell, n_jobs=2)
    clf.fit(X[:240], y[:240])
    assert clf.params_["W_hh"].shape == (GATES[cell] * 12, 12) and "b_hh" in clf.params_
    assert clf.score(X[240:], y[240:]) > 0.85
    assert clf.transform(X[:5]).shape == (5, 12)
    path = tmp_path / "m.npz"
    clf.save(path)
    again = RNNClassifier.load(path)
    assert again.cell == cell
    np.testing.assert_array_equal(again.predict_proba(X[240:]), clf.predict_proba(X[240:]))
    clf.set_params(cell="rnn")
    with pytest.raises(ValueError, match="cell"):
        clf.predict(X[:3])
    reg = RNNRegressor(hidden_size=6, epochs=3, cell=cell, num_layers=2, bidirectional=True,
                       dropout=0.2, pooling="mean").fit(X[:100], X[:100, 0, :])
    assert reg.predict(X[:4]).shape == (4, 2)
    tagger = RNNSequenceTagger(hidden_size=6, epochs=2, cell=cell).fit(
        list(X[:50]), list(X[:50, :, 0] > 0))
    assert [len(t) for t in tagger.predict(list(X[:3]))] == [12, 12, 12]


@pytest.mark.parametrize("cell", CELLS)
def test_truncated_bptt_starts_from_the_states_the_prefix_reaches(cell):
    from rnnfast import RNNClassifier
    rng = np.random.default_rng(4)
    X = [rng.standard_normal((n, 2)) for n in (9, 4, 7)]
    clf = RNNClassifier(hidden_size=3, epochs=1, cell=cell, bptt_steps=3, num_layers=2,
                        dtype="float64").fit(X, [0, 1, 0])
    data = clf._inputs(X)
    x, lengths, _ = data.batch(np.arange(3), None, np.float64)
    _, kept, h0, c0, _, _ = clf._truncate(x, lengths, None, None)
    layers = {k: v for k, v in clf.params_.items() if k not in ("W_hy", "b_y")}
    for b, n in enumerate(lengths):  # each sequence's states after its first n - 3 steps
        _, final = reference.rnn_layers_forward(layers, x[b:b + 1, :n - 3], num_layers=2,
                                                cell=cell)
        h_want, c_want = final if cell == "lstm" else (final, None)
        assert_close(h0[:, b], h_want[:, 0], np.float64)
        if cell == "lstm":
            assert_close(c0[:, b], c_want[:, 0], np.float64)
        else:
            assert c0 is None
    assert kept.tolist() == [3, 3, 3]


def test_gradient_norms_and_spectral_radii_of_gated_cells():
    from rnnfast.rnn.diagnostics import gradient_norms, spectral_radii
    rng = np.random.default_rng(5)
    params = make_network_params(rng, 1, False, 2, 4, 1, np.float64, cell="lstm")
    x = rng.standard_normal((3, 20, 2))
    norms = gradient_norms(params, x, np.array([0, 1, 0]), cell="lstm")
    assert norms.shape == (20,) and (norms > 0).all() and np.isfinite(norms).all()
    # at the last step the gradient is the head's alone: (sigmoid(z_b) - y_b) / B W_hy
    layers = {k: v for k, v in params.items() if k not in ("W_hy", "b_y")}
    h_last = reference.rnn_layers_forward(layers, x, cell="lstm")[1][0][0]
    z = h_last @ params["W_hy"][0] + params["b_y"][0]
    dz = (1 / (1 + np.exp(-z)) - np.array([0, 1, 0])) / 3
    assert norms[-1] == pytest.approx(np.mean(np.abs(dz)) * np.linalg.norm(params["W_hy"]),
                                      rel=1e-10)
    radii = spectral_radii(params)
    assert sorted(radii) == ["W_hh:f", "W_hh:g", "W_hh:i", "W_hh:o"]
    np.testing.assert_allclose(list(radii.values()), 1.0)  # orthogonal blocks


def test_the_long_memory_example_runs(tmp_path, capsys):
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).parents[2] / "examples" / "long_memory.py"
    spec = importlib.util.spec_from_file_location("long_memory", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    X, y = example.adding_problem(np.random.default_rng(0), 50, 20)
    assert X.shape == (50, 20, 2) and (X[:, :, 1].sum(axis=1) == 2).all()
    np.testing.assert_allclose(y, (X[:, :, 0] * X[:, :, 1]).sum(axis=1), rtol=1e-6)
    assert example.main(["--steps", "12", "--train", "64", "--epochs", "1", "--hidden", "4",
                         "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert all(f"{cell:>4}: hits per epoch" in out for cell in ("rnn", "gru", "lstm"))
