"""GloVe on a real corpus: counting speed and memory, epoch time, cost curve, quality.

    taskset -c 0 python benchmarks/bench_glove.py [CORPUS] [--epochs 15] [--workers 1]
        [--memory-limit 500MB]

CORPUS defaults to ../shared/data/corpus17m.txt.xz (decompressed once to a
temporary file). Counting runs in a child process so that its peak resident
memory (ru_maxrss) is its own; it writes GloVe's binary co-occurrence file, which
the parent trains on. Prints counting tokens/s, peak memory against the budget,
seconds per epoch, the cost per epoch, analogy accuracy (top 30,000 words) and
WordSim-353 Spearman.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare_gensim import DATA, plain_copy  # noqa: E402

COUNT_SCRIPT = """
import json, resource, sys, time
from rnnfast import Vocabulary
from rnnfast.cooccur import cooccurrence_to_file
corpus, out, window, memory_limit, workers, min_count = sys.argv[1:7]
start = time.perf_counter()
vocab = Vocabulary.from_corpus_file(corpus, int(min_count))
vocab_s = time.perf_counter() - start
start = time.perf_counter()
nnz = cooccurrence_to_file(vocab, out, corpus_file=corpus, window=int(window),
                           memory_limit=memory_limit if memory_limit != "none" else None,
                           workers=int(workers))
count_s = time.perf_counter() - start
V = len(vocab)
with open(out + ".vocab", "w") as f:
    f.write("\\n".join(vocab.words))
print(json.dumps({"tokens": vocab.total_words, "vocab": V, "nnz": nnz,
                  "vocab_s": vocab_s, "count_s": count_s,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main(argv=None):
    import json

    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--memory-limit", default="500MB")
    parser.add_argument("--analogies", default=os.path.join(DATA, "eval", "questions-words.txt"))
    parser.add_argument("--similarity", default=os.path.join(DATA, "eval", "wordsim353.tsv"))
    args = parser.parse_args(argv)
    corpus, tmp = plain_copy(args.corpus)
    out = tempfile.mktemp(suffix=".cooc.bin")
    try:
        result = subprocess.run([sys.executable, "-c", COUNT_SCRIPT, corpus, out,
                                 str(args.window), args.memory_limit, str(args.workers),
                                 str(args.min_count)], capture_output=True, text=True, check=True)
        stats = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"counting: {stats['tokens']:,} tokens, vocabulary {stats['vocab']:,}, "
              f"{stats['nnz']:,} non-zero pairs (window {args.window}, symmetric)")
        print(f"  {stats['count_s']:.1f}s = {stats['tokens'] / stats['count_s']:,.0f} tokens/s "
              f"(+ {stats['vocab_s']:.1f}s vocabulary); peak resident memory "
              f"{stats['maxrss_mb']:.0f} MB with memory_limit={args.memory_limit}")
        from rnnfast import GloVe
        with open(out + ".vocab") as f:
            words = f.read().split("\n")
        model = GloVe(vector_size=args.dim, window=args.window, epochs=args.epochs,
                      workers=args.workers, progress=lambda s: None)
        times = []

        def clock(m, epoch):
            times.append(time.perf_counter())

        model.callbacks.append(clock)
        start = time.perf_counter()
        model.fit_cooccurrence(out, words)
        epoch_s = np.diff([start] + times)
        print(f"training: {np.median(epoch_s):.2f}s per epoch (median), "
              f"{stats['nnz'] / np.median(epoch_s):,.0f} pairs/s, {args.workers} worker(s)")
        print("  cost per epoch: " + ", ".join(f"{c:.4g}" for c in model.cost_))
        print(f"  skipped (non-finite) pairs: {sum(model.skipped_)}")
        if os.path.exists(args.analogies):
            acc = model.wv.evaluate_word_analogies(args.analogies, restrict_vocab=30000)[0]
            print(f"analogy accuracy (top 30,000): {100 * acc:.1f}%")
        if os.path.exists(args.similarity):
            rho = model.wv.evaluate_word_pairs(args.similarity)[1][0]
            print(f"WordSim-353 Spearman: {rho:.3f}")
        print(f"process peak resident memory: "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        for path in (out, out + ".vocab"):
            if os.path.exists(path):
                os.unlink(path)
        if tmp:
            os.unlink(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
