"""rnnfast's FastText vs gensim 4.4.0's and Facebook's fastText: speed, memory, quality.

    taskset -c 0 python benchmarks/compare_fasttext.py [CORPUS] [--epochs 3]
        [--models sg,cbow] [--libs rnnfast,gensim,fasttext] [--repeats 1]
        [--unseen 300] [--scaling]

CORPUS defaults to ../shared/data/corpus17m.txt.xz (decompressed once to a temporary
file). Every library trains from the file (corpus_file; fastText's own reader) with
the same settings: dim 100, window 5, negative 5, n-grams 3-6, bucket 2,000,000,
sample 1e-3, min_count 5, alpha 0.025, one worker. Each training runs in a child
process of its own (so each peak resident memory is its own), the libraries in
turn and in a rotated order on each repeat. The table gives training words/s (the
corpus's words times epochs over the seconds of training, vocabulary excluded),
analogy accuracy (top 30,000 words), WordSim-353 Spearman and the child's peak
resident memory.

--unseen N: N words of WordSim-353 (the rarest in the corpus) are held out: every
line holding one is removed, the libraries train skip-gram on the rest, and the
WordSim pairs holding a held-out word are scored from n-grams alone (coverage: the
pairs both of whose words get a nonzero vector; Spearman over those).
--scaling: rnnfast skip-gram on one and on two workers, one epoch each, alternated
(run it without taskset).
The library "rnnfast-hot" is rnnfast with 1,000 n-gram buckets: every n-gram row stays
in cache, so its rate shows what the kernel reaches without the n-gram rows' memory
traffic (its quality is not comparable).
"""

import argparse
import json
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

ANALOGIES = os.path.join(DATA, "eval", "questions-words.txt")
WORDSIM = os.path.join(DATA, "eval", "wordsim353.tsv")
SETTINGS = dict(dim=100, window=5, negative=5, min_n=3, max_n=6, bucket=2000000,
                sample=1e-3, min_count=5, alpha=0.025)


def count_words(path):
    with open(path, "rb") as f:
        return sum(len(line.split()) for line in f)


# --- one training, in a child process ------------------------------------------------

def train_rnnfast(model, corpus, epochs, workers, bucket=SETTINGS["bucket"]):
    from rnnfast import FastText
    s = SETTINGS
    m = FastText(sg=int(model == "sg"), vector_size=s["dim"], window=s["window"],
                 negative=s["negative"], min_n=s["min_n"], max_n=s["max_n"],
                 bucket=bucket, sample=s["sample"], min_count=s["min_count"],
                 alpha=s["alpha"], epochs=epochs, workers=workers, progress=lambda line: None)
    m.build_vocab(corpus_file=corpus)
    start = time.perf_counter()
    m.train(corpus_file=corpus)
    return time.perf_counter() - start, m.wv.__getitem__, m.wv


def train_gensim(model, corpus, epochs, workers):
    from gensim.models import FastText
    s = SETTINGS
    m = FastText(sg=int(model == "sg"), vector_size=s["dim"], window=s["window"],
                 negative=s["negative"], min_n=s["min_n"], max_n=s["max_n"],
                 bucket=s["bucket"], sample=s["sample"], min_count=s["min_count"],
                 alpha=s["alpha"], epochs=epochs, workers=workers)
    m.build_vocab(corpus_file=corpus)
    start = time.perf_counter()
    m.train(corpus_file=corpus, total_words=m.corpus_total_words, epochs=epochs)
    return time.perf_counter() - start, m.wv.__getitem__, m.wv


def train_fasttext(model, corpus, epochs, workers):
    import fasttext
    s = SETTINGS
    start = time.perf_counter()   # fastText counts its vocabulary inside train: timed apart
    m = fasttext.train_unsupervised(
        corpus, model="skipgram" if model == "sg" else "cbow", dim=s["dim"], ws=s["window"],
        neg=s["negative"], minn=s["min_n"], maxn=s["max_n"], bucket=s["bucket"], t=s["sample"],
        minCount=s["min_count"], lr=s["alpha"], epoch=epochs, thread=workers, verbose=0)
    seconds = time.perf_counter() - start
    # its vocabulary pass: one more read and count of the corpus, measured alone
    vocab_start = time.perf_counter()
    fasttext.train_unsupervised(corpus, model="skipgram", dim=1, epoch=0, minCount=s[
        "min_count"], minn=0, maxn=0, bucket=0, thread=workers, verbose=0)
    seconds -= time.perf_counter() - vocab_start
    return seconds, m.get_word_vector, _FastTextVectors(m)


class _FastTextVectors:
    """fastText's vectors of its vocabulary as an rnnfast KeyedVectors, for evaluation."""

    def __new__(cls, m):
        import numpy as np
        from rnnfast import KeyedVectors
        words = [w for w in m.words if w != "</s>"]
        return KeyedVectors.from_arrays(words, np.array([m.get_word_vector(w) for w in words]))


def train_rnnfast_hot(model, corpus, epochs, workers):
    return train_rnnfast(model, corpus, epochs, workers, bucket=1000)


TRAINERS = {"rnnfast": train_rnnfast, "rnnfast-hot": train_rnnfast_hot, "gensim": train_gensim,
            "fasttext": train_fasttext}


