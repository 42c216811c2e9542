"""GloVe: co-occurrence counting inside a memory budget, then AdaGrad on many threads.

Training minimises sum f(X_ij) (w_i.c_j + b_i + bc_j - log X_ij)^2 with
f(x) = min(1, (x / x_max)^alpha): the pairs are shuffled once, then each epoch
visits blocks of them in a fresh random order; float32 parameters, threads with
the GIL released. Several workers train disjoint strata of the matrix side by side (no
two touch one row), so an epoch gives the same vectors however the threads run.
"""

import os

import numpy as np
from scipy import sparse

from rnnfast._core import persist, pool
from rnnfast._core.checks import FLOAT32_MAX, all_finite, check_index, check_number
from rnnfast._core.progress import Progress
from rnnfast.embeddings import checks
from rnnfast.embeddings.cooccur import count_arrays, load_cooccurrence, parse_memory, sum_duplicates
from rnnfast.embeddings.glove_prepare import GROUP_RUN, prepared_pairs, step_ranges
from rnnfast.embeddings.keyedvectors import KeyedVectors
from rnnfast.embeddings.vocab import Vocabulary

__all__ = ["GloVe"]

_STATE = checks.GLOVE_STATE
# pairs per block of the epoch order (64 KB of records)
PAIR_BLOCK = 4096
# at most this many workers train at once (an epoch is as many steps)
MAX_STRATA = 64
# The layout of a saved model or checkpoint (persist checks it on load).
FORMAT_VERSION = 1


