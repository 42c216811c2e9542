"""Compiled embedding kernels with the signatures of `rnnfast.embeddings.reference`.

Each function validates its arguments (in `rnnfast.embeddings.checks`, shared
with the reference) and then makes one call into the Cython module, which
releases the GIL for the whole computation.
"""

import numpy as np

from rnnfast.embeddings import _glove, _sgns, checks, reference

__all__ = reference.__all__


def word2vec_train_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes,
                           node_ends, alpha, sg=True, cbow_mean=True, lockf=None):
    W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes, node_ends, alpha, lockf = \
        checks.check_w2v_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes,
                                 codes, node_ends, alpha, lockf)
    loss = _sgns.train_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes,
                               node_ends, alpha, not sg, bool(cbow_mean), lockf)
    # averaged as the reference does: per pair for skip-gram, per window with inputs for CBOW
    pairs = len(inputs) if sg else int(np.count_nonzero(np.diff(input_ends, prepend=0)))
    return loss / pairs if pairs else 0.0


def fasttext_train_windows(W_in, syn1neg, syn1, subwords, subword_ends, centers, contexts,
                           context_ends, negatives, path_nodes, path_codes, path_ends, alpha):
    (W_in, syn1neg, syn1, subwords, subword_ends, centers, contexts, context_ends, negatives,
     path_nodes, path_codes, path_ends, alpha) = checks.check_ft_windows(
        W_in, syn1neg, syn1, subwords, subword_ends, centers, contexts, context_ends,
        negatives, path_nodes, path_codes, path_ends, alpha)
    if not len(centers):
        return 0.0
    if negatives is None:
        negatives = np.zeros((len(centers), 0), np.int32)
    loss = _sgns.subword_windows(W_in, syn1neg, syn1, subwords, subword_ends, centers, contexts,
                                 context_ends, negatives, path_nodes, path_codes, path_ends,
                                 alpha)
    return loss / len(contexts) if len(contexts) else 0.0


def fasttext_cbow_sentence(W_in, syn1neg, syn1, subwords, subword_ends, ids, reaches,
                           negatives, path_nodes, path_codes, path_ends, alpha, window,
                           cbow_mean=True):
    (W_in, syn1neg, syn1, subwords, subword_ends, ids, reaches, negatives, path_nodes,
     path_codes, path_ends, alpha, window) = checks.check_ft_cbow_sentence(
        W_in, syn1neg, syn1, subwords, subword_ends, ids, reaches, negatives, path_nodes,
        path_codes, path_ends, alpha, window)
    if negatives is None:
        negatives = np.zeros((len(ids), 0), np.int32)
    loss, trained = _sgns.subword_cbow_sentence(
        W_in, syn1neg, syn1, subwords, subword_ends, ids, reaches, negatives, path_nodes,
        path_codes, path_ends, alpha, window, bool(cbow_mean))
    return loss / trained if trained else 0.0


def cooccurrence(vocab, sentences=None, corpus_file=None, window=10, symmetric=True,
                 distance_weighting=True, memory_limit=None, workers=None, tmp_dir=None):
    from rnnfast.embeddings.cooccur import cooccurrence as count
    return count(vocab, sentences, corpus_file, window, symmetric, distance_weighting,
                 memory_limit, workers, tmp_dir)


def glove_epoch(state, rows, cols, counts, order, x_max=100.0, alpha=0.75, learning_rate=0.05,
                clip=100.0):
    state, rows, cols, counts, order, x_max, alpha, learning_rate = checks.check_glove_epoch(
        state, rows, cols, counts, order, x_max, alpha, learning_rate)
    pairs = glove_pairs(rows, cols, counts, x_max, alpha)
    return _glove.glove_epoch(*(state[k] for k in checks.GLOVE_STATE), pairs, order, 0,
                              len(order), learning_rate, clip)


def glove_pairs(rows, cols, counts, x_max, alpha):
    """The training records (row, col, log X, f(X)) the GloVe kernel reads, computed once."""
    counts = np.asarray(counts, dtype=np.float64)
    pairs = np.empty(len(counts), dtype=_glove.PAIR_DTYPE)
    pairs["row"], pairs["col"] = rows, cols
    pairs["log_x"] = np.log(counts)
    pairs["weight"] = np.minimum(1.0, (counts / x_max) ** alpha)
    return pairs


# One home for the documentation of each function: the reference's docstring.
for _name in __all__:
    globals()[_name].__doc__ = getattr(reference, _name).__doc__
del _name
