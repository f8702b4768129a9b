/* Worked example 2 of attention.h in full: train a small GPT on the built-in corpus, printing
 * the loss as it goes, save it, load the file back, and continue a prompt, streaming the
 * characters as they come.
 *
 *     cc -std=c99 examples/train_and_generate.c $(pkg-config --cflags --libs attention)
 *     ./a.out [steps [checkpoint [new_tokens]]]     (defaults: 30 steps, gpt.safetensors, 80)
 *
 * Exits with 1 and the library's message on any error. */
#include <attention.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* On failure: print what failed and why, then clean up. */
#define TRY(call)                                                                              \
    do {                                                                                       \
        attn_status status_ = (call);                                                          \
        if (status_ != ATTN_OK) {                                                              \
            fprintf(stderr, "%s failed: %s: %s\n", #call, attn_status_string(status_),         \
                    attn_last_error());                                                        \
            goto cleanup;                                                                      \
        }                                                                                      \
    } while (0)

/* Prints the loss of every step (and the validation loss when the run measured one). */
static int print_progress(const attn_progress *progress, void *user_data) {
    (void)user_data;
    printf("step %4lld  loss %.4f", (long long)progress->step, progress->loss);
    if (progress->validation_loss == progress->validation_loss) /* not NaN */
        printf("  validation %.4f", progress->validation_loss);
    printf("  lr %.2e  %.0f tokens/s\n", progress->learning_rate, progress->tokens_per_second);
    return 0; /* nonzero would stop the run after this step */
}

/* Streams each generated character as it is produced. */
static int print_token(int32_t token, const char *text, size_t length, void *user_data) {
    (void)token;
    size_t *streamed = user_data;
    fwrite(text, 1, length, stdout);
    fflush(stdout);
    *streamed += length;
    return 0;
}

int main(int argc, char **argv) {
    long steps = argc > 1 ? strtol(argv[1], NULL, 10) : 30;
    const char *path = argc > 2 ? argv[2] : "gpt.safetensors";
    long new_tokens = argc > 3 ? strtol(argv[3], NULL, 10) : 80;
    const char *prompt = "道可道";
    int exit_code = 1;

    const char *corpus;
    size_t corpus_length;
    attn_tokenizer_t *tokenizer = NULL;
    attn_model_t *model = NULL, *loaded = NULL;
    attn_trainer_t *trainer = NULL;
    attn_context_t *context = NULL;
    int32_t *ids = NULL;
    int64_t count = 0, parameters = 0;

    /* The corpus as token ids: measure first, then encode. */
    TRY(attn_default_corpus(&corpus, &corpus_length));
    TRY(attn_tokenizer_init(corpus, corpus_length, &tokenizer));
    TRY(attn_tokenizer_encode(tokenizer, corpus, corpus_length, NULL, 0, &count));
    ids = malloc((size_t)count * sizeof *ids);
    if (!ids) {
        fprintf(stderr, "out of memory\n");
        goto cleanup;
    }
    TRY(attn_tokenizer_encode(tokenizer, corpus, corpus_length, ids, count, &count));

    /* A GPT small enough to train in seconds; the vocabulary comes from the tokenizer. */
    attn_model_config config = {.struct_size = sizeof config};
    TRY(attn_model_config_default(ATTN_MODEL_GPT, &config));
    config.n_layer = 2, config.n_head = 4, config.n_embd = 64, config.block_size = 32;
    config.dropout = 0;
    TRY(attn_model_init(&config, tokenizer, &model));
    TRY(attn_model_get_parameter_count(model, &parameters));
    printf("gpt: %lld parameters, %lld tokens of corpus\n", (long long)parameters, (long long)count);

    attn_train_config training = {.struct_size = sizeof training};
    TRY(attn_train_config_default(&training));
    training.steps = steps, training.batch_size = 8, training.warmup_steps = steps / 10;
    training.learning_rate = 3e-3f, training.min_learning_rate = 3e-4f;
    training.eval_interval = steps >= 10 ? steps / 2 : 0, training.eval_batches = 2;
    TRY(attn_trainer_init(model, &training, &trainer));
    TRY(attn_trainer_set_progress_callback(trainer, print_progress, NULL));
    TRY(attn_trainer_run_tokens(trainer, ids, count));
    TRY(attn_model_save(model, path));
    printf("saved %s\n", path);

    /* Generate from the checkpoint as another program would. */
    TRY(attn_model_load(path, &loaded));
    attn_generate_config sampling = {.struct_size = sizeof sampling};
    TRY(attn_generate_config_default(&sampling));
    size_t streamed = 0;
    sampling.max_new_tokens = new_tokens, sampling.seed = 1;
    sampling.on_token = print_token, sampling.user_data = &streamed;
    const char *text;
    size_t text_length;
    TRY(attn_context_init(loaded, &context));
    printf("%s", prompt);
    TRY(attn_context_generate(context, prompt, strlen(prompt), &sampling, &text, &text_length));
    printf("\n");
    if (streamed != text_length) {
        fprintf(stderr, "streamed %zu bytes but the result has %zu\n", streamed, text_length);
        goto cleanup;
    }
    exit_code = 0;

cleanup:
    attn_context_free(context);
    attn_trainer_free(trainer);
    attn_model_free(loaded);
    attn_model_free(model);
    attn_tokenizer_free(tokenizer);
    free(ids);
    return exit_code;
}
