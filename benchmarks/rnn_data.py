"""Loading the real RNN data sets of ../shared/data for the benchmarks (not used by tests)."""

import csv
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data"))


def load_sms(path=os.path.join(DATA, "rnn", "sms_spam.tsv"), tokenizer="unicode"):
    """(token lists, labels 0/1) of the SMS Spam Collection; tokenizer "unicode":
    rnnfast.tokenize (digits, currency, every script), "simple": simple_tokenize (a-z)."""
    import rnnfast
    split_text = {"unicode": lambda: rnnfast.tokenize,
                  "simple": lambda: rnnfast.simple_tokenize}[tokenizer]()
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for row in reader:
            labels.append(int(row[0]))
            tokens = split_text(row[1] if len(row) > 1 else "")
            texts.append(tokens or ["<empty>"])
    return texts, np.array(labels)


def split(n, test_fraction=0.2, seed=0):
    """Seeded shuffled train/test index arrays."""
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test_fraction * n))
    return perm[n_test:], perm[:n_test]


def load_sunspots(path=os.path.join(DATA, "rnn", "sm_sunspots_yearly.csv")):
    """Yearly sunspot activity, float64 (309,)."""
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    return np.array([float(r[1]) for r in rows])


def load_monthly_sunspots(path=os.path.join(DATA, "rnn", "r_sunspot.month.csv")):
    """Monthly sunspot numbers 1749-2013, float64 (3177,)."""
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    return np.array([float(r[2]) for r in rows])


def word_vectors(corpus, cache, epochs=5, workers=2):
    """KeyedVectors trained by rnnfast on `corpus` (a text file), cached in `cache` (.npz)."""
    from rnnfast import KeyedVectors, LineSentence, Word2Vec
    if cache and os.path.exists(cache):
        return KeyedVectors.load(cache)
    source = {"sentences": LineSentence(corpus)} if corpus.endswith(".xz") else \
        {"corpus_file": corpus}
    model = Word2Vec(**source, sg=1, vector_size=100, window=5, min_count=5, sample=1e-4,
                     epochs=epochs, workers=workers, progress=lambda s: None)
    if cache:
        model.wv.save(cache)
    return model.wv
