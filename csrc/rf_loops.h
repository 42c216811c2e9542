/* Plain C loops the Cython kernels call for small matrices and elementwise math.
 *
 * Everything here is written so that gcc/clang -O3 vectorise it with the baseline
 * instruction set (SSE2 on x86-64, NEON on arm64): no -march=native is needed.
 * Matrices are row-major; "ld" is the distance in elements between two rows.
 */
#ifndef RF_LOOPS_H
#define RF_LOOPS_H

#include <stddef.h>

#include "rf_common.h"

/* C[m, n] += A[m, k] @ B[k, n] */
void rf_mm_nn_acc_f(int m, int n, int k, const float *A, int lda,
                    const float *B, int ldb, float *C, int ldc);
void rf_mm_nn_acc_d(int m, int n, int k, const double *A, int lda,
                    const double *B, int ldb, double *C, int ldc);

/* C[m, n] += A[k, m]^T @ B[k, n] */
void rf_mm_tn_acc_f(int m, int n, int k, const float *A, int lda,
                    const float *B, int ldb, float *C, int ldc);
void rf_mm_tn_acc_d(int m, int n, int k, const double *A, int lda,
                    const double *B, int ldb, double *C, int ldc);

/* x[i] = tanh(x[i]) for i < n. The float version is a vectorisable
 * approximation with a relative error below 5e-7; the double one calls libm. */
void rf_tanh_f(float *x, ptrdiff_t n);
void rf_tanh_d(double *x, ptrdiff_t n);

/* One Adam step over n values (see reference.adam_step); lr_hat is the
 * learning rate over (1 - beta1^t), root_c2 is sqrt(1 - beta2^t). */
void rf_adam_f(float *p, const float *g, float *m, float *v, ptrdiff_t n, double lr_hat,
               double b1, double b2, double eps, double root_c2, double scale);
void rf_adam_d(double *p, const double *g, double *m, double *v, ptrdiff_t n, double lr_hat,
               double b1, double b2, double eps, double root_c2, double scale);

#endif
