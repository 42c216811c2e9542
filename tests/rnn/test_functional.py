"""The compiled kernels against the NumPy reference."""

import threading
import time

import numpy as np
import pytest
from conftest import assert_close, head_size, make_network_params, make_rnn_case, make_targets
from hypothesis import given, settings, strategies as st

from rnnfast import functional, reference

DTYPES = [np.float64, np.float32]

shapes = st.tuples(st.integers(0, 4), st.integers(1, 7), st.integers(1, 5), st.integers(1, 6))


TASKS = ["binary", "multiclass", "regression"]


def _compare_all(params, x, h0, lengths, dtype, rng, task="binary", weighted=False):
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    hs = functional.rnn_forward(x, W_xh, W_hh, b_h, h0, lengths)
    assert hs.dtype == dtype
    assert_close(hs, reference.rnn_forward(x, W_xh, W_hh, b_h, h0, lengths), dtype, "hs")

    dhs = rng.standard_normal(hs.shape).astype(dtype)
    got = functional.rnn_backward(x, hs, W_xh, W_hh, dhs, h0, lengths)
    want = reference.rnn_backward(x, hs, W_xh, W_hh, dhs, h0, lengths)
    for name, g, w in zip(["dx", "dW_xh", "dW_hh", "db_h", "dh0"], got, want):
        assert g.dtype == dtype, name
        assert_close(g, w, dtype, name)

    B = x.shape[0]
    if B == 0:
        return
    O = params["W_hy"].shape[0]
    y = make_targets(rng, task, B, O)
    # weights with zeros among them (but a positive sum)
    w = np.where(rng.random(B) < 0.3, 0.0, rng.random(B) * 3) if weighted else None
    if w is not None:
        w[rng.integers(B)] = 0.5
    loss, grads = functional.rnn_loss_and_grads(params, x, y, lengths, task, h0, input_grad=True,
                                                sample_weight=w)
    ref_loss, ref_grads = reference.rnn_loss_and_grads(params, x, y, lengths, task, h0,
                                                        input_grad=True, sample_weight=w)
    assert isinstance(loss, float)
    # a squared error near zero is the square of a small difference of order-1 values,
    # so its rounding error is about eps * sqrt(loss), not eps * loss: hypothesis found
    # a float32 regression loss of 8.9e-8 off by 2.7e-11 (3e-4 relative)
    near_zero = 10 * np.finfo(dtype).eps * np.sqrt(abs(ref_loss))
    assert loss == pytest.approx(ref_loss, rel=10 * {np.float64: 1e-10, np.float32: 1e-5}[dtype],
                                 abs=near_zero)
    assert set(grads) == set(ref_grads)
    for name in ref_grads:
        assert grads[name].dtype == dtype, name
        assert_close(grads[name], ref_grads[name], dtype, name)

    # dLoss/dx at some steps only (few: gathered rows; most: one product, then
    # cleared rows): those steps match the full dx, the rest stay zero
    for density in (0.3, 0.9):
        mask = rng.random(x.shape[:2]) < density
        _, masked = functional.rnn_loss_and_grads(params, x, y, lengths, task, h0,
                                                  input_grad=mask, sample_weight=w)
        _, ref_masked = reference.rnn_loss_and_grads(params, x, y, lengths, task, h0,
                                                     input_grad=mask, sample_weight=w)
        assert_close(masked["x"], ref_masked["x"], dtype, "masked dx")
        assert_close(masked["x"][mask], grads["x"][mask], dtype, "masked dx vs full dx")
        assert not masked["x"][~mask].any()


