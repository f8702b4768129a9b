/* A vocabulary of 7,477 ids (the size of the Tang poem corpus's: 7,472 CJK characters, the line
 * break and the 4 special tokens), through the whole C flow a small vocabulary takes: tokenizer,
 * a tiny GPT, training, save, load, resume (bitwise equal to an uninterrupted run), generation,
 * id round trips and attn_model_get_config's vocab_size. The corpus is synthetic so the test
 * stays quick: every character once, then random ones, a line break every 7. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, close, unlink */
#include <attention.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

enum { CJK = 7472, VOCAB = CJK + 1 + 4, CHARACTERS = 40000, STEPS = 6, STOP_AT = 3 };

/* UTF-8 of U+4E00 + index (3 bytes). */
static size_t put_cjk(char *out, unsigned index) {
    unsigned code = 0x4E00 + index;
    out[0] = (char)(0xE0 | (code >> 12));
    out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
    out[2] = (char)(0x80 | (code & 0x3F));
    return 3;
}

static int stop_early(const attn_progress *progress, void *user_data) {
    (void)user_data;
    return progress->step == STOP_AT;
}

static attn_train_config training_config(void) {
    attn_train_config config = {.struct_size = sizeof config};
    attn_train_config_default(&config);
    config.steps = STEPS, config.batch_size = 4, config.warmup_steps = 1;
    config.learning_rate = 3e-3f, config.min_learning_rate = 3e-4f;
    config.eval_interval = 0, config.seed = 5;
    return config;
}

/* Logits of the first 16 corpus tokens, for comparing two models bitwise. */
static float *logits_of(const attn_model_t *model, const int32_t *ids) {
    float *logits = malloc(sizeof(float) * 16 * VOCAB);
    if (logits) CHECK_OK(attn_model_forward(model, ids, 1, 16, logits, 16 * VOCAB));
    return logits;
}

