/* Prints what every layer and head of a transformer attends to when it reads a prompt: one
 * table per (map, head), the prompt's characters as row (query) and column (key) labels.
 *
 *     cc -std=c99 examples/dump_attention.c $(pkg-config --cflags --libs attention)
 *     ./a.out [checkpoint|- [prompt [steps]]]
 *
 * With a GPT checkpoint the maps are its causal self-attention over the prompt; with a seq2seq
 * checkpoint the prompt is the question, and the maps are the encoder's, the decoder's over
 * BOS + the model's greedy answer, and the cross-attention from that answer to the question.
 * Without a checkpoint (or "-") it trains a tiny GPT on the built-in corpus first (30 steps).
 * Exits with 1 and the library's message on any error. */
#include <attention.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(call)                                                                              \
    do {                                                                                       \
        attn_status status_ = (call);                                                          \
        if (status_ != ATTN_OK) {                                                              \
            fprintf(stderr, "%s failed: %s: %s\n", #call, attn_status_string(status_),         \
                    attn_last_error());                                                        \
            goto cleanup;                                                                      \
        }                                                                                      \
    } while (0)

enum { MAX_LABELS = 1024, CELL = 6 };

/* Up to MAX_LABELS characters of a UTF-8 string, each a pointer and a byte length. */
typedef struct {
    const char *start[MAX_LABELS];
    int length[MAX_LABELS];
    int count;
} labels;

static void add_label(labels *l, const char *start, int length) {
    if (l->count < MAX_LABELS) l->start[l->count] = start, l->length[l->count] = length, l->count++;
}

/* Splits valid UTF-8 (the library has checked it) into its characters. */
static void split_characters(labels *l, const char *text, size_t length) {
    for (size_t i = 0; i < length;) {
        unsigned char lead = (unsigned char)text[i];
        int n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        add_label(l, text + i, n);
        i += (size_t)n;
    }
}

