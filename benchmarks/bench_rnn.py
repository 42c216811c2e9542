"""Training-step time of rnnfast's fused RNN kernel vs the NumPy reference and PyTorch.

    taskset -c 0 python benchmarks/bench_rnn.py [--rounds 15] [--dtype float32]

One BLAS thread (set here before numpy loads); PyTorch is timed too when it is
installed (`pip install torch==2.13.0`), with torch.set_num_threads(1).
Contenders are interleaved round by round; the table shows medians and ratios.
"""

import argparse
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnfast import bench  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)
    rows = bench.run(dtype=np.dtype(args.dtype), rounds=args.rounds, with_torch=not args.no_torch)
    print(f"one training step, {args.dtype}, median of {args.rounds} interleaved rounds")
    print(bench.format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
