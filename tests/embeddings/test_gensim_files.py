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
            f"Word2Vec.load({fixture('w2v_gensim3.model')!r})\n"
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


# --- gensim 1 to 3's layout (keys in index2word and vocab, tables in trainables) ---

GENSIM3 = np.load(os.path.join(HERE, "expected_gensim3.npz"))


@pytest.mark.parametrize("mmap", [None, "r", "c"])
def test_a_gensim3_model_loads_with_its_tables_counts_paths_and_lock_factors(mmap):
    model = Word2Vec.load(fixture("w2v_gensim3.model"), mmap=mmap)
    assert model.wv.index_to_key == GENSIM3["words"].tolist()
    np.testing.assert_array_equal(model.wv.vectors, GENSIM3["vectors"])
    np.testing.assert_array_equal(model.syn1neg, GENSIM3["syn1neg"])
    np.testing.assert_array_equal(model.syn1[:len(GENSIM3["syn1"])], GENSIM3["syn1"])
    np.testing.assert_array_equal(model.vocab.counts, GENSIM3["counts"])
    np.testing.assert_array_equal(model.wv.vectors_lockf, GENSIM3["lockf"])
    assert (model.sg, model.hs, model.negative, model.epochs, model.min_count) == \
        (0, 1, 3, 2, 2)
    # the paths are the records' code and point, so syn1's rows keep their nodes
    nodes, codes, ends = model.vocab.huffman_paths()
    assert nodes.max() <= len(model.wv) - 2 and ends[-1] == len(codes)
    if mmap == "r":
        return
    frozen = model.wv.get_index(GENSIM3["words"][1])
    assert GENSIM3["lockf"][frozen] == 0
    before = model.wv.vectors.copy()
    corpus = toy_corpus(300, seed=5)
    model.build_vocab([["a", "few", "new", "words"]], update=True)
    model.train(corpus, total_examples=len(corpus), epochs=1)
    np.testing.assert_array_equal(model.wv.vectors[frozen], before[frozen])
    assert not np.array_equal(model.wv.vectors[:len(before)], before)


def test_gensim3_keyed_vectors_in_the_model_file_read_by_keyedvectors(tmp_path):
    """A gensim 3 KeyedVectors file (Word2VecKeyedVectors) loads as KeyedVectors."""
    model = Word2Vec.load(fixture("w2v_gensim3.model"))
    with pytest.raises(ValueError, match="gensim's Word2Vec, not KeyedVectors"):
        KeyedVectors.load(fixture("w2v_gensim3.model"))
    assert model.wv.most_similar("rome", topn=3)


def _stand_in_pickle(module, name, state, protocol=2):
    """A pickle of an object of class module.name with `state`, written by hand
    (protocol 2, as gensim 3 wrote them), holding only plain values."""
    body = pickle.dumps(state, protocol=protocol)[2:-1]   # the state's opcodes
    return (b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n)\x81" + body +
            b"b.")


def test_gensim3_records_that_disagree_are_value_errors_naming_the_field(tmp_path):
    cases = {
        "index2word": ({"index2word": "abc", "vocab": {}, "syn0": None}, "index2word"),
        "vocab": ({"index2word": ["a"], "vocab": {}, "syn0": None}, "vocab"),
        "oldest": ({"syn0": [1.0], "index2word": ["a"]}, "before 0.13.4"),
    }
    for label, (state, field) in cases.items():
        path = tmp_path / f"{label}.model"
        if label == "oldest":
            path.write_bytes(_stand_in_pickle("gensim.models.word2vec", "Word2Vec", state))
            load = Word2Vec.load
        else:
            path.write_bytes(_stand_in_pickle("gensim.models.keyedvectors",
                                              "Word2VecKeyedVectors", state))
            load = KeyedVectors.load
        with pytest.raises(ValueError, match=f"{label}.model.*{field}"):
            load(path)


def test_codecs_encode_is_taken_for_latin1_bytes_only(tmp_path):
    path = tmp_path / "codec.kv"
    path.write_bytes(b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00rot13"
                     b"\x86R.")
    with pytest.raises(pickle.UnpicklingError, match="refused _codecs.encode"):
        KeyedVectors.load(path)


def test_gensims_own_old_test_files_load_as_gensim_loads_them():
    """gensim's test data (0.13.4 to 3.8.0 models), where gensim is installed: every
    table, count, path and answer as gensim 4 reads them."""
    gensim = pytest.importorskip("gensim")
    from gensim.models import Word2Vec as GensimWord2Vec
    data = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
    names = ["model-from-gensim-3.8.0.w2v", "word2vec_3.3", "word2vec_old", "word2vec_old_sep"]
    names += [os.path.join("old_w2v_models", f"w2v_{v}.mdl") for v in
              ("0.13.4", "1.0.0", "1.0.1", "2.0.0", "2.1.0", "2.2.0", "2.3.0", "3.0.0", "3.1.0",
               "3.2.0", "3.3.0", "3.4.0")]
    for name in names:
        path = os.path.join(data, name)
        theirs, ours = GensimWord2Vec.load(path), Word2Vec.load(path)
        assert ours.wv.index_to_key == theirs.wv.index_to_key, name
        np.testing.assert_array_equal(ours.wv.vectors, theirs.wv.vectors)
        assert [ours.wv.get_vecattr(k, "count") for k in ours.wv.index_to_key] == \
            [theirs.wv.get_vecattr(k, "count") for k in theirs.wv.index_to_key]
        if theirs.negative:
            np.testing.assert_array_equal(ours.syn1neg, theirs.syn1neg)
        if theirs.hs:
            V = len(theirs.wv)
            np.testing.assert_array_equal(ours.syn1[:V - 1], theirs.syn1[:V - 1])
            for k in theirs.wv.index_to_key:
                assert list(ours.wv.get_vecattr(k, "code")) == \
                    list(theirs.wv.get_vecattr(k, "code"))
        word = theirs.wv.index_to_key[0]
        assert [k for k, _ in ours.wv.most_similar(word)] == \
            [k for k, _ in theirs.wv.most_similar(word)]
        assert (ours.sg, ours.hs, ours.negative, ours.window, ours.epochs) == \
            (theirs.sg, theirs.hs, theirs.negative, theirs.window, theirs.epochs)
    kv_path = os.path.join(data, "old_keyedvectors_320.dat")
    np.testing.assert_array_equal(KeyedVectors.load(kv_path).vectors,
                                  gensim.models.KeyedVectors.load(kv_path).vectors)


def test_a_file_without_the_corpus_total_trains_on_a_falling_rate():
    """gensim before 3.3 kept no corpus_total_words: the vocabulary's counted words stand
    in, so train(total_examples=corpus_count) follows a whole epoch's schedule (with 0
    the rate would fall to min_alpha at the first word)."""
    from rnnfast.embeddings import gensim_files
    path = fixture("w2v_gensim3.model")
    corpus = toy_corpus(300, seed=5)
    trained = []
    for how in ("examples", "words"):
        _, parts = gensim_files.read_gensim(path)
        del parts["settings"]["corpus_total_words"]
        model = Word2Vec._from_gensim(parts, path)
        model.workers = 1
        total = int(model.vocab.counts.sum())
        assert model.corpus_total_words == total
        if how == "examples":
            model.train(corpus, total_examples=model.corpus_count, epochs=1)
        else:
            model.train(corpus, total_words=total, epochs=1)
        trained.append(model.wv.vectors)
    np.testing.assert_array_equal(trained[0], trained[1])
