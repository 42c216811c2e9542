"""KeyedVectors and vector files given hostile inputs: non-finite numbers refused
where they enter (with check_finite=False to keep them), edits that fail leave
nothing behind, gensim's key-first lookup, no str iterated as characters."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnfast import KeyedVectors, LineSentence, Word2Vec

BAD_NUMBERS = [np.nan, np.inf, -np.inf, 1e39]


def _kv(n=4, d=3):
    return KeyedVectors.from_arrays([f"k{i}" for i in range(n)],
                                    np.arange(n * d, dtype=np.float32).reshape(n, d) + 1)


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_non_finite_vectors_are_refused_where_they_enter(bad):
    v = np.array([1.0, bad, 2.0])
    kv = _kv()
    for enter in (lambda: kv.add_vectors(["x"], v[None]), lambda: kv.add_vector("x", v),
                  lambda: kv.__setitem__("k1", v), lambda: kv.__setitem__(["x", "y"], [v, v])):
        with pytest.raises(ValueError, match="holds NaN, infinity or a value beyond float32"):
            enter()
        assert len(kv) == 4 and "x" not in kv
    np.testing.assert_array_equal(kv["k1"], _kv()["k1"])
    with pytest.raises(ValueError, match="'b' holds NaN"):
        KeyedVectors.from_arrays(["a", "b"], np.array([[1.0, 1, 1], v]))
    kept = KeyedVectors.from_arrays(["a", "b"], np.array([[1.0, 1, 1], v]), check_finite=False)
    assert not np.isfinite(kept["b"]).all()


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e39", "NaN"])
def test_vector_files_with_non_finite_numbers_are_refused_naming_the_line(tmp_path, bad):
    path = tmp_path / "v.txt"
    path.write_text(f"2 3\na 1 2 3\nb 1 {bad} 3\n")
    with pytest.raises(ValueError, match=r"v.txt' line 3: vector of 'b' holds NaN"):
        KeyedVectors.load_word2vec_format(path)
    binary = tmp_path / "v.bin"
    with open(binary, "wb") as f:
        f.write(b"2 3\n")
        f.write(b"a " + np.array([1, 2, 3], "<f4").tobytes() + b"\n")
        value = float(bad) if bad != "1e39" else np.inf
        f.write(b"b " + np.array([1, value, 3], "<f4").tobytes() + b"\n")
    with pytest.raises(ValueError, match=r"v.bin': the vector of 'b' \(record 2\) holds NaN"):
        KeyedVectors.load_word2vec_format(binary, binary=True)


def test_a_float64_file_value_beyond_float32_is_kept_when_asked_for_float64(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("1 2\na 1e39 1\n")
    kv = KeyedVectors.load_word2vec_format(path, datatype=np.float64)
    assert kv["a"][0] == 1e39


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 6), d=st.integers(2, 9), smaller=st.integers(1, 8))
def test_a_binary_header_narrower_than_its_records_is_refused(tmp_path_factory, n, d, smaller):
    header_d = max(1, d - smaller)
    rng = np.random.default_rng(n * 100 + d)
    path = tmp_path_factory.mktemp("bin") / "v.bin"
    with open(path, "wb") as f:
        f.write(f"{n} {header_d}\n".encode())
        for i in range(n):
            f.write(f"w{i} ".encode() + rng.normal(size=d).astype("<f4").tobytes() + b"\n")
    with pytest.raises(ValueError, match=r"is the header's dimension|data follows|file ends"):
        KeyedVectors.load_word2vec_format(path, binary=True)


def test_unit_normalize_keeps_vectors_near_the_float32_limit():
    kv = KeyedVectors.from_arrays(["big", "small"], np.array([[3e38, 3e38], [1e-3, 0]]))
    kv.unit_normalize_all()
    np.testing.assert_allclose(kv.vectors, [[2 ** -0.5, 2 ** -0.5], [1, 0]], rtol=1e-6)
    kv = KeyedVectors.from_arrays(["big", "b2"], np.array([[3e38, 3e38], [3e38, -3e38]]))
    assert kv.similarity("big", "b2") == pytest.approx(0.0, abs=1e-6)
    assert kv.most_similar("big", topn=1)[0][1] == pytest.approx(0.0, abs=1e-6)


def test_a_bad_extra_adds_nothing():
    kv = _kv()
    kv.allocate_vecattrs(["count"], [np.int64])
    with pytest.raises((TypeError, ValueError)):
        kv.add_vectors(["new"], np.ones((1, 3)), extras={"count": np.array(["x"])})
    assert len(kv) == 4 and "new" not in kv and kv.vectors.shape == (4, 3)
    assert len(kv.expandos["count"]) == 4


def test_counts_must_be_one_per_key():
    with pytest.raises(ValueError, match="one count per key"):
        KeyedVectors.from_arrays(["a", "b", "c"], np.ones((3, 2)), counts=[5, 4])
    with pytest.raises(ValueError, match=">= 0"):
        KeyedVectors.from_arrays(["a", "b"], np.ones((2, 2)), counts=[5, -4])
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.ones((3, 2)), counts=[1, 3, 2])
    kv.sort_by_descending_frequency()
    assert kv.index_to_key == ["b", "c", "a"]


def test_set_vecattr_does_not_truncate():
    kv = _kv()
    kv.set_vecattr("k0", "count", 3)
    with pytest.raises(TypeError, match="3.7 cannot be stored in the 'count' attribute"):
        kv.set_vecattr("k1", "count", 3.7)
    assert kv.get_vecattr("k1", "count") == 0
    kv.set_vecattr("k1", "count", 4.0)  # a whole number is stored as it is
    assert kv.get_vecattr("k1", "count") == 4


def test_integer_keys_are_looked_up_before_row_numbers():
    kv = KeyedVectors(2)
    kv.add_vector("a", np.array([1.0, 1.0]))
    kv.add_vector(0, np.array([5.0, 6.0]))  # the key 0 lives in row 1
    np.testing.assert_array_equal(kv[0], [5, 6])
    assert kv.get_index(0) == 1 and kv.get_index(1) == 1  # 1 is no key: a row number
    plain = _kv()
    np.testing.assert_array_equal(plain[2], plain["k2"])  # row numbers still work


def test_a_str_is_not_iterated_as_characters():
    kv = _kv()
    for call, name in ((lambda: kv.n_similarity("k1", ["k2"]), "ws1"),
                       (lambda: kv.n_similarity(["k1"], "k2"), "ws2"),
                       (lambda: kv.doesnt_match("k1k2"), "words"),
                       (lambda: kv.vectors_for_all("k1"), "keys")):
        with pytest.raises(TypeError, match=f"{name} must be a list of keys, got the single str"):
            call()
    model = Word2Vec([["a", "b", "c"]] * 30, vector_size=4, min_count=1, epochs=1, workers=1,
                     progress=lambda s: None)
    with pytest.raises(TypeError, match="context_words_list must be a list of words"):
        model.predict_output_word("ab")
    with pytest.raises(ValueError, match="topn"):
        model.predict_output_word(["a"], topn=-2)
    assert len(model.predict_output_word(["a"], topn=2)) == 2


def test_line_sentence_refuses_a_negative_limit(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b\nc d\n")
    with pytest.raises(ValueError, match="limit"):
        LineSentence(path, limit=-1)
    assert list(LineSentence(path, limit=0)) == []
    assert list(LineSentence(path, limit=1)) == [["a", "b"]]


@pytest.mark.parametrize("binary", [False, True])
def test_a_key_given_twice_in_a_vector_file_is_refused_naming_both(tmp_path, binary):
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.arange(6.0).reshape(3, 2))
    path = tmp_path / "v.txt"
    kv.save_word2vec_format(path, binary=binary)
    data = path.read_bytes().replace(b"c ", b"a ") if binary else \
        path.read_text().replace("\nc ", "\na ").encode()
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"v.txt': the key 'a' has a vector twice \(vectors 1 "
                                         r"and 3\)"):
        KeyedVectors.load_word2vec_format(path, binary=binary)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), d=st.integers(1, 4), data=st.data())
def test_a_text_file_loads_exactly_when_all_its_numbers_are_finite(tmp_path_factory, n, d,
                                                                   data):
    values = data.draw(st.lists(st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, width=32),
        st.sampled_from(["nan", "inf", "-inf", "1e39", "-3.5e38"])),
        min_size=n * d, max_size=n * d))
    path = tmp_path_factory.mktemp("txt") / "v.txt"
    lines = [f"k{i} " + " ".join(str(v) for v in values[i * d:(i + 1) * d]) for i in range(n)]
    path.write_text(f"{n} {d}\n" + "\n".join(lines) + "\n")
    bad = [i for i in range(n) if any(isinstance(v, str) for v in values[i * d:(i + 1) * d])]
    if bad:
        with pytest.raises(ValueError, match=f"line {bad[0] + 2}: vector of 'k{bad[0]}'"):
            KeyedVectors.load_word2vec_format(path)
    else:
        kv = KeyedVectors.load_word2vec_format(path)
        np.testing.assert_array_equal(kv.vectors.ravel(), np.array(values, np.float32))


def test_the_wrong_kind_of_file_is_named_for_what_it_is(tmp_path):
    import gzip
    npz = tmp_path / "v.npz"
    _kv().save(npz)
    with pytest.raises(ValueError, match="is an .npz archive, not a word2vec file: read it "
                                         "with KeyedVectors.load"):
        KeyedVectors.load_word2vec_format(npz)
    packed = tmp_path / "v.txt"
    with gzip.open(packed, "wb") as f:
        f.write(b"1 2\na 1 2\n")
    with pytest.raises(ValueError, match="is gzip-compressed but its name does not say so"):
        KeyedVectors.load_word2vec_format(packed)
    with pytest.raises(TypeError, match="vector_size must be an integer, got str"):
        KeyedVectors("a")


def test_evaluation_file_errors_name_the_file_and_line(tmp_path):
    kv = _kv()
    analogies = tmp_path / "q.txt"
    analogies.write_text("k0 k1 k2 k3\n")
    with pytest.raises(ValueError, match=r"analogies '.*q.txt' line 1: a question before"):
        kv.evaluate_word_analogies(analogies)
    pairs = tmp_path / "p.tsv"
    pairs.write_text("k0\tk1\tten\n")
    with pytest.raises(ValueError, match=r"pairs '.*p.tsv' line 1: score 'ten' is not a number"):
        kv.evaluate_word_pairs(pairs)
