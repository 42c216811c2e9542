"""gensim 4's own .model and .kv files, read without gensim and without running pickle
code: the same vectors and answers, further training, and hostile pickles refused."""

import json
import os
import pickle
import shutil

import numpy as np
import pytest

from rnnfast import KeyedVectors, Word2Vec
from rnnfast.datasets import toy_corpus
from rnnfast import load_gensim

HERE = os.path.join(os.path.dirname(__file__), os.pardir, "data", "gensim")
EXPECTED = json.load(open(os.path.join(HERE, "expected.json")))
VECTORS = np.load(os.path.join(HERE, "expected_vectors.npz"))


def fixture(name):
    return os.path.join(HERE, name)


@pytest.mark.parametrize("name, output", [("w2v_ns", "syn1neg"), ("w2v_hs_sep", "syn1")])
@pytest.mark.parametrize("mmap", [None, "r", "c"])
def test_a_gensim_model_loads_answers_the_same_and_trains_on(name, output, mmap):
    """Arrays inside the pickle are read; side files are mapped with mmap, as gensim does."""
    model = Word2Vec.load(fixture(name + ".model"), mmap=mmap)
    np.testing.assert_array_equal(model.wv.vectors, VECTORS[name])
    np.testing.assert_array_equal(getattr(model, output)[:len(VECTORS[output])],
                                  VECTORS[output])
    for word in EXPECTED["probe"]:
        got = model.wv.most_similar(word, topn=5)
        assert [k for k, _ in got] == [k for k, _ in EXPECTED[name][word]]
        np.testing.assert_allclose([v for _, v in got], [v for _, v in EXPECTED[name][word]],
                                   atol=1e-6)
    assert model.corpus_total_words == sum(len(s) for s in toy_corpus(300, seed=5))
    if mmap == "r" and name == "w2v_hs_sep":   # its arrays are side files, mapped
        with pytest.raises(ValueError, match="read-only"):
            model.train(toy_corpus(50, seed=1), total_examples=50, epochs=1)
        return
    before = model.wv.vectors.copy()
    corpus = toy_corpus(300, seed=5)
    effective, raw = model.train(corpus, total_examples=len(corpus), epochs=1)
    assert raw == model.corpus_total_words and effective > 0
    assert not np.array_equal(model.wv.vectors, before)


def test_gensims_keyedvectors_file_loads():
    kv = KeyedVectors.load(fixture("w2v_ns.kv"), mmap="r")
    np.testing.assert_array_equal(kv.vectors, VECTORS["w2v_ns"])
    assert kv.get_vecattr("italy", "count") > 0
    assert [k for k, _ in kv.most_similar("rome", topn=5)] == \
        [k for k, _ in EXPECTED["w2v_ns"]["rome"]]
    with pytest.raises(ValueError, match="gensim's KeyedVectors, not Word2Vec.*KeyedVectors.load"):
        Word2Vec.load(fixture("w2v_ns.kv"))
    with pytest.raises(ValueError, match="gensim's Word2Vec, not KeyedVectors.*Word2Vec.load"):
        KeyedVectors.load(fixture("w2v_ns.model"))


def test_hs_keeps_gensims_huffman_tree():
    """gensim's own paths ("point", "code") are used, so its syn1 rows keep their nodes."""
    model = load_gensim(fixture("w2v_hs_sep.model"))
    nodes, codes, ends = model.vocab.huffman_paths()
    assert ends[-1] == len(nodes) == len(codes) and codes.max() <= 1
    assert nodes.max() <= len(model.wv) - 2


class _Gadget:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


class _EvalGadget:
    def __reduce__(self):
        return eval, ("__import__('os').getcwd()",)


@pytest.mark.parametrize("payload, named", [
    ("system", r"(posix|nt|os)\.system"), ("eval", "builtins.eval"),
    ("fasttext", "gensim.models.fasttext.FastText"), ("pickled_function", "posixpath.join"),
])
def test_a_pickle_naming_anything_else_is_refused_by_name(tmp_path, payload, named):
    target = tmp_path / "ran"
    path = tmp_path / "hostile.model"
    data = {"system": lambda: pickle.dumps(_Gadget(target), protocol=4),
            "eval": lambda: pickle.dumps(_EvalGadget(), protocol=4),
            "fasttext": lambda: b"\x80\x02cgensim.models.fasttext\nFastText\n)\x81}b.",
            "pickled_function": lambda: pickle.dumps({"wv": os.path.join}, protocol=4)}
    path.write_bytes(data[payload]())
    for load in (Word2Vec.load, KeyedVectors.load, load_gensim):
        with pytest.raises(pickle.UnpicklingError, match=f"refused to build {named}"):
            load(path)
    assert not target.exists()