def child(lib, model, corpus, epochs, workers, unseen_words):
    seconds, vector, wv = TRAINERS[lib](model, corpus, epochs, workers)
    out = {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if unseen_words is None:
        out["analogy"] = wv.evaluate_word_analogies(ANALOGIES, restrict_vocab=30000)[0]
        out["wordsim"] = wv.evaluate_word_pairs(WORDSIM)[1][0]
    else:
        out["pairs"] = unseen_pair_scores(vector, set(unseen_words))
    print(json.dumps(out, default=float))


def wordsim_pairs():
    with open(WORDSIM, encoding="utf8") as f:
        for line in f:
            parts = line.strip().split("\t")
            if len(parts) == 3 and not line.startswith("#"):
                try:
                    yield parts[0].lower(), parts[1].lower(), float(parts[2])
                except ValueError:
                    continue


def unseen_pair_scores(vector, held_out):
    """(human score, model cosine or None) of each WordSim pair holding a held-out word."""
    import numpy as np
    out = []
    for a, b, human in wordsim_pairs():
        if a not in held_out and b not in held_out:
            continue
        try:
            va, vb = np.asarray(vector(a), np.float64), np.asarray(vector(b), np.float64)
        except KeyError:
            out.append((human, None))
            continue
        na, nb = np.linalg.norm(va), np.linalg.norm(vb)
        out.append((human, float(va @ vb / (na * nb)) if na > 0 and nb > 0 else None))
    return out


def run_child(lib, model, corpus, epochs, workers=1, unseen=None):
    cmd = [sys.executable, __file__, "--child", lib, model, corpus, str(epochs), str(workers)]
    if unseen is not None:
        cmd.append(",".join(unseen))
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{lib} {model} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- held-out words ------------------------------------------------------------------

def held_out_corpus(corpus, n):
    """The n rarest WordSim words found in the corpus, and a copy of the corpus without
    the lines that hold any of them."""
    import collections
    candidates = {w for a, b, _ in wordsim_pairs() for w in (a, b)}
    counts = collections.Counter()
    with open(corpus, encoding="utf8", errors="replace") as f:
        for line in f:
            counts.update(t for t in line.split() if t in candidates)
    found = sorted((c, w) for w, c in counts.items() if c > 0)
    held = {w for _, w in found[:n]}
    tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf8")
    kept = total = 0
    with open(corpus, encoding="utf8", errors="replace") as f, tmp:
        for line in f:
            total += 1
            if not held.intersection(line.split()):
                tmp.write(line)
                kept += 1
    return sorted(held), tmp.name, 1 - kept / total


def spearman(pairs):
    from scipy.stats import spearmanr
    scored = [(h, s) for h, s in pairs if s is not None]
    rho = spearmanr([h for h, _ in scored], [s for _, s in scored])[0] if len(scored) > 2 else None
    return len(scored) / len(pairs) if pairs else 0.0, rho


# --- the runs ------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--models", default="sg,cbow")
    parser.add_argument("--libs", default="rnnfast,gensim,fasttext")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--unseen", type=int, default=0, metavar="N")
    parser.add_argument("--scaling", action="store_true")
    args = parser.parse_args(argv)
    corpus, tmp = plain_copy(args.corpus)
    libs = args.libs.split(",")
    try:
        words = count_words(corpus)
        print(f"corpus {args.corpus}: {words:,} words; {SETTINGS}; epochs {args.epochs}",
              flush=True)
        if args.scaling:
            return scaling(corpus, words)
        if args.unseen:
            return unseen(corpus, args, libs)
        print(f"{'model':<6} {'library':<11} {'train s':>8} {'words/s':>10} {'analogy':>8} "
              f"{'ws353':>6} {'peak MB':>8}", flush=True)
        speeds = {}
        for r in range(args.repeats):
            for model in args.models.split(","):
                for lib in libs[r % len(libs):] + libs[:r % len(libs)]:
                    out = run_child(lib, model, corpus, args.epochs)
                    rate = words * args.epochs / out["seconds"]
                    speeds.setdefault((model, lib), []).append(rate)
                    print(f"{model:<6} {lib:<11} {out['seconds']:8.1f} {rate:10,.0f} "
                          f"{100 * out['analogy']:7.1f}% {out['wordsim']:6.3f} "
                          f"{out['rss_mb']:8.0f}", flush=True)
        for model in args.models.split(","):
            median = {lib: sorted(speeds[model, lib])[len(speeds[model, lib]) // 2]
                      for lib in libs if (model, lib) in speeds}
            for lib in libs:
                if "rnnfast" in median and lib in median and lib != "rnnfast":
                    print(f"{model}: rnnfast/{lib} words/s {median['rnnfast'] / median[lib]:.2f}x"
                          f" (medians of {args.repeats})", flush=True)
    finally:
        if tmp:
            os.unlink(tmp)
    return 0


def unseen(corpus, args, libs):
    held, reduced, removed = held_out_corpus(corpus, args.unseen)
    try:
        print(f"held out {len(held)} WordSim words; {100 * removed:.1f}% of the lines removed",
              flush=True)
        for lib in libs:
            out = run_child(lib, "sg", reduced, args.epochs, unseen=held)
            coverage, rho = spearman(out["pairs"])
            print(f"unseen  {lib:<9} pairs {len(out['pairs'])} coverage {100 * coverage:5.1f}% "
                  f"Spearman {rho if rho is None else round(rho, 3)}", flush=True)
    finally:
        os.unlink(reduced)
    return 0


def scaling(corpus, words):
    rates = {1: [], 2: []}
    for _ in range(2):
        for workers in (1, 2):
            out = run_child("rnnfast", "sg", corpus, 1, workers)
            rates[workers].append(words / out["seconds"])
            print(f"workers {workers}: {rates[workers][-1]:,.0f} words/s", flush=True)
    one, two = (sorted(rates[w])[-1] for w in (1, 2))
    print(f"two workers / one: {two / one:.2f}x (best of 2 each)", flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        lib, model, corpus, epochs, workers = sys.argv[2:7]
        child(lib, model, corpus, int(epochs), int(workers),
              sys.argv[7].split(",") if len(sys.argv) > 7 else None)
        sys.exit(0)
    sys.exit(main())
