"""Word2Vec: CBOW or skip-gram, negative sampling and/or hierarchical softmax, trained by
C kernels on many threads.

The arguments, defaults and training API follow gensim 4's `Word2Vec`, so
`from rnnfast import Word2Vec` replaces `from gensim.models import Word2Vec`.
"""

import collections.abc
import contextlib
import functools
import os
import threading

import numpy as np

from rnnfast._core import persist, pool
from rnnfast._core.checks import FLOAT32_MAX, all_finite, check_index, check_number
from rnnfast._core.progress import Progress, logger
from rnnfast.embeddings import checks
from rnnfast.embeddings.checks import (checked_lockf, class_only, no_effect,
                                      no_effect_on_save)
from rnnfast.embeddings.batches import id_batches
from rnnfast.embeddings.corpus import FileRanges, check_corpus_file, check_sentences
from rnnfast.embeddings.keyedvectors import KeyedVectors
from rnnfast.embeddings.vocab import MAX_TOTAL_WORDS, Vocabulary

__all__ = ["Word2Vec"]

# Words per job handed to a worker thread when training from an iterable.
JOB_WORDS = 10000
# On several workers, the rows every worker writes all the time (the inner nodes
# nearest the root; the most frequent words' input and output vectors) are trained
# on private copies merged every 8,192 words; one worker trains them in place.
PRIVATE_HS_ROWS = 256
PRIVATE_WORD_ROWS = 256
# Training from corpus_file for several epochs keeps the file's sentences as ids
# (4 bytes a known token, 16 a line) while the first epoch reads them, and trains
# the later epochs on those, when they fit in this many bytes; else every epoch
# reads the file. The vectors are the same either way.
CORPUS_CACHE_BYTES = 1 << 30
# A window's rows must fit the kernel's fixed-size tables (RF_MAX_WINDOW_ROWS = 512).
MAX_WINDOW = 256
MAX_NEGATIVE = 511
# The layout of a saved model (persist checks it on load).
FORMAT_VERSION = 1


class NotBuiltError(RuntimeError, ValueError):
    """Training asked of a model without a vocabulary (gensim raises ValueError)."""