@settings(max_examples=150, deadline=None)
@given(shape=shapes, dtype=st.sampled_from(DTYPES), with_h0=st.booleans(),
       ragged=st.booleans(), task=st.sampled_from(TASKS), weighted=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_kernels_match_reference_on_random_shapes(shape, dtype, with_h0, ragged, task, weighted,
                                                  seed):
    rng = np.random.default_rng(seed)
    params, x, h0, lengths = make_rnn_case(rng, *shape, dtype, O=head_size(rng, task),
                                           with_h0=with_h0, ragged=ragged, scale=1.2)
    _compare_all(params, x, h0, lengths, dtype, rng, task, weighted)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("B,T,D,H", [
    (1, 1, 1, 1),      # everything minimal
    (1, 30, 3, 8),     # B = 1, long sequence
    (5, 1, 4, 3),      # T = 1
    (8, 9, 40, 64),    # large enough to take the BLAS paths
    (33, 6, 17, 48),   # odd sizes on the BLAS path
    (6, 5, 3, 37),     # several packed panels, the last one partial; rows past a block of 4
])
def test_kernels_match_reference_on_fixed_shapes(B, T, D, H, dtype):
    rng = np.random.default_rng(B * 1000 + H)
    params, x, h0, lengths = make_rnn_case(rng, B, T, D, H, dtype)
    _compare_all(params, x, h0, lengths, dtype, rng)
    _compare_all(params, x, None, np.ones(B, int), dtype, rng, "regression", weighted=True)
    params["W_hy"] = rng.standard_normal((7, H)).astype(dtype)
    params["b_y"] = rng.standard_normal(7).astype(dtype)
    _compare_all(params, x, h0, lengths, dtype, rng, "multiclass", weighted=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("H", [16, 40, 64, 100])
def test_a_sequence_gives_the_same_states_wherever_it_stands_in_a_batch(H, dtype):
    # the recurrent product works on blocks of 4 rows and then on the rows left over:
    # both add a row's terms in the same order, so a prediction cannot depend on the
    # batch it was made in (sizes below the BLAS threshold: the C loops throughout)
    rng = np.random.default_rng(H)
    params, x, _, _ = make_rnn_case(rng, 5, 4, 3, H, dtype, with_h0=False, ragged=False)
    args = (params["W_xh"], params["W_hh"], params["b_h"])
    alone = functional.rnn_forward(x[4:], *args)            # a batch of one
    last = functional.rnn_forward(x, *args)[4]               # the row after a block of 4
    first = functional.rnn_forward(x[[4, 0, 1, 2]], *args)[0]  # a row of a block
    np.testing.assert_array_equal(alone[0], first)
    np.testing.assert_array_equal(last, first)


@pytest.fixture
def simd():
    """rnnfast.rnn._rnn, put back on the path it was on after the test."""
    from rnnfast.rnn import _rnn
    before = _rnn.simd_path()
    yield _rnn
    _rnn.use_simd("avx512" if before == "avx512" else "avx2")


def test_the_simd_paths_give_the_same_results_bit_for_bit(simd):
    if simd.use_simd("avx512") != "avx512":
        pytest.skip(f"no AVX-512 path on this CPU or build ({simd.simd_path()})")
    rng = np.random.default_rng(5)
    runs = {}
    for path in ("avx512", "avx2"):
        assert simd.use_simd(path) == path
        rng = np.random.default_rng(5)
        out = []
        for B, H in [(1, 16), (3, 40), (4, 64), (5, 200), (9, 300), (32, 128), (7, 8)]:
            params, x, h0, lengths = make_rnn_case(rng, B, 6, 5, H, np.float32, O=2)
            y = rng.integers(0, 2, B)
            out.append(functional.rnn_forward(x, params["W_xh"], params["W_hh"],
                                              params["b_h"], h0, lengths))
            loss, grads = functional.rnn_loss_and_grads(params, x, y, lengths, "multiclass")
            out += [np.float64(loss)] + [grads[k] for k in sorted(grads)]
        for cell, B, H in [("gru", 5, 40), ("lstm", 4, 24), ("lstm", 1, 16)]:
            params = make_network_params(rng, 2, True, 5, H, 2, np.float32, cell=cell)
            x = rng.standard_normal((B, 6, 5)).astype(np.float32)
            loss, grads = functional.rnn_loss_and_grads(params, x, rng.integers(0, 2, B),
                                                        None, "multiclass", num_layers=2,
                                                        bidirectional=True, cell=cell)
            out += [np.float64(loss)] + [grads[k] for k in sorted(grads)]
        runs[path] = out
    for a, b in zip(runs["avx512"], runs["avx2"]):
        np.testing.assert_array_equal(a, b)


def test_use_simd_refuses_unknown_paths(simd):
    with pytest.raises(ValueError, match="must be one of"):
        simd.use_simd("avx1024")


def test_empty_batch_gives_empty_states_and_zero_gradients(impl):
    rng = np.random.default_rng(0)
    params, x, h0, lengths = make_rnn_case(rng, 0, 3, 2, 4, np.float64)
    hs = impl.rnn_forward(x, params["W_xh"], params["W_hh"], params["b_h"], h0, lengths)
    assert hs.shape == (0, 3, 4)
    dx, dW_xh, dW_hh, db_h, dh0 = impl.rnn_backward(x, hs, params["W_xh"], params["W_hh"],
                                                    np.zeros_like(hs), h0, lengths)
    assert dx.shape == (0, 3, 2) and dh0.shape == (0, 4)
    assert not dW_xh.any() and not dW_hh.any() and not db_h.any()


def test_non_contiguous_and_read_only_inputs_are_accepted(impl):
    rng = np.random.default_rng(1)
    params, x, h0, lengths = make_rnn_case(rng, 3, 4, 2, 5, np.float64)
    strided = np.asfortranarray(x)
    params_ro = {k: v.copy() for k, v in params.items()}
    for v in params_ro.values():
        v.setflags(write=False)
    y = np.array([0, 1, 1])
    loss_a, grads_a = impl.rnn_loss_and_grads(params, x, y, lengths, "binary", h0)
    loss_b, grads_b = impl.rnn_loss_and_grads(params_ro, strided, y, lengths, "binary", h0)
    assert loss_a == loss_b
    for k in grads_a:
        np.testing.assert_array_equal(grads_a[k], grads_b[k])
    # inputs are never written to
    np.testing.assert_array_equal(strided, x)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(2)
    params, x, h0, lengths = make_rnn_case(rng, 4, 5, 3, 6, np.float32)
    copies = [a.copy() for a in (*params.values(), x, h0)]
    functional.rnn_loss_and_grads(params, x, np.array([0, 1, 0, 1]), lengths, "binary", h0)
    for before, after in zip(copies, (*params.values(), x, h0)):
        np.testing.assert_array_equal(before, after)


def test_kernel_releases_the_gil():
    rng = np.random.default_rng(0)
    params, x, _, _ = make_rnn_case(rng, 16, 400, 64, 128, np.float64)
    y = rng.integers(0, 2, 16)
    start = time.perf_counter()
    functional.rnn_loss_and_grads(params, x, y)
    single = time.perf_counter() - start

    ticks = 0
    done = threading.Event()

    def work():
        for _ in range(3):
            functional.rnn_loss_and_grads(params, x, y)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    while not done.is_set():
        ticks += 1
    worker.join()
    # Holding the GIL for the ~3 * single seconds of kernel time would leave this
    # thread only the moments between calls; released, it spins the whole time.
    assert 3 * single > 0.05
    assert ticks > 20_000


@pytest.mark.parametrize("path", ["avx512", "avx2"])
def test_float32_tanh_is_accurate_everywhere(simd, path):
    if simd.use_simd(path) != path:
        pytest.skip(f"no {path} path on this CPU or build ({simd.simd_path()})")
    tanh_inplace = simd.tanh_values
    x = np.concatenate([np.linspace(-20, 20, 400_001), np.logspace(-30, 1.3, 20_001),
                        -np.logspace(-30, 1.3, 20_001), [0.0, -0.0, 0.5, -0.5]]).astype(np.float32)
    y = x.copy()
    tanh_inplace(y)
    exact = np.tanh(x.astype(np.float64))
    rel = np.abs(y - exact) / np.maximum(np.abs(exact), np.finfo(np.float32).tiny)
    assert rel.max() < 5e-7
    assert np.signbit(y[-3]) and not np.signbit(y[-4])
    # the float64 path is libm's tanh, correct to an ulp or so
    z = x.astype(np.float64)
    tanh_inplace(z)
    np.testing.assert_allclose(z, exact, rtol=1e-15, atol=0)
    # and every path gives the same bits (the network kernels are compared in
    # test_the_simd_paths_give_the_same_results_bit_for_bit)
    simd.use_simd("avx2")
    w = x.copy()
    tanh_inplace(w)
    np.testing.assert_array_equal(w.view(np.uint32), y.view(np.uint32))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, V", [(0, 3), (1, 1), (7, 1), (50, 5), (300, 1000)])
def test_sum_rows_by_id_matches_add_at(n, V, dtype):
    from rnnfast.rnn._arrays import sum_rows_by_id
    rng = np.random.default_rng(n + V)
    ids = rng.integers(0, V, n)
    values = rng.standard_normal((n, 4)).astype(dtype)
    want_rows = np.unique(ids)
    want = np.zeros((V, 4))
    np.add.at(want, ids, values.astype(np.float64))
    rows, sums = sum_rows_by_id(ids, values)
    np.testing.assert_array_equal(rows, want_rows)
    assert sums.dtype == dtype
    assert_close(sums, want[want_rows].astype(dtype), dtype, "sums")
    # the same through `at`: rows of a larger table, picked per id
    table = np.zeros((2 * n + 1, 4), dtype)
    at = rng.permutation(2 * n + 1)[:n]
    table[at] = values
    rows_at, sums_at = sum_rows_by_id(ids, table, at)
    np.testing.assert_array_equal(rows_at, want_rows)
    np.testing.assert_array_equal(sums_at, sums)


@pytest.mark.parametrize("path", ["avx512", "avx2"])
def test_float32_sigmoid_is_accurate_everywhere(simd, path):
    from scipy.special import expit
    if simd.use_simd(path) != path:
        pytest.skip(f"no {path} path on this CPU or build ({simd.simd_path()})")
    x = np.concatenate([np.linspace(-90, 90, 400_001), np.logspace(-30, 1.9, 20_001),
                        -np.logspace(-30, 1.9, 20_001), [0.0, -0.0]]).astype(np.float32)
    y = x.copy()
    simd.sigmoid_values(y)
    exact = expit(x.astype(np.float64))
    normal = exact > 1e-37  # below, float32 has no relative precision left to check
    assert (np.abs(y - exact)[normal] / exact[normal]).max() < 5e-7
    assert np.abs(y - exact)[~normal].max() < 2e-38 and ((y >= 0) & (y <= 1)).all()
    assert y[-1] == y[-2] == 0.5
    z = x.astype(np.float64)
    simd.sigmoid_values(z)  # libm's exp: correct to an ulp or so
    np.testing.assert_allclose(z, exact, rtol=1e-15, atol=0)
    simd.use_simd("avx2")
    w = x.copy()
    simd.sigmoid_values(w)  # the same bits on every path
    np.testing.assert_array_equal(w.view(np.uint32), y.view(np.uint32))


@pytest.mark.parametrize("B, H, G", [(1, 16, 1), (3, 40, 1), (4, 64, 1), (32, 128, 1),
                                     (5, 200, 1), (1, 64, 4), (6, 24, 3)])
def test_the_benchmarks_recurrent_products_are_the_products(simd, B, H, G):
    rng = np.random.default_rng(B * H)
    a = rng.standard_normal((B, H)).astype(np.float32)
    W_hh = rng.standard_normal((G * H, H)).astype(np.float32)
    for path in ("avx512", "avx2"):
        simd.use_simd(path)
        got = simd.recurrent_products(a, W_hh, 3)
        np.testing.assert_allclose(got, a.astype(np.float64) @ W_hh.T.astype(np.float64),
                                   rtol=1e-5, atol=1e-5 * np.sqrt(H))
    with pytest.raises(ValueError, match="recurrent_products takes"):
        simd.recurrent_products(a.astype(np.float64), W_hh, 1)
    with pytest.raises(ValueError, match="recurrent_products takes"):
        simd.recurrent_products(a, W_hh[:, :H - 1].copy(), 1)
    with pytest.raises(ValueError, match="recurrent_products takes"):
        simd.recurrent_products(a, W_hh, 0)
