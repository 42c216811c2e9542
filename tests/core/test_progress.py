"""One progress reporter: every long phase reports, in one format."""

import numpy as np

from rnnfast import GloVe, RNNRegressor, Word2Vec
from rnnfast._core.progress import Progress, bar, format_status

KEYS = {"task", "epoch", "epochs", "fraction", "done", "total", "unit", "rate", "eta",
        "elapsed", "figures"}


def corpus_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(f"w{i}" for i in rng.integers(0, 30, 12))
                              for _ in range(300)) + "\n")
    return path


def test_every_phase_of_glove_and_word2vec_reports(tmp_path):
    path = corpus_file(tmp_path)
    reports = []
    GloVe(vector_size=4, epochs=2, min_count=1, workers=2, progress=reports.append).fit(
        corpus_file=path)
    Word2Vec(corpus_file=path, vector_size=4, epochs=2, min_count=1, workers=2,
             progress=reports.append)
    tasks = [r["task"] for r in reports]
    for task in ("vocabulary", "cooccurrence", "merge", "glove", "word2vec"):
        assert task in tasks
        last = [r for r in reports if r["task"] == task][-1]
        assert last["fraction"] == 1.0, task  # every phase ends with its final report
    for r in reports:
        assert KEYS <= set(r) and format_status(r).startswith(r["task"])
    glove_end = [r for r in reports if r["task"] == "glove" and r["epoch"] == 2][-1]
    assert glove_end["cost"] > 0 and glove_end["cost_per_pair"] > 0


def test_rnn_verbose_prints_its_epochs(capsys):
    RNNRegressor(hidden_size=3, epochs=3, verbose=True).fit(np.ones((8, 4, 1)), np.arange(8.0))
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("rnn epoch 3/3  100.0%") and "loss" in lines[-1]


def test_a_stream_of_unknown_length():
    reports = []
    progress = Progress("vocabulary", None, "tokens", reports.append)
    progress.update(1234, force=True, distinct=5)
    assert reports[-1]["fraction"] is None and reports[-1]["eta"] is None
    assert format_status(reports[-1]).startswith("vocabulary  1,234 tokens")


def test_progress_false_is_silent_and_a_wrong_type_is_named(tmp_path, caplog):
    import logging

    import pytest
    path = corpus_file(tmp_path)
    with caplog.at_level(logging.INFO, logger="rnnfast"):
        Word2Vec(corpus_file=path, vector_size=4, epochs=1, min_count=1, progress=False)
    assert not [r for r in caplog.records if r.name == "rnnfast"]
    with caplog.at_level(logging.INFO, logger="rnnfast"):
        Word2Vec(corpus_file=path, vector_size=4, epochs=1, min_count=1)
    assert [r for r in caplog.records if r.name == "rnnfast"]  # None: the logger
    with pytest.raises(TypeError, match="progress must be True or 'bar'.*got 'yes'"):
        Word2Vec(corpus_file=path, vector_size=4, epochs=1, min_count=1, progress="yes")


def test_a_bar_redraws_its_line_and_ends_it_when_the_phase_ends():
    import io
    out = io.StringIO()
    progress = Progress("word2vec", 1000, "words", bar(out, redraw=True), epochs=1)
    progress.update(250, force=True, loss=1.5)
    progress.update(1000, force=True, loss=1.25)
    text = out.getvalue()
    first, second = text.split("\r")[1:]
    assert first.startswith("word2vec |######" + "." * 18 + "|  25.0%") and "ETA" in first
    assert "loss 1.5" in first and second.startswith("word2vec |" + "#" * 24 + "| 100.0%")
    assert text.endswith("\n") and text.count("\n") == 1
    # a phase of unknown length draws its counts; the next phase starts a line of its own
    out = io.StringIO()
    Progress("vocabulary", None, "tokens", bar(out, True)).update(50, force=True)
    Progress("glove", 10, "pairs", bar(out, True)).update(5, force=True)
    assert out.getvalue().startswith("\rvocabulary  50 tokens") and "\n\rglove |" in \
        out.getvalue()


def test_progress_true_draws_a_bar_on_stderr(tmp_path, capsys, monkeypatch):
    import sys
    path = corpus_file(tmp_path)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    Word2Vec(corpus_file=path, vector_size=4, epochs=1, min_count=1, progress=True)
    err = capsys.readouterr().err
    assert "\rword2vec |" + "#" * 24 + "| 100.0%" in err and "ETA" in err
    GloVe(vector_size=4, epochs=1, min_count=1, progress="bar").fit(corpus_file=path)
    assert "\rglove |" in capsys.readouterr().err


def test_a_bar_into_a_log_file_writes_plain_lines():
    import io
    out = io.StringIO()   # not a terminal, not a notebook
    progress = Progress("glove", 10, "pairs", bar(out))
    progress.update(5, force=True)
    progress.update(10, force=True)
    assert "\r" not in out.getvalue() and len(out.getvalue().splitlines()) == 2
