/*
 * CAttentionShims — the only C (and the only `#pragma omp`) inside libattention.
 *
 * Why it exists: Swift cannot express OpenMP pragmas or C11 thread-locals. This shim offers a
 * static parallel-for over [0, n) that Swift kernels call with a C function pointer plus a
 * context pointer, thread-count control, and the per-thread "last error" buffer of the C ABI.
 * It is an implementation detail, not a stable API.
 */
#ifndef CATTENTION_SHIMS_H
#define CATTENTION_SHIMS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Body of a parallel loop: processes indices [begin, end). */
typedef void (*attn_shim_body)(void *context, int64_t begin, int64_t end);

/** Runs body over [0, n) split into at most `attn_shim_get_num_threads()` contiguous chunks of
 *  at least `grain` indices each (chunk boundaries depend on the thread count, so callers must
 *  make each index's result independent of which chunk it lands in). Runs serially, on the
 *  calling thread, when n <= grain, when one thread is configured, or when already inside a
 *  parallel region. */
void attn_shim_parallel_for(int64_t n, int64_t grain, void *context, attn_shim_body body);

/** Threads used by attn_shim_parallel_for: OMP_NUM_THREADS if set, else the number of cores. */
int attn_shim_get_num_threads(void);

/** Sets the thread count (clamped to >= 1). */
void attn_shim_set_num_threads(int n);

/** The calling thread's last error message ("" if none). */
const char *attn_shim_last_error(void);

/** Copies `message` (truncated to the buffer size, on a UTF-8 boundary) into the calling
 *  thread's last-error buffer. NULL clears it. */
void attn_shim_set_last_error(const char *message);

#ifdef __cplusplus
}
#endif

/** Asks the CPU to bring the cache line at `address` closer (a non-temporal read prefetch: the
 *  data is used once). Never faults, whatever the address. Inline, so that Swift kernels compile
 *  it to one instruction. */
static inline __attribute__((always_inline)) void attn_shim_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 0);
}

/** Asks the CPU to bring the cache line at `address` into L2 (a read prefetch for data used a
 *  little later: the next tile of an attention kernel, the rows of V whose scores are being
 *  computed). Never faults, whatever the address. Inline. */
static inline __attribute__((always_inline)) void attn_shim_prefetch_l2(const void *address) {
    __builtin_prefetch(address, 0, 2);
}

#include "cpu_features.h"
#include "mpi_runtime.h"

#endif
