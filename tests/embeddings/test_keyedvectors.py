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


# --- the rest of gensim's KeyedVectors API (gensim's test_keyedvectors.py as the spec) ---

@pytest.fixture
def random_kv():
    rng = np.random.default_rng(3)
    keys = [f"w{i}" for i in range(40)]
    return KeyedVectors.from_arrays(keys, rng.standard_normal((40, 8)),
                                    counts=np.arange(40, 0, -1) * 3)


def brute_sims(kv, query):
    normed = kv.vectors / np.linalg.norm(kv.vectors, axis=1, keepdims=True)
    return normed @ (query / np.linalg.norm(query))


def test_query_arguments_in_all_their_forms(random_kv):
    kv = random_kv
    forms = [kv.most_similar("w1", "w2", topn=5), kv.most_similar(["w1"], ["w2"], topn=5),
             kv.most_similar(positive="w1", negative="w2", topn=5),
             kv.most_similar(positive=[1], negative=[np.int64(2)], topn=5)]
    assert all(f == forms[0] for f in forms)
    cosmul = [kv.most_similar_cosmul("w1", "w2", topn=5), kv.most_similar_cosmul(["w1"], ["w2"], topn=5)]
    assert cosmul[0] == cosmul[1]
    # a vector is a query of its own, not excluded from the answers
    by_vector = kv.most_similar([kv["w3"]], topn=3)
    assert by_vector[0][0] == "w3" and by_vector[0][1] == pytest.approx(1, abs=1e-6)
    assert kv.similar_by_vector(kv["w3"], topn=3) == by_vector
    assert kv.similar_by_word("w3", topn=4) == kv.similar_by_key("w3", topn=4) == \
        kv.most_similar("w3", topn=4)
    # a 2-D array is one query vector per row
    rows = kv.vectors[:3]
    assert kv.most_similar(rows, topn=4) == kv.most_similar(list(rows), topn=4)
    assert [len(kv.most_similar("w3", topn=n)) for n in (0, np.uint8(0), 5)] == [0, 0, 5]
    assert len(kv.most_similar("w3", topn=None)) == len(kv)
    assert {w for w, _ in kv.most_similar("w3", topn=5, restrict_vocab=6)} == \
        set(kv.index_to_key[:6]) - {"w3"}
    with pytest.raises(KeyError):
        kv.most_similar("absent")
    with pytest.raises(ValueError, match=r"shape \(8,\)"):
        kv.similar_by_vector(np.ones(3))


