"""rnnfast vs gensim 4.4.0: training speed and vector quality, same settings, one run.

    taskset -c 0 python benchmarks/compare_gensim.py [CORPUS] [--workers 1] [--epochs 3]
        [--models sg-ns,cbow-ns,sg-hs,cbow-hs] [--modes iterable,file] [--seed 1]

CORPUS defaults to ../shared/data/corpus17m.txt.xz (a compressed corpus is
decompressed once to a temporary file, since corpus_file mode needs plain text).
For each input mode (an iterable of token lists, and corpus_file) the two
libraries train in turn with identical settings; the table gives training
words/s (raw corpus words per second of train(), vocabulary building excluded),
the speed ratio, analogy accuracy (top 30,000 words) and WordSim-353 Spearman.
"""

import argparse
import lzma
import os
import shutil
import sys
import tempfile
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data")


# The four trainings word2vec offers, as gensim's arguments.
MODELS = {"sg-ns": dict(sg=1, hs=0), "cbow-ns": dict(sg=0, hs=0),
          "sg-hs": dict(sg=1, hs=1, negative=0), "cbow-hs": dict(sg=0, hs=1, negative=0)}


def plain_copy(path):
    """A plain-text path for `path`, decompressing .xz into a temporary file."""
    if not path.endswith(".xz"):
        return path, None
    tmp = tempfile.NamedTemporaryFile(suffix=".txt", delete=False)
    with lzma.open(path, "rb") as src, tmp:
        shutil.copyfileobj(src, tmp, 1 << 20)
    return tmp.name, tmp.name


def evaluate(wv, analogies, similarity):
    acc = wv.evaluate_word_analogies(analogies, restrict_vocab=30000)[0] if analogies else None
    rho = wv.evaluate_word_pairs(similarity)[1][0] if similarity else None
    return acc, rho


def run_rnnfast(mode, corpus, settings):
    from rnnfast import LineSentence, Word2Vec
    model = Word2Vec(**settings, progress=lambda s: None)
    if mode == "file":
        model.build_vocab(corpus_file=corpus)
        start = time.perf_counter()
        model.train(corpus_file=corpus)
    else:
        sentences = LineSentence(corpus)
        model.build_vocab(sentences)
        start = time.perf_counter()
        model.train(sentences)
    return time.perf_counter() - start, model.vocab.total_words, model.wv


def run_gensim(mode, corpus, settings):
    from gensim.models import Word2Vec
    from rnnfast import LineSentence
    model = Word2Vec(sg=settings["sg"], hs=settings["hs"], vector_size=settings["vector_size"],
                     window=settings["window"], cbow_mean=1,
                     min_count=settings["min_count"], sample=settings["sample"],
                     negative=settings["negative"], alpha=settings["alpha"],
                     min_alpha=settings["min_alpha"], epochs=settings["epochs"],
                     workers=settings["workers"], seed=settings["seed"])
    if mode == "file":
        model.build_vocab(corpus_file=corpus)
        start = time.perf_counter()
        model.train(corpus_file=corpus, total_words=model.corpus_total_words,
                    epochs=model.epochs)
    else:
        sentences = LineSentence(corpus)
        model.build_vocab(sentences)
        start = time.perf_counter()
        model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs)
    return time.perf_counter() - start, model.corpus_total_words, model.wv


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--models", default="sg-ns",
                        help="comma-separated, of " + ", ".join(MODELS) + " (CBOW: the mean "
                             "of the context; hs: hierarchical softmax, negative=0)")
    parser.add_argument("--sample", type=float, default=1e-4)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=0.025)
    parser.add_argument("--modes", default="iterable,file")
    parser.add_argument("--seed", type=int, default=1,
                        help="both libraries' seed (compare quality over several runs)")
    parser.add_argument("--libs", default="gensim,rnnfast")
    parser.add_argument("--analogies", default=os.path.join(DATA, "eval", "questions-words.txt"))
    parser.add_argument("--similarity", default=os.path.join(DATA, "eval", "wordsim353.tsv"))
    args = parser.parse_args(argv)
    settings = dict(vector_size=args.dim, window=args.window, min_count=args.min_count,
                    sample=args.sample, negative=args.negative, alpha=args.alpha,
                    min_alpha=0.0001, epochs=args.epochs, workers=args.workers,
                    seed=args.seed)
    analogies = args.analogies if os.path.exists(args.analogies) else None
    similarity = args.similarity if os.path.exists(args.similarity) else None
    corpus, tmp = plain_copy(args.corpus)
    runners = {"gensim": run_gensim, "rnnfast": run_rnnfast}
    print(f"corpus {args.corpus}; settings {settings}", flush=True)
    print(f"{'model/mode':<15} {'library':<8} {'train s':>8} {'words/s':>10} {'analogy':>8} "
          f"{'ws353':>6}", flush=True)
    try:
        for name in args.models.split(","):
            model_settings = {**settings, **MODELS[name]}
            for mode in args.modes.split(","):
                speeds = {}
                label = f"{name}/{mode}"
                for lib in args.libs.split(","):
                    seconds, words, wv = runners[lib](mode, corpus, model_settings)
                    speeds[lib] = words * args.epochs / seconds
                    acc, rho = evaluate(wv, analogies, similarity)
                    print(f"{label:<15} {lib:<8} {seconds:8.1f} {speeds[lib]:10,.0f} "
                          f"{'' if acc is None else f'{100 * acc:7.1f}%'} "
                          f"{'' if rho is None else f'{rho:6.3f}'}", flush=True)
                if len(speeds) == 2:
                    print(f"{label:<15} ratio rnnfast/gensim: "
                          f"{speeds['rnnfast'] / speeds['gensim']:.2f}x", flush=True)
    finally:
        if tmp:
            os.unlink(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
