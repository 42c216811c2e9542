/* Portability macros shared by the C helpers. */
#ifndef RF_COMMON_H
#define RF_COMMON_H

#if defined(_MSC_VER)
#define RF_RESTRICT __restrict
#else
#define RF_RESTRICT restrict
#endif

/* On x86-64 Linux with gcc, a function marked RF_HOT is compiled twice, for the
 * baseline and for x86-64-v3 (AVX2 + FMA), and the loader picks one by the CPU's
 * features: wheels stay portable while recent CPUs get wide vectors. A static
 * inline helper is compiled for the baseline unless it is inlined, so the
 * functions that do the vector work carry the attribute themselves. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && !defined(RF_NO_CLONES) && !defined(RF_PORTABLE)
#define RF_CLONES 1
#define RF_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RF_CLONES 0
#define RF_HOT
#endif

/* A small helper that must be inlined into each caller, so that it is vectorised at
 * the caller's width (the AVX2 clone, the AVX-512 variant). */
#if defined(__GNUC__)
#define RF_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define RF_ALWAYS_INLINE inline
#endif

/* GCC's vector extensions and builtins (gcc and clang), else plain C loops that
 * compute the same sums in the same order (MSVC and others). Defining RF_PORTABLE
 * forces the plain paths, so a build that must take them is compiled and tested
 * here too (tools/check_c.sh, RNNFAST_PORTABLE=1 pip install .). */
#if defined(__GNUC__) && !defined(RF_PORTABLE)
#define RF_GNU_C 1
#else
#define RF_GNU_C 0
#endif

/* Prefetch hints: the cache line at p, to be read or written soon (nothing where the
 * compiler has no builtin). RF_PREFETCH_FLOATS_* cover n floats a line (16) apart. */
#if RF_GNU_C
#define RF_PREFETCH_READ(p) __builtin_prefetch((p), 0)
#define RF_PREFETCH_WRITE(p) __builtin_prefetch((p), 1)
#define RF_PREFETCH_READ_L2(p) __builtin_prefetch((p), 0, 2)
#else
#define RF_PREFETCH_READ(p) ((void)(p))
#define RF_PREFETCH_WRITE(p) ((void)(p))
#define RF_PREFETCH_READ_L2(p) ((void)(p))
#endif
#define RF_PREFETCH_FLOATS_READ(p, n) \
    do { for (int32_t rf_k_ = 0; rf_k_ < (n); rf_k_ += 16) RF_PREFETCH_READ((p) + rf_k_); } while (0)
#define RF_PREFETCH_FLOATS_L2(p, n) \
    do { for (int32_t rf_k_ = 0; rf_k_ < (n); rf_k_ += 16) RF_PREFETCH_READ_L2((p) + rf_k_); } while (0)
#define RF_PREFETCH_FLOATS_WRITE(p, n) \
    do { for (int32_t rf_k_ = 0; rf_k_ < (n); rf_k_ += 16) RF_PREFETCH_WRITE((p) + rf_k_); } while (0)

#endif
