"""How much memory co-occurrence counting adds, against its memory_limit.

    python benchmarks/bench_cooc_memory.py [CORPUS] [--budgets 64MB,256MB,1GB,4GB]
        [--workers 2] [--window 10] [--min-count 5] [--rounds 1]

CORPUS defaults to ../shared/data/corpus17m.txt.xz (decompressed once to a
temporary file). Each budget runs `cooccurrence_to_file` in a child process that
builds the vocabulary, resets Linux's peak resident size (/proc/self/clear_refs),
counts, and reports the peak's rise above the size before counting: what the
budget bounds. Prints one row per budget with growth / budget (the target is at
most 1.10) and the counting time, and the CPU it ran on.
"""

import argparse
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare_gensim import DATA, plain_copy  # noqa: E402

CHILD = """
import json, sys, time
from rnnfast import Vocabulary
from rnnfast.embeddings.cooccur import cooccurrence_to_file, parse_memory
corpus, out, budget, workers, window, min_count = sys.argv[1:7]
vocab = Vocabulary.from_corpus_file(corpus, int(min_count), progress=False)
def status(field):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS:")
start = time.perf_counter()
pairs = cooccurrence_to_file(vocab, out, corpus_file=corpus, window=int(window),
                             memory_limit=budget, workers=int(workers), progress=False)
print(json.dumps({"budget": parse_memory(budget), "growth": status("VmHWM:") - before,
                  "before": before, "seconds": time.perf_counter() - start, "pairs": pairs,
                  "words": len(vocab), "tokens": vocab.total_words}))
"""


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(l.split(":", 1)[1].strip() for l in out.splitlines()
                    if l.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--budgets", default="64MB,256MB,1GB,4GB")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    corpus, temporary = plain_copy(args.corpus)
    out = os.path.join(os.path.dirname(os.path.abspath(corpus)), ".bench_cooc_memory.bin")
    try:
        print(f"CPU: {cpu_name()}; corpus {args.corpus}; {args.workers} workers, window "
              f"{args.window}")
        print(f"{'budget':>8} {'growth MB':>10} {'growth/budget':>14} {'seconds':>8}  pairs")
        worst = 0.0
        for _ in range(args.rounds):
            for budget in args.budgets.split(","):
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, corpus, out, budget, str(args.workers),
                     str(args.window), str(args.min_count)],
                    capture_output=True, text=True, check=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                ratio = r["growth"] / r["budget"]
                worst = max(worst, ratio)
                print(f"{budget:>8} {r['growth'] / 1e6:>10.1f} {ratio:>14.3f} "
                      f"{r['seconds']:>8.2f}  {r['pairs']:,} ({r['tokens']:,} tokens, "
                      f"{r['words']:,} words)", flush=True)
        print(f"largest growth/budget: {worst:.3f} (target <= 1.10)")
    finally:
        for path in (out, temporary):
            if path and os.path.exists(path):
                os.unlink(path)


if __name__ == "__main__":
    main()
