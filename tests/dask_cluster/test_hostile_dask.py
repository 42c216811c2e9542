"""rnnfast.dask given hostile input: bad counts refused, a failed count leaves no
partial result behind."""

import os
import subprocess

import numpy as np
import pytest

pytest.importorskip("distributed")

import rnnfast.dask as rd  # noqa: E402
from conftest import local_cluster  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with local_cluster(1) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    path = tmp_path_factory.mktemp("corpus") / "c.txt"
    path.write_text("\n".join(" ".join(rng.choice(words, 25)) for _ in range(600)) + "\n")
    return str(path)


@pytest.mark.parametrize("partitions", [0, -1])
def test_partitions_below_one_are_refused(client, corpus, partitions):
    with pytest.raises(ValueError, match="partitions"):
        rd.build_vocab(corpus, min_count=1, client=client, partitions=partitions)


def test_a_full_disk_leaves_no_partial_blocks(client, corpus, tmp_path):
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    out = tmp_path / "small"
    out.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(out)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        vocab = rd.build_vocab(corpus, min_count=1, client=client)
        (out / "_rnnfast_cooccurrence.json").write_text("{}")  # an earlier run's manifest
        with pytest.raises(OSError, match="No space left on device"):
            rd.cooccurrence(corpus, vocab, str(out), blocks=4, window=10, client=client)
        assert list(out.iterdir()) == []
        with pytest.raises((FileNotFoundError, ValueError)):
            rd.load_blocked_cooccurrence(str(out))
    finally:
        subprocess.run(["umount", str(out)], check=False)
