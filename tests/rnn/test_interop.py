"""Weights to and from PyTorch: modules converted both ways give the same outputs, and a
fitted estimator exported to torch gives its own predictions from raw inputs."""

import sys

import numpy as np
import pytest
from conftest import make_network_params

from rnnfast import RNNClassifier, RNNRegressor, functional
from rnnfast.rnn.interop import from_torch, to_torch

torch = pytest.importorskip("torch")


def torch_final(rnn, x, lengths, bidirectional):
    """(outputs (B, T, nd*H) zero-padded, final states (B, nd*H)) of a torch.nn.RNN."""
    pack = torch.nn.utils.rnn
    packed = pack.pack_padded_sequence(torch.from_numpy(x), torch.from_numpy(lengths),
                                       batch_first=True, enforce_sorted=False)
    out, h_n = rnn(packed)
    if isinstance(h_n, tuple):  # an LSTM's (h_n, c_n)
        h_n = h_n[0]
    out, _ = pack.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    last = torch.cat(list(h_n[-2:]), dim=1) if bidirectional else h_n[-1]
    return out.detach().numpy(), last


@pytest.mark.parametrize("L, bidirectional, nonlinearity, bias", [
    (1, False, "tanh", True), (2, True, "relu", True), (3, True, "tanh", False)])
def test_a_torch_module_imported_gives_torch_outputs(L, bidirectional, nonlinearity, bias):
    torch.manual_seed(L)
    rnn = torch.nn.RNN(3, 5, num_layers=L, bidirectional=bidirectional, bias=bias,
                       nonlinearity=nonlinearity, batch_first=True).double()
    with torch.no_grad():  # both biases non-zero: rnnfast's b_h is their sum
        for name, p in rnn.named_parameters():
            if name.startswith("bias"):
                p.uniform_(-1, 1)
    head = torch.nn.Linear(5 * (2 if bidirectional else 1), 2).double()
    params, settings = from_torch(rnn, head)
    assert settings == {"num_layers": L, "bidirectional": bidirectional,
                        "nonlinearity": nonlinearity, "cell": "rnn"}
    assert params["W_hh"].dtype == np.float64
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 3))
    lengths = np.array([6, 2, 1, 4])
    want_out, last = torch_final(rnn, x, lengths, bidirectional)
    layers = {k: v for k, v in params.items() if k not in ("W_hy", "b_y")}
    out, _ = functional.rnn_layers_forward(layers, x, lengths, **settings)
    valid = np.arange(6)[None, :] < lengths[:, None]
    np.testing.assert_allclose(out[valid], want_out[valid], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(functional.rnn_predict(params, x, lengths, **settings),
                               head(last).detach().numpy(), rtol=1e-10, atol=1e-12)
    # and back: the same module's outputs
    rnn2, head2 = to_torch(params, **settings)
    assert rnn2.batch_first and rnn2.weight_hh_l0.dtype == torch.float64
    np.testing.assert_allclose(torch_final(rnn2, x, lengths, bidirectional)[0][valid],
                               want_out[valid], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(head2.weight.detach().numpy(), params["W_hy"])


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("L, bidirectional, bias", [(1, False, True), (2, True, False)])
def test_gated_modules_both_ways(cell, L, bidirectional, bias):
    torch.manual_seed(L)
    make = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    rnn = make(3, 4, num_layers=L, bidirectional=bidirectional, bias=bias,
               batch_first=True).double()
    head = torch.nn.Linear(4 * (2 if bidirectional else 1), 1).double()
    params, settings = from_torch(rnn, head)
    assert settings["cell"] == cell and "b_hh" in params
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5, 3))
    lengths = np.array([5, 1, 3])
    want_out, last = torch_final(rnn, x, lengths, bidirectional)
    valid = np.arange(5)[None, :] < lengths[:, None]
    np.testing.assert_allclose(functional.rnn_predict(params, x, lengths, **settings),
                               head(last).detach().numpy(), rtol=1e-10, atol=1e-12)
    rnn2, head2 = to_torch(params, **settings)
    assert type(rnn2) is make
    np.testing.assert_allclose(torch_final(rnn2, x, lengths, bidirectional)[0][valid],
                               want_out[valid], rtol=1e-10, atol=1e-12)


def test_float32_params_export_float32_modules():
    rng = np.random.default_rng(1)
    params = make_network_params(rng, 1, False, 2, 4, 1, np.float32)
    rnn, head = to_torch(params)
    assert rnn.weight_ih_l0.dtype == torch.float32 and head.bias.dtype == torch.float32
    x = rng.standard_normal((3, 5, 2)).astype(np.float32)
    _, last = torch_final(rnn, x, np.array([5, 5, 5]), False)
    np.testing.assert_allclose(head(last).detach().numpy(), functional.rnn_predict(params, x),
                               rtol=1e-5, atol=1e-6)
    layers_only, _ = to_torch({k: v for k, v in params.items() if k not in ("W_hy", "b_y")})
    assert isinstance(layers_only, torch.nn.RNN)


