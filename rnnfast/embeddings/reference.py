"""Plain NumPy twins of the embedding kernels: same names, same signatures.

Written to be read, not to be fast, so the compiled kernels in
`rnnfast.embeddings.functional` can be checked against them. Arguments are
validated by the same code as the kernels' (`rnnfast.embeddings.checks`).
"""

import collections

import numpy as np

from rnnfast._core.checks import check_index
from rnnfast.embeddings import checks

__all__ = ["word2vec_train_windows", "fasttext_train_windows", "fasttext_cbow_sentence",
           "cooccurrence", "glove_epoch"]


def word2vec_train_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes,
                           node_ends, alpha, sg=True, cbow_mean=True, lockf=None):
    """The window update of every `Word2Vec` setting: skip-gram or CBOW, negative
    sampling and/or hierarchical softmax, with gensim's lock factors.

    Window w's context rows W_in[inputs[input_ends[w-1]:input_ends[w]]] predict its
    center: through negative sampling, scoring syn1neg[outputs[w, 0]] (the center,
    label 1) and syn1neg[outputs[w, 1:]] (noise words, label 0); through
    hierarchical softmax, scoring syn1[p] for the inner nodes p of the center's
    path nodes[node_ends[w-1]:node_ends[w]] with label 1 - code. Skip-gram scores
    each context row; CBOW their sum h (the mean with cbow_mean). All scores use
    the values from before the window; every output row moves by g h (or g v),
    each context row by its gradient (CBOW: h's whole gradient for the mean, as
    word2vec.c and gensim do; that gradient over the window's size for the sum, as
    gensim does). Give
    syn1neg = outputs = None, or syn1 = nodes = codes = node_ends = None, to leave
    a part out. The step of input row i is scaled by lockf[i % len(lockf)] (gensim's
    vectors_lockf: 0 freezes the row; None: whole steps). W_in, syn1neg, syn1:
    (V, d) float32, updated in place; inputs (n,), input_ends (n_windows,), outputs
    (n_windows, K+1), nodes (m,), node_ends (n_windows,) ints; codes (m,) 0/1; lockf
    (1,) or (V,) float32. Returns the mean loss per (context, center)
    pair for skip-gram, per window with inputs for CBOW (float).
    """
    W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes, codes, node_ends, alpha, lockf = \
        checks.check_w2v_windows(W_in, syn1neg, syn1, inputs, input_ends, outputs, nodes,
                                 codes, node_ends, alpha, lockf)
    loss, begin, node_begin, trained = 0.0, 0, 0, 0
    for w, end in enumerate(input_ends):
        ins = inputs[begin:end]
        begin = end
        parts = []
        if syn1 is not None:
            path = slice(node_begin, node_ends[w])
            node_begin = node_ends[w]
            parts.append((syn1, nodes[path], 1 - codes[path].astype(np.float32)))
        if syn1neg is not None:
            labels = np.zeros(outputs.shape[1], np.float32)
            labels[0] = 1
            parts.append((syn1neg, outputs[w], labels))
        if not len(ins):
            continue
        trained += 1
        if sg:
            A = W_in[ins]                                 # a copy: the values before the window
        else:
            A = W_in[ins].sum(axis=0, dtype=np.float32)[None, :]
            if cbow_mean:
                A = A * np.float32(1 / len(ins))
        grad_A = np.zeros_like(A)
        for table, rows, labels in parts:
            B = table[rows]
            logits = A @ B.T                              # (n or 1, outputs)
            z = np.where(labels == 1, -logits, logits).astype(np.float64)  # loss = log(1 + e^z)
            loss += float(np.sum(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))))
            grads = ((labels - 1 / (1 + np.exp(-logits.astype(np.float64)))) * alpha
                     ).astype(np.float32)
            grad_A += grads @ B
            np.add.at(table, rows, grads.T @ A)
        if not sg and not cbow_mean:
            grad_A = grad_A * np.float32(1 / len(ins))
        steps = grad_A if sg else np.broadcast_to(grad_A, (len(ins), A.shape[1]))
        if lockf is not None:
            steps = steps * lockf[ins % len(lockf)][:, None]
        np.add.at(W_in, ins, steps)
    pairs = len(inputs) if sg else trained
    return loss / pairs if pairs else 0.0


