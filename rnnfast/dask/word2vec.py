"""Word2Vec trained across the workers, which combine the rows they touch.

Each worker holds a full copy of the model (its replica) and trains its own pieces
of the corpus, about `sync_words` raw words each, with the one-machine kernel (the
kernel marks the rows it moves). After every piece the touched rows are combined
(by default: the agreed value plus every worker's change since it) and every replica
takes the result: P reduce tasks, one per slice of the rows (row mod P), so no worker
receives more than its share. The learning rate follows the words read by all
workers together.
"""

import os
import time

import numpy as np

from rnnfast._core import pool
from rnnfast._core.checks import all_finite, check_index
from rnnfast._core.progress import Progress
from rnnfast.dask._cluster import _cluster, _item, _lost_worker, _OnCluster, _pick
from rnnfast.dask._files import _readable, shards
from rnnfast.dask.counting import build_vocab
from rnnfast.embeddings import word2vec as _word2vec
from rnnfast.embeddings.corpus import FileRanges
from rnnfast.embeddings.keyedvectors import KeyedVectors
from rnnfast.embeddings.vocab import Vocabulary

__all__ = ["Word2Vec"]

SYNC_WORDS = 1_000_000
_TABLES = ("vectors", "syn1neg", "syn1")


class _Replica:
    """One worker's copy of the model: its tables, random streams (one per thread)
    and settings. The kernel objects are built where the replica lives and are not
    pickled (Dask may move or spill a replica only as its arrays)."""

    def __init__(self, settings, words, counts, totals, tables, rng):
        self.settings, self.words, self.counts, self.totals = settings, words, counts, totals
        self.tables, self.rng = tables, rng
        self._kernel = self._base = None

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("_kernel", "_base")}

    def __setstate__(self, state):
        self.__dict__.update(state, _kernel=None, _base=None)

    def base(self):
        """The tables as all replicas last agreed on them (before this round's piece)."""
        if self._base is None:
            self.kernel()
            self._base = {k: None if v is None else v.copy() for k, v in self.tables.items()}
        return self._base

    def kernel(self):
        """(SGNSModel over the tables, TokenTable of the words, update counters)."""
        if self._kernel is None:
            from rnnfast.embeddings._vocab import TokenTable

            m = _word2vec.Word2Vec(**self.settings)
            m.vocab = Vocabulary(self.words, self.counts, *self.totals)
            m.wv = KeyedVectors.from_arrays(self.words, self.tables["vectors"], self.counts)
            m.syn1neg, m.syn1 = self.tables["syn1neg"], self.tables["syn1"]
            self.tables["vectors"] = m.wv.vectors  # the very array the kernel moves
            model = m._kernel_model()
            counters = {k: None if t is None else np.zeros(len(t), np.uint32)
                        for k, t in self.tables.items()}
            model.count_updates(counters["vectors"], counters["syn1neg"], counters["syn1"])
            table = TokenTable.from_words([w.encode("utf-8") for w in self.words])
            self._kernel = (model, table, counters)
        return self._kernel

    def apply(self, merged):
        """Take the combined rows of every slice: they are the new agreed values."""
        base = self.base()
        for part in merged:
            for name, (rows, values) in part.items():
                self.tables[name][rows] = values
                base[name][rows] = values


