# Row-major matrix products and the C loops of csrc/rf_loops.h, for float32 and
# float64 kernels: the one declaration of rf_loops.h.
#
# Every kernel reaches BLAS through this file only. Each product picks, by size,
# either scipy's BLAS (called without the GIL through scipy.linalg.cython_blas)
# or the plain C loops in csrc/rf_loops.c: a BLAS call costs about as much as a
# few thousand multiply-adds, so tiny products are faster in our own loops.

from libc.string cimport memcpy
from scipy.linalg.cython_blas cimport sgemm, dgemm

ctypedef fused floating:
    float
    double

cdef extern from "rf_loops.h" nogil:
    void rf_mm_nn_acc_f(int m, int n, int k, const float *A, int lda,
                        const float *B, int ldb, float *C, int ldc)
    void rf_mm_nn_acc_d(int m, int n, int k, const double *A, int lda,
                        const double *B, int ldb, double *C, int ldc)
    void rf_affine_rows_f(Py_ssize_t m, int n, int k, const float *A, int lda,
                          const float *B, int ldb, const float *bias, float *C, int ldc)
    void rf_affine_rows_d(Py_ssize_t m, int n, int k, const double *A, int lda,
                          const double *B, int ldb, const double *bias, double *C, int ldc)
    void rf_mm_tn_acc_f(int m, int n, int k, const float *A, int lda,
                        const float *B, int ldb, float *C, int ldc)
    void rf_mm_tn_acc_d(int m, int n, int k, const double *A, int lda,
                        const double *B, int ldb, double *C, int ldc)
    Py_ssize_t rf_packed_len_f(int k, int n)
    Py_ssize_t rf_packed_len_d(int k, int n)
    void rf_pack_f(int k, int n, const float *B, int ldb, float *packed)
    void rf_pack_d(int k, int n, const double *B, int ldb, double *packed)
    void rf_pack_t_f(int k, int n, const float *Bt, int ldbt, float *packed)
    void rf_pack_t_d(int k, int n, const double *Bt, int ldbt, double *packed)
    void rf_mm_packed_acc_f(int m, int n, int k, const float *A, int lda,
                            const float *packed, float *C, int ldc)
    void rf_mm_packed_acc_d(int m, int n, int k, const double *A, int lda,
                            const double *packed, double *C, int ldc)
    int RF_SIMD_BASE, RF_SIMD_AVX512
    int rf_simd_best()
    int rf_simd_use(int level)
    int rf_cpu_has_avx2()
    int rf_built_with_clones()
    void rf_tanh_f(float *x, Py_ssize_t n)
    void rf_tanh_d(double *x, Py_ssize_t n)
    void rf_sigmoid_f(float *x, Py_ssize_t n)
    void rf_sigmoid_d(double *x, Py_ssize_t n)
    void rf_lstm_cell_f(Py_ssize_t H, float *g, const float *c_prev, float *c, float *tc,
                        float *h)
    void rf_lstm_cell_d(Py_ssize_t H, double *g, const double *c_prev, double *c, double *tc,
                        double *h)
    void rf_gru_cell_f(Py_ssize_t H, float *g, const float *w, const float *h_prev, float *h,
                       float *hn)
    void rf_gru_cell_d(Py_ssize_t H, double *g, const double *w, const double *h_prev,
                       double *h, double *hn)
    void rf_lstm_grads_f(Py_ssize_t H, const float *g, const float *c_prev, const float *tc,
                         float *dh, float *dc, float *ox)
    void rf_lstm_grads_d(Py_ssize_t H, const double *g, const double *c_prev,
                         const double *tc, double *dh, double *dc, double *ox)
    void rf_gru_grads_f(Py_ssize_t H, const float *g, const float *hn, const float *h_prev,
                        float *dh, float *ox, float *oh)
    void rf_gru_grads_d(Py_ssize_t H, const double *g, const double *hn,
                        const double *h_prev, double *dh, double *ox, double *oh)
    void rf_elman_grads_f(Py_ssize_t H, const float *h, int relu, float *dh, float *da)
    void rf_elman_grads_d(Py_ssize_t H, const double *h, int relu, double *dh, double *da)
    void rf_add_column_sums_f(Py_ssize_t rows, Py_ssize_t cols, const float *a, float *out,
                              int k, const float *x, float *xa)
    void rf_add_column_sums_d(Py_ssize_t rows, Py_ssize_t cols, const double *a,
                              double *out, int k, const double *x, double *xa)
    void rf_adam_f(float *p, const float *g, float *m, float *v, Py_ssize_t n, double lr_hat,
                   double b1, double b2, double eps, double root_c2, double scale)
    void rf_adam_d(double *p, const double *g, double *m, double *v, Py_ssize_t n,
                   double lr_hat, double b1, double b2, double eps, double root_c2,
                   double scale)

