#include "rf_loops.h"
#include "rf_math.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* The row loops below are axpy-shaped (y[:] += a * x[:]) on purpose: with
 * restrict pointers that shape vectorises without reassociating sums, so the
 * result is the same at every optimisation level. */

/* C[i, :] = bias + A[i, :] B for m rows (A (m, k), B (k, n)), or C += A B with bias
 * NULL: each row of C taken once, with the k terms added in order while it is in cache
 * (an input projection over every step when k is small: a bias copy, then a product
 * reading and writing the whole table again, would pass over it twice more). */
#define RF_DEFINE_MM(SUFFIX, T)                                                  \
RF_HOT                                                                           \
void rf_affine_rows_##SUFFIX(ptrdiff_t m, int n, int k, const T *A, int lda,     \
                             const T *B, int ldb, const T *bias, T *C, int ldc)  \
{                                                                                \
    for (ptrdiff_t i = 0; i < m; i++) {                                          \
        T *RF_RESTRICT c = C + i * ldc;                                          \
        const T *a = A + i * lda;                                                \
        if (bias != NULL) memcpy(c, bias, (size_t)n * sizeof(T));                \
        for (int p = 0; p < k; p++) {                                            \
            const T *RF_RESTRICT b = B + (ptrdiff_t)p * ldb;                     \
            const T ap = a[p];                                                   \
            for (int j = 0; j < n; j++) c[j] += ap * b[j];                       \
        }                                                                        \
    }                                                                            \
}                                                                                \
void rf_mm_nn_acc_##SUFFIX(int m, int n, int k, const T *A, int lda,             \
                           const T *B, int ldb, T *C, int ldc)                   \
{                                                                                \
    rf_affine_rows_##SUFFIX(m, n, k, A, lda, B, ldb, NULL, C, ldc);              \
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

/* 1 if none of n floats, read as their bits, is NaN or infinite (all exponent bits
 * set); an OR of comparisons, which vectorises at every width (a max of unsigned
 * values needs SSE4.1 for 32 bits and AVX-512 for 64). */
RF_HOT
int rf_finite_bits32(const uint32_t *RF_RESTRICT bits, ptrdiff_t n)
{
    uint32_t bad = 0;
    for (ptrdiff_t i = 0; i < n; i++) bad |= (bits[i] & 0x7f800000u) == 0x7f800000u;
    return !bad;
}

RF_HOT
int rf_finite_bits64(const uint64_t *RF_RESTRICT bits, ptrdiff_t n)
{
    uint64_t bad = 0;
    const uint64_t exponent = 0x7ff0000000000000u;
    for (ptrdiff_t i = 0; i < n; i++) bad |= (bits[i] & exponent) == exponent;
    return !bad;
}

/* The packed product works on blocks of 4 rows of A by one panel: 4 x PANEL
 * sums held in registers while k runs, each step one panel row times 4
 * broadcast values of A. With GCC's vector types the sums are eight named
 * vector variables (the compiler keeps them in registers, which it does not do
 * for arrays of sums); the plain path is the same arithmetic on arrays. */
#define RF_DEFINE_PACK(SUFFIX, T, PANEL)                                           \
ptrdiff_t rf_packed_len_##SUFFIX(int k, int n)                                     \
{                                                                                  \
    return (ptrdiff_t)k * ((n + PANEL - 1) / PANEL) * PANEL;                       \
}                                                                                  \
void rf_pack_##SUFFIX(int k, int n, const T *B, int ldb, T *packed)                \
{                                                                                  \
    for (int q = 0; q * PANEL < n; q++) {                                          \
        int cols = n - q * PANEL < PANEL ? n - q * PANEL : PANEL;                  \
        T *panel = packed + (ptrdiff_t)q * k * PANEL;                              \
        for (int p = 0; p < k; p++) {                                              \
            T *dst = panel + (ptrdiff_t)p * PANEL;                                 \
            memcpy(dst, B + (ptrdiff_t)p * ldb + q * PANEL, (size_t)cols * sizeof(T));  \
            if (cols < PANEL) memset(dst + cols, 0, (size_t)(PANEL - cols) * sizeof(T));  \
        }                                                                          \
    }                                                                              \
}                                                                                  \
void rf_pack_t_##SUFFIX(int k, int n, const T *Bt, int ldbt, T *packed)            \
{                                                                                  \
    for (int q = 0; q * PANEL < n; q++) {                                          \
        int cols = n - q * PANEL < PANEL ? n - q * PANEL : PANEL;                  \
        T *panel = packed + (ptrdiff_t)q * k * PANEL;                              \
        const T *col0 = Bt + (ptrdiff_t)q * PANEL * ldbt;                          \
        /* written in order, read from PANEL rows that stay in cache as p advances */ \
        for (int p = 0; p < k; p++) {                                              \
            T *dst = panel + (ptrdiff_t)p * PANEL;                                 \
            for (int j = 0; j < cols; j++) dst[j] = col0[(ptrdiff_t)j * ldbt + p];  \
            for (int j = cols; j < PANEL; j++) dst[j] = 0;                         \
        }                                                                          \
    }                                                                              \
}

/* one row of A times a panel, added to c[0..cols) (the rows past a multiple of 4) */
#define RF_PACKED_ROW(T, PANEL)                                                    \
    do {                                                                           \
        T s0[PANEL] = {0};                                                         \
        for (int p = 0; p < k; p++) {                                              \
            const T *RF_RESTRICT w = panel + (ptrdiff_t)p * PANEL;                 \
            const T x0 = a0[p];                                                    \
            for (int j = 0; j < PANEL; j++) s0[j] += x0 * w[j];                    \
        }                                                                          \
        for (int j = 0; j < cols; j++) c[j] += s0[j];                              \
    } while (0)

#if RF_GNU_C
/* V: a vector type of PANEL / 2 elements of T */
#define RF_DEFINE_PACKED(SUFFIX, T, PANEL, V)                                      \
RF_HOT                                                                             \
void rf_mm_packed_acc_##SUFFIX(int m, int n, int k, const T *A, int lda,           \
                               const T *packed, T *C, int ldc)                     \
{                                                                                  \
    const int half = PANEL / 2;                                                    \
    for (int q = 0; q * PANEL < n; q++) {                                          \
        const T *panel = packed + (ptrdiff_t)q * k * PANEL;                        \
        int cols = n - q * PANEL < PANEL ? n - q * PANEL : PANEL;                  \
        int i = 0;                                                                 \
        for (; i + 4 <= m; i += 4) {                                               \
            const T *a0 = A + (ptrdiff_t)i * lda, *a1 = a0 + lda;                  \
            const T *a2 = a1 + lda, *a3 = a2 + lda;                                \
            V s00 = {0}, s01 = {0}, s10 = {0}, s11 = {0};                          \
            V s20 = {0}, s21 = {0}, s30 = {0}, s31 = {0};                          \
            for (int p = 0; p < k; p++) {                                          \
                V w0, w1;                                                          \
                memcpy(&w0, panel + (ptrdiff_t)p * PANEL, sizeof w0);              \
                memcpy(&w1, panel + (ptrdiff_t)p * PANEL + half, sizeof w1);       \
                V x = -(V){0} + a0[p]; /* -0 + a == a: a bare broadcast */         \
                s00 += x * w0; s01 += x * w1;                                      \
                x = -(V){0} + a1[p];                                               \
                s10 += x * w0; s11 += x * w1;                                      \
                x = -(V){0} + a2[p];                                               \
                s20 += x * w0; s21 += x * w1;                                      \
                x = -(V){0} + a3[p];                                               \
                s30 += x * w0; s31 += x * w1;                                      \
            }                                                                      \
            T out[4][PANEL];                                                       \
            memcpy(out[0], &s00, sizeof s00); memcpy(out[0] + half, &s01, sizeof s01);  \
            memcpy(out[1], &s10, sizeof s10); memcpy(out[1] + half, &s11, sizeof s11);  \
            memcpy(out[2], &s20, sizeof s20); memcpy(out[2] + half, &s21, sizeof s21);  \
            memcpy(out[3], &s30, sizeof s30); memcpy(out[3] + half, &s31, sizeof s31);  \
            for (int r = 0; r < 4; r++) {                                          \
                T *c = C + (ptrdiff_t)(i + r) * ldc + q * PANEL;                   \
                for (int j = 0; j < cols; j++) c[j] += out[r][j];                  \
            }                                                                      \
        }                                                                          \
    }                                                                              \
    /* The rows past a multiple of 4 (all of them for a batch of 1 to 3): one row    \
     * against four panels at once, so that eight sums are in flight rather than two \
     * (a row's sums are added in the same order as in a block of 4). */           \
    const int panels = (n + PANEL - 1) / PANEL;                                    \
    for (int i = m - m % 4; i < m; i++) {                                          \
        const T *a0 = A + (ptrdiff_t)i * lda;                                      \
        int q = 0;                                                                 \
        for (; q + 4 <= panels; q += 4) {                                          \
            const T *p0 = packed + (ptrdiff_t)q * k * PANEL;                       \
            const T *p1 = p0 + (ptrdiff_t)k * PANEL, *p2 = p1 + (ptrdiff_t)k * PANEL;  \
            const T *p3 = p2 + (ptrdiff_t)k * PANEL;                               \
            V s00 = {0}, s01 = {0}, s10 = {0}, s11 = {0};                          \
            V s20 = {0}, s21 = {0}, s30 = {0}, s31 = {0};                          \
            for (int p = 0; p < k; p++) {                                          \
                const V x = -(V){0} + a0[p];                                       \
                const ptrdiff_t at = (ptrdiff_t)p * PANEL;                         \
                V w;                                                               \
                memcpy(&w, p0 + at, sizeof w); s00 += x * w;                       \
                memcpy(&w, p0 + at + half, sizeof w); s01 += x * w;                \
                memcpy(&w, p1 + at, sizeof w); s10 += x * w;                       \
                memcpy(&w, p1 + at + half, sizeof w); s11 += x * w;                \
                memcpy(&w, p2 + at, sizeof w); s20 += x * w;                       \
                memcpy(&w, p2 + at + half, sizeof w); s21 += x * w;                \
                memcpy(&w, p3 + at, sizeof w); s30 += x * w;                       \
                memcpy(&w, p3 + at + half, sizeof w); s31 += x * w;                \
            }                                                                      \
            T out[4][PANEL];                                                       \
            memcpy(out[0], &s00, sizeof s00); memcpy(out[0] + half, &s01, sizeof s01);  \
            memcpy(out[1], &s10, sizeof s10); memcpy(out[1] + half, &s11, sizeof s11);  \
            memcpy(out[2], &s20, sizeof s20); memcpy(out[2] + half, &s21, sizeof s21);  \
            memcpy(out[3], &s30, sizeof s30); memcpy(out[3] + half, &s31, sizeof s31);  \
            for (int r = 0; r < 4; r++) {                                          \
                const int col = (q + r) * PANEL;                                   \
                const int cols = n - col < PANEL ? n - col : PANEL;                \
                T *c = C + (ptrdiff_t)i * ldc + col;                               \
                for (int j = 0; j < cols; j++) c[j] += out[r][j];                  \
            }                                                                      \
        }                                                                          \
        for (; q < panels; q++) {                                                  \
            const T *panel = packed + (ptrdiff_t)q * k * PANEL;                    \
            const int cols = n - q * PANEL < PANEL ? n - q * PANEL : PANEL;        \
            T *c = C + (ptrdiff_t)i * ldc + q * PANEL;                             \
            V s0 = {0}, s1 = {0};                                                  \
            for (int p = 0; p < k; p++) {                                          \
                const V x = -(V){0} + a0[p];                                       \
                V w;                                                               \
                memcpy(&w, panel + (ptrdiff_t)p * PANEL, sizeof w); s0 += x * w;   \
                memcpy(&w, panel + (ptrdiff_t)p * PANEL + half, sizeof w); s1 += x * w;  \
            }                                                                      \
            T out[PANEL];                                                          \
            memcpy(out, &s0, sizeof s0); memcpy(out + half, &s1, sizeof s1);       \
            for (int j = 0; j < cols; j++) c[j] += out[j];                         \
        }                                                                          \
    }                                                                              \
}
typedef float rf_v8f __attribute__((vector_size(32)));
typedef double rf_v4d __attribute__((vector_size(32)));
RF_DEFINE_PACK(f, float, RF_PANEL_F)
RF_DEFINE_PACK(d, double, RF_PANEL_D)
RF_DEFINE_PACKED(f_base, float, RF_PANEL_F, rf_v8f)
RF_DEFINE_PACKED(d, double, RF_PANEL_D, rf_v4d)

