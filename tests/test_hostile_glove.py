"""GloVe and co-occurrence counting given hostile settings: windows up to the
documented limit count, memory_limit bounds what counting adds."""

import numpy as np
import pytest

from rnnfast import GloVe
from rnnfast.cooccur import cooccurrence, weight_scale


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
