"""Facebook's fastText .bin files: the checked-in fixtures read as fastText reads them,
rnnfast's files round trip (and load in fastText where its package is installed), and
every damaged or foreign file is a ValueError naming the file and the field."""

import pathlib
import struct

import numpy as np
import pytest
from conftest import QUIET

from rnnfast import FastText, load_facebook_model, load_facebook_vectors, save_facebook_model
from rnnfast.datasets import toy_corpus
from rnnfast.embeddings import fasttext_bin
from rnnfast.embeddings.vocab import _huffman_paths

FIXTURES = pathlib.Path(__file__).parent.parent / "data" / "fasttext"


@pytest.fixture(scope="module")
def expected():
    with np.load(FIXTURES / "expected.npz") as f:
        return dict(f)


@pytest.mark.parametrize("name", ["rnnfast", "fasttext"])
def test_fixtures_give_fasttexts_vectors(expected, name):
    # fastText's own get_word_vector gave these, for known and unseen words
    kv = load_facebook_vectors(FIXTURES / f"{name}_tiny.bin")
    for word, want in zip(expected["probe"], expected[name]):
        if word in kv:
            np.testing.assert_allclose(kv[word], want, rtol=1e-5, atol=1e-6)
        else:   # fastText gives zeros for a word with no vector; rnnfast, as gensim, a KeyError
            assert word == "</s>" and not want.any()
            with pytest.raises(KeyError):
                kv[word]
    assert (kv.min_n, kv.max_n, kv.bucket, kv.vector_size) == (2, 4, 40, 4)


def test_fasttexts_own_model_trains_further():
    model = load_facebook_model(FIXTURES / "fasttext_tiny.bin")
    assert not model.sg and model.negative == 5 and model.wv.has_index_for("</s>")
    assert len(model.wv._subwords) > len(model.wv)   # n-grams, none for "</s>"
    eos = model.wv.get_index("</s>")
    assert model.wv._subword_ends[eos] - (model.wv._subword_ends[eos - 1] if eos else 0) == 1
    before = model.wv["school"].copy()
    model.train(toy_corpus(200, seed=1), total_examples=200, epochs=1)
    assert not np.array_equal(before, model.wv["school"])


@pytest.fixture(scope="module")
def corpus():
    return toy_corpus(1500, seed=4)


def small_model(corpus, **kw):
    settings = dict(vector_size=8, min_count=2, bucket=300, epochs=1, workers=1, **QUIET)
    settings.update(kw)
    return FastText(corpus, **settings)


@pytest.mark.parametrize("kw", [dict(sg=1), dict(sg=0, hs=1, negative=0), dict(max_n=0)])
def test_round_trip(tmp_path, corpus, kw):
    model = small_model(corpus, **kw)
    path = tmp_path / "m.bin"
    save_facebook_model(model, path)
    back = load_facebook_model(path)
    np.testing.assert_array_equal(back.wv._table, model.wv._table)
    for name in ("syn1neg", "syn1"):
        a, b = getattr(back, name), getattr(model, name)
        assert (a is None) == (b is None) and (a is None or np.array_equal(a, b))
    for word in ("school", "schoolhouse"):
        if word in model.wv:
            np.testing.assert_array_equal(back.wv[word], model.wv[word])
    assert back.vocab.words == model.vocab.words and back.vocab.total_words == \
        model.vocab.total_words
    back.train(corpus, total_examples=len(corpus), epochs=1)


def test_fasttext_loads_rnnfasts_file(tmp_path, corpus):
    fasttext = pytest.importorskip("fasttext")
    model = small_model(corpus, sg=1)
    path = tmp_path / "m.bin"
    save_facebook_model(model, path)
    theirs = fasttext.load_model(str(path))
    for word in model.wv.index_to_key[:30] + ["schoolhouse", "naïveté", "xyzzy"]:
        np.testing.assert_allclose(theirs.get_word_vector(word), model.wv[word], rtol=1e-5,
                                   atol=1e-6)


def test_huffman_ties_as_fasttext_breaks_them():
    # fastText's buildTree, written out: a tie between a word and an inner node takes the node
    def fasttext_tree(counts):
        n = len(counts)
        count = list(counts) + [10**15] * (n - 1)
        parent, binary = [-1] * (2 * n - 1), [0] * (2 * n - 1)
        leaf, node = n - 1, n
        for i in range(n, 2 * n - 1):
            pick = []
            for _ in range(2):
                if leaf >= 0 and count[leaf] < count[node]:
                    pick.append(leaf)
                    leaf -= 1
                else:
                    pick.append(node)
                    node += 1
            count[i] = count[pick[0]] + count[pick[1]]
            parent[pick[0]] = parent[pick[1]] = i
            binary[pick[1]] = 1
        paths = []
        for w in range(n):
            steps, at = [], w
            while parent[at] != -1:
                steps.append((parent[at] - n, binary[at]))
                at = parent[at]
            paths.append(sorted(steps))
        return paths

    counts = np.array([9, 5, 4, 4, 2, 2, 2, 1, 1, 1])
    nodes, codes, ends = _huffman_paths(counts, word_on_tie=False)
    ours = [sorted(zip(nodes[b:e].tolist(), codes[b:e].tolist()))
            for b, e in zip(np.r_[0, ends[:-1]], ends)]
    assert ours == fasttext_tree(counts.tolist())
    assert ours != [sorted(zip(*p)) for p in [(_huffman_paths(counts)[0][b:e].tolist(),
                                                _huffman_paths(counts)[1][b:e].tolist())
                                               for b, e in zip(np.r_[0, ends[:-1]], ends)]]


