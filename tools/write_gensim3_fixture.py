"""Write tests/data/gensim/w2v_gensim3.model: a Word2Vec in gensim 3.3-3.8's saved layout.

gensim 3 does not install on the Pythons rnnfast supports, so this fixture is written
here, in the layout of gensim 3.8.0's own saved files (gensim/test/test_data/
model-from-gensim-3.8.0.w2v, read field by field): a protocol-2 pickle of
gensim.models.word2vec.Word2Vec holding a Word2VecKeyedVectors (`vectors`, `index2word`,
a `vocab` dict of Vocab records with count, index, sample_int and, for hs, code and
point), a Word2VecVocab (vocabulary settings) and a Word2VecTrainables (`syn1`,
`syn1neg`, `vectors_lockf`), with the trainables' arrays in side files as gensim 3's
`sep_limit` puts large ones (`w2v_gensim3.model.trainables.syn1neg.npy`). The classes
are stand-ins registered under gensim's module names for the pickler only; nothing of
gensim is imported. tests/embeddings/test_gensim_files.py also compares rnnfast's
reading of gensim's own 3.x test files with gensim's, where gensim is installed.

Usage: python tools/write_gensim3_fixture.py
"""

import os
import pickle
import sys
import types

import numpy as np

from rnnfast import Word2Vec
from rnnfast.datasets import toy_corpus

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "gensim")
NAME = "w2v_gensim3.model"


def stand_in(module, name):
    """A class pickled as module.name (the module is made up for the pickler)."""
    parts = module.split(".")
    for i in range(1, len(parts) + 1):   # the made-up package too, never gensim itself
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    mod = sys.modules[module]
    cls = type(name, (), {"__module__": module})
    setattr(mod, name, cls)
    return cls


def saved(cls, state):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


def specials(numpys=(), ignoreds=(), recursive=()):
    return {"__numpys": list(numpys), "__scipys": [], "__ignoreds": list(ignoreds),
            "__recursive_saveloads": list(recursive)}


def main():
    Word2VecG = stand_in("gensim.models.word2vec", "Word2Vec")
    Word2VecVocab = stand_in("gensim.models.word2vec", "Word2VecVocab")
    Word2VecTrainables = stand_in("gensim.models.word2vec", "Word2VecTrainables")
    Word2VecKeyedVectors = stand_in("gensim.models.keyedvectors", "Word2VecKeyedVectors")
    Vocab = stand_in("gensim.models.keyedvectors", "Vocab")

    m = Word2Vec(toy_corpus(300, seed=5), vector_size=6, min_count=2, seed=1, workers=1,
                 epochs=2, hs=1, negative=3, progress=False)
    words, V = m.wv.index_to_key, len(m.wv)
    lockf = np.ones(V, np.float32)
    lockf[1] = 0.0   # one frozen word, as intersect_word2vec_format leaves them
    vocab = {w: saved(Vocab, {"count": int(m.vocab.counts[i]), "index": i,
                              "sample_int": 4294967296,
                              "code": np.array(m.wv.get_vecattr(w, "code"), np.uint8),
                              "point": np.array(m.wv.get_vecattr(w, "point"), np.uint32)})
             for i, w in enumerate(words)}
    wv = saved(Word2VecKeyedVectors, {"vectors": m.wv.vectors.copy(), "vocab": vocab,
                                      "vector_size": 6, "index2word": list(words),
                                      **specials(ignoreds=["vectors_norm"])})
    vocabulary = saved(Word2VecVocab, {"max_vocab_size": None, "min_count": 2,
                                       "sample": 0.001, "sorted_vocab": True, "null_word": 0,
                                       "raw_vocab": {}, "max_final_vocab": None,
                                       "ns_exponent": 0.75, "effective_min_count": 2,
                                       **specials()})
    sides = {"syn1": m.syn1[:V - 1].copy(), "syn1neg": m.syn1neg.copy(),
             "vectors_lockf": lockf}
    trainables = saved(Word2VecTrainables, {"layer1_size": 6, "seed": 1,
                                            **specials(numpys=sides)})
    model = saved(Word2VecG, {
        "max_final_vocab": None, "callbacks": (), "wv": wv, "vocabulary": vocabulary,
        "trainables": trainables, "random": np.random.RandomState(1), "sg": 0, "alpha": 0.025,
        "window": 5, "min_alpha": 0.0001,
        "hs": 1, "negative": 3, "ns_exponent": 0.75, "cbow_mean": 1, "compute_loss": False,
        "running_training_loss": 0.0, "min_alpha_yet_reached": 0.0001,
        "corpus_count": m.corpus_count, "corpus_total_words": m.corpus_total_words,
        "vector_size": 6, "workers": 1, "epochs": 2, "train_count": 1,
        "total_train_time": 0.01, "batch_words": 10000, "model_trimmed_post_training": False,
        **specials(ignoreds=["cum_table"], recursive=["wv", "vocabulary", "trainables"])})
    path = os.path.join(OUT, NAME)
    with open(path, "wb") as f:
        pickle.dump(model, f, protocol=2)
    for name, array in sides.items():
        np.save(f"{path}.trainables.{name}.npy", array)
    np.savez(os.path.join(OUT, "expected_gensim3.npz"), vectors=m.wv.vectors,
             syn1=sides["syn1"], syn1neg=sides["syn1neg"], lockf=lockf,
             counts=m.vocab.counts, words=np.array(words))
    print("wrote", path)


if __name__ == "__main__":
    main()