cdef enum:
    # products with fewer multiply-adds than this use the C loops
    SMALL_PRODUCT = 24576


cdef inline void _gemm(bint trans_a, bint trans_b, int m, int n, int k,
                       const floating *a, int lda, const floating *b, int ldb,
                       floating beta, floating *c, int ldc) noexcept nogil:
    # Row-major C = op(A) @ op(B) + beta C is column-major C^T = op(B)^T op(A)^T.
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    cdef floating one = 1
    if floating is float:
        sgemm(&tb, &ta, &n, &m, &k, &one, <float *>b, &ldb, <float *>a, &lda,
              &beta, c, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &one, <double *>b, &ldb, <double *>a, &lda,
              &beta, c, &ldc)


cdef inline void _mm_acc(bint trans_a, int m, int n, int k, const floating *a, int lda,
                         const floating *b, int ldb, floating *c, int ldc) noexcept nogil:
    """C[m, n] += op(A) @ B[k, n], op(A) = A[m, k] or A[k, m]^T: small products by the C
    loops, the rest by BLAS."""
    if m <= 0 or n <= 0 or k <= 0:
        return
    if <long long>m * n * k >= SMALL_PRODUCT:
        _gemm(trans_a, False, m, n, k, a, lda, b, ldb, 1, c, ldc)
    elif trans_a:
        if floating is float:
            rf_mm_tn_acc_f(m, n, k, a, lda, b, ldb, c, ldc)
        else:
            rf_mm_tn_acc_d(m, n, k, a, lda, b, ldb, c, ldc)
    elif floating is float:
        rf_mm_nn_acc_f(m, n, k, a, lda, b, ldb, c, ldc)
    else:
        rf_mm_nn_acc_d(m, n, k, a, lda, b, ldb, c, ldc)


cdef inline void mm_nn_acc(int m, int n, int k, const floating *a, int lda,
                           const floating *b, int ldb,
                           floating *c, int ldc) noexcept nogil:
    """C[m, n] += A[m, k] @ B[k, n]."""
    _mm_acc(False, m, n, k, a, lda, b, ldb, c, ldc)


cdef enum:
    # inputs this narrow are projected row by row in one pass (rf_affine_rows); wider
    # ones by a bias copy and a product
    NARROW_INPUT = 4


cdef inline void affine_rows(Py_ssize_t m, int n, int k, const floating *a,
                             const floating *b, const floating *bias,
                             floating *c) noexcept nogil:
    """C[m, n] = bias + A[m, k] @ B[k, n] (all C-contiguous; m rows of an input
    projection)."""
    cdef Py_ssize_t i
    if k <= NARROW_INPUT:
        if floating is float:
            rf_affine_rows_f(m, n, k, a, k, b, n, bias, c, n)
        else:
            rf_affine_rows_d(m, n, k, a, k, b, n, bias, c, n)
        return
    for i in range(m):
        memcpy(c + i * n, bias, n * sizeof(floating))
    mm_nn_acc(<int>m, n, k, a, k, b, n, c, n)


cdef inline void mm_nt_acc(int m, int n, int k, const floating *a, int lda,
                           const floating *b, int ldb,
                           floating *c, int ldc) noexcept nogil:
    """C[m, n] += A[m, k] @ B[n, k]^T (BLAS only: callers use it for large products)."""
    if m <= 0 or n <= 0 or k <= 0:
        return
    _gemm(False, True, m, n, k, a, lda, b, ldb, 1, c, ldc)


cdef inline void mm_tn_acc(int m, int n, int k, const floating *a, int lda,
                           const floating *b, int ldb,
                           floating *c, int ldc) noexcept nogil:
    """C[m, n] += A[k, m]^T @ B[k, n]."""
    _mm_acc(True, m, n, k, a, lda, b, ldb, c, ldc)


cdef inline Py_ssize_t packed_len(floating *dummy, int k, int n) noexcept nogil:
    """Elements a packed copy of a (k, n) matrix needs (dummy only picks the type)."""
    if floating is float:
        return rf_packed_len_f(k, n)
    else:
        return rf_packed_len_d(k, n)


