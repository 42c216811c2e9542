"""The kernels of word2vec (skip-gram and CBOW, negative sampling and hierarchical softmax).

Thin Cython layer over csrc/rf_sgns.c: every function takes
arrays that the Python layer (`rnnfast.embeddings.word2vec`, `rnnfast.embeddings.vocab`) has already
validated, and runs its loop with the GIL released.
"""

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, free

import numpy as np

from rnnfast.embeddings._vocab import check_read
from rnnfast.embeddings._buffers cimport record_ptr
from rnnfast.embeddings._vocab cimport EncodedText, TokenTable

cnp.import_array()


# One record per worker, laid out like rf_sgns_stats; the kernels add to it as
# they go, so the main thread can read progress and running loss from it.
STATS_DTYPE = np.dtype([("loss", np.float64), ("pairs", np.int64), ("words", np.int64),
                        ("kept", np.int64)])
assert STATS_DTYPE.itemsize == sizeof(rf_sgns_stats)


def train_windows(float[:, ::1] W_in, float[:, ::1] W_out, float[:, ::1] syn1,
                  const int32_t[::1] inputs, const int64_t[::1] input_ends,
                  const int32_t[:, ::1] outputs, const int32_t[::1] nodes,
                  const uint8_t[::1] codes, const int64_t[::1] node_ends, float alpha,
                  bint cbow, bint cbow_mean, const float[::1] lockf=None):
    """Window updates (negative sampling through W_out and outputs, hierarchical
    softmax through syn1 and the paths; None leaves a part out), input steps scaled
    by lockf (None: whole), on arrays validated by checks.check_w2v_windows;
    returns the summed loss (float64)."""
    cdef rf_sgns_model m
    cdef int64_t n_windows = input_ends.shape[0]
    cdef int32_t k1 = outputs.shape[1] if W_out is not None and outputs is not None else 0
    cdef int32_t longest = 0, path = 0
    cdef int64_t w, begin = 0
    cdef const int32_t *node_ptr = NULL
    cdef const uint8_t *code_ptr = NULL
    cdef const int64_t *node_end_ptr = NULL
    if inputs.shape[0] == 0 or n_windows == 0:
        return 0.0
    for w in range(n_windows):
        longest = max(longest, <int32_t>(input_ends[w] - begin))
        begin = input_ends[w]
    begin = 0
    if syn1 is not None:
        for w in range(n_windows):
            path = max(path, <int32_t>(node_ends[w] - begin))
            begin = node_ends[w]
    rf_sgns_model_init(&m, &W_in[0, 0], &W_out[0, 0] if k1 else NULL, W_in.shape[0],
                       W_in.shape[1], 0, 1, 0, cbow, cbow_mean, NULL, NULL, NULL)
    if syn1 is not None:
        node_ptr = &nodes[0] if nodes.shape[0] else NULL
        code_ptr = &codes[0] if codes.shape[0] else NULL
        node_end_ptr = &node_ends[0]
        rf_sgns_model_set_hs(&m, &syn1[0, 0], node_ptr, code_ptr, node_end_ptr, path)
    if lockf is not None:
        rf_sgns_model_set_lockf(&m, &lockf[0], lockf.shape[0])
    cdef float *work = <float *>malloc(rf_window_floats(longest, max(k1, path), W_in.shape[1])
                                       * sizeof(float))
    cdef double loss
    if work == NULL:
        raise MemoryError()
    with nogil:
        loss = rf_w2v_windows(&m, &inputs[0], &input_ends[0], n_windows,
                              &outputs[0, 0] if k1 else NULL, k1,
                              node_ptr, code_ptr, node_end_ptr, alpha, work)
    free(work)
    return loss


