/*
 * attention.h — the C ABI of libattention, a small embeddable deep-learning runtime.
 *
 * This header is the source of truth: every function below is implemented in Swift with
 * `@c @implementation`, so the compiler checks each export against the prototype here.
 *
 * Overview
 * --------
 *  - Every fallible call returns an `attn_status` (ATTN_OK == 0) and writes results through
 *    out-parameters. On failure `attn_last_error()` returns a message for the calling thread.
 *  - Nothing passed in from outside can crash the host: NULL pointers, negative or overflowing
 *    sizes and inconsistent shapes are reported as statuses, never as traps.
 *  - Tensors are FP32, row-major, contiguous unless a leading dimension says otherwise. Shapes are
 *    given in comments with letters: B batch, T time, C channels, NH heads, HS head size.
 *  - Threads: computations run on an OpenMP pool whose size `attn_set_num_threads` controls
 *    (default: OMP_NUM_THREADS, else the number of cores). Results are bitwise identical for any
 *    thread count. The kernel functions are reentrant: any number of host threads may call them
 *    at once on distinct output buffers.
 *
 * Worked example: C = A·B for A (2, 3) and B (3, 2)
 *
 *     #include <attention.h>
 *     float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}, c[4];
 *     attn_status s = attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 3,
 *                                 1.0f, a, 3, b, 2, 0.0f, c, 2, NULL);
 *     if (s != ATTN_OK) fprintf(stderr, "%s: %s\n", attn_status_string(s), attn_last_error());
 *     // c == {4, 5, 10, 11}
 *
 * Build: cc -Iinclude app.c -L.build/release -lattention
 */
#ifndef ATTENTION_H
#define ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the binary interface described by this header. A host compares it with
 *  `attn_abi_version()` at load time; they differ only when a prototype or struct changed. */
#define ATTN_ABI_VERSION 1

/* ------------------------------------------------------------------------------------------ */
/* Status, errors, version, threads                                                          */
/* ------------------------------------------------------------------------------------------ */

/** Result of every fallible call. */
typedef enum attn_status {
    ATTN_OK = 0,
    ATTN_ERR_NULL_POINTER = 1,     /**< a required pointer argument was NULL */
    ATTN_ERR_INVALID_ARGUMENT = 2, /**< a value is out of its allowed range */
    ATTN_ERR_SHAPE = 3,            /**< sizes are negative, inconsistent, or overflow */
    ATTN_ERR_OUT_OF_MEMORY = 4,    /**< an allocation failed */
    ATTN_ERR_IO = 5,               /**< a file could not be read or written */
    ATTN_ERR_FORMAT = 6,           /**< a file or buffer is malformed */
    ATTN_ERR_UTF8 = 7,             /**< text is not valid UTF-8 */
    ATTN_ERR_INTERNAL = 8          /**< a bug in the library; please report it */
} attn_status;

/** Library version as "MAJOR.MINOR.PATCH". Static storage; never NULL. */
const char *attn_version(void);

/** The ATTN_ABI_VERSION the library was built with. */
int attn_abi_version(void);

/** A short constant description of `status` ("ok", "null pointer", ...). Never NULL; unknown
 *  values give "unknown status". */
const char *attn_status_string(attn_status status);

/** The message of the most recent status-returning call on the calling thread if it failed,
 *  else "" (a successful call clears it). Valid until the next libattention call on this
 *  thread. */
const char *attn_last_error(void);

/** Sets the number of threads used by all later computations (1 ... 1024).
 *  Returns ATTN_ERR_INVALID_ARGUMENT for values outside that range. Not thread-safe with
 *  respect to computations running at the same time. */
attn_status attn_set_num_threads(int num_threads);

/** The number of threads computations use. */
int attn_get_num_threads(void);

/* ------------------------------------------------------------------------------------------ */
/* Kernels on caller-owned buffers                                                            */
/* ------------------------------------------------------------------------------------------ */

/** Whether a matrix operand is used as stored or transposed. */
typedef enum attn_transpose {
    ATTN_NO_TRANS = 0,
    ATTN_TRANS = 1
} attn_transpose;

/** General matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C (+ bias).
 *
 *  op(A) is (m, k): A is stored (m, k) with leading dimension lda >= k, or, with ATTN_TRANS,
 *  (k, m) with lda >= m. Likewise op(B) is (k, n): B stored (k, n), ldb >= n, or (n, k), ldb >= k.
 *  C is (m, n) with ldc >= n. `bias` (n) is optional (NULL for none) and is added to every row
 *  after scaling. When beta == 0, C is not read (it may hold NaNs).
 *  Any of m, n, k may be 0 (with k == 0, C = beta * C + bias). Pointers may be NULL only when
 *  the operand they describe is empty. C must not overlap A, B or bias
 *  (ATTN_ERR_INVALID_ARGUMENT). */