def _scored(table, rows, h, labels, weights, alpha):
    """One block: h (d,) scores table[rows] (values before the block) with these
    labels; the rows move by their steps times h. Returns (h's gradient, summed loss)."""
    B = table[rows]
    logits = (B @ h).astype(np.float64)
    z = np.where(labels == 1, -logits, logits)                     # loss = log(1 + e^z)
    loss = float(np.sum(weights * (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))))))
    steps = ((labels - 1 / (1 + np.exp(-logits))) * alpha * weights).astype(np.float32)
    np.add.at(table, rows, steps[:, None] * h[None, :])
    return steps @ B, loss


def _rows_of(subwords, subword_ends, word):
    """The input rows of `word`: its own, then its character n-grams'."""
    return subwords[(subword_ends[word - 1] if word else 0):subword_ends[word]]


def _path(path_nodes, path_codes, path_ends, word):
    """The inner nodes of `word`'s Huffman path and their labels, 1 - code."""
    span = slice(path_ends[word - 1] if word else 0, path_ends[word])
    return path_nodes[span], 1 - path_codes[span].astype(np.float64)


def fasttext_train_windows(W_in, syn1neg, syn1, subwords, subword_ends, centers, contexts,
                           context_ends, negatives, path_nodes, path_codes, path_ends, alpha):
    """FastText's skip-gram window update. A word's input is the mean of its subword
    rows, W_in[subwords[subword_ends[i-1]:subword_ends[i]]] (its own row, then its
    character n-grams'), and each of those rows moves by the input's whole gradient
    (fastText's rule, and gensim's).

    Window w has the center word centers[w] and the context words
    contexts[context_ends[w-1]:context_ends[w]]. The center's input h scores (in
    fastText's direction) each context word's syn1neg row (label 1) and the noise
    words' rows syn1neg[negatives[w]] (label 0; the training passes draw
    `negative` of them per context word), and through syn1 each context word's Huffman path
    (nodes path_nodes[path_ends[i-1]:path_ends[i]], label 1 - code). Each block's
    scores use the rows' values before it; the blocks run in order: the paths, one
    per context word, then negative sampling. Give syn1neg = negatives = None or
    syn1 = path_* = None to leave a part out. W_in: (rows, d) float32; syn1neg,
    syn1: (V, d) float32 (all updated in place); subword_ends, path_ends: (V,)
    ints; centers (n_windows,), context_ends (n_windows,), negatives (n_windows,
    K) ints in 0..V-1. Returns the mean loss per (center, context) pair (float).
    """
    (W_in, syn1neg, syn1, subwords, subword_ends, centers, contexts, context_ends, negatives,
     path_nodes, path_codes, path_ends, alpha) = checks.check_ft_windows(
        W_in, syn1neg, syn1, subwords, subword_ends, centers, contexts, context_ends,
        negatives, path_nodes, path_codes, path_ends, alpha)
    loss, begin = 0.0, 0
    for w, end in enumerate(context_ends):
        ctx = contexts[begin:end]
        begin = end
        if not len(ctx):
            continue
        rows = _rows_of(subwords, subword_ends, centers[w])
        h = W_in[rows].sum(axis=0, dtype=np.float32) * np.float32(1 / len(rows))
        grad = np.zeros_like(h)
        for word in ctx if syn1 is not None else ():
            nodes, labels = _path(path_nodes, path_codes, path_ends, word)
            if len(nodes):
                g, part = _scored(syn1, nodes, h, labels, 1.0, alpha)
                grad += g
                loss += part
        if syn1neg is not None:
            n, k = len(ctx), negatives.shape[1]
            g, part = _scored(syn1neg, np.concatenate([ctx, negatives[w]]), h,
                              np.r_[np.ones(n), np.zeros(k)], 1.0, alpha)
            grad += g
            loss += part
        np.add.at(W_in, rows, np.broadcast_to(grad, (len(rows), len(grad))))
    return loss / len(contexts) if len(contexts) else 0.0


