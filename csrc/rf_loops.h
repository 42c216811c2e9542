/* Plain C loops the Cython kernels call for small matrices and elementwise math.
 *
 * Everything here is written so that gcc/clang -O3 vectorise it with the baseline
 * instruction set (SSE2 on x86-64, NEON on arm64): no -march=native is needed.
 * Matrices are row-major; "ld" is the distance in elements between two rows.
 */
#ifndef RF_LOOPS_H
#define RF_LOOPS_H

#include <stddef.h>
#include <stdint.h>

#include "rf_common.h"

/* C[m, n] += A[m, k] @ B[k, n] */
void rf_mm_nn_acc_f(int m, int n, int k, const float *A, int lda,
                    const float *B, int ldb, float *C, int ldc);
void rf_mm_nn_acc_d(int m, int n, int k, const double *A, int lda,
                    const double *B, int ldb, double *C, int ldc);
/* C[i, :] = bias + A[i, :] B over m rows, each row of C written once */
void rf_affine_rows_f(ptrdiff_t m, int n, int k, const float *A, int lda, const float *B,
                      int ldb, const float *bias, float *C, int ldc);
void rf_affine_rows_d(ptrdiff_t m, int n, int k, const double *A, int lda, const double *B,
                      int ldb, const double *bias, double *C, int ldc);

/* 1 if none of n floats, read as their bits (float32: 32, float64: 64), is NaN or
 * infinite */
int rf_finite_bits32(const uint32_t *bits, ptrdiff_t n);
int rf_finite_bits64(const uint64_t *bits, ptrdiff_t n);

/* C[m, n] += A[k, m]^T @ B[k, n] */
void rf_mm_tn_acc_f(int m, int n, int k, const float *A, int lda,
                    const float *B, int ldb, float *C, int ldc);
void rf_mm_tn_acc_d(int m, int n, int k, const double *A, int lda,
                    const double *B, int ldb, double *C, int ldc);

/* A right-hand matrix B (k, n) packed once for many products C += A @ B with
 * small A (the recurrent weights, used at every step): panels of RF_PANEL
 * columns (zero-padded), each stored row after row, so the product streams
 * through it with no per-call packing (BLAS packs B again at every call).
 * rf_packed_len is the number of elements the packed copy needs. */
#define RF_PANEL_F 16
#define RF_PANEL_D 8
ptrdiff_t rf_packed_len_f(int k, int n);
ptrdiff_t rf_packed_len_d(int k, int n);
void rf_pack_f(int k, int n, const float *B, int ldb, float *packed);
void rf_pack_d(int k, int n, const double *B, int ldb, double *packed);
/* the same for B = Bt^T, Bt (n, k) with rows ldbt apart: no transposed copy first */
void rf_pack_t_f(int k, int n, const float *Bt, int ldbt, float *packed);
void rf_pack_t_d(int k, int n, const double *Bt, int ldbt, double *packed);
/* C[m, n] += A[m, k] @ B, B packed by rf_pack */
void rf_mm_packed_acc_f(int m, int n, int k, const float *A, int lda, const float *packed,
                        float *C, int ldc);
void rf_mm_packed_acc_d(int m, int n, int k, const double *A, int lda, const double *packed,
                        double *C, int ldc);

/* The path of the float packed product and float tanh, chosen at run time: RF_SIMD_BASE is the
 * loader's pick of the clones (AVX2 + FMA where the CPU has them, else the
 * baseline), RF_SIMD_AVX512 16-wide x86-64-v4 code (gcc builds for x86-64 Linux,
 * CPUs with AVX-512). Both add each element's terms in the same order, so they
 * give the same results. rf_simd_best: the widest this build and CPU run;
 * rf_simd_use(level): use at most `level` (returns the level in use). */
enum { RF_SIMD_BASE = 0, RF_SIMD_AVX512 = 1 };
int rf_simd_best(void);
int rf_simd_use(int level);
/* 1 when the CPU runs the x86-64-v3 clones (AVX2, FMA), 0 otherwise or elsewhere;
 * rf_built_with_clones: 1 for a build with the clones (gcc, x86-64 Linux, not
 * RF_PORTABLE) */
int rf_cpu_has_avx2(void);
int rf_built_with_clones(void);

/* x[i] = tanh(x[i]) for i < n. The float version is a vectorisable
 * approximation with a relative error below 5e-7, 16 wide on the RF_SIMD_AVX512
 * path (the same bits as 8 wide); the double one calls libm. */
void rf_tanh_f(float *x, ptrdiff_t n);
void rf_tanh_d(double *x, ptrdiff_t n);

/* x[i] = 1 / (1 + exp(-x[i])) for i < n, without overflow: the float version
 * vectorised (relative error about 3e-7 above 1e-37; 16 wide on the RF_SIMD_AVX512
 * path, the same bits as 8 wide), the double one through libm's exp. */
void rf_sigmoid_f(float *x, ptrdiff_t n);
void rf_sigmoid_d(double *x, ptrdiff_t n);

/* One row of an LSTM's or a GRU's forward step, every gate in one pass (see rf_loops.c);
 * the float versions 16 wide on the RF_SIMD_AVX512 path (the same bits as 8 wide). */
void rf_lstm_cell_f(ptrdiff_t H, float *g, const float *c_prev, float *c, float *tc,
                    float *h);
void rf_lstm_cell_d(ptrdiff_t H, double *g, const double *c_prev, double *c, double *tc,
                    double *h);
void rf_gru_cell_f(ptrdiff_t H, float *g, const float *w, const float *h_prev, float *h,
                   float *hn);
void rf_gru_cell_d(ptrdiff_t H, double *g, const double *w, const double *h_prev, double *h,
                   double *hn);

/* One row of a GRU's or an LSTM's backward step: gate gradients into ox (and oh),
 * dh (and dc) passed on through the direct paths; c_prev or h_prev may be NULL (zeros). */
void rf_lstm_grads_f(ptrdiff_t H, const float *g, const float *c_prev, const float *tc,
                     float *dh, float *dc, float *ox);
void rf_lstm_grads_d(ptrdiff_t H, const double *g, const double *c_prev, const double *tc,
                     double *dh, double *dc, double *ox);
void rf_gru_grads_f(ptrdiff_t H, const float *g, const float *hn, const float *h_prev,
                    float *dh, float *ox, float *oh);
void rf_gru_grads_d(ptrdiff_t H, const double *g, const double *hn, const double *h_prev,
                    double *dh, double *ox, double *oh);

/* One row of an Elman cell's backward step (da from dh, dh zeroed), and a table's
 * column sums added to out, row after row (with k > 0, xa (k, cols) += x^T a too). */
void rf_elman_grads_f(ptrdiff_t H, const float *h, int relu, float *dh, float *da);
void rf_elman_grads_d(ptrdiff_t H, const double *h, int relu, double *dh, double *da);
void rf_add_column_sums_f(ptrdiff_t rows, ptrdiff_t cols, const float *a, float *out,
                          int k, const float *x, float *xa);
void rf_add_column_sums_d(ptrdiff_t rows, ptrdiff_t cols, const double *a, double *out,
                          int k, const double *x, double *xa);

/* One Adam step over n values (see reference.adam_step); lr_hat is the
 * learning rate over (1 - beta1^t), root_c2 is sqrt(1 - beta2^t). */
void rf_adam_f(float *p, const float *g, float *m, float *v, ptrdiff_t n, double lr_hat,
               double b1, double b2, double eps, double root_c2, double scale);
void rf_adam_d(double *p, const double *g, double *m, double *v, ptrdiff_t n, double lr_hat,
               double b1, double b2, double eps, double root_c2, double scale);

#endif
