# The C contract of the word2vec kernels (csrc/rf_sgns.h), declared once.

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t

from rnnfast.embeddings._vocab cimport rf_encoded, rf_vocab


cdef extern from "rf_sgns.h" nogil:
    enum:
        RF_MAX_WINDOW_ROWS
    ctypedef struct rf_sgns_model:
        int32_t vocab_size
        const int32_t *subwords
        int32_t negative
        int32_t hs
    ctypedef struct rf_sgns_stats:
        double loss
        int64_t pairs
        int64_t words
        int64_t kept
    void rf_sgns_model_init(rf_sgns_model *m, float *W_in, float *W_out, int32_t vocab_size,
                            int32_t dim, int32_t negative, int32_t window,
                            int32_t shrink_windows, int32_t cbow, int32_t cbow_mean,
                            const uint32_t *keep_below, const uint32_t *alias_accept,
                            const int32_t *alias_other)
    void rf_sgns_model_set_updates(rf_sgns_model *m, uint32_t *inp, uint32_t *out,
                                   uint32_t *syn1)
    void rf_sgns_model_set_subwords(rf_sgns_model *m, const int32_t *subwords,
                                    const int64_t *subword_ends)
    double rf_ft_windows(const rf_sgns_model *m, const int32_t *centers,
                         const int32_t *contexts, const int64_t *context_ends,
                         int64_t n_windows, const int32_t *negatives, int32_t k, float alpha,
                         float *work)
    double rf_ft_cbow_sentence(const rf_sgns_model *m, const int32_t *ids, int32_t n,
                               const int32_t *reaches, const int32_t *negatives, float alpha,
                               int64_t *trained)
    void rf_sgns_model_set_private_rows(rf_sgns_model *m, int32_t nodes, int32_t words)
    void rf_sgns_model_set_lockf(rf_sgns_model *m, const float *lockf, int32_t len)
    void rf_sgns_model_set_hs(rf_sgns_model *m, float *syn1, const int32_t *path_nodes,
                              const uint8_t *path_codes, const int64_t *path_ends,
                              int32_t max_path)
    double rf_w2v_windows(const rf_sgns_model *m, const int32_t *inputs,
                          const int64_t *input_ends, int64_t n_windows, const int32_t *outputs,
                          int32_t k1, const int32_t *nodes, const uint8_t *codes,
                          const int64_t *node_ends, float alpha, float *work)
    size_t rf_window_floats(int32_t n, int32_t k1, int32_t dim)
    void rf_sgns_train_ids(const rf_sgns_model *m, uint64_t *rng, const int32_t *ids,
                           const int64_t *sentence_ends, const int64_t *raw_ends,
                           int64_t n_sentences, float alpha_start, float alpha_end,
                           int64_t words_before, int64_t words_total, rf_sgns_stats *stats,
                           volatile const int *stop)
    void rf_sgns_train_encoded(const rf_sgns_model *m, uint64_t *rng, const rf_encoded *text,
                               float alpha_start, float alpha_end, int64_t words_before,
                               int64_t words_total, rf_sgns_stats *stats, volatile const int *stop)
    int rf_sgns_train_file(const rf_sgns_model *m, const rf_vocab *vocab, uint64_t *rng,
                           const char *path, int64_t start, int64_t end,
                           float alpha_start, float alpha_end, int64_t words_before,
                           int64_t words_total, rf_sgns_stats *stats, rf_encoded *keep,
                           volatile const int *stop)
    void rf_alias_build(const double *weights, int32_t n, uint32_t *accept, int32_t *other,
                        double *scratch, int32_t *stack)


cdef class SGNSModel:
    cdef rf_sgns_model m
    cdef object _arrays  # keeps the arrays behind m's pointers alive
    cdef object _updates  # and the update counters'
    cdef object _lockf  # and the lock factors'