def test_save_refuses_what_the_format_cannot_hold(tmp_path, corpus):
    with pytest.raises(ValueError, match="holds one loss"):
        save_facebook_model(small_model(corpus, hs=1, negative=3), tmp_path / "m.bin")
    with pytest.raises(TypeError, match="trained rnnfast.FastText"):
        save_facebook_model(FastText(), tmp_path / "m.bin")


# --- damaged and foreign files ---------------------------------------------------------

@pytest.fixture(scope="module")
def good_bytes():
    return (FIXTURES / "rnnfast_tiny.bin").read_bytes()


def header_end(data):
    """The offset of the first dictionary entry."""
    return 8 + struct.calcsize(fasttext_bin._ARGS_FORMAT) + \
        struct.calcsize(fasttext_bin._DICT_HEADER)


def patched(data, offset, fmt, *values):
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, *values)
    return bytes(out)


def args_field(name):
    return 8 + 4 * fasttext_bin._ARGS.index(name)


@pytest.mark.parametrize("change, match", [
    (lambda d: d[:3], "the header is cut off"),
    (lambda d: d[:40], "the argument block is cut off"),
    (lambda d: d[:header_end(d) + 1], "dictionary entry 0 has no end"),
    (lambda d: d[:len(d) // 2], "matrix needs"),
    (lambda d: d[:-5], "the output matrix needs"),
    (lambda d: d + b"\0\0", "bytes after the output matrix"),
    (lambda d: patched(d, 0, "=i", 12345), "the magic number is 12345"),
    (lambda d: patched(d, 4, "=i", 13), "the version is 13"),
    (lambda d: patched(d, args_field("model"), "=i", 3), "supervised classifier"),
    (lambda d: patched(d, args_field("dim"), "=i", -4), "dim is -4"),
    (lambda d: patched(d, args_field("dim"), "=i", 5), "input matrix has shape"),
    (lambda d: patched(d, args_field("maxn"), "=i", 1), "no n-gram fits"),
    (lambda d: patched(d, args_field("loss"), "=i", 9), "the loss is 9"),
    (lambda d: patched(d, 8 + 48, "=d", float("nan")), "the argument t"),
    (lambda d: patched(d, 8 + 56 + 8, "=i", 1), "labels"),
    (lambda d: patched(d, 8 + 56 + 12 + 8, "=q", 5), "pruned"),
])
def test_damaged_files_name_the_field(tmp_path, good_bytes, change, match):
    path = tmp_path / "bad.bin"
    path.write_bytes(change(good_bytes))
    for load in (load_facebook_vectors, load_facebook_model):
        with pytest.raises(ValueError, match=match) as info:
            load(path)
        assert str(path) in str(info.value)


def test_a_huge_declared_matrix_is_refused_before_it_is_read(tmp_path, good_bytes):
    # the input's row count is checked against the header; a header claiming 2^30 rows
    # is refused by the file's size, never allocated
    data = patched(good_bytes, args_field("bucket"), "=i", 2**30)
    path = tmp_path / "huge.bin"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="has shape|needs"):
        load_facebook_vectors(path)


def test_non_finite_rows_and_bad_entries(tmp_path, good_bytes):
    kv = load_facebook_vectors(FIXTURES / "rnnfast_tiny.bin")
    first_float = len(good_bytes) - 4 * (kv._table.size + len(kv) * 4) - 17
    path = tmp_path / "nan.bin"
    path.write_bytes(patched(good_bytes, first_float, "=f", float("nan")))
    with pytest.raises(ValueError, match="input matrix holds NaN"):
        load_facebook_vectors(path)
    entry = header_end(good_bytes)
    word_end = good_bytes.index(b"\0", entry)
    path.write_bytes(patched(good_bytes, word_end + 1 + 8, "=b", 1))
    with pytest.raises(ValueError, match="dictionary entry 0 .* has type 1"):
        load_facebook_vectors(path)
    path.write_bytes(good_bytes[:entry] + b"a b" + good_bytes[word_end:])
    with pytest.raises(ValueError, match="not a word"):
        load_facebook_vectors(path)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        load_facebook_vectors(path)
    path.write_bytes(b"3 2\nthe 0.1 0.2\n")
    with pytest.raises(ValueError, match="load_word2vec_format"):
        load_facebook_vectors(path)