cdef inline void pack(int k, int n, const floating *b, int ldb, floating *packed) noexcept nogil:
    """B (k, n) into panels for mm_packed_acc."""
    if floating is float:
        rf_pack_f(k, n, b, ldb, packed)
    else:
        rf_pack_d(k, n, b, ldb, packed)


cdef inline void pack_t(int k, int n, const floating *bt, int ldbt,
                        floating *packed) noexcept nogil:
    """B = Bt^T (Bt (n, k)) into panels for mm_packed_acc."""
    if floating is float:
        rf_pack_t_f(k, n, bt, ldbt, packed)
    else:
        rf_pack_t_d(k, n, bt, ldbt, packed)


cdef inline void mm_packed_acc(int m, int n, int k, const floating *a, int lda,
                               const floating *packed, floating *c, int ldc) noexcept nogil:
    """C[m, n] += A[m, k] @ B, B packed by `pack`: for the recurrent products, whose B is
    the same at every step (BLAS would pack it again at each call)."""
    if m <= 0 or n <= 0 or k <= 0:
        return
    if floating is float:
        rf_mm_packed_acc_f(m, n, k, a, lda, packed, c, ldc)
    else:
        rf_mm_packed_acc_d(m, n, k, a, lda, packed, c, ldc)


cdef inline void tanh_inplace(floating *x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        rf_tanh_f(x, n)
    else:
        rf_tanh_d(x, n)


cdef inline void sigmoid_inplace(floating *x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        rf_sigmoid_f(x, n)
    else:
        rf_sigmoid_d(x, n)


cdef inline void lstm_cell(Py_ssize_t H, floating *g, const floating *c_prev, floating *c,
                           floating *tc, floating *h) noexcept nogil:
    if floating is float:
        rf_lstm_cell_f(H, g, c_prev, c, tc, h)
    else:
        rf_lstm_cell_d(H, g, c_prev, c, tc, h)


cdef inline void gru_cell(Py_ssize_t H, floating *g, const floating *w,
                          const floating *h_prev, floating *h, floating *hn) noexcept nogil:
    if floating is float:
        rf_gru_cell_f(H, g, w, h_prev, h, hn)
    else:
        rf_gru_cell_d(H, g, w, h_prev, h, hn)


cdef inline void lstm_grads(Py_ssize_t H, const floating *g, const floating *c_prev,
                            const floating *tc, floating *dh, floating *dc,
                            floating *ox) noexcept nogil:
    if floating is float:
        rf_lstm_grads_f(H, g, c_prev, tc, dh, dc, ox)
    else:
        rf_lstm_grads_d(H, g, c_prev, tc, dh, dc, ox)


cdef inline void gru_grads(Py_ssize_t H, const floating *g, const floating *hn,
                           const floating *h_prev, floating *dh, floating *ox,
                           floating *oh) noexcept nogil:
    if floating is float:
        rf_gru_grads_f(H, g, hn, h_prev, dh, ox, oh)
    else:
        rf_gru_grads_d(H, g, hn, h_prev, dh, ox, oh)


cdef inline void elman_grads(Py_ssize_t H, const floating *h, bint relu, floating *dh,
                             floating *da) noexcept nogil:
    if floating is float:
        rf_elman_grads_f(H, h, relu, dh, da)
    else:
        rf_elman_grads_d(H, h, relu, dh, da)


cdef inline void add_column_sums(Py_ssize_t rows, Py_ssize_t cols, const floating *a,
                                 floating *out, int k=0, const floating *x=NULL,
                                 floating *xa=NULL) noexcept nogil:
    """out (cols,) += the column sums of a (rows, cols); with k > 0, xa (k, cols) +=
    x (rows, k)^T a in the same pass."""
    if floating is float:
        rf_add_column_sums_f(rows, cols, a, out, k, x, xa)
    else:
        rf_add_column_sums_d(rows, cols, a, out, k, x, xa)


cdef inline void adam_loop(floating *p, const floating *g, floating *m, floating *v,
                           Py_ssize_t n, double lr_hat, double b1, double b2, double eps,
                           double root_c2, double scale) noexcept nogil:
    """One Adam step over n values (see rf_adam_f in csrc/rf_loops.h)."""
    if floating is float:
        rf_adam_f(p, g, m, v, n, lr_hat, b1, b2, eps, root_c2, scale)
    else:
        rf_adam_d(p, g, m, v, n, lr_hat, b1, b2, eps, root_c2, scale)