def fasttext_cbow_sentence(W_in, syn1neg, syn1, subwords, subword_ends, ids, reaches,
                           negatives, path_nodes, path_codes, path_ends, alpha, window,
                           cbow_mean=True):
    """FastText's CBOW over one sentence of word ids, a window per position.

    Position p's bag is the sum S[p] of its word's subword rows (as in
    fasttext_train_windows) and their count; it is summed once, before window
    p - window (the first that can reach it). Window i takes the context
    positions within reaches[i] (1..window) of i, i left out; h, the sum of
    their S (over the sum of their counts with cbow_mean: fastText's mean over
    the bag of all their rows), scores the center ids[i] (label 1) and
    negatives[i] (label 0) through syn1neg, and the center's Huffman path through
    syn1 (blocks as fasttext_train_windows'). h's gradient (over the count
    without cbow_mean, as gensim) gathers in G[p] for each context position; G[p]
    is added to every row of p's word once, after window p + window (the last
    that can reach it), or at the sentence's end. So a row moves up to
    2 * window + 1 windows late, and each word's rows are read and written once
    rather than at every window. ids, reaches: (n,) ints; negatives (n, K) ints in
    0..V-1; the tables as fasttext_train_windows'. Returns the mean loss per
    window with context words (float).
    """
    (W_in, syn1neg, syn1, subwords, subword_ends, ids, reaches, negatives, path_nodes,
     path_codes, path_ends, alpha, window) = checks.check_ft_cbow_sentence(
        W_in, syn1neg, syn1, subwords, subword_ends, ids, reaches, negatives, path_nodes,
        path_codes, path_ends, alpha, window)
    n = len(ids)
    S, G, counts, touched = {}, {}, {}, set()

    def spread(p):
        if p in touched:
            rows = _rows_of(subwords, subword_ends, ids[p])
            np.add.at(W_in, rows, np.broadcast_to(G[p], (len(rows), len(G[p]))))

    loss, trained, entered = 0.0, 0, 0
    for i in range(n):
        for entered in range(entered, min(n, i + window + 1)):
            rows = _rows_of(subwords, subword_ends, ids[entered])
            S[entered] = W_in[rows].sum(axis=0, dtype=np.float32)
            G[entered], counts[entered] = np.zeros_like(S[entered]), len(rows)
        entered = min(n, i + window + 1)
        ctx = [p for p in range(max(0, i - reaches[i]), min(n, i + reaches[i] + 1)) if p != i]
        if ctx and (syn1 is not None or syn1neg is not None):
            h = np.zeros(W_in.shape[1], np.float32)
            for p in ctx:
                h += S[p]
            inv = np.float32(1 / sum(counts[p] for p in ctx))
            if cbow_mean:
                h *= inv
            grad, ran = np.zeros_like(h), syn1neg is not None
            if syn1 is not None:
                nodes, labels = _path(path_nodes, path_codes, path_ends, ids[i])
                if len(nodes):
                    g, part = _scored(syn1, nodes, h, labels, 1.0, alpha)
                    grad += g
                    loss += part
                    ran = True
            if syn1neg is not None:
                g, part = _scored(syn1neg, np.r_[ids[i], negatives[i]], h,
                                  np.r_[1.0, np.zeros(negatives.shape[1])], 1.0, alpha)
                grad += g
                loss += part
            if ran:
                step = grad if cbow_mean else grad * inv
                for p in ctx:
                    G[p] += step
                    touched.add(p)
                trained += 1
        if i - window >= 0:
            spread(i - window)
    for p in range(max(0, n - window), n):
        spread(p)
    return loss / trained if trained else 0.0


