/* attn_model_quantize and attn_model_get_weight_format as a C host sees them: a BF16 or Q8 copy
 * that runs forward close to the FP32 model, saves and loads to bitwise the same logits and
 * text, refuses to train, and every bad argument as a status and a message. */
/* mkdtemp: POSIX 2008 under -std=c99. */
#define _POSIX_C_SOURCE 200809L
#include <attention.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

#define T 8

static attn_model_t *make_gpt(attn_tokenizer_t *tokenizer, int64_t n_embd) {
    attn_model_config config;
    config.struct_size = sizeof config;
    attn_model_t *model = NULL;
    CHECK_OK(attn_model_config_default(ATTN_MODEL_GPT, &config));
    config.n_layer = 2;
    config.n_embd = n_embd;
    config.block_size = 16;
    config.seed = 11;
    CHECK_OK(attn_model_init(&config, tokenizer, &model));
    return model;
}

/* logits (1, T, V) of a fixed prompt; `*count` = V * T. */
static float *forward(const attn_model_t *model, int64_t vocab, int64_t *count) {
    int32_t tokens[T];
    for (int t = 0; t < T; t++) tokens[t] = 4 + (t * 7) % (int32_t)(vocab - 4);
    *count = vocab * T;
    float *logits = malloc((size_t)*count * sizeof *logits);
    CHECK_OK(attn_model_forward(model, tokens, 1, T, logits, *count));
    return logits;
}

/* Greedy text from `model` (a copy the caller frees). */
static char *greedy(const attn_model_t *model) {
    attn_context_t *context = NULL;
    attn_generate_config config;
    config.struct_size = sizeof config;
    CHECK_OK(attn_generate_config_default(&config));
    config.max_new_tokens = 12;
    config.temperature = 0;
    config.stop_at_eos = 0;
    const char *text = NULL;
    size_t length = 0;
    CHECK_OK(attn_context_init(model, &context));
    CHECK_OK(attn_context_generate(context, "道可道", strlen("道可道"), &config, &text, &length));
    char *copy = calloc(length + 1, 1);
    if (text) memcpy(copy, text, length);
    attn_context_free(context);
    return copy;
}

static void test_format(attn_model_t *fp32, attn_weight_format format, const char *path) {
    int64_t vocab = 0, count = 0, fp32_parameters = 0, parameters = 0;
    attn_tokenizer_t *tokenizer = NULL;
    CHECK_OK(attn_model_get_tokenizer(fp32, &tokenizer));
    CHECK_OK(attn_tokenizer_get_vocab_size(tokenizer, &vocab));
    attn_tokenizer_free(tokenizer);

    attn_model_t *narrowed = NULL;
    CHECK_OK(attn_model_quantize(fp32, format, &narrowed));
    if (!narrowed) return;
    int32_t stored = -1;
    CHECK_OK(attn_model_get_weight_format(narrowed, &stored));
    CHECK(stored == (int32_t)format, "weight format %d, expected %d", stored, (int)format);
    CHECK_OK(attn_model_get_weight_format(fp32, &stored));
    CHECK(stored == ATTN_WEIGHTS_F32, "the source changed to %d", stored);
    CHECK_OK(attn_model_get_parameter_count(fp32, &fp32_parameters));
    CHECK_OK(attn_model_get_parameter_count(narrowed, &parameters));
    CHECK(parameters == fp32_parameters, "%lld parameters, FP32 %lld", (long long)parameters, (long long)fp32_parameters);

    /* Close to FP32, but not equal (the weights really are narrowed). */
    float *reference = forward(fp32, vocab, &count);
    float *logits = forward(narrowed, vocab, &count);
    double worst = 0;
    int differ = 0;
    for (int64_t i = 0; i < count; i++) {
        double error = fabs((double)logits[i] - reference[i]);
        if (error > worst) worst = error;
        differ |= logits[i] != reference[i];
    }
    CHECK(worst < 0.05 && differ, "format %d: largest logit change %g (differ %d)", (int)format, worst, differ);

    /* Saved and loaded (file and memory): bitwise the same logits and text. */
    char *text = greedy(narrowed);
    CHECK_OK(attn_model_save(narrowed, path));
    attn_model_t *loaded = NULL;
    CHECK_OK(attn_model_load(path, &loaded));
    if (loaded) {
        CHECK_OK(attn_model_get_weight_format(loaded, &stored));
        CHECK(stored == (int32_t)format, "loaded weight format %d", stored);
        float *again = forward(loaded, vocab, &count);
        CHECK(memcmp(again, logits, (size_t)count * sizeof *again) == 0, "loaded logits differ (format %d)", (int)format);
        char *loaded_text = greedy(loaded);
        CHECK(strcmp(loaded_text, text) == 0, "loaded text '%s' vs '%s'", loaded_text, text);
        free(loaded_text);
        free(again);

        /* Inference only: no trainer, no second narrowing. */
        attn_train_config train;
        train.struct_size = sizeof train;
        CHECK_OK(attn_train_config_default(&train));
        attn_trainer_t *trainer = (attn_trainer_t *)1;
        CHECK_FAILS(attn_trainer_init(loaded, &train, &trainer), ATTN_ERR_INVALID_ARGUMENT);
        CHECK(strstr(attn_last_error(), "cannot be trained") != NULL, "message: %s", attn_last_error());
        CHECK(trainer == NULL, "trainer not NULL on failure");
        attn_model_t *twice = (attn_model_t *)1;
        CHECK_FAILS(attn_model_quantize(loaded, ATTN_WEIGHTS_Q8, &twice), ATTN_ERR_INVALID_ARGUMENT);
        CHECK(strstr(attn_last_error(), "already holds") != NULL, "message: %s", attn_last_error());
        CHECK(twice == NULL, "out not NULL on failure");
        attn_model_free(loaded);
    }
    size_t size = 0;
    CHECK_OK(attn_model_save_memory(narrowed, NULL, 0, &size));
    unsigned char *bytes = malloc(size);
    CHECK_OK(attn_model_save_memory(narrowed, bytes, size, &size));
    CHECK_OK(attn_model_load_memory(bytes, size, &loaded));
    if (loaded) {
        float *again = forward(loaded, vocab, &count);
        CHECK(memcmp(again, logits, (size_t)count * sizeof *again) == 0, "logits from memory differ");
        free(again);
        attn_model_free(loaded);
    }
    free(bytes);
    free(text);
    free(reference);
    free(logits);
    attn_model_free(narrowed);
}