#if RF_CLONES
/* The float packed product 16 wide for the first m - m % 4 rows of A (the caller
 * gives the rest to the 8-wide code): a panel row is one AVX-512 register; blocks of
 * 4 rows by 4 panels keep 16 sums in flight (4 panel loads and 4 broadcasts per 16
 * FMAs). A sum runs over p in order, one FMA a term, as in the 8-wide code. */
typedef float rf_v16f __attribute__((vector_size(64)));
#define RF_BCAST16(a) (-(rf_v16f){0} + (a))   /* -0 + a == a: a bare broadcast */
#define RF_LOAD16(v, p) memcpy(&(v), (p), sizeof(v))
/* c[0..cols) += s, cols = the columns of panel column `col` that exist */
#define RF_ADD16(c, s, col)                                                         \
    do {                                                                           \
        float out_[16];                                                            \
        memcpy(out_, &(s), sizeof out_);                                           \
        const int cols_ = n - (col) < 16 ? n - (col) : 16;                         \
        for (int j_ = 0; j_ < cols_; j_++) (c)[j_] += out_[j_];                    \
    } while (0)

__attribute__((target("arch=x86-64-v4")))
static void rf_mm_packed_acc_f_avx512(int m, int n, int k, const float *A, int lda,
                                      const float *packed, float *C, int ldc)
{
    const ptrdiff_t stride = (ptrdiff_t)k * 16;   /* one panel */
    const int panels = (n + 15) / 16, m4 = m - m % 4;
    int q = 0;
    for (; q + 4 <= panels; q += 4) {
        const float *w0 = packed + q * stride, *w1 = w0 + stride;
        const float *w2 = w1 + stride, *w3 = w2 + stride;
        for (int i = 0; i < m4; i += 4) {
            const float *a0 = A + (ptrdiff_t)i * lda, *a1 = a0 + lda;
            const float *a2 = a1 + lda, *a3 = a2 + lda;
            rf_v16f s00 = {0}, s01 = {0}, s02 = {0}, s03 = {0};
            rf_v16f s10 = {0}, s11 = {0}, s12 = {0}, s13 = {0};
            rf_v16f s20 = {0}, s21 = {0}, s22 = {0}, s23 = {0};
            rf_v16f s30 = {0}, s31 = {0}, s32 = {0}, s33 = {0};
            for (int p = 0; p < k; p++) {
                rf_v16f u0, u1, u2, u3, x;
                RF_LOAD16(u0, w0 + p * 16); RF_LOAD16(u1, w1 + p * 16);
                RF_LOAD16(u2, w2 + p * 16); RF_LOAD16(u3, w3 + p * 16);
                x = RF_BCAST16(a0[p]); s00 += x * u0; s01 += x * u1; s02 += x * u2; s03 += x * u3;
                x = RF_BCAST16(a1[p]); s10 += x * u0; s11 += x * u1; s12 += x * u2; s13 += x * u3;
                x = RF_BCAST16(a2[p]); s20 += x * u0; s21 += x * u1; s22 += x * u2; s23 += x * u3;
                x = RF_BCAST16(a3[p]); s30 += x * u0; s31 += x * u1; s32 += x * u2; s33 += x * u3;
            }
            float *c0 = C + (ptrdiff_t)i * ldc + q * 16, *c1 = c0 + ldc;
            float *c2 = c1 + ldc, *c3 = c2 + ldc;
            RF_ADD16(c0, s00, q * 16); RF_ADD16(c0 + 16, s01, q * 16 + 16);
            RF_ADD16(c0 + 32, s02, q * 16 + 32); RF_ADD16(c0 + 48, s03, q * 16 + 48);
            RF_ADD16(c1, s10, q * 16); RF_ADD16(c1 + 16, s11, q * 16 + 16);
            RF_ADD16(c1 + 32, s12, q * 16 + 32); RF_ADD16(c1 + 48, s13, q * 16 + 48);
            RF_ADD16(c2, s20, q * 16); RF_ADD16(c2 + 16, s21, q * 16 + 16);
            RF_ADD16(c2 + 32, s22, q * 16 + 32); RF_ADD16(c2 + 48, s23, q * 16 + 48);
            RF_ADD16(c3, s30, q * 16); RF_ADD16(c3 + 16, s31, q * 16 + 16);
            RF_ADD16(c3 + 32, s32, q * 16 + 32); RF_ADD16(c3 + 48, s33, q * 16 + 48);
        }
    }
    for (; q < panels; q++) {   /* the panels past a multiple of 4, 4 rows at a time */
        const float *w0 = packed + q * stride;
        for (int i = 0; i < m4; i += 4) {
            const float *a0 = A + (ptrdiff_t)i * lda, *a1 = a0 + lda;
            const float *a2 = a1 + lda, *a3 = a2 + lda;
            rf_v16f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
            for (int p = 0; p < k; p++) {
                rf_v16f u;
                RF_LOAD16(u, w0 + p * 16);
                s0 += RF_BCAST16(a0[p]) * u; s1 += RF_BCAST16(a1[p]) * u;
                s2 += RF_BCAST16(a2[p]) * u; s3 += RF_BCAST16(a3[p]) * u;
            }
            float *c0 = C + (ptrdiff_t)i * ldc + q * 16;
            RF_ADD16(c0, s0, q * 16); RF_ADD16(c0 + ldc, s1, q * 16);
            RF_ADD16(c0 + 2 * ldc, s2, q * 16); RF_ADD16(c0 + 3 * ldc, s3, q * 16);
        }
    }
}
#endif

