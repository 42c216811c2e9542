"""`rnnfast classify train` and `predict`: a text classifier from a labelled table, and
clear errors naming the line for the tables users actually have."""

import io
import sys

import numpy as np
import pytest

from rnnfast import RNNClassifier, tokenize
from rnnfast.cli import main
from rnnfast.datasets import toy_corpus


def labelled_table(path, n=600, delimiter="\t"):
    """A table of toy sentences labelled by topic (a person, or a place), raw text."""
    sentences = toy_corpus(n, seed=3)
    rows = [("person" if {"he", "she", "his", "her"} & set(s) else "place",
             " ".join(s).capitalize() + "!") for s in sentences]
    path.write_text(f"label{delimiter}text\n" +
                    "".join(f"{label}{delimiter}{text}\n" for label, text in rows),
                    encoding="utf-8")
    return rows


def test_train_then_predict_labels_and_probabilities(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data.tsv"
    labelled_table(data)
    model = tmp_path / "model.npz"
    assert main(["classify", "train", str(data), "-o", str(model), "--epochs", "5",
                 "--dim", "16", "--hidden", "16", "--learning-rate", "0.01",
                 "--workers", "1"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy ")[1].split("%")[0])
    assert accuracy >= 90.0 and "held-out" in out and str(model) in out
    # the saved model is an RNNClassifier that labels tokenized text
    clf = RNNClassifier.load(model)
    assert sorted(clf.classes_) == ["person", "place"]
    texts = "She wore the crown of the queen\nThe mayor of paris\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(texts.encode())))
    assert main(["classify", "predict", str(model)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == clf.predict([tokenize(t) for t in texts.splitlines()]).tolist()
    (tmp_path / "in.txt").write_text(texts)
    assert main(["classify", "predict", str(model), str(tmp_path / "in.txt"), "--proba"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["label"] + [str(c) for c in clf.classes_]
    probs = np.array([[float(p) for p in line.split("\t")[1:]] for line in lines[1:]])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-3)


def test_columns_by_number_a_csv_and_given_vectors(tmp_path, capsys):
    from rnnfast import Word2Vec
    data = tmp_path / "data.csv"
    rows = labelled_table(data, n=300, delimiter=",")
    vectors = tmp_path / "v.txt"
    Word2Vec([tokenize(t) for _, t in rows], vector_size=8, min_count=1,
             progress=False).wv.save_word2vec_format(str(vectors))
    assert main(["classify", "train", str(data), "-o", str(tmp_path / "m.npz"),
                 "--text-column", "1", "--label-column", "0", "--vectors", str(vectors),
                 "--epochs", "2", "--hidden", "8"]) == 0
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("content, args, message", [
    (b"label\ttext\nham\thello\n", ["--text-column", "body"],
     r"data.tsv:1: no text column 'body'; the header has 'label', 'text'"),
    (b"label\ttext\nham\thello\n\tno label here\n", [], r"data.tsv:3: the label .* is empty"),
    (b"label\ttext\nham\thello\nspam\n", [], r"data.tsv:3: 1 field\(s\), but the text column"),
    (b"label\ttext\nham\thello\nspam\tcaf\xe9 latin-1\n", [],
     r"data.tsv:3: not UTF-8 \(byte 0xe9 at column 9\).*mixes encodings"),
    (b"label\ttext\nham\thello\nham\tbye\n", [], "every row has the label 'ham'"),
    (b"", [], "is empty: it needs a header row"),
    (b"label\ttext\n", [], "has a header but no rows"),
])
def test_bad_tables_are_one_line_errors_naming_the_line(tmp_path, capsys, content, args,
                                                        message):
    data = tmp_path / "data.tsv"
    data.write_bytes(content)
    code = main(["classify", "train", str(data), "-o", str(tmp_path / "m.npz")] + args)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("rnnfast classify: error: ")
    assert __import__("re").search(message, err), err
    assert not (tmp_path / "m.npz").exists()


def test_predict_names_a_line_that_is_not_utf8(tmp_path, capsys):
    data = tmp_path / "data.tsv"
    labelled_table(data, n=200)
    model = tmp_path / "m.npz"
    assert main(["classify", "train", str(data), "-o", str(model), "--epochs", "1",
                 "--dim", "8", "--hidden", "8", "--vector-epochs", "1"]) == 0
    bad = tmp_path / "in.txt"
    bad.write_bytes(b"fine\nnot \xff fine\n")
    assert main(["classify", "predict", str(model), str(bad)]) == 2
    assert "in.txt:2: not UTF-8 (byte 0xff at column 5)" in capsys.readouterr().err
