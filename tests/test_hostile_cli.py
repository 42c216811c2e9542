"""The command line given hostile input: every failure is one line naming the
problem (and the fix, where the error tells it), exit code 2, no traceback."""

import gzip

import numpy as np
import pytest

from rnnfast import KeyedVectors, cli


@pytest.mark.parametrize("error, words", [
    (MemoryError(), "out of memory; try a smaller --max-vocab-size"),
    (MemoryError("Unable to allocate 300 GiB"), "out of memory: Unable to allocate 300 GiB"),
    (FloatingPointError("training diverged; lower alpha"), "training diverged; lower alpha"),
    (OverflowError("int too large"), "a number is too large for the computation"),
    (RuntimeError("no workers"), "no workers"),
    (KeyError("word"), ": word"),
    (OSError(28, "No space left on device", "/data/out.txt"),
     "No space left on device: '/data/out.txt'"),
    (OSError(28, "No space left on device"), "No space left on device"),
    (ZeroDivisionError("division by zero"), "ZeroDivisionError: division by zero (an rnnfast "
                                            "bug? RNNFAST_TRACEBACK=1"),
])
def test_every_error_is_one_line_and_exit_code_2(monkeypatch, capsys, error, words):
    def fail(args):
        raise error

    monkeypatch.setattr(cli, "_cmd_neighbors", fail)
    assert cli.main(["neighbors", "v.txt", "a"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnnfast neighbors: error: ")
    assert words in err and "Traceback" not in err
    monkeypatch.setenv("RNNFAST_TRACEBACK", "1")
    with pytest.raises(type(error)):
        cli.main(["neighbors", "v.txt", "a"])


@pytest.mark.parametrize("argv", [["bench", "--rounds", "0"], ["bench", "--threads", "0"],
                                  ["demo", "--epochs", "-1"]])
def test_counts_below_one_are_refused_by_the_parser(capsys, argv):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2 and "must be >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".txt.gz", ".txt"])
def test_neighbors_reads_the_header_of_a_compressed_file(tmp_path, capsys, suffix):
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3) + 0.1)
    path = tmp_path / f"v{suffix}"
    kv.save_word2vec_format(path)
    if suffix.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            assert f.readline() == b"3 3\n"
    assert cli.main(["neighbors", str(path), "a", "--topn", "1"]) == 0
    assert capsys.readouterr().out.startswith("a: ")
    headless = tmp_path / f"glove{suffix}"
    kv.save_word2vec_format(headless, write_header=False)
    assert cli.main(["neighbors", str(headless), "b", "--topn", "1"]) == 0