static int rf_simd_level = -1;   /* -1: not chosen yet, then the best */

int rf_cpu_has_avx2(void)
{
#if RF_CLONES
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v3") != 0;
#else
    return 0;
#endif
}

int rf_built_with_clones(void)
{
    return RF_CLONES;
}

int rf_simd_best(void)
{
#if RF_CLONES
    __builtin_cpu_init();
    return __builtin_cpu_supports("x86-64-v4") ? RF_SIMD_AVX512 : RF_SIMD_BASE;
#else
    return RF_SIMD_BASE;
#endif
}

int rf_simd_use(int level)
{
    const int best = rf_simd_best();
    rf_simd_level = level < best ? (level < RF_SIMD_BASE ? RF_SIMD_BASE : level) : best;
    return rf_simd_level;
}

#if RF_CLONES
/* 1 when the float kernels take their 16-wide variants (the best path, chosen on first
 * use unless rf_simd_use chose first) */
static int rf_wide(void)
{
    if (rf_simd_level < 0)
        rf_simd_use(RF_SIMD_AVX512);
    return rf_simd_level == RF_SIMD_AVX512;
}
#endif


void rf_mm_packed_acc_f(int m, int n, int k, const float *A, int lda, const float *packed,
                        float *C, int ldc)
{
#if RF_CLONES
    /* a batch of 1 to 3 rows streams W_hh through the cache whatever the width (the
     * 16-wide path measured 0.95-1.02x the 8-wide at B = 1): it stays 8 wide */
    if (m >= 4 && rf_wide()) {
        const int m4 = m - m % 4;
        rf_mm_packed_acc_f_avx512(m4, n, k, A, lda, packed, C, ldc);
        if (m > m4)   /* the rows left over: the same sums, 8 wide */
            rf_mm_packed_acc_f_base(m - m4, n, k, A + (ptrdiff_t)m4 * lda, lda, packed,
                                    C + (ptrdiff_t)m4 * ldc, ldc);
        return;
    }
#endif
    rf_mm_packed_acc_f_base(m, n, k, A, lda, packed, C, ldc);
}
#else
#define RF_DEFINE_PACKED(SUFFIX, T, PANEL)                                         \
void rf_mm_packed_acc_##SUFFIX(int m, int n, int k, const T *A, int lda,           \
                               const T *packed, T *C, int ldc)                     \
{                                                                                  \
    for (int q = 0; q * PANEL < n; q++) {                                          \
        const T *panel = packed + (ptrdiff_t)q * k * PANEL;                        \
        int cols = n - q * PANEL < PANEL ? n - q * PANEL : PANEL;                  \
        for (int i = 0; i < m; i++) {                                              \
            const T *a0 = A + (ptrdiff_t)i * lda;                                  \
            T *c = C + (ptrdiff_t)i * ldc + q * PANEL;                             \
            RF_PACKED_ROW(T, PANEL);                                               \
        }                                                                          \
    }                                                                              \
}
RF_DEFINE_PACK(f, float, RF_PANEL_F)
RF_DEFINE_PACK(d, double, RF_PANEL_D)
RF_DEFINE_PACKED(f, float, RF_PANEL_F)
RF_DEFINE_PACKED(d, double, RF_PANEL_D)
int rf_cpu_has_avx2(void) { return 0; }
int rf_built_with_clones(void) { return 0; }
int rf_simd_best(void) { return RF_SIMD_BASE; }
int rf_simd_use(int level) { (void)level; return RF_SIMD_BASE; }
#endif

