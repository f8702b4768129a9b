/* The kernel entry points of attention.h as a C host sees them: results against plain C
 * references, and every kind of bad argument answered with a status and a message. */
#include <attention.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static float random_float(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)(rng_state >> 40) / (float)(1 << 23) - 1.0f;
}

static float *random_buffer(size_t count) {
    float *buffer = malloc((count ? count : 1) * sizeof(float));
    for (size_t i = 0; i < count; i++) buffer[i] = random_float();
    return buffer;
}

static float max_abs_difference(const float *a, const float *b, size_t count) {
    float worst = 0;
    for (size_t i = 0; i < count; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= worst)) worst = d; /* NaN counts as worst */
    }
    return worst;
}

/* ---------------------------------------------------------------------------------------- */

static void test_library_info(void) {
    CHECK(attn_abi_version() == ATTN_ABI_VERSION, "abi %d", attn_abi_version());
    CHECK(attn_version() != NULL && strlen(attn_version()) >= 5, "version");
    CHECK(strcmp(attn_status_string(ATTN_OK), "ok") == 0, "ok string");
    for (int s = 1; s <= 8; s++) {
        const char *text = attn_status_string((attn_status)s);
        CHECK(text != NULL && strcmp(text, "unknown status") != 0, "status %d has a name", s);
    }
    CHECK(strcmp(attn_status_string((attn_status)12345), "unknown status") == 0, "unknown");
}

static void test_threads(void) {
    CHECK_FAILS(attn_set_num_threads(0), ATTN_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(attn_set_num_threads(-3), ATTN_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(attn_set_num_threads(1 << 20), ATTN_ERR_INVALID_ARGUMENT);
    CHECK_OK(attn_set_num_threads(3));
    CHECK(attn_get_num_threads() == 3, "threads %d", attn_get_num_threads());
    CHECK(attn_last_error()[0] == '\0', "a successful call clears the last error");
    CHECK_OK(attn_set_num_threads(2));
}

/* C (m,n) = alpha op(A) op(B) + beta C + bias, in double. */
static void matmul_reference(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                             const float *a, int64_t lda, const float *b, int64_t ldb,
                             float beta, float *c, int64_t ldc, const float *bias) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double sum = 0;
            for (int64_t p = 0; p < k; p++) {
                double x = ta ? a[p * lda + i] : a[i * lda + p];
                double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                sum += x * y;
            }
            double value = alpha * sum + (beta == 0 ? 0.0 : beta * c[i * ldc + j]);
            if (bias) value += bias[j];
            c[i * ldc + j] = (float)value;
        }
}

