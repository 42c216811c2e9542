#include "rf_loops.h"
#include "rf_math.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* The row loops below are axpy-shaped (y[:] += a * x[:]) on purpose: with
 * restrict pointers that shape vectorises without reassociating sums, so the
 * result is the same at every optimisation level. */
#define RF_DEFINE_MM(SUFFIX, T)                                                  \
RF_HOT                                                                           \
void rf_mm_nn_acc_##SUFFIX(int m, int n, int k, const T *A, int lda,             \
                           const T *B, int ldb, T *C, int ldc)                   \
{                                                                                \
    for (int i = 0; i < m; i++) {                                                \
        T *RF_RESTRICT c = C + (ptrdiff_t)i * ldc;                               \
        const T *a = A + (ptrdiff_t)i * lda;                                     \
        for (int p = 0; p < k; p++) {                                            \
            const T *RF_RESTRICT b = B + (ptrdiff_t)p * ldb;                     \
            const T ap = a[p];                                                   \
            for (int j = 0; j < n; j++) c[j] += ap * b[j];                       \
        }                                                                        \
    }                                                                            \
}                                                                                \
RF_HOT                                                                           \
void rf_mm_tn_acc_##SUFFIX(int m, int n, int k, const T *A, int lda,             \
                           const T *B, int ldb, T *C, int ldc)                   \
{                                                                                \
    for (int p = 0; p < k; p++) {                                                \
        const T *a = A + (ptrdiff_t)p * lda;                                     \
        const T *RF_RESTRICT b = B + (ptrdiff_t)p * ldb;                         \
        for (int i = 0; i < m; i++) {                                            \
            T *RF_RESTRICT c = C + (ptrdiff_t)i * ldc;                           \
            const T ai = a[i];                                                   \
            if (ai == (T)0) continue;                                            \
            for (int j = 0; j < n; j++) c[j] += ai * b[j];                       \
        }                                                                        \
    }                                                                            \
}

RF_DEFINE_MM(f, float)
RF_DEFINE_MM(d, double)

RF_HOT
void rf_tanh_f(float *RF_RESTRICT x, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++) {
        float v = x[i];
        float a = fabsf(v);
        /* near zero, 1 - 2/(e^{2a}+1) cancels: use the odd Taylor series,
         * whose terms past a^15 are below 1e-8 relative for a < 0.5 */
        float a2 = a * a;
        float s = -929569.0f / 638512875.0f;
        s = s * a2 + 21844.0f / 6081075.0f;
        s = s * a2 - 1382.0f / 155925.0f;
        s = s * a2 + 62.0f / 2835.0f;
        s = s * a2 - 17.0f / 315.0f;
        s = s * a2 + 2.0f / 15.0f;
        s = s * a2 - 1.0f / 3.0f;
        float small = a + a * a2 * s;
        /* clamp to 9 (tanh(9) == 1 in float) on the bit patterns, which order
         * like the values for a >= 0; a float min would compile to a branch */
        uint32_t a_bits;
        memcpy(&a_bits, &a, sizeof a_bits);
        const uint32_t nine_bits = 0x41100000u;
        a_bits = a_bits < nine_bits ? a_bits : nine_bits;
        float a_clamped;
        memcpy(&a_clamped, &a_bits, sizeof a_clamped);
        float e = rf_expf_bounded(2.0f * a_clamped);
        float large = 1.0f - 2.0f / (e + 1.0f);
        /* select with bit masks: a branch here would stop vectorisation */
        uint32_t small_bits, large_bits, sign_bits, out_bits;
        memcpy(&small_bits, &small, sizeof small_bits);
        memcpy(&large_bits, &large, sizeof large_bits);
        memcpy(&sign_bits, &v, sizeof sign_bits);
        uint32_t use_small = (uint32_t)0 - (uint32_t)(a < 0.5f);
        out_bits = (small_bits & use_small) | (large_bits & ~use_small);
        out_bits |= sign_bits & 0x80000000u;
        memcpy(x + i, &out_bits, sizeof out_bits);
    }
}

void rf_tanh_d(double *RF_RESTRICT x, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++) x[i] = tanh(x[i]);
}

/* Adam: the step is computed in the arrays' own precision, so the loop
 * vectorises (sqrt and division are exact IEEE operations at any width). */
#define RF_DEFINE_ADAM(SUFFIX, T, SQRT)                                            \
RF_HOT                                                                             \
void rf_adam_##SUFFIX(T *RF_RESTRICT p, const T *RF_RESTRICT g, T *RF_RESTRICT m,  \
                      T *RF_RESTRICT v, ptrdiff_t n, double lr_hat, double b1,     \
                      double b2, double eps, double root_c2, double scale)         \
{                                                                                  \
    const T tb1 = (T)b1, tc1 = (T)(1 - b1), tb2 = (T)b2, tc2 = (T)(1 - b2);        \
    const T tlr = (T)lr_hat, teps = (T)eps, tscale = (T)scale;                     \
    const T inv_root_c2 = (T)(1 / root_c2);                                        \
    for (ptrdiff_t i = 0; i < n; i++) {                                            \
        T gi = g[i] * tscale;                                                      \
        T mi = tb1 * m[i] + tc1 * gi;                                              \
        T vi = tb2 * v[i] + tc2 * gi * gi;                                         \
        m[i] = mi;                                                                 \
        v[i] = vi;                                                                 \
        p[i] -= tlr * mi / (SQRT(vi) * inv_root_c2 + teps);                        \
    }                                                                              \
}

RF_DEFINE_ADAM(f, float, sqrtf)
RF_DEFINE_ADAM(d, double, sqrt)
