"""Word2Vec: skip-gram with negative sampling, trained by C kernels on many threads.

The arguments follow gensim's `Word2Vec`, so `from rnnfast import Word2Vec`
replaces `from gensim.models import Word2Vec` (skip-gram only: `sg=1`).
"""

import collections.abc
import os

import numpy as np

from rnnfast import _checks, _workers, persist
from rnnfast.corpus import byte_ranges, check_corpus_file, check_sentences, check_unchanged
from rnnfast.keyedvectors import KeyedVectors
from rnnfast.progress import Progress
from rnnfast.vocab import Vocabulary

__all__ = ["Word2Vec"]

# Words per job handed to a worker thread when training from an iterable.
JOB_WORDS = 10000
# A window's rows must fit the kernel's fixed-size tables (RF_MAX_WINDOW_ROWS = 512).
MAX_WINDOW = 256
MAX_NEGATIVE = 511
# The layout of a saved model (persist checks it on load).
FORMAT_VERSION = 1


class Word2Vec:
    """Skip-gram word2vec with negative sampling.

    Give `sentences` (a re-iterable of token lists) or `corpus_file` (a text
    file, one sentence per line, tokens separated by whitespace) to build the
    vocabulary and train at once; or call `build_vocab` and `train` yourself.

    After training: `wv` (KeyedVectors of the input vectors), `training_loss_`
    (mean pair loss per epoch), `vocab` (the Vocabulary). With `workers=1` and a
    fixed `seed` two runs give bit-identical vectors.
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, window=5, min_count=5,
                 max_vocab_size=None, sample=1e-3, negative=5, ns_exponent=0.75, alpha=0.025,
                 min_alpha=0.0001, epochs=5, workers=None, seed=1, shrink_windows=True,
                 sg=1, hs=0, callbacks=(), progress=None):
        if sg != 1 or hs != 0:
            raise ValueError("rnnfast trains skip-gram with negative sampling only "
                             "(sg=1, hs=0)")
        self.vector_size = _checks.check_index("vector_size", vector_size, low=1)
        self.window = _checks.check_index("window", window, low=1, high=MAX_WINDOW)
        self.min_count = _checks.check_index("min_count", min_count, low=1)
        self.max_vocab_size = _checks.check_index("max_vocab_size", max_vocab_size, low=1,
                                                  optional=True)
        self.negative = _checks.check_index("negative", negative, low=1, high=MAX_NEGATIVE)
        self.epochs = _checks.check_index("epochs", epochs, low=1)
        self.workers = _workers.check_workers(workers)
        self.seed = _checks.check_index("seed", seed, low=0)
        self.sample = _checks.check_number("sample", sample, low=0.0)
        self.ns_exponent = _checks.check_number("ns_exponent", ns_exponent)
        self.alpha = _checks.check_number("alpha", alpha, low=0.0, high=_checks.FLOAT32_MAX)
        self.min_alpha = _checks.check_number("min_alpha", min_alpha, low=0.0,
                                              high=_checks.FLOAT32_MAX)
        self.shrink_windows = bool(shrink_windows)
        self.callbacks = list(callbacks)
        self.progress = progress
        self.sg, self.hs = 1, 0
        self.vocab = None
        self.wv = None
        self.context_vectors = None  # (V, d) float32, word2vec's "syn1neg"
        self.training_loss_ = []
        if sentences is not None and corpus_file is not None:
            _checks.check_one_source(sentences, corpus_file)
        if isinstance(sentences, collections.abc.Iterator):
            raise TypeError("sentences is a one-shot iterator (a generator?), but building "
                            "the vocabulary and training take separate passes; pass a list "
                            "or a re-iterable object such as rnnfast.LineSentence")
        if sentences is not None or corpus_file is not None:
            self.build_vocab(sentences, corpus_file)
            self.train(sentences, corpus_file)

    # --- vocabulary ------------------------------------------------------------------

    def build_vocab(self, corpus_iterable=None, corpus_file=None):
        """Count the corpus, keep words seen min_count times, and initialise the vectors."""
        _checks.check_one_source(corpus_iterable, corpus_file, "corpus_iterable")
        if corpus_file is not None:
            self.vocab = Vocabulary.from_corpus_file(corpus_file, self.min_count,
                                                     self.max_vocab_size, self.progress)
        else:
            self.vocab = Vocabulary.from_sentences(corpus_iterable, self.min_count,
                                                   self.max_vocab_size, self.progress)
        V, d = len(self.vocab), self.vector_size
        rng = np.random.default_rng(self.seed)
        # as word2vec: input vectors uniform in [-0.5/d, 0.5/d), output vectors zero
        vectors = ((rng.random((V, d), dtype=np.float32) - 0.5) / d).astype(np.float32)
        self.context_vectors = np.zeros((V, d), np.float32)
        self.wv = KeyedVectors.from_arrays(self.vocab.words, vectors, self.vocab.counts)
        self.training_loss_ = []
        return self

    # --- training --------------------------------------------------------------------

    def train(self, corpus_iterable=None, corpus_file=None, epochs=None, progress=None):
        """Train for `epochs` (default: the constructor's) over the corpus; returns self."""
        if self.vocab is None:
            raise RuntimeError("call build_vocab before train (or pass the corpus to Word2Vec)")
        _checks.check_one_source(corpus_iterable, corpus_file, "corpus_iterable")
        epochs = self.epochs if epochs is None else _checks.check_index("epochs", epochs, low=1)
        if corpus_file is not None:
            run_epoch = self._file_epoch_runner(*check_corpus_file(corpus_file))
        else:
            check_sentences(corpus_iterable, "corpus_iterable")
            if epochs > 1 and isinstance(corpus_iterable, collections.abc.Iterator):
                raise TypeError("corpus_iterable is a one-shot iterator (a generator?) but "
                                f"training takes {epochs} passes; pass a list or a "
                                "re-iterable object such as rnnfast.LineSentence")
            run_epoch = self._iterable_epoch_runner(corpus_iterable)
        total = max(self.vocab.total_words, 1)
        report = Progress("word2vec", total, "words",
                          progress if progress is not None else self.progress, epochs)
        seeds = np.random.SeedSequence(self.seed).generate_state(self.workers, np.uint64)
        rng_states = [seeds[i:i + 1].copy() for i in range(self.workers)]
        model = self._kernel_model()
        from rnnfast._sgns import STATS_DTYPE
        for epoch in range(epochs):
            stats = np.zeros(self.workers, STATS_DTYPE)
            alphas = (self._alpha_at(epoch / epochs), self._alpha_at((epoch + 1) / epochs))

            def poll(epoch=epoch, stats=stats):
                words, pairs = int(stats["words"].sum()), int(stats["pairs"].sum())
                report.update(epoch * total + words, epoch,
                              alpha=self._alpha_at((epoch + words / total) / epochs),
                              loss=float(stats["loss"].sum()) / pairs if pairs else None)

            try:
                run_epoch(model, epoch, alphas, rng_states, stats, poll)
            finally:
                self.wv.vectors_changed()
            if not (_checks.all_finite(self.wv.vectors) and
                    _checks.all_finite(self.context_vectors)):
                raise FloatingPointError(f"training diverged in epoch {epoch + 1}: the vectors "
                                         f"hold NaN or infinity; lower alpha (now {self.alpha})")
            pairs = int(stats["pairs"].sum())
            self.training_loss_.append(float(stats["loss"].sum()) / pairs if pairs else float("nan"))
            for cb in self.callbacks:
                if hasattr(cb, "on_epoch_end"):
                    cb.on_epoch_end(self)
                else:
                    cb(self, epoch)
        report.update(epochs * total, epochs - 1, force=True, alpha=self._alpha_at(1.0),
                      loss=self.training_loss_[-1])
        return self

    def _alpha_at(self, fraction):
        """The learning rate when `fraction` of all epochs' words are done."""
        return self.alpha - (self.alpha - self.min_alpha) * min(max(fraction, 0.0), 1.0)

    def _kernel_model(self):
        from rnnfast._sgns import SGNSModel, alias_tables

        keep = self.vocab.keep_probabilities(self.sample)
        keep_below = np.where(keep >= 1.0, 0xFFFFFFFF,
                              np.minimum(keep * 2.0**32, 0xFFFFFFFE)).astype(np.uint32)
        accept, other = alias_tables(self.vocab.noise_weights(self.ns_exponent))
        _checks.check_sgns_tables(self.wv.vectors, self.context_vectors)
        return SGNSModel(self.wv.vectors, self.context_vectors, keep_below, accept, other,
                         self.negative, self.window, self.shrink_windows)

    def _file_epoch_runner(self, path, size):
        """Each worker trains on its own byte range of the file, reading included."""
        from rnnfast._vocab import TokenTable

        table = TokenTable.from_words([w.encode("utf-8") for w in self.vocab.words])
        ranges = byte_ranges(size, self.workers)
        encoded_path = os.fsencode(path)
        # the raw words a range holds, for its learning rate: all of them with one worker
        expected = [self.vocab.total_words * (end - start) // max(size, 1)
                    for start, end in ranges]

        def run_epoch(model, epoch, alphas, rng_states, stats, poll):
            stop = _workers.StopFlag()

            def worker(i):
                return lambda: model.train_file(table, encoded_path, *ranges[i], rng_states[i],
                                                *alphas, expected[i], stats, i, stop.array)

            _workers.run([worker(i) for i in range(self.workers)], stop, poll)
            check_unchanged(path, size)

        return run_epoch

    def _iterable_epoch_runner(self, sentences):
        """A producer thread turns the sentences into id batches for the workers."""
        key_to_index = self.vocab.key_to_index
        total = self.vocab.total_words

        def run_epoch(model, epoch, alphas, rng_states, stats, poll):
            stop = _workers.StopFlag()
            words_before = [0]
            jobs = _workers.id_batches(sentences, key_to_index, JOB_WORDS,
                                       _max_sentence_length(sentences))

            def numbered():
                n_batches = 0
                for ids, ends, raw_ends, raw in jobs:
                    yield ids, ends, raw_ends, words_before[0]
                    words_before[0] += raw
                    n_batches += 1
                if n_batches == 0:
                    raise ValueError(f"the corpus yielded no sentences in epoch {epoch + 1}; "
                                     "a generator cannot be iterated twice: pass a list or "
                                     "a re-iterable object such as rnnfast.LineSentence")

            def consume(i, job):
                ids, ends, raw_ends, before = job
                model.train_ids(ids, ends, raw_ends, rng_states[i], *alphas, before, total,
                                stats, i, stop.array)

            _workers.feed(numbered(), consume, self.workers, stop, poll)

        return run_epoch

    # --- persistence -----------------------------------------------------------------

    _PARAMS = ("vector_size", "window", "min_count", "max_vocab_size", "sample", "negative",
               "ns_exponent", "alpha", "min_alpha", "epochs", "workers", "seed",
               "shrink_windows")

    def save(self, fname):
        """Save the whole model (vectors, context vectors, vocabulary, settings), atomically."""
        if self.vocab is None:
            raise RuntimeError("nothing to save: the model has no vocabulary yet")
        meta = {"params": {k: getattr(self, k) for k in self._PARAMS},
                "training_loss": self.training_loss_,
                "total_words": self.vocab.total_words, "n_sentences": self.vocab.n_sentences}
        persist.save(fname, "rnnfast.Word2Vec", FORMAT_VERSION, meta,
                     {"vectors": self.wv.vectors, "context_vectors": self.context_vectors,
                      "words": persist.words_array(self.vocab.words),
                      "counts": self.vocab.counts})

    @classmethod
    def load(cls, fname):
        """Load a model written by `save`; it can be trained further."""
        with persist.load(fname, "rnnfast.Word2Vec", FORMAT_VERSION) as (data, meta):
            words, counts = data["words"].tolist(), data["counts"]
            vectors, context = data["vectors"], data["context_vectors"]
        model = cls(**meta["params"])
        model.vocab = Vocabulary(words, counts, meta["total_words"], meta["n_sentences"])
        model.wv = KeyedVectors.from_arrays(words, vectors, counts)
        model.context_vectors = np.ascontiguousarray(context, dtype=np.float32)
        model.training_loss_ = list(meta["training_loss"])
        return model

    def __repr__(self):
        size = len(self.vocab) if self.vocab is not None else 0
        return (f"Word2Vec(vocab={size}, vector_size={self.vector_size}, window={self.window}, "
                f"negative={self.negative})")


def _max_sentence_length(sentences):
    """The sentence cut of the corpus_file reader, or a LineSentence's own (smaller) one."""
    from rnnfast._vocab import MAX_SENTENCE
    return min(getattr(sentences, "max_sentence_length", MAX_SENTENCE), MAX_SENTENCE)
