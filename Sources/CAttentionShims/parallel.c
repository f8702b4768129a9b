/* OpenMP parallel-for and thread-count control for the Swift kernels. */
#include "CAttentionShims.h"

/* The toolchain's clang ships no omp.h; declare the few runtime functions used here. */
int omp_get_max_threads(void);
void omp_set_num_threads(int n);
int omp_in_parallel(void);

static int configured_threads = 0; /* 0: not set yet, use the OpenMP default */

int attn_shim_get_num_threads(void) {
    if (configured_threads > 0) return configured_threads;
    int n = omp_get_max_threads(); /* honours OMP_NUM_THREADS, else the core count */
    return n > 0 ? n : 1;
}

void attn_shim_set_num_threads(int n) {
    configured_threads = n < 1 ? 1 : n;
    omp_set_num_threads(configured_threads);
}

void attn_shim_parallel_for(int64_t n, int64_t grain, void *context, attn_shim_body body) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int64_t threads = attn_shim_get_num_threads();
    int64_t max_chunks = (n + grain - 1) / grain;
    int64_t chunks = threads < max_chunks ? threads : max_chunks;
    if (chunks <= 1 || omp_in_parallel()) {
        body(context, 0, n);
        return;
    }
    /* Contiguous chunks, sizes differing by at most one. */
    #pragma omp parallel for num_threads(chunks) schedule(static, 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t begin = n * c / chunks;
        int64_t end = n * (c + 1) / chunks;
        body(context, begin, end);
    }
}
