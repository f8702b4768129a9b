// cpuid / xgetbv feature detection (see include/cpu_features.h).
#include "cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* XCR0, the register state the OS saves on context switches (valid only with OSXSAVE). */
static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

uint32_t attn_shim_cpu_features(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6) return 0; /* XMM and YMM state */
    uint32_t features = fma ? ATTN_SHIM_CPU_FMA : 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return features;
    if ((ebx >> 5) & 1) features |= ATTN_SHIM_CPU_AVX2;
    if ((xcr0 & 0xe0) == 0xe0) { /* opmask, upper halves of ZMM0-15, ZMM16-31 */
        if ((ebx >> 16) & 1) features |= ATTN_SHIM_CPU_AVX512F;
        if ((ebx >> 28) & 1) features |= ATTN_SHIM_CPU_AVX512CD;
        if ((ebx >> 30) & 1) features |= ATTN_SHIM_CPU_AVX512BW;
        if ((ebx >> 17) & 1) features |= ATTN_SHIM_CPU_AVX512DQ;
        if ((ebx >> 31) & 1) features |= ATTN_SHIM_CPU_AVX512VL;
    }
    return features;
}
#else
uint32_t attn_shim_cpu_features(void) { return 0; }
#endif