def cooccurrence(vocab, sentences=None, corpus_file=None, window=10, symmetric=True,
                 distance_weighting=True, memory_limit=None, workers=None, tmp_dir=None):
    """Co-occurrence counts as a V x V coo_matrix (float64), counted pair by pair in a dict.

    Same meaning as rnnfast.cooccurrence (memory_limit, workers and tmp_dir are
    accepted and ignored): each line is a document, unknown tokens are dropped
    before windowing, a pair at distance d adds 1/d (or 1) to X[left, right]
    and, if symmetric, to X[right, left].
    """
    from scipy import sparse

    from rnnfast.embeddings.corpus import LineSentence

    words = checks.check_vocab_words(vocab)
    index = {w: i for i, w in enumerate(words)}
    window = check_index("window", window, low=1, high=checks.MAX_COOC_WINDOW)
    checks.check_one_source(sentences, corpus_file)
    if corpus_file is not None:
        sentences = LineSentence(corpus_file, max_sentence_length=2**62)
    counts = collections.defaultdict(float)
    for sentence in sentences:
        ids = [index[t] for t in sentence if t in index]
        for k, right in enumerate(ids):
            for d in range(1, min(window, k) + 1):
                left = ids[k - d]
                weight = 1.0 / d if distance_weighting else 1.0
                counts[left, right] += weight
                if symmetric:
                    counts[right, left] += weight
    V = len(words)
    if not counts:
        return sparse.coo_matrix((V, V))
    (rows, cols), values = zip(*counts.keys()), list(counts.values())
    return sparse.coo_matrix((values, (rows, cols)), shape=(V, V))


def glove_epoch(state, rows, cols, counts, order, x_max=100.0, alpha=0.75, learning_rate=0.05,
                clip=100.0):
    """One GloVe epoch of AdaGrad updates over the pairs in `order`, in place.

    state: dict of float32 arrays W, W_ctx (V, d), b, b_ctx (V,) and their
    squared-gradient sums G_W, G_ctx, G_b, G_bctx (same shapes, start at 1).
    Pair p = (rows[p], cols[p]) with count X = counts[p] > 0 has the loss
    f(X) (w_i.c_j + b_i + bc_j - log X)^2 / 2 with f(X) = min(1, (X / x_max)^alpha).
    AdaGrad as GloVe's C code does it: each gradient g is first scaled, s = learning_rate
    * g, and clipped to [-clip, clip]; the parameter moves by s / sqrt(G) with G the
    sum of earlier s^2 (from 1), then G += s^2. Biases are treated the same way, so
    their steps carry the learning rate too (GloVe's current C code does not scale
    its bias steps by the learning rate; rnnfast's choice).
    A pair whose score is not finite is skipped. Returns (cost, skipped): the
    summed loss of the updated pairs (float) and the number skipped.
    """
    state, rows, cols, counts, order, x_max, alpha, learning_rate = checks.check_glove_epoch(
        state, rows, cols, counts, order, x_max, alpha, learning_rate)
    W, C, b, bc = state["W"], state["W_ctx"], state["b"], state["b_ctx"]
    GW, GC, Gb, Gbc = state["G_W"], state["G_ctx"], state["G_b"], state["G_bctx"]
    log_x = np.log(counts).astype(np.float32)
    weight = np.minimum(1.0, (counts / x_max) ** alpha).astype(np.float32)
    lr, clip = np.float32(learning_rate), np.float32(clip)
    cost, skipped = 0.0, 0
    for p in order:
        i, j = rows[p], cols[p]
        diff = np.float32(W[i] @ C[j] + b[i] + bc[j] - log_x[p])
        fdiff = weight[p] * diff
        if not np.isfinite(fdiff):
            skipped += 1
            continue
        cost += 0.5 * float(fdiff) * float(diff)
        step = lr * fdiff
        g_w = np.clip(step * C[j], -clip, clip)
        g_c = np.clip(step * W[i], -clip, clip)
        W[i] -= g_w / np.sqrt(GW[i])
        C[j] -= g_c / np.sqrt(GC[j])
        GW[i] += g_w * g_w
        GC[j] += g_c * g_c
        b[i] -= step / np.sqrt(Gb[i])
        bc[j] -= step / np.sqrt(Gbc[j])
        Gb[i] += step * step
        Gbc[j] += step * step
    return cost, skipped
