"""How far the recurrent kernels stand from the core's peak, and how far any kernel could
stand from PyTorch's: one training step at each size (rnnfast, PyTorch if installed), the
recurrent products alone, and numpy's sgemm at the step's shapes, interleaved in one run.
Pin it:

    taskset -c 0 python benchmarks/bench_rnn_peak.py [--rounds 7] [--cell rnn|gru|lstm]
        [--size T,B,D,H[,L,bi]] ...

Columns: the step's GFLOPS (its matrix products' multiply-adds x 2, bench.step_flops);
"products": the recurrent product alone (B, H) @ (H, G H) (G gates) on the kernels' packed
path and its fraction of numpy's sgemm at that shape; "peak": the best sgemm rate over the
step's shapes, (B, H) @ (H, G H), (B*T, D+H) @ (D+H, G H) and (1024, 1024) @ (1024, 1024), the rate
this core reaches; "floor": the step's FLOPs at that peak, the least time any kernel can
take; torch/floor: the largest ratio over PyTorch that any kernel could show here.
"""

import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnfast import functional  # noqa: E402
from rnnfast.bench import (DEFAULT_SIZES, _label, make_problem, step_flops,  # noqa: E402
                           time_interleaved, torch_step)
from rnnfast.config import config  # noqa: E402
from rnnfast.rnn import _rnn  # noqa: E402
from rnnfast.rnn.params import GATES  # noqa: E402

PRODUCTS_PER_CALL = 50


def matmul(m, k, n):
    """A call of numpy's float32 product (m, k) @ (k, n) and its FLOPs."""
    a, b = np.full((m, k), 0.5, np.float32), np.full((k, n), 0.25, np.float32)
    out = np.empty((m, n), np.float32)
    return (lambda: np.matmul(a, b, out=out)), 2 * m * k * n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--cell", choices=["rnn", "gru", "lstm"], default="rnn")
    parser.add_argument("--size", action="append", type=_size,
                        help="T,B,D,H or T,B,D,H,L,bi (repeatable; default: rnnfast bench's)")
    args = parser.parse_args(argv)
    cell = args.cell
    about = config()
    print(f"CPU: {about['cpu']}; cell {cell}; recurrent products: {_rnn.simd_path()}; "
          f"float32, one "
          f"thread, median of {args.rounds} interleaved rounds")
    print(f"{'T, B, D, H [L bi]':>24} {'rnnfast':>9} {'GFLOPS':>7} {'products':>9} "
          f"{'of sgemm':>9} {'peak':>6} {'floor':>9} {'torch':>9} {'torch/ours':>11} "
          f"{'torch/floor':>12}")
    square, square_flops = matmul(1024, 1024, 1024)
    for size in args.size or DEFAULT_SIZES:
        T, B, D, H = size[:4]
        net = dict(zip(("num_layers", "bidirectional"), size[4:]), cell=cell)
        params, x, y = make_problem(T, B, D, H, **net)
        a = np.full((B, H), 0.5, np.float32)
        GH = GATES[cell] * H
        small, small_flops = matmul(B, H, GH)
        tall, tall_flops = matmul(B * T, D + H, GH)
        contenders = {
            "rnnfast": lambda: functional.rnn_loss_and_grads(params, x, y, **net),
            "products": lambda: _rnn.recurrent_products(a, params["W_hh"], PRODUCTS_PER_CALL),
            "sgemm": small, "tall": tall, "square": square,
        }
        step = None if args.no_torch else torch_step(params, x, y, **net)
        if step is not None:
            contenders["torch"] = step
        t = time_interleaved(contenders, args.rounds)
        flops = step_flops(T, B, D, H, **net)
        rate = {"sgemm": small_flops / t["sgemm"], "tall": tall_flops / t["tall"],
                "square": square_flops / t["square"]}
        peak = max(rate.values())
        products = small_flops * PRODUCTS_PER_CALL / t["products"]
        floor = flops / peak
        gflops = flops / t["rnnfast"] / 1e9
        line = (f"{_label(size):>24} {t['rnnfast'] * 1e3:>7.3f}ms {gflops:>7.1f} "
                f"{products / 1e9:>9.1f} {products / rate['sgemm']:>8.0%} {peak / 1e9:>6.0f} "
                f"{floor * 1e3:>7.3f}ms")
        if "torch" in t:
            line += (f" {t['torch'] * 1e3:>7.3f}ms {t['torch'] / t['rnnfast']:>10.2f}x "
                     f"{t['torch'] / floor:>11.2f}x")
        print(line, flush=True)


def _size(text):
    values = [int(v) for v in text.split(",")]
    if len(values) not in (4, 6):
        raise argparse.ArgumentTypeError("a size is T,B,D,H or T,B,D,H,L,bi")
    return tuple(values[:4]) + ((values[4], bool(values[5])) if len(values) == 6 else ())


if __name__ == "__main__":
    main()