attn_status attn_matmul(attn_transpose trans_a, attn_transpose trans_b,
                        int64_t m, int64_t n, int64_t k,
                        float alpha, const float *a, int64_t lda,
                        const float *b, int64_t ldb,
                        float beta, float *c, int64_t ldc,
                        const float *bias);

/** Row-wise numerically stable softmax: out (rows, cols) = softmax(inp (rows, cols)).
 *  With `causal` != 0 the input is read as (rows / cols) stacked square score matrices (T, T),
 *  T = cols: row r may only see columns j <= r % cols; masked entries are 0 in `out`
 *  (rows must then be a multiple of cols). `out` may equal `inp` (in place) but must not
 *  otherwise overlap it. Pointers may be NULL when rows * cols == 0. */
attn_status attn_softmax(float *out, const float *inp, int64_t rows, int64_t cols, int causal);

/** Layer normalization over the last dimension:
 *  out (rows, C) = (inp - mean) / sqrt(var + eps) * weight (C) + bias (C).
 *  `weight` and `bias` may be NULL (1 and 0). `mean` and `rstd` (rows) are optional outputs
 *  (NULL to skip) that a backward pass needs. eps must be finite and > 0; channels must be
 *  >= 1 when rows > 0. `out` may equal `inp` but must not otherwise overlap it. Pointers may
 *  be NULL when rows == 0. */
attn_status attn_layernorm(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias,
                           int64_t rows, int64_t channels, float eps);

/** Describes one multi-head scaled dot-product attention call.
 *  Q is (B, NH, Tq, HS); K and V are (B, NH, Tk, HS); the output is (B, NH, Tq, HS). */
typedef struct attn_attention_desc {
    size_t struct_size;   /**< sizeof(attn_attention_desc), so the struct can grow: a library
                               accepts a larger struct from a newer header as long as the
                               fields it does not know are zero */
    int64_t batch;        /**< B  >= 0 */
    int64_t heads;        /**< NH >= 0 */
    int64_t q_len;        /**< Tq >= 0 */
    int64_t kv_len;       /**< Tk >= 0 */
    int64_t head_size;    /**< 1 <= HS <= 4096 */
    int causal;           /**< nonzero: query i sees keys j <= i + (Tk - Tq) (aligned to the end,
                               as in cached generation); requires Tq <= Tk */
    const uint8_t *key_padding_mask; /**< optional (B, Tk): nonzero marks a padding key that no
                                          query attends to (PyTorch's convention); NULL = none */
    float scale;          /**< score scale; 0 means 1/sqrt(HS) */
} attn_attention_desc;

/** Fused attention forward: out = softmax(scale * Q·K^T + mask) · V, tile by tile with an online
 *  softmax, never materializing a (Tq, Tk) matrix unless `probs` is requested.
 *  `lse` (B, NH, Tq) optional: per-row log-sum-exp of the scaled scores, which
 *  attn_attention_backward needs (-INFINITY for a row with no visible key; its output row is 0).
 *  `probs` (B, NH, Tq, Tk) optional: the attention probabilities, for visualisation.
 *  Pointers may be NULL when their buffer is empty; outputs must not overlap inputs or each
 *  other (ATTN_ERR_INVALID_ARGUMENT); a non-finite scale is ATTN_ERR_INVALID_ARGUMENT. */
attn_status attn_attention_forward(const attn_attention_desc *desc,
                                   const float *q, const float *k, const float *v,
                                   float *out, float *lse, float *probs);

/** Fused attention backward (FlashAttention-2 style, recomputing score tiles from `lse`).
 *  Inputs: q, k, v, out and lse exactly as attn_attention_forward produced them, and dout
 *  (B, NH, Tq, HS). Outputs dq (B, NH, Tq, HS), dk and dv (B, NH, Tk, HS) are overwritten.
 *  Deterministic: bitwise identical for any thread count. Pointers may be NULL when their
 *  buffer is empty; outputs must not overlap inputs or each other. */
attn_status attn_attention_backward(const attn_attention_desc *desc,
                                    const float *q, const float *k, const float *v,
                                    const float *out, const float *dout, const float *lse,
                                    float *dq, float *dk, float *dv);

#ifdef __cplusplus
}
#endif

#endif /* ATTENTION_H */