/* NAME(x, n): x[i] = ONE(x[i]) for i < n, ONE an RF_ALWAYS_INLINE float function,
 * 8 wide (the RF_HOT clone) or, on the RF_SIMD_AVX512 path, 16 wide: the same
 * operations, so the same values bit for bit */
#if RF_CLONES
#define RF_DEFINE_FLOAT_MAP(NAME, ONE)                                             \
    RF_HOT static void NAME##_base(float *RF_RESTRICT x, ptrdiff_t n)              \
    {                                                                              \
        for (ptrdiff_t i = 0; i < n; i++) x[i] = ONE(x[i]);                        \
    }                                                                              \
    __attribute__((target("arch=x86-64-v4")))                                      \
    static void NAME##_avx512(float *RF_RESTRICT x, ptrdiff_t n)                   \
    {                                                                              \
        for (ptrdiff_t i = 0; i < n; i++) x[i] = ONE(x[i]);                        \
    }                                                                              \
    void NAME(float *RF_RESTRICT x, ptrdiff_t n)                                   \
    {                                                                              \
        if (rf_wide())                                                             \
            NAME##_avx512(x, n);                                                   \
        else                                                                       \
            NAME##_base(x, n);                                                     \
    }
#else
#define RF_DEFINE_FLOAT_MAP(NAME, ONE)                                             \
    void NAME(float *RF_RESTRICT x, ptrdiff_t n)                                   \
    {                                                                              \
        for (ptrdiff_t i = 0; i < n; i++) x[i] = ONE(x[i]);                        \
    }
