"""Vocabulary counting (Python and C), corpus files and the byte-range reader."""

import gzip
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rnnfast import LineSentence, Vocabulary
from rnnfast.embeddings._vocab import TokenTable


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def test_sorted_by_count_then_by_bytes():
    sentences = [["b", "a", "c", "a"], ["c", "d", "b"], ["é", "e"]]
    vocab = Vocabulary.from_sentences(sentences, min_count=1)
    assert vocab.words == ["a", "b", "c", "d", "e", "é"]
    assert vocab.counts.tolist() == [2, 2, 2, 1, 1, 1]
    assert vocab.total_words == 9 and vocab.n_sentences == 3
    assert vocab.key_to_index["c"] == 2 and "z" not in vocab


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.text(st.sampled_from("ab\x00é\U0001f600"), max_size=3).map(lambda t: "prefix12" * (
        len(t) % 2) + t) | st.text(max_size=10), st.integers(1, 3), max_size=40))
def test_vocabulary_order_is_a_sort_by_count_then_bytes(counted):
    """The numpy sort on an 8-byte prefix, then whole bytes inside its ties, against
    Python's sort of (falling count, bytes): words sharing 8+ bytes, NULs, short words."""
    from rnnfast.embeddings.vocab import _count_then_bytes_order
    words = list(counted)
    counts = np.array([counted[w] for w in words], np.int64)
    expected = sorted(words, key=lambda w: (-counted[w], w.encode("utf-8")))
    encoded = [w.encode("utf-8") for w in words]
    assert [words[i] for i in _count_then_bytes_order(encoded, counts)] == expected


def test_min_count_and_max_vocab_size():
    sentences = [["a"] * 5 + ["b"] * 3 + ["c"] * 2 + ["d"]]
    assert Vocabulary.from_sentences(sentences, min_count=3).words == ["a", "b"]
    pruned = Vocabulary.from_sentences([["x", "y", "z", "x", "x"], ["y", "w", "x"]] * 3,
                                       min_count=1, max_vocab_size=2)
    assert pruned.words[0] == "x" and len(pruned) <= 3


def test_file_counting_in_c_equals_python(tmp_path):
    text = ("the quick  brown fox\r\n\tjumps over the lazy dog\n\n"
            "the end é ü\n   \nno trailing newline the")
    path = write(tmp_path, "c.txt", text)
    from_file = Vocabulary.from_corpus_file(path, min_count=1)
    from_python = Vocabulary.from_sentences(LineSentence(path), min_count=1)
    assert from_file.words == from_python.words
    assert from_file.counts.tolist() == from_python.counts.tolist()
    assert from_file.total_words == from_python.total_words == 17
    assert from_file.n_sentences == 4


@pytest.mark.parametrize("parts", [1, 2, 3, 7, 50])
def test_byte_ranges_cover_each_line_once(tmp_path, parts):
    rng = np.random.default_rng(parts)
    lines = [" ".join(f"w{rng.integers(30)}" for _ in range(rng.integers(0, 9)))
             for _ in range(200)]
    path = write(tmp_path, "r.txt", "\n".join(lines) + "\n")
    size = os.path.getsize(path)
    stop = np.zeros(1, np.intc)

    def count(table, start, end):
        totals = np.zeros(3, np.int64)
        assert table.count_file(os.fsencode(path), start, end, 0, totals, stop)
        assert totals[2] == end - start  # bytes read: the whole range
        return totals[:2]

    whole = TokenTable(16)
    total = count(whole, 0, size)
    split = TokenTable(16)
    bounds = sorted({0, size, *rng.integers(0, size, parts - 1).tolist()})
    sums = np.sum([count(split, a, b) for a, b in zip(bounds[:-1], bounds[1:])], axis=0)
    assert tuple(sums) == tuple(total)
    assert dict(zip(*whole.items())) == dict(zip(*split.items()))


def test_long_tokens_are_cut(tmp_path):
    path = write(tmp_path, "long.txt", "x" * 5000 + " y\n")
    vocab = Vocabulary.from_corpus_file(path, min_count=1)
    assert sorted(len(w) for w in vocab.words) == [1, 1000]


@pytest.mark.parametrize("content, match", [
    (b"", "is empty"),
    (b"   \n\n\t\n", "is empty"),
    (b"abc\x00def\n", "looks binary"),
    (gzip.compress(b"hello world\n"), "gzip-compressed"),
    (b"\xff\xfe bad utf8\n", "not UTF-8"),
])
def test_bad_corpus_files(tmp_path, content, match):
    path = write(tmp_path, "bad.txt", content)
    with pytest.raises(ValueError, match=match):
        Vocabulary.from_corpus_file(path, min_count=1)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Vocabulary.from_corpus_file(str(tmp_path / "nope.txt"))
    with pytest.raises(ValueError, match="not a regular file"):
        Vocabulary.from_corpus_file(str(tmp_path))