def test_distances_ranks_and_neighbours(random_kv):
    kv = random_kv
    assert kv.distance("w4", "w4") == 0 and kv.similarity("w4", "w4") == 1
    assert kv.distance("w4", "w9") == pytest.approx(1 - kv.similarity("w4", "w9"))
    sims = brute_sims(kv, kv["w4"].astype(np.float64))
    np.testing.assert_allclose(kv.distances("w4"), 1 - sims, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(kv.distances(kv["w4"], ["w1", "w2"]), 1 - sims[[1, 2]], rtol=1e-5)
    np.testing.assert_allclose(KeyedVectors.cosine_similarities(kv["w4"], kv.vectors), sims,
                               rtol=1e-5, atol=1e-6)
    order = [kv.index_to_key[i] for i in np.argsort(-sims) if i != 4]
    assert kv.closer_than("w4", "w4") == [] and kv.rank("w4", "w4") == 1
    assert set(kv.closer_than("w4", order[3])) == set(order[:3])
    assert kv.rank("w4", order[3]) == 4
    assert kv.most_similar_to_given("w4", [order[5], order[0], order[2]]) == order[0]
    top = kv.most_similar("w4", topn=10)
    assert kv.relative_cosine_similarity("w4", order[1], 10) == pytest.approx(
        kv.similarity("w4", order[1]) / sum(s for _, s in top))


def test_doesnt_match_and_n_similarity():
    kv = KeyedVectors.from_arrays(["a", "b", "c", "odd"],
                                  [[1, 0.1], [1, -0.1], [0.9, 0], [-1, 1]])
    assert kv.doesnt_match(["a", "b", "odd", "unknown"]) == "odd"
    with pytest.raises(ValueError, match="none of the words"):
        kv.doesnt_match(["x", "y"])
    mean_a = (kv.get_vector("a", norm=True) + kv.get_vector("b", norm=True)) / 2
    assert kv.n_similarity(["a", "b"], ["c"]) == pytest.approx(cosine(mean_a, kv["c"]), rel=1e-6)
    with pytest.raises(ValueError, match="non-empty"):
        kv.n_similarity([], ["a"])


def test_get_mean_vector(random_kv):
    kv = random_kv
    keys, weights = ["w1", "w2", "w3", "missing"], [1.0, 2.0, -3.0, 5.0]
    unit = [kv.get_vector(k, norm=True).astype(np.float64) for k in keys[:3]]
    np.testing.assert_allclose(kv.get_mean_vector(keys), np.mean(unit, axis=0), rtol=1e-5)
    expected = (unit[0] + 2 * unit[1] - 3 * unit[2]) / 6
    np.testing.assert_allclose(kv.get_mean_vector(keys, weights[:3] + [5.0]), expected, rtol=1e-5)
    raw = kv[keys[:3]].astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(kv.get_mean_vector(keys, pre_normalize=False), raw, rtol=1e-5)
    post = kv.get_mean_vector(keys, post_normalize=True)
    assert np.linalg.norm(post) == pytest.approx(1, rel=1e-6)
    np.testing.assert_allclose(kv.get_mean_vector([np.ones(8), "w1"], pre_normalize=False),
                               (1 + kv["w1"]) / 2, rtol=1e-5)
    with pytest.raises(KeyError):
        kv.get_mean_vector(keys, ignore_missing=False)
    with pytest.raises(ValueError, match="one number per key"):
        kv.get_mean_vector(keys, weights=[1, 2])
    with pytest.raises(ValueError, match="empty"):
        kv.get_mean_vector([])


def test_adding_and_assigning_vectors(random_kv):
    kv = random_kv
    rng = np.random.default_rng(1)
    n = len(kv)
    kv.most_similar("w0", topn=3)  # fills the norm cache
    new = rng.standard_normal((3, 8))
    kv.add_vectors(["x", "y", "w0"], new)  # w0 is present: kept without replace
    assert len(kv) == n + 2 and kv.vectors.dtype == np.float32
    np.testing.assert_allclose(kv["y"], new[1], rtol=1e-6)
    # the cached norms were dropped: the answer is a fresh table's, new keys included
    fresh = KeyedVectors.from_arrays(kv.index_to_key, kv.vectors)
    assert kv.most_similar("w0", topn=3) == fresh.most_similar("w0", topn=3)
    assert kv.get_vecattr("x", "count") == 0 and len(kv.expandos["count"]) == len(kv)
    kv.add_vectors(["w0"], new[2:], replace=True)
    np.testing.assert_allclose(kv["w0"], new[2], rtol=1e-6)
    # norms follow every change: the cached unit vectors are never stale
    np.testing.assert_allclose(kv.get_vector("w0", norm=True), new[2] / np.linalg.norm(new[2]),
                               rtol=1e-5)
    kv["z"] = np.ones(8)
    kv["w1"] = np.full(8, 2.0)
    kv[["w2", "q"]] = [np.full(8, 3.0), np.full(8, 4.0)]
    assert len(kv) == n + 4
    assert [kv[k][0] for k in ("z", "w1", "w2", "q")] == [1, 2, 3, 4]
    assert kv.most_similar(positive=[np.ones(8)], topn=1)[0][1] == pytest.approx(1, abs=1e-6)
    assert kv.add_vector("single", np.arange(8.0)) == len(kv) - 1 and kv.has_index_for("single")
    kv.add_vectors(["e"], [np.ones(8)], extras={"count": np.array([99])})
    assert kv.get_vecattr("e", "count") == 99
    empty = KeyedVectors(8)
    empty.add_vectors(["a", "b"], new[:2])
    empty.add_vectors("c", new[2])
    assert empty.index_to_key == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"shape \(2, 8\)"):
        empty.add_vectors(["d", "e"], np.ones((2, 3)))
    with pytest.raises(ValueError, match="duplicates"):
        empty.add_vectors(["d", "d"], np.ones((2, 8)))
    with pytest.raises(ValueError, match="weights must be numbers"):
        empty.add_vectors(["d"], "not a vector")
    with pytest.raises(ValueError, match="must agree"):
        KeyedVectors.cosine_similarities(np.ones(8), np.ones((2, 3)))