#endif

/* tanh of one float; inlined into each loop below, so each vectorises at its width */
static RF_ALWAYS_INLINE float rf_tanh1_f(float v)
{
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
    float out;
    memcpy(&out, &out_bits, sizeof out);
    return out;
}

RF_DEFINE_FLOAT_MAP(rf_tanh_f, rf_tanh1_f)

/* the logistic function of one float: 1 / (1 + e) at |v|, e / (1 + e) below zero,
 * e = exp(-|v|) in (0, 1] (no overflow); |v| clamped to 87, where it is 1 to float
 * precision and its complement below 2e-38 */
static RF_ALWAYS_INLINE float rf_sigmoid1_f(float v)
{
    float a = fabsf(v);
    uint32_t a_bits;
    memcpy(&a_bits, &a, sizeof a_bits);
    const uint32_t bound_bits = 0x42ae0000u;   /* 87.0f */
    a_bits = a_bits < bound_bits ? a_bits : bound_bits;
    float a_clamped;
    memcpy(&a_clamped, &a_bits, sizeof a_clamped);
    float e = rf_expf_bounded(-a_clamped);
    float up = 1.0f / (1.0f + e);
    float down = e * up;
    /* select by v's sign with bit masks: a branch would stop vectorisation */
    uint32_t up_bits, down_bits, v_bits, out_bits;
    memcpy(&up_bits, &up, sizeof up_bits);
    memcpy(&down_bits, &down, sizeof down_bits);
    memcpy(&v_bits, &v, sizeof v_bits);
    uint32_t negative = (uint32_t)0 - (v_bits >> 31);
    out_bits = (down_bits & negative) | (up_bits & ~negative);
    float out;
    memcpy(&out, &out_bits, sizeof out);
    return out;
}