class GloVe:
    """GloVe word vectors.

    `fit(sentences=..., corpus_file=...)` builds the vocabulary (min_count,
    max_vocab_size), counts co-occurrences and trains; `fit_cooccurrence(matrix,
    vocab)` trains on counts you have (a sparse matrix or a GloVe binary file).
    After fitting: `wv` (KeyedVectors of W + W_ctx, or W alone with
    output="word"), `cost_` (summed loss per epoch), `skipped_` (pairs skipped per
    epoch for a non-finite score), `cooccurrence_` (the counts, when fit counted them).

    Updates follow GloVe's C code for the word vectors: gradients scaled by the
    learning rate, AdaGrad sums of those scaled squares started at 1; the biases
    are scaled the same way (GloVe's current code leaves its bias steps unscaled;
    see reference.glove_epoch).
    `checkpoint` (a path) saves the whole state after every epoch; `resume=True`
    continues from it.

    Examples
    --------
    >>> from rnnfast import GloVe
    >>> from rnnfast.datasets import toy_corpus
    >>> glove = GloVe(vector_size=16, min_count=1, epochs=5, workers=1, progress=False)
    >>> glove.fit(sentences=toy_corpus(2000)).wv.vectors.shape
    (122, 16)
    """

    def __init__(self, vector_size=100, window=10, min_count=5, x_max=100.0, alpha=0.75,
                 learning_rate=0.05, epochs=25, symmetric=True, distance_weighting=True,
                 memory_limit=None, workers=None, seed=1, max_vocab_size=None, output="sum",
                 clip=100.0, checkpoint=None, callbacks=(), progress=None, tmp_dir=None):
        self.vector_size = check_index("vector_size", vector_size, low=1)
        self.window = check_index("window", window, low=1, high=checks.MAX_COOC_WINDOW)
        self.min_count = check_index("min_count", min_count, low=1)
        self.max_vocab_size = check_index("max_vocab_size", max_vocab_size, low=1,
                                          optional=True)
        self.epochs = check_index("epochs", epochs, low=1)
        self.workers = pool.check_workers(workers)
        self.seed = check_index("seed", seed, low=0)
        self.x_max = check_number("x_max", x_max, above=0.0)
        self.alpha = check_number("alpha", alpha, low=0.0)
        # the kernel computes in float32: larger values cannot even be represented
        self.learning_rate = check_number("learning_rate", learning_rate, above=0.0,
                                          high=FLOAT32_MAX)
        self.clip = check_number("clip", clip, above=0.0, high=FLOAT32_MAX)
        if output not in ("sum", "word"):
            raise ValueError(f"output must be 'sum' (W + W_ctx) or 'word' (W), got {output!r}")
        self.output = output
        parse_memory(memory_limit)  # refuse a bad size now, not after building the vocabulary
        self.memory_limit = memory_limit
        self.symmetric, self.distance_weighting = bool(symmetric), bool(distance_weighting)
        self.checkpoint, self.callbacks, self.progress = checkpoint, list(callbacks), progress
        self.tmp_dir = tmp_dir
        self.state_ = None
        self.cost_, self.skipped_ = [], []
        self._cooccurrence_digest = None

    def fit(self, sentences=None, corpus_file=None, resume=False):
        """Build the vocabulary, count co-occurrences and train; returns self."""
        checks.check_one_source(sentences, corpus_file)
        if corpus_file is not None:
            vocab = Vocabulary.from_corpus_file(corpus_file, self.min_count, self.max_vocab_size,
                                                self.progress)
        else:
            vocab = Vocabulary.from_sentences(sentences, self.min_count, self.max_vocab_size,
                                              self.progress)
        rows, cols, values = count_arrays(vocab, sentences, corpus_file, self.window,
                                          self.symmetric, self.distance_weighting,
                                          self.memory_limit, self.workers, self.tmp_dir,
                                          self.progress)
        V = len(vocab)
        self.cooccurrence_ = sparse.coo_matrix((values, (rows, cols)), shape=(V, V))
        if len(values) == 0:
            raise ValueError("the corpus has no co-occurring pair inside the window: "
                             "nothing to train on")
        # counting gives each pair once, so the checks and merging of fit_cooccurrence
        # (a sort of every pair) are not needed
        return self._train(rows, cols, values, vocab.words, resume)

    def fit_cooccurrence(self, matrix, vocab, resume=False):
        """Train on co-occurrence counts: a V x V sparse matrix (or a GloVe binary file path)
        whose row and column i belong to vocab[i]; returns self."""
        words = checks.check_vocab_words(vocab)
        V = len(words)
        if isinstance(matrix, (str, os.PathLike)):
            matrix = load_cooccurrence(matrix, V)
        if not sparse.issparse(matrix):
            raise TypeError(f"matrix must be a scipy sparse matrix or a file path, got "
                            f"{type(matrix).__name__}")
        if matrix.shape != (V, V):
            raise ValueError(f"matrix has shape {matrix.shape} but vocab has {V} words")
        coo = sparse.coo_matrix(matrix)
        rows, cols, counts = sum_duplicates(coo.row, coo.col, coo.data, V)
        keep = counts != 0
        rows, cols, counts = rows[keep], cols[keep], counts[keep]
        if len(counts) == 0:
            raise ValueError("the co-occurrence matrix is all zeros: nothing to train on "
                             "(is the corpus too small for min_count, or the window 0?)")
        if not np.isfinite(counts).all() or counts.min() < 0:
            raise ValueError("co-occurrence counts must be finite and non-negative")
        return self._train(rows, cols, counts, words, resume)

    def _train(self, rows, cols, counts, words, resume):
        V = len(words)
        # The pairs are shuffled once; each epoch then visits blocks of them in a fresh
        # random order, each block as it lies. That is a fresh order per epoch at the
        # cost of a permutation of n / PAIR_BLOCK numbers (a full permutation of the
        # pairs each epoch took a third of the epoch), and reading pairs in sequence
        # leaves only the vector rows to be fetched at random.
        strata = max(1, min(self.workers, -(-V // GROUP_RUN), MAX_STRATA))
        pairs, self._cooccurrence_digest, bounds = prepared_pairs(
            rows, cols, counts, V, self.x_max, self.alpha, self.seed, self.workers,
            self.progress, strata)
        self.words_ = words
        self._start_state(words, resume)
        report = Progress("glove", len(counts), "pairs", self.progress, self.epochs)
        for epoch in range(len(self.cost_), self.epochs):
            cost, skipped = self._epoch(pairs, bounds, strata, report, epoch)
            self._end_epoch(epoch, cost, skipped, len(pairs), report, self._finite())
            if self.checkpoint:
                self.save(self.checkpoint)
            for cb in self.callbacks:
                cb(self, epoch)
        self._set_vectors()
        return self

    def _finite(self):
        return all(all_finite(self.state_[k]) for k in ("W", "W_ctx"))

    def _end_epoch(self, epoch, cost, skipped, n_pairs, report, finite=True):
        """Record an epoch's cost and skipped pairs and report them; FloatingPointError
        if training diverged (a non-finite cost or vectors, or every pair skipped)."""
        if not np.isfinite(cost) or skipped == n_pairs or not finite:
            raise FloatingPointError(
                f"training diverged in epoch {epoch + 1} (cost {cost}, {skipped:,} of "
                f"{n_pairs:,} pairs skipped for a non-finite score); lower "
                f"learning_rate ({self.learning_rate}) or clip ({self.clip})")
        self.cost_.append(cost)
        self.skipped_.append(skipped)
        report.update((epoch + 1) * n_pairs, epoch, force=True, cost=cost,
                      cost_per_pair=cost / n_pairs, skipped=skipped)

    def _start_state(self, words, resume):
        """state_, cost_ and skipped_ to train from: the checkpoint's when resuming (its
        vocabulary and settings must be these), the state already held, or a fresh one."""
        V = len(words)
        if resume and self.checkpoint and os.path.exists(self.checkpoint):
            saved = GloVe.load(self.checkpoint)
            if saved.words_ != words or saved.vector_size != self.vector_size:
                raise ValueError(f"checkpoint {self.checkpoint!r} belongs to another vocabulary "
                                 f"or vector size")
            changed = [f"{k}={getattr(saved, k)!r} there, {getattr(self, k)!r} here" for k in
                       ("seed", "learning_rate", "x_max", "alpha", "clip")
                       if getattr(saved, k) != getattr(self, k)]
            if changed:
                raise ValueError(f"checkpoint {self.checkpoint!r} was trained with other "
                                 f"settings ({'; '.join(changed)}): resume with the same ones")
            saved_digest = saved._cooccurrence_digest
            if saved_digest is not None and saved_digest != self._cooccurrence_digest:
                raise ValueError(f"checkpoint {self.checkpoint!r} was trained on other "
                                 f"co-occurrence counts (another corpus, window, symmetric or "
                                 f"distance_weighting?): resume on the same ones")
            self.state_, self.cost_, self.skipped_ = saved.state_, saved.cost_, saved.skipped_
        elif not resume or self.state_ is None:
            self.state_ = self._initial_state(V)
            self.cost_, self.skipped_ = [], []
        # checked once per fit: a resumed or assigned state is read by the kernels unchecked
        where = f"checkpoint {self.checkpoint!r}" if resume and self.checkpoint else "state_"
        if checks.check_glove_state(self.state_, where) != (V, self.vector_size):
            raise ValueError(f"{where} holds vectors of shape {self.state_['W'].shape}, not "
                             f"({V}, {self.vector_size}) for this vocabulary and vector_size")

    def _initial_state(self, V):
        rng = np.random.default_rng(self.seed)
        d = self.vector_size
        state = {k: ((rng.random((V, d), dtype=np.float32) - 0.5) / d) for k in ("W", "W_ctx")}
        state.update({k: ((rng.random(V, dtype=np.float32) - 0.5) / d) for k in ("b", "b_ctx")})
        state.update({k: np.ones((V, d), np.float32) for k in ("G_W", "G_ctx")})
        state.update({k: np.ones(V, np.float32) for k in ("G_b", "G_bctx")})
        return state

    def _epoch(self, pairs, bounds, strata, report, epoch):
        """One epoch; returns (cost, skipped). With S = strata > 1 it runs in S steps: in
        step s, worker r trains block r * S + s of the pairs (see `prepared_pairs`),
        and no two workers touch the same row, column or bias. (Hogwild threads sharing
        rows ran slower on 2 cores than 1 where the cores share no cache: 8.6M against
        15.4M pairs a second.) Each block's pairs are visited in blocks of PAIR_BLOCK in
        an order drawn afresh each epoch."""
        from rnnfast.embeddings._glove import EPOCH_STATS_DTYPE, glove_epoch

        stats = np.zeros(strata, EPOCH_STATS_DTYPE)
        arrays = [self.state_[k] for k in _STATE]
        stop = pool.StopFlag()

        def worker(r, s, lo, hi):
            part = pairs[lo:hi]
            # a stream per epoch and block, so that a resumed run visits pairs as an
            # unbroken one would
            seed = [self.seed, epoch] if strata == 1 else [self.seed, epoch, s, r]
            order = np.random.default_rng(seed).permutation(-(-(hi - lo) // PAIR_BLOCK))
            return lambda: glove_epoch(*arrays, part, order, 0, len(order),
                                       self.learning_rate, self.clip, PAIR_BLOCK, stats, r,
                                       stop.array) if hi > lo else None

        def poll():
            done = int(stats["pairs"].sum())
            report.update(epoch * len(pairs) + done, epoch, cost=float(stats["cost"].sum()),
                          cost_per_pair=float(stats["cost"].sum()) / max(done, 1))

        for s in range(strata):
            pool.run([worker(r, s, lo, hi)
                      for r, (lo, hi) in enumerate(step_ranges(bounds, strata, s))],
                     stop, poll)
        return float(stats["cost"].sum()), int(stats["skipped"].sum())

    def _set_vectors(self):
        vectors = self.state_["W"] + (self.state_["W_ctx"] if self.output == "sum" else 0)
        self.wv = KeyedVectors.from_arrays(self.words_, vectors)

    def save(self, path):
        """Write the whole training state (parameters and AdaGrad sums), atomically."""
        if self.state_ is None:
            raise RuntimeError("nothing to save: the model is not fitted")
        params = {k: getattr(self, k) for k in (
            "vector_size", "window", "min_count", "x_max", "alpha", "learning_rate", "epochs",
            "symmetric", "distance_weighting", "memory_limit", "workers", "seed",
            "max_vocab_size", "output", "clip")}
        persist.save(path, "rnnfast.GloVe", FORMAT_VERSION,
                     {"params": params, "cost": self.cost_, "skipped": self.skipped_,
                      "cooccurrence_digest": getattr(self, "_cooccurrence_digest", None)},
                     {"words": persist.words_array(self.words_), **self.state_})

    @classmethod
    def load(cls, path):
        """A model written by `save`; fit_cooccurrence(..., resume=True) continues it.
        The file is checked against itself first (InconsistentFileError naming the field)."""
        with persist.load(path, "rnnfast.GloVe", FORMAT_VERSION) as (data, meta):
            params = meta.get("params")
            try:
                model = cls(**params)
            except (TypeError, ValueError) as e:
                persist.inconsistent(path, "params", f"holds a bad setting: {e}")
            model.state_ = {k: np.array(data[k]) for k in _STATE}
            words = data["words"]
            persist.check_field(path, "words", words.ndim == 1 and words.dtype.kind == "U",
                                f"is {words.dtype} {words.shape}, not a list of words")
            model.words_ = words.tolist()
            cost, skipped = meta.get("cost"), meta.get("skipped")
            digest = meta.get("cooccurrence_digest")
        persist.check_field(path, "words", len(set(model.words_)) == len(model.words_),
                            "holds a word twice")
        try:
            shape = checks.check_glove_state(model.state_, "the state")
        except (TypeError, ValueError) as e:
            persist.inconsistent(path, "state", f"is not a GloVe state: {e}")
        persist.check_field(path, "W", shape == (len(model.words_), model.vector_size),
                            f"has shape {shape}, not ({len(model.words_)} words, vector_size "
                            f"{model.vector_size})")
        persist.check_field(path, "cost", isinstance(cost, list) and all(
            isinstance(c, (int, float)) and np.isfinite(c) for c in cost),
                            "is not a list of finite numbers")
        persist.check_field(path, "skipped", isinstance(skipped, list) and len(skipped) ==
                            len(cost) and all(isinstance(n, int) and n >= 0 for n in skipped),
                            "is not one count >= 0 per epoch of cost")
        persist.check_field(path, "cost", len(cost) <= model.epochs,
                            f"has {len(cost)} epochs, more than epochs={model.epochs}")
        persist.check_field(path, "cooccurrence_digest", digest is None or (
            isinstance(digest, str) and len(digest) == 32), "is damaged")
        model.cost_, model.skipped_ = cost, skipped
        model._cooccurrence_digest = digest
        model._set_vectors()
        return model