int main(void) {
    char *corpus = malloc((size_t)CHARACTERS * 4);
    int32_t *ids = malloc(sizeof(int32_t) * CHARACTERS * 2);
    char path[] = "/tmp/attn-large-vocab-XXXXXX";
    int fd = mkstemp(path);
    CHECK(corpus && ids && fd >= 0, "setup failed");
    if (!corpus || !ids || fd < 0) return check_summary();
    close(fd);

    size_t length = 0;
    unsigned long long state = 88172645463325252ULL;
    for (int i = 0; i < CHARACTERS; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17; /* xorshift64 */
        length += put_cjk(corpus + length, i < CJK ? (unsigned)i : (unsigned)(state % CJK));
        if (i % 7 == 6) corpus[length++] = '\n';
    }

    /* Tokenizer: 7,477 ids; '\n' is id 4, U+4E00 + k is id 5 + k (code-point order). */
    attn_tokenizer_t *tokenizer = NULL;
    CHECK_OK(attn_tokenizer_init(corpus, length, &tokenizer));
    int64_t vocab = 0, count = 0;
    CHECK_OK(attn_tokenizer_get_vocab_size(tokenizer, &vocab));
    CHECK(vocab == VOCAB, "vocab %lld", (long long)vocab);
    CHECK_OK(attn_tokenizer_encode(tokenizer, corpus, length, ids, CHARACTERS * 2, &count));
    CHECK(count == CHARACTERS + CHARACTERS / 7, "count %lld", (long long)count);
    CHECK(ids[0] == 5 && ids[6] == 11 && ids[7] == 4, "ids %d %d %d", ids[0], ids[6], ids[7]);
    int32_t last = 0;
    for (int64_t i = 0; i < count; i++) if (ids[i] > last) last = ids[i];
    CHECK(last == VOCAB - 1, "largest id %d", last);
    char *decoded = malloc(length + 1);
    size_t decoded_length = 0;
    CHECK_OK(attn_tokenizer_decode(tokenizer, ids, count, decoded, length + 1, &decoded_length));
    CHECK(decoded_length == length && memcmp(decoded, corpus, length) == 0, "decode does not give the corpus back");

    /* A tiny GPT over the large vocabulary. */
    attn_model_config config = {.struct_size = sizeof config};
    CHECK_OK(attn_model_config_default(ATTN_MODEL_GPT, &config));
    config.n_layer = 1, config.n_head = 2, config.n_embd = 32, config.block_size = 16, config.dropout = 0;
    config.seed = 3;
    attn_model_t *whole = NULL, *interrupted = NULL, *loaded = NULL;
    CHECK_OK(attn_model_init(&config, tokenizer, &whole));
    CHECK_OK(attn_model_init(&config, tokenizer, &interrupted));
    attn_model_config got = {.struct_size = sizeof got};
    CHECK_OK(attn_model_get_config(whole, &got));
    CHECK(got.vocab_size == VOCAB, "model vocab_size %lld", (long long)got.vocab_size);

    /* Run A: STEPS steps at once. Run B: stops after STOP_AT, saves, loads, resumes. */
    attn_train_config training = training_config();
    attn_trainer_t *trainer = NULL, *resumed = NULL;
    CHECK_OK(attn_trainer_init(whole, &training, &trainer));
    CHECK_OK(attn_trainer_run_tokens(trainer, ids, count));
    attn_trainer_free(trainer);
    trainer = NULL;
    CHECK_OK(attn_trainer_init(interrupted, &training, &trainer));
    CHECK_OK(attn_trainer_set_progress_callback(trainer, stop_early, NULL));
    CHECK_OK(attn_trainer_run_tokens(trainer, ids, count));
    int64_t step = 0;
    CHECK_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == STOP_AT, "stopped at step %lld", (long long)step);
    CHECK_OK(attn_trainer_save(trainer, path));

    CHECK_OK(attn_model_load(path, &loaded));
    if (loaded) {
        CHECK_OK(attn_model_get_config(loaded, &got));
        CHECK(got.vocab_size == VOCAB, "loaded vocab_size %lld", (long long)got.vocab_size);
        attn_tokenizer_t *saved = NULL;
        CHECK_OK(attn_model_get_tokenizer(loaded, &saved));
        CHECK_OK(attn_tokenizer_get_vocab_size(saved, &vocab));
        CHECK(vocab == VOCAB, "loaded tokenizer vocab %lld", (long long)vocab);
        int32_t *again = malloc(sizeof(int32_t) * CHARACTERS * 2);
        int64_t again_count = 0;
        CHECK_OK(attn_tokenizer_encode(saved, corpus, length, again, CHARACTERS * 2, &again_count));
        CHECK(again_count == count && memcmp(again, ids, sizeof(int32_t) * (size_t)count) == 0,
              "the saved tokenizer encodes differently");
        free(again);
        attn_tokenizer_free(saved);

        attn_train_config resume = training_config();
        resume.resume = 1;
        CHECK_OK(attn_trainer_init(loaded, &resume, &resumed));
        CHECK_OK(attn_trainer_get_step(resumed, &step));
        CHECK(step == STOP_AT, "resumed at step %lld", (long long)step);
        CHECK_OK(attn_trainer_run_tokens(resumed, ids, count));
        CHECK_OK(attn_trainer_get_step(resumed, &step));
        CHECK(step == STEPS, "resumed run ended at step %lld", (long long)step);
        float *a = logits_of(whole, ids), *b = logits_of(loaded, ids);
        CHECK(a && b && memcmp(a, b, sizeof(float) * 16 * VOCAB) == 0,
              "resumed run differs from the uninterrupted one");
        free(a);
        free(b);

        /* Generation from the loaded model: 40 characters of the vocabulary after the prompt. */
        attn_context_t *context = NULL;
        CHECK_OK(attn_context_init(loaded, &context));
        attn_generate_config sampling = {.struct_size = sizeof sampling};
        CHECK_OK(attn_generate_config_default(&sampling));
        sampling.max_new_tokens = 40, sampling.seed = 1, sampling.stop_at_eos = 0;
        const char *text = NULL;
        size_t text_length = 0;
        CHECK_OK(attn_context_generate(context, corpus, 9, &sampling, &text, &text_length));
        int64_t generated = 0;
        if (text) CHECK_OK(attn_tokenizer_encode(tokenizer, text, text_length, NULL, 0, &generated));
        /* Special tokens decode to nothing, so at most 40 characters, each known. */
        CHECK(text && generated > 0 && generated <= 40, "generated %lld characters", (long long)generated);
        int32_t generated_ids[40];
        if (text && generated > 0 && generated <= 40) {
            CHECK_OK(attn_tokenizer_encode(tokenizer, text, text_length, generated_ids, 40, &generated));
            for (int64_t i = 0; i < generated; i++)
                CHECK(generated_ids[i] >= 4 && generated_ids[i] < VOCAB, "generated id %d", generated_ids[i]);
        }
        attn_context_free(context);
    }

    /* Ids at the edge of the large vocabulary: the last is valid, one past it is refused. */
    int32_t edge[2] = {VOCAB - 1, VOCAB};
    size_t edge_length = 0;
    CHECK_OK(attn_tokenizer_decode(tokenizer, edge, 1, decoded, length + 1, &edge_length));
    CHECK(edge_length == 3, "the last id decodes to %zu bytes", edge_length);
    CHECK_FAILS(attn_tokenizer_decode(tokenizer, edge, 2, decoded, length + 1, &edge_length), ATTN_ERR_INVALID_ARGUMENT);

    attn_trainer_free(resumed);
    attn_trainer_free(trainer);
    attn_model_free(loaded);
    attn_model_free(interrupted);
    attn_model_free(whole);
    attn_tokenizer_free(tokenizer);
    free(decoded);
    free(ids);
    free(corpus);
    unlink(path);
    return check_summary();
}
