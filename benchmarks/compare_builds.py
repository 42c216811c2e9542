"""Two builds of rnnfast side by side: the same jobs, interleaved, medians and ratios.

    python setup.py build_ext --inplace          # in each source tree
    taskset -c 0 python benchmarks/compare_builds.py OLD_TREE NEW_TREE [CORPUS]
        [--jobs word2vec-file,cbow-file,sg-hs-file,cbow-hs-file,fasttext-sg-file,
                fasttext-cbow-file,word2vec-iter,vocab-file,cooccur,glove,rnn,
                rnn-step-TxBxDxH (seven sizes),rnn-predict,rnn-predict-one] [--rounds 5] [--workers 1]
        [--epochs 2]

Each job runs in a fresh interpreter with PYTHONPATH set to one tree, old and new
alternating round by round (the machine's drift hits both alike), and prints one
figure (higher is better). CORPUS defaults to the first 5M tokens of corpus17m.
Jobs use only the API both builds share.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare_gensim import DATA, plain_copy  # noqa: E402

PRELUDE = """
import json, os, sys, time
corpus, workers, work, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
quiet = lambda status: None
def report(value, unit):
    print(json.dumps({"value": value, "unit": unit}))
"""

WORD2VEC_FILE = """
from rnnfast import Word2Vec
m = Word2Vec(vector_size=100, window=5, epochs=epochs, workers=workers, progress=quiet, {settings})
m.build_vocab(corpus_file=corpus)
start = time.perf_counter(); m.train(corpus_file=corpus)
report(epochs * m.vocab.total_words / (time.perf_counter() - start), "words/s")
"""

# FastText (builds from this one on): n-grams 3-6 in 2M buckets, gensim's defaults
FASTTEXT_FILE = """
from rnnfast import FastText
m = FastText(vector_size=100, window=5, epochs=epochs, workers=workers, progress=quiet, {settings})
m.build_vocab(corpus_file=corpus)
start = time.perf_counter(); m.train(corpus_file=corpus)
report(epochs * m.vocab.total_words / (time.perf_counter() - start), "words/s")
"""

RNN_STEP = """
from rnnfast import functional as F
from rnnfast.bench import make_problem
params, x, y = make_problem({T}, {B}, {D}, {H}, cell="{cell}")
step = lambda: F.rnn_loss_and_grads(params, x, y, cell="{cell}")
n, start = 0, time.perf_counter()
while time.perf_counter() - start < 0.5:
    step()
    n += 1
report(n * {B} / (time.perf_counter() - start), "seqs/s")
"""

RNN_PREDICT = """
import numpy as np
sys.path.insert(0, os.environ["RNNFAST_BENCH_DIR"])
from rnn_data import load_sms, split
from rnnfast import RNNClassifier
rng = np.random.default_rng(0)
X, y = load_sms(tokenizer="simple")   # both builds have it
train, held = split(len(X))
# 16 features per token, a fixed random code per word: no embedding file to build
codes = {}
def encode(tokens):
    return np.stack([codes.setdefault(t, rng.standard_normal(16)) for t in tokens] or
                    [np.zeros(16)]).astype(np.float32)
train = train[:500]
clf = RNNClassifier(hidden_size=64, epochs=1, batch_size=32, random_state=0)
clf.fit([encode(X[i]) for i in train], y[train])
test = [encode(X[i]) for i in held]
"""

JOBS = {
    "word2vec-file": WORD2VEC_FILE.format(settings="sg=1, negative=5"),
    "cbow-file": WORD2VEC_FILE.format(settings="sg=0, negative=5"),
    "sg-hs-file": WORD2VEC_FILE.format(settings="sg=1, hs=1, negative=0"),
    "cbow-hs-file": WORD2VEC_FILE.format(settings="sg=0, hs=1, negative=0"),
    "fasttext-sg-file": FASTTEXT_FILE.format(settings="sg=1, negative=5"),
    "fasttext-cbow-file": FASTTEXT_FILE.format(settings="sg=0, negative=5"),
    "word2vec-iter": """
from rnnfast import LineSentence, Word2Vec
s = LineSentence(corpus)
m = Word2Vec(sg=1, vector_size=100, window=5, negative=5, epochs=epochs, workers=workers, progress=quiet)
m.build_vocab(s)
start = time.perf_counter(); m.train(s)
report(epochs * m.vocab.total_words / (time.perf_counter() - start), "words/s")
""",
    "vocab-file": """
from rnnfast import Vocabulary
start = time.perf_counter()
v = Vocabulary.from_corpus_file(corpus, 5, progress=quiet)
report(v.total_words / (time.perf_counter() - start), "tokens/s")
""",
    "cooccur": """
from rnnfast import Vocabulary
from rnnfast.cooccur import cooccurrence_to_file
v = Vocabulary.from_corpus_file(corpus, 5)
start = time.perf_counter()
cooccurrence_to_file(v, os.path.join(work, "counts.bin"), corpus_file=corpus, window=10,
                     memory_limit="500MB", workers=workers)
report(v.total_words / (time.perf_counter() - start), "tokens/s")
""",
    "glove": """
from rnnfast import GloVe, Vocabulary
from rnnfast.cooccur import cooccurrence_to_file
counts, words = os.path.join(work, "glove-counts.bin"), os.path.join(work, "glove-words.txt")
if not os.path.exists(counts):
    v = Vocabulary.from_corpus_file(corpus, 5)
    cooccurrence_to_file(v, counts, corpus_file=corpus, window=10, workers=workers)
    open(words, "w").write("\\n".join(v.words))
