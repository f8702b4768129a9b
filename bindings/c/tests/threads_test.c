/* One model shared by several threads, as the header promises: each thread with its own
 * attn_context_t samples text (fixed, different seeds), reads attention maps and runs
 * attn_model_forward on the shared model, and everything it gets is byte-identical to the same
 * calls made one after another on a single thread. Also: attn_last_error() stays the calling
 * thread's own while the others call, contexts keep working on other threads after the model
 * handle they came from is freed, and training gives the same bytes with 1, 2 or 3 OpenMP
 * threads. */
#define _POSIX_C_SOURCE 200809L
#include <attention.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

enum { THREADS = 4, ROUNDS = 4, NEW_TOKENS = 48, FORWARD_T = 8 };

static const char *prompts[THREADS] = {"道可道", "学而时习之", "天下皆知美之为美", "床前明月光"};

/* What one thread computes: the texts of its rounds, the attention maps of its prompt, and the
 * logits of one batch. */
typedef struct {
    int index;
    attn_context_t *given_context; /* NULL: the thread makes (and frees) its own */
    attn_model_t *model;           /* NULL: the model handle is gone, only the context is left */
    attn_tokenizer_t *tokenizer;
    int64_t vocab_size;
    char *texts[ROUNDS];
    float *maps;         /* every map's weights, one after another */
    int64_t map_floats;
    float *logits;       /* (1, FORWARD_T, V) */
    attn_status failure; /* the first failing status, ATTN_OK if none */
    char message[256];
} work;

static void record_failure(work *w, attn_status status, const char *what) {
    if (status == ATTN_OK || w->failure != ATTN_OK) return;
    w->failure = status;
    snprintf(w->message, sizeof w->message, "thread %d: %s: %s", w->index, what, attn_last_error());
}

static void *run(void *argument) {
    work *w = argument;
    attn_context_t *context = w->given_context;
    attn_status status = ATTN_OK;
    if (!context) {
        status = attn_context_init(w->model, &context);
        record_failure(w, status, "attn_context_init");
        if (status != ATTN_OK) return NULL;
    }

    /* Sampling: another seed for every thread and round. */
    attn_generate_config config = {.struct_size = sizeof config};
    record_failure(w, attn_generate_config_default(&config), "attn_generate_config_default");
    config.max_new_tokens = NEW_TOKENS, config.stop_at_eos = 0, config.temperature = 1.0f;
    for (int round = 0; round < ROUNDS; round++) {
        config.seed = (uint64_t)(1000 * w->index + round);
        const char *text = NULL;
        size_t length = 0;
        status = attn_context_generate(context, prompts[w->index], strlen(prompts[w->index]), &config, &text,
                                       &length);
        record_failure(w, status, "attn_context_generate");
        w->texts[round] = malloc(length + 1);
        memcpy(w->texts[round], status == ATTN_OK ? text : "", status == ATTN_OK ? length + 1 : 1);
    }

    /* Attention maps of the prompt, copied out of the context. */
    const attn_attention_map *maps = NULL;
    int64_t map_count = 0;
    status = attn_context_attention(context, prompts[w->index], strlen(prompts[w->index]), NULL, 0, &maps,
                                    &map_count);
    record_failure(w, status, "attn_context_attention");
    w->map_floats = 0;
    for (int64_t m = 0; status == ATTN_OK && m < map_count; m++)
        w->map_floats += maps[m].heads * maps[m].query_len * maps[m].key_len;
    w->maps = malloc((size_t)(w->map_floats + 1) * sizeof(float));
    for (int64_t m = 0, at = 0; status == ATTN_OK && m < map_count; m++) {
        int64_t n = maps[m].heads * maps[m].query_len * maps[m].key_len;
        memcpy(w->maps + at, maps[m].weights, (size_t)n * sizeof(float));
        at += n;
    }
    if (!w->given_context) attn_context_free(context);
    if (!w->model) return NULL;

    /* The shared tokenizer and a forward pass on the shared model. */
    int32_t ids[FORWARD_T];
    int64_t count = 0;
    status = attn_tokenizer_encode(w->tokenizer, "天地不仁以万物为", strlen("天地不仁以万物为"), ids, FORWARD_T,
                                   &count);
    record_failure(w, status, "attn_tokenizer_encode");
    ids[w->index] = (int32_t)(4 + w->index); /* another batch per thread */
    w->logits = malloc((size_t)(FORWARD_T * w->vocab_size) * sizeof(float));
    record_failure(w, attn_model_forward(w->model, ids, 1, FORWARD_T, w->logits, FORWARD_T * w->vocab_size),
                   "attn_model_forward");

    /* The last error is the calling thread's own: this thread's failure names its own id,
     * whatever the other threads' calls did meanwhile. */
    char text[8], expected[32];
    size_t length;
    int32_t bad_id = (int32_t)(w->vocab_size + 1000 * w->index + 17);
    snprintf(expected, sizeof expected, "%ld", (long)bad_id);
    for (int i = 0; i < 50; i++) {
        status = attn_tokenizer_decode(w->tokenizer, &bad_id, 1, text, sizeof text, &length);
        if (status != ATTN_ERR_INVALID_ARGUMENT || !strstr(attn_last_error(), expected)) {
            record_failure(w, status == ATTN_OK ? ATTN_ERR_INTERNAL : status, "attn_tokenizer_decode");
            break;
        }
        int64_t size;
        if (attn_tokenizer_get_vocab_size(w->tokenizer, &size) != ATTN_OK || attn_last_error()[0] != '\0') {
            record_failure(w, ATTN_ERR_INTERNAL, "a success did not clear this thread's message");
            break;
        }
    }
    return NULL;
}

