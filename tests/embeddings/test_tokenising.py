"""One tokenising contract: the C reader of corpus_file= and LineSentence cut a file alike."""

import io
import os

import numpy as np
import pytest
from conftest import QUIET
from hypothesis import given, settings, strategies as st

from rnnfast import LineSentence, PathLineSentences, Vocabulary, Word2Vec
from rnnfast.embeddings._vocab import TokenTable

# pieces a line is made of: words (ASCII, accented, CJK, over the 1,000-byte token
# limit with a 2-byte character across it), the six C spaces, and spaces only
# Python's str.split() knows (no-break space, U+2003, the ASCII separators 0x1c-0x1f)
WORDS = ["alpha", "beta", "délta", "ε", "日本", "x" * 1200, "é" * 700, "a\u00a0b", "c\x1cd"]
SPACES = [" ", "\t", "\x0b", "\x0c", "\r", "  ", " \u2003 "]


def c_sentences(path):
    """The sentences the C reader sees, as (tokens counted, vocabulary counts)."""
    table = TokenTable(16)
    totals = np.zeros(3, np.int64)
    size = os.path.getsize(path)
    table.count_file(os.fsencode(path), 0, size, 0, totals, np.zeros(1, np.intc))
    words, counts = table.items()
    return int(totals[0]), int(totals[1]), {w.decode(): int(c) for w, c in zip(words, counts)}


def py_sentences(path):
    sentences = list(LineSentence(path))
    counts = {}
    for s in sentences:
        for t in s:
            counts[t] = counts.get(t, 0) + 1
    return sum(map(len, sentences)), len(sentences), counts


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.lists(st.tuples(st.sampled_from(WORDS + ["w1", "w2"]),
                                         st.sampled_from(SPACES)), max_size=12),
                      max_size=12),
       ending=st.sampled_from(["\n", "\r\n"]), last_newline=st.booleans())
def test_c_reader_and_line_sentence_cut_alike(tmp_path_factory, lines, ending, last_newline):
    text = ending.join("".join(w + s for w, s in line) for line in lines)
    path = tmp_path_factory.mktemp("tok") / "c.txt"
    path.write_bytes((text + (ending if last_newline else "")).encode("utf-8"))
    assert c_sentences(path) == py_sentences(path)


def test_long_token_is_cut_on_a_character_boundary(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(("a" + "é" * 700 + " b\n").encode("utf-8"))  # 1,401 bytes
    cut = "a" + "é" * 499  # 999 bytes: the 1,000th would split an é
    assert c_sentences(path)[2] == {cut: 1, "b": 1}
    assert list(LineSentence(path)) == [[cut, "b"]]


def test_corpus_file_and_line_sentence_train_the_same_vectors(tmp_path):
    rng = np.random.default_rng(1)
    words = WORDS + [f"w{i}" for i in range(40)]
    lines = []
    for _ in range(300):
        n = rng.integers(0, 30)
        picks = [words[j] for j in rng.integers(0, len(words), n)]
        spaces = rng.choice(SPACES, n)
        lines.append("".join(t + s for t, s in zip(picks, spaces)))
    lines.append(" ".join(words[j] for j in rng.integers(0, len(words), 25000)))  # > 10,000
    text = "\r\n".join(lines[:150]) + "\n" + "\n".join(lines[150:])
    path = tmp_path / "c.txt"
    path.write_bytes(text.encode("utf-8"))
    for sg in (0, 1):
        settings = dict(vector_size=16, window=3, min_count=1, epochs=2, workers=1, seed=5,
                        sg=sg, **QUIET)
        from_file = Word2Vec(corpus_file=path, **settings)
        from_lines = Word2Vec(sentences=LineSentence(path), **settings)
        assert from_file.vocab.words == from_lines.vocab.words
        assert from_file.vocab.total_words == from_lines.vocab.total_words
        assert from_file.vocab.n_sentences == from_lines.vocab.n_sentences
        assert np.array_equal(from_file.wv.vectors, from_lines.wv.vectors)
        assert np.array_equal(from_file.syn1neg, from_lines.syn1neg)
        assert from_file.training_loss_ == from_lines.training_loss_
    # and a Vocabulary counted either way is the same
    assert Vocabulary.from_corpus_file(path, 1).words == \
        Vocabulary.from_sentences(LineSentence(path), 1).words


def test_line_sentence_reads_open_files_text_or_binary(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes("a b c\nd\u00e9 e\n\nf\n".encode())
    expected = list(LineSentence(path))
    assert expected == [["a", "b", "c"], ["d\u00e9", "e"], ["f"]]  # a blank line is no sentence
    with open(path, "rb") as binary, open(path, encoding="utf-8") as text:
        for f in (binary, text):
            sentences = LineSentence(f)
            assert list(sentences) == expected
            assert list(sentences) == expected  # each pass starts again from the top
    assert list(LineSentence(io.BytesIO(path.read_bytes()), limit=2)) == expected[:2]

    class OnePass(io.RawIOBase):  # a pipe: cannot seek
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readinto(self, b):
            return self.inner.readinto(b)

        def readable(self):
            return True

    once = LineSentence(io.BufferedReader(OnePass(path.read_bytes())))
    assert list(once) == expected
    with pytest.raises(ValueError, match="cannot be rewound"):
        list(once)
    with pytest.raises(TypeError, match="a path or an open file"):
        LineSentence(42)


def test_path_line_sentences_reads_a_directory_in_name_order(tmp_path):
    (tmp_path / "b.txt").write_text("third line\n")
    (tmp_path / "a.txt").write_text("first\nsecond\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "z.txt").write_text("skipped\n")
    sentences = PathLineSentences(tmp_path)
    assert list(sentences) == [["first"], ["second"], ["third", "line"]]
    assert list(PathLineSentences(tmp_path, limit=1)) == [["first"], ["third", "line"]]
    assert list(PathLineSentences(tmp_path / "b.txt")) == [["third", "line"]]
    with pytest.raises(FileNotFoundError):
        PathLineSentences(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no file"):
        PathLineSentences(tmp_path / "empty")