def test_no_word_reaches_min_count_and_empty_corpus(tmp_path):
    with pytest.raises(ValueError, match="no word of .* occurs min_count=5 times"):
        Vocabulary.from_sentences([["a", "b", "a"]], min_count=5)
    with pytest.raises(ValueError, match="is empty"):
        Vocabulary.from_sentences([[], []], min_count=1)
    with pytest.raises(ValueError, match="is empty"):
        Vocabulary.from_sentences([], min_count=1)


def test_bad_sentences():
    with pytest.raises(TypeError, match="tokens must be str"):
        Vocabulary.from_sentences([["a", 3]], min_count=1)
    with pytest.raises(TypeError, match="each sentence must be a list of str tokens"):
        Vocabulary.from_sentences(["a sentence as one string"], min_count=1)
    with pytest.raises(TypeError, match="got a single str"):
        Vocabulary.from_sentences("abc", min_count=1)
    with pytest.raises(TypeError, match="got int"):
        Vocabulary.from_sentences(5, min_count=1)
    with pytest.raises(ValueError, match="min_count must be >= 1"):
        Vocabulary.from_sentences([["a"]], min_count=0)


def test_line_sentence_streams_compressed_files(tmp_path):
    import bz2
    import lzma
    text = "a b c\nd e\n"
    for ext, compress in ((".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)):
        path = write(tmp_path, "s" + ext, compress(text.encode()))
        sentences = LineSentence(path)
        assert list(sentences) == [["a", "b", "c"], ["d", "e"]]
        assert list(sentences) == [["a", "b", "c"], ["d", "e"]]  # the same object, again
    assert list(LineSentence(write(tmp_path, "long.txt", "a b c d e\n"), max_sentence_length=2)) \
        == [["a", "b"], ["c", "d"], ["e"]]
    broken = write(tmp_path, "broken.gz", gzip.compress(text.encode())[:-12])
    with pytest.raises(ValueError, match="could not read"):
        list(LineSentence(broken))


def test_keep_probabilities_follow_word2vec():
    vocab = Vocabulary(["a", "b"], [900, 100])
    keep = vocab.keep_probabilities(1e-2)
    threshold = 1e-2 * 1000
    expected = [(np.sqrt(c / threshold) + 1) * threshold / c for c in (900, 100)]
    np.testing.assert_allclose(keep, np.minimum(expected, 1))
    assert (vocab.keep_probabilities(0) == 1).all()


def test_a_nul_byte_anywhere_is_refused_by_every_reader(tmp_path):
    from rnnfast import GloVe, Word2Vec, cooccurrence
    text = ("a b c d\n" * 20000).encode()  # 160 KB: past the first 64 KiB that is sniffed
    path = write(tmp_path, "late-nul.txt", text + b"e f\x00g\n")
    quiet = {"progress": lambda status: None}
    with pytest.raises(ValueError, match="holds a NUL byte"):
        Vocabulary.from_corpus_file(path, min_count=1)
    vocab = Vocabulary.from_sentences([["a", "b", "c", "d"]], min_count=1)
    with pytest.raises(ValueError, match="holds a NUL byte"):
        cooccurrence(vocab, corpus_file=path, workers=2)
    model = Word2Vec(vector_size=4, min_count=1, workers=2, **quiet)
    model.build_vocab([["a", "b", "c", "d"]])
    with pytest.raises(ValueError, match="holds a NUL byte"):
        model.train(corpus_file=path)
    with pytest.raises(ValueError, match="NUL byte"):
        list(LineSentence(path))
    with pytest.raises(ValueError, match="holds a NUL byte"):
        GloVe(vector_size=4, min_count=1, workers=1, **quiet).fit(corpus_file=path)


def test_leading_whitespace_is_not_an_empty_file(tmp_path):
    path = write(tmp_path, "spaced.txt", " " * 70000 + "\n" * 10 + "a b a\n")
    assert Vocabulary.from_corpus_file(path, min_count=1).words == ["a", "b"]
    with pytest.raises(ValueError, match="is empty: it holds no token"):
        Vocabulary.from_corpus_file(write(tmp_path, "blank.txt", " \n" * 50000))


def test_line_sentence_names_a_directory(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        LineSentence(tmp_path)


# words the table holds in their slot (up to 12 bytes) and elsewhere, some alike in
# their first 12 bytes
TABLE_WORDS = st.binary(max_size=30) | st.binary(max_size=4).map(lambda b: b"stem-of-12by" + b)


@given(st.lists(TABLE_WORDS, max_size=60), st.lists(TABLE_WORDS, max_size=20))
@settings(max_examples=200, deadline=None)
def test_token_lookup_finds_each_word_at_its_first_index(words, others):
    table = TokenTable.from_words(words)
    first = {}
    for i, w in enumerate(words):
        first.setdefault(w, i)
    for w in words + others:
        assert table.index(w) == first.get(w, -1)


# Pairs of words the table's hash (32-bit FNV-1a) maps alike, found by search: only
# the comparison of their bytes and lengths keeps them apart
COLLIDING = [(b"pinpunad", b"zklwvcfl"),                    # held in their slots
             (b"shared-stem-uplpb", b"shared-stem-oumzt"),  # held apart, alike for 12 bytes
             (b"nkoaiqjz", b"nkoaiqjz\x00")]                # alike once zero-padded


def fnv1a(word):
    h = 2166136261
    for byte in word:
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


@pytest.mark.parametrize("a, b", COLLIDING)
def test_words_of_one_hash_are_told_apart(tmp_path, a, b):
    assert fnv1a(a) == fnv1a(b) and a != b
    table = TokenTable.from_words([a, b])
    assert (table.index(a), table.index(b), table.index(a + b)) == (0, 1, -1)
    if b"\x00" not in a + b:
        path = write(tmp_path, "c.txt", a + b" " + a + b" " + b + b"\n")
        counted, totals = TokenTable(16), np.zeros(3, np.int64)
        counted.count_file(os.fsencode(path), 0, os.path.getsize(path), 0, totals,
                           np.zeros(1, np.intc))
        assert dict(zip(*counted.items())) == {a: 2, b: 1}


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=30) | st.text(min_size=1, max_size=8).map(
    lambda t: t.encode("utf-8", "surrogatepass")))
def test_the_tables_utf8_check_agrees_with_pythons_decoder(word):
    try:
        word.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert (TokenTable.from_words([word]).first_invalid_utf8() is None) == valid


def test_a_rare_word_that_is_not_utf8_is_still_refused(tmp_path):
    """Words below min_count never become Python strings; their bytes are still checked."""
    path = write(tmp_path, "c.txt", b"a a a a a b b b b b \xc3\x28 \n")
    with pytest.raises(ValueError, match="not UTF-8"):
        Vocabulary.from_corpus_file(path, min_count=5)


def test_only_the_kept_words_are_taken_from_the_table(tmp_path):
    path = write(tmp_path, "c.txt", "a " * 7 + "b " * 2 + "c " * 5 + "\n")
    table, totals = TokenTable(16), np.zeros(3, np.int64)
    table.count_file(os.fsencode(path), 0, os.path.getsize(path), 0, totals,
                     np.zeros(1, np.intc))
    words, counts = table.items(5)
    assert dict(zip(words, counts.tolist())) == {b"a": 7, b"c": 5}
    assert dict(zip(*table.items())) == {b"a": 7, b"b": 2, b"c": 5}
    assert table.max_count() == 7 and len(table) == 3
    assert len(table.items(8)[0]) == len(table.items(8)[1]) == 0
    vocab = Vocabulary.from_corpus_file(path, min_count=5)
    assert vocab.words == ["a", "c"] and vocab.total_words == 14


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       max_vocab_size=st.integers(2, 40) | st.integers(600, 800))
def test_pruning_in_c_equals_gensims_rule_in_python(tmp_path_factory, seed, max_vocab_size):
    """One token a line, so the C counter's pruning after a token and the Python
    counter's after a sentence see the same table: many prunes, the table's slots
    reused from one prune to the next, and (past 512 words) a table that grows in
    between. A third of the words are too long to sit in their slot, so their bytes
    are pruned and moved too."""
    rng = np.random.default_rng(seed)
    tokens = [f"w{i}" if i % 3 else f"a-long-shared-stem-{i}"
              for i in np.minimum(rng.zipf(1.3, 3000), 2500)]
    path = write(tmp_path_factory.mktemp("prune"), "c.txt", "\n".join(tokens) + "\n")
    from rnnfast.embeddings.vocab import EmptyVocabularyError

    def count(how):
        try:
            return how()
        except EmptyVocabularyError:   # the rule can prune every word: both must say so
            return None
    from_file = count(lambda: Vocabulary.from_corpus_file(path, 1, max_vocab_size,
                                                          progress=False))
    from_python = count(lambda: Vocabulary.from_sentences([[t] for t in tokens], 1,
                                                          max_vocab_size, progress=False))
    assert (from_file is None) == (from_python is None)
    if from_file is None:
        return
    assert from_file.words == from_python.words
    assert from_file.counts.tolist() == from_python.counts.tolist()