static void release(work *w) {
    for (int round = 0; round < ROUNDS; round++) free(w->texts[round]);
    free(w->maps), free(w->logits);
}

/* The checkpoint bytes of a small GPT trained 3 steps with `threads` OpenMP threads: the
 * header promises bitwise identical results for any thread count. */
static unsigned char *trained_bytes(const attn_tokenizer_t *tokenizer, const int32_t *ids, int64_t count,
                                    int threads, size_t *size) {
    attn_model_t *model = NULL;
    attn_trainer_t *trainer = NULL;
    unsigned char *bytes = NULL;
    *size = 0;
    CHECK_OK(attn_set_num_threads(threads));
    attn_model_config config = {.struct_size = sizeof config};
    CHECK_OK(attn_model_config_default(ATTN_MODEL_GPT, &config));
    config.n_layer = 2, config.n_head = 2, config.n_embd = 48, config.block_size = 32;
    attn_train_config training = {.struct_size = sizeof training};
    CHECK_OK(attn_train_config_default(&training));
    training.steps = 3, training.batch_size = 4, training.eval_interval = 0;
    if (attn_model_init(&config, tokenizer, &model) == ATTN_OK &&
        attn_trainer_init(model, &training, &trainer) == ATTN_OK &&
        attn_trainer_run_tokens(trainer, ids, count) == ATTN_OK &&
        attn_model_save_memory(model, NULL, 0, size) == ATTN_OK) {
        bytes = malloc(*size);
        CHECK_OK(attn_model_save_memory(model, bytes, *size, size));
    }
    CHECK(bytes != NULL, "training with %d threads failed: %s", threads, attn_last_error());
    attn_trainer_free(trainer);
    attn_model_free(model);
    return bytes;
}