@pytest.mark.parametrize("make", [
    lambda: RNNClassifier(hidden_size=4, epochs=2, dtype="float64"),
    lambda: RNNClassifier(hidden_size=4, epochs=2, num_layers=2, bidirectional=True),
    lambda: RNNRegressor(hidden_size=4, epochs=2, dtype="float64"),
    lambda: RNNClassifier(hidden_size=4, epochs=2, cell="gru", dtype="float64"),
    lambda: RNNRegressor(hidden_size=4, epochs=2, cell="lstm", num_layers=2,
                         bidirectional=True),
])
def test_an_exported_estimator_predicts_from_raw_inputs(make):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 7, 3)) * [1, 10, 100] + [0, 5, -50]  # standardised in fit
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    model = make().fit(X, y if isinstance(make(), RNNClassifier) else X[:, -1, :2] * 3 + 7)
    rnn, head = model.to_torch()
    dtype = np.float64 if model.dtype == "float64" else np.float32
    _, last = torch_final(rnn, X.astype(dtype), np.full(40, 7), model.bidirectional)
    got = head(last).detach().numpy()
    want = model.decision_function(X) if isinstance(model, RNNClassifier) else model.predict(X)
    tol = 1e-9 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=tol, atol=tol)


def test_bad_modules_are_refused():
    with pytest.raises(TypeError, match="rnn must be a torch.nn.RNN, GRU or LSTM, got Linear"):
        from_torch(torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match="proj_size=2 has no rnnfast counterpart"):
        from_torch(torch.nn.LSTM(2, 3, proj_size=2))
    with pytest.raises(TypeError, match="head must be a torch.nn.Linear"):
        from_torch(torch.nn.RNN(2, 3), torch.nn.ReLU())
    with pytest.raises(ValueError, match="head reads 3 features, but the network's top layer "
                                         "gives 6"):
        from_torch(torch.nn.RNN(2, 3, bidirectional=True), torch.nn.Linear(3, 1))
    rnn = torch.nn.RNN(2, 3)
    with torch.no_grad():
        rnn.weight_hh_l0[0, 0] = float("nan")
    with pytest.raises(ValueError, match="W_hh contains NaN"):
        from_torch(rnn)
    with pytest.raises(Exception, match="not fitted"):
        RNNClassifier().to_torch()


def test_without_torch_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="needs torch"):
        to_torch(make_network_params(np.random.default_rng(0), 1, False, 2, 3, 1, np.float64))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_an_estimator_imported_from_torch_predicts_as_torch_and_trains_on(cell):
    torch.manual_seed(0)
    make = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    rnn = make(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    head = torch.nn.Linear(8, 3).double()
    clf = RNNClassifier.from_torch(rnn, head, classes=["a", "b", "c"], epochs=1)
    assert clf.cell == cell and clf.num_layers == 2 and clf.bidirectional
    assert clf.dtype == "float64" and clf.n_features_in_ == 3
    X = np.random.default_rng(0).standard_normal((5, 6, 3))
    _, last = torch_final(rnn, X, np.full(5, 6), True)
    np.testing.assert_allclose(clf.decision_function(X), head(last).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert set(clf.predict(X)) <= {"a", "b", "c"}
    clf.partial_fit(X, ["a", "b", "c", "a", "b"])  # trains on from there
    assert clf.n_iter_ == 1
    reg = RNNRegressor.from_torch(torch.nn.GRU(3, 4).double(), torch.nn.Linear(4, 1).double())
    assert reg.predict(X).shape == (5,)


def test_importing_from_torch_refuses_what_does_not_fit():
    rnn, head = torch.nn.RNN(3, 4), torch.nn.Linear(4, 1)
    with pytest.raises(ValueError, match="from_torch needs classes"):
        RNNClassifier.from_torch(rnn, head)
    with pytest.raises(ValueError, match="classes has 3 labels, but a head of 1 output needs 2"):
        RNNClassifier.from_torch(rnn, head, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="a regressor has no classes"):
        RNNRegressor.from_torch(rnn, head, classes=[0, 1])
    with pytest.raises(ValueError, match="classes are"):
        RNNClassifier.from_torch(rnn, head, classes=[1, 0])  # not sorted
    with pytest.raises(ValueError, match="head reads 4 features"):
        RNNClassifier.from_torch(torch.nn.RNN(3, 2), head, classes=[0, 1])