class Word2Vec:
    """word2vec: CBOW (`sg=0`, gensim's default) or skip-gram (`sg=1`), trained with
    negative sampling (`negative` noise words), hierarchical softmax (`hs=1`, a
    Huffman tree over the counts), or both.

    Give `sentences` (a re-iterable of token lists) or `corpus_file` (a text
    file, one sentence per line, tokens separated by whitespace) to build the
    vocabulary and train at once; or call `build_vocab` and `train` yourself.

    After training: `wv` (KeyedVectors of the input vectors), `syn1neg` (the output
    vectors of negative sampling; None with negative=0), `syn1` (hierarchical
    softmax's inner-node vectors; None with hs=0), `training_loss_` (mean loss per epoch: per (center, context) pair for
    skip-gram, per window for CBOW, summed in float64), `vocab` (the Vocabulary),
    `corpus_count` and `corpus_total_words`. With `workers=1` and a fixed `seed`
    two runs give bit-identical vectors.

    Examples
    --------
    >>> from rnnfast import Word2Vec
    >>> from rnnfast.datasets import toy_corpus
    >>> model = Word2Vec(toy_corpus(5000), vector_size=32, min_count=1, workers=1,
    ...                  progress=False)
    >>> model.wv["king"].shape
    (32,)
    >>> model.wv.similarity("paris", "rome") > model.wv.similarity("paris", "king")
    True
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025,
                 window=5, min_count=5, max_vocab_size=None, sample=1e-3, seed=1,
                 workers=None, min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75,
                 cbow_mean=1, epochs=5, trim_rule=None, sorted_vocab=1, batch_words=JOB_WORDS,
                 compute_loss=False, callbacks=(), max_final_vocab=None, shrink_windows=True,
                 progress=None):
        if sg not in (0, 1, False, True):
            raise ValueError(f"sg must be 0 (CBOW) or 1 (skip-gram), got {sg!r}")
        if hs not in (0, 1, False, True):
            raise ValueError(f"hs must be 0 (negative sampling) or 1 (hierarchical softmax), "
                             f"got {hs!r}")
        if not hs and not negative:
            raise ValueError("negative=0 with hs=0 trains nothing: give negative > 0 "
                             "(negative sampling) or hs=1 (hierarchical softmax), or both")
        if hs and negative:
            logger.warning("Both hierarchical softmax and negative sampling are activated. "
                           "Each window trains both (hs=1, negative=%d), at the cost of both; "
                           "hs=1 usually goes with negative=0", negative)
        if sorted_vocab != 1:
            raise ValueError("only sorted_vocab=1 is supported: the vocabulary is always "
                             "sorted by descending count")
        self.vector_size = check_index("vector_size", vector_size, low=1)
        self.window = check_index("window", window, low=1, high=MAX_WINDOW)
        self.min_count = check_index("min_count", min_count, low=0)
        self.max_vocab_size = check_index("max_vocab_size", max_vocab_size, low=1,
                                          optional=True)
        self.max_final_vocab = check_index("max_final_vocab", max_final_vocab, low=1,
                                           optional=True)
        self.negative = check_index("negative", negative, low=0, high=MAX_NEGATIVE)
        self.epochs = check_index("epochs", epochs, low=1)
        self.workers = pool.check_workers(workers)
        self.seed = check_index("seed", seed, low=0)
        self.batch_words = check_index("batch_words", batch_words, low=1)
        self.sample = check_number("sample", sample, low=0.0)
        self.ns_exponent = check_number("ns_exponent", ns_exponent)
        self.alpha = check_number("alpha", alpha, low=0.0, high=FLOAT32_MAX)
        self.min_alpha_yet_reached = self.alpha   # gensim's: the lowest rate trained at
        self.min_alpha = check_number("min_alpha", min_alpha, low=0.0,
                                      high=FLOAT32_MAX)
        if trim_rule is not None and not callable(trim_rule):
            raise TypeError("trim_rule must be a function (word, count, min_count) -> "
                            "RULE_DISCARD, RULE_KEEP or RULE_DEFAULT")
        self.trim_rule = trim_rule
        self.shrink_windows = bool(shrink_windows)
        self.sg, self.hs, self.cbow_mean = int(sg), int(hs), int(bool(cbow_mean))
        self.sorted_vocab = 1
        self.compute_loss = bool(compute_loss)
        self.callbacks = list(callbacks)
        self.progress = progress
        self.vocab = None
        self.wv = None
        self.syn1neg = None  # (V, d) float32 output vectors of negative sampling
        self.syn1 = None     # (V, d) float32 inner-node vectors of hierarchical softmax
        self.training_loss_ = []
        self.running_training_loss = 0.0
        if sentences is not None and corpus_file is not None:
            checks.check_one_source(sentences, corpus_file)
        if isinstance(sentences, collections.abc.Iterator):
            raise TypeError("sentences is a one-shot iterator (a generator?), but building "
                            "the vocabulary and training take separate passes; pass a list "
                            "or a re-iterable object such as rnnfast.LineSentence")
        if sentences is not None or corpus_file is not None:
            self.build_vocab(sentences, corpus_file, trim_rule=trim_rule)
            self.train(sentences, corpus_file, total_examples=self.corpus_count,
                       epochs=self.epochs, callbacks=self.callbacks)

    @property
    def corpus_count(self):
        """Sentences in the corpus the vocabulary was built from (last build_vocab)."""
        return self.vocab.n_sentences if self.vocab is not None else 0

    @property
    def corpus_total_words(self):
        """Raw tokens in that corpus, counted or not."""
        return self.vocab.total_words if self.vocab is not None else 0

    @property
    def cum_table(self):
        """gensim's table of noise words ((V,) uint32: count ** ns_exponent summed word by
        word, scaled to 2**31 - 1), for code that reads it; None without negative
        sampling or a vocabulary. rnnfast draws from the same distribution through
        alias tables."""
        if self.vocab is None or not self.negative:
            return None
        cumulative = np.cumsum(self.vocab.noise_weights(self.ns_exponent))
        return np.round(cumulative / cumulative[-1] * (2**31 - 1)).astype(np.uint32)

    @property
    def wv(self):
        """The word vectors (KeyedVectors); with hs=1, each word's Huffman "code" and
        "point" (path nodes) are read through wv.get_vecattr as gensim's are."""
        return self._wv

    @wv.setter
    def wv(self, kv):
        self._wv = kv
        if kv is not None and self.hs and self.vocab is not None:
            kv.derived_vecattrs = {name: functools.partial(_huffman_path, self.vocab, part)
                                   for part, name in enumerate(("point", "code"))}

    def get_latest_training_loss(self):
        """The summed loss of the latest `train` call (gensim's figure; `training_loss_`
        gives the mean per epoch)."""
        return self.running_training_loss

    # --- vocabulary ------------------------------------------------------------------

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False,
                    progress_per=10000, trim_rule=None, **kwargs):
        """Count the corpus and keep words seen min_count times (or as trim_rule says),
        then initialise the vectors. With update=True, new words are added to a trained
        model (their vectors initialised; known words keep theirs, their counts grow).
        `progress_per` is accepted for gensim's signature and has no effect (progress is
        time based): a value other than the default warns once."""
        if kwargs:
            raise TypeError(f"build_vocab got unexpected arguments: {', '.join(kwargs)}")
        no_effect("build_vocab", progress_per=(progress_per, 10000))
        trim_rule = self.trim_rule if trim_rule is None else trim_rule
        counted = self._count(corpus_iterable, corpus_file)
        self._adopt_vocab(counted, update, trim_rule)
        from rnnfast.embeddings._vocab import trim_heap

        del counted   # every word of the corpus: what it freed goes back to the system
        trim_heap()
        return self

    def _count(self, corpus_iterable, corpus_file):
        checks.check_one_source(corpus_iterable, corpus_file, "corpus_iterable")
        if corpus_file is not None:
            return Vocabulary.from_corpus_file(corpus_file, 1, self.max_vocab_size,
                                               self.progress)
        return Vocabulary.from_sentences(corpus_iterable, 1, self.max_vocab_size,
                                         self.progress)

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000,
                   workers=None, trim_rule=None):
        """Count the corpus, keeping no vocabulary yet: gensim's first half of build_vocab
        (`prepare_vocab` is the second). Sets `raw_vocab` (word -> count); returns
        (raw words, sentences)."""
        no_effect("scan_vocab", progress_per=(progress_per, 10000), workers=(workers, None),
                   trim_rule=(trim_rule, None))
        self._scanned = self._count(corpus_iterable, corpus_file)
        self.raw_vocab = dict(zip(self._scanned.words, self._scanned.counts.tolist()))
        return self._scanned.total_words, self._scanned.n_sentences

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None,
                      min_count=None, sample=None, dry_run=False):
        """Keep the words `scan_vocab` counted (min_count, max_final_vocab, trim_rule) and
        initialise the vectors, as build_vocab does; `min_count` and `sample` replace the
        model's. Returns gensim's report: drop_unique and num_retained_words (distinct
        words dropped and kept), retain_total (their tokens), downsample_unique and
        downsample_total (kept words that subsampling thins, and the tokens expected to
        be left). With dry_run, only the report."""
        counted = getattr(self, "_scanned", None)
        if counted is None:
            raise RuntimeError("prepare_vocab needs scan_vocab first")
        if min_count is not None:
            self.min_count = check_index("min_count", min_count, low=0)
        if sample is not None:
            self.sample = check_number("sample", sample, low=0.0)
        trim_rule = self.trim_rule if trim_rule is None else trim_rule
        kept = counted.pruned(self.min_count, trim_rule, self.max_final_vocab)
        keep = kept.keep_probabilities(self.sample)
        report = {"drop_unique": len(counted) - len(kept), "num_retained_words": len(kept),
                  "retain_total": int(kept.counts.sum()),
                  "downsample_unique": int((keep < 1.0).sum()),
                  "downsample_total": int(round(float((kept.counts * keep).sum())))}
        if dry_run:
            return report
        self._adopt_vocab(counted, update, trim_rule)
        del self._scanned
        if not keep_raw_vocab:
            del self.raw_vocab
        return report


    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None,
                              trim_rule=None, update=False):
        """build_vocab from a dict {word: count} instead of a corpus; `corpus_count`
        sentences (default 0) and the counts' sum as raw words size the epochs.
        `keep_raw_vocab` has no effect (no raw vocabulary is kept); True warns once."""
        no_effect("build_vocab_from_freq", keep_raw_vocab=(keep_raw_vocab, False))
        if not isinstance(word_freq, collections.abc.Mapping):
            raise TypeError(f"word_freq must be a dict of word -> count, got "
                            f"{type(word_freq).__name__}")
        for word, count in word_freq.items():
            if not isinstance(word, str) or not isinstance(count, (int, np.integer)) or \
                    not 0 <= count < MAX_TOTAL_WORDS:
                raise ValueError(f"word_freq must map str words to counts in 0..2^62, got "
                                 f"{word!r}: {count!r}")
        counts = list(word_freq.values())
        n_sentences = 0 if corpus_count is None else check_index(
            "corpus_count", corpus_count, low=0)
        counted = Vocabulary._from_counts(list(word_freq), counts, 0, int(sum(counts)),
                                          n_sentences, "word_freq")
        return self._adopt_vocab(counted, update, self.trim_rule if trim_rule is None
                                 else trim_rule)

    def _adopt_vocab(self, counted, update, trim_rule):
        """Keep counted's words as min_count and trim_rule say; initialise the vectors."""
        with _exclusive(self, "build_vocab"):
            return self._adopt_counted(counted, update, trim_rule)

    def _adopt_counted(self, counted, update, trim_rule):
        if update:
            if self.vocab is None:
                raise RuntimeError("build_vocab(update=True) needs a model with a vocabulary; "
                                   "call build_vocab first")
            return self._update_vocab(counted, trim_rule)
        # gensim's name: min_count as raised for max_final_vocab
        self.effective_min_count = counted.effective_min_count(self.min_count,
                                                               self.max_final_vocab)
        return self._start_from(counted.pruned(self.min_count, trim_rule, self.max_final_vocab))

    def _start_from(self, vocab):
        """`vocab` as the model's, with fresh vectors and zeroed output tables."""
        self.vocab = vocab
        V = len(vocab)
        self.wv = self._make_wv(self._initial_vectors(0, V), fresh=True)
        self.syn1neg = self.syn1 = None   # a vocabulary before this one had its own
        self._output_tables(V)
        self.training_loss_ = []
        return self

    def reset_from(self, other_model):
        """Take `other_model`'s vocabulary (shared, not copied, as gensim does) and start
        again from fresh vectors over it."""
        if getattr(other_model, "vocab", None) is None:
            raise RuntimeError("reset_from needs a model with a vocabulary (build_vocab)")
        with _exclusive(self, "reset_from"):
            self.effective_min_count = getattr(other_model, "effective_min_count",
                                               self.min_count)
            self._start_from(other_model.vocab)

    def _make_wv(self, word_rows, fresh):
        """The keyed vectors of the vocabulary over its input rows (V, d); `fresh`: a
        new vocabulary, else the old one grown."""
        return KeyedVectors.from_arrays(self.vocab.words, word_rows, self.vocab.counts)

    def _word_rows(self):
        """The input rows of the vocabulary's words, (V, d) float32."""
        return self.wv.vectors

    def _trained_tables(self):
        """Every table training moves (checked for NaN and infinity after each epoch)."""
        return [t for t in (self.wv.vectors, self.syn1neg, self.syn1) if t is not None]

    def _input_rows(self):
        """What the kernel trains as input vectors: the table, and for each word the
        rows whose mean is its input (None: its own row; see FastText)."""
        checks.check_w2v_tables(self.wv.vectors, self.syn1neg, self.syn1)
        return self.wv.vectors, None, None

    def _output_tables(self, V):
        """Zero output vectors for the rows from the current tables' length up to V."""
        for name, wanted in (("syn1neg", self.negative > 0), ("syn1", self.hs)):
            old = getattr(self, name)
            if not wanted:
                setattr(self, name, None)
                continue
            rows = 0 if old is None else len(old)
            grown = np.zeros((V, self.vector_size), np.float32)
            if rows:
                grown[:rows] = old
            setattr(self, name, grown)

    def _initial_vectors(self, start, stop):
        """Initial input vectors for rows start..stop-1: uniform in [-1/d, 1/d), from
        the seed (the rows of a fresh model, then of each update).

        This is gensim 4's range, twice word2vec.c's [-0.5/d, 0.5/d): on corpus17m
        the narrower start cost CBOW about 1.5 points of analogy accuracy."""
        d = self.vector_size
        rng = np.random.default_rng([self.seed, start])
        rows = rng.random((stop - start, d), dtype=np.float32)
        return ((rows - 0.5) * (2.0 / d)).astype(np.float32)

    def _update_vocab(self, counted, trim_rule):
        """Add counted's new words to the vocabulary (after the known ones) and add their
        counts to the known words'."""
        old = self.vocab
        known = np.array([w in old.key_to_index for w in counted.words], bool)
        counts = old.counts.copy()
        for w, c in zip(counted.words, counted.counts):
            i = old.key_to_index.get(w)
            if i is not None:
                counts[i] += c
        new = Vocabulary([w for w, k in zip(counted.words, known) if not k],
                         counted.counts[~known], counted.total_words, counted.n_sentences)
        new = new.pruned(self.min_count, trim_rule, None, allow_empty=True)
        V0, V = len(old), len(old) + len(new)
        self.vocab = Vocabulary(old.words + new.words, np.concatenate([counts, new.counts]),
                                counted.total_words, counted.n_sentences)
        vectors = np.concatenate([self._word_rows(), self._initial_vectors(V0, V)])
        lockf = self.wv.vectors_lockf
        self.wv = self._make_wv(vectors, fresh=False)
        # per-word lock factors go on; the new words' vectors train freely
        self.wv.vectors_lockf = lockf if len(lockf) != V0 or V0 == 1 else \
            np.concatenate([lockf, np.ones(V - V0, lockf.dtype)])
        self._output_tables(V)  # hs: the tree is rebuilt over the new counts, as gensim's
        return self

    # --- training --------------------------------------------------------------------

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None,
              total_words=None, epochs=None, start_alpha=None, end_alpha=None, word_count=0,
              queue_factor=2, report_delay=1.0, compute_loss=False, callbacks=(),
              progress=None):
        """Train for `epochs` (default: the constructor's) over the corpus; returns
        (effective words, raw words) over all epochs as gensim does: the words trained on
        after subsampling and the words read.

        total_examples (sentences) or total_words (raw tokens) size one epoch for the
        learning-rate schedule and progress (default: the counts build_vocab saw);
        start_alpha and end_alpha replace alpha and min_alpha for this call. The
        loss is always computed (`compute_loss` is accepted for gensim's signature).
        Callbacks get on_train_begin, on_epoch_begin, on_epoch_end and on_train_end.
        `word_count`, `queue_factor` and `report_delay` are gensim's and have no effect
        here (progress is time based, threads take jobs as they come): a value other than
        gensim's default warns once.
        """
        no_effect("train", word_count=(word_count, 0), queue_factor=(queue_factor, 2),
                   report_delay=(report_delay, 1.0))
        if self.vocab is None:
            raise NotBuiltError("call build_vocab before train (or pass the corpus to Word2Vec)")
        with _exclusive(self, "train"):
            return self._train(corpus_iterable, corpus_file, total_examples, total_words,
                               epochs, start_alpha, end_alpha, callbacks, progress)

    def _train(self, corpus_iterable, corpus_file, total_examples, total_words, epochs,
               start_alpha, end_alpha, callbacks, progress):
        if any(isinstance(t, np.ndarray) and not t.flags.writeable
               for t in self._trained_tables()):
            raise ValueError("this model's tables are read-only (as after load(..., "
                             "mmap='r')): to train, load with mmap='c' (copy-on-write) or "
                             "mmap=None, or assign writeable copies")
        self._check_wv()
        checks.check_one_source(corpus_iterable, corpus_file, "corpus_iterable")
        epochs = self.epochs if epochs is None else check_index("epochs", epochs, low=1)
        if corpus_file is not None:
            run_epoch = self._file_epoch_runner(*check_corpus_file(corpus_file), epochs)
        else:
            check_sentences(corpus_iterable, "corpus_iterable")
            if epochs > 1 and isinstance(corpus_iterable, collections.abc.Iterator):
                raise TypeError("corpus_iterable is a one-shot iterator (a generator?) but "
                                f"training takes {epochs} passes; pass a list or a "
                                "re-iterable object such as rnnfast.LineSentence")
            run_epoch = self._iterable_epoch_runner(corpus_iterable)
        total = self._epoch_words(total_examples, total_words)
        start = self.alpha if start_alpha is None else check_number(
            "start_alpha", start_alpha, low=0.0, high=FLOAT32_MAX)
        end = self.min_alpha if end_alpha is None else check_number(
            "end_alpha", end_alpha, low=0.0, high=FLOAT32_MAX)
        if start > self.min_alpha_yet_reached:
            logger.warning("Effective 'alpha' higher than previous training cycles: this call "
                           "starts at %g, an earlier one ended at %g (the learning rate starts "
                           "its schedule again)", start, self.min_alpha_yet_reached)
        callbacks = list(callbacks) or self.callbacks
        report = Progress("word2vec", total, "words",
                          progress if progress is not None else self.progress, epochs)
        seeds = np.random.SeedSequence(self.seed).generate_state(self.workers, np.uint64)
        rng_states = [seeds[i:i + 1].copy() for i in range(self.workers)]
        model = self._kernel_model()
        from rnnfast.embeddings._sgns import STATS_DTYPE
        self.running_training_loss = 0.0
        effective = raw = 0
        _call(callbacks, "on_train_begin", self)
        for epoch in range(epochs):
            _call(callbacks, "on_epoch_begin", self)
            stats = np.zeros(self.workers, STATS_DTYPE)
            alphas = (_alpha_at(start, end, epoch / epochs),
                      _alpha_at(start, end, (epoch + 1) / epochs))

            def poll(epoch=epoch, stats=stats):
                words, pairs = int(stats["words"].sum()), int(stats["pairs"].sum())
                report.update(epoch * total + words, epoch,
                              alpha=_alpha_at(start, end, (epoch + words / total) / epochs),
                              loss=float(stats["loss"].sum()) / pairs if pairs else None)

            try:
                run_epoch(model, epoch, alphas, rng_states, stats, poll, total)
            finally:
                self.wv.vectors_changed()
            if not all(all_finite(t) for t in self._trained_tables()):
                raise FloatingPointError(f"training diverged in epoch {epoch + 1}: the vectors "
                                         f"hold NaN or infinity; lower alpha (now {start})")
            pairs = int(stats["pairs"].sum())
            effective, raw = effective + int(stats["kept"].sum()), raw + int(stats["words"].sum())
            self.running_training_loss += float(stats["loss"].sum())
            self.training_loss_.append(float(stats["loss"].sum()) / pairs if pairs else float("nan"))
            _epoch_end(callbacks, self, epoch)
        report.update(epochs * total, epochs - 1, force=True, alpha=_alpha_at(start, end, 1.0),
                      loss=self.training_loss_[-1])
        self.min_alpha_yet_reached = min(self.min_alpha_yet_reached, end)
        _call(callbacks, "on_train_end", self)
        return effective, raw

    def __getstate__(self):
        # a copy (pickle, deepcopy) made while train runs, from a callback say, is not
        # itself being trained
        state = self.__dict__.copy()
        state.pop("_busy_with", None)
        return state

    def _check_wv(self):
        """model.wv as training needs it: the vocabulary's keys in its order, float32
        (V, vector_size) vectors, finite; else an error saying what was changed and
        how to change it instead."""
        wv, V, d = self.wv, len(self.vocab), self.vector_size
        if len(wv) != V or wv.index_to_key != self.vocab.words:
            raise ValueError(f"model.wv holds {len(wv)} keys, the model's vocabulary {V} (or "
                             f"another order): keys were added, removed or reordered through "
                             f"model.wv, which the output tables and counts do not follow; "
                             f"add words with build_vocab(sentences, update=True)")
        vectors = wv.vectors
        if not isinstance(vectors, np.ndarray) or vectors.shape != (V, d):
            raise ValueError(f"model.wv.vectors has shape {np.shape(vectors)}, not ({V}, "
                             f"vector_size={d}); assign vectors of that shape")
        if vectors.dtype != np.float32:
            raise TypeError(f"model.wv.vectors is {vectors.dtype}; training updates float32 "
                            f"vectors in place: assign model.wv.vectors = "
                            f"model.wv.vectors.astype(np.float32)")
        if not (vectors.flags.c_contiguous and vectors.flags.writeable and
                vectors.flags.aligned):
            raise ValueError("model.wv.vectors must be a writeable C-contiguous array, aligned "
                             "(training updates it in place): assign np.array(...) of it")
        if not all_finite(vectors):
            raise ValueError("model.wv.vectors holds NaN or infinity; training cannot start "
                             "from them")
        for name in ("syn1neg", "syn1"):
            table = getattr(self, name)
            if table is not None and np.shape(table) != (V, d):
                raise ValueError(f"model.{name} has shape {np.shape(table)}, not ({V}, "
                                 f"vector_size={d}) for the vocabulary; assign one of that "
                                 f"shape (build_vocab(update=True) grows every table)")

    def _epoch_words(self, total_examples, total_words):
        """The raw words one epoch is expected to read (the learning rate falls with them)."""
        if total_words is not None:
            return max(check_index("total_words", total_words, low=0,
                                   high=MAX_TOTAL_WORDS - 1), 1)
        if total_examples is not None:
            examples = check_index("total_examples", total_examples, low=0)
            if self.corpus_count and examples != self.corpus_count:
                return max(round(self.corpus_total_words * examples / self.corpus_count), 1)
        return max(self.corpus_total_words, 1)

    def estimate_memory(self, vocab_size=None, report=None):
        """Bytes the model takes for `vocab_size` words (default: its vocabulary), as
        gensim's report: vocab (the words, their counts and indexes, measured at about
        250 bytes a word, 300 with hs's paths), vectors, syn1, syn1neg and total."""
        V = len(self.vocab) if vocab_size is None and self.vocab is not None else \
            check_index("vocab_size", vocab_size or 0, low=0)
        report = dict(report or {})
        table = V * self.vector_size * 4
        report["vocab"] = V * (300 if self.hs else 250)
        report["vectors"] = table
        if self.hs:
            report["syn1"] = table
        if self.negative:
            report["syn1neg"] = table
        report.update(self._extra_memory())
        report["total"] = sum(v for k, v in report.items() if k != "total")
        return report

    def _extra_memory(self):
        return {}

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2,
              report_delay=1):
        """Log probability of each sentence (list of str) under the model, as gensim's
        score: hierarchical softmax only (hs=1); see scoring.sentence_log_probs. Returns
        (n,) float32 for the first total_sentences sentences."""
        from rnnfast.embeddings.scoring import sentence_log_probs

        no_effect("score", chunksize=(chunksize, 100), queue_factor=(queue_factor, 2),
                  report_delay=(report_delay, 1))
        if self.vocab is None:
            raise RuntimeError("score needs a trained model: call build_vocab and train first")
        if not self.hs:
            raise RuntimeError("score needs hierarchical softmax: this model has hs=0 "
                               "(train one with hs=1, as gensim's score does)")
        check_sentences(sentences, "sentences")
        return sentence_log_probs(self, sentences, check_index("total_sentences",
                                                               total_sentences, low=0))

    def predict_output_word(self, context_words_list, topn=10):
        """The topn most probable center words given the context words, as (word,
        probability) pairs, from the output vectors (softmax over the vocabulary of
        syn1neg . mean of the context vectors); None if no context word is known.
        Context words may be given by index too.
        Needs negative sampling (negative > 0), as gensim's does."""
        if self.vocab is not None and self.syn1neg is None:
            raise RuntimeError("predict_output_word needs the output vectors of negative "
                               "sampling; this model has negative=0 (hierarchical softmax only)")
        if self.vocab is None:
            raise RuntimeError("predict_output_word needs a trained model (this one has no "
                               "vocabulary)")
        if isinstance(context_words_list, (str, bytes)):
            raise TypeError(f"context_words_list must be a list of words, got the single str "
                            f"{context_words_list!r}: write [{context_words_list!r}]")
        topn = check_index("topn", topn, low=1)
        ids = [w if isinstance(w, (int, np.integer)) and 0 <= w < len(self.vocab)
               else self.vocab.key_to_index[w] for w in context_words_list
               if isinstance(w, (int, np.integer)) or w in self.vocab.key_to_index]
        if not ids:
            return None
        h = self.wv.vectors[ids].mean(axis=0, dtype=np.float64)
        scores = self.syn1neg.astype(np.float64) @ h
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        top = np.argsort(-probs, kind="stable")[:topn]
        return [(self.vocab.words[i], float(probs[i])) for i in top]

    def _kernel_model(self):
        from rnnfast.embeddings._sgns import SGNSModel, alias_tables

        keep = self.vocab.keep_probabilities(self.sample)
        keep_below = np.where(keep >= 1.0, 0xFFFFFFFF,
                              np.minimum(keep * 2.0**32, 0xFFFFFFFE)).astype(np.uint32)
        accept, other = alias_tables(self.vocab.noise_weights(self.ns_exponent))
        W_in, subwords, subword_ends = self._input_rows()
        nodes, codes, ends = self.vocab.huffman_paths() if self.hs else (None, None, None)
        model = SGNSModel(W_in, self.syn1neg, keep_below, accept, other,
                          self.negative, self.window, self.shrink_windows, cbow=not self.sg,
                          cbow_mean=bool(self.cbow_mean), syn1=self.syn1, nodes=nodes,
                          codes=codes, path_ends=ends, subwords=subwords,
                          subword_ends=subword_ends)
        if self.workers > 1:
            model.keep_private_rows(PRIVATE_HS_ROWS, PRIVATE_WORD_ROWS)
        lockf = self._lock_factors()
        if lockf is not None:
            model.lock_factors(lockf)
        return model

    def _lock_factors(self):
        """model.wv.vectors_lockf checked ((1,) or (V,) finite float32), or None when
        every factor is 1 (the kernel then skips them)."""
        lockf = checks.check_lockf("model.wv.vectors_lockf", self.wv.vectors_lockf,
                                   len(self.vocab))
        return None if lockf is None or bool((lockf == 1).all()) else lockf

    def _file_epoch_runner(self, path, size, epochs):
        """Each worker trains on its own byte range of the file, reading included; the
        first of several epochs keeps the ranges as ids for the rest (CORPUS_CACHE_BYTES)."""
        from rnnfast.embeddings._vocab import EncodedText, TokenTable

        file = FileRanges(path, self.workers)  # the kept ids stand for these bytes only
        size = file.stamp[0]
        table = TokenTable.from_words([w.encode("utf-8") for w in self.vocab.words])
        encoded_path = os.fsencode(path)
        kept = [EncodedText(CORPUS_CACHE_BYTES // self.workers, table)
                for _ in file.ranges] if epochs > 1 and CORPUS_CACHE_BYTES > 0 else None

        def run_epoch(model, epoch, alphas, rng_states, stats, poll, total):
            # the raw words a range holds, for its learning rate: all with one worker
            expected = [total * (end - start) // max(size, 1) for start, end in file.ranges]
            stop = pool.StopFlag()
            cached = epoch > 0 and kept is not None and all(k.held for k in kept)

            def job(i, start, end):
                if cached:
                    return model.train_encoded(kept[i], rng_states[i], *alphas, expected[i],
                                               stats, i, stop.array)
                keep = kept[i] if epoch == 0 and kept is not None else None
                model.train_file(table, encoded_path, start, end, rng_states[i], *alphas,
                                 expected[i], stats, i, stop.array, keep=keep)

            file.run(job, stop, poll)

        return run_epoch

    def _iterable_epoch_runner(self, sentences):
        """A producer thread turns the sentences into id batches for the workers."""
        key_to_index = self.vocab.key_to_index

        def run_epoch(model, epoch, alphas, rng_states, stats, poll, total):
            stop = pool.StopFlag()
            words_before = [0]
            jobs = id_batches(sentences, key_to_index, self.batch_words,
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

            pool.feed(numbered(), consume, self.workers, stop, poll)

        return run_epoch

    # --- persistence -----------------------------------------------------------------

    _PARAMS = ("vector_size", "window", "min_count", "max_vocab_size", "sample", "negative",
               "ns_exponent", "alpha", "min_alpha", "epochs", "workers", "seed",
               "shrink_windows", "sg", "hs", "cbow_mean", "batch_words", "max_final_vocab")

    def save(self, fname, separately=None, sep_limit=10 * 1024 ** 2, ignore=frozenset(),
             pickle_protocol=4):
        """Save the whole model (vectors, context vectors, vocabulary, settings), atomically."""
        no_effect_on_save("save", separately, sep_limit, ignore, pickle_protocol)
        if self.vocab is None:
            raise RuntimeError("nothing to save: the model has no vocabulary yet")
        meta = {"params": {k: getattr(self, k) for k in self._PARAMS},
                "training_loss": self.training_loss_,
                "total_words": self.vocab.total_words, "n_sentences": self.vocab.n_sentences}
        arrays = {"vectors": self.wv.vectors, "words": persist.words_array(self.vocab.words),
                  "counts": self.vocab.counts}
        if self.syn1neg is not None:
            arrays["context_vectors"] = self.syn1neg
        if self.syn1 is not None:
            arrays["syn1"] = self.syn1
        lockf = self._lock_factors()
        if lockf is not None:
            arrays["vectors_lockf"] = lockf
        persist.save(fname, "rnnfast.Word2Vec", FORMAT_VERSION, meta, arrays)

    @class_only
    def load(cls, fname, mmap=None):
        """Load a model written by `save` (or by gensim 4's `save`: see load_gensim); it
        can be trained further. mmap="r" maps its tables from the file read-only (shared
        between processes; such a model answers queries but cannot train), "c"
        copy-on-write (it trains; the file is unchanged)."""
        from rnnfast.embeddings import gensim_files

        parts = gensim_files.read_if_gensim(fname, mmap, "Word2Vec",
                                            "rnnfast.KeyedVectors.load")
        if parts is not None:
            return cls._from_gensim(parts, fname)
        model, words, counts, vectors, lockf = cls._load_checked(
            fname, "rnnfast.Word2Vec", FORMAT_VERSION, "vectors", mmap)
        model.wv = KeyedVectors.from_arrays(words, vectors, counts)
        if lockf is not None:
            model.wv.vectors_lockf = lockf
        return model

    @classmethod
    def _from_gensim(cls, parts, fname):
        """A model of the parts gensim_files.read_gensim read from `fname`."""
        field = functools.partial(persist.check_field, fname)
        settings = {k: v for k, v in parts["settings"].items()
                    if k in cls._PARAMS and k != "workers"}
        try:
            model = cls(**settings)
        except (TypeError, ValueError) as e:
            persist.inconsistent(fname, "settings", f"hold a value rnnfast refuses: {e}")
        kv = KeyedVectors._from_gensim(parts["wv"], fname)
        V, d = len(kv), kv.vector_size
        field("vector_size", d == model.vector_size,
              f"is {model.vector_size}, but the vectors have {d}")
        totals = parts["settings"]
        counts = kv.expandos["count"]
        # gensim before 3.3 did not keep the corpus's word total; the words the vocabulary
        # counted stand in, so that the learning rate of further training falls over an
        # epoch (with 0 it would drop to min_alpha at the first word)
        total_words = totals.get("corpus_total_words") or int(counts.sum())
        model.vocab = Vocabulary(kv.index_to_key, counts, total_words,
                                 totals.get("corpus_count", 0))
        if model.hs:
            model.vocab._huffman = parts["huffman"]
        for name, wanted in (("syn1neg", model.negative > 0), ("syn1", model.hs)):
            table = parts[name]
            field(name, (table is not None) or not wanted, "is missing, but the settings "
                                                           "train it")
            if wanted and len(table) < V:   # gensim's syn1 may hold V - 1 inner nodes
                table = np.concatenate([table, np.zeros((V - len(table), d), np.float32)])
            setattr(model, name, table if wanted else None)
        model.wv = kv
        model.effective_min_count = totals.get("effective_min_count", model.min_count)
        model.min_alpha_yet_reached = float(totals.get("min_alpha_yet_reached", model.alpha))
        return model

    def _check_input(self, V, vectors, field):
        """A saved file's input table against the loaded settings (see _load_checked)."""
        d = self.vector_size
        field("vectors", vectors.shape == (V, d) and vectors.dtype.kind == "f",
              f"is {vectors.dtype} {vectors.shape}, not ({V} words, vector_size {d})")
        field("vectors", all_finite(vectors), "holds NaN or infinity")

    @classmethod
    def _load_checked(cls, fname, kind, version, input_name, mmap=None):
        """A saved model read and checked against itself (its input table `input_name` by
        the model's `_check_input`): returns the model (settings, vocabulary, output
        tables and losses set), its words, counts, input table and lock factors (None
        when the file has none), for the caller to make `wv`."""
        with persist.load(fname, kind, version, mmap) as (data, meta):
            words, counts, table = data["words"], data["counts"], data[input_name]
            lockf = data["vectors_lockf"] if "vectors_lockf" in data.files else None
            outputs = {name: data[key] for name, key in (("syn1neg", "context_vectors"),
                                                         ("syn1", "syn1")) if key in data.files}
        field = functools.partial(persist.check_field, fname)
        params = meta.get("params")
        field("params", isinstance(params, dict), "is not a mapping of settings")
        params = dict(params)
        params.setdefault("sg", 1)  # files from before CBOW are skip-gram models
        try:
            model = cls(**params)
        except (TypeError, ValueError) as e:
            persist.inconsistent(fname, "params", f"holds a bad setting: {e}")
        field("words", words.ndim == 1 and words.dtype.kind == "U" and len(words) > 0,
              f"is {words.dtype} {words.shape}, not a list of words")
        words = words.tolist()
        V, d = len(words), model.vector_size
        field("words", len(set(words)) == V, "holds a word twice")
        field("counts", counts.shape == (V,) and counts.dtype.kind in "iu" and
              (counts >= 0).all(), f"is {counts.dtype} {counts.shape}, not {V} counts >= 0")
        model._check_input(V, table, field)
        for name in ("syn1neg", "syn1"):
            wanted = model.negative > 0 if name == "syn1neg" else model.hs
            field(name, (name in outputs) == bool(wanted),
                  f"is {'missing' if wanted else 'there'}, but the settings say "
                  f"{'negative' if name == 'syn1neg' else 'hs'}="
                  f"{model.negative if name == 'syn1neg' else model.hs}")
        for name, output in outputs.items():
            field(name, output.shape == (V, d) and output.dtype.kind == "f",
                  f"is {output.dtype} {output.shape}, not ({V} words, vector_size {d})")
            field(name, all_finite(output), "holds NaN or infinity")
        total, n_sentences, loss = (meta.get(k) for k in ("total_words", "n_sentences",
                                                          "training_loss"))
        for name, value in (("total_words", total), ("n_sentences", n_sentences)):
            field(name, isinstance(value, int) and value >= 0, f"is {value!r}, not a count")
        field("training_loss", isinstance(loss, list) and all(
            isinstance(v, (int, float)) and not np.isinf(v) for v in loss),
              "is not a list of losses (finite, or NaN for an epoch without pairs)")
        for name in ("syn1neg", "syn1"):
            setattr(model, name, np.ascontiguousarray(outputs[name], dtype=np.float32)
                    if name in outputs else None)
        model.vocab = Vocabulary(words, counts, total, n_sentences)
        model.training_loss_ = loss
        return model, words, counts, table, checked_lockf(fname, lockf, V)

    def __repr__(self):
        size = len(self.vocab) if self.vocab is not None else 0
        return (f"Word2Vec<vocab={size}, vector_size={self.vector_size}, "
                f"{'sg' if self.sg else 'cbow'}, window={self.window}, "
                f"{'hs, ' if self.hs else ''}negative={self.negative}, alpha={self.alpha}>")


# guards the check-and-set of a model's _busy_with (what runs on it, in which thread)
_BUSY = threading.Lock()


@contextlib.contextmanager
def _exclusive(model, what):
    """Run `what` (train or build_vocab) on `model` alone: another of them already
    running on it, from any thread or from a callback, is a RuntimeError (train
    would go on with tables a new vocabulary replaced, or train a vocabulary that
    is half built)."""
    with _BUSY:
        busy = getattr(model, "_busy_with", None)
        if busy is not None:
            raise RuntimeError(f"{what} cannot run while {busy[0]} runs on this model (in "
                               f"thread {busy[1]!r}); wait for it to end")
        model._busy_with = (what, threading.current_thread().name)
    try:
        yield
    finally:
        model._busy_with = None


def _alpha_at(start, end, fraction):
    """The learning rate when `fraction` of all epochs' words are done."""
    return start - (start - end) * min(max(fraction, 0.0), 1.0)


def _call(callbacks, hook, model):
    for cb in callbacks:
        method = getattr(cb, hook, None)
        if method is not None:
            method(model)


def _epoch_end(callbacks, model, epoch):
    """The end-of-epoch hook: a CallbackAny2Vec's on_epoch_end, or a plain callable
    called as cb(model, epoch)."""
    for cb in callbacks:
        if hasattr(cb, "on_epoch_end"):
            cb.on_epoch_end(model)
        elif callable(cb) and not hasattr(cb, "on_train_begin"):
            cb(model, epoch)


def _huffman_path(vocab, part, i):
    """Word i's Huffman path nodes (part 0) or codes (part 1)."""
    paths = vocab.huffman_paths()
    return paths[part][(paths[2][i - 1] if i else 0):paths[2][i]]


def _max_sentence_length(sentences):
    """The sentence cut of the corpus_file reader, or a LineSentence's own (smaller) one."""
    from rnnfast.embeddings._vocab import MAX_SENTENCE
    return min(getattr(sentences, "max_sentence_length", MAX_SENTENCE), MAX_SENTENCE)


def load_gensim(path, mmap=None):
    """A Word2Vec (from gensim 4's `model.save`) or KeyedVectors (from its `wv.save`),
    its side `.npy` files included, read without gensim and without running the
    pickle's code (see gensim_files); mmap ("r" or "c") maps the side files."""
    from rnnfast.embeddings.gensim_files import read_gensim

    kind, parts = read_gensim(path, mmap)
    return (Word2Vec if kind == "Word2Vec" else KeyedVectors)._from_gensim(parts, path)