static void test_matmul(void) {
    const int64_t shapes[][3] = {{1, 1, 1}, {3, 17, 5}, {65, 33, 63}, {130, 70, 257}, {0, 4, 4}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++) {
                int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
                float *a = random_buffer((size_t)((ta ? k : m) * lda));
                float *b = random_buffer((size_t)((tb ? n : k) * ldb));
                float *bias = random_buffer((size_t)n);
                float *c = random_buffer((size_t)(m * ldc));
                float *expected = malloc((size_t)(m * ldc + 1) * sizeof(float));
                memcpy(expected, c, (size_t)(m * ldc) * sizeof(float));
                matmul_reference(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 2.0f, expected, ldc, bias);
                CHECK_OK(attn_matmul((attn_transpose)ta, (attn_transpose)tb, m, n, k, 0.5f, a, lda,
                                     b, ldb, 2.0f, c, ldc, bias));
                /* float32 summation error of k products of magnitude < 1, plus rounding of
                 * beta·C + bias (|.| < 4): about 2^-21·(k+1) + 2^-20·4 (GemmTests' bound). */
                float tolerance = 4.8e-7f * (float)(k + 1) + 4e-6f;
                CHECK(max_abs_difference(c, expected, (size_t)(m * ldc)) <= tolerance,
                      "matmul %lldx%lldx%lld ta=%d tb=%d off by %g", (long long)m, (long long)n,
                      (long long)k, ta, tb, max_abs_difference(c, expected, (size_t)(m * ldc)));
                free(a), free(b), free(bias), free(c), free(expected);
            }
    }

    /* beta == 0 must not read C: NaNs there must not leak. */
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {NAN, NAN, NAN, NAN};
    CHECK_OK(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL));
    CHECK(c[0] == 1 && c[1] == 2 && c[2] == 3 && c[3] == 4, "beta 0: %g %g %g %g", c[0], c[1],
          c[2], c[3]);

    /* k == 0: C = beta·C + bias, A and B unread (and may be NULL). */
    float c0[4] = {1, 2, 3, 4}, bias2[2] = {10, 20};
    CHECK_OK(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 0, 1, NULL, 1, NULL, 2, 0.5f, c0, 2, bias2));
    CHECK(c0[0] == 10.5f && c0[1] == 21 && c0[2] == 11.5f && c0[3] == 22, "k=0: %g %g %g %g",
          c0[0], c0[1], c0[2], c0[3]);

    /* C must not alias A, B or bias. */
    float square[4] = {1, 2, 3, 4};
    CHECK_FAILS(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 2, 1, square, 2, b, 2, 0, square, 2, NULL),
                ATTN_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 2, 1, a, 2, b, 2, 0, square, 2, square + 1),
                ATTN_ERR_INVALID_ARGUMENT);

    /* Empty operands may be NULL. */
    CHECK_OK(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 0, 0, 0, 1, NULL, 1, NULL, 1, 0, NULL, 1, NULL));

    /* Bad arguments. */
    CHECK_FAILS(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 2, 1, NULL, 2, b, 2, 0, c, 2, NULL),
                ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 2, 1, a, 2, NULL, 2, 0, c, 2, NULL),
                ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 2, 1, a, 2, b, 2, 0, NULL, 2, NULL),
                ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, -1, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL),
                ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 2, 1, a, 1, b, 2, 0, c, 2, NULL),
                ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 2, 1, a, 2, b, 2, 0, c, 1, NULL),
                ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, INT64_MAX / 2, 4, 4, 1, a, 4, b, 4, 0, c,
                            INT64_MAX / 2, NULL),
                ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_matmul((attn_transpose)7, ATTN_NO_TRANS, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, NULL),
                ATTN_ERR_INVALID_ARGUMENT);

    /* Bitwise identical for 1, 2 and 3 threads. */
    int64_t m = 200, n = 150, k = 300;
    float *x = random_buffer((size_t)(m * k)), *y = random_buffer((size_t)(k * n));
    float *results[3];
    for (int t = 0; t < 3; t++) {
        results[t] = malloc((size_t)(m * n) * sizeof(float));
        CHECK_OK(attn_set_num_threads(t + 1));
        CHECK_OK(attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, m, n, k, 1, x, k, y, n, 0, results[t], n, NULL));
    }
    CHECK(memcmp(results[0], results[1], (size_t)(m * n) * sizeof(float)) == 0, "1 vs 2 threads");
    CHECK(memcmp(results[0], results[2], (size_t)(m * n) * sizeof(float)) == 0, "1 vs 3 threads");
    CHECK_OK(attn_set_num_threads(2));
    free(x), free(y), free(results[0]), free(results[1]), free(results[2]);
}

static void softmax_reference(float *out, const float *inp, int64_t rows, int64_t cols, int causal) {
    for (int64_t r = 0; r < rows; r++) {
        int64_t visible = causal ? r % cols + 1 : cols;
        double max = -INFINITY, sum = 0;
        for (int64_t j = 0; j < visible; j++) max = fmax(max, inp[r * cols + j]);
        for (int64_t j = 0; j < visible; j++) sum += exp(inp[r * cols + j] - max);
        for (int64_t j = 0; j < cols; j++)
            out[r * cols + j] = j < visible ? (float)(exp(inp[r * cols + j] - max) / sum) : 0.0f;
    }
}