cdef int32_t _subword_model(rf_sgns_model *m, float[:, ::1] W_in, float[:, ::1] W_out,
                           float[:, ::1] syn1, const int32_t[::1] subwords,
                           const int64_t[::1] subword_ends, int32_t negative, int32_t window,
                           bint cbow, bint cbow_mean, const int32_t[::1] path_nodes,
                           const uint8_t[::1] path_codes, const int64_t[::1] path_ends):
    """Set m to a FastText model over validated arrays; returns the longest path."""
    cdef int32_t V = subword_ends.shape[0], path = 0, w
    rf_sgns_model_init(m, &W_in[0, 0], &W_out[0, 0] if W_out is not None else NULL, V,
                       W_in.shape[1], negative, window, 0, cbow, cbow_mean, NULL, NULL, NULL)
    rf_sgns_model_set_subwords(m, &subwords[0], &subword_ends[0])
    if syn1 is not None:
        for w in range(V):
            path = max(path, <int32_t>(path_ends[w] - (path_ends[w - 1] if w else 0)))
        rf_sgns_model_set_hs(m, &syn1[0, 0], &path_nodes[0] if path_nodes.shape[0] else NULL,
                             &path_codes[0] if path_codes.shape[0] else NULL, &path_ends[0], path)
    return path


def subword_windows(float[:, ::1] W_in, float[:, ::1] W_out, float[:, ::1] syn1,
                    const int32_t[::1] subwords, const int64_t[::1] subword_ends,
                    const int32_t[::1] centers, const int32_t[::1] contexts,
                    const int64_t[::1] context_ends, const int32_t[:, ::1] negatives,
                    const int32_t[::1] path_nodes,
                    const uint8_t[::1] path_codes, const int64_t[::1] path_ends, float alpha):
    """FastText's skip-gram window updates (see rf_ft_windows) on arrays validated by
    checks.check_ft_windows; returns the summed loss (float64)."""
    cdef rf_sgns_model m
    cdef int64_t n_windows = centers.shape[0], w, begin = 0
    cdef int32_t k = negatives.shape[1] if W_out is not None else 0
    cdef int32_t longest = 0, path
    if n_windows == 0:
        return 0.0
    for w in range(n_windows):
        longest = max(longest, <int32_t>(context_ends[w] - begin))
        begin = context_ends[w]
    path = _subword_model(&m, W_in, W_out, syn1, subwords, subword_ends, k, 1, False, True,
                          path_nodes, path_codes, path_ends)
    cdef float *work = <float *>malloc(rf_window_floats(1, max(longest + k + 1, path),
                                                        W_in.shape[1]) * sizeof(float))
    cdef double loss
    if work == NULL:
        raise MemoryError()
    with nogil:
        loss = rf_ft_windows(&m, &centers[0], &contexts[0] if contexts.shape[0] else NULL,
                             &context_ends[0], n_windows, &negatives[0, 0] if k else NULL, k,
                             alpha, work)
    free(work)
    return loss


def subword_cbow_sentence(float[:, ::1] W_in, float[:, ::1] W_out, float[:, ::1] syn1,
                          const int32_t[::1] subwords, const int64_t[::1] subword_ends,
                          const int32_t[::1] ids, const int32_t[::1] reaches,
                          const int32_t[:, ::1] negatives, const int32_t[::1] path_nodes,
                          const uint8_t[::1] path_codes, const int64_t[::1] path_ends,
                          float alpha, int32_t window, bint cbow_mean):
    """FastText's CBOW over one sentence (see rf_ft_cbow_sentence) on arrays validated by
    checks.check_ft_cbow_sentence; returns the summed loss (float64) and the windows
    trained."""
    cdef rf_sgns_model m
    cdef int32_t n = ids.shape[0]
    cdef int32_t k = negatives.shape[1] if W_out is not None else 0
    cdef double loss
    cdef int64_t trained = 0
    if n == 0:
        return 0.0, 0
    _subword_model(&m, W_in, W_out, syn1, subwords, subword_ends, k, window, True, cbow_mean,
                   path_nodes, path_codes, path_ends)
    with nogil:
        loss = rf_ft_cbow_sentence(&m, &ids[0], n, &reaches[0], &negatives[0, 0] if k else NULL,
                                   alpha, &trained)
    if loss != loss:
        raise MemoryError()
    return loss, trained


def alias_tables(const double[::1] weights):
    """Walker alias tables (accept: uint32, other: int32) for sampling by float64 weights."""
    cdef int32_t n = weights.shape[0]
    accept = np.zeros(n, np.uint32)
    other = np.zeros(n, np.int32)
    if n == 0:
        return accept, other
    cdef double[::1] scratch = np.empty(n, np.float64)
    cdef int32_t[::1] stack = np.empty(n, np.int32)
    cdef uint32_t[::1] a = accept
    cdef int32_t[::1] o = other
    with nogil:
        rf_alias_build(&weights[0], n, &a[0], &o[0], &scratch[0], &stack[0])
    return accept, other


