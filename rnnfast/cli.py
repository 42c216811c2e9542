"""The `rnnfast` command line."""

import argparse
import os
import sys


def _set_blas_threads(threads):
    # must run before numpy is first imported to take effect
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def _cmd_bench(args):
    import numpy as np

    from rnnfast import bench

    dtype = np.dtype(args.dtype)
    print(f"rnnfast.functional vs rnnfast.reference: one training step "
          f"(forward, loss, BPTT), {dtype}, {args.threads} BLAS thread(s), "
          f"median of {args.rounds} interleaved rounds", flush=True)
    rows = bench.run(dtype=dtype, rounds=args.rounds, with_torch=not args.no_torch)
    print(bench.format_table(rows))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="rnnfast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("bench", help="time the RNN kernels against the NumPy reference")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if getattr(args, "threads", None) is not None:
        if args.threads < 1:
            build_parser().error("--threads must be at least 1")
        _set_blas_threads(args.threads)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