RF_DEFINE_FLOAT_MAP(rf_sigmoid_f, rf_sigmoid1_f)


/* One row of a gated cell's backward step (see rnn/_rnn.pyx, _gated_backward): the
 * gradients of the gates' pre-activations from the gate values g and dLoss/dh (and,
 * LSTM, dLoss/dc), written to ox (the input projection's) and oh (the hidden
 * product's; an LSTM's are the same); dh (and dc) become what passes to the step
 * before through the direct paths. A NULL previous state is zeros. Plain loops over
 * restrict pointers, so that they vectorise. */
#define RF_DEFINE_GATED_GRADS(SUFFIX, T)                                             \
RF_HOT                                                                               \
void rf_lstm_grads_##SUFFIX(ptrdiff_t H, const T *RF_RESTRICT g,                      \
                            const T *RF_RESTRICT c_prev, const T *RF_RESTRICT tc,     \
                            T *RF_RESTRICT dh, T *RF_RESTRICT dc, T *RF_RESTRICT ox)  \
{                                                                                    \
    const T *i = g, *f = g + H, *gg = g + 2 * H, *o = g + 3 * H;                      \
    for (ptrdiff_t j = 0; j < H; j++) {                                              \
        T d = dh[j];                                                                 \
        T dct = dc[j] + d * o[j] * (1 - tc[j] * tc[j]);                               \
        T cp = c_prev != NULL ? c_prev[j] : 0;                                       \
        ox[j] = dct * gg[j] * i[j] * (1 - i[j]);                                     \
        ox[H + j] = dct * cp * f[j] * (1 - f[j]);                                    \
        ox[2 * H + j] = dct * i[j] * (1 - gg[j] * gg[j]);                             \
        ox[3 * H + j] = d * tc[j] * o[j] * (1 - o[j]);                                \
        dc[j] = dct * f[j];                                                          \
        dh[j] = 0;                                                                   \
    }                                                                                \
}                                                                                    \
RF_HOT                                                                               \
void rf_gru_grads_##SUFFIX(ptrdiff_t H, const T *RF_RESTRICT g,                       \
                           const T *RF_RESTRICT hn, const T *RF_RESTRICT h_prev,      \
                           T *RF_RESTRICT dh, T *RF_RESTRICT ox, T *RF_RESTRICT oh)   \
{                                                                                    \
    const T *r = g, *z = g + H, *n = g + 2 * H;                                      \
    for (ptrdiff_t j = 0; j < H; j++) {                                              \
        T d = dh[j];                                                                 \
        T hp = h_prev != NULL ? h_prev[j] : 0;                                       \
        T da_n = d * (1 - z[j]) * (1 - n[j] * n[j]);                                 \
        T da_r = da_n * hn[j] * r[j] * (1 - r[j]);                                   \
        T da_z = d * (hp - n[j]) * z[j] * (1 - z[j]);                                \
        ox[j] = da_r;                                                                \
        oh[j] = da_r;                                                                \
        ox[H + j] = da_z;                                                            \
        oh[H + j] = da_z;                                                            \
        ox[2 * H + j] = da_n;                                                        \
        oh[2 * H + j] = da_n * r[j];                                                 \
        dh[j] = d * z[j];                                                            \
    }                                                                                \
}
RF_DEFINE_GATED_GRADS(f, float)
RF_DEFINE_GATED_GRADS(d, double)

