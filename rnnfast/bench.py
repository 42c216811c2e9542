"""Timing of the compiled kernels against the NumPy reference (and PyTorch if installed).

Used by `rnnfast bench` and `benchmarks/bench_rnn.py`. Timings are interleaved:
each round times every contender once, in turn, so that the machine's drift
hits all of them alike; the figures are medians over rounds.
"""

import time

import numpy as np

from rnnfast import functional, reference
from rnnfast.rnn.params import GATES, init_params

# (T, B, D, H) and optionally (layers, bidirectional): batches of 1, 4 and 32, hidden
# sizes 16 to 256, and a two-layer bidirectional network.
DEFAULT_SIZES = ((20, 1, 8, 16), (50, 1, 32, 64), (50, 4, 32, 64), (50, 1, 32, 256),
                 (100, 32, 64, 128), (100, 32, 64, 256), (100, 32, 64, 128, 2, True))


def make_problem(T, B, D, H, dtype=np.float32, seed=0, num_layers=1, bidirectional=False,
                 cell="rnn"):
    """Random parameters, inputs and binary targets of the given size."""
    rng = np.random.default_rng(seed)
    params = init_params(rng, num_layers, bidirectional, D, H, 1, dtype, cell)
    x = rng.standard_normal((B, T, D)).astype(dtype)
    y = rng.integers(0, 2, B)
    return params, x, y


def _calibrate(fn, min_seconds):
    """How many calls of fn take at least min_seconds."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        if time.perf_counter() - start >= min_seconds:
            return n
        n *= 2


def time_interleaved(contenders, rounds=7, min_seconds=0.05):
    """Median seconds per call of each callable in `contenders` (a dict name -> fn)."""
    counts = {name: _calibrate(fn, min_seconds) for name, fn in contenders.items()}
    samples = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            n = counts[name]
            start = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - start) / n)
    return {name: float(np.median(s)) for name, s in samples.items()}


def torch_step(params, x, y, num_layers=1, bidirectional=False, cell="rnn"):
    """A PyTorch CPU training step (forward, loss, backward) of the same model, or None."""
    try:
        import torch
    except ImportError:
        return None
    from rnnfast.rnn.interop import to_torch
    torch.set_num_threads(1)
    nd = 2 if bidirectional else 1
    rnn, head = to_torch(params, num_layers=num_layers, bidirectional=bidirectional, cell=cell)
    tx = torch.from_numpy(x)
    ty = torch.from_numpy(y.astype(x.dtype))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    weights = [*rnn.parameters(), *head.parameters()]

    def step():
        for w in weights:
            w.grad = None
        _, h_n = rnn(tx)
        if cell == "lstm":
            h_n = h_n[0]
        loss = loss_fn(head(torch.cat(list(h_n[-nd:]), dim=1)).squeeze(1), ty)
        loss.backward()
        return loss.item()

    return step


def step_flops(T, B, D, H, num_layers=1, bidirectional=False, cell="rnn"):
    """Multiply-adds times 2 of one training step's matrix products: per layer and
    direction, the input projection and the recurrent product forward (G H outputs for a
    cell of G gates), and twice each backward (the weights' gradient and the input's)."""
    nd = 2 if bidirectional else 1
    return sum(6 * B * T * GATES[cell] * H * ((D if k == 0 else nd * H) + H) * nd
               for k in range(num_layers))


def run(sizes=DEFAULT_SIZES, dtype=np.float32, rounds=7, with_torch=True, cell="rnn"):
    """One row per size: median seconds per training step for each contender, and of
    numpy's matrix product at the recurrent product's shape, (B, H) @ (H, G H) ("sgemm":
    the rate the hardware reaches at that shape, measured in the same run)."""
    rows = []
    for size in sizes:
        T, B, D, H = size[:4]
        net = dict(zip(("num_layers", "bidirectional"), size[4:]), cell=cell)
        params, x, y = make_problem(T, B, D, H, dtype, **net)
        a, w = np.full((B, H), 0.5, dtype), params["W_hh"].T.copy()
        product = np.empty((B, GATES[cell] * H), dtype)
        contenders = {
            "rnnfast": lambda: functional.rnn_loss_and_grads(params, x, y, **net),
            "reference": lambda: reference.rnn_loss_and_grads(params, x, y, **net),
            "sgemm": lambda: np.matmul(a, w, out=product),
        }
        step = torch_step(params, x, y, **net) if with_torch else None
        if step is not None:
            contenders["torch"] = step
        rows.append({"size": tuple(size), "flops": step_flops(T, B, D, H, **net),
                     "sgemm_flops": 2 * B * H * GATES[cell] * H,
                     **time_interleaved(contenders, rounds)})
    return rows


def _label(size):
    """"T, B, D, H", then "L2 bi" for a two-layer bidirectional network."""
    text = ", ".join(map(str, size[:4]))
    if len(size) > 4:
        text += f" L{size[4]}" + (" bi" if len(size) > 5 and size[5] else "")
    return text


def format_table(rows):
    """The rows of `run` as a text table with speed-up ratios."""
    has_torch = any("torch" in r for r in rows)
    head = (f"{'T, B, D, H [L bi]':>24} {'rnnfast':>10} {'GFLOPS':>7} {'of sgemm':>9} "
            f"{'reference':>10} {'ref/rnnfast':>12}")
    if has_torch:
        head += f" {'torch':>10} {'torch/rnnfast':>14}"
    lines = [head]
    for r in rows:
        rate = r["flops"] / r["rnnfast"] / 1e9
        peak = r["sgemm_flops"] / r["sgemm"] / 1e9
        line = (f"{_label(r['size']):>24} {_us(r['rnnfast']):>10} {rate:>7.1f} "
                f"{rate / peak:>8.0%} {_us(r['reference']):>10} "
                f"{r['reference'] / r['rnnfast']:>11.1f}x")
        if has_torch and "torch" in r:
            line += f" {_us(r['torch']):>10} {r['torch'] / r['rnnfast']:>13.1f}x"
        lines.append(line)
    return "\n".join(lines)


def _us(seconds):
    return f"{seconds * 1e6:.1f}us" if seconds < 1e-3 else f"{seconds * 1e3:.2f}ms"