int main(void) {
    const char *corpus;
    size_t corpus_length;
    attn_tokenizer_t *tokenizer = NULL;
    attn_model_t *model = NULL;
    attn_trainer_t *trainer = NULL;
    CHECK_OK(attn_default_corpus(&corpus, &corpus_length));
    CHECK_OK(attn_tokenizer_init(corpus, corpus_length, &tokenizer));
    int64_t vocab_size = 0;
    CHECK_OK(attn_tokenizer_get_vocab_size(tokenizer, &vocab_size));

    /* A small GPT trained a few steps, so that sampling has something to choose between. */
    attn_model_config config = {.struct_size = sizeof config};
    CHECK_OK(attn_model_config_default(ATTN_MODEL_GPT, &config));
    config.n_layer = 2, config.n_head = 2, config.n_embd = 32, config.block_size = 32;
    CHECK_OK(attn_model_init(&config, tokenizer, &model));
    int64_t count = 0;
    CHECK_OK(attn_tokenizer_encode(tokenizer, corpus, corpus_length, NULL, 0, &count));
    int32_t *ids = malloc((size_t)count * sizeof *ids);
    CHECK_OK(attn_tokenizer_encode(tokenizer, corpus, corpus_length, ids, count, &count));
    attn_train_config training = {.struct_size = sizeof training};
    CHECK_OK(attn_train_config_default(&training));
    training.steps = 10, training.batch_size = 4, training.eval_interval = 0;
    CHECK_OK(attn_trainer_init(model, &training, &trainer));
    CHECK_OK(attn_trainer_run_tokens(trainer, ids, count));
    attn_trainer_free(trainer);

    /* 1, 2 and 3 threads train to the same bytes. */
    int default_threads = attn_get_num_threads();
    size_t sizes[3];
    unsigned char *bytes[3];
    for (int t = 0; t < 3; t++) bytes[t] = trained_bytes(tokenizer, ids, count, t + 1, &sizes[t]);
    for (int t = 1; t < 3; t++)
        CHECK(bytes[0] && bytes[t] && sizes[t] == sizes[0] && memcmp(bytes[0], bytes[t], sizes[0]) == 0,
              "training with %d threads differs from 1 thread", t + 1);
    for (int t = 0; t < 3; t++) free(bytes[t]);
    CHECK_OK(attn_set_num_threads(default_threads));
    free(ids);
    if (checks_failed) return check_summary();

    /* Serially, on this thread. */
    work serial[THREADS], parallel[THREADS];
    memset(serial, 0, sizeof serial), memset(parallel, 0, sizeof parallel);
    for (int t = 0; t < THREADS; t++) {
        serial[t] = (work){.index = t, .model = model, .tokenizer = tokenizer, .vocab_size = vocab_size};
        run(&serial[t]);
        CHECK(serial[t].failure == ATTN_OK, "%s", serial[t].message);
    }
    /* Rounds differ from each other (the seeds matter). */
    CHECK(strcmp(serial[0].texts[0], serial[0].texts[1]) != 0, "two seeds gave the same text \"%s\"",
          serial[0].texts[0]);

    /* The same calls on THREADS threads at once, twice over. */
    for (int repeat = 0; repeat < 2; repeat++) {
        pthread_t threads[THREADS];
        for (int t = 0; t < THREADS; t++) {
            parallel[t] = (work){.index = t, .model = model, .tokenizer = tokenizer, .vocab_size = vocab_size};
            CHECK(pthread_create(&threads[t], NULL, run, &parallel[t]) == 0, "pthread_create %d", t);
        }
        for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
        for (int t = 0; t < THREADS; t++) {
            work *p = &parallel[t], *s = &serial[t];
            CHECK(p->failure == ATTN_OK, "%s", p->message);
            for (int round = 0; round < ROUNDS; round++)
                CHECK(strcmp(p->texts[round], s->texts[round]) == 0, "thread %d round %d: \"%s\" vs serial \"%s\"",
                      t, round, p->texts[round], s->texts[round]);
            CHECK(p->map_floats == s->map_floats && p->map_floats > 0 &&
                      memcmp(p->maps, s->maps, (size_t)p->map_floats * sizeof(float)) == 0,
                  "thread %d: attention maps differ from the serial ones", t);
            CHECK(memcmp(p->logits, s->logits, (size_t)(FORWARD_T * vocab_size) * sizeof(float)) == 0,
                  "thread %d: logits differ from the serial ones", t);
            release(p);
        }
    }

    /* Contexts made here, the model handle freed: the contexts keep the model alive, and the
     * threads get the same texts and maps. */
    attn_context_t *contexts[THREADS];
    for (int t = 0; t < THREADS; t++) CHECK_OK(attn_context_init(model, &contexts[t]));
    attn_model_free(model);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        parallel[t] = (work){.index = t, .given_context = contexts[t], .tokenizer = tokenizer};
        CHECK(pthread_create(&threads[t], NULL, run, &parallel[t]) == 0, "pthread_create %d", t);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    for (int t = 0; t < THREADS; t++) {
        work *p = &parallel[t], *s = &serial[t];
        CHECK(p->failure == ATTN_OK, "%s", p->message);
        for (int round = 0; round < ROUNDS; round++)
            CHECK(strcmp(p->texts[round], s->texts[round]) == 0, "orphaned context %d round %d differs", t, round);
        CHECK(p->map_floats == s->map_floats && memcmp(p->maps, s->maps, (size_t)p->map_floats * sizeof(float)) == 0,
              "orphaned context %d: attention maps differ", t);
        release(p);
        attn_context_free(contexts[t]);
    }
    for (int t = 0; t < THREADS; t++) release(&serial[t]);
    attn_tokenizer_free(tokenizer);
    return check_summary();
}
