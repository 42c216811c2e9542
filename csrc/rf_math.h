/* Inline float math that compilers vectorise: no libm calls, no branches. */
#ifndef RF_MATH_H
#define RF_MATH_H

#include <stdint.h>
#include <string.h>

#include "rf_common.h"

/* exp(x) for x in [-87, 88]: x = k ln2 + r with |r| <= ln2/2, e^r from its
 * Taylor polynomial to degree 7 (truncation error < 1e-8), 2^k built in the
 * exponent bits. Rounding to the nearest k uses the 1.5 * 2^23 trick, which
 * needs no SSE4 rounding instruction. Relative error about 2e-7. */
static inline float rf_expf_bounded(float x)
{
    const float shifter = 12582912.0f;
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693145751953125f;
    const float ln2_lo = 1.428606765330187e-06f;
    float t = x * log2e + shifter;
    float k = t - shifter;
    float r = x - k * ln2_hi;
    r = r - k * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* log(1 + e) for e in [0, 1]: 2 atanh(s) with s = e / (2 + e) in [0, 1/3],
 * odd series to s^13 (truncation below 1e-8 relative). */
static inline float rf_log1pf_unit(float e)
{
    float s = e / (2.0f + e);
    float s2 = s * s;
    float p = 1.0f / 13.0f;
    p = p * s2 + 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    return 2.0f * s * p;
}

/* |x| without a branch or libm call */
static inline float rf_absf(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    b &= 0x7fffffffu;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* min(x, hi) for x >= 0 on the bit patterns (a float min compiles to a branch) */
static inline float rf_min_nonneg(float x, float hi)
{
    uint32_t bx, bh;
    memcpy(&bx, &x, sizeof bx);
    memcpy(&bh, &hi, sizeof bh);
    bx = bx < bh ? bx : bh;
    memcpy(&x, &bx, sizeof x);
    return x;
}

/* Dot product with eight independent partial sums: a single running sum
 * would serialise on the add latency and cannot be vectorised. */
#if RF_GNU_C
typedef float rf_dot_v8 __attribute__((vector_size(32)));
typedef float rf_dot_v8u __attribute__((vector_size(32), aligned(4), may_alias));

static inline float rf_dot(const float *a, const float *b, int32_t n)
{
    rf_dot_v8 acc = {0, 0, 0, 0, 0, 0, 0, 0};
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) acc += *(const rf_dot_v8u *)(a + i) * *(const rf_dot_v8u *)(b + i);
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

/* rf_dot(a, b[k], n) for k = 0..3, each bit for bit as rf_dot computes it; four
 * independent sums hide the latency of one, and a is loaded once for all four. */
static inline void rf_dot4(const float *a, const float *const *b, int32_t n, float *out)
{
    rf_dot_v8 acc0 = {0, 0, 0, 0, 0, 0, 0, 0}, acc1 = acc0, acc2 = acc0, acc3 = acc0;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        rf_dot_v8 x = *(const rf_dot_v8u *)(a + i);
        acc0 += x * *(const rf_dot_v8u *)(b[0] + i);
        acc1 += x * *(const rf_dot_v8u *)(b[1] + i);
        acc2 += x * *(const rf_dot_v8u *)(b[2] + i);
        acc3 += x * *(const rf_dot_v8u *)(b[3] + i);
    }
    rf_dot_v8 *accs[4] = {&acc0, &acc1, &acc2, &acc3};
    for (int k = 0; k < 4; k++) {
        rf_dot_v8 v = *accs[k];
        float s = ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
        for (int32_t j = i; j < n; j++) s += a[j] * b[k][j];
        out[k] = s;
    }
}
#else
static inline float rf_dot(const float *a, const float *b, int32_t n)
{
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int32_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static inline void rf_dot4(const float *a, const float *const *b, int32_t n, float *out)
{
    for (int k = 0; k < 4; k++) out[k] = rf_dot(a, b[k], n);
}
#endif

#endif
