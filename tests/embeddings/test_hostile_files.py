"""Saved embedding files checked against themselves: a Word2Vec, KeyedVectors or
GloVe file whose fields disagree is refused naming the file and the field, and a
GloVe checkpoint resumes only on the counts it was trained on."""

import numpy as np
import pytest
from conftest import QUIET, tampered_copy

from rnnfast import GloVe, KeyedVectors, Word2Vec

SENTENCES = [["a", "b", "c", "a", "b", "d"]] * 20


def _saved(tmp_path):
    paths = {}
    paths["w2v"] = tmp_path / "w2v.npz"
    model = Word2Vec(SENTENCES, vector_size=4, min_count=1, epochs=1, workers=1, hs=1, **QUIET)
    model.save(paths["w2v"])
    paths["kv"] = tmp_path / "kv.npz"
    model.wv.save(paths["kv"])
    paths["glove"] = tmp_path / "glove.npz"
    GloVe(vector_size=4, min_count=1, epochs=2, workers=1, **QUIET).fit(SENTENCES).save(
        paths["glove"])
    return paths


NAN4 = np.full((4, 4), np.nan, np.float32)
TAMPERED = [  # (file, arrays, meta, field named)
    ("w2v", {"vectors": np.zeros((4, 5), np.float32)}, None, "vectors"),
    ("w2v", {"vectors": NAN4}, None, "vectors"),
    ("w2v", {"vectors": np.zeros((3, 4), np.float32)}, None, "vectors"),
    ("w2v", {"context_vectors": NAN4}, None, "syn1neg"),
    ("w2v", {"syn1": np.full((4, 4), np.inf, np.float32)}, None, "syn1"),
    ("w2v", {"syn1": None}, None, "syn1"),
    ("w2v", None, {"params.hs": 0}, "syn1"),
    ("w2v", None, {"params.vector_size": 8}, "vectors"),
    ("w2v", None, {"params.window": -3}, "params"),
    ("w2v", {"counts": np.array([1, 2, -3, 4])}, None, "counts"),
    ("w2v", {"counts": np.array([1.5, 2, 3, 4])}, None, "counts"),
    ("w2v", {"words": np.array(["a", "a", "b", "c"])}, None, "words"),
    ("w2v", None, {"total_words": -1}, "total_words"),
    ("w2v", None, {"training_loss": [float("inf")]}, "training_loss"),
    ("w2v", None, {"training_loss": ["0.5"]}, "training_loss"),
    ("kv", {"vectors": NAN4}, None, "vectors"),
    ("kv", None, {"vector_size": 5}, "vectors"),
    ("kv", {"keys": np.array(["a", "b", "b", "c"])}, None, "keys"),
    ("kv", {"counts": np.array([1, 2])}, None, "counts"),
    ("glove", {"W": NAN4}, None, "state"),
    ("glove", {"G_b": np.full(4, np.nan, np.float32)}, None, "state"),
    ("glove", {"b_ctx": np.zeros(3, np.float32)}, None, "state"),
    ("glove", {"G_W": np.zeros((4, 4), np.float32)}, None, "state"),
    ("glove", None, {"params.vector_size": 8}, "W"),
    ("glove", None, {"params.window": 0}, "params"),
    ("glove", {"words": np.array(["a", "a", "b", "c"])}, None, "words"),
    ("glove", None, {"cost": [1.0, float("inf")]}, "cost"),
    ("glove", None, {"skipped": [0]}, "skipped"),
    ("glove", None, {"cooccurrence_digest": 5}, "cooccurrence_digest"),
]


@pytest.mark.parametrize("case", range(len(TAMPERED)))
def test_a_saved_file_that_disagrees_with_itself_is_refused_naming_the_field(tmp_path, case):
    which, arrays, meta, field = TAMPERED[case]
    cls = {"w2v": Word2Vec, "kv": KeyedVectors, "glove": GloVe}[which]
    src = _saved(tmp_path)[which]
    cls.load(src)
    bad = tampered_copy(src, tmp_path / "bad.npz", arrays, meta)
    with pytest.raises(ValueError, match=rf"bad.npz' is not a consistent saved file: '{field}'"):
        cls.load(bad)


def test_glove_resumes_only_on_the_counts_it_was_trained_on(tmp_path):
    ckpt = tmp_path / "ckpt.npz"
    rng = np.random.default_rng(0)
    corpus = [[f"w{i}" for i in rng.integers(0, 12, 15)] for _ in range(60)]
    other = [s[1:] + s[:1] for s in corpus[:30]] + corpus[30:]  # the same words, other pairs
    settings = dict(vector_size=4, min_count=1, workers=1, checkpoint=str(ckpt), **QUIET)
    GloVe(epochs=2, **settings).fit(corpus)
    for changed, sentences in (({"window": 3}, corpus), ({"symmetric": False}, corpus),
                               ({"distance_weighting": False}, corpus), ({}, other)):
        with pytest.raises(ValueError, match="was trained on other co-occurrence counts"):
            GloVe(epochs=4, **settings, **changed).fit(sentences, resume=True)
    resumed = GloVe(epochs=4, **settings).fit(corpus, resume=True)
    assert len(resumed.cost_) == 4
    whole = GloVe(epochs=4, **{**settings, "checkpoint": None}).fit(corpus)
    np.testing.assert_array_equal(resumed.wv.vectors, whole.wv.vectors)


@pytest.mark.parametrize("compress", ["gz", "bz2", "xz", None])
@pytest.mark.parametrize("header", [b"1000000000000 300\n", b"2 1000000000000\n",
                                    b"3000000 100000\n"])
def test_a_vector_file_header_cannot_drive_a_huge_allocation(tmp_path, compress, header):
    import bz2
    import gzip
    import lzma
    body = header + b"a " + np.ones(3, "<f4").tobytes() + b"\n"
    path = tmp_path / ("v.bin" + (f".{compress}" if compress else ""))
    opener = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open, None: open}[compress]
    with opener(path, "wb") as f:
        f.write(body)
    with pytest.raises(ValueError, match="v.bin.*(header promises|file ends)"):
        KeyedVectors.load_word2vec_format(path, binary=True)


@pytest.mark.parametrize("binary", [True, False])
def test_a_word2vec_file_shorter_than_its_header_is_an_eof_error_too(tmp_path, binary):
    """gensim's callers catch EOFError: the clear ValueError is one as well."""
    path = tmp_path / "v.txt"
    KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3))).save_word2vec_format(path,
                                                                               binary=binary)
    path.write_bytes(b"3" + path.read_bytes()[1:])
    with pytest.raises(EOFError, match="header promises 3 vectors"):
        KeyedVectors.load_word2vec_format(path, binary=binary)


@pytest.mark.parametrize("name", ["vectors", "meta"])
def test_a_tampered_npz_header_cannot_drive_a_huge_allocation(tmp_path, name):
    import zipfile
    src = tmp_path / "kv.npz"
    KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3))).save(src)
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == f"{name}.npy":
                data = _npy_claiming(data, (10**11,) if name == "meta" else (10**11, 3))
            zout.writestr(info, data)
    with pytest.raises(ValueError, match=f"bad.npz.*damaged.*{name}.*claims shape"):
        KeyedVectors.load(bad)


def _npy_claiming(npy, shape):
    """The bytes of an .npy file whose header claims `shape`, its data left as it is."""
    import io
    f = io.BytesIO(npy)
    version = np.lib.format.read_magic(f)
    assert version == (1, 0)
    _, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(dtype),
                                               "fortran_order": fortran, "shape": shape})
    return out.getvalue() + npy[f.tell():]
