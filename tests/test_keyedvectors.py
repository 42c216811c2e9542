"""KeyedVectors: queries, evaluation, and the word2vec/GloVe file formats."""

import struct

import numpy as np
import pytest
from scipy import stats

from rnnfast import KeyedVectors


@pytest.fixture
def kv():
    # a 2-D world where b - a + c = d holds exactly for (king, queen, man, woman)
    keys = ["king", "queen", "man", "woman", "apple", "Paris"]
    vectors = np.array([[1, 1], [1, -1], [0.5, 1], [0.5, -1], [-1, 0.1], [-0.9, -0.3]],
                       np.float32)
    return KeyedVectors.from_arrays(keys, vectors, counts=[6, 5, 4, 3, 2, 1])


def cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_lookups(kv):
    assert len(kv) == 6 and "king" in kv and "prince" not in kv
    np.testing.assert_array_equal(kv["queen"], [1, -1])
    assert kv[["man", "woman"]].shape == (2, 2) and kv[[]].shape == (0, 2)
    np.testing.assert_allclose(np.linalg.norm(kv.get_vector("man", norm=True)), 1, rtol=1e-6)
    with pytest.raises(KeyError, match="Key 'prince' not present"):
        kv["prince"]
    assert kv.vectors.dtype == np.float32


def test_similarity_and_most_similar(kv):
    assert kv.similarity("king", "man") == pytest.approx(cosine(kv["king"], kv["man"]), rel=1e-6)
    result = kv.most_similar("king", topn=2)
    assert [w for w, _ in result] == ["man", "queen"]
    assert result[0][1] == pytest.approx(cosine(kv["king"], kv["man"]), rel=1e-6)
    assert kv.most_similar(positive=["queen", "man"], negative=["king"], topn=1)[0][0] == "woman"
    sims = kv.most_similar("king", topn=None)
    assert sims.shape == (6,) and sims[0] == pytest.approx(1)
    assert [w for w, _ in kv.most_similar("king", topn=10, restrict_vocab=3)] == ["man", "queen"]
    # 3CosMul by its formula: prod (1 + cos(w, p)) / 2 over positives / (... over negatives + 1e-6)
    unit = kv.get_normed_vectors()
    shifted = {k: (1 + unit @ unit[kv.get_index(k)]) / 2 for k in ("queen", "man", "king")}
    scores = shifted["queen"] * shifted["man"] / (shifted["king"] + 1e-6)
    scores[[0, 1, 2]] = -np.inf
    expected = kv.index_to_key[int(np.argmax(scores))]
    got = kv.most_similar_cosmul(positive=["queen", "man"], negative=["king"], topn=1)[0]
    assert got[0] == expected and got[1] == pytest.approx(scores.max(), rel=1e-5)
    with pytest.raises(ValueError, match="at least one key"):
        kv.most_similar()


def test_evaluate_word_analogies(kv):
    questions = [": royalty", "king queen man woman", "KING QUEEN MAN WOMAN",
                 "man woman king queen", "king queen man prince", ": food", "apple paris king man"]
    accuracy, sections = kv.evaluate_word_analogies(questions)
    assert [s["section"] for s in sections] == ["royalty", "food", "Total accuracy"]
    assert len(sections[0]["correct"]) == 3 and sections[0]["incorrect"] == []
    assert len(sections[1]["correct"]) + len(sections[1]["incorrect"]) == 1  # Paris -> PARIS
    total = sections[-1]
    assert accuracy == len(total["correct"]) / (len(total["correct"]) + len(total["incorrect"]))
    strict, _ = kv.evaluate_word_analogies(questions, case_insensitive=False)
    assert strict == 1.0  # only the three lower-case royalty questions are in vocabulary
    with pytest.raises(ValueError, match="expected 4 words"):
        kv.evaluate_word_analogies([": s", "a b c"])


