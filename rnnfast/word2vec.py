"""Word2Vec: skip-gram with negative sampling, trained by C kernels on many threads.

The arguments follow gensim's `Word2Vec`, so `from rnnfast import Word2Vec`
replaces `from gensim.models import Word2Vec` (skip-gram only: `sg=1`).
"""

import collections.abc
import contextlib
import itertools
import json
import os
import queue
import threading
import zipfile

import numpy as np

from rnnfast import _checks
from rnnfast._atomic import atomic_write
from rnnfast.corpus import byte_ranges, check_corpus_file, check_sentences
from rnnfast.keyedvectors import KeyedVectors
from rnnfast.progress import Progress
from rnnfast.vocab import Vocabulary

__all__ = ["Word2Vec", "default_workers"]

# Words per job handed to a worker thread when training from an iterable.
JOB_WORDS = 10000
# A window's rows must fit the kernel's fixed-size tables (RF_MAX_WINDOW_ROWS = 512).
MAX_WINDOW = 256
MAX_NEGATIVE = 511


def default_workers():
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


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
        self.window = _checks.check_index("window", window, low=1)
        if self.window > MAX_WINDOW:
            raise ValueError(f"window must be <= {MAX_WINDOW}, got {self.window}")
        self.min_count = _checks.check_index("min_count", min_count, low=1)
        self.max_vocab_size = (None if max_vocab_size is None else
                               _checks.check_index("max_vocab_size", max_vocab_size, low=1))
        self.negative = _checks.check_index("negative", negative, low=1)
        if self.negative > MAX_NEGATIVE:
            raise ValueError(f"negative must be <= {MAX_NEGATIVE}, got {self.negative}")
        self.epochs = _checks.check_index("epochs", epochs, low=1)
        self.workers = (default_workers() if workers is None else
                        _checks.check_index("workers", workers, low=1))
        self.seed = _checks.check_index("seed", seed, low=0)
        self.sample = _check_number("sample", sample, low=0.0)
        self.ns_exponent = _check_number("ns_exponent", ns_exponent)
        self.alpha = _check_number("alpha", alpha, low=0.0)
        self.min_alpha = _check_number("min_alpha", min_alpha, low=0.0)
        self.shrink_windows = bool(shrink_windows)
        self.callbacks = list(callbacks)
        self.progress = progress
        self.sg, self.hs = 1, 0
        self.vocab = None
        self.wv = None
        self.context_vectors = None  # (V, d) float32, word2vec's "syn1neg"
        self.training_loss_ = []
        if sentences is not None and corpus_file is not None:
            raise ValueError("give sentences or corpus_file, not both")
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
        if (corpus_iterable is None) == (corpus_file is None):
            raise ValueError("build_vocab needs exactly one of corpus_iterable and corpus_file")
        if corpus_file is not None:
            self.vocab = Vocabulary.from_corpus_file(corpus_file, self.min_count,
                                                     self.max_vocab_size)
        else:
            self.vocab = Vocabulary.from_sentences(corpus_iterable, self.min_count,
                                                   self.max_vocab_size)
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
        if (corpus_iterable is None) == (corpus_file is None):
            raise ValueError("train needs exactly one of corpus_iterable and corpus_file")
        epochs = self.epochs if epochs is None else _checks.check_index("epochs", epochs, low=1)
        if corpus_file is not None:
            path, size = check_corpus_file(corpus_file)
            run_epoch = self._file_epoch_runner(path, size)
        else:
            check_sentences(corpus_iterable, "corpus_iterable")
            if epochs > 1 and isinstance(corpus_iterable, collections.abc.Iterator):
                raise TypeError("corpus_iterable is a one-shot iterator (a generator?) but "
                                f"training takes {epochs} passes; pass a list or a "
                                "re-iterable object such as rnnfast.LineSentence")
            run_epoch = self._iterable_epoch_runner(corpus_iterable)
        report = Progress("word2vec", self.vocab.total_words, epochs,
                          progress if progress is not None else self.progress)
        seeds = np.random.SeedSequence(self.seed).generate_state(self.workers, np.uint64)
        rng_states = [seeds[i:i + 1].copy() for i in range(self.workers)]
        model = self._kernel_model()
        for epoch in range(epochs):
            stats = np.zeros(self.workers, _sgns_stats_dtype())
            stop = np.zeros(1, np.intc)
            run_epoch(model, epoch, epochs, rng_states, stats, stop, report)
            pairs = int(stats["pairs"].sum())
            self.training_loss_.append(float(stats["loss"].sum()) / pairs if pairs else float("nan"))
            for cb in self.callbacks:
                if hasattr(cb, "on_epoch_end"):
                    cb.on_epoch_end(self)
                else:
                    cb(self, epoch)
        report.update(epochs - 1, report.total, self._alpha_at(1.0), self.training_loss_[-1],
                      force=True)
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
        return SGNSModel(self.wv.vectors, self.context_vectors, keep_below, accept, other,
                         self.negative, self.window, self.shrink_windows)

    def _run_threads(self, targets, epoch, epochs, stats, stop, report):
        """Run one thread per target, reporting progress until all end; re-raise failures."""
        errors = []
        total = max(self.vocab.total_words, 1)

        def guarded(fn):
            def run():
                try:
                    fn()
                except BaseException as e:  # noqa: BLE001 - handed to the main thread
                    errors.append(e)
                    stop[0] = 1
            return run

        threads = [threading.Thread(target=guarded(fn), daemon=True) for fn in targets]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(timeout=0.2)
                    words = int(stats["words"].sum())
                    pairs = int(stats["pairs"].sum())
                    report.update(epoch, epoch * total + words,
                                  self._alpha_at((epoch + words / total) / epochs),
                                  float(stats["loss"].sum()) / pairs if pairs else None)
        except KeyboardInterrupt:
            stop[0] = 1
            for t in threads:
                t.join()
            raise
        if errors:
            raise errors[0]

    def _file_epoch_runner(self, path, size):
        from rnnfast._vocab import TokenTable

        table = TokenTable.from_words([w.encode("utf-8") for w in self.vocab.words])
        ranges = byte_ranges(size, self.workers)
        encoded_path = os.fsencode(path)

        def run_epoch(model, epoch, epochs, rng_states, stats, stop, report):
            a0, a1 = self._alpha_at(epoch / epochs), self._alpha_at((epoch + 1) / epochs)

            def worker(i):
                return lambda: model.train_file(table, encoded_path, ranges[i][0], ranges[i][1],
                                                rng_states[i], a0, a1, stats, i, stop)

            self._run_threads([worker(i) for i in range(self.workers)], epoch, epochs, stats,
                              stop, report)

        return run_epoch

    def _iterable_epoch_runner(self, sentences):
        key_to_index = self.vocab.key_to_index
        total_words = max(self.vocab.total_words, 1)

        def jobs(epoch, epochs):
            """(ids, sentence_ends, alpha_start, alpha_end) chunks of about JOB_WORDS words."""
            from rnnfast._sgns import encode_sentences

            batch, batch_words, done_words, n_sentences = [], 0, 0, 0
            for sentence in itertools.chain(sentences, [None]):
                if sentence is not None:
                    if isinstance(sentence, (str, bytes)):
                        raise TypeError("each sentence must be a list of str tokens, got "
                                        f"{type(sentence).__name__}")
                    batch.append(sentence)
                    batch_words += len(sentence)
                    n_sentences += 1
                    if batch_words < JOB_WORDS:
                        continue
                if batch:
                    ids, ends, raw = encode_sentences(batch, key_to_index)
                    yield (ids, ends,
                           self._alpha_at((epoch + done_words / total_words) / epochs),
                           self._alpha_at((epoch + (done_words + raw) / total_words) / epochs))
                    done_words += raw
                    batch, batch_words = [], 0
            if n_sentences == 0:
                raise ValueError(f"the corpus yielded no sentences in epoch {epoch + 1}; "
                                 "a generator cannot be iterated twice: pass a list or "
                                 "a re-iterable object such as rnnfast.LineSentence")

        def run_epoch(model, epoch, epochs, rng_states, stats, stop, report):
            job_queue = queue.Queue(maxsize=2 * self.workers)

            def worker(i):
                def run():
                    while (job := job_queue.get()) is not None:
                        if not stop[0]:
                            model.train_ids(*job[:2], rng_states[i], *job[2:], stats, i, stop)
                return run

            def produce():
                try:
                    for job in jobs(epoch, epochs):
                        while not stop[0]:
                            try:
                                job_queue.put(job, timeout=0.1)
                                break
                            except queue.Full:
                                pass
                        if stop[0]:
                            break
                finally:
                    for _ in range(self.workers):
                        job_queue.put(None)

            self._run_threads([produce] + [worker(i) for i in range(self.workers)], epoch,
                              epochs, stats, stop, report)

        return run_epoch

    # --- persistence -----------------------------------------------------------------

    _PARAMS = ("vector_size", "window", "min_count", "max_vocab_size", "sample", "negative",
               "ns_exponent", "alpha", "min_alpha", "epochs", "workers", "seed",
               "shrink_windows")

    def save(self, fname):
        """Save the whole model (vectors, context vectors, vocabulary, settings), atomically."""
        if self.vocab is None:
            raise RuntimeError("nothing to save: the model has no vocabulary yet")
        meta = {"format": "rnnfast.Word2Vec", "version": 1,
                "params": {k: getattr(self, k) for k in self._PARAMS},
                "training_loss": self.training_loss_,
                "total_words": self.vocab.total_words, "n_sentences": self.vocab.n_sentences}
        with atomic_write(fname, "wb") as f:
            np.savez(f, vectors=self.wv.vectors, context_vectors=self.context_vectors,
                     words=np.array(self.vocab.words, dtype=str), counts=self.vocab.counts,
                     meta=np.array(json.dumps(meta)))

    @classmethod
    def load(cls, fname):
        """Load a model written by `save`; it can be trained further."""
        with _open_npz(fname, "rnnfast.Word2Vec") as (data, meta):
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


@contextlib.contextmanager
def _open_npz(fname, kind):
    """(arrays, metadata) of an .npz file that rnnfast saved as `kind`; ValueError otherwise."""
    fname = os.fspath(fname)
    if not os.path.exists(fname):
        raise FileNotFoundError(f"{fname!r} does not exist")
    try:
        data = np.load(fname, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{fname!r} is not a readable {kind} file: {e}") from None
    with data:
        try:
            meta = json.loads(str(data["meta"]))
        except (KeyError, ValueError) as e:
            raise ValueError(f"{fname!r} is not a readable {kind} file: {e}") from None
        if meta.get("format") != kind:
            raise ValueError(f"{fname!r} is not a saved {kind} (it holds {meta.get('format')!r})")
        try:
            yield data, meta
        except KeyError as e:
            raise ValueError(f"{fname!r} is missing {e} (a truncated or foreign file?)") from None


def _sgns_stats_dtype():
    from rnnfast._sgns import STATS_DTYPE
    return STATS_DTYPE


def _check_number(name, value, low=None):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value
