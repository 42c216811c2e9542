/* Portability macros shared by the C helpers. */
#ifndef RF_COMMON_H
#define RF_COMMON_H

#if defined(_MSC_VER)
#define RF_RESTRICT __restrict
#else
#define RF_RESTRICT restrict
#endif

#endif