def test_damaged_files_are_value_errors_naming_the_file(tmp_path):
    raw = open(fixture("w2v_ns.model"), "rb").read()
    cut = tmp_path / "cut.model"
    cut.write_bytes(raw[:len(raw) // 2])
    with pytest.raises(ValueError, match="cut.model.*not a readable gensim file"):
        Word2Vec.load(cut)
    # an array whose pickled shape claims far more than its bytes
    huge = tmp_path / "huge.kv"
    good = np.arange(6, dtype=np.float32)
    packed = pickle.dumps(good, protocol=4)
    assert packed.count(b"K\x06\x85") == 1   # the shape (6,) as pickled
    huge.write_bytes(packed.replace(b"K\x06\x85", b"J\x00\x00\x00\x10\x85"))
    with pytest.raises(ValueError, match="huge.kv"):
        load_gensim(huge)
    # a side file missing, or whose header claims more rows than it holds
    for name in os.listdir(HERE):
        if name.startswith("w2v_hs_sep"):
            shutil.copy(os.path.join(HERE, name), tmp_path)
    side = tmp_path / "w2v_hs_sep.model.wv.vectors.npy"
    header = side.read_bytes()
    rows = len(VECTORS["w2v_hs_sep"])
    side.write_bytes(header.replace(f"({rows}, 6)".encode(), f"({rows * 99}, 6)".encode()))
    with pytest.raises(ValueError, match="vectors"):
        Word2Vec.load(tmp_path / "w2v_hs_sep.model")
    side.unlink()
    with pytest.raises(ValueError, match="side file.*missing"):
        Word2Vec.load(tmp_path / "w2v_hs_sep.model")


def test_other_models_name_the_pickle_they_were_given():
    from rnnfast import FastText, GloVe
    for cls in (FastText, GloVe):
        with pytest.raises(ValueError, match="is a pickle .gensim's save.., not a saved"):
            cls.load(fixture("w2v_ns.model"))



def test_gensims_files_load_with_gensim_out_of_reach(tmp_path):
    """Nothing of gensim is imported: a process where `import gensim` fails loads both."""
    import subprocess
    import sys
    code = ("import sys; sys.modules['gensim'] = None\n"
            "from rnnfast import KeyedVectors, Word2Vec\n"
            f"m = Word2Vec.load({fixture('w2v_ns.model')!r})\n"
            f"kv = KeyedVectors.load({fixture('w2v_ns.kv')!r})\n"
            "print(m.wv.most_similar('rome', topn=1)[0][0], len(kv))")
    # run outside the source tree: there `import rnnfast` would find the uncompiled sources
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [EXPECTED["w2v_ns"]["rome"][0][0], str(len(VECTORS["w2v_ns"]))]


def test_arrays_unpickled_at_any_address_are_given_aligned():
    """numpy may unpickle an array over the pickle's bytes, at an odd address; the
    kernels read floats, so every array reaches them aligned (UBSan caught this)."""
    for name in ("w2v_ns.model", "w2v_hs_sep.model"):
        model = Word2Vec.load(fixture(name))
        for table in (model.wv.vectors, model.syn1neg, model.syn1):
            assert table is None or (table.flags.aligned and table.flags.c_contiguous)
    odd = np.frombuffer(bytearray(33), np.float32, count=8, offset=1).reshape(4, 2)
    assert not odd.flags.aligned and odd.flags.writeable
    model = Word2Vec([["a", "b", "c", "d"]] * 5, vector_size=2, min_count=1, epochs=1,
                     progress=False)
    model.wv.vectors = odd
    with pytest.raises(ValueError, match="aligned"):
        model.train([["a", "b"]], total_examples=1, epochs=1)
