"""Word2Vec training speed with 1 and 2 worker threads, alternating runs.

    python benchmarks/bench_word2vec_scaling.py [CORPUS] [--epochs 1] [--rounds 3] [--mode file]
        [--sg 1] [--hs 0]

Prints training words/s (vocabulary building excluded) per run, the medians and
the 2-worker / 1-worker ratio. Do not pin to one core: the point is using two.
"""

import argparse
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnfast import LineSentence, Word2Vec  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?",
                        default=os.path.join(HERE, "..", "..", "shared", "data", "corpus1m.txt"))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mode", choices=["file", "iterable"], default="file")
    parser.add_argument("--sample", type=float, default=1e-4)
    parser.add_argument("--sg", type=int, choices=[0, 1], default=1, help="1 skip-gram, 0 CBOW")
    parser.add_argument("--hs", type=int, choices=[0, 1], default=0,
                        help="1 hierarchical softmax (negative=0), 0 negative sampling")
    args = parser.parse_args(argv)
    source = {"corpus_file": args.corpus} if args.mode == "file" else \
        {"corpus_iterable": LineSentence(args.corpus)}
    speeds = {1: [], 2: []}
    for _ in range(args.rounds):
        for workers in (1, 2):
            model = Word2Vec(sg=args.sg, hs=args.hs, negative=0 if args.hs else 5,
                             workers=workers, epochs=args.epochs, sample=args.sample,
                             progress=lambda s: None)
            model.build_vocab(**source)
            start = time.perf_counter()
            model.train(**source)
            speed = model.vocab.total_words * args.epochs / (time.perf_counter() - start)
            speeds[workers].append(speed)
            print(f"workers={workers}: {speed:,.0f} words/s", flush=True)
    m1, m2 = np.median(speeds[1]), np.median(speeds[2])
    print(f"{args.mode} mode, median of {args.rounds}: 1 worker {m1:,.0f} words/s, "
          f"2 workers {m2:,.0f} words/s, ratio {m2 / m1:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
