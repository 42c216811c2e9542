"""GloVe on a real corpus: counting speed and memory, epoch time, cost curve, quality.

    taskset -c 0 python benchmarks/bench_glove.py [CORPUS] [--epochs 15] [--workers 1]
        [--memory-limit 500MB] [--glove-bin DIR]

CORPUS defaults to ../shared/data/corpus17m.txt.xz (decompressed once to a
temporary file). Counting runs in a child process so that its peak resident
memory is its own; it writes GloVe's binary co-occurrence file, which the parent
trains on. Prints counting tokens/s, peak memory against the budget, seconds per
epoch, the cost per epoch, analogy accuracy (top 30,000 words) and WordSim-353
Spearman.

With --glove-bin DIR, a directory holding `cooccur` and `glove` built from
https://github.com/stanfordnlp/GloVe (not shipped here), GloVe's own tools run in
the same process, after rnnfast, on the same vocabulary and settings: counting
(their default -memory), then training on their counts and the same evaluation.
Their counts are shuffled here by a full random permutation instead of GloVe's
`shuffle` tool, which is not timed (rnnfast's per-epoch shuffle is in its epochs).
Seconds per epoch are the gaps between epoch ends on both sides (setup apart).
"""

import argparse
import json
import os
import shutil
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
from rnnfast.embeddings.cooccur import cooccurrence_to_file
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
    f.write("\\n".join(f"{w} {c}" for w, c in zip(vocab.words, vocab.counts)) + "\\n")