def _train_piece(replica, merged, piece, words_done, alphas, words_total, replicas):
    """Take the last combined rows, then train one piece (None: none left this round) on
    the replica's threads. The learning rate counts every worker's words: each of the
    replicas x threads streams reads 1/n of the words_done so far and of the pass.
    Returns (the touched rows in `replicas` slices, (loss, pairs, words))."""
    from rnnfast.embeddings._sgns import STATS_DTYPE

    replica.apply(merged)
    model, table, counters = replica.kernel()
    if piece is None:
        return [{} for _ in range(replicas)], (0.0, 0, 0)
    for c in counters.values():
        if c is not None:
            c[:] = 0
    threads = len(replica.rng)
    streams = replicas * threads
    stats = np.zeros(threads, STATS_DTYPE)
    stop = pool.StopFlag()
    with _readable(piece) as (path, start, end):
        encoded = os.fsencode(path)

        def job(i, start, end):
            model.train_file(table, encoded, start, end, replica.rng[i], *alphas,
                             max(words_total // streams, 1), stats, i, stop.array,
                             words_done // streams)

        # the piece is the worker's own copy or a shard no one writes: no stamp
        FileRanges(path, threads, (start, end), stamp=False).run(job, stop)
    parts = [{} for _ in range(replicas)]
    for name, c in counters.items():
        if c is None:
            continue
        for q in range(replicas):
            rows = np.flatnonzero(c[q::replicas]) * replicas + q
            parts[q][name] = (rows, replica.tables[name][rows], c[rows])
    figures = (float(stats["loss"].sum()), int(stats["pairs"].sum()), int(stats["words"].sum()))
    return parts, figures


COMBINE_RULES = ("sum", "average")


def _combine(parts, replica, rule):
    """One slice's rows over all replicas, as float32 values every replica takes.

    `parts[p][name]` is replica p's (rows, values, update counts) for the slice, rows
    ascending and all equal to the same q mod len(parts). "sum": the agreed value
    plus every replica's change since it (k replicas moved a row: the sum of their
    values minus (k - 1) x the agreed one), the one-machine Hogwild update
    spread over machines. "average": the replicas' values weighted by their update
    counts (in float64). Either way a row one replica moved keeps that replica's value
    exactly."""
    out, step = {}, len(parts)
    for name in _TABLES:
        got = [p[name] for p in parts if name in p]
        if not got:
            continue
        agreed = replica.base()[name]
        # the slice's rows in a dense range (row // step): no sort, no concatenation
        size = -(-len(agreed) // step)
        moved = np.zeros(size, np.int32)
        weight = np.zeros(size, np.float64) if rule == "average" else None
        # float32 sums for "sum" (each is as exact as a training step's own rounding)
        total = np.zeros((size, agreed.shape[1]), agreed.dtype if weight is None else np.float64)
        for rows, values, counts in got:  # rows are distinct within a part
            at = rows // step
            moved[at] += 1
            if weight is None:
                total[at] += values
            else:
                total[at] += values * counts.astype(np.float64)[:, None]
                weight[at] += counts
        at = np.flatnonzero(moved)
        residue = next((int(g[0][0]) % step for g in got if len(g[0])), 0)
        rows = at * step + residue
        if weight is None:
            shared = at[moved[at] > 1]  # the rest keep their one replica's value
            combined = total[at]
            again = moved[shared] - 1
            combined[np.searchsorted(at, shared)] -= (
                again.astype(agreed.dtype)[:, None] * agreed[shared * step + residue])
        else:
            combined = (total[at] / weight[at, None]).astype(np.float32)
        out[name] = (rows, combined)
    return out


def _add(done, *figures):
    return done + sum(f[2] for f in figures)


def _export(replica, merged):
    """The replica's tables with the last combined rows taken (every replica's are
    then equal)."""
    replica.apply(merged)
    return {k: None if v is None else v.copy() for k, v in replica.tables.items()}


def _streams(replica, after):
    """The replica's random streams, once `after` (its last task) is done."""
    return replica.rng.copy()


class Word2Vec(_word2vec.Word2Vec):
    """Word2Vec trained on a Dask cluster: `Word2Vec(...).fit(paths, client)`.

    Parameters as `rnnfast.Word2Vec` (its defaults, gensim's), with `workers` the
    threads per Dask worker, and:

    sync_words : int, the raw words each worker trains between two combinations.
        The corpus (paths, globs or fsspec URLs) is cut into pieces of about this
        many words (a compressed file is one piece); in each round every worker
        trains one piece, in file order, then the rows any worker moved are combined.
    combine : "sum" (default) or "average". "sum" gives each row the agreed value
        plus the sum of the workers' changes, as Hogwild threads would on one machine;
        "average" gives the workers' values weighted by how often each moved the row,
        which shrinks every shared row's step by about the number of workers (it
        measured 7 analogy points worse at 2 workers; see docs/dask.md).

    With one Dask worker and workers=1 the run equals
    `rnnfast.Word2Vec(corpus_file=path, workers=1)` bit for bit, whichever rule.
    Each combination moves, per worker, the rows it touched out and the combined rows
    in: at most V x d x 4 bytes each way per table (see docs/dask.md)."""

    def __init__(self, sync_words=SYNC_WORDS, combine="sum", **params):
        for name in ("sentences", "corpus_file"):
            if params.get(name) is not None:
                raise TypeError(f"rnnfast.dask.Word2Vec takes no {name}: call "
                                "fit(paths, client) instead")
        if params.get("max_vocab_size") is not None:
            raise ValueError("max_vocab_size prunes in reading order, which a split corpus "
                             "cannot reproduce; leave it out on Dask")
        super().__init__(**params)
        self.sync_words = check_index("sync_words", sync_words, low=1)
        if combine not in COMBINE_RULES:
            raise ValueError(f"combine must be one of {COMBINE_RULES}, got {combine!r}")
        self.combine = combine

    def fit(self, paths, client=None):
        """Count the vocabulary of the corpus at `paths` and train on it; returns self."""
        with _cluster(client) as c:
            counted = build_vocab(paths, 1 if self.trim_rule else max(self.min_count, 1),
                                  client=c)
            self._adopt_vocab(counted, False, self.trim_rule)
            pieces = self._pieces(paths)
            self._rng = None
            _word2vec._call(self.callbacks, "on_train_begin", self)
            where = _placements(c, 1)
            if not where:
                raise RuntimeError("rnnfast.dask.Word2Vec: the cluster has no workers "
                                   "(none joined within 30 s)")
            for attempt in range(3):
                try:
                    self._epochs(pieces, _OnCluster(c), where)
                    break
                except Exception as e:  # noqa: BLE001: only a lost worker is retried
                    if not _lost_worker(e) or attempt == 2:
                        raise
                    # a lost replica cannot be rebuilt from its lineage (it was trained
                    # in place): go on from the last epoch's end, kept here, on the
                    # workers there are (a restarted one has a new address) once as
                    # many are back, or soon
                    where = _placements(c, len(where))
        _word2vec._call(self.callbacks, "on_train_end", self)
        return self

    def _pieces(self, paths):
        """The corpus in pieces of about sync_words raw words."""
        found = shards(paths)
        plain = sum(b - a for _, a, b, compressed in found if not compressed)
        per_word = plain / max(self.vocab.total_words, 1)
        return shards(paths, max(int(self.sync_words * per_word), 1))

    def _epochs(self, pieces, runner, where):
        """Train the epochs left, replica p on worker where[p] (None: in process)."""
        replicas = len(where)
        threads, total, epochs = self.workers, self._epoch_words(None, None), self.epochs
        first = len(self.training_loss_)
        rng = getattr(self, "_rng", None)
        if rng is None or rng.shape[:2] != (replicas, threads):
            # the one-machine streams at the start; a retried epoch reuses the streams
            # of the last epoch's end (so it repeats bit for bit), fresh ones only
            # when the number of workers changed
            seeds = np.random.SeedSequence(self.seed if first == 0 else [self.seed, first])
            self._rng = seeds.generate_state(replicas * threads, np.uint64).reshape(
                replicas, threads, 1)
        settings = {k: getattr(self, k) for k in self._PARAMS}
        report = Progress("word2vec", total, "words", self.progress, epochs)
        callbacks = self.callbacks
        for epoch in range(first, epochs):
            _word2vec._call(callbacks, "on_epoch_begin", self)
            tables = {"vectors": self.wv.vectors, "syn1neg": self.syn1neg, "syn1": self.syn1}
            reps = [runner.put(_Replica(settings, self.vocab.words, self.vocab.counts,
                                        (self.vocab.total_words, self.vocab.n_sentences),
                                        {k: None if v is None else v.copy()
                                         for k, v in tables.items()},
                                        self._rng[p].copy()), where[p])
                    for p in range(replicas)]
            alphas = (_word2vec._alpha_at(self.alpha, self.min_alpha, epoch / epochs),
                      _word2vec._alpha_at(self.alpha, self.min_alpha, (epoch + 1) / epochs))
            merged, done, last, figures = [], 0, [None] * replicas, []
            for r in range(0, len(pieces), replicas):
                batch = pieces[r:r + replicas] + [None] * (r + replicas - len(pieces))
                results = [runner.submit(_train_piece, reps[p], merged, batch[p], done, alphas,
                                         total, replicas, where=where[p])
                           for p in range(replicas)]
                stats = [runner.submit(_item, f, 1, where=where[p])
                         for p, f in enumerate(results)]
                merged = [runner.submit(_combine, [runner.submit(_pick, f, q, where=where[p])
                                                   for p, f in enumerate(results)],
                                        reps[q], self.combine, where=where[q])
                          for q in range(replicas)]
                done = runner.submit(_add, done, *stats)
                figures += stats
                last = results
            state = runner.submit(_export, reps[0], merged, where=where[0])
            rngs = [runner.submit(_streams, reps[p], last[p], where=where[p])
                    for p in range(replicas)]
            loss = pairs = words = 0
            for f in runner.as_completed(figures):
                loss, pairs, words = loss + f[0], pairs + f[1], words + f[2]
                report.update(epoch * total + words, epoch,
                              alpha=_word2vec._alpha_at(self.alpha, self.min_alpha,
                                                        (epoch + words / total) / epochs),
                              loss=loss / pairs if pairs else None)
            new = runner.gather(state)
            self._rng = np.stack(runner.gather(rngs))
            del reps, merged, results
            self.wv.vectors[:] = new["vectors"]
            for name in ("syn1neg", "syn1"):
                if new[name] is not None:
                    getattr(self, name)[:] = new[name]
            self.wv.vectors_changed()
            if not all(all_finite(t) for t in new.values() if t is not None):
                raise FloatingPointError(f"training diverged in epoch {epoch + 1}: the vectors "
                                         f"hold NaN or infinity; lower alpha (now {self.alpha})")
            self.running_training_loss += loss
            self.training_loss_.append(loss / pairs if pairs else float("nan"))
            _word2vec._epoch_end(callbacks, self, epoch)
        report.update(epochs * total, epochs - 1, force=True,
                      alpha=_word2vec._alpha_at(self.alpha, self.min_alpha, 1.0),
                      loss=self.training_loss_[-1])
        return self


def _placements(client, wait_for=0, timeout=30.0):
    """The running workers' addresses, sorted: replica p lives on the p-th. With
    `wait_for`, first wait up to `timeout` seconds until that many are running (a
    lost one restarting: the scheduler may list it, or not yet list its successor,
    for a while after the loss is reported)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            info = client.scheduler_info(n_workers=-1)
        except TypeError:  # distributed before 2025: every worker, always
            info = client.scheduler_info()
        running = sorted(address for address, w in info["workers"].items()
                         if w.get("status", "running") == "running")
        if len(running) >= wait_for or time.monotonic() > deadline:
            return running
        time.sleep(0.1)
