"""Numbers that cannot work are refused, training that goes wrong says so, and every
error names its argument (or file) and what to do."""

import numpy as np
import pytest
from conftest import QUIET

from rnnfast import GloVe, KeyedVectors, RNNRegressor, Vocabulary, Word2Vec, cooccurrence

SENTENCES = [["a", "b", "c", "d", "e", "a", "b"]] * 40


@pytest.mark.parametrize("exponent, what", [(-1000, "underflow"), (1000, "overflow")])
def test_noise_exponents_that_break_the_sampler(exponent, what):
    model = Word2Vec(SENTENCES[:1] * 3 + [["z"] * 400], vector_size=4, min_count=1, epochs=1,
                     workers=1, sample=0, ns_exponent=0.75, **QUIET)
    model.ns_exponent = exponent  # as a user may set it between runs
    with pytest.raises(ValueError, match=f"ns_exponent={exponent} .* {what}"):
        model.train(SENTENCES)


def test_the_alias_sampler_survives_weights_that_are_all_zero():
    from rnnfast.embeddings._sgns import alias_tables
    accept, other = alias_tables(np.zeros(4))
    assert (accept == 0xFFFFFFFF).all() and other.tolist() == [0, 1, 2, 3]


def test_query_arguments():
    kv = KeyedVectors.from_arrays(["a", "b", "c"], np.eye(3))
    with pytest.raises(TypeError, match="topn must be an integer, got float"):
        kv.most_similar("a", topn=1.5)
    with pytest.raises(ValueError, match="topn must be >= 0"):
        kv.most_similar("a", topn=-1)
    with pytest.raises(ValueError, match="restrict_vocab must be >= 1"):
        kv.most_similar("a", restrict_vocab=-1)
    assert [k for k, _ in kv.most_similar("a", topn=np.int64(2))] == ["b", "c"]


def test_vector_file_arguments_and_lying_headers(tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(b"2000000000 3\nab " + b"\x00" * 12 + b"\n" + b"x" * 16)  # 47 bytes
    with pytest.raises(ValueError, match="promises 2,000,000,000 vectors of 3 floats"):
        KeyedVectors.load_word2vec_format(path, binary=True)
    with pytest.raises(TypeError, match="limit must be an integer, got str"):
        KeyedVectors.load_word2vec_format(path, binary=True, limit="2")


def test_memory_limits_and_windows_that_cannot_work():
    vocab = Vocabulary.from_sentences(SENTENCES, min_count=1)
    with pytest.raises(ValueError, match="more than this machine's memory"):
        cooccurrence(vocab, SENTENCES, memory_limit="1000TB")
    with pytest.raises(ValueError, match="more than this machine's memory"):
        cooccurrence(vocab, SENTENCES, memory_limit=10**30)
    with pytest.raises(ValueError, match="window must be <= 10000"):
        cooccurrence(vocab, SENTENCES, window=10**9)
    with pytest.raises(ValueError, match="window must be <= 10000"):
        GloVe(window=10**9)


def test_training_that_diverges_stops_with_a_clear_error():
    with pytest.raises(FloatingPointError, match="diverged in epoch 1.*lower alpha"):
        Word2Vec(SENTENCES, vector_size=4, min_count=1, epochs=2, workers=1, alpha=1e30,
                 **QUIET)
    with pytest.raises(FloatingPointError, match="diverged in epoch .*lower learning_rate"):
        GloVe(vector_size=4, min_count=1, epochs=3, workers=1, learning_rate=1e30, clip=1e30,
              **QUIET).fit(SENTENCES)
    X, y = np.random.default_rng(0).normal(size=(16, 5, 2)), np.arange(16.0)
    with pytest.raises(FloatingPointError, match="gradient is not finite"):
        RNNRegressor(hidden_size=4, epochs=20, optimizer="sgd", learning_rate=1e30,
                     clip_norm=None).fit(X, y)


def test_numpy_scalars_are_numbers_and_strings_are_not():
    X, y = np.ones((4, 3, 1)), np.arange(4.0)
    RNNRegressor(hidden_size=2, epochs=1, learning_rate=np.float32(1e-3)).fit(X, y)
    with pytest.raises(TypeError, match="clip_norm must be a number, got str"):
        RNNRegressor(hidden_size=2, epochs=1, clip_norm="5").fit(X, y)


def test_a_corpus_file_that_changes_during_training(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c d e a b\n" * 200)

    def grow(model, epoch):
        with open(path, "a") as f:
            f.write("a b c\n")

    model = Word2Vec(vector_size=4, min_count=1, epochs=3, workers=2, callbacks=[grow], **QUIET)
    model.build_vocab(corpus_file=path)
    with pytest.raises(ValueError, match="changed during training"):
        model.train(corpus_file=path)


def test_resuming_with_other_settings_is_refused(tmp_path):
    checkpoint = tmp_path / "state.npz"
    GloVe(vector_size=4, min_count=1, epochs=1, workers=1, checkpoint=checkpoint,
          **QUIET).fit(SENTENCES)
    with pytest.raises(ValueError, match="other settings .seed=1 there, 2 here"):
        GloVe(vector_size=4, min_count=1, epochs=2, workers=1, seed=2, checkpoint=checkpoint,
              **QUIET).fit(SENTENCES, resume=True)
    resumed = GloVe(vector_size=4, min_count=1, epochs=2, workers=1, checkpoint=checkpoint,
                    **QUIET).fit(SENTENCES, resume=True)
    assert len(resumed.cost_) == 2


def test_a_short_checkpoint_is_refused_before_any_kernel_reads_it(tmp_path):
    checkpoint = tmp_path / "state.npz"
    model = GloVe(vector_size=4, min_count=1, epochs=1, workers=1, checkpoint=checkpoint,
                  **QUIET).fit(SENTENCES)
    model.state_["b"] = model.state_["b"][:2].copy()  # as a damaged file would load
    model.save(checkpoint)
    with pytest.raises(ValueError, match=r"state.npz' is not a consistent saved file: 'state' "
                                         r".*\['b'\] must have shape"):
        GloVe(vector_size=4, min_count=1, epochs=2, workers=1, checkpoint=checkpoint,
              **QUIET).fit(SENTENCES, resume=True)


def test_save_errors_name_the_target(tmp_path):
    kv = KeyedVectors.from_arrays(["a"], np.ones((1, 2)))
    target = tmp_path / "missing-dir" / "kv.npz"
    with pytest.raises(OSError) as info:
        kv.save(target)
    assert str(target) in str(info.value) and ".tmp-" not in str(info.value)
