"""The recurrent products' vector paths against each other in one process: a training
step (forward, loss, BPTT) and a prediction at each size, on the 16-wide path and on
the 8-wide one, interleaved round by round; medians and ratios. Pin it:

    taskset -c 0 python benchmarks/bench_simd.py [--rounds 7]

On a CPU without AVX-512 both columns are the same path (the script says so).
"""

import argparse
import statistics
import sys
import time

import numpy as np

from rnnfast import functional as F
from rnnfast.bench import make_problem, step_flops
from rnnfast.config import config
from rnnfast.rnn import _rnn

SIZES = [(20, 1, 8, 16), (50, 1, 32, 64), (50, 4, 32, 64), (50, 1, 32, 256), (50, 4, 32, 256),
         (100, 32, 64, 128), (100, 32, 64, 256), (50, 32, 32, 16), (100, 32, 64, 128, 2, True)]


def per_call(fn, seconds=0.2):
    """Seconds per call of fn, over at least `seconds`."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return (time.perf_counter() - start) / n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    about = config()
    paths = ("avx512", "avx2")
    if _rnn.use_simd("avx512") != "avx512":
        print(f"no 16-wide path here ({about['cpu']}: {_rnn.simd_path()}); both are the same")
    print(f"CPU: {about['cpu']}; one training step, float32, median of {args.rounds} "
          f"interleaved rounds")
    print(f"{'T, B, D, H [L bi]':>24} {'16-wide':>10} {'GFLOPS':>7} {'8-wide':>10} {'GFLOPS':>7} "
          f"{'8/16':>6} {'sgemm GFLOPS':>13}")
    for size in SIZES:
        T, B, D, H = size[:4]
        net = dict(zip(("num_layers", "bidirectional"), size[4:]))
        params, x, y = make_problem(T, B, D, H, **net)
        a, w, out = np.full((B, H), 0.5, np.float32), params["W_hh"].T.copy(), \
            np.empty((B, H), np.float32)
        times = {p: [] for p in paths + ("sgemm",)}
        for r in range(args.rounds):
            for path in (paths if r % 2 == 0 else paths[::-1]):
                _rnn.use_simd(path)
                times[path].append(per_call(lambda: F.rnn_loss_and_grads(params, x, y, **net)))
            times["sgemm"].append(per_call(lambda: np.matmul(a, w, out=out), 0.05))
        med = {k: statistics.median(v) for k, v in times.items()}
        flops = step_flops(T, B, D, H, **net)
        label = ", ".join(map(str, size[:4])) + (" L2 bi" if len(size) > 4 else "")
        print(f"{label:>24} {med['avx512'] * 1e6:>8.1f}us {flops / med['avx512'] / 1e9:>7.1f} "
              f"{med['avx2'] * 1e6:>8.1f}us {flops / med['avx2'] / 1e9:>7.1f} "
              f"{med['avx2'] / med['avx512']:>5.2f}x "
              f"{2 * B * H * H / med['sgemm'] / 1e9:>13.1f}", flush=True)
    _rnn.use_simd("avx512")
    return 0


if __name__ == "__main__":
    sys.exit(main())