/* One row of an Elman cell's backward step: da = dh (1 - h^2) for tanh, dh where h > 0
 * for relu (h > 0 exactly where the pre-activation was); dh is zeroed, as what passes
 * to the step before comes from the product with W_hh. And the sums of a table's
 * columns added to out (the biases' gradients), row after row, with (k > 0) the
 * sums of x[r, p] a[r, :] added to xa (k, cols) in the same pass (a narrow input's
 * weight gradient, transposed). Plain loops, each in its arrays' own precision. */
#define RF_DEFINE_ELMAN_GRADS(SUFFIX, T)                                             \
RF_HOT                                                                               \
void rf_elman_grads_##SUFFIX(ptrdiff_t H, const T *RF_RESTRICT h, int relu,           \
                             T *RF_RESTRICT dh, T *RF_RESTRICT da)                    \
{                                                                                    \
    if (relu) {                                                                      \
        for (ptrdiff_t j = 0; j < H; j++) da[j] = h[j] > 0 ? dh[j] : 0;              \
    } else {                                                                         \
        for (ptrdiff_t j = 0; j < H; j++) da[j] = dh[j] * (1 - h[j] * h[j]);         \
    }                                                                                \
    memset(dh, 0, (size_t)H * sizeof(T));                                            \
}                                                                                    \
RF_HOT                                                                               \
void rf_add_column_sums_##SUFFIX(ptrdiff_t rows, ptrdiff_t cols, const T *RF_RESTRICT a, \
                                 T *RF_RESTRICT out, int k, const T *RF_RESTRICT x,   \
                                 T *RF_RESTRICT xa)                                  \
{                                                                                    \
    for (ptrdiff_t r = 0; r < rows; r++) {                                           \
        const T *RF_RESTRICT row = a + r * cols;                                     \
        for (ptrdiff_t j = 0; j < cols; j++) out[j] += row[j];                       \
        for (int p = 0; p < k; p++) {                                                \
            const T xp = x[r * k + p];                                               \
            T *RF_RESTRICT o = xa + p * cols;                                        \
            for (ptrdiff_t j = 0; j < cols; j++) o[j] += xp * row[j];                \
        }                                                                            \
    }                                                                                \
}
RF_DEFINE_ELMAN_GRADS(f, float)
RF_DEFINE_ELMAN_GRADS(d, double)

/* One row of a gated cell's forward step, every gate in one pass (the sigmoid and tanh
 * above inlined). LSTM: g holds the pre-activations a = (b_ih + b_hh) + x W^T + h W^T
 * of i, f, g, o and gets their values; c = f c_prev + i g, tc = tanh(c) (kept for the
 * backward), h = o tc. GRU: g holds b_ih + x W^T and w the hidden products with b_hh;
 * r, z = sigmoid(g + w), n = tanh(g_n + r w_n), h = (1 - z) n + z h_prev; hn = w_n is
 * kept for the backward. A NULL previous state is zeros. */
#define RF_LSTM_CELL_LOOP(SIG, TANH)                                                 \
    for (ptrdiff_t j = 0; j < H; j++) {                                              \
        float i = SIG(g[j]), f = SIG(g[H + j]);                                      \
        float gg = TANH(g[2 * H + j]), o = SIG(g[3 * H + j]);                         \
        g[j] = i;                                                                    \
        g[H + j] = f;                                                                \
        g[2 * H + j] = gg;                                                           \
        g[3 * H + j] = o;                                                            \
        float cj = f * (c_prev != NULL ? c_prev[j] : 0.0f) + i * gg;                 \
        c[j] = cj;                                                                   \
        float t = TANH(cj);                                                          \
        tc[j] = t;                                                                   \
        h[j] = o * t;                                                                \
    }
