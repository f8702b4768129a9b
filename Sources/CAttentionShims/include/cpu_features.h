/*
 * CPU feature detection for the run-time choice of kernels (KernelISA in AttentionEngine).
 * Swift has no access to `cpuid` or `xgetbv`; this is the C side of that choice.
 */
#ifndef CATTENTION_CPU_FEATURES_H
#define CATTENTION_CPU_FEATURES_H

#include <stdint.h>

/** Feature bits of attn_shim_cpu_features(). A bit is set only when the CPU reports the
 *  instructions and the operating system saves the registers they use (XCR0). */
enum {
    ATTN_SHIM_CPU_AVX2 = 1u << 0,
    ATTN_SHIM_CPU_FMA = 1u << 1,
    ATTN_SHIM_CPU_AVX512F = 1u << 2,
    ATTN_SHIM_CPU_AVX512CD = 1u << 3,
    ATTN_SHIM_CPU_AVX512BW = 1u << 4,
    ATTN_SHIM_CPU_AVX512DQ = 1u << 5,
    ATTN_SHIM_CPU_AVX512VL = 1u << 6,
};

/** The usable vector features of this CPU (ATTN_SHIM_CPU_* bits), from cpuid and xgetbv;
 *  0 on other architectures. Cheap, but callers should ask once. */
uint32_t attn_shim_cpu_features(void);

#endif
