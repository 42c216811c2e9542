"""Word embeddings: corpus reading, vocabularies, word2vec, co-occurrence counting,
GloVe and KeyedVectors, with their compiled kernels (`_vocab`, `_sgns`, `_glove`)
and NumPy twins (`reference`). Imports `rnnfast._core` and itself only."""
