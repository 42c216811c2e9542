"""GloVe trained across the workers by stratified blocks."""

import numpy as np

from rnnfast._core.progress import Progress
from rnnfast.dask._cluster import _aligned, _cluster, _item, _lost_worker, _OnCluster
from rnnfast.dask._files import _read
from rnnfast.dask.counting import (GLOVE_RECORD, BlockedCooccurrence, _block_url,
                                   load_blocked_cooccurrence)
from rnnfast.embeddings import checks, glove as _glove_model

__all__ = ["GloVe"]

_ROW_STATE = ("W", "b", "G_W", "G_b")          # a row block: the word vectors' side
_CTX_STATE = ("W_ctx", "b_ctx", "G_ctx", "G_bctx")  # a column block: the contexts' side


def _stratum_pairs(url, local_of, x_max, alpha, order_seed):
    """Block (p, q)'s training pairs, ids made local to the blocks, shuffled once."""
    from rnnfast.embeddings.glove_prepare import prepared_pairs

    data = _read(url)
    records = np.frombuffer(data, GLOVE_RECORD)
    rows = local_of[records["i"] - 1]
    cols = local_of[records["j"] - 1]
    # the one-machine shuffle, in one thread: a task's order is its inputs' alone
    return prepared_pairs(rows, cols, records["x"], len(local_of), x_max, alpha, order_seed,
                          workers=1, progress=False)[0]


def _train_stratum(rows, ctx, pairs, order_seed, learning_rate, clip):
    """One pass of the AdaGrad kernel over block (p, q)'s pairs (one thread, so the
    result depends on nothing but the inputs); returns new (rows, ctx, cost, skipped)."""
    from rnnfast.embeddings._glove import EPOCH_STATS_DTYPE, glove_epoch

    rows = {k: v.copy() for k, v in rows.items()}
    ctx = {k: v.copy() for k, v in ctx.items()}
    pairs = _aligned(pairs)
    stats = np.zeros(1, EPOCH_STATS_DTYPE)
    if len(pairs):
        n_blocks = -(-len(pairs) // _glove_model.PAIR_BLOCK)
        order = np.random.default_rng(order_seed).permutation(n_blocks)
        state = {**rows, **ctx}
        glove_epoch(*(state[k] for k in checks.GLOVE_STATE), pairs, order, 0, n_blocks,
                    learning_rate, clip, _glove_model.PAIR_BLOCK, stats, 0, None)
    return rows, ctx, float(stats["cost"][0]), int(stats["skipped"][0])



class GloVe(_glove_model.GloVe):
    """GloVe trained on a Dask cluster from a BlockedCooccurrence, by stratified blocks
    (DSGD, Gemulla et al. 2011): block p of the rows (vectors, biases, AdaGrad sums)
    is trained in sub-epoch s against block (p + s) mod P of the contexts, the P blocks
    of a sub-epoch in parallel (they share no row and no column); the sub-epochs' order
    is drawn afresh each epoch. Parameters and attributes as `rnnfast.GloVe` (the
    counting ones unused); a checkpoint is the one-machine format, so either can resume
    the other's. With one block the run equals `rnnfast.GloVe(workers=1)
    .fit_cooccurrence(counts.to_coo(), vocab)` bit for bit.

    In each sub-epoch a task's row block or column block goes to the other's worker:
    V/P x (d + 1) x 2 float32 (vectors, biases and their AdaGrad sums) per task."""

    def fit(self, counts, vocab, client=None, resume=False):
        """Train on the blocks of `counts` (a BlockedCooccurrence, or the `out` it was
        written to) whose ids are vocab's; returns self."""
        if not isinstance(counts, BlockedCooccurrence):
            counts = load_blocked_cooccurrence(counts)
        words = checks.check_vocab_words(vocab)
        if len(words) != counts.vocab_size:
            raise ValueError(f"counts are over {counts.vocab_size} words but vocab has "
                             f"{len(words)}")
        if counts.nnz == 0:
            raise ValueError("the co-occurrence blocks are empty: nothing to train on")
        with _cluster(client) as c:
            for attempt in range(3):
                try:
                    return self._fit_blocks(counts, words, resume or attempt > 0,
                                            _OnCluster(c))
                except Exception as e:  # noqa: BLE001: only a lost worker is retried
                    if not (self.checkpoint and _lost_worker(e)) or attempt == 2:
                        raise
                    # blocks that lived on a lost worker cannot be recomputed (their
                    # inputs are gone): go on from the last epoch's checkpoint
                    self.state_ = None

    def _fit_blocks(self, counts, words, resume, runner):
        V, P = len(words), counts.blocks
        self.words_ = words
        self._start_state(words, resume)
        members = [counts.rows_of(p) for p in range(P)]
        # every block padded to one size: the kernel takes equal row counts on both sides
        size = max(len(m) for m in members)
        local_of = np.zeros(V, np.int32)
        for m in members:
            local_of[m] = np.arange(len(m), dtype=np.int32)

        def blocks_of(keys):
            out = []
            for m in members:
                block = {}
                for k in keys:
                    a = self.state_[k]
                    padded = np.zeros((size,) + a.shape[1:], a.dtype)
                    padded[:len(m)] = a[m]
                    block[k] = padded
                out.append(block)
            return out

        rows = [runner.put(b) for b in blocks_of(_ROW_STATE)]
        ctx = [runner.put(b) for b in blocks_of(_CTX_STATE)]
        local_of = runner.put(local_of)
        # the one-machine streams when there is one block, so that P = 1 is that run
        one = P == 1
        pairs = [[runner.submit(_stratum_pairs, _block_url(counts.out, p, q), local_of,
                                self.x_max, self.alpha,
                                [self.seed] if one else [self.seed, 3, p, q])
                  for q in range(P)] for p in range(P)]
        report = Progress("glove", counts.nnz, "pairs", self.progress, self.epochs)
        for epoch in range(len(self.cost_), self.epochs):
            order = [0] if one else np.random.default_rng([self.seed, epoch, 1]).permutation(P)
            results = []
            for s in order:
                new_rows, new_ctx = [None] * P, [None] * P
                for p in range(P):
                    q = (p + int(s)) % P
                    done = runner.submit(_train_stratum, rows[p], ctx[q], pairs[p][q],
                                         [self.seed, epoch] if one else
                                         [self.seed, epoch, 2, p, q],
                                         self.learning_rate, self.clip)
                    new_rows[p] = runner.submit(_item, done, 0)
                    new_ctx[q] = runner.submit(_item, done, 1)
                    results.append(runner.submit(_item, done, 2))
                    results.append(runner.submit(_item, done, 3))
                rows, ctx = new_rows, new_ctx
            figures = runner.gather(results)
            cost, skipped = float(sum(figures[0::2])), int(sum(figures[1::2]))
            self._end_epoch(epoch, cost, skipped, counts.nnz, report)
            last = epoch + 1 == self.epochs
            if self.checkpoint or last or self.callbacks:
                self._gather_state(runner.gather(rows), runner.gather(ctx), members)
            if self.checkpoint:
                self.save(self.checkpoint)
            for cb in self.callbacks:
                self._set_vectors()
                cb(self, epoch)
        if not self._finite():
            raise FloatingPointError("training diverged: the vectors are not finite")
        self._set_vectors()
        return self

    def _gather_state(self, rows, ctx, members):
        """The blocks written back into the whole state_ (padding dropped)."""
        for blocks in (rows, ctx):
            for m, block in zip(members, blocks):
                for k, a in block.items():
                    self.state_[k][m] = a[:len(m)]
