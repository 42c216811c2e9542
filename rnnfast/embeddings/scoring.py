"""Word2Vec.score: the log probability of sentences under a hierarchical-softmax model
(Taddy, 2015, "Document classification by inversion of distributed language
representations"), as gensim's `score` defines it."""

import numpy as np

from rnnfast.embeddings.corpus import MAX_SENTENCE_LENGTH


def sentence_log_probs(model, sentences, limit):
    """(n,) float32: each sentence's summed log P(word | its context) through the Huffman
    tree, for the first `limit` sentences. Words outside the vocabulary are left out;
    windows are the full `model.window` wide; nothing is subsampled. Skip-gram scores
    each (word, context word) pair, CBOW each word from its context's sum (or mean,
    cbow_mean). Every term is exact: gensim leaves out terms whose dot product is
    beyond +-6, which drops the largest log probabilities of a confident model."""
    nodes, codes, ends = model.vocab.huffman_paths()
    begins = np.concatenate([[0], ends[:-1]])
    signs = 1.0 - 2.0 * codes.astype(np.float64)   # code 0: sigma(f), code 1: sigma(-f)
    W, syn1, window = model.wv.vectors, model.syn1, model.window
    index = model.vocab.key_to_index
    scores = []
    for s, sentence in enumerate(sentences):
        if s >= limit:
            break
        ids = [index[w] for w in sentence[:MAX_SENTENCE_LENGTH] if w in index]
        total = 0.0
        for i, word in enumerate(ids):
            context = ids[max(0, i - window):i] + ids[i + 1:i + window + 1]
            path = slice(begins[word], ends[word])
            if not context or path.start == path.stop:
                continue
            rows = W[context].astype(np.float64)
            if not model.sg:
                rows = rows.sum(axis=0, keepdims=True) / (len(context) if model.cbow_mean else 1)
            f = (rows @ syn1[nodes[path]].T.astype(np.float64)) * signs[path]
            total -= float(np.logaddexp(0.0, -f).sum())
        scores.append(total)
    return np.array(scores, dtype=np.float32)