def test_vector_attributes_and_reordering(random_kv):
    kv = random_kv
    assert kv.get_vecattr("w2", "count") == 114
    kv.set_vecattr("w2", "count", 1000)
    kv.set_vecattr("w5", "tag", "noun")
    assert kv.get_vecattr("w5", "tag") == "noun" and kv.get_vecattr("w6", "tag") == 0
    with pytest.raises(KeyError, match="no attribute 'colour'"):
        kv.get_vecattr("w1", "colour")
    with pytest.raises(KeyError, match="Key 'absent' not present"):
        kv.set_vecattr("absent", "colour", 1)
    assert "colour" not in kv.expandos  # a failed set leaves nothing behind
    vector_of_w2 = kv["w2"].copy()
    kv.sort_by_descending_frequency()
    assert kv.index_to_key[0] == "w2" and kv.key_to_index["w2"] == 0
    np.testing.assert_array_equal(kv["w2"], vector_of_w2)
    assert kv.index_to_key[1:4] == ["w0", "w1", "w3"] and kv.get_vecattr("w5", "tag") == "noun"
    subset = kv.vectors_for_all(["w3", "absent", "w1", "w3"], copy_vecattrs=True)
    assert subset.index_to_key == ["w3", "w1"]
    np.testing.assert_array_equal(subset["w1"], kv["w1"])
    assert subset.get_vecattr("w1", "count") == kv.get_vecattr("w1", "count")
    made_up = kv.vectors_for_all(["w1", "w3"])   # gensim's made-up counts, n down to 1
    assert list(made_up.expandos) == ["count"] and made_up.expandos["count"].tolist() == [2, 1]
    kv.unit_normalize_all()
    np.testing.assert_allclose(np.linalg.norm(kv.vectors, axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(kv.norms, 1, rtol=1e-6)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ""])
@pytest.mark.parametrize("binary", [False, True])
def test_compressed_vector_files(random_kv, tmp_path, suffix, binary):
    path = tmp_path / f"vectors.{'bin' if binary else 'txt'}{suffix}"
    random_kv.save_word2vec_format(path, tmp_path / f"vocab{suffix}", binary=binary)
    if suffix:
        with open(path, "rb") as f:
            assert f.read(2) != b"40"  # really compressed
    back = KeyedVectors.load_word2vec_format(path, tmp_path / f"vocab{suffix}", binary=binary)
    assert back.index_to_key == random_kv.index_to_key
    np.testing.assert_array_equal(back.vectors, random_kv.vectors)
    np.testing.assert_array_equal(back.expandos["count"], random_kv.expandos["count"])
    limited = KeyedVectors.load_word2vec_format(path, binary=binary, limit=7)
    assert len(limited) == 7 and list(limited.expandos["count"]) == list(range(7, 0, -1))


def test_binary_records_after_newlines_and_with_bad_bytes(tmp_path):
    path = tmp_path / "v.bin"
    with open(path, "wb") as f:
        f.write(b"3 2\n")
        for key, row in ((b"\nabc", (1, 2)), (b"caf\xc3", (3, 4)), (b"\n\nd", (5, 6))):
            f.write(key + b" " + np.array(row, "<f4").tobytes())
    with pytest.raises(UnicodeDecodeError):
        KeyedVectors.load_word2vec_format(path, binary=True)
    kv = KeyedVectors.load_word2vec_format(path, binary=True, unicode_errors="replace")
    assert kv.index_to_key == ["abc", "caf\ufffd", "d"]
    np.testing.assert_array_equal(kv.vectors, [[1, 2], [3, 4], [5, 6]])
    kv = KeyedVectors.load_word2vec_format(path, binary=True, unicode_errors="ignore", limit=2)
    assert kv.index_to_key == ["abc", "caf"]


def test_rows_made_ahead_are_filled_before_new_ones():
    """KeyedVectors(d, count) holds count rows for keys to come, as gensim's does: they
    are filled first (next_index is the next one), and only then the table grows."""
    kv = KeyedVectors(3, 2)
    assert kv.next_index == 0 and kv.vectors.shape == (2, 3)
    assert kv.add_vector("a", [1, 2, 3]) == 0 and kv.vectors.shape == (2, 3)
    kv.add_vectors(["b", "c"], np.arange(6.0).reshape(2, 3))
    assert kv.vectors.shape == (3, 3) and kv.next_index == 3
    np.testing.assert_array_equal(kv.vectors, [[1, 2, 3], [0, 1, 2], [3, 4, 5]])
    assert [k for k, _ in kv.most_similar("c")] == ["a", "b"]


def test_gensim_3_names_still_answer():
    kv = KeyedVectors.from_arrays(["a", "b", "c"], [[1.0, 0.0], [1.0, 0.2], [0.0, 3.0]])
    assert kv.words_closer_than("a", "c") == kv.closer_than("a", "c") == ["b"]
    kv.init_sims()
    np.testing.assert_allclose(kv.norms, [1.0, np.hypot(1, 0.2), 3.0])
    kv.init_sims(replace=True)
    np.testing.assert_allclose(np.linalg.norm(kv.vectors, axis=1), 1.0, rtol=1e-6)



