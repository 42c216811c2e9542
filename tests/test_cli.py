"""The command line, run as a user would."""

import subprocess
import sys

import numpy as np
import pytest

from rnnfast import KeyedVectors, bench
from rnnfast.cli import main
from rnnfast.datasets import toy_corpus


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in toy_corpus(3000)) + "\n")
    return path


def test_word2vec_neighbors_and_evaluate(tmp_path, corpus_file, capsys):
    out = tmp_path / "vectors.txt"
    assert main(["word2vec", str(corpus_file), "-o", str(out), "--dim", "16", "--epochs", "2",
                 "--min-count", "1", "--workers", "1"]) == 0
    assert "wrote" in capsys.readouterr().out
    kv = KeyedVectors.load_word2vec_format(out)
    assert kv.vector_size == 16 and "paris" in kv
    assert main(["neighbors", str(out), "paris", "nosuchword", "--topn", "3"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("paris: ") and "not in the vocabulary" in captured.err
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king\tqueen\t8\nparis\tfrance\t9\nschool\tcrown\t1\n")
    questions = tmp_path / "q.txt"
    questions.write_text(": capitals\nparis france rome italy\n")
    assert main(["evaluate", str(out), "--analogies", str(questions),
                 "--similarity", str(pairs)]) == 0
    text = capsys.readouterr().out
    assert "analogy accuracy" in text and "Spearman" in text


def test_binary_output(tmp_path, corpus_file):
    out = tmp_path / "vectors.bin"
    assert main(["word2vec", str(corpus_file), "-o", str(out), "--binary", "--dim", "8",
                 "--epochs", "1", "--min-count", "1"]) == 0
    assert KeyedVectors.load_word2vec_format(out, binary=True).vector_size == 8


def test_errors_are_reported_not_raised(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert main(["word2vec", str(empty), "-o", str(tmp_path / "v.txt")]) == 2
    assert "is empty" in capsys.readouterr().err
    assert not (tmp_path / "v.txt").exists()
    assert main(["neighbors", str(tmp_path / "missing.txt"), "a"]) == 2
    with pytest.raises(SystemExit):
        main(["word2vec", str(empty), "-o", "x", "--dim", "0"])


def test_demo_runs_and_solves_analogies(tmp_path):
    # one worker: the result is reproducible, however busy the machine
    result = subprocess.run([sys.executable, "-m", "rnnfast", "demo", "--sentences", "20000",
                             "--epochs", "5", "--workers", "1"], capture_output=True, text=True,
                            check=True, cwd=tmp_path)  # not the source tree: the installed package
    assert "man : king :: woman : queen" in result.stdout
    assert "Analogy accuracy" in result.stdout


def test_bench_table():
    rows = bench.run(sizes=[(3, 2, 4, 5)], rounds=1, with_torch=False)
    table = bench.format_table(rows)
    assert "3, 2, 4, 5" in table and "x" in table
    assert rows[0]["rnnfast"] > 0 and rows[0]["reference"] > 0 and rows[0]["sgemm"] > 0
    assert rows[0]["flops"] == bench.step_flops(3, 2, 4, 5) == 6 * 2 * 3 * 5 * (4 + 5)
    assert bench.step_flops(3, 2, 4, 5, 2, True) == 2 * 6 * 2 * 3 * 5 * ((4 + 5) + (10 + 5))
    assert "GFLOPS" in table and "of sgemm" in table
    assert np.isfinite(rows[0]["reference"] / rows[0]["rnnfast"])


def test_glove_command(tmp_path, corpus_file, capsys):
    out = tmp_path / "glove.txt"
    assert main(["glove", str(corpus_file), "-o", str(out), "--dim", "8", "--epochs", "2",
                 "--min-count", "1", "--workers", "1", "--memory-limit", "2GB"]) == 0
    assert "co-occurring pairs" in capsys.readouterr().out
    assert KeyedVectors.load_word2vec_format(out).vector_size == 8
    assert main(["glove", str(corpus_file), "-o", str(out), "--memory-limit", "1MB"]) == 2
    assert "too small for this job" in capsys.readouterr().err


def test_version_and_defaults_in_help(capsys):
    from rnnfast import __version__
    with pytest.raises(SystemExit):
        main(["--version"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"rnnfast {__version__}"
    assert any(line.startswith("  recurrent products: ") for line in lines)
    with pytest.raises(SystemExit):
        main(["glove", "--help"])
    text = capsys.readouterr().out
    assert "(default: 25)" in text and "(default: 0.05)" in text


def test_output_and_resume_are_checked_before_training(tmp_path, corpus_file, capsys):
    reports = []
    import rnnfast.cli as cli
    original = cli._live_progress
    cli._live_progress = lambda: reports.append(1) or original()
    try:
        assert main(["word2vec", str(corpus_file), "-o", str(tmp_path / "no" / "v.txt")]) == 2
        assert "does not exist" in capsys.readouterr().err
        assert main(["glove", str(corpus_file), "-o", str(tmp_path), "--epochs", "1"]) == 2
        assert "is a directory" in capsys.readouterr().err
        assert main(["glove", str(corpus_file), "-o", str(tmp_path / "v.txt"), "--resume"]) == 2
        assert "--resume needs --checkpoint" in capsys.readouterr().err
    finally:
        cli._live_progress = original
    assert reports == []  # no run started


def test_show_config_names_the_vector_paths(capsys):
    import rnnfast
    items = rnnfast.config.config()
    assert items["recurrent products"] in ("avx512", "avx2", "sse2", "portable")
    assert items["other kernels"] in ("avx2", "sse2", "portable")
    rnnfast.show_config()
    out = capsys.readouterr().out
    assert f"recurrent products: {items['recurrent products']}" in out
