/* Corpora given to the C API in memory, as docs/corpora.md documents them: one repeated character
 * trains (vocabulary 5); a stream shorter than block_size + 1 in a split is a clear
 * ATTN_ERR_INVALID_ARGUMENT; the text is taken as given, so a BOM, CR and NUL are characters
 * (only `attn train --corpus` normalises files). Empty, NULL and invalid UTF-8 corpora are in
 * api_robustness_test. */
#include <attention.h>

#include <stdint.h>
#include <string.h>

#include "check.h"

enum { REPEATS = 300 };

int main(void) {
    /* One character, 300 times. */
    static char repeated[REPEATS * 3];
    for (int i = 0; i < REPEATS; i++) memcpy(repeated + 3 * i, "\xE9\x81\x93", 3); /* 道 */
    attn_tokenizer_t *tokenizer = NULL;
    CHECK_OK(attn_tokenizer_init(repeated, sizeof repeated, &tokenizer));
    int64_t vocab = 0, count = 0;
    CHECK_OK(attn_tokenizer_get_vocab_size(tokenizer, &vocab));
    CHECK(vocab == 5, "vocab %lld", (long long)vocab);
    static int32_t ids[REPEATS];
    CHECK_OK(attn_tokenizer_encode(tokenizer, repeated, sizeof repeated, ids, REPEATS, &count));
    CHECK(count == REPEATS && ids[0] == 4 && ids[REPEATS - 1] == 4, "count %lld", (long long)count);

    attn_model_config config = {.struct_size = sizeof config};
    CHECK_OK(attn_model_config_default(ATTN_MODEL_GPT, &config));
    config.n_layer = 1, config.n_head = 2, config.n_embd = 32, config.block_size = 16, config.dropout = 0;
    attn_model_t *model = NULL;
    CHECK_OK(attn_model_init(&config, tokenizer, &model));
    attn_train_config training = {.struct_size = sizeof training};
    CHECK_OK(attn_train_config_default(&training));
    training.steps = 2, training.batch_size = 2, training.eval_interval = 1, training.eval_batches = 1;
    attn_trainer_t *trainer = NULL;
    CHECK_OK(attn_trainer_init(model, &training, &trainer));
    CHECK_OK(attn_trainer_run_tokens(trainer, ids, count));
    int64_t step = 0;
    CHECK_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == 2, "step %lld", (long long)step);
    attn_trainer_free(trainer);

    /* 17 tokens: the training split (15) is shorter than block_size + 1. */
    trainer = NULL;
    CHECK_OK(attn_trainer_init(model, &training, &trainer));
    CHECK_FAILS(attn_trainer_run_tokens(trainer, ids, 17), ATTN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(attn_last_error(), "too short for context length 16") != NULL, "message: %s", attn_last_error());
    attn_trainer_free(trainer);
    attn_model_free(model);
    attn_tokenizer_free(tokenizer);

    /* BOM, CR LF and NUL are characters of the vocabulary; decode gives the bytes back. */
    static const char given[] = "\xEF\xBB\xBF\xE4\xB8\x80\r\n\xE4\xBA\x8C\0";
    size_t given_length = sizeof given - 1; /* the explicit NUL is part of the text */
    tokenizer = NULL;
    CHECK_OK(attn_tokenizer_init(given, given_length, &tokenizer));
    CHECK_OK(attn_tokenizer_get_vocab_size(tokenizer, &vocab));
    CHECK(vocab == 4 + 6, "vocab %lld (U+0000, LF, CR, U+4E00, U+4E8C, U+FEFF)", (long long)vocab);
    int32_t given_ids[8];
    CHECK_OK(attn_tokenizer_encode(tokenizer, given, given_length, given_ids, 8, &count));
    CHECK(count == 6 && given_ids[5] == 4, "count %lld, NUL id %d", (long long)count, given_ids[5]);
    char decoded[32];
    size_t length = 0;
    CHECK_OK(attn_tokenizer_decode(tokenizer, given_ids, count, decoded, sizeof decoded, &length));
    CHECK(length == given_length && memcmp(decoded, given, length) == 0, "decoded %zu bytes", length);
    attn_tokenizer_free(tokenizer);
    return check_summary();
}
