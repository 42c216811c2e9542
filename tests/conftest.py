import contextlib

import numpy as np
import pytest

from rnnfast import functional, reference

# Relative tolerances of kernel against reference, per dtype.
RTOL = {np.float64: 1e-10, np.float32: 1e-5}
# Test data have entries of order 1. A gradient summed from such terms can
# cancel to a small value whose float32 rounding error (~1e-7 per term) is
# large relative to the value itself, so float32 also allows this absolute error.
ATOL = {np.float64: 0.0, np.float32: 1e-6}


# progress reports off, for the models that take `progress`
QUIET = {"progress": lambda status: None}


def assert_close(actual, expected, dtype, what=""):
    """Elementwise closeness relative to the largest magnitude in `expected`."""
    kind = np.dtype(dtype).type
    expected = np.asarray(expected)
    assert np.shape(actual) == expected.shape, what
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    atol = max(RTOL[kind] * scale, ATOL[kind], 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=RTOL[kind], atol=atol, err_msg=what)


def make_rnn_case(rng, B, T, D, H, dtype, O=1, with_h0=True, ragged=True, scale=1.0):
    """Random weights (one layer), inputs, initial state and lengths for one test case."""
    params = make_network_params(rng, 1, False, D, H, O, dtype, scale)
    x = rng.standard_normal((B, T, D)).astype(dtype)
    h0 = (rng.standard_normal((B, H)) * 0.5).astype(dtype) if with_h0 else None
    lengths = rng.integers(1, T + 1, size=B) if ragged else None
    return params, x, h0, lengths


def make_targets(rng, task, B, O):
    """Random targets of `task` for a batch of B and a head of O outputs."""
    if task == "binary":
        return rng.integers(0, 2, B)
    if task == "multiclass":
        return rng.integers(0, O, B)
    return rng.standard_normal((B, O))


def head_size(rng, task):
    """A random head size that suits `task`."""
    return {"binary": 1, "multiclass": int(rng.integers(2, 6))}.get(task, int(rng.integers(1, 4)))


@pytest.fixture(params=[reference, functional], ids=["reference", "functional"])
def impl(request):
    """Each implementation in turn: both must accept and refuse the same inputs."""
    return request.param


def make_network_params(rng, num_layers, bidirectional, D, H, O, dtype, scale=1.0,
                        cell="rnn"):
    """The library's first parameters of a stacked (and maybe bidirectional) network with
    a head, the layers' weights times `scale` (W_hh's spectral radius is `scale`), and
    random biases, so that a kernel that dropped a bias would be seen."""
    from rnnfast.rnn.params import init_params
    params = init_params(rng, num_layers, bidirectional, D, H, O, dtype, cell)
    for name, p in params.items():
        if name.startswith("b_"):
            params[name] = (rng.standard_normal(p.shape) * 0.1).astype(dtype)
        elif name != "W_hy":
            params[name] = (p * scale).astype(dtype)
    return params


def make_step_targets(rng, task, B, T, O):
    """Random targets (B, T) or (B, T, O) of a per-step task."""
    base = task[:-len("_per_step")]
    if base == "binary":
        return rng.integers(0, 2, (B, T))
    if base == "multiclass":
        return rng.integers(0, O, (B, T))
    return rng.standard_normal((B, T, O))


def numeric_grad(f, a, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of a (in place)."""
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        up = f()
        a[i] = old - eps
        down = f()
        a[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def tampered_copy(src, dst, arrays=None, meta=None):
    """A copy of the saved .npz `src` at `dst` with some arrays replaced (name -> array,
    None to drop it) and metadata fields set ("a.b" -> value: meta["a"]["b"])."""
    import json
    with np.load(src) as data:
        content = {k: data[k] for k in data.files}
    header = json.loads(str(content["meta"]))
    for key, value in (meta or {}).items():
        target = header
        *parents, last = key.split(".")
        for p in parents:
            target = target[p]
        target[last] = value
    content["meta"] = np.array(json.dumps(header))
    for name, value in (arrays or {}).items():
        if value is None:
            content.pop(name, None)
        else:
            content[name] = value
    np.savez(dst, **content)
    return dst


def huffman_cost(counts):
    """The weighted path length sum(count * code length) of an optimal prefix code for
    `counts`, by the textbook heap merge (any Huffman tree has it)."""
    import heapq
    heap = [int(c) for c in counts]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


@contextlib.contextmanager
def local_cluster(n_workers):
    """A dask.distributed client of `n_workers` single-thread worker processes."""
    import distributed
    with distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client