/* Terminal columns of a label: East Asian wide and fullwidth characters take two. */
static int display_width(const char *start, int length) {
    if ((unsigned char)start[0] < 0x80) return length; /* ASCII, or the "<s>" label */
    if (length == 4) return 2;                          /* emoji and rare CJK ideographs */
    if (length < 3) return 1;
    unsigned code = ((unsigned)start[0] & 0x0F) << 12 | ((unsigned)start[1] & 0x3F) << 6 |
                    ((unsigned)start[2] & 0x3F);
    return (code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0xA4CF) ||
                   (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
                   (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
                   (code >= 0xFFE0 && code <= 0xFFE6)
               ? 2
               : 1;
}

/* A label padded to `width` columns; newlines and tabs are shown as escapes. */
static void print_label(const labels *l, int i, int width) {
    const char *text = l->start[i];
    int length = l->length[i], used;
    if (length == 1 && text[0] == '\n') printf("\\n"), used = 2;
    else if (length == 1 && text[0] == '\t') printf("\\t"), used = 2;
    else fwrite(text, 1, (size_t)length, stdout), used = display_width(text, length);
    for (; used < width; used++) putchar(' ');
}

/* One (Tq, Tk) table of a head. */
static void print_head(const float *weights, const labels *rows, const labels *columns, int64_t query_len,
                       int64_t key_len) {
    printf("%*s", CELL, "");
    for (int64_t j = 0; j < key_len; j++) putchar(' '), print_label(columns, (int)j, CELL - 1);
    printf("\n");
    for (int64_t i = 0; i < query_len; i++) {
        print_label(rows, (int)i, CELL);
        for (int64_t j = 0; j < key_len; j++) printf("%5.2f ", weights[i * key_len + j]);
        printf("\n");
    }
}

/* The tiny GPT of the example, trained `steps` steps on the built-in corpus. */
static attn_status train_tiny_gpt(long steps, attn_model_t **out) {
    const char *corpus;
    size_t corpus_length;
    attn_tokenizer_t *tokenizer = NULL;
    attn_trainer_t *trainer = NULL;
    int32_t *ids = NULL;
    int64_t count = 0;
    attn_status status;
    *out = NULL;
    if ((status = attn_default_corpus(&corpus, &corpus_length)) != ATTN_OK) return status;
    if ((status = attn_tokenizer_init(corpus, corpus_length, &tokenizer)) != ATTN_OK) return status;
    if ((status = attn_tokenizer_encode(tokenizer, corpus, corpus_length, NULL, 0, &count)) != ATTN_OK) goto done;
    ids = malloc((size_t)count * sizeof *ids);
    if ((status = attn_tokenizer_encode(tokenizer, corpus, corpus_length, ids, count, &count)) != ATTN_OK) goto done;
    attn_model_config config = {.struct_size = sizeof config};
    if ((status = attn_model_config_default(ATTN_MODEL_GPT, &config)) != ATTN_OK) goto done;
    config.n_layer = 2, config.n_head = 2, config.n_embd = 32, config.block_size = 32;
    if ((status = attn_model_init(&config, tokenizer, out)) != ATTN_OK) goto done;
    attn_train_config training = {.struct_size = sizeof training};
    if ((status = attn_train_config_default(&training)) != ATTN_OK) goto done;
    training.steps = steps, training.batch_size = 8, training.learning_rate = 3e-3f, training.eval_interval = 0;
    if ((status = attn_trainer_init(*out, &training, &trainer)) != ATTN_OK) goto done;
    status = attn_trainer_run_tokens(trainer, ids, count);
done:
    attn_trainer_free(trainer);
    attn_tokenizer_free(tokenizer);
    free(ids);
    if (status != ATTN_OK) attn_model_free(*out), *out = NULL;
    return status;
}


int main(int argc, char **argv) {
    const char *path = argc > 1 && strcmp(argv[1], "-") != 0 ? argv[1] : NULL;
    const char *prompt = argc > 2 ? argv[2] : "道可道非常道";
    long steps = argc > 3 ? strtol(argv[3], NULL, 10) : 30;
    int exit_code = 1;
    attn_model_t *model = NULL;
    attn_context_t *context = NULL;
    const char *answer = NULL; /* seq2seq: the model's greedy answer */
    size_t answer_length = 0;
    char *answer_copy = NULL;
    static labels prompt_labels, answer_labels; /* answer_labels: "<s>" then the answer */

    if (path) {
        TRY(attn_model_load(path, &model));
    } else {
        printf("no checkpoint given: training a tiny GPT for %ld steps\n", steps);
        TRY(train_tiny_gpt(steps, &model));
    }
    attn_model_config config = {.struct_size = sizeof config};
    TRY(attn_model_get_config(model, &config));
    TRY(attn_context_init(model, &context));
    split_characters(&prompt_labels, prompt, strlen(prompt));

    /* A seq2seq model reads its own greedy answer; label its rows with BOS and that answer. */
    if (config.kind == ATTN_MODEL_SEQ2SEQ) {
        attn_generate_config greedy = {.struct_size = sizeof greedy};
        TRY(attn_generate_config_default(&greedy));
        greedy.temperature = 0, greedy.max_new_tokens = config.max_target_length - 1;
        TRY(attn_context_answer(context, prompt, strlen(prompt), &greedy, &answer, &answer_length));
        answer_copy = malloc(answer_length + 1); /* the context's result changes with the next call */
        memcpy(answer_copy, answer, answer_length + 1);
        printf("answer: %s\n", answer_copy);
        add_label(&answer_labels, "<s>", 3);
        split_characters(&answer_labels, answer_copy, answer_length);
    }

    const attn_attention_map *maps = NULL;
    int64_t map_count = 0;
    TRY(attn_context_attention(context, prompt, strlen(prompt), answer_copy, answer_length, &maps, &map_count));
    for (int64_t m = 0; m < map_count; m++) {
        const attn_attention_map *map = &maps[m];
        int seq2seq = config.kind == ATTN_MODEL_SEQ2SEQ;
        const labels *rows = seq2seq && map->kind != ATTN_ATTENTION_ENCODER ? &answer_labels : &prompt_labels;
        const labels *columns = seq2seq && map->kind == ATTN_ATTENTION_SELF ? &answer_labels : &prompt_labels;
        if (map->query_len > rows->count || map->key_len > columns->count) {
            fprintf(stderr, "map %lld is (%lld, %lld) but there are %d x %d labels\n", (long long)m,
                    (long long)map->query_len, (long long)map->key_len, rows->count, columns->count);
            goto cleanup;
        }
        const char *name = map->kind == ATTN_ATTENTION_ENCODER ? "encoder self-attention"
                           : map->kind == ATTN_ATTENTION_CROSS ? "cross-attention"
                           : seq2seq                          ? "decoder self-attention"
                                                              : "self-attention";
        for (int64_t h = 0; h < map->heads; h++) {
            printf("\nlayer %lld head %lld, %s (rows: queries, columns: keys)\n", (long long)map->layer,
                   (long long)h, name);
            print_head(map->weights + h * map->query_len * map->key_len, rows, columns, map->query_len,
                       map->key_len);
        }
    }
    exit_code = 0;

cleanup:
    free(answer_copy);
    attn_context_free(context);
    attn_model_free(model);
    return exit_code;
}