def test_evaluate_word_pairs(kv, tmp_path):
    lines = ["# comment", "king\tqueen\t5", "king\tman\t9", "apple\tking\t1", "man\twoman\t4",
             "king\tprince\t7"]
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines) + "\n")
    pearson, spearman, oov = kv.evaluate_word_pairs(str(path))
    model = [cosine(kv[a], kv[b]) for a, b in [("king", "queen"), ("king", "man"),
                                                ("apple", "king"), ("man", "woman")]]
    human = [5, 9, 1, 4]
    assert spearman[0] == pytest.approx(stats.spearmanr(human, model)[0])
    assert spearman.correlation == spearman[0]
    assert pearson[0] == pytest.approx(stats.pearsonr(human, model)[0], rel=1e-6)
    assert oov == pytest.approx(20.0)
    with pytest.raises(ValueError, match="not a number"):
        kv.evaluate_word_pairs(["king\tqueen\thigh"])


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_round_trip(kv, tmp_path, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    kv.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    limited = KeyedVectors.load_word2vec_format(path, binary=binary, limit=2)
    assert limited.index_to_key == ["king", "queen"]


def test_reads_the_c_tools_binary_and_glove_text(tmp_path):
    # word2vec's C tool: header, then "word " + little-endian float32s + "\n" per word
    blob = b"2 3\n" + b"".join(w + b" " + struct.pack("<3f", *v) + b"\n"
                               for w, v in [(b"caf\xc3\xa9", (1, 2, 3)), (b"b", (-1, 0.5, 0))])
    (tmp_path / "c.bin").write_bytes(blob)
    kv = KeyedVectors.load_word2vec_format(tmp_path / "c.bin", binary=True)
    assert kv.index_to_key == ["café", "b"]
    np.testing.assert_array_equal(kv["b"], [-1, 0.5, 0])
    # GloVe: no header
    (tmp_path / "g.txt").write_text("the 0.1 0.2\nof -0.3 0.4\n")
    kv = KeyedVectors.load_word2vec_format(tmp_path / "g.txt", no_header=True)
    assert kv.index_to_key == ["the", "of"] and kv.vector_size == 2


@pytest.mark.parametrize("content, binary, match", [
    ("3 2\na 1 2\nb 3 4\n", False, "promises 3 vectors, the file holds 2"),
    ("2 2\na 1 2\nb 3\n", False, "'b' has 1 values, expected 2"),
    ("2 2\na 1 2\nb 3 x\n", False, "holds a non-number"),
    ("two 2\na 1 2\n", False, "first line should be"),
    (b"2 3\nab " + struct.pack("<3f", 1, 2, 3) + b"\ncd " + b"\x00" * 5, True, "truncated"),
    ("", False, "first line should be"),
])
def test_broken_vector_files(tmp_path, content, binary, match):
    path = tmp_path / "broken"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ValueError, match=match):
        KeyedVectors.load_word2vec_format(path, binary=binary)


def test_keys_that_cannot_be_written(tmp_path):
    kv = KeyedVectors.from_arrays(["two words"], np.ones((1, 2)))
    with pytest.raises(ValueError, match="without whitespace"):
        kv.save_word2vec_format(tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_native_format_round_trip(kv, tmp_path):
    kv.save(tmp_path / "kv.npz")
    back = KeyedVectors.load(tmp_path / "kv.npz")
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.expandos["count"], kv.expandos["count"])


def test_from_arrays_checks_shapes():
    with pytest.raises(ValueError, match="2 keys for 3 vectors"):
        KeyedVectors.from_arrays(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="duplicates"):
        KeyedVectors.from_arrays(["a", "a"], np.zeros((2, 2)))


def test_norms_follow_the_vectors(kv):
    assert kv.most_similar("king", topn=1)[0][0] == "man"  # norms cached now
    kv.vectors[2] = -kv.vectors[0]  # in place, same length: "man" now opposes "king"
    kv.vectors_changed()
    assert kv.most_similar("king", topn=1)[0][0] != "man"
    np.testing.assert_allclose(kv.norms, np.linalg.norm(kv.vectors, axis=1))
    kv.vectors = kv.vectors * 2  # assignment drops the cache as well
    np.testing.assert_allclose(kv.norms, np.linalg.norm(kv.vectors, axis=1))


def test_norms_after_further_training():
    from rnnfast import Word2Vec
    model = Word2Vec([["a", "b", "c", "d"] * 5] * 30, vector_size=8, min_count=1, epochs=1,
                     workers=1, progress=lambda s: None)
    model.wv.most_similar("a")
    model.train([["a", "b", "c", "d"] * 5] * 30, epochs=2)
    np.testing.assert_allclose(model.wv.norms, np.linalg.norm(model.wv.vectors, axis=1),
                               rtol=1e-6)


@pytest.mark.parametrize("binary", [False, True])
def test_datatype_is_honoured(kv, tmp_path, binary):
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary, datatype=np.float64)
    assert back.vectors.dtype == np.float64
    np.testing.assert_allclose(back.vectors, kv.vectors, rtol=1e-8)  # text: 9 digits
    assert KeyedVectors.load_word2vec_format(path, binary=binary).vectors.dtype == np.float32


def test_fvocab_is_the_second_argument_as_in_gensim(kv, tmp_path):
    vectors, counts = tmp_path / "v.txt", tmp_path / "counts.txt"
    kv.save_word2vec_format(vectors, counts)  # gensim's positional call: fvocab, not binary
    assert vectors.read_text().startswith("6 2\nking ")  # text, not binary
    assert counts.read_text().splitlines()[:2] == ["king 6", "queen 5"]
    back = KeyedVectors.load_word2vec_format(vectors, counts)
    np.testing.assert_array_equal(back.expandos["count"], [6, 5, 4, 3, 2, 1])
    bare = KeyedVectors.from_arrays(["a"], np.ones((1, 2)))
    with pytest.raises(ValueError, match="no counts"):
        bare.save_word2vec_format(tmp_path / "b.txt", tmp_path / "b.counts")
