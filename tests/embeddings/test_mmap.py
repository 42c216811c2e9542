"""Models loaded with mmap: the same answers, read-only tables refused for training,
copy-on-write ones trained without touching the file, pages shared between processes."""

import os
import subprocess
import sys

import numpy as np
import pytest

from rnnfast import FastText, KeyedVectors, Word2Vec
from rnnfast.embeddings.fasttext import FastTextKeyedVectors

QUIET = {"progress": lambda s: None}
SENTENCES = [["the", "cat", "sat", "on", "a", "mat"], ["a", "dog", "sat", "on", "the", "log"]] * 40


@pytest.mark.parametrize("cls, extra", [(Word2Vec, {}), (FastText, {"bucket": 500})])
def test_a_mapped_model_answers_the_same_and_trains_only_copy_on_write(tmp_path, cls, extra):
    model = cls(SENTENCES, vector_size=8, min_count=1, epochs=2, workers=1, seed=3, **QUIET,
                **extra)
    path = tmp_path / "m.model"
    model.save(path)
    saved = path.read_bytes()
    mapped = cls.load(path, mmap="r")
    assert not mapped.wv.vectors.flags.writeable or cls is FastText   # FastText composes
    assert mapped.wv.most_similar("cat") == model.wv.most_similar("cat")
    assert np.array_equal(mapped.wv["sat"], model.wv["sat"])
    if cls is FastText:
        assert np.array_equal(mapped.wv["catsat"], model.wv["catsat"])   # from n-grams
    with pytest.raises(ValueError, match=r"read-only .*mmap='c'"):
        mapped.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    private = cls.load(path, mmap="c")
    private.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    model.train(SENTENCES, total_examples=len(SENTENCES), epochs=1)
    assert np.array_equal(private.wv.vectors, model.wv.vectors)
    assert path.read_bytes() == saved


_CHILD = """
import sys, numpy as np
from rnnfast import KeyedVectors
from rnnfast.embeddings.fasttext import FastTextKeyedVectors
def anon():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("RssAnon:")) * 1024
before = anon()
cls = FastTextKeyedVectors if sys.argv[3] == "fasttext" else KeyedVectors
kv = cls.load(sys.argv[1], mmap=None if sys.argv[2] == "none" else sys.argv[2])
top = kv.most_similar("w7", topn=3)
kv.similar_by_vector(kv["w9"], topn=3)
kv.most_similar("unseen", topn=3) if cls is FastTextKeyedVectors else None
print(anon() - before)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc (Linux)")
@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="AddressSanitizer's shadow memory is private growth too")
@pytest.mark.parametrize("kind", ["keyedvectors", "fasttext"])
def test_processes_that_map_one_file_share_its_pages(tmp_path, kind):
    """A process that maps 128 MB of vectors (or of FastText's n-gram rows) and queries
    them holds far less private memory than their size (their pages are the file's,
    shared through the page cache); one that reads them holds at least that much."""
    rng = np.random.default_rng(0)
    path = tmp_path / "big.kv"
    if kind == "keyedvectors":
        n, d = 40_000, 800
        KeyedVectors.from_arrays([f"w{i}" for i in range(n)],
                                 rng.standard_normal((n, d), dtype=np.float32)).save(path)
        size = n * d * 4
    else:
        words, d, bucket = [f"w{i}" for i in range(1000)], 100, 320_000
        table = rng.standard_normal((len(words) + bucket, d), dtype=np.float32)
        FastTextKeyedVectors._over_table(words, table, None, 3, 6, bucket).save(path)
        size = bucket * d * 4

    def private_growth(mmap):
        # run outside the source tree: there `import rnnfast` would find the uncompiled sources
        out = subprocess.run([sys.executable, "-c", _CHILD, str(path), mmap, kind],
                             capture_output=True, text=True, cwd=tmp_path)
        assert out.returncode == 0, out.stderr[-2000:]
        return int(out.stdout.strip().splitlines()[-1])

    mapped, read = private_growth("r"), private_growth("none")
    assert read >= 0.9 * size
    assert mapped < 0.25 * size, (mapped, size)