static void test_softmax(void) {
    for (int causal = 0; causal <= 1; causal++) {
        int64_t cols = 37, rows = causal ? 2 * cols : 53;
        float *inp = random_buffer((size_t)(rows * cols));
        for (int64_t i = 0; i < rows * cols; i++) inp[i] *= 20;
        float *out = malloc((size_t)(rows * cols) * sizeof(float));
        float *expected = malloc((size_t)(rows * cols) * sizeof(float));
        softmax_reference(expected, inp, rows, cols, causal);
        CHECK_OK(attn_softmax(out, inp, rows, cols, causal));
        CHECK(max_abs_difference(out, expected, (size_t)(rows * cols)) <= 1e-6f,
              "softmax causal=%d off by %g", causal, max_abs_difference(out, expected, (size_t)(rows * cols)));
        CHECK_OK(attn_softmax(inp, inp, rows, cols, causal)); /* in place */
        CHECK(max_abs_difference(inp, expected, (size_t)(rows * cols)) <= 1e-6f, "in place");
        free(inp), free(out), free(expected);
    }
    float buffer[6] = {0};
    CHECK_FAILS(attn_softmax(NULL, buffer, 2, 3, 0), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_softmax(buffer, NULL, 2, 3, 0), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_softmax(buffer, buffer, -2, 3, 0), ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_softmax(buffer, buffer, INT64_MAX, 3, 0), ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_softmax(buffer, buffer, 2, 3, 1), ATTN_ERR_SHAPE); /* rows % cols != 0 */
    CHECK_OK(attn_softmax(NULL, NULL, 0, 3, 0));
}

