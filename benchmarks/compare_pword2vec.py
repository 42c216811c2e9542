"""rnnfast vs Intel's pWord2Vec: skip-gram with negative sampling, same settings, one run.

    python -m venv /tmp/mkl && /tmp/mkl/bin/pip install mkl-devel
    g++ -std=c++11 -fopenmp -O3 -march=native -DUSE_MKL -I/tmp/mkl/include \
        -include mm_malloc.h -include cstdio -include cstdlib -o /tmp/pWord2Vec pWord2Vec.cpp \
        -L/tmp/mkl/lib -l:libmkl_intel_lp64.so.3 -l:libmkl_sequential.so.3 \
        -l:libmkl_core.so.3 -Wl,-rpath,/tmp/mkl/lib
    taskset -c 0 python benchmarks/compare_pword2vec.py /tmp/pWord2Vec [CORPUS]
        [--epochs 3] [--rounds 3]

pWord2Vec (github.com/IntelLabs/pWord2Vec) is not part of rnnfast: build it from its
source yourself, as above (its makefile wants icpc; g++ needs the three -include
flags; without -DUSE_MKL it takes plain loops, about 3.5x slower here, instead of
MKL's small GEMMs). The two train in turn, round by round, one thread each (dim 100,
window 5, 5 negatives, sample 1e-4, min_count 5). The figure is training words/s as
pWord2Vec reports it (its last progress line: words trained over seconds since
training began) and, for rnnfast, raw corpus words over the time of train() from
corpus_file. pWord2Vec holds the whole corpus in memory as ids; rnnfast reads the
file in the first epoch and keeps it as ids for the rest. The table gives medians and
their ratio.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare_gensim import DATA, plain_copy  # noqa: E402

SETTINGS = dict(size=100, window=5, negative=5, sample=1e-4, min_count=5)


def run_pword2vec(binary, corpus, epochs, work):
    args = [binary, "-train", corpus, "-output", os.path.join(work, "vectors.txt"),
            "-threads", "1", "-iter", str(epochs), "-binary", "0",
            "-batch-size", str(2 * SETTINGS["window"] + 1)]
    for key in ("size", "window", "negative", "sample", "min_count"):
        args += ["-" + key.replace("_", "-"), str(SETTINGS[key])]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rates = re.findall(r"Words/sec: ([0-9.]+)k", out)
    if not rates:
        raise RuntimeError(f"pWord2Vec printed no progress line:\n{out[-2000:]}")
    return float(rates[-1]) * 1000


def run_rnnfast(corpus, epochs):
    from rnnfast import Word2Vec
    model = Word2Vec(sg=1, hs=0, vector_size=SETTINGS["size"], window=SETTINGS["window"],
                     negative=SETTINGS["negative"], sample=SETTINGS["sample"],
                     min_count=SETTINGS["min_count"], epochs=epochs, workers=1,
                     progress=lambda status: None)
    model.build_vocab(corpus_file=corpus)
    start = time.perf_counter()
    model.train(corpus_file=corpus)
    return epochs * model.corpus_total_words / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pword2vec", help="the pWord2Vec binary")
    parser.add_argument("corpus", nargs="?", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    corpus, temporary = plain_copy(args.corpus)
    rates = {"pWord2Vec": [], "rnnfast": []}
    try:
        with tempfile.TemporaryDirectory() as work:
            for r in range(args.rounds):
                rates["pWord2Vec"].append(run_pword2vec(args.pword2vec, corpus, args.epochs, work))
                rates["rnnfast"].append(run_rnnfast(corpus, args.epochs))
                print(f"round {r + 1}: pWord2Vec {rates['pWord2Vec'][-1]:,.0f}  "
                      f"rnnfast {rates['rnnfast'][-1]:,.0f} words/s", flush=True)
    finally:
        if temporary:
            os.unlink(temporary)
    p, ours = (statistics.median(rates[k]) for k in ("pWord2Vec", "rnnfast"))
    print(f"skip-gram+NS, {args.epochs} epochs, medians of {args.rounds} rounds: "
          f"pWord2Vec {p:,.0f}  rnnfast {ours:,.0f} words/s  rnnfast/pWord2Vec {ours / p:.2f}x")


if __name__ == "__main__":
    main()