cdef class SGNSModel:
    """The arrays a training pass reads and writes, gathered in one C struct.

    W_in: (V, d) float32, updated in place; W_out: (V, d) float32, the negative
    sampling output vectors (None when negative = 0); keep_below, alias_accept:
    (V,) uint32; alias_other: (V,) int32 in 0..V-1; 0 <= negative < RF_MAX_WINDOW_ROWS
    and 1 <= window <= RF_MAX_WINDOW_ROWS / 2 (the kernel's fixed-size window
    tables). With syn1 ((V, d) float32) and the Huffman paths (vocab.huffman_paths:
    nodes int32 in 0..V-2, codes uint8 0/1, ends int64 (V,)), hierarchical softmax
    trains too."""

    def __init__(self, float[:, ::1] W_in, float[:, ::1] W_out, const uint32_t[::1] keep_below,
                 const uint32_t[::1] alias_accept, const int32_t[::1] alias_other,
                 int negative, int window, bint shrink_windows, bint cbow=False,
                 bint cbow_mean=True, float[:, ::1] syn1=None, const int32_t[::1] nodes=None,
                 const uint8_t[::1] codes=None, const int64_t[::1] path_ends=None,
                 const int32_t[::1] subwords=None, const int64_t[::1] subword_ends=None):
        cdef Py_ssize_t V = keep_below.shape[0]
        cdef int32_t longest = 0
        if V == 0 or W_in.shape[0] < V or (W_in.shape[0] != V and subwords is None) or \
                alias_accept.shape[0] != V or alias_other.shape[0] != V:
            raise ValueError("SGNSModel: W_in (V, d) (FastText: (V + buckets, d)) and the (V,) "
                             f"tables must agree, got W_in {W_in.shape[0]} rows, tables "
                             f"{keep_below.shape[0]}, {alias_accept.shape[0]}, "
                             f"{alias_other.shape[0]}")
        if (subwords is None) != (subword_ends is None):
            raise ValueError("SGNSModel: give subwords and subword_ends together")
        if subwords is not None:
            ends = np.asarray(subword_ends)
            if ends.shape != (V,) or ends[0] < 1 or np.any(np.diff(ends) < 1) or \
                    ends[V - 1] != subwords.shape[0]:
                raise ValueError("SGNSModel: subword_ends must be (V,), rising by at least "
                                 "one row per word, and end at len(subwords)")
            if np.asarray(subwords).min() < 0 or np.asarray(subwords).max() >= W_in.shape[0]:
                raise ValueError(f"SGNSModel: subwords must lie in 0..{W_in.shape[0] - 1}")
            if cbow == 0 and 2 * window * (1 + negative) >= RF_MAX_WINDOW_ROWS:
                raise ValueError(f"SGNSModel: FastText's skip-gram scores 2 * window * "
                                 f"(1 + negative) rows at once, fewer than {RF_MAX_WINDOW_ROWS}")
        for name, W in (("W_out", W_out), ("syn1", syn1)):
            if W is not None and (W.shape[0] != V or W.shape[1] != W_in.shape[1]):
                raise ValueError(f"SGNSModel: {name} must have W_in's shape ({V}, "
                                 f"{W_in.shape[1]}), got ({W.shape[0]}, {W.shape[1]})")
        if not (0 <= negative < RF_MAX_WINDOW_ROWS and 1 <= window <= RF_MAX_WINDOW_ROWS // 2):
            raise ValueError(f"SGNSModel: negative must be in 0..{RF_MAX_WINDOW_ROWS - 1} and "
                             f"window in 1..{RF_MAX_WINDOW_ROWS // 2}")
        if (negative > 0) != (W_out is not None) or (negative == 0 and syn1 is None):
            raise ValueError("SGNSModel: W_out is needed exactly when negative > 0, and "
                             "syn1 when negative = 0")
        other = np.asarray(alias_other)
        if other.min() < 0 or other.max() >= V:
            raise ValueError(f"SGNSModel: alias_other must lie in 0..{V - 1}")
        if syn1 is not None:
            ends = np.asarray(path_ends)
            if ends.shape != (V,) or ends[0] < 0 or np.any(np.diff(ends) < 0) or \
                    ends[V - 1] != nodes.shape[0] or codes.shape[0] != nodes.shape[0]:
                raise ValueError("SGNSModel: path_ends must be (V,) non-decreasing and end "
                                 "at len(nodes) == len(codes)")
            longest = int(np.max(np.diff(ends, prepend=0)))
            if nodes.shape[0] and (np.asarray(nodes).min() < 0 or np.asarray(nodes).max() >= V
                                   or np.asarray(codes).max() > 1):
                raise ValueError(f"SGNSModel: nodes must lie in 0..{V - 1}, codes in 0..1")
            if longest > RF_MAX_WINDOW_ROWS:
                raise ValueError(f"SGNSModel: a Huffman path is longer than "
                                 f"{RF_MAX_WINDOW_ROWS}")
        self._arrays = (W_in, W_out, keep_below, alias_accept, alias_other, syn1, nodes, codes,
                        path_ends, subwords, subword_ends)
        rf_sgns_model_init(&self.m, &W_in[0, 0], &W_out[0, 0] if W_out is not None else NULL,
                           V, W_in.shape[1], negative, window, shrink_windows, cbow, cbow_mean,
                           &keep_below[0], &alias_accept[0], &alias_other[0])
        if syn1 is not None:
            rf_sgns_model_set_hs(&self.m, &syn1[0, 0], &nodes[0] if nodes.shape[0] else NULL,
                                 &codes[0] if codes.shape[0] else NULL, &path_ends[0], longest)
        if subwords is not None:
            rf_sgns_model_set_subwords(&self.m, &subwords[0], &subword_ends[0])

    def lock_factors(self, const float[::1] lockf):
        """Scale the step of word i's input row by lockf[i % len(lockf)] from now on
        (gensim's vectors_lockf: 0 freezes a row); lockf: (1,) or (V,) finite float32,
        kept alive here; None: every step whole. Not with subwords."""
        if lockf is None:
            rf_sgns_model_set_lockf(&self.m, NULL, 0)
            self._lockf = None
            return
        if self.m.subwords != NULL or lockf.shape[0] not in (1, self.m.vocab_size):
            raise ValueError(f"SGNSModel: lockf must hold 1 or {self.m.vocab_size} factors "
                             f"(word2vec only), got {lockf.shape[0]}")
        self._lockf = lockf
        rf_sgns_model_set_lockf(&self.m, &lockf[0], lockf.shape[0])

    def keep_private_rows(self, int32_t nodes, int32_t words=0):
        """Let each training call keep its own copy of the syn1 rows of the `nodes`
        inner nodes nearest the root and of the W_in and W_out rows of the `words`
        most frequent words, adding its changes back every 8,192 words (for several
        workers; 0 turns either off)."""
        rf_sgns_model_set_private_rows(&self.m, nodes, words)

    def count_updates(self, uint32_t[::1] updates_in, uint32_t[::1] updates_out=None,
                      uint32_t[::1] updates_syn1=None):
        """From now on, add to updates_*[i] (V,) uint32 each time the training passes
        move row i of W_in, W_out or syn1 (the last two: None when the model has no such
        table). count_updates(None) stops counting. A counter wraps past 2**32 - 1:
        zero them between passes that could move one row that often."""
        cdef Py_ssize_t V = self.m.vocab_size
        cdef uint32_t *ptrs[3]
        if updates_in is None:
            rf_sgns_model_set_updates(&self.m, NULL, NULL, NULL)
            self._updates = None
            return
        if self.m.subwords != NULL:
            raise ValueError("count_updates: a FastText model's updates are not counted")
        for k, (name, counts, table) in enumerate((
                ("updates_in", updates_in, True),
                ("updates_out", updates_out, self.m.negative > 0),
                ("updates_syn1", updates_syn1, self.m.hs))):
            if (counts is None) == table:
                raise ValueError(f"count_updates: {name} must be given exactly when the "
                                 "model has its table")
            if counts is not None and counts.shape[0] != V:
                raise ValueError(f"count_updates: {name} must have shape ({V},), got "
                                 f"({counts.shape[0]},)")
        ptrs[0] = &updates_in[0]
        ptrs[1] = &updates_out[0] if updates_out is not None else NULL
        ptrs[2] = &updates_syn1[0] if updates_syn1 is not None else NULL
        self._updates = (updates_in, updates_out, updates_syn1)
        rf_sgns_model_set_updates(&self.m, ptrs[0], ptrs[1], ptrs[2])

    def train_ids(self, const int32_t[::1] ids, const int64_t[::1] sentence_ends,
                  const int64_t[::1] raw_ends, uint64_t[::1] rng_state, float alpha_start,
                  float alpha_end, int64_t words_before, int64_t words_total, stats,
                  int slot, int[::1] stop):
        """Train on id sentences (ids in 0..V-1, checked by the caller), adding to
        stats[slot] (a STATS_DTYPE record); the learning rate follows the raw words."""
        cdef rf_sgns_stats *st = <rf_sgns_stats *>record_ptr(stats, STATS_DTYPE, "stats", True)
        cdef int64_t n_sent = sentence_ends.shape[0]
        if not 0 <= slot < len(stats) or raw_ends.shape[0] != n_sent:
            raise ValueError("train_ids: slot outside stats, or raw_ends and sentence_ends "
                             "differ in length")
        if n_sent == 0:
            return
        if sentence_ends[n_sent - 1] > ids.shape[0]:
            raise ValueError("train_ids: sentence_ends run past ids")
        cdef const int32_t *id_ptr = &ids[0] if ids.shape[0] else NULL
        with nogil:
            rf_sgns_train_ids(&self.m, &rng_state[0], id_ptr, &sentence_ends[0], &raw_ends[0],
                              n_sent, alpha_start, alpha_end, words_before, words_total,
                              st + slot, &stop[0])

    def train_file(self, TokenTable table not None, bytes path not None, int64_t start, int64_t end,
                   uint64_t[::1] rng_state, float alpha_start, float alpha_end,
                   int64_t words_total, stats, int slot, int[::1] stop, int64_t words_before=0,
                   EncodedText keep=None):
        """Train on the lines starting in [start, end) of a file, adding to stats[slot];
        the pass read words_before raw words before the range (for the learning rate).
        With `keep` (empty, made with this table), the sentences read are kept in it
        for train_encoded."""
        cdef const char *cpath = path
        cdef rf_sgns_stats *st = <rf_sgns_stats *>record_ptr(stats, STATS_DTYPE, "stats", True)
        cdef rf_encoded *kept = NULL
        cdef int rc
        if not 0 <= slot < len(stats):
            raise ValueError("train_file: slot outside stats")
        if table.index_bound > self.m.vocab_size:
            raise ValueError(f"train_file: the token table's indices run to "
                             f"{table.index_bound - 1}, past the model's {self.m.vocab_size} rows")
        if keep is not None:
            if keep.text.n_sentences or keep.complete or keep.index_bound != table.index_bound:
                raise ValueError("train_file: keep must be a new EncodedText of this table")
            kept = &keep.text
        with nogil:
            rc = rf_sgns_train_file(&self.m, &table.table, &rng_state[0], cpath, start, end,
                                    alpha_start, alpha_end, words_before, words_total,
                                    st + slot, kept, &stop[0])
        if rc == -1:
            raise MemoryError("out of memory in a training worker")
        check_read(rc, path)
        if keep is not None and not stop[0]:
            keep.complete = True

    def train_encoded(self, EncodedText text not None, uint64_t[::1] rng_state, float alpha_start,
                      float alpha_end, int64_t words_total, stats, int slot, int[::1] stop,
                      int64_t words_before=0):
        """train_file's pass again, on the sentences it kept in `text` (text.held)."""
        cdef rf_sgns_stats *st = <rf_sgns_stats *>record_ptr(stats, STATS_DTYPE, "stats", True)
        if not 0 <= slot < len(stats):
            raise ValueError("train_encoded: slot outside stats")
        if not text.held or text.index_bound > self.m.vocab_size:
            raise ValueError("train_encoded: text holds no whole range of this vocabulary")
        if text.text.n_sentences == 0:
            return
        with nogil:
            rf_sgns_train_encoded(&self.m, &rng_state[0], &text.text, alpha_start, alpha_end,
                                  words_before, words_total, st + slot, &stop[0])