static void test_layernorm(void) {
    int64_t rows = 19, channels = 65;
    float *inp = random_buffer((size_t)(rows * channels));
    float *weight = random_buffer((size_t)channels), *bias = random_buffer((size_t)channels);
    float *out = malloc((size_t)(rows * channels) * sizeof(float));
    float *mean = malloc((size_t)rows * sizeof(float)), *rstd = malloc((size_t)rows * sizeof(float));
    CHECK_OK(attn_layernorm(out, mean, rstd, inp, weight, bias, rows, channels, 1e-5f));
    float worst = 0;
    for (int64_t r = 0; r < rows; r++) {
        double mu = 0, var = 0;
        for (int64_t c = 0; c < channels; c++) mu += inp[r * channels + c];
        mu /= (double)channels;
        for (int64_t c = 0; c < channels; c++) var += pow(inp[r * channels + c] - mu, 2);
        var /= (double)channels;
        double rs = 1 / sqrt(var + 1e-5);
        worst = fmaxf(worst, fabsf(mean[r] - (float)mu));
        worst = fmaxf(worst, fabsf(rstd[r] - (float)rs) / (float)rs);
        for (int64_t c = 0; c < channels; c++) {
            double expected = (inp[r * channels + c] - mu) * rs * weight[c] + bias[c];
            worst = fmaxf(worst, fabsf(out[r * channels + c] - (float)expected));
        }
    }
    CHECK(worst <= 1e-5f, "layernorm off by %g", worst);
    CHECK_OK(attn_layernorm(out, NULL, NULL, inp, NULL, NULL, rows, channels, 1e-5f));
    CHECK_FAILS(attn_layernorm(NULL, NULL, NULL, inp, NULL, NULL, rows, channels, 1e-5f), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_layernorm(out, NULL, NULL, NULL, NULL, NULL, rows, channels, 1e-5f), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_layernorm(out, NULL, NULL, inp, NULL, NULL, rows, -1, 1e-5f), ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_layernorm(out, NULL, NULL, inp, NULL, NULL, rows, channels, 0.0f), ATTN_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(attn_layernorm(out, NULL, NULL, inp, NULL, NULL, rows, channels, NAN), ATTN_ERR_INVALID_ARGUMENT);
    free(inp), free(weight), free(bias), free(out), free(mean), free(rstd);
}

/* out = softmax(scale Q K^T + mask) V for one (B, NH) slice at a time, in double. */
static void attention_reference(const attn_attention_desc *d, const float *q, const float *k,
                                const float *v, float *out) {
    int64_t HS = d->head_size, Tq = d->q_len, Tk = d->kv_len;
    double scale = d->scale != 0 ? d->scale : 1 / sqrt((double)HS);
    double *p = malloc((size_t)Tk * sizeof(double));
    for (int64_t bh = 0; bh < d->batch * d->heads; bh++) {
        int64_t b = bh / d->heads;
        for (int64_t i = 0; i < Tq; i++) {
            double max = -INFINITY, sum = 0;
            for (int64_t j = 0; j < Tk; j++) {
                int masked = (d->causal && j > i + (Tk - Tq))
                          || (d->key_padding_mask && d->key_padding_mask[b * Tk + j]);
                double s = 0;
                for (int64_t h = 0; h < HS; h++)
                    s += (double)q[(bh * Tq + i) * HS + h] * k[(bh * Tk + j) * HS + h];
                p[j] = masked ? -INFINITY : s * scale;
                max = fmax(max, p[j]);
            }
            for (int64_t j = 0; j < Tk; j++) {
                p[j] = max == -INFINITY ? 0 : exp(p[j] - max);
                sum += p[j];
            }
            for (int64_t h = 0; h < HS; h++) {
                double o = 0;
                for (int64_t j = 0; j < Tk; j++) o += p[j] * v[(bh * Tk + j) * HS + h];
                out[(bh * Tq + i) * HS + h] = sum > 0 ? (float)(o / sum) : 0.0f;
            }
        }
    }
    free(p);
}

/* Gradients of attention in double: dV = Pᵀ dO, dS = P ⊙ (dO Vᵀ − rowsum(dO ⊙ O)),
 * dQ = s·dS K, dK = s·dSᵀ Q, one (B, NH) slice at a time. */
static void attention_backward_reference(const attn_attention_desc *d, const float *q,
                                         const float *k, const float *v, const float *dout,
                                         double *dq, double *dk, double *dv) {
    int64_t HS = d->head_size, Tq = d->q_len, Tk = d->kv_len;
    double scale = d->scale != 0 ? d->scale : 1 / sqrt((double)HS);
    double *p = malloc((size_t)(Tk + 1) * sizeof(double)), *dp = malloc((size_t)(Tk + 1) * sizeof(double));
    memset(dq, 0, (size_t)(d->batch * d->heads * Tq * HS) * sizeof(double));
    memset(dk, 0, (size_t)(d->batch * d->heads * Tk * HS) * sizeof(double));
    memset(dv, 0, (size_t)(d->batch * d->heads * Tk * HS) * sizeof(double));
    for (int64_t bh = 0; bh < d->batch * d->heads; bh++) {
        int64_t b = bh / d->heads;
        const float *qh = q + bh * Tq * HS, *kh = k + bh * Tk * HS, *vh = v + bh * Tk * HS;
        for (int64_t i = 0; i < Tq; i++) {
            double max = -INFINITY, sum = 0, rowdot = 0;
            for (int64_t j = 0; j < Tk; j++) {
                int masked = (d->causal && j > i + (Tk - Tq))
                          || (d->key_padding_mask && d->key_padding_mask[b * Tk + j]);
                double s = 0;
                for (int64_t h = 0; h < HS; h++) s += (double)qh[i * HS + h] * kh[j * HS + h];
                p[j] = masked ? -INFINITY : s * scale;
                max = fmax(max, p[j]);
            }
            if (max == -INFINITY) continue; /* no visible key: zero gradients */
            for (int64_t j = 0; j < Tk; j++) { p[j] = exp(p[j] - max); sum += p[j]; }
            for (int64_t j = 0; j < Tk; j++) {
                p[j] /= sum;
                dp[j] = 0;
                for (int64_t h = 0; h < HS; h++) dp[j] += (double)dout[(bh * Tq + i) * HS + h] * vh[j * HS + h];
                rowdot += p[j] * dp[j];
            }
            for (int64_t j = 0; j < Tk; j++) {
                double ds = p[j] * (dp[j] - rowdot) * scale;
                for (int64_t h = 0; h < HS; h++) {
                    dv[(bh * Tk + j) * HS + h] += p[j] * dout[(bh * Tq + i) * HS + h];
                    dq[(bh * Tq + i) * HS + h] += ds * kh[j * HS + h];
                    dk[(bh * Tk + j) * HS + h] += ds * qh[i * HS + h];
                }
            }
        }
    }
    free(p), free(dp);
}

static float max_abs_difference_double(const float *a, const double *b, size_t count) {
    float worst = 0;
    for (size_t i = 0; i < count; i++) {
        float d = fabsf(a[i] - (float)b[i]);
        if (!(d <= worst)) worst = d;
    }
    return worst;
}

static void test_attention(void) {
    uint8_t padding[2 * 40];
    for (int i = 0; i < 80; i++) padding[i] = (uint8_t)(i % 40 >= 33); /* last 7 keys padded */
    const struct { int64_t tq, tk; int causal; int padded; float scale; } cases[] = {
        {17, 17, 1, 0, 0.0f}, {5, 40, 1, 0, 0.3f}, {40, 40, 0, 1, 0.0f}, {9, 40, 0, 0, -0.2f},
        {1, 40, 1, 1, 0.0f}, {1, 40, 0, 0, 0.5f}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        attn_attention_desc d = {sizeof d, 2, 3, cases[c].tq, cases[c].tk, 32, cases[c].causal,
                                 cases[c].padded ? padding : NULL, cases[c].scale};
        size_t nq = (size_t)(2 * 3 * d.q_len * 32), nk = (size_t)(2 * 3 * d.kv_len * 32);
        float *q = random_buffer(nq), *k = random_buffer(nk), *v = random_buffer(nk);
        float *out = malloc(nq * sizeof(float)), *expected = malloc(nq * sizeof(float));
        float *lse = malloc((size_t)(2 * 3 * d.q_len) * sizeof(float));
        attention_reference(&d, q, k, v, expected);
        CHECK_OK(attn_attention_forward(&d, q, k, v, out, lse, NULL)); /* Tq = 1: decode path */
        CHECK(max_abs_difference(out, expected, nq) <= 2e-5f, "attention case %zu off by %g", c,
              max_abs_difference(out, expected, nq));
        float *probs = malloc((size_t)(2 * 3 * d.q_len * d.kv_len) * sizeof(float));
        float *tiled = malloc(nq * sizeof(float));
        CHECK_OK(attn_attention_forward(&d, q, k, v, tiled, lse, probs)); /* always tiled */
        CHECK(max_abs_difference(tiled, expected, nq) <= 2e-5f, "attention case %zu (probs) off by %g",
              c, max_abs_difference(tiled, expected, nq));
        free(probs), free(tiled);

        float *dout = random_buffer(nq), *dq = malloc(nq * sizeof(float));
        float *dk = malloc(nk * sizeof(float)), *dv = malloc(nk * sizeof(float));
        CHECK_OK(attn_attention_backward(&d, q, k, v, out, dout, lse, dq, dk, dv));
        double *rq = malloc(nq * sizeof(double)), *rk = malloc(nk * sizeof(double)),
               *rv = malloc(nk * sizeof(double));
        attention_backward_reference(&d, q, k, v, dout, rq, rk, rv);
        CHECK(max_abs_difference_double(dq, rq, nq) <= 1e-4f, "case %zu dq off by %g", c, max_abs_difference_double(dq, rq, nq));
        CHECK(max_abs_difference_double(dk, rk, nk) <= 1e-4f, "case %zu dk off by %g", c, max_abs_difference_double(dk, rk, nk));
        CHECK(max_abs_difference_double(dv, rv, nk) <= 1e-4f, "case %zu dv off by %g", c, max_abs_difference_double(dv, rv, nk));
        free(q), free(k), free(v), free(out), free(expected), free(lse), free(dout), free(dq),
            free(dk), free(dv), free(rq), free(rk), free(rv);
    }

    float x[64] = {0}, o[64], l[2], g[64], g2[64], g3[64];
    attn_attention_desc d = {sizeof d, 1, 1, 2, 2, 16, 1, NULL, 0.0f};
    CHECK_FAILS(attn_attention_forward(NULL, x, x, x, o, l, NULL), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_attention_forward(&d, NULL, x, x, o, l, NULL), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_attention_forward(&d, x, x, x, NULL, l, NULL), ATTN_ERR_NULL_POINTER);
    attn_attention_desc bad = d;
    bad.struct_size = 3;
    CHECK_FAILS(attn_attention_forward(&bad, x, x, x, o, l, NULL), ATTN_ERR_INVALID_ARGUMENT);
    bad = d, bad.head_size = 0;
    CHECK_FAILS(attn_attention_forward(&bad, x, x, x, o, l, NULL), ATTN_ERR_SHAPE);
    bad = d, bad.batch = -1;
    CHECK_FAILS(attn_attention_forward(&bad, x, x, x, o, l, NULL), ATTN_ERR_SHAPE);
    bad = d, bad.q_len = 3, bad.kv_len = 2; /* causal needs Tq <= Tk */
    CHECK_FAILS(attn_attention_forward(&bad, x, x, x, o, l, NULL), ATTN_ERR_SHAPE);
    bad = d, bad.batch = INT64_MAX / 4, bad.heads = 1024;
    CHECK_FAILS(attn_attention_forward(&bad, x, x, x, o, l, NULL), ATTN_ERR_SHAPE);
    bad = d, bad.scale = NAN;
    CHECK_FAILS(attn_attention_forward(&bad, x, x, x, o, l, NULL), ATTN_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(attn_attention_backward(&d, x, x, x, o, x, NULL, g, g2, g3), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_attention_backward(&d, x, x, x, o, x, l, g, NULL, g3), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_attention_backward(&d, x, x, x, o, x, l, g, g, g3), ATTN_ERR_INVALID_ARGUMENT); /* dq = dk */
    CHECK_FAILS(attn_attention_backward(&d, x, x, x, o, o, l, o, g2, g3), ATTN_ERR_INVALID_ARGUMENT); /* dq = dout */
    CHECK_FAILS(attn_attention_forward(&d, x, x, x, x, l, NULL), ATTN_ERR_INVALID_ARGUMENT);       /* out = q */

    /* Empty shapes with huge other dimensions: rejected or trivially done, never a crash. */
    bad = d, bad.batch = 0, bad.kv_len = 256, bad.q_len = 1, bad.head_size = 1LL << 54;
    CHECK_FAILS(attn_attention_forward(&bad, NULL, NULL, NULL, NULL, NULL, NULL), ATTN_ERR_SHAPE);
    bad = d, bad.batch = 0, bad.causal = 0, bad.q_len = 2, bad.kv_len = 1, bad.head_size = 1LL << 54;
    CHECK_FAILS(attn_attention_forward(&bad, NULL, NULL, NULL, NULL, NULL, NULL), ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_attention_backward(&bad, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), ATTN_ERR_SHAPE);
    bad = d, bad.batch = 0, bad.causal = 0, bad.q_len = INT64_MAX, bad.head_size = 1;
    CHECK_FAILS(attn_attention_forward(&bad, NULL, NULL, NULL, NULL, NULL, NULL), ATTN_ERR_SHAPE);
    bad = d, bad.batch = 0;
    CHECK_OK(attn_attention_forward(&bad, NULL, NULL, NULL, NULL, NULL, NULL));
    CHECK_OK(attn_attention_backward(&bad, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
    bad = d, bad.causal = 0, bad.q_len = 0, bad.kv_len = 1LL << 54, bad.head_size = 1;
    CHECK_FAILS(attn_attention_forward(&bad, NULL, NULL, NULL, NULL, NULL, NULL), ATTN_ERR_NULL_POINTER);
    bad = d, bad.head_size = 4097;
    CHECK_FAILS(attn_attention_forward(&bad, x, x, x, o, l, NULL), ATTN_ERR_SHAPE);

    /* struct_size: a newer, larger struct is fine while its extra fields are zero. */
    struct { attn_attention_desc base; int64_t future_field; } newer = {d, 0};
    newer.base.struct_size = sizeof newer;
    CHECK_OK(attn_attention_forward(&newer.base, x, x, x, o, l, NULL));
    newer.future_field = 1;
    CHECK_FAILS(attn_attention_forward(&newer.base, x, x, x, o, l, NULL), ATTN_ERR_INVALID_ARGUMENT);
    newer.future_field = 0, newer.base.struct_size = 1 << 20;
    CHECK_FAILS(attn_attention_forward(&newer.base, x, x, x, o, l, NULL), ATTN_ERR_INVALID_ARGUMENT);
}

int main(void) {
    test_library_info();
    test_threads();
    test_matmul();
    test_softmax();
    test_layernorm();
    test_attention();
    return check_summary();
}