static void test_errors(attn_model_t *fp32, attn_tokenizer_t *tokenizer) {
    attn_model_t *out = (attn_model_t *)1;
    const int bad_formats[] = {ATTN_WEIGHTS_F32, 3, -1, 1 << 30};
    for (size_t i = 0; i < sizeof bad_formats / sizeof *bad_formats; i++) {
        CHECK_FAILS(attn_model_quantize(fp32, (attn_weight_format)bad_formats[i], &out), ATTN_ERR_INVALID_ARGUMENT);
        CHECK(strstr(attn_last_error(), "is not ATTN_WEIGHTS_BF16") != NULL, "message: %s", attn_last_error());
        CHECK(out == NULL, "out not NULL on failure");
    }
    CHECK_FAILS(attn_model_quantize(NULL, ATTN_WEIGHTS_Q8, &out), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_model_quantize(fp32, ATTN_WEIGHTS_Q8, NULL), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_model_get_weight_format(fp32, NULL), ATTN_ERR_NULL_POINTER);
    CHECK_FAILS(attn_model_get_weight_format(NULL, NULL), ATTN_ERR_NULL_POINTER);

    /* Q8 needs input dimensions that 32 divides; BF16 does not. */
    attn_model_t *narrow48 = make_gpt(tokenizer, 48);
    CHECK_FAILS(attn_model_quantize(narrow48, ATTN_WEIGHTS_Q8, &out), ATTN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(attn_last_error(), "does not divide the input dimension 48") != NULL, "message: %s", attn_last_error());
    CHECK_OK(attn_model_quantize(narrow48, ATTN_WEIGHTS_BF16, &out));
    attn_model_free(out);
    attn_model_free(narrow48);
}

int main(void) {
    const char *corpus = NULL;
    size_t length = 0;
    attn_tokenizer_t *tokenizer = NULL;
    CHECK_OK(attn_default_corpus(&corpus, &length));
    CHECK_OK(attn_tokenizer_init(corpus, length, &tokenizer));
    attn_model_t *fp32 = make_gpt(tokenizer, 64);

    char folder[] = "/tmp/attn-quantize-XXXXXX";
    CHECK(mkdtemp(folder) != NULL, "mkdtemp");
    char path[64];
    snprintf(path, sizeof path, "%s/model.safetensors", folder);
    test_format(fp32, ATTN_WEIGHTS_BF16, path);
    test_format(fp32, ATTN_WEIGHTS_Q8, path);
    test_errors(fp32, tokenizer);
    unlink(path);
    rmdir(folder);

    attn_model_free(fp32);
    attn_tokenizer_free(tokenizer);
    return check_summary();
}