ends = []
g = GloVe(vector_size=100, epochs=4, workers=workers, progress=quiet,
          callbacks=[lambda model, epoch: ends.append(time.perf_counter())])
g.fit_cooccurrence(counts, open(words).read().split("\\n"))
report(1 / ((ends[-1] - ends[0]) / (len(ends) - 1)), "epochs/s")
""",
    "rnn": """
import numpy as np
sys.path.insert(0, os.environ["RNNFAST_BENCH_DIR"])
from rnn_data import load_sms, split
from rnnfast import KeyedVectors, RNNClassifier
vectors = os.path.join(work, "sms-vectors.txt")
if not os.path.exists(vectors):
    from rnnfast import Word2Vec
    Word2Vec(corpus_file=corpus, sg=1, vector_size=50, epochs=1, workers=workers,
             progress=quiet).wv.save_word2vec_format(vectors)
kv = KeyedVectors.load_word2vec_format(vectors)
X, y = load_sms(tokenizer="simple")   # both builds have it
train, _ = split(len(X))
clf = RNNClassifier(hidden_size=128, embedding=kv, epochs=2, batch_size=32, random_state=0)
start = time.perf_counter(); clf.fit([X[i] for i in train], y[train])
report(2 / (time.perf_counter() - start), "epochs/s")
""",
    # one training step (forward, loss, BPTT) at the sizes of rnnfast bench and around
    # them: batches of 1, 4 and 32, hidden sizes 16 to 256 (T, B, D, H)
    **{f"rnn-step-{T}x{B}x{D}x{H}": RNN_STEP.format(T=T, B=B, D=D, H=H, cell="rnn")
       for T, B, D, H in [(20, 1, 8, 16), (50, 1, 32, 64), (50, 4, 32, 64), (50, 1, 32, 256),
                          (50, 4, 32, 256), (100, 32, 64, 128), (50, 32, 32, 16),
                          (48, 32, 1, 128)]},
    # the gated cells at batches of 1 and 32 (the sunspot tasks' shape)
    **{f"rnn-step-{cell}-{T}x{B}x{D}x{H}": RNN_STEP.format(T=T, B=B, D=D, H=H, cell=cell)
       for cell in ("gru", "lstm")
       for T, B, D, H in [(50, 1, 32, 64), (48, 32, 1, 128)]},
    # predictions of a fitted model: the whole SMS test set, then one message at a time
    "rnn-predict": RNN_PREDICT + """
start = time.perf_counter(); clf.predict_proba(test)
report(len(test) / (time.perf_counter() - start), "seqs/s")
""",
    "rnn-predict-one": RNN_PREDICT + """
one = test[:1]
clf.predict_proba(one)
n = 2000
start = time.perf_counter()
for _ in range(n):
    clf.predict_proba(one)
report(n / (time.perf_counter() - start), "calls/s")
""",
}


def run(tree, job, corpus, workers, work, epochs=2):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree), RNNFAST_BENCH_DIR=HERE)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    out = subprocess.run([sys.executable, "-c", PRELUDE + JOBS[job], corpus, str(workers),
                          work, str(epochs)], env=env, cwd=work, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{job} under {tree} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def has_api(tree, job, corpus, workers, work, epochs):
    """Whether `tree` runs `job` (a build older than a model's first one lacks its name)."""
    try:
        run(tree, job, corpus, workers, work, epochs)
    except RuntimeError as e:
        if "cannot import name" in str(e):
            return False
        raise
    return True


def default_corpus(work):
    """The first 5M tokens of corpus17m, as plain text."""
    path = os.path.join(work, "corpus5m.txt")
    full, tmp = plain_copy(os.path.join(DATA, "corpus17m.txt.xz"))
    words = 0
    with open(full) as src, open(path, "w") as dst:
        for line in src:
            dst.write(line)
            words += line.count(" ") + 1
            if words >= 5_000_000:
                break
    if tmp:
        os.unlink(tmp)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("corpus", nargs="?")
    parser.add_argument("--jobs", default=",".join(JOBS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=2, help="of the word2vec jobs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        corpus = args.corpus or default_corpus(work)
        print(f"{args.old} (old) vs {args.new} (new), {args.rounds} interleaved rounds, "
              f"{args.workers} worker(s), {args.epochs} word2vec epochs, corpus {corpus}")
        for job in args.jobs.split(","):
            run(args.new, job, corpus, args.workers, work, args.epochs)  # warm caches, build inputs
            if not has_api(args.old, job, corpus, args.workers, work, args.epochs):
                print(f"  {job:<14} the old build lacks this job's API (new only, not compared)",
                      flush=True)
                continue
            figures = {"old": [], "new": []}
            for r in range(args.rounds):
                order = ("old", "new") if r % 2 == 0 else ("new", "old")
                for side in order:
                    result = run(getattr(args, side), job, corpus, args.workers, work, args.epochs)
                    figures[side].append(result["value"])
            old, new = (statistics.median(figures[s]) for s in ("old", "new"))
            spread = {s: f"{min(v):,.4g}..{max(v):,.4g}" for s, v in figures.items()}
            print(f"  {job:<14} old {old:>12,.4g}  new {new:>12,.4g} {result['unit']:<9} "
                  f"new/old {new / old:5.3f}   (ranges: old {spread['old']}, "
                  f"new {spread['new']})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
