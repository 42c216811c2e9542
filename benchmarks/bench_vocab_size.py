"""Word2Vec's speed against the size of its vocabulary: rnnfast beside gensim, one run.

    python benchmarks/bench_vocab_size.py BIG --vocab WORK/big-vocab.npy
        [--small corpus17m] [--tokens 30e6] [--rounds 3] [--workers 2]

On a corpus of billions of tokens Word2Vec ran at 0.73x its speed on corpus17m; with
the vocabulary cut to corpus17m's size the same file ran faster than corpus17m. This
asks whether that is rnnfast's or the machine's: both libraries train one CBOW epoch
(window 5, negative 5, dimension 100) in three settings, interleaved round by round:

  small   corpus17m with its own vocabulary (min_count 5)
  big     the first --tokens tokens of BIG with BIG's whole vocabulary (the one
          bench_scale.py saved in its work folder: WORK/big-vocab.npy, .words, .json)
  capped  the same tokens with BIG's vocabulary cut to small's size

Each library's rate is raw tokens a second (setup apart); big/small is the figure
bench_scale.py reports, capped/small what the corpus costs apart from its vocabulary.
gensim is `pip install gensim`; without it only rnnfast runs.

In every round the same three settings also run bench_row_updates.CbowSkeleton: a C
loop touching the rows CBOW touches for the same (subsampled) tokens, with CBOW's
dot products and updates and nothing else. Its big/small is what the memory system
leaves any CBOW on this machine, measured beside the libraries.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_row_updates import CbowSkeleton  # noqa: E402
from compare_gensim import DATA, plain_copy  # noqa: E402

from rnnfast import Vocabulary, Word2Vec  # noqa: E402

SETTINGS = dict(vector_size=100, window=5, negative=5, min_count=5, sg=0)


def head_tokens(path, tokens, out):
    """The whole lines of `path` holding its first `tokens` tokens, written to `out`;
    returns how many tokens they hold."""
    held = 0
    with open(path, "rb") as src, open(out, "wb") as dst:
        for line in src:
            dst.write(line)
            held += len(line.split())
            if held >= tokens:
                break
    return held


def saved_vocabulary(path):
    with open(path + ".words", encoding="utf-8") as f:
        words = f.read().split("\n")
    with open(path + ".json") as f:
        totals = json.load(f)
    return Vocabulary(words, np.load(path), totals["total_words"], totals["n_sentences"])


def corpus_ids(path, vocab):
    """int32 ids of the tokens of `path` that `vocab` holds, in order."""
    index, ids = vocab.key_to_index, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            ids.extend(index.get(w, -1) for w in line.split())
    ids = np.array(ids, np.int32)
    return ids[ids >= 0]


def rnnfast_model(freq, workers):
    model = Word2Vec(workers=workers, seed=1, epochs=1, progress=False, **SETTINGS)
    model.build_vocab_from_freq(freq)
    return model


def gensim_model(freq, workers):
    import gensim
    model = gensim.models.Word2Vec(workers=workers, seed=1, epochs=1, **SETTINGS)
    model.build_vocab_from_freq(freq)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("big")
    parser.add_argument("--vocab", required=True,
                        help="the big corpus's vocabulary saved by bench_scale.py")
    parser.add_argument("--small", default=os.path.join(DATA, "corpus17m.txt.xz"))
    parser.add_argument("--tokens", type=float, default=30e6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    try:
        import gensim  # noqa: F401
        libraries = {"rnnfast": rnnfast_model, "gensim": gensim_model}
    except ImportError:
        print("gensim is not installed: rnnfast only")
        libraries = {"rnnfast": rnnfast_model}
    with open("/proc/cpuinfo") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    print(f"CPU: {cpu}, {args.workers} workers, CBOW {SETTINGS}")

    with tempfile.TemporaryDirectory() as tmp:
        small_path, small_tmp = plain_copy(args.small)
        small = Vocabulary.from_corpus_file(small_path, 5, progress=False)
        big_vocab = saved_vocabulary(args.vocab)
        slice_path = os.path.join(tmp, "slice.txt")
        slice_tokens = head_tokens(args.big, int(args.tokens), slice_path)
        freq = lambda vocab: dict(zip(vocab.words, vocab.counts.tolist()))  # noqa: E731
        capped = big_vocab.pruned(5, max_final_vocab=len(small))
        cases = {"small": (small_path, small.total_words, freq(small)),
                 "big": (slice_path, slice_tokens, freq(big_vocab)),
                 "capped": (slice_path, slice_tokens, freq(capped))}
        skeletons = {}
        for name, vocab in (("small", small), ("big", big_vocab), ("capped", capped)):
            ids = corpus_ids(cases[name][0], vocab)
            skeletons[name] = CbowSkeleton(tmp, name, ids, vocab.counts,
                                           vocab.keep_probabilities(1e-3),
                                           SETTINGS["window"], SETTINGS["negative"],
                                           SETTINGS["vector_size"], args.workers)
            # the skeleton's rate is of the tokens the vocabulary holds, as the libraries'
            skeletons[name].kept_share *= len(ids) / cases[name][1]
        libraries = {**libraries, "skeleton": None}
        sizes = {name: len(case[2]) for name, case in cases.items()}
        print(f"vocabularies: {sizes}; small {small.total_words:,} tokens, big and capped "
              f"{slice_tokens:,} tokens of {args.big}")
        models = {(name, "skeleton"): skeletons[name] for name in cases}
        for name, (_, _, words) in cases.items():
            for lib, make in libraries.items():
                if make is None:
                    continue
                t = time.perf_counter()
                models[name, lib] = make(words, args.workers)
                print(f"  {lib} {name}: vocabulary set up in {time.perf_counter() - t:.1f}s",
                      flush=True)
        rates = {key: [] for key in models}
        # round 0 is a warm-up, not counted: the first pass over a table of millions of
        # rows faults its pages in, which an epoch of billions of tokens does once
        for r in range(args.rounds + 1):
            for name, (path, tokens, _) in cases.items():
                for lib in libraries:
                    model = models[name, lib]
                    if lib == "skeleton":
                        rate = model.rate()
                    else:
                        t = time.perf_counter()
                        model.train(corpus_file=path, total_words=tokens, epochs=1)
                        rate = tokens / (time.perf_counter() - t)
                    if r:
                        rates[name, lib].append(rate)
                    print(f"  round {r or 'warm-up'} {lib:8s} {name:7s} {rate:12,.0f} "
                          f"tokens/s", flush=True)
        if small_tmp:
            os.remove(small_tmp)

    print(f"\nmedians of {args.rounds} rounds (tokens/s)")
    print(f"{'library':10s} {'small':>12s} {'big':>12s} {'capped':>12s} {'big/small':>10s} "
          f"{'capped/small':>13s}")
    for lib in libraries:
        m = {name: statistics.median(rates[name, lib]) for name in cases}
        print(f"{lib:10s} {m['small']:12,.0f} {m['big']:12,.0f} {m['capped']:12,.0f} "
              f"{m['big'] / m['small']:10.3f} {m['capped'] / m['small']:13.3f}")


if __name__ == "__main__":
    main()
