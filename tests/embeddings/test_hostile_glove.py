"""GloVe and co-occurrence counting given hostile settings: windows up to the
documented limit count, memory_limit bounds what counting adds."""

import os

import numpy as np
import pytest

from rnnfast import GloVe
from rnnfast.embeddings.cooccur import cooccurrence, weight_scale


@pytest.mark.parametrize("window", [42, 43, 708, 709, 5000, 10000])
def test_every_allowed_window_counts(window):
    assert weight_scale(window, True, 1000) >= 1  # it raised OverflowError from 709 on
    rng = np.random.default_rng(window)
    words = [f"w{i}" for i in range(20)]
    sentences = [list(rng.choice(words, 30)) for _ in range(10)]
    matrix = cooccurrence(words, sentences=sentences, window=window, workers=1)
    # every pair of a 30-token sentence is inside a window >= 29: the total weight is
    # 10 sentences x sum over distances d of (30 - d) / d, mirrored
    expected = 10 * 2 * sum((30 - d) / d for d in range(1, 30))
    assert matrix.sum() == pytest.approx(expected, rel=1e-12)
    GloVe(vector_size=2, window=window, min_count=1, epochs=1, workers=1,
          progress=lambda s: None).fit(sentences)


def _peak_growth(call):
    """(result, bytes the process's peak resident size rose above its size before
    `call`), from Linux's VmHWM after resetting it; None where it cannot be read."""
    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        raise OSError(field)

    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # the peak starts again from the size now
        before = status("VmRSS:")
    except OSError:
        pytest.skip("no /proc/self/clear_refs to reset the peak resident size")
    result = call()
    return result, status("VmHWM:") - before


@pytest.fixture(scope="module")
def million_tokens(tmp_path_factory):
    """A 1M-token corpus of 30,000 words (Zipf-like counts), 20 tokens a line."""
    rng = np.random.default_rng(0)
    ids = np.minimum(rng.zipf(1.2, 1_000_000), 30_000) - 1
    words = np.array([f"w{i}" for i in range(30_000)])
    path = tmp_path_factory.mktemp("million") / "c.txt"
    path.write_text("\n".join(" ".join(line) for line in words[ids].reshape(-1, 20)) + "\n")
    return str(path)


@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="AddressSanitizer's shadow memory and quarantine are growth too")
@pytest.mark.parametrize("budget", [64 << 20, 96 << 20])
def test_memory_limit_bounds_what_counting_adds(tmp_path, million_tokens, budget):
    from rnnfast import Vocabulary
    from rnnfast.embeddings.cooccur import cooccurrence_to_file
    vocab = Vocabulary.from_corpus_file(million_tokens, min_count=1, progress=False)
    held = np.ones(300 << 17)  # the caller holds 300 MB already: not counted in the budget
    pairs, growth = _peak_growth(lambda: cooccurrence_to_file(
        vocab, tmp_path / "c.bin", corpus_file=million_tokens, window=10,
        memory_limit=budget, workers=2, progress=False))
    assert pairs > 1_000_000 and held.sum() > 0
    assert growth <= 1.1 * budget, f"counting grew {growth / 2**20:.0f} MiB"