#define RF_GRU_CELL_LOOP(SIG, TANH)                                                  \
    for (ptrdiff_t j = 0; j < H; j++) {                                              \
        float r = SIG(g[j] + w[j]), z = SIG(g[H + j] + w[H + j]);                    \
        float wn = w[2 * H + j];                                                     \
        float n = TANH(g[2 * H + j] + r * wn);                                        \
        g[j] = r;                                                                    \
        g[H + j] = z;                                                                \
        g[2 * H + j] = n;                                                            \
        hn[j] = wn;                                                                  \
        h[j] = (1 - z) * n + z * (h_prev != NULL ? h_prev[j] : 0.0f);                \
    }

RF_HOT
static void rf_lstm_cell_f_base(ptrdiff_t H, float *RF_RESTRICT g,
                                const float *RF_RESTRICT c_prev, float *RF_RESTRICT c,
                                float *RF_RESTRICT tc, float *RF_RESTRICT h)
{
    RF_LSTM_CELL_LOOP(rf_sigmoid1_f, rf_tanh1_f)
}

RF_HOT
static void rf_gru_cell_f_base(ptrdiff_t H, float *RF_RESTRICT g, const float *RF_RESTRICT w,
                               const float *RF_RESTRICT h_prev, float *RF_RESTRICT h,
                               float *RF_RESTRICT hn)
{
    RF_GRU_CELL_LOOP(rf_sigmoid1_f, rf_tanh1_f)
}

#if RF_CLONES
__attribute__((target("arch=x86-64-v4")))
static void rf_lstm_cell_f_avx512(ptrdiff_t H, float *RF_RESTRICT g,
                                  const float *RF_RESTRICT c_prev, float *RF_RESTRICT c,
                                  float *RF_RESTRICT tc, float *RF_RESTRICT h)
{
    RF_LSTM_CELL_LOOP(rf_sigmoid1_f, rf_tanh1_f)
}

__attribute__((target("arch=x86-64-v4")))
static void rf_gru_cell_f_avx512(ptrdiff_t H, float *RF_RESTRICT g, const float *RF_RESTRICT w,
                                 const float *RF_RESTRICT h_prev, float *RF_RESTRICT h,
                                 float *RF_RESTRICT hn)
{
    RF_GRU_CELL_LOOP(rf_sigmoid1_f, rf_tanh1_f)
}
#endif

void rf_lstm_cell_f(ptrdiff_t H, float *g, const float *c_prev, float *c, float *tc, float *h)
{
#if RF_CLONES
    if (rf_wide()) {
        rf_lstm_cell_f_avx512(H, g, c_prev, c, tc, h);
        return;
    }
#endif
    rf_lstm_cell_f_base(H, g, c_prev, c, tc, h);
}

void rf_gru_cell_f(ptrdiff_t H, float *g, const float *w, const float *h_prev, float *h,
                   float *hn)
{
#if RF_CLONES
    if (rf_wide()) {
        rf_gru_cell_f_avx512(H, g, w, h_prev, h, hn);
        return;
    }
#endif
    rf_gru_cell_f_base(H, g, w, h_prev, h, hn);
}

static double rf_sigmoid1_d(double v)
{
    double e = exp(-fabs(v));
    return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}

void rf_sigmoid_d(double *RF_RESTRICT x, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i++) x[i] = rf_sigmoid1_d(x[i]);
}

void rf_lstm_cell_d(ptrdiff_t H, double *g, const double *c_prev, double *c, double *tc,
                    double *h)
{
    for (ptrdiff_t j = 0; j < H; j++) {
        double i = rf_sigmoid1_d(g[j]), f = rf_sigmoid1_d(g[H + j]);
        double gg = tanh(g[2 * H + j]), o = rf_sigmoid1_d(g[3 * H + j]);
        g[j] = i;
        g[H + j] = f;
        g[2 * H + j] = gg;
        g[3 * H + j] = o;
        double cj = f * (c_prev != NULL ? c_prev[j] : 0.0) + i * gg;
        c[j] = cj;
        tc[j] = tanh(cj);
        h[j] = o * tc[j];
    }
}

void rf_gru_cell_d(ptrdiff_t H, double *g, const double *w, const double *h_prev, double *h,
                   double *hn)
{
    for (ptrdiff_t j = 0; j < H; j++) {
        double r = rf_sigmoid1_d(g[j] + w[j]), z = rf_sigmoid1_d(g[H + j] + w[H + j]);
        double n = tanh(g[2 * H + j] + r * w[2 * H + j]);
        g[j] = r;
        g[H + j] = z;
        g[2 * H + j] = n;
        hn[j] = w[2 * H + j];
        h[j] = (1 - z) * n + z * (h_prev != NULL ? h_prev[j] : 0.0);
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