def test_rank_by_centrality_and_resize_vectors():
    kv = KeyedVectors.from_arrays(["a", "b", "c", "far"], [[1.0, 0.1], [1.0, -0.1], [1.0, 0.0],
                                                           [-0.2, 1.0]])
    ranked = kv.rank_by_centrality(["far", "a", "c", "absent", "b"])
    rows = np.array([[-0.2, 1], [1, 0.1], [1, 0], [1, -0.1]])   # far, a, c, b
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    mean = unit.mean(axis=0) / np.linalg.norm(unit.mean(axis=0))
    expected = sorted(zip((unit @ mean).tolist(), ["far", "a", "c", "b"]), reverse=True)
    assert [w for _, w in ranked] == [w for _, w in expected] and ranked[-1][1] == "far"
    np.testing.assert_allclose([c for c, _ in ranked], [c for c, _ in expected], rtol=1e-6)
    with pytest.raises(ValueError, match="none of the words"):
        kv.rank_by_centrality(["absent"])
    ahead = KeyedVectors(2, 5)
    ahead.add_vectors(["x", "y"], np.ones((2, 2)))
    ahead.resize_vectors()
    assert ahead.vectors.shape == (2, 2)
    ahead.index_to_key.append("z")
    ahead.key_to_index["z"] = 2
    ahead.resize_vectors(seed=3)
    assert ahead.vectors.shape == (3, 2) and np.abs(ahead.vectors[2]).max() <= 0.25


def test_wmdistance_is_the_exact_transport_cost():
    """Word Mover's Distance as gensim's (frequency weights, unit vectors by default),
    solved exactly; checked against hand-computed transports and against POT when it
    is installed."""
    kv = KeyedVectors.from_arrays(["a", "b", "c", "d"], [[1, 0], [0, 1], [1, 1], [3, 0]])
    assert kv.wmdistance(["a", "b"], ["b", "a"]) == 0.0
    # a -> d costs nothing (same unit vector); b -> c is |(0,1) - (1,1)/sqrt2|, half the mass
    expected = 0.5 * np.linalg.norm(np.array([0, 1]) - np.array([1, 1]) / np.sqrt(2))
    np.testing.assert_allclose(kv.wmdistance(["a", "b", "unknown"], ["c", "d"]), expected)
    np.testing.assert_allclose(kv.wmdistance(["c", "d"], ["a", "b"]), expected)
    np.testing.assert_allclose(kv.wmdistance(["a", "a", "b"], ["d"]), np.sqrt(2) / 3)
    np.testing.assert_allclose(kv.wmdistance(["a"], ["d"], norm=False), 2.0)
    assert kv.wmdistance(["unknown"], ["a"]) == float("inf")
    with pytest.raises(TypeError):
        kv.wmdistance("a b", ["a"])
    rng = np.random.default_rng(1)
    big = KeyedVectors.from_arrays([f"w{i}" for i in range(30)], rng.normal(size=(30, 5)))
    docs = [[f"w{i}" for i in rng.integers(0, 30, 12)] for _ in range(2)]
    got = big.wmdistance(*docs)
    assert 0 < got == pytest.approx(big.wmdistance(docs[1], docs[0]), rel=1e-9)
    try:
        import ot
    except ImportError:
        return
    words = [sorted(set(d)) for d in docs]
    weights = [np.array([d.count(w) for w in ws], float) / len(d) for d, ws in zip(docs, words)]
    vectors = [np.array([big.get_vector(w, norm=True) for w in ws]) for ws in words]
    cost = np.linalg.norm(vectors[0][:, None] - vectors[1][None], axis=2)
    assert got == pytest.approx(ot.emd2(weights[0], weights[1], cost), rel=1e-7)


def test_most_similar_asks_an_indexer_when_given_one():
    kv = KeyedVectors.from_arrays(["a", "b", "c"], [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    asked = []

    class Index:
        def most_similar(self, vector, num):
            asked.append((vector.dtype, np.round(vector, 6).tolist(), num))
            return [("b", 0.99)]

    assert kv.most_similar("a", topn=2, indexer=Index()) == [("b", 0.99)]
    assert asked == [(np.float32, [1.0, 0.0], 2)]
    assert kv.most_similar("a", topn=None, indexer=Index()).shape == (3,)   # all: no index
    with pytest.raises(TypeError, match="most_similar"):
        kv.most_similar("a", indexer=object())