print(json.dumps({"tokens": vocab.total_words, "vocab": V, "nnz": nnz,
                  "vocab_s": vocab_s, "count_s": count_s,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(cmd, stdin=None, stdout=subprocess.PIPE, on_line=None):
    """Run a command; (seconds, peak RSS in MB of that child alone, stdout text, stderr
    lines with the time each arrived)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                            text=True)
    lines = []
    for line in proc.stderr:
        lines.append((time.perf_counter(), line.rstrip()))
        if on_line:
            on_line(line.rstrip())
    out = proc.stdout.read() if stdout == subprocess.PIPE else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): "
                           + "\n".join(text for _, text in lines[-5:]))
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out, lines


def evaluate(wv, args):
    scores = {}
    if os.path.exists(args.analogies):
        scores["analogy"] = wv.evaluate_word_analogies(args.analogies, restrict_vocab=30000)[0]
    if os.path.exists(args.similarity):
        scores["wordsim"] = wv.evaluate_word_pairs(args.similarity)[1][0]
    return scores


def report_scores(name, scores):
    parts = []
    if "analogy" in scores:
        parts.append(f"analogy accuracy (top 30,000) {100 * scores['analogy']:.1f}%")
    if "wordsim" in scores:
        parts.append(f"WordSim-353 Spearman {scores['wordsim']:.3f}")
    print(f"  {name} quality: " + ", ".join(parts))


def count_rnnfast(corpus, out, args):
    _, rss, text, _ = run_child([sys.executable, "-c", COUNT_SCRIPT, corpus, out,
                                 str(args.window), args.memory_limit, str(args.workers),
                                 str(args.min_count)])
    stats = json.loads(text.strip().splitlines()[-1])
    print(f"counting: {stats['tokens']:,} tokens, vocabulary {stats['vocab']:,}, "
          f"{stats['nnz']:,} non-zero pairs (window {args.window}, symmetric)")
    print(f"  rnnfast: {stats['count_s']:.2f}s = {stats['tokens'] / stats['count_s']:,.0f} "
          f"tokens/s (+ {stats['vocab_s']:.1f}s vocabulary); peak resident memory "
          f"{rss:.0f} MB with memory_limit={args.memory_limit}")
    return stats


def count_glove_tools(corpus, vocab_file, work, stats, args):
    """GloVe's cooccur on the same corpus and vocabulary; returns its output path.
    Run while this process is small: a child's peak memory counts what it was forked from."""
    cooc = os.path.join(work, "cooc.bin")
    with open(corpus, "rb") as src, open(cooc, "wb") as dst:
        seconds, rss, _, _ = run_child(
            [os.path.join(args.glove_bin, "cooccur"), "-verbose", "0", "-symmetric", "1",
             "-window-size", str(args.window), "-vocab-file", vocab_file,
             "-overflow-file", os.path.join(work, "overflow")], stdin=src, stdout=dst)
    print(f"  GloVe's cooccur: {seconds:.2f}s = {stats['tokens'] / seconds:,.0f} tokens/s; "
          f"peak resident memory {rss:.0f} MB; rnnfast counts "
          f"{seconds / stats['count_s']:.2f}x faster")
    return cooc


def train_rnnfast(out, stats, args):
    import numpy as np

    from rnnfast import GloVe

    with open(out + ".vocab") as f:
        words = [line.split(" ")[0] for line in f.read().splitlines()]
    model = GloVe(vector_size=args.dim, window=args.window, epochs=args.epochs,
                  workers=args.workers, progress=lambda s: None)
    times = []
    model.callbacks.append(lambda m, epoch: times.append(time.perf_counter()))
    start = time.perf_counter()
    model.fit_cooccurrence(out, words)
    # the gaps between epoch ends, as for GloVe's tool: the first interval also holds
    # reading the file and preparing the pairs, reported apart
    gaps = np.diff(times) if len(times) > 1 else np.diff([start] + times)
    epoch_s = float(np.median(gaps))
    print(f"training, {args.workers} worker(s):")
    print(f"  rnnfast: {epoch_s:.2f}s per epoch (median), {stats['nnz'] / epoch_s:,.0f} pairs/s "
          f"(+ {times[0] - start - epoch_s:.1f}s loading and setup); cost per epoch "
          + ", ".join(f"{c:.4g}" for c in model.cost_))
    print(f"  skipped (non-finite) pairs: {sum(model.skipped_)}")
    report_scores("rnnfast", evaluate(model.wv, args))
    return epoch_s


def train_glove_tools(cooc, vocab_file, work, stats, rnnfast_epoch_s, args):
    import numpy as np

    from rnnfast import KeyedVectors
    from rnnfast.embeddings.cooccur import GLOVE_RECORD

    shuf = os.path.join(work, "cooc.shuf.bin")
    records = np.fromfile(cooc, dtype=GLOVE_RECORD)
    records = records[np.random.default_rng(1).permutation(len(records))]
    records.tofile(shuf)
    del records
    os.unlink(cooc)
    seconds, _, _, lines = run_child(
        [os.path.join(args.glove_bin, "glove"), "-input-file", shuf, "-vocab-file", vocab_file,
         "-save-file", os.path.join(work, "vectors"), "-verbose", "2",
         "-vector-size", str(args.dim), "-threads", str(args.workers),
         "-iter", str(args.epochs), "-x-max", "100", "-eta", "0.05", "-alpha", "0.75",
         "-binary", "0", "-model", "2", "-seed", "1"])
    stamps = [t for t, text in lines if "iter:" in text]
    epoch_s = float(np.median(np.diff(stamps))) if len(stamps) > 1 else seconds / args.epochs
    print(f"  GloVe's glove: {epoch_s:.2f}s per epoch (median), "
          f"{stats['nnz'] / epoch_s:,.0f} pairs/s; rnnfast trains "
          f"{epoch_s / rnnfast_epoch_s:.2f}x faster")
    wv = KeyedVectors.load_word2vec_format(os.path.join(work, "vectors.txt"), no_header=True)
    report_scores("GloVe", evaluate(wv, args))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--memory-limit", default="500MB")
    parser.add_argument("--glove-bin", type=os.path.abspath,
                        help="directory with GloVe's cooccur and glove binaries")
    parser.add_argument("--analogies", default=os.path.join(DATA, "eval", "questions-words.txt"))
    parser.add_argument("--similarity", default=os.path.join(DATA, "eval", "wordsim353.tsv"))
    args = parser.parse_args(argv)
    corpus, tmp = plain_copy(args.corpus)
    out = tempfile.mktemp(suffix=".cooc.bin")
    work = tempfile.mkdtemp(prefix="glove-tools-")
    try:
        stats = count_rnnfast(corpus, out, args)
        if args.glove_bin:
            cooc = count_glove_tools(corpus, out + ".vocab", work, stats, args)
        epoch_s = train_rnnfast(out, stats, args)
        if args.glove_bin:
            train_glove_tools(cooc, out + ".vocab", work, stats, epoch_s, args)
    finally:
        for path in (out, out + ".vocab"):
            if os.path.exists(path):
                os.unlink(path)
        shutil.rmtree(work, ignore_errors=True)
        if tmp:
            os.unlink(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
