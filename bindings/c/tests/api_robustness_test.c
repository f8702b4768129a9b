/* Every tokenizer, model, trainer and context entry point of attention.h as a C host sees it:
 * each kind of bad argument (NULL handles and pointers, negative, huge and overflowing sizes,
 * out-of-range ids, invalid UTF-8, wrong struct_size, bad config values, the wrong model kind,
 * corrupt files) must come back as the documented status with a message, never as a crash; and
 * the positive paths give real results (round trips, size queries, bitwise save/load).
 *
 * Each section runs in its own forked process, so a crash in the library is reported as a
 * failed check naming the section instead of ending the whole run. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE /* mknod, makedev */
#include <attention.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* ---------------------------------------------------------------------------------------- */
/* Checks on statuses and messages                                                          */
/* ---------------------------------------------------------------------------------------- */

/* A cheap call that always succeeds: after it, attn_last_error() must be "". */
static void check_message_cleared(const char *after) {
    const char *text;
    size_t length;
    attn_status status = attn_default_corpus(&text, &length);
    CHECK(status == ATTN_OK && attn_last_error()[0] == '\0',
          "a success after %s did not clear the message: \"%s\"", after, attn_last_error());
}

/* Succeeds and leaves no message. */
#define EXPECT_OK(call)                                                                        \
    do {                                                                                       \
        CHECK_OK(call);                                                                        \
        CHECK(attn_last_error()[0] == '\0', "%s succeeded but left \"%s\"", #call,             \
              attn_last_error());                                                              \
    } while (0)

/* Fails with exactly `expected`, a non-empty message, and a following success clears it. */
#define EXPECT_FAIL(call, expected)                                                            \
    do {                                                                                       \
        CHECK_FAILS(call, expected);                                                           \
        check_message_cleared(#call);                                                          \
    } while (0)

/* Where the header leaves two statuses equally defensible (noted at each use). */
#define EXPECT_FAIL_EITHER(call, first, second)                                                \
    do {                                                                                       \
        attn_status either_ = (call);                                                          \
        CHECK(either_ == (first) || either_ == (second), "%s returned %d (%s), expected %d or %d: %s", \
              #call, (int)either_, attn_status_string(either_), (int)(first), (int)(second),   \
              attn_last_error());                                                              \
        CHECK(attn_last_error()[0] != '\0', "%s left no message", #call);                      \
        check_message_cleared(#call);                                                          \
    } while (0)

/* A handle out-parameter must be NULL after a failure. */
static char sentinel;
#define EXPECT_FAIL_HANDLE(call, expected, handle)                                             \
    do {                                                                                       \
        (handle) = (void *)&sentinel;                                                          \
        EXPECT_FAIL(call, expected);                                                           \
        CHECK((handle) == NULL, "%s did not set the handle to NULL", #call);                   \
    } while (0)

/* Whether `message` mentions `needle`, ignoring case and taking '_' and ' ' as one. */
static int mentions(const char *message, const char *needle) {
    size_t n = strlen(needle);
    for (; *message; message++) {
        size_t i = 0;
        for (; i < n; i++) {
            char a = message[i], b = needle[i];
            if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
            if (a == ' ') a = '_';
            if (b == ' ') b = '_';
            if (a != b) break;
        }
        if (i == n) return 1;
    }
    return n == 0;
}

/* The message must mention `needle` (a byte offset, a field name). */
#define CHECK_MESSAGE_HAS(call, expected, needle)                                              \
    do {                                                                                       \
        CHECK_FAILS(call, expected);                                                           \
        CHECK(mentions(attn_last_error(), needle), "%s: message \"%s\" lacks \"%s\"",          \
              #call, attn_last_error(), needle);                                               \
        check_message_cleared(#call);                                                          \
    } while (0)

/* ---------------------------------------------------------------------------------------- */
/* Fixtures: tiny models of every kind, a scratch directory                                 */
/* ---------------------------------------------------------------------------------------- */

static char scratch[] = "/tmp/attn-robustness-XXXXXX";

static const char *scratch_path(const char *name) {
    static char paths[8][512];
    static int next = 0;
    char *path = paths[next++ % 8];
    snprintf(path, sizeof paths[0], "%s/%s", scratch, name);
    return path;
}

static void write_file(const char *path, const void *data, size_t size) {
    FILE *file = fopen(path, "wb");
    if (!file) { perror(path); exit(2); }
    if (size && fwrite(data, 1, size, file) != size) { perror(path); exit(2); }
    fclose(file);
}

/* The whole file in a malloc'ed buffer, its size in *size; NULL if it cannot be read. */
static unsigned char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    fseek(file, 0, SEEK_END);
    long end = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *data = malloc(end > 0 ? (size_t)end : 1);
    *size = fread(data, 1, (size_t)end, file);
    fclose(file);
    return data;
}

static int count_directory_entries(const char *path) {
    DIR *dir = opendir(path);
    int count = 0;
    if (!dir) return -1;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) count++;
    closedir(dir);
    return count;
}

static const char *corpus, *dialogue;
static size_t corpus_length, dialogue_length;

/* The longest prefix of the corpus of at most `limit` bytes that ends on a character. */
static size_t corpus_prefix(size_t limit) {
    if (limit >= corpus_length) return corpus_length;
    while (limit > 0 && ((unsigned char)corpus[limit] & 0xC0) == 0x80) limit--;
    return limit;
}

static attn_tokenizer_t *corpus_tokenizer(void) {
    attn_tokenizer_t *tokenizer = NULL;
    CHECK_OK(attn_tokenizer_init(corpus, corpus_length, &tokenizer));
    return tokenizer;
}

/* A vocabulary covering both built-in texts, for seq2seq models trained on the dialogue. */
static attn_tokenizer_t *dialogue_tokenizer(void) {
    size_t length = corpus_length + dialogue_length;
    char *both = malloc(length);
    memcpy(both, corpus, corpus_length);
    memcpy(both + corpus_length, dialogue, dialogue_length);
    attn_tokenizer_t *tokenizer = NULL;
    CHECK_OK(attn_tokenizer_init(both, length, &tokenizer));
    free(both);
    return tokenizer;
}

/* The small architectures of this file: C 16, 2 heads, block 16. */
static attn_model_config tiny_config(attn_model_kind kind) {
    attn_model_config config = {.struct_size = sizeof config};
    CHECK_OK(attn_model_config_default(kind, &config));
    config.n_embd = 16;
    config.seed = 7;
    switch (kind) {
    case ATTN_MODEL_GPT: config.n_layer = 2, config.n_head = 2, config.block_size = 16; break;
    case ATTN_MODEL_SEQ2SEQ:
        config.n_layer = 1, config.n_decoder_layer = 1, config.n_head = 2;
        config.max_source_length = 16, config.max_target_length = 16;
        break;
    case ATTN_MODEL_RNN: config.n_layer = 1, config.hidden_size = 16, config.block_size = 16; break;
    case ATTN_MODEL_CNN: config.n_layer = 2, config.kernel_size = 2, config.block_size = 16; break;
    case ATTN_MODEL_BERT: config.n_layer = 1, config.n_head = 2, config.block_size = 16; break;
    }
    return config;
}

static attn_model_t *tiny_model(attn_model_kind kind, const attn_tokenizer_t *tokenizer) {
    attn_model_config config = tiny_config(kind);
    attn_model_t *model = NULL;
    CHECK_OK(attn_model_init(&config, tokenizer, &model));
    return model;
}

/* A GPT without a tokenizer over 10 ids. */
static attn_model_t *bare_model(void) {
    attn_model_config config = tiny_config(ATTN_MODEL_GPT);
    config.vocab_size = 10;
    attn_model_t *model = NULL;
    CHECK_OK(attn_model_init(&config, NULL, &model));
    return model;
}

/* Field by field (struct padding is not part of the contract); "" if equal, else the first
 * field that differs. */
static const char *config_difference(const attn_model_config *a, const attn_model_config *b) {
    if (a->kind != b->kind) return "kind";
    if (a->vocab_size != b->vocab_size) return "vocab_size";
    if (a->n_layer != b->n_layer) return "n_layer";
    if (a->n_decoder_layer != b->n_decoder_layer) return "n_decoder_layer";
    if (a->n_head != b->n_head) return "n_head";
    if (a->n_embd != b->n_embd) return "n_embd";
    if (a->block_size != b->block_size) return "block_size";
    if (a->max_source_length != b->max_source_length) return "max_source_length";
    if (a->max_target_length != b->max_target_length) return "max_target_length";
    if (a->hidden_size != b->hidden_size) return "hidden_size";
    if (a->cell != b->cell) return "cell";
    if (a->kernel_size != b->kernel_size) return "kernel_size";
    if (a->dropout != b->dropout) return "dropout";
    if (a->seed != b->seed) return "seed";
    return "";
}

static int64_t vocab_size_of(const attn_tokenizer_t *tokenizer) {
    int64_t size = -1;
    CHECK_OK(attn_tokenizer_get_vocab_size(tokenizer, &size));
    return size;
}

/* Logits of one fixed (2, 5) batch; malloc'ed, *count floats. */
static float *fixed_logits(const attn_model_t *model, int64_t vocab_size, int64_t *count) {
    int32_t tokens[10];
    for (int i = 0; i < 10; i++) tokens[i] = (int32_t)((i * 7 + 4) % vocab_size);
    *count = 10 * vocab_size;
    float *logits = malloc((size_t)*count * sizeof(float));
    CHECK_OK(attn_model_forward(model, tokens, 2, 5, logits, *count));
    return logits;
}

/* Invalid UTF-8, each after the 5-byte prefix "abcde" so the message can name offset 5. */
static const struct { const char *what; const char *bytes; size_t length; } bad_utf8[] = {
    {"lone continuation byte", "abcde\x80z", 7},
    {"truncated 3-byte sequence", "abcde\xE4\xB8", 7},
    {"truncated sequence then ASCII", "abcde\xE4\xB8z", 8},
    {"overlong 2-byte '/'", "abcde\xC0\xAF", 7},
    {"overlong 3-byte '/'", "abcde\xE0\x80\xAF", 8},
    {"surrogate U+D800", "abcde\xED\xA0\x80", 8},
    {"byte 0xFF", "abcde\xFF", 6},
    {"above U+10FFFF", "abcde\xF4\x90\x80\x80", 9},
};
#define BAD_UTF8_COUNT (sizeof bad_utf8 / sizeof bad_utf8[0])

/* ---------------------------------------------------------------------------------------- */
/* Built-in data                                                                            */
/* ---------------------------------------------------------------------------------------- */

static void test_builtin_data(void) {
    const char *text = NULL;
    size_t length = 0;
    EXPECT_OK(attn_default_corpus(&text, &length));
    CHECK(text != NULL && length > 10000 && strlen(text) == length, "corpus of %zu bytes", length);
    CHECK(text != NULL && strstr(text, "道可道") != NULL, "the corpus opens the Dao De Jing");
    EXPECT_FAIL(attn_default_corpus(NULL, &length), ATTN_ERR_NULL_POINTER);
    /* The header does not say whether the length may be NULL; the library takes it as optional. */
    attn_status optional = attn_default_corpus(&text, NULL);
    CHECK(optional == ATTN_OK || optional == ATTN_ERR_NULL_POINTER, "corpus without length: %d", (int)optional);

    EXPECT_OK(attn_default_dialogue(&text, &length));
    CHECK(text != NULL && length > 100 && strlen(text) == length, "dialogue of %zu bytes", length);
    CHECK(text != NULL && strchr(text, '\t') != NULL && strchr(text, '\n') != NULL, "TSV lines");
    EXPECT_FAIL(attn_default_dialogue(NULL, &length), ATTN_ERR_NULL_POINTER);
    optional = attn_default_dialogue(&text, NULL);
    CHECK(optional == ATTN_OK || optional == ATTN_ERR_NULL_POINTER, "dialogue without length: %d", (int)optional);
}

/* ---------------------------------------------------------------------------------------- */
/* Tokenizer                                                                                */
/* ---------------------------------------------------------------------------------------- */

static void test_tokenizer_errors(void) {
    attn_tokenizer_t *tokenizer = NULL, *out;
    EXPECT_FAIL_HANDLE(attn_tokenizer_init(NULL, 3, &out), ATTN_ERR_NULL_POINTER, out);
    EXPECT_FAIL(attn_tokenizer_init("abc", 3, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL_HANDLE(attn_tokenizer_init("abc", 0, &out), ATTN_ERR_INVALID_ARGUMENT, out);
    /* A length past PTRDIFF_MAX cannot describe a real buffer. */
    EXPECT_FAIL_HANDLE(attn_tokenizer_init("abc", SIZE_MAX, &out), ATTN_ERR_SHAPE, out);
    EXPECT_FAIL_HANDLE(attn_tokenizer_init("abc", (size_t)INT64_MAX + 1, &out), ATTN_ERR_SHAPE, out);
    for (size_t i = 0; i < BAD_UTF8_COUNT; i++) {
        out = (void *)&sentinel;
        CHECK_MESSAGE_HAS(attn_tokenizer_init(bad_utf8[i].bytes, bad_utf8[i].length, &out),
                          ATTN_ERR_UTF8, "5");
        CHECK(out == NULL, "init on %s: handle not NULL", bad_utf8[i].what);
    }
    attn_tokenizer_free(NULL);

    EXPECT_OK(attn_tokenizer_init("cab", 3, &tokenizer));
    int64_t size, count;
    int32_t ids[16];
    char text[64];
    size_t length;
    EXPECT_FAIL(attn_tokenizer_get_vocab_size(NULL, &size), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_tokenizer_get_vocab_size(tokenizer, NULL), ATTN_ERR_NULL_POINTER);

    EXPECT_FAIL(attn_tokenizer_encode(NULL, "ab", 2, ids, 16, &count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_tokenizer_encode(tokenizer, NULL, 2, ids, 16, &count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_tokenizer_encode(tokenizer, "ab", 2, NULL, 16, &count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_tokenizer_encode(tokenizer, "ab", 2, ids, 16, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_tokenizer_encode(tokenizer, "ab", 2, ids, -1, &count), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_tokenizer_encode(tokenizer, "ab", 2, ids, INT64_MIN, &count), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_tokenizer_encode(tokenizer, "ab", SIZE_MAX, ids, 16, &count), ATTN_ERR_SHAPE);
    for (size_t i = 0; i < BAD_UTF8_COUNT; i++)
        CHECK_MESSAGE_HAS(attn_tokenizer_encode(tokenizer, bad_utf8[i].bytes, bad_utf8[i].length,
                                                ids, 16, &count),
                          ATTN_ERR_UTF8, "5");

    const int32_t bad_ids[] = {-1, 7 /* V */, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        int32_t sequence[3] = {4, bad_ids[i], 5};
        EXPECT_FAIL(attn_tokenizer_decode(tokenizer, sequence, 3, text, sizeof text, &length),
                    ATTN_ERR_INVALID_ARGUMENT);
        /* Also when only measuring. */
        EXPECT_FAIL(attn_tokenizer_decode(tokenizer, sequence, 3, NULL, 0, &length),
                    ATTN_ERR_INVALID_ARGUMENT);
    }
    int32_t good[2] = {4, 5};
    EXPECT_FAIL(attn_tokenizer_decode(NULL, good, 2, text, sizeof text, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_tokenizer_decode(tokenizer, NULL, 2, text, sizeof text, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_tokenizer_decode(tokenizer, good, 2, NULL, sizeof text, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_tokenizer_decode(tokenizer, good, 2, text, sizeof text, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_tokenizer_decode(tokenizer, good, -1, text, sizeof text, &length), ATTN_ERR_SHAPE);
    /* INT64_MAX ids are more bytes than an address space holds. */
    EXPECT_FAIL(attn_tokenizer_decode(tokenizer, good, INT64_MAX, text, sizeof text, &length), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_tokenizer_decode(tokenizer, good, INT64_MAX / 4 + 1, text, sizeof text, &length),
                ATTN_ERR_SHAPE);
    attn_tokenizer_free(tokenizer);
}

static void test_tokenizer_results(void) {
    attn_tokenizer_t *tokenizer = NULL;
    int64_t count = -1;
    int32_t ids[16];
    char text[64];
    size_t length = 0;

    /* ids 0-3 special, then one id per distinct scalar in code-point order. */
    EXPECT_OK(attn_tokenizer_init("cabbac", 6, &tokenizer));
    CHECK(vocab_size_of(tokenizer) == 7, "vocab %lld", (long long)vocab_size_of(tokenizer));
    EXPECT_OK(attn_tokenizer_encode(tokenizer, "abcz", 4, ids, 16, &count));
    CHECK(count == 4 && ids[0] == 4 && ids[1] == 5 && ids[2] == 6 && ids[3] == ATTN_TOKEN_UNK,
          "abcz -> %lld ids %d %d %d %d", (long long)count, ids[0], ids[1], ids[2], ids[3]);
    EXPECT_OK(attn_tokenizer_encode(tokenizer, "", 0, ids, 16, &count));
    CHECK(count == 0, "empty text gives %lld ids", (long long)count);
    EXPECT_OK(attn_tokenizer_encode(tokenizer, NULL, 0, NULL, 0, &count));
    CHECK(count == 0, "NULL empty text gives %lld ids", (long long)count);
    /* Special tokens decode to nothing. */
    int32_t mixed[6] = {ATTN_TOKEN_BOS, 4, ATTN_TOKEN_PAD, 6, ATTN_TOKEN_UNK, ATTN_TOKEN_EOS};
    EXPECT_OK(attn_tokenizer_decode(tokenizer, mixed, 6, text, sizeof text, &length));
    CHECK(length == 2 && strcmp(text, "ac") == 0, "decoded \"%s\" (%zu)", text, length);
    EXPECT_OK(attn_tokenizer_decode(tokenizer, NULL, 0, text, sizeof text, &length));
    CHECK(length == 0 && text[0] == '\0', "empty decode \"%s\"", text);
    /* NUL is a character like any other when the length is explicit. */
    EXPECT_OK(attn_tokenizer_encode(tokenizer, "a\0b", 3, ids, 16, &count));
    CHECK(count == 3 && ids[0] == 4 && ids[1] == ATTN_TOKEN_UNK && ids[2] == 5, "a NUL b -> %lld ids",
          (long long)count);
    /* A huge capacity is only an upper bound. */
    EXPECT_OK(attn_tokenizer_decode(tokenizer, mixed, 6, text, SIZE_MAX, &length));
    CHECK(length == 2 && strcmp(text, "ac") == 0, "decoded with SIZE_MAX capacity \"%s\"", text);
    EXPECT_OK(attn_tokenizer_encode(tokenizer, "ab", 2, ids, INT64_MAX, &count));
    CHECK(count == 2 && ids[0] == 4 && ids[1] == 5, "encode with INT64_MAX capacity");
    attn_tokenizer_free(tokenizer);

    /* Chinese: the whole corpus round-trips, byte for byte. */
    tokenizer = corpus_tokenizer();
    int64_t vocab = vocab_size_of(tokenizer);
    CHECK(vocab > 500 && vocab < 10000, "corpus vocabulary %lld", (long long)vocab);
    EXPECT_OK(attn_tokenizer_encode(tokenizer, corpus, corpus_length, NULL, 0, &count));
    CHECK(count > 0 && (size_t)count < corpus_length, "corpus is %lld ids", (long long)count);
    int32_t *all = malloc((size_t)count * sizeof *all);
    int64_t written = -1;
    EXPECT_OK(attn_tokenizer_encode(tokenizer, corpus, corpus_length, all, count, &written));
    CHECK(written == count, "wrote %lld of %lld", (long long)written, (long long)count);
    int unknown = 0;
    for (int64_t i = 0; i < count; i++) unknown += all[i] < 4 || all[i] >= vocab;
    CHECK(unknown == 0, "%d corpus ids are special or out of range", unknown);
    size_t needed = 0;
    EXPECT_OK(attn_tokenizer_decode(tokenizer, all, count, NULL, 0, &needed));
    CHECK(needed == corpus_length, "decode measures %zu, corpus %zu", needed, corpus_length);
    char *back = malloc(needed + 1);
    EXPECT_OK(attn_tokenizer_decode(tokenizer, all, count, back, needed + 1, &length));
    CHECK(length == corpus_length && memcmp(back, corpus, corpus_length) == 0 && back[length] == 0,
          "the corpus does not round-trip");

    /* "道可道" is three ids, and three ids are nine bytes. */
    EXPECT_OK(attn_tokenizer_encode(tokenizer, "道可道", strlen("道可道"), ids, 16, &count));
    CHECK(count == 3 && ids[0] == ids[2] && ids[0] != ids[1] && ids[0] >= 4, "道可道 -> %lld ids",
          (long long)count);

    /* Too small a buffer: ATTN_ERR_SHAPE with the size set, the buffer untouched. */
    for (int i = 0; i < 16; i++) ids[i] = -7;
    count = -1;
    EXPECT_FAIL(attn_tokenizer_encode(tokenizer, "道可道", strlen("道可道"), ids, 2, &count), ATTN_ERR_SHAPE);
    CHECK(count == 3, "encode into 2 reports %lld ids", (long long)count);
    int untouched = 1;
    for (int i = 0; i < 16; i++) untouched &= ids[i] == -7;
    CHECK(untouched, "encode wrote into a too small buffer");
    EXPECT_FAIL(attn_tokenizer_encode(tokenizer, "道可道", strlen("道可道"), ids, 0, &count), ATTN_ERR_SHAPE);

    int32_t three[3];
    EXPECT_OK(attn_tokenizer_encode(tokenizer, "道可道", strlen("道可道"), three, 3, &count));
    memset(text, 'x', sizeof text);
    length = 0;
    EXPECT_FAIL(attn_tokenizer_decode(tokenizer, three, 3, text, 9 /* no room for NUL */, &length),
                ATTN_ERR_SHAPE);
    CHECK(length == 9, "decode into 9 reports %zu bytes", length);
    untouched = 1;
    for (size_t i = 0; i < sizeof text; i++) untouched &= text[i] == 'x';
    CHECK(untouched, "decode wrote into a too small buffer");
    EXPECT_FAIL(attn_tokenizer_decode(tokenizer, three, 3, text, 0, &length), ATTN_ERR_SHAPE);
    EXPECT_OK(attn_tokenizer_decode(tokenizer, three, 3, text, 10, &length));
    CHECK(length == 9 && strcmp(text, "道可道") == 0, "decoded \"%s\"", text);

    /* The ids of a character outside the vocabulary. */
    EXPECT_OK(attn_tokenizer_encode(tokenizer, "道€😀", strlen("道€😀"), ids, 16, &count));
    CHECK(count == 3 && ids[1] == ATTN_TOKEN_UNK && ids[2] == ATTN_TOKEN_UNK, "unknowns");
    free(all), free(back);
    attn_tokenizer_free(tokenizer);
}

/* ---------------------------------------------------------------------------------------- */
/* Config defaults and struct_size                                                          */
/* ---------------------------------------------------------------------------------------- */

/* ATTN_MODEL_BERT: built, counted, saved and loaded through the registry; forward, training and
 * attention maps (which need a language model) refuse it by name. */
static void test_bert_kind(void) {
    attn_model_config config = {.struct_size = sizeof config};
    EXPECT_OK(attn_model_config_default(ATTN_MODEL_BERT, &config));
    config.n_layer = 2, config.n_head = 2, config.n_embd = 8, config.block_size = 6, config.vocab_size = 10;
    config.seed = 3;
    attn_model_t *model = NULL, *loaded = NULL;
    EXPECT_OK(attn_model_init(&config, NULL, &model));
    int64_t count = 0;
    EXPECT_OK(attn_model_get_parameter_count(model, &count));
    /* (V + P + TT)·C + 2C + L·(4C² + 2FC + F + 9C) with F = 4C = 32 */
    CHECK(count == (10 + 6 + 2) * 8 + 16 + 2 * (4 * 64 + 2 * 32 * 8 + 32 + 72), "bert parameters %lld", (long long)count);
    const char *path = scratch_path("bert.safetensors");
    EXPECT_OK(attn_model_save(model, path));
    EXPECT_OK(attn_model_load(path, &loaded));
    attn_model_config read = {.struct_size = sizeof read};
    EXPECT_OK(attn_model_get_config(loaded, &read));
    CHECK(read.kind == ATTN_MODEL_BERT && read.n_layer == 2 && read.n_head == 2 && read.n_embd == 8 &&
          read.block_size == 6 && read.vocab_size == 10, "bert config after load");
    int32_t tokens[2] = {1, 2};
    float logits[20];
    CHECK_MESSAGE_HAS(attn_model_forward(loaded, tokens, 1, 2, logits, 20), ATTN_ERR_INVALID_ARGUMENT, "bert");
    attn_train_config train = {.struct_size = sizeof train};
    EXPECT_OK(attn_train_config_default(&train));
    attn_trainer_t *trainer = NULL;
    CHECK_MESSAGE_HAS(attn_trainer_init(loaded, &train, &trainer), ATTN_ERR_INVALID_ARGUMENT, "bert");
    CHECK(trainer == NULL, "no trainer for a bert model");
    config.n_head = 3;
    CHECK_MESSAGE_HAS(attn_model_init(&config, NULL, &loaded), ATTN_ERR_FORMAT, "divisible");
    attn_model_free(model);
    attn_model_free(loaded);
}

static void test_config_defaults(void) {
    attn_model_config m = {.struct_size = sizeof m};
    EXPECT_OK(attn_model_config_default(ATTN_MODEL_GPT, &m));
    CHECK(m.struct_size == sizeof m && m.kind == ATTN_MODEL_GPT && m.n_layer == 4 && m.n_head == 4 &&
          m.n_embd == 128 && m.block_size == 64 && m.vocab_size == 0 && m.seed == 0 &&
          m.dropout >= 0 && m.dropout < 1, "gpt defaults");
    EXPECT_OK(attn_model_config_default(ATTN_MODEL_SEQ2SEQ, &m));
    CHECK(m.kind == ATTN_MODEL_SEQ2SEQ && m.n_layer == 2 && m.n_decoder_layer == 2 && m.n_head == 4 &&
          m.n_embd == 64 && m.max_source_length == 32 && m.max_target_length == 32, "seq2seq defaults");
    EXPECT_OK(attn_model_config_default(ATTN_MODEL_RNN, &m));
    CHECK(m.kind == ATTN_MODEL_RNN && m.cell == ATTN_CELL_GRU && m.n_layer == 1 && m.n_embd == 128 &&
          m.hidden_size == 256 && m.block_size == 64, "rnn defaults");
    EXPECT_OK(attn_model_config_default(ATTN_MODEL_CNN, &m));
    CHECK(m.kind == ATTN_MODEL_CNN && m.n_layer == 5 && m.n_embd == 128 && m.kernel_size == 3 &&
          m.block_size == 64, "cnn defaults");
    EXPECT_FAIL(attn_model_config_default(ATTN_MODEL_GPT, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_model_config_default((attn_model_kind)0, &m), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_OK(attn_model_config_default(ATTN_MODEL_BERT, &m));
    CHECK(m.kind == ATTN_MODEL_BERT && m.n_layer == 6 && m.n_head == 12 && m.n_embd == 384 &&
          m.block_size == 512 && m.vocab_size == 0, "bert defaults");
    EXPECT_FAIL(attn_model_config_default((attn_model_kind)6, &m), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_model_config_default((attn_model_kind)-1, &m), ATTN_ERR_INVALID_ARGUMENT);

    attn_train_config t = {.struct_size = sizeof t};
    EXPECT_OK(attn_train_config_default(&t));
    CHECK(t.struct_size == sizeof t && t.steps == 500 && t.batch_size == 16 &&
          fabsf(t.learning_rate - 1e-3f) < 1e-9f && fabsf(t.min_learning_rate - 1e-4f) < 1e-9f &&
          t.warmup_steps == 20 && fabsf(t.weight_decay - 0.1f) < 1e-7f && fabsf(t.beta1 - 0.9f) < 1e-7f &&
          fabsf(t.beta2 - 0.99f) < 1e-7f && t.grad_clip == 1 && t.eval_interval == 50 &&
          t.eval_batches == 4 && fabsf(t.validation_fraction - 0.1f) < 1e-7f && t.seed == 0 &&
          t.resume == 0 && t.gradient_bucket_bytes == 0 && t.no_gradient_overlap == 0, "train defaults");
    EXPECT_FAIL(attn_train_config_default(NULL), ATTN_ERR_NULL_POINTER);

    attn_generate_config g = {.struct_size = sizeof g};
    EXPECT_OK(attn_generate_config_default(&g));
    CHECK(g.struct_size == sizeof g && g.max_new_tokens == 200 && fabsf(g.temperature - 0.8f) < 1e-7f &&
          g.top_k == 0 && fabsf(g.top_p - 0.95f) < 1e-7f && g.seed == 0 && g.stop_at_eos != 0 &&
          g.no_cache == 0 && g.on_token == NULL && g.user_data == NULL, "generate defaults");
    EXPECT_FAIL(attn_generate_config_default(NULL), ATTN_ERR_NULL_POINTER);

    /* struct_size too small (0, a size_t, one byte short): refused before anything is read. */
    const size_t small[] = {0, sizeof(size_t), sizeof m - 1};
    for (size_t i = 0; i < 3; i++) {
        attn_model_config bad_m = {.struct_size = small[i]};
        EXPECT_FAIL(attn_model_config_default(ATTN_MODEL_GPT, &bad_m), ATTN_ERR_INVALID_ARGUMENT);
        attn_train_config bad_t = {.struct_size = i == 2 ? sizeof t - 1 : small[i]};
        EXPECT_FAIL(attn_train_config_default(&bad_t), ATTN_ERR_INVALID_ARGUMENT);
        attn_generate_config bad_g = {.struct_size = i == 2 ? sizeof g - 1 : small[i]};
        EXPECT_FAIL(attn_generate_config_default(&bad_g), ATTN_ERR_INVALID_ARGUMENT);
    }
    /* struct_size is a size_t: SIZE_MAX is reported as itself, not as -1. */
    char size_max[64];
    snprintf(size_max, sizeof size_max, "struct_size is %zu", (size_t)SIZE_MAX);
    attn_model_config huge_m = {.struct_size = SIZE_MAX};
    CHECK_MESSAGE_HAS(attn_model_config_default(ATTN_MODEL_GPT, &huge_m), ATTN_ERR_INVALID_ARGUMENT, size_max);
    /* A larger struct from a newer header: defaults fill what this library knows. */
    struct { attn_model_config base; int64_t future; } newer_m = {.base = {.struct_size = sizeof newer_m}};
    EXPECT_OK(attn_model_config_default(ATTN_MODEL_GPT, &newer_m.base));
    CHECK(newer_m.base.struct_size == sizeof newer_m && newer_m.base.n_layer == 4, "newer model config");
    struct { attn_train_config base; int64_t future; } newer_t = {.base = {.struct_size = sizeof newer_t}};
    EXPECT_OK(attn_train_config_default(&newer_t.base));
    CHECK(newer_t.base.struct_size == sizeof newer_t && newer_t.base.steps == 500, "newer train config");
    struct { attn_generate_config base; int64_t future; } newer_g = {.base = {.struct_size = sizeof newer_g}};
    EXPECT_OK(attn_generate_config_default(&newer_g.base));
    CHECK(newer_g.base.struct_size == sizeof newer_g && newer_g.base.max_new_tokens == 200,
          "newer generate config");

    /* A struct from an older header (today's struct cut before its last field, as if that field
       had been added since): the defaults come back for the fields it has, and nothing is
       written past its struct_size. */
    union { attn_train_config config; unsigned char bytes[sizeof(attn_train_config) + 16]; } older_t;
    memset(older_t.bytes, 0xAB, sizeof older_t.bytes);
    older_t.config.struct_size = offsetof(attn_train_config, resume);
    EXPECT_OK(attn_train_config_default(&older_t.config));
    CHECK(older_t.config.struct_size == offsetof(attn_train_config, resume) && older_t.config.steps == 500 &&
          older_t.config.seed == 0 && older_t.bytes[offsetof(attn_train_config, resume)] == 0xAB &&
          older_t.bytes[sizeof older_t.bytes - 1] == 0xAB, "older train config: defaults, nothing past its size");
    union { attn_generate_config config; unsigned char bytes[sizeof(attn_generate_config)]; } older_g;
    memset(older_g.bytes, 0xAB, sizeof older_g.bytes);
    older_g.config.struct_size = offsetof(attn_generate_config, on_token);
    EXPECT_OK(attn_generate_config_default(&older_g.config));
    CHECK(older_g.config.max_new_tokens == 200 && older_g.config.stop_at_eos == 1 && older_g.config.no_cache == 0 &&
          older_g.bytes[offsetof(attn_generate_config, on_token)] == 0xAB, "older generate config");
    union { attn_model_config config; unsigned char bytes[sizeof(attn_model_config)]; } older_m;
    memset(older_m.bytes, 0xAB, sizeof older_m.bytes);
    older_m.config.struct_size = offsetof(attn_model_config, seed);
    EXPECT_OK(attn_model_config_default(ATTN_MODEL_RNN, &older_m.config));
    attn_model_config full_rnn = {.struct_size = sizeof full_rnn};
    EXPECT_OK(attn_model_config_default(ATTN_MODEL_RNN, &full_rnn));
    CHECK(older_m.config.kind == ATTN_MODEL_RNN && older_m.config.n_layer == full_rnn.n_layer &&
          older_m.config.hidden_size == full_rnn.hidden_size && older_m.config.cell == full_rnn.cell &&
          older_m.bytes[offsetof(attn_model_config, seed)] == 0xAB, "older model config: only its own fields written");
    /* Sizes no older header can have: inside a field, not a multiple of the alignment, or
       holding struct_size alone. */
    const size_t odd[] = {offsetof(attn_train_config, resume) + 2, offsetof(attn_train_config, steps) + 4,
                          offsetof(attn_train_config, learning_rate) + 1};
    for (size_t i = 0; i < 3; i++) {
        attn_train_config bad_t = {.struct_size = odd[i]};
        CHECK_FAILS(attn_train_config_default(&bad_t), ATTN_ERR_INVALID_ARGUMENT);
        CHECK(mentions(attn_last_error(), "older header"), "the message says which sizes are accepted");
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Models: init, queries, forward                                                           */
/* ---------------------------------------------------------------------------------------- */

static void test_model_init_errors(void) {
    attn_tokenizer_t *tokenizer = corpus_tokenizer();
    int64_t vocab = vocab_size_of(tokenizer);
    attn_model_t *model;
    attn_model_config config = tiny_config(ATTN_MODEL_GPT), bad;

    EXPECT_FAIL_HANDLE(attn_model_init(NULL, tokenizer, &model), ATTN_ERR_NULL_POINTER, model);
    EXPECT_FAIL(attn_model_init(&config, tokenizer, NULL), ATTN_ERR_NULL_POINTER);
    /* vocab_size 0 needs a tokenizer; a given one must match it. */
    EXPECT_FAIL_HANDLE(attn_model_init(&config, NULL, &model), ATTN_ERR_INVALID_ARGUMENT, model);
    bad = config, bad.vocab_size = vocab + 1;
    CHECK_MESSAGE_HAS(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, "vocab");
    bad = config, bad.vocab_size = -5;
    EXPECT_FAIL_HANDLE(attn_model_init(&bad, NULL, &model), ATTN_ERR_INVALID_ARGUMENT, model);

    /* One bad field at a time, each named in the message. */
    struct { const char *field; attn_model_kind kind; int64_t *slot; int64_t value; } ints[] = {
        {"n_head", ATTN_MODEL_GPT, &bad.n_head, 3},          /* does not divide 16 */
        {"n_head", ATTN_MODEL_GPT, &bad.n_head, 0},
        {"n_head", ATTN_MODEL_GPT, &bad.n_head, -2},
        {"n_layer", ATTN_MODEL_GPT, &bad.n_layer, 0},
        {"n_layer", ATTN_MODEL_GPT, &bad.n_layer, -1},
        {"n_embd", ATTN_MODEL_GPT, &bad.n_embd, 0},
        {"n_embd", ATTN_MODEL_GPT, &bad.n_embd, -16},
        {"block_size", ATTN_MODEL_GPT, &bad.block_size, 0},
        {"block_size", ATTN_MODEL_GPT, &bad.block_size, -1},
        {"n_decoder_layer", ATTN_MODEL_SEQ2SEQ, &bad.n_decoder_layer, 0},
        {"max_source_length", ATTN_MODEL_SEQ2SEQ, &bad.max_source_length, 0},
        {"max_target_length", ATTN_MODEL_SEQ2SEQ, &bad.max_target_length, -3},
        {"max_target_length", ATTN_MODEL_SEQ2SEQ, &bad.max_target_length, 1}, /* no room for EOS */
        {"n_head", ATTN_MODEL_SEQ2SEQ, &bad.n_head, 5},
        {"hidden_size", ATTN_MODEL_RNN, &bad.hidden_size, 0},
        {"block_size", ATTN_MODEL_RNN, &bad.block_size, 0},
        {"kernel_size", ATTN_MODEL_CNN, &bad.kernel_size, 1},
        {"kernel_size", ATTN_MODEL_CNN, &bad.kernel_size, 0},
        {"n_layer", ATTN_MODEL_CNN, &bad.n_layer, 0},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        bad = tiny_config(ints[i].kind);
        *ints[i].slot = ints[i].value;
        model = (void *)&sentinel;
        CHECK_MESSAGE_HAS(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, ints[i].field);
        CHECK(model == NULL, "bad %s = %lld: handle not NULL", ints[i].field, (long long)ints[i].value);
    }
    const float dropouts[] = {-0.1f, 1.0f, 1.5f, NAN, INFINITY};
    for (size_t i = 0; i < sizeof dropouts / sizeof dropouts[0]; i++) {
        bad = config, bad.dropout = dropouts[i];
        CHECK_MESSAGE_HAS(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, "dropout");
    }
    bad = config, bad.kind = (attn_model_kind)9;
    EXPECT_FAIL_HANDLE(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, model);
    bad = tiny_config(ATTN_MODEL_RNN), bad.cell = (attn_rnn_cell)2;
    CHECK_MESSAGE_HAS(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, "cell");

    /* Sizes whose parameter count overflows or cannot be allocated: a bad field like any other. */
    bad = config, bad.n_embd = INT64_MAX - 1, bad.n_head = 1;
    EXPECT_FAIL_HANDLE(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, model);
    bad = config, bad.vocab_size = INT64_MAX / 2;
    EXPECT_FAIL_HANDLE(attn_model_init(&bad, NULL, &model), ATTN_ERR_INVALID_ARGUMENT, model);
    bad = config, bad.block_size = INT64_MAX;
    EXPECT_FAIL_HANDLE(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, model);
    bad = config, bad.n_layer = INT64_MAX;
    EXPECT_FAIL_HANDLE(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, model);

    /* Valid sizes whose weights need more memory than the machine has: refused up front. */
    bad = config, bad.n_embd = 65536, bad.n_head = 1, bad.n_layer = 1;
    EXPECT_FAIL_HANDLE(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_OUT_OF_MEMORY, model);

    /* struct_size. */
    bad = config, bad.struct_size = 0;
    EXPECT_FAIL_HANDLE(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, model);
    bad = config, bad.struct_size = sizeof bad - 1;
    EXPECT_FAIL_HANDLE(attn_model_init(&bad, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, model);
    struct { attn_model_config base; int64_t future; } newer = {config, 0};
    newer.base.struct_size = sizeof newer;
    EXPECT_OK(attn_model_init(&newer.base, tokenizer, &model));
    attn_model_free(model);
    newer.future = 1;
    EXPECT_FAIL_HANDLE(attn_model_init(&newer.base, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, model);
    newer.future = 0, newer.base.struct_size = (size_t)1 << 40;
    EXPECT_FAIL_HANDLE(attn_model_init(&newer.base, tokenizer, &model), ATTN_ERR_INVALID_ARGUMENT, model);
    attn_model_free(NULL);
    attn_tokenizer_free(tokenizer);
}

static void test_model_queries(void) {
    attn_tokenizer_t *tokenizer = corpus_tokenizer();
    int64_t V = vocab_size_of(tokenizer);
    attn_model_config config = tiny_config(ATTN_MODEL_GPT);
    config.dropout = 0.1f;
    attn_model_t *gpt = NULL, *bare = bare_model();
    EXPECT_OK(attn_model_init(&config, tokenizer, &gpt));

    /* nanoGPT's count: wte V·C, wpe T·C, per layer two layer norms (2C each), c_attn C·3C + 3C,
     * c_proj C·C + C, mlp C·4C + 4C and 4C·C + C; ln_f 2C; the head is tied to wte. */
    int64_t C = config.n_embd, T = config.block_size, L = config.n_layer;
    int64_t per_layer = 2 * (2 * C) + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C);
    int64_t expected = V * C + T * C + L * per_layer + 2 * C;
    int64_t count = -1;
    EXPECT_OK(attn_model_get_parameter_count(gpt, &count));
    CHECK(count == expected, "gpt has %lld parameters, expected %lld", (long long)count, (long long)expected);
    EXPECT_OK(attn_model_get_parameter_count(bare, &count));
    CHECK(count == 10 * C + T * C + L * per_layer + 2 * C, "bare gpt has %lld", (long long)count);
    EXPECT_FAIL(attn_model_get_parameter_count(NULL, &count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_model_get_parameter_count(gpt, NULL), ATTN_ERR_NULL_POINTER);
    /* The deprecated names of ABI 2's first release answer the same, and report their own name. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
    int64_t alias_count = -1, vocabulary = -1, alias_vocabulary = -2;
    EXPECT_OK(attn_model_parameter_count(gpt, &alias_count));
    CHECK(alias_count == expected, "attn_model_parameter_count gives %lld", (long long)alias_count);
    CHECK_FAILS(attn_model_parameter_count(NULL, &alias_count), ATTN_ERR_NULL_POINTER);
    CHECK(mentions(attn_last_error(), "attn_model_parameter_count"), "the alias names itself: %s", attn_last_error());
    attn_tokenizer_t *vocabulary_source = NULL;
    EXPECT_OK(attn_model_get_tokenizer(gpt, &vocabulary_source));
    EXPECT_OK(attn_tokenizer_get_vocab_size(vocabulary_source, &vocabulary));
    EXPECT_OK(attn_tokenizer_vocab_size(vocabulary_source, &alias_vocabulary));
    CHECK(vocabulary == alias_vocabulary && vocabulary == V, "vocabulary %lld, alias %lld", (long long)vocabulary,
          (long long)alias_vocabulary);
    attn_tokenizer_free(vocabulary_source);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
    attn_model_kind kinds[3] = {ATTN_MODEL_SEQ2SEQ, ATTN_MODEL_RNN, ATTN_MODEL_CNN};
    for (int i = 0; i < 3; i++) {
        attn_model_t *other = tiny_model(kinds[i], tokenizer);
        EXPECT_OK(attn_model_get_parameter_count(other, &count));
        CHECK(count > V * C, "kind %d has %lld parameters", (int)kinds[i], (long long)count);
        attn_model_free(other);
    }

    /* get_config: what init was given, vocab_size filled in, unused fields 0. */
    attn_model_config back;
    memset(&back, 0x5A, sizeof back);
    back.struct_size = sizeof back;
    EXPECT_OK(attn_model_get_config(gpt, &back));
    attn_model_config want = config;
    want.vocab_size = V;
    want.n_decoder_layer = want.max_source_length = want.max_target_length = 0;
    want.hidden_size = want.kernel_size = 0, want.cell = (attn_rnn_cell)0;
    CHECK(back.struct_size == sizeof back && back.kind == want.kind && back.vocab_size == want.vocab_size &&
          back.n_layer == want.n_layer && back.n_decoder_layer == 0 && back.n_head == want.n_head &&
          back.n_embd == want.n_embd && back.block_size == want.block_size && back.max_source_length == 0 &&
          back.max_target_length == 0 && back.hidden_size == 0 && back.cell == 0 && back.kernel_size == 0 &&
          back.dropout == want.dropout && back.seed == 0 /* documented: only init uses it */,
          "get_config: kind %d V %lld L %lld DL %lld NH %lld C %lld T %lld S %lld A %lld H %lld cell %d "
          "K %lld dropout %g seed %llu", (int)back.kind, (long long)back.vocab_size, (long long)back.n_layer,
          (long long)back.n_decoder_layer, (long long)back.n_head, (long long)back.n_embd,
          (long long)back.block_size, (long long)back.max_source_length, (long long)back.max_target_length,
          (long long)back.hidden_size, (int)back.cell, (long long)back.kernel_size, back.dropout,
          (unsigned long long)back.seed);
    /* It can make the same model again: same seed, same weights. */
    back.seed = config.seed;
    attn_model_t *again = NULL;
    EXPECT_OK(attn_model_init(&back, tokenizer, &again));
    int64_t n1, n2;
    float *l1 = fixed_logits(gpt, V, &n1), *l2 = fixed_logits(again, V, &n2);
    CHECK(n1 == n2 && memcmp(l1, l2, (size_t)n1 * sizeof(float)) == 0, "get_config -> init: other weights");
    free(l1), free(l2);
    attn_model_free(again);
    EXPECT_FAIL(attn_model_get_config(NULL, &back), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_model_get_config(gpt, NULL), ATTN_ERR_NULL_POINTER);
    back.struct_size = sizeof back - 1;
    EXPECT_FAIL(attn_model_get_config(gpt, &back), ATTN_ERR_INVALID_ARGUMENT);
    back.struct_size = 0;
    EXPECT_FAIL(attn_model_get_config(gpt, &back), ATTN_ERR_INVALID_ARGUMENT);

    /* Every kind: get_config gives back what init used, fields the kind ignores set to 0. */
    attn_model_config every_kind[6] = {tiny_config(ATTN_MODEL_GPT), tiny_config(ATTN_MODEL_SEQ2SEQ),
                                  tiny_config(ATTN_MODEL_RNN), tiny_config(ATTN_MODEL_RNN),
                                  tiny_config(ATTN_MODEL_CNN), tiny_config(ATTN_MODEL_BERT)};
    every_kind[3].cell = ATTN_CELL_LSTM;
    for (int k = 0; k < 6; k++) {
        attn_model_t *made = NULL;
        /* Values in the fields the kind does not use, which init must ignore. */
        attn_model_config given = every_kind[k], want = every_kind[k];
        given.n_decoder_layer = given.n_decoder_layer ? given.n_decoder_layer : 7;
        given.max_source_length = given.max_source_length ? given.max_source_length : 7;
        given.max_target_length = given.max_target_length ? given.max_target_length : 7;
        given.hidden_size = given.hidden_size ? given.hidden_size : 7;
        given.kernel_size = given.kernel_size ? given.kernel_size : 7;
        given.n_head = given.n_head ? given.n_head : 7;
        given.block_size = given.block_size ? given.block_size : 7;
        want.vocab_size = V;
        switch (want.kind) {
        case ATTN_MODEL_GPT:
            want.n_decoder_layer = want.max_source_length = want.max_target_length = 0;
            want.hidden_size = want.kernel_size = 0, want.cell = ATTN_CELL_GRU;
            break;
        case ATTN_MODEL_SEQ2SEQ:
            want.block_size = want.hidden_size = want.kernel_size = 0, want.cell = ATTN_CELL_GRU;
            break;
        case ATTN_MODEL_RNN:
            want.n_decoder_layer = want.n_head = want.max_source_length = want.max_target_length = 0;
            want.kernel_size = 0, want.dropout = 0;
            break;
        case ATTN_MODEL_CNN:
            want.n_decoder_layer = want.n_head = want.max_source_length = want.max_target_length = 0;
            want.hidden_size = 0, want.cell = ATTN_CELL_GRU, want.dropout = 0;
            break;
        case ATTN_MODEL_BERT:
            want.n_decoder_layer = want.max_source_length = want.max_target_length = 0;
            want.hidden_size = want.kernel_size = 0, want.cell = ATTN_CELL_GRU, want.dropout = 0;
            break;
        }
        EXPECT_OK(attn_model_init(&given, tokenizer, &made));
        attn_model_config got;
        memset(&got, 0x5A, sizeof got);
        got.struct_size = sizeof got;
        EXPECT_OK(attn_model_get_config(made, &got));
        want.seed = 0; /* reported as 0 */
        CHECK(config_difference(&got, &want)[0] == '\0', "kind %d cell %d: get_config differs in %s", (int)want.kind,
              (int)want.cell, config_difference(&got, &want));
        attn_model_free(made);
    }

    /* get_tokenizer: a copy that encodes the same, independent of the model's lifetime. */
    attn_tokenizer_t *copy = NULL;
    EXPECT_OK(attn_model_get_tokenizer(gpt, &copy));
    CHECK(copy != NULL && copy != tokenizer && vocab_size_of(copy) == V, "tokenizer copy");
    EXPECT_FAIL_HANDLE(attn_model_get_tokenizer(bare, &copy), ATTN_ERR_INVALID_ARGUMENT, copy);
    EXPECT_FAIL_HANDLE(attn_model_get_tokenizer(NULL, &copy), ATTN_ERR_NULL_POINTER, copy);
    EXPECT_FAIL(attn_model_get_tokenizer(gpt, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_OK(attn_model_get_tokenizer(gpt, &copy));
    attn_model_free(gpt);
    int64_t ids = 0;
    EXPECT_OK(attn_tokenizer_encode(copy, "道可道", strlen("道可道"), NULL, 0, &ids));
    CHECK(ids == 3, "the copy outlives the model");
    attn_tokenizer_free(copy);
    attn_model_free(bare);
    attn_tokenizer_free(tokenizer);
}

static void test_forward(void) {
    attn_tokenizer_t *tokenizer = corpus_tokenizer();
    int64_t V = vocab_size_of(tokenizer);
    attn_model_t *models[3] = {tiny_model(ATTN_MODEL_GPT, tokenizer), tiny_model(ATTN_MODEL_RNN, tokenizer),
                               tiny_model(ATTN_MODEL_CNN, tokenizer)};
    attn_model_t *seq2seq = tiny_model(ATTN_MODEL_SEQ2SEQ, tokenizer);
    int32_t tokens[2 * 17];
    for (int i = 0; i < 34; i++) tokens[i] = (int32_t)(4 + i);
    size_t logits_count = (size_t)(2 * 17 * V);
    float *logits = malloc(logits_count * sizeof(float));

    for (int m = 0; m < 3; m++) {
        attn_model_t *model = models[m];
        /* Real logits: finite, and the rows of different positions differ. */
        for (size_t i = 0; i < logits_count; i++) logits[i] = NAN;
        EXPECT_OK(attn_model_forward(model, tokens, 2, 16, logits, 2 * 16 * V));
        int finite = 1;
        for (int64_t i = 0; i < 2 * 16 * V; i++) finite &= isfinite(logits[i]) != 0;
        CHECK(finite, "model %d: non-finite logits", m);
        CHECK(memcmp(logits, logits + V, (size_t)V * sizeof(float)) != 0, "model %d: rows equal", m);
        /* Causal: the first position's logits do not depend on later tokens. */
        float *first = malloc((size_t)V * sizeof(float));
        memcpy(first, logits, (size_t)V * sizeof(float));
        int32_t changed[16];
        memcpy(changed, tokens, sizeof changed);
        changed[5] = 99;
        EXPECT_OK(attn_model_forward(model, changed, 1, 16, logits, 16 * V));
        CHECK(memcmp(first, logits, (size_t)V * sizeof(float)) == 0, "model %d: not causal", m);
        free(first);

        EXPECT_FAIL(attn_model_forward(NULL, tokens, 1, 4, logits, 4 * V), ATTN_ERR_NULL_POINTER);
        EXPECT_FAIL(attn_model_forward(model, NULL, 1, 4, logits, 4 * V), ATTN_ERR_NULL_POINTER);
        EXPECT_FAIL(attn_model_forward(model, tokens, 1, 4, NULL, 4 * V), ATTN_ERR_NULL_POINTER);
        /* An empty batch is an empty result (the header bounds time, not batch). */
        EXPECT_OK(attn_model_forward(model, tokens, 0, 4, logits, 0));
        EXPECT_FAIL(attn_model_forward(model, tokens, -1, 4, logits, 4 * V), ATTN_ERR_SHAPE);
        EXPECT_FAIL(attn_model_forward(model, tokens, 1, 0, logits, 4 * V), ATTN_ERR_SHAPE);
        EXPECT_FAIL(attn_model_forward(model, tokens, 1, -4, logits, 4 * V), ATTN_ERR_SHAPE);
        EXPECT_FAIL(attn_model_forward(model, tokens, 1, 17 /* > block_size */, logits, 17 * V), ATTN_ERR_SHAPE);
        EXPECT_FAIL(attn_model_forward(model, tokens, 1, 4, logits, 4 * V - 1), ATTN_ERR_SHAPE);
        EXPECT_FAIL(attn_model_forward(model, tokens, 1, 4, logits, -1), ATTN_ERR_SHAPE);
        /* batch·time and batch·time·V that overflow int64, with a buffer claimed to be huge. */
        EXPECT_FAIL(attn_model_forward(model, tokens, INT64_MAX, 2, logits, INT64_MAX), ATTN_ERR_SHAPE);
        EXPECT_FAIL(attn_model_forward(model, tokens, INT64_MAX / 2, 2, logits, INT64_MAX), ATTN_ERR_SHAPE);
        EXPECT_FAIL(attn_model_forward(model, tokens, INT64_MAX / 16, 16, logits, INT64_MAX), ATTN_ERR_SHAPE);
        const int32_t bad_ids[] = {-1, (int32_t)V, INT32_MAX, INT32_MIN};
        for (int i = 0; i < 4; i++) {
            int32_t bad[4] = {4, 5, bad_ids[i], 6};
            EXPECT_FAIL(attn_model_forward(model, bad, 1, 4, logits, 4 * V), ATTN_ERR_INVALID_ARGUMENT);
        }
    }
    /* A seq2seq model is not a language model. */
    EXPECT_FAIL(attn_model_forward(seq2seq, tokens, 1, 4, logits, 4 * V), ATTN_ERR_INVALID_ARGUMENT);
    for (int m = 0; m < 3; m++) attn_model_free(models[m]);
    attn_model_free(seq2seq);
    attn_tokenizer_free(tokenizer);
    free(logits);
}

/* ---------------------------------------------------------------------------------------- */
/* Checkpoints                                                                              */
/* ---------------------------------------------------------------------------------------- */

static void test_save_load(void) {
    attn_tokenizer_t *tokenizer = corpus_tokenizer();
    int64_t V = vocab_size_of(tokenizer);
    attn_model_config configs[5] = {tiny_config(ATTN_MODEL_GPT), tiny_config(ATTN_MODEL_RNN),
                                    tiny_config(ATTN_MODEL_RNN), tiny_config(ATTN_MODEL_CNN),
                                    tiny_config(ATTN_MODEL_SEQ2SEQ)};
    configs[2].cell = ATTN_CELL_LSTM;
    attn_model_kind kinds[5];
    for (int k = 0; k < 5; k++) {
        kinds[k] = configs[k].kind;
        attn_model_t *model = NULL, *from_file = NULL, *from_memory = NULL;
        CHECK_OK(attn_model_init(&configs[k], tokenizer, &model));
        const char *path = scratch_path("model.safetensors");
        EXPECT_OK(attn_model_save(model, path));
        size_t file_size = 0, size = 0;
        unsigned char *file = read_file(path, &file_size);
        EXPECT_OK(attn_model_save_memory(model, NULL, 0, &size));
        CHECK(file != NULL && size == file_size && size > 100, "kind %d: save_memory %zu, file %zu",
              (int)kinds[k], size, file_size);
        unsigned char *memory = malloc(size + 16);
        memset(memory, 0xAB, size + 16);
        EXPECT_OK(attn_model_save_memory(model, memory, size + 16, &size));
        CHECK(file != NULL && size == file_size && memcmp(memory, file, size) == 0 && memory[size] == 0xAB,
              "kind %d: save_memory bytes differ from the file", (int)kinds[k]);
        /* Too small a buffer: ATTN_ERR_SHAPE with the size, nothing written. */
        unsigned char *small = malloc(size);
        memset(small, 0xCD, size);
        size_t reported = 0;
        EXPECT_FAIL(attn_model_save_memory(model, small, size - 1, &reported), ATTN_ERR_SHAPE);
        CHECK(reported == size, "too small: reported %zu of %zu", reported, size);
        int untouched = 1;
        for (size_t i = 0; i < size; i++) untouched &= small[i] == 0xCD;
        CHECK(untouched, "save_memory wrote into a too small buffer");
        EXPECT_FAIL(attn_model_save_memory(model, small, 0, &reported), ATTN_ERR_SHAPE);
        EXPECT_OK(attn_model_save_memory(model, small, SIZE_MAX, &reported)); /* only an upper bound */
        CHECK(reported == size && memcmp(small, file, size) == 0, "save_memory with SIZE_MAX capacity");
        free(small);

        EXPECT_OK(attn_model_load(path, &from_file));
        EXPECT_OK(attn_model_load_memory(memory, size, &from_memory));
        memset(memory, 0, size); /* the library copied it */
        attn_model_config a = {.struct_size = sizeof a}, b = {.struct_size = sizeof b};
        EXPECT_OK(attn_model_get_config(model, &a));
        EXPECT_OK(attn_model_get_config(from_memory, &b));
        CHECK(memcmp(&a, &b, sizeof a) == 0, "kind %d: config changed by save/load", (int)kinds[k]);
        attn_tokenizer_t *loaded_tokenizer = NULL;
        EXPECT_OK(attn_model_get_tokenizer(from_file, &loaded_tokenizer));
        CHECK(vocab_size_of(loaded_tokenizer) == V, "kind %d: vocabulary lost", (int)kinds[k]);
        attn_tokenizer_free(loaded_tokenizer);
        if (kinds[k] == ATTN_MODEL_SEQ2SEQ) {
            /* Same greedy answer and the same attention maps, bitwise. */
            attn_context_t *before = NULL, *after = NULL;
            attn_generate_config greedy = {.struct_size = sizeof greedy};
            CHECK_OK(attn_generate_config_default(&greedy));
            greedy.temperature = 0, greedy.max_new_tokens = 8;
            CHECK_OK(attn_context_init(model, &before));
            CHECK_OK(attn_context_init(from_memory, &after));
            const char *question = "道可道", *a1 = NULL, *a2 = NULL;
            size_t n1 = 0, n2 = 0;
            EXPECT_OK(attn_context_answer(before, question, strlen(question), &greedy, &a1, &n1));
            EXPECT_OK(attn_context_answer(after, question, strlen(question), &greedy, &a2, &n2));
            CHECK(n1 == n2 && a1 && a2 && memcmp(a1, a2, n1) == 0, "seq2seq answers differ after loading");
            const attn_attention_map *m1 = NULL, *m2 = NULL;
            int64_t c1 = 0, c2 = 0;
            EXPECT_OK(attn_context_attention(before, question, strlen(question), "", 0, &m1, &c1));
            EXPECT_OK(attn_context_attention(after, question, strlen(question), "", 0, &m2, &c2));
            int same = c1 == c2 && c1 == 3;
            for (int64_t i = 0; same && i < c1; i++) {
                /* An empty answer: the decoder reads BOS alone. */
                int64_t rows = m1[i].kind == ATTN_ATTENTION_ENCODER ? 3 : 1;
                same = m1[i].query_len == rows && m2[i].query_len == rows && m1[i].key_len == m2[i].key_len &&
                       memcmp(m1[i].weights, m2[i].weights,
                              (size_t)(m1[i].heads * rows * m1[i].key_len) * sizeof(float)) == 0;
            }
            CHECK(same, "seq2seq maps over an empty answer differ or have the wrong shape (%lld maps)",
                  (long long)c1);
            attn_context_free(before), attn_context_free(after);
        } else {
            int64_t n0, n1, n2;
            float *l0 = fixed_logits(model, V, &n0), *l1 = fixed_logits(from_file, V, &n1),
                  *l2 = fixed_logits(from_memory, V, &n2);
            CHECK(memcmp(l0, l1, (size_t)n0 * sizeof(float)) == 0, "kind %d: file logits differ", (int)kinds[k]);
            CHECK(memcmp(l0, l2, (size_t)n0 * sizeof(float)) == 0, "kind %d: memory logits differ", (int)kinds[k]);
            free(l0), free(l1), free(l2);
        }
        /* Saving a loaded model gives the same bytes. */
        size_t again = 0;
        unsigned char *resaved = malloc(file_size);
        EXPECT_OK(attn_model_save_memory(from_file, resaved, file_size, &again));
        CHECK(again == file_size && memcmp(resaved, file, file_size) == 0, "kind %d: resave differs", (int)kinds[k]);
        free(resaved), free(memory), free(file);
        attn_model_free(model), attn_model_free(from_file), attn_model_free(from_memory);
    }

    /* Argument errors. */
    attn_model_t *model = tiny_model(ATTN_MODEL_GPT, tokenizer), *out;
    size_t size;
    unsigned char buffer[64];
    EXPECT_FAIL(attn_model_save(NULL, scratch_path("x.safetensors")), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_model_save(model, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL_EITHER(attn_model_save(model, ""), ATTN_ERR_IO, ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_model_save_memory(NULL, NULL, 0, &size), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_model_save_memory(model, NULL, 0, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_model_save_memory(model, NULL, 64, &size), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL_HANDLE(attn_model_load(NULL, &out), ATTN_ERR_NULL_POINTER, out);
    EXPECT_FAIL(attn_model_load(scratch_path("model.safetensors"), NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL_HANDLE(attn_model_load_memory(NULL, 10, &out), ATTN_ERR_NULL_POINTER, out);
    EXPECT_FAIL(attn_model_load_memory(buffer, sizeof buffer, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL_HANDLE(attn_model_load_memory(buffer, SIZE_MAX, &out), ATTN_ERR_SHAPE, out);
    EXPECT_FAIL_HANDLE(attn_model_load_memory(buffer, (size_t)INT64_MAX + 1, &out), ATTN_ERR_SHAPE, out);
    /* An empty buffer is a malformed checkpoint (NULL is allowed for an empty buffer by the
     * kernels' rule, so both statuses are defensible there). */
    EXPECT_FAIL_HANDLE(attn_model_load_memory(buffer, 0, &out), ATTN_ERR_FORMAT, out);
    EXPECT_FAIL_EITHER(attn_model_load_memory(NULL, 0, &out), ATTN_ERR_FORMAT, ATTN_ERR_NULL_POINTER);

    /* Atomic saves: a missing directory fails and creates nothing. */
    EXPECT_FAIL(attn_model_save(model, scratch_path("no/such/dir/m.safetensors")), ATTN_ERR_IO);
    struct stat info;
    CHECK(stat(scratch_path("no"), &info) != 0, "a failed save created a directory");
    /* A directory as the path: fails, the directory and what it holds are untouched. */
    const char *directory = scratch_path("a-directory");
    mkdir(directory, 0755);
    char inside[600];
    snprintf(inside, sizeof inside, "%s/keep", directory);
    write_file(inside, "keep", 4);
    EXPECT_FAIL(attn_model_save(model, directory), ATTN_ERR_IO);
    size_t kept_size = 0;
    unsigned char *kept = read_file(inside, &kept_size);
    CHECK(kept && kept_size == 4 && memcmp(kept, "keep", 4) == 0, "the directory's file changed");
    CHECK(count_directory_entries(directory) == 1, "the directory gained entries");
    free(kept);
    /* A write that fails half-way (the file size limit) leaves an existing file as it was and no
     * temporary file behind. */
    const char *precious = scratch_path("atomic/precious.safetensors");
    mkdir(scratch_path("atomic"), 0755);
    write_file(precious, "precious", 8);
    struct rlimit old_limit, limit;
    getrlimit(RLIMIT_FSIZE, &old_limit);
    limit = old_limit;
    limit.rlim_cur = 512;
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &limit) == 0) {
        EXPECT_FAIL(attn_model_save(model, precious), ATTN_ERR_IO);
        setrlimit(RLIMIT_FSIZE, &old_limit);
        kept = read_file(precious, &kept_size);
        CHECK(kept && kept_size == 8 && memcmp(kept, "precious", 8) == 0, "a failed save changed the file");
        CHECK(count_directory_entries(scratch_path("atomic")) == 1, "a failed save left a temporary file");
        free(kept);
    }
    /* And a successful save replaces it whole. */
    EXPECT_OK(attn_model_save(model, precious));
    EXPECT_OK(attn_model_save_memory(model, NULL, 0, &size));
    kept = read_file(precious, &kept_size);
    CHECK(kept_size == size, "overwrite: %zu bytes, expected %zu", kept_size, size);
    free(kept);
    attn_model_free(model);
    attn_tokenizer_free(tokenizer);
}

static uint64_t bytes_state = 0x2545F4914F6CDD1Dull;
static unsigned char random_byte(void) {
    bytes_state ^= bytes_state << 13, bytes_state ^= bytes_state >> 7, bytes_state ^= bytes_state << 17;
    return (unsigned char)(bytes_state >> 32);
}

static void test_corrupt_checkpoints(void) {
    attn_tokenizer_t *tokenizer = corpus_tokenizer();
    attn_model_t *model = tiny_model(ATTN_MODEL_GPT, tokenizer), *out;
    size_t size = 0;
    EXPECT_OK(attn_model_save_memory(model, NULL, 0, &size));
    unsigned char *good = malloc(size), *bad = malloc(size);
    EXPECT_OK(attn_model_save_memory(model, good, size, &size));
    uint64_t header_length = 0;
    for (int i = 7; i >= 0; i--) header_length = header_length << 8 | good[i];
    CHECK(header_length > 2 && header_length + 8 < size && good[8] == '{', "safetensors header %llu",
          (unsigned long long)header_length);
    size_t data_start = (size_t)header_length + 8;

    /* Files: missing, a directory, empty, random bytes, truncated. */
    EXPECT_FAIL_HANDLE(attn_model_load(scratch_path("missing.safetensors"), &out), ATTN_ERR_IO, out);
    EXPECT_FAIL_HANDLE(attn_model_load(scratch, &out), ATTN_ERR_IO, out);
    EXPECT_FAIL_HANDLE(attn_model_load("", &out), ATTN_ERR_IO, out);
    write_file(scratch_path("empty.safetensors"), "", 0);
    EXPECT_FAIL_HANDLE(attn_model_load(scratch_path("empty.safetensors"), &out), ATTN_ERR_FORMAT, out);
    unsigned char noise[4096];
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = random_byte();
    write_file(scratch_path("noise.safetensors"), noise, sizeof noise);
    EXPECT_FAIL_HANDLE(attn_model_load(scratch_path("noise.safetensors"), &out), ATTN_ERR_FORMAT, out);
    EXPECT_FAIL_HANDLE(attn_model_load_memory(noise, sizeof noise, &out), ATTN_ERR_FORMAT, out);
    write_file(scratch_path("half.safetensors"), good, size / 2);
    EXPECT_FAIL_HANDLE(attn_model_load(scratch_path("half.safetensors"), &out), ATTN_ERR_FORMAT, out);

    /* Truncated at many offsets: through the length, the header, its end, the data. */
    int truncations_failed = 0, truncations = 0;
    for (size_t cut = 0; cut < size; cut += (cut < data_start + 16 ? 1 : 997)) {
        truncations++;
        out = (void *)&sentinel;
        attn_status status = attn_model_load_memory(good, cut, &out);
        if (status != ATTN_ERR_FORMAT || out != NULL || attn_last_error()[0] == '\0') {
            if (truncations_failed++ < 5)
                fprintf(stderr, "truncated at %zu of %zu: status %d (%s)\n", cut, size, (int)status,
                        attn_last_error());
            if (status == ATTN_OK) attn_model_free(out);
        }
    }
    CHECK(truncations_failed == 0, "%d of %d truncations not ATTN_ERR_FORMAT", truncations_failed, truncations);
    /* Trailing bytes after the data. */
    unsigned char *longer = malloc(size + 1);
    memcpy(longer, good, size);
    longer[size] = 0;
    EXPECT_FAIL_HANDLE(attn_model_load_memory(longer, size + 1, &out), ATTN_ERR_FORMAT, out);
    free(longer);

    /* One header byte flipped (all bits), at every header position: never loads. */
    int flips_failed = 0, flips = 0;
    for (size_t at = 0; at < data_start; at++) {
        memcpy(bad, good, size);
        bad[at] ^= 0xFF;
        flips++;
        out = (void *)&sentinel;
        attn_status status = attn_model_load_memory(bad, size, &out);
        if (status != ATTN_ERR_FORMAT || out != NULL || attn_last_error()[0] == '\0') {
            if (flips_failed++ < 5)
                fprintf(stderr, "header byte %zu ('%c') flipped: status %d (%s)\n", at,
                        good[at] >= 32 && good[at] < 127 ? good[at] : '?', (int)status, attn_last_error());
            if (status == ATTN_OK) attn_model_free(out);
        }
    }
    CHECK(flips_failed == 0, "%d of %d header flips not ATTN_ERR_FORMAT", flips_failed, flips);
    memcpy(bad, good, size);
    bad[4] ^= 0xFF;
    write_file(scratch_path("flipped.safetensors"), bad, size);
    EXPECT_FAIL_HANDLE(attn_model_load(scratch_path("flipped.safetensors"), &out), ATTN_ERR_FORMAT, out);

    /* Headers that are valid safetensors but not a libattention checkpoint. */
    const char *headers[] = {
        "{}",
        "{\"__metadata__\":{}}",
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}",
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551615]}}",
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
        "[1,2,3]",
        "{\"a\":",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        size_t n = strlen(headers[i]);
        unsigned char file[256] = {0};
        for (int b = 0; b < 8; b++) file[b] = (unsigned char)(n >> (8 * b));
        memcpy(file + 8, headers[i], n);
        EXPECT_FAIL_HANDLE(attn_model_load_memory(file, 8 + n + 4, &out), ATTN_ERR_FORMAT, out);
    }
    /* A header length of 2^64 - 1. */
    memcpy(bad, good, size);
    memset(bad, 0xFF, 8);
    EXPECT_FAIL_HANDLE(attn_model_load_memory(bad, size, &out), ATTN_ERR_FORMAT, out);

    /* A checkpoint read after all that still loads. */
    EXPECT_OK(attn_model_load_memory(good, size, &out));
    attn_model_free(out);
    free(good), free(bad);
    attn_model_free(model);
    attn_tokenizer_free(tokenizer);
}

/* A copy of the checkpoint with the first `from` in its header replaced by `to` (same length,
 * so the header length stays right); NULL if the header does not hold `from`. */
static unsigned char *edit_header(const unsigned char *checkpoint, size_t size, size_t header_end, const char *from,
                                  const char *to) {
    size_t n = strlen(from);
    if (strlen(to) != n) return NULL;
    for (size_t at = 8; at + n <= header_end; at++)
        if (memcmp(checkpoint + at, from, n) == 0) {
            unsigned char *copy = malloc(size);
            memcpy(copy, checkpoint, size);
            memcpy(copy + at, to, n);
            return copy;
        }
    return NULL;
}

/* Well-formed safetensors whose libattention content contradicts itself: the config against the
 * tensors, the vocabulary against vocab_size, unknown kinds and versions. */
static void test_inconsistent_checkpoints(void) {
    attn_tokenizer_t *tokenizer = corpus_tokenizer();
    int64_t V = vocab_size_of(tokenizer);
    attn_model_t *model = tiny_model(ATTN_MODEL_GPT, tokenizer), *out;
    size_t size = 0;
    EXPECT_OK(attn_model_save_memory(model, NULL, 0, &size));
    unsigned char *good = malloc(size);
    EXPECT_OK(attn_model_save_memory(model, good, size, &size));
    uint64_t header_length = 0;
    for (int i = 7; i >= 0; i--) header_length = header_length << 8 | good[i];
    size_t header_end = (size_t)header_length + 8;
    char vocab_from[64], vocab_to[64], vocab_negative[64];
    snprintf(vocab_from, sizeof vocab_from, "\\\"vocab_size\\\":%lld", (long long)V);
    snprintf(vocab_to, sizeof vocab_to, "\\\"vocab_size\\\":%lld", (long long)V + 1);
    snprintf(vocab_negative, sizeof vocab_negative, "\\\"vocab_size\\\":-%lld", (long long)V / 10);

    const struct { const char *from, *to; } edits[] = {
        {"\\\"n_embd\\\":16", "\\\"n_embd\\\":17"},       /* tensor shapes disagree */
        {"\\\"n_embd\\\":16", "\\\"n_embd\\\":-6"},
        {"\\\"n_head\\\":2", "\\\"n_head\\\":3"},         /* does not divide n_embd */
        {"\\\"n_head\\\":2", "\\\"n_head\\\":0"},
        {"\\\"n_layer\\\":2", "\\\"n_layer\\\":3"},       /* layer 2 missing */
        {"\\\"n_layer\\\":2", "\\\"n_layer\\\":1"},       /* layer 1 left over */
        {"\\\"n_layer\\\":2", "\\\"n_layer\\\":0"},
        {"\\\"block_size\\\":16", "\\\"block_size\\\":17"}, /* wpe shape disagrees */
        {"\\\"block_size\\\":16", "\\\"block_size\\\":-1"},
        {vocab_from, vocab_to},                                 /* the vocabulary has V ids */
        {vocab_from, vocab_negative},
        {"\"model\":\"gpt\"", "\"model\":\"rnn\""},
        {"\"model\":\"gpt\"", "\"model\":\"xyz\""},
        {"\"format_version\":\"1\"", "\"format_version\":\"9\""},
        {"libattention-checkpoint", "libattention-checkpoinX"},
        {"\"config\":\"{", "\"config\":\"["},
        {"transformer.h.1.ln_2.weight", "transformer.h.1.ln_3.weight"}, /* unknown and missing */
        {"\"dtype\":\"F32\"", "\"dtype\":\"I32\""},
        {"\"dtype\":\"F32\"", "\"dtype\":\"F16\""},                   /* half the bytes */
        {"\"data_offsets\":[0,", "\"data_offsets\":[4,"},                  /* a gap, an overlap */
        {"、。", "、、"},                                                  /* a character twice */
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        unsigned char *edited = edit_header(good, size, header_end, edits[i].from, edits[i].to);
        CHECK(edited != NULL, "the checkpoint's header has no %s", edits[i].from);
        if (!edited) continue;
        out = (void *)&sentinel;
        attn_status status = attn_model_load_memory(edited, size, &out);
        CHECK(status == ATTN_ERR_FORMAT && out == NULL && attn_last_error()[0] != '\0',
              "%s -> %s: status %d (%s)", edits[i].from, edits[i].to, (int)status, attn_last_error());
        if (status == ATTN_OK) attn_model_free(out);
        check_message_cleared(edits[i].to);
        free(edited);
    }
    free(good);
    attn_model_free(model);
    attn_tokenizer_free(tokenizer);
}

/* ---------------------------------------------------------------------------------------- */
/* Training                                                                                 */
/* ---------------------------------------------------------------------------------------- */

static attn_train_config tiny_training(void) {
    attn_train_config config = {.struct_size = sizeof config};
    CHECK_OK(attn_train_config_default(&config));
    config.steps = 4, config.batch_size = 2, config.warmup_steps = 1;
    config.eval_interval = 2, config.eval_batches = 1;
    return config;
}

/* Windows of the corpus as (batch, time) inputs and targets. */
static void corpus_batch(const attn_tokenizer_t *tokenizer, int32_t *inputs, int32_t *targets,
                         int64_t batch, int64_t time) {
    int32_t ids[64];
    int64_t count;
    CHECK_OK(attn_tokenizer_encode(tokenizer, corpus, corpus_prefix(150), ids, 64, &count));
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < time; t++) {
            inputs[b * time + t] = ids[(b * 3 + t) % (count - 1)];
            targets[b * time + t] = ids[(b * 3 + t) % (count - 1) + 1];
        }
}

typedef struct { int calls; int64_t last_step; int stop_at; int bad; int evaluations; } progress_log;

static int record_progress(const attn_progress *p, void *user_data) {
    progress_log *log = user_data;
    log->calls++;
    if (p->struct_size < sizeof *p || p->step != log->last_step + 1 || !isfinite(p->loss) || p->loss <= 0 ||
        !(p->learning_rate >= 0) || !(p->tokens_per_second > 0))
        log->bad++;
    if (!isnan(p->validation_loss)) log->evaluations += isfinite(p->validation_loss) && p->validation_loss > 0;
    log->last_step = p->step;
    return log->stop_at != 0 && p->step >= log->stop_at;
}

/* Sums the steps attn_trainer_get_step reports from inside the progress callback. */
static attn_trainer_t *reentrant_trainer;
static int64_t reentrant_steps;
static int query_during_progress(const attn_progress *progress, void *user_data) {
    int64_t step = -1;
    (void)user_data;
    if (attn_trainer_get_step(reentrant_trainer, &step) == ATTN_OK && step == progress->step)
        reentrant_steps += step;
    return 0;
}

static void test_trainer_errors(void) {
    attn_tokenizer_t *tokenizer = dialogue_tokenizer();
    int64_t V = vocab_size_of(tokenizer);
    attn_model_t *gpt = tiny_model(ATTN_MODEL_GPT, tokenizer), *s2s = tiny_model(ATTN_MODEL_SEQ2SEQ, tokenizer);
    attn_model_t *bare = NULL;
    {
        attn_model_config config = tiny_config(ATTN_MODEL_SEQ2SEQ);
        config.vocab_size = V;
        CHECK_OK(attn_model_init(&config, NULL, &bare));
    }
    attn_train_config config = tiny_training(), bad;
    attn_trainer_t *trainer = NULL, *out;

    EXPECT_FAIL_HANDLE(attn_trainer_init(NULL, &config, &out), ATTN_ERR_NULL_POINTER, out);
    EXPECT_FAIL_HANDLE(attn_trainer_init(gpt, NULL, &out), ATTN_ERR_NULL_POINTER, out);
    EXPECT_FAIL(attn_trainer_init(gpt, &config, NULL), ATTN_ERR_NULL_POINTER);
    struct { const char *field; int64_t *slot; int64_t value; } ints[] = {
        {"steps", &bad.steps, 0}, {"steps", &bad.steps, -1}, {"batch_size", &bad.batch_size, 0},
        {"batch_size", &bad.batch_size, -4}, {"warmup_steps", &bad.warmup_steps, -1},
        {"eval_interval", &bad.eval_interval, -1}, {"eval_batches", &bad.eval_batches, 0},
        {"gradient_bucket_bytes", &bad.gradient_bucket_bytes, -1},
        {"gradient_bucket_bytes", &bad.gradient_bucket_bytes, INT64_MIN},
        {"gradient_bucket_bytes", &bad.gradient_bucket_bytes, (int64_t)1 << 41},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        bad = config, *ints[i].slot = ints[i].value;
        out = (void *)&sentinel;
        CHECK_MESSAGE_HAS(attn_trainer_init(gpt, &bad, &out), ATTN_ERR_INVALID_ARGUMENT, ints[i].field);
        CHECK(out == NULL, "bad %s: handle not NULL", ints[i].field);
    }
    struct { const char *field; float *slot; float value; } floats[] = {
        {"learning_rate", &bad.learning_rate, 0}, {"learning_rate", &bad.learning_rate, -1e-3f},
        {"learning_rate", &bad.learning_rate, NAN}, {"learning_rate", &bad.learning_rate, INFINITY},
        {"min_learning_rate", &bad.min_learning_rate, -1e-4f}, {"min_learning_rate", &bad.min_learning_rate, 1},
        {"min_learning_rate", &bad.min_learning_rate, NAN},
        {"weight_decay", &bad.weight_decay, -0.1f}, {"weight_decay", &bad.weight_decay, NAN},
        {"beta1", &bad.beta1, 1}, {"beta1", &bad.beta1, -0.1f}, {"beta1", &bad.beta1, NAN},
        {"beta2", &bad.beta2, 1}, {"beta2", &bad.beta2, 1.5f}, {"beta2", &bad.beta2, NAN},
        {"grad_clip", &bad.grad_clip, -1}, {"grad_clip", &bad.grad_clip, NAN},
        {"validation_fraction", &bad.validation_fraction, 0.6f},
        {"validation_fraction", &bad.validation_fraction, -0.1f},
        {"validation_fraction", &bad.validation_fraction, NAN},
    };
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        bad = config, *floats[i].slot = floats[i].value;
        out = (void *)&sentinel;
        CHECK_MESSAGE_HAS(attn_trainer_init(gpt, &bad, &out), ATTN_ERR_INVALID_ARGUMENT, floats[i].field);
        CHECK(out == NULL, "bad %s = %g: handle not NULL", floats[i].field, floats[i].value);
    }
    /* resume without a saved run. */
    bad = config, bad.resume = 1;
    EXPECT_FAIL_HANDLE(attn_trainer_init(gpt, &bad, &out), ATTN_ERR_INVALID_ARGUMENT, out);
    /* A bucket size sizes the overlapped sum only: with the overlap off it is a contradiction. */
    bad = config, bad.no_gradient_overlap = 1, bad.gradient_bucket_bytes = 4096;
    out = (void *)&sentinel;
    CHECK_MESSAGE_HAS(attn_trainer_init(gpt, &bad, &out), ATTN_ERR_INVALID_ARGUMENT, "no_gradient_overlap");
    CHECK(out == NULL, "bucket size with the overlap off: handle not NULL");
    /* Either setting alone is accepted (one process: nothing to sum, the settings are kept). */
    bad = config, bad.no_gradient_overlap = -7;
    EXPECT_OK(attn_trainer_init(gpt, &bad, &trainer));
    attn_trainer_free(trainer);
    bad = config, bad.gradient_bucket_bytes = 1;
    EXPECT_OK(attn_trainer_init(gpt, &bad, &trainer));
    attn_trainer_free(trainer);
    /* struct_size. */
    bad = config, bad.struct_size = sizeof bad - 1;
    EXPECT_FAIL_HANDLE(attn_trainer_init(gpt, &bad, &out), ATTN_ERR_INVALID_ARGUMENT, out);
    bad = config, bad.struct_size = 0;
    EXPECT_FAIL_HANDLE(attn_trainer_init(gpt, &bad, &out), ATTN_ERR_INVALID_ARGUMENT, out);
    struct { attn_train_config base; int64_t future; } newer = {config, 7};
    newer.base.struct_size = sizeof newer;
    EXPECT_FAIL_HANDLE(attn_trainer_init(gpt, &newer.base, &out), ATTN_ERR_INVALID_ARGUMENT, out);
    newer.future = 0;
    EXPECT_OK(attn_trainer_init(gpt, &newer.base, &trainer));
    attn_trainer_free(trainer);
    attn_trainer_free(NULL);
    /* An older header's config without `resume`: the bytes after its struct_size are not read
       (a 1 there would ask to resume a model that holds no training state, an error). */
    union { attn_train_config config; unsigned char bytes[sizeof(attn_train_config)]; } older;
    memset(older.bytes, 0, sizeof older.bytes);
    older.config = config;
    older.config.resume = 1;
    older.config.struct_size = offsetof(attn_train_config, resume);
    EXPECT_OK(attn_trainer_init(gpt, &older.config, &trainer));
    attn_trainer_free(trainer);
    /* The header before the gradient-sum fields (its sizeof ends where they begin): the bytes
       after it are not read (a bucket size with the overlap off there would be an error). */
    memset(older.bytes, 0, sizeof older.bytes);
    older.config = config;
    older.config.gradient_bucket_bytes = 4096, older.config.no_gradient_overlap = 1;
    older.config.struct_size = offsetof(attn_train_config, gradient_bucket_bytes);
    EXPECT_OK(attn_trainer_init(gpt, &older.config, &trainer));
    attn_trainer_free(trainer);

    /* Language-model steps. */
    EXPECT_OK(attn_trainer_init(gpt, &config, &trainer));
    int32_t inputs[2 * 17], targets[2 * 17];
    corpus_batch(tokenizer, inputs, targets, 2, 17);
    float loss = -1;
    EXPECT_FAIL(attn_trainer_step(NULL, inputs, targets, 2, 8, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_step(trainer, NULL, targets, 2, 8, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_step(trainer, inputs, NULL, 2, 8, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_step(trainer, inputs, targets, 0, 8, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step(trainer, inputs, targets, -2, 8, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step(trainer, inputs, targets, 2, 0, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step(trainer, inputs, targets, 2, -8, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step(trainer, inputs, targets, 2, 17 /* > block_size */, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step(trainer, inputs, targets, INT64_MAX, 2, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step(trainer, inputs, targets, INT64_MAX / 2, 16, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_evaluate(trainer, inputs, targets, INT64_MAX / 2, 16, &loss), ATTN_ERR_SHAPE);
    const int32_t bad_ids[] = {-1, (int32_t)V, INT32_MAX};
    for (int i = 0; i < 3; i++) {
        int32_t in[16], tg[16];
        memcpy(in, inputs, sizeof in), memcpy(tg, targets, sizeof tg);
        in[3] = bad_ids[i];
        EXPECT_FAIL(attn_trainer_step(trainer, in, tg, 2, 8, &loss), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_trainer_evaluate(trainer, in, tg, 2, 8, &loss), ATTN_ERR_INVALID_ARGUMENT);
        memcpy(in, inputs, sizeof in), tg[9] = bad_ids[i];
        EXPECT_FAIL(attn_trainer_step(trainer, in, tg, 2, 8, &loss), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_trainer_evaluate(trainer, in, tg, 2, 8, &loss), ATTN_ERR_INVALID_ARGUMENT);
    }
    /* A batch whose logits alone (batch·16·V floats) are four times the machine's memory: real
     * input buffers (a small fraction of it), refused before anything is allocated. */
    {
        double memory = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
        int64_t huge = (int64_t)(4 * memory / (4.0 * 16 * (double)V)) + 1;
        int32_t *many = malloc((size_t)(huge * 16) * sizeof *many);
        CHECK(many != NULL, "no memory for %lld ids", (long long)(huge * 16));
        if (many) {
            for (int64_t i = 0; i < huge * 16; i++) many[i] = 5;
            EXPECT_FAIL(attn_trainer_step(trainer, many, many, huge, 16, &loss), ATTN_ERR_OUT_OF_MEMORY);
            EXPECT_FAIL(attn_trainer_evaluate(trainer, many, many, huge, 16, &loss), ATTN_ERR_OUT_OF_MEMORY);
            free(many);
        }
    }
    int64_t step = -1;
    EXPECT_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == 0, "failed steps counted: %lld", (long long)step);
    EXPECT_FAIL(attn_trainer_evaluate(NULL, inputs, targets, 2, 8, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_evaluate(trainer, NULL, targets, 2, 8, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_evaluate(trainer, inputs, NULL, 2, 8, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_evaluate(trainer, inputs, targets, 0, 8, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_evaluate(trainer, inputs, targets, 2, 17, &loss), ATTN_ERR_SHAPE);
    /* Seq2seq calls on a language model. */
    int32_t q[2 * 4] = {10, 11, 0, 0, 12, 13, 14, 0}, a[2 * 3] = {15, 16, 0, 17, 0, 0};
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, 4, a, 3, 2, &loss), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_trainer_evaluate_seq2seq(trainer, q, 4, a, 3, 2, &loss), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_trainer_run_pairs(trainer, dialogue, dialogue_length), ATTN_ERR_INVALID_ARGUMENT);

    /* Learning rate, callback, step queries. */
    EXPECT_FAIL(attn_trainer_set_learning_rate(NULL, 1e-3f), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_set_learning_rate(trainer, NAN), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_trainer_set_learning_rate(trainer, INFINITY), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_trainer_set_learning_rate(trainer, -1e-3f), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_OK(attn_trainer_set_learning_rate(trainer, 0));
    EXPECT_FAIL(attn_trainer_set_progress_callback(NULL, record_progress, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_OK(attn_trainer_set_progress_callback(trainer, NULL, NULL));
    EXPECT_FAIL(attn_trainer_get_step(NULL, &step), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_get_step(trainer, NULL), ATTN_ERR_NULL_POINTER);
    /* A process not started by mpirun is rank 0 of 1 (docs/distributed.md). */
    int32_t rank = -1, size = -1;
    EXPECT_OK(attn_trainer_get_world(trainer, &rank, &size));
    CHECK(rank == 0 && size == 1, "world of a plain process: rank %d size %d", rank, size);
    EXPECT_FAIL(attn_trainer_get_world(NULL, &rank, &size), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_get_world(trainer, NULL, &size), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_get_world(trainer, &rank, NULL), ATTN_ERR_NULL_POINTER);

    /* run_tokens. */
    int32_t stream[64];
    for (int i = 0; i < 64; i++) stream[i] = inputs[i % 32];
    EXPECT_FAIL(attn_trainer_run_tokens(NULL, stream, 64), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_run_tokens(trainer, NULL, 64), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_run_tokens(trainer, stream, -1), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_run_tokens(trainer, stream, INT64_MAX), ATTN_ERR_SHAPE);
    /* A stream too short for one (input, target) pair: nothing to train on. */
    EXPECT_FAIL_EITHER(attn_trainer_run_tokens(trainer, stream, 1), ATTN_ERR_INVALID_ARGUMENT, ATTN_ERR_SHAPE);
    EXPECT_FAIL_EITHER(attn_trainer_run_tokens(trainer, stream, 0), ATTN_ERR_INVALID_ARGUMENT, ATTN_ERR_SHAPE);
    stream[40] = (int32_t)V;
    EXPECT_FAIL(attn_trainer_run_tokens(trainer, stream, 64), ATTN_ERR_INVALID_ARGUMENT);
    stream[40] = -1;
    EXPECT_FAIL(attn_trainer_run_tokens(trainer, stream, 64), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == 0, "failed runs counted steps: %lld", (long long)step);

    /* trainer_save. */
    EXPECT_FAIL(attn_trainer_save(NULL, scratch_path("t.safetensors")), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_save(trainer, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_save(trainer, scratch_path("no/such/dir/t.safetensors")), ATTN_ERR_IO);
    EXPECT_FAIL(attn_trainer_save(trainer, scratch), ATTN_ERR_IO);
    attn_trainer_free(trainer);

    /* Seq2seq trainer. */
    EXPECT_OK(attn_trainer_init(s2s, &config, &trainer));
    EXPECT_FAIL(attn_trainer_step(trainer, inputs, targets, 2, 8, &loss), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_trainer_evaluate(trainer, inputs, targets, 2, 8, &loss), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_trainer_run_tokens(trainer, stream, 32), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_trainer_step_seq2seq(NULL, q, 4, a, 3, 2, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, NULL, 4, a, 3, 2, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, 4, NULL, 3, 2, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, 0, a, 3, 2, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, -4, a, 3, 2, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, 4, a, 0, 2, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, 4, a, 3, 0, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, 4, a, 3, -2, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, 4, a, 3, INT64_MAX, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, INT64_MAX / 2, a, 3, 4, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_evaluate_seq2seq(trainer, q, 4, a, 3, INT64_MAX, &loss), ATTN_ERR_SHAPE);
    {
        /* Longer than the model takes: questions over max_source_length (16), answers whose
         * tokens + EOS exceed max_target_length (16). */
        int32_t long_q[17], long_a[16], short_a[1] = {20}, short_q[1] = {21};
        for (int i = 0; i < 17; i++) long_q[i] = 10 + i;
        for (int i = 0; i < 16; i++) long_a[i] = 10 + i;
        EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, long_q, 17, short_a, 1, 1, &loss), ATTN_ERR_SHAPE);
        EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, short_q, 1, long_a, 16, 1, &loss), ATTN_ERR_SHAPE);
        EXPECT_OK(attn_trainer_step_seq2seq(trainer, short_q, 1, long_a, 15, 1, &loss));
    }
    /* Rows of PAD only, PAD before a token, special or out-of-range ids. */
    int32_t pad_q[2 * 4] = {10, 11, 0, 0, 0, 0, 0, 0}, pad_a[2 * 3] = {15, 0, 0, 0, 0, 0};
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, pad_q, 4, a, 3, 2, &loss), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, 4, pad_a, 3, 2, &loss), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_trainer_evaluate_seq2seq(trainer, pad_q, 4, a, 3, 2, &loss), ATTN_ERR_INVALID_ARGUMENT);
    int32_t gap_q[2 * 4] = {10, 0, 11, 0, 12, 13, 14, 0};
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, gap_q, 4, a, 3, 2, &loss), ATTN_ERR_INVALID_ARGUMENT);
    for (int i = 0; i < 3; i++) {
        int32_t bq[8], ba[6];
        memcpy(bq, q, sizeof bq), memcpy(ba, a, sizeof ba);
        bq[1] = bad_ids[i];
        EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, bq, 4, a, 3, 2, &loss), ATTN_ERR_INVALID_ARGUMENT);
        ba[0] = bad_ids[i];
        EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, q, 4, ba, 3, 2, &loss), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_trainer_evaluate_seq2seq(trainer, q, 4, ba, 3, 2, &loss), ATTN_ERR_INVALID_ARGUMENT);
    }
    EXPECT_FAIL(attn_trainer_evaluate_seq2seq(NULL, q, 4, a, 3, 2, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_evaluate_seq2seq(trainer, NULL, 4, a, 3, 2, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_evaluate_seq2seq(trainer, q, 4, NULL, 3, 2, &loss), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_evaluate_seq2seq(trainer, q, 0, a, 3, 2, &loss), ATTN_ERR_SHAPE);

    /* run_pairs: NULL, invalid UTF-8, malformed lines, a huge length. */
    EXPECT_FAIL(attn_trainer_run_pairs(NULL, dialogue, dialogue_length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_run_pairs(trainer, NULL, dialogue_length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_trainer_run_pairs(trainer, dialogue, SIZE_MAX), ATTN_ERR_SHAPE);
    for (size_t i = 0; i < BAD_UTF8_COUNT; i++) {
        char tsv[64];
        memcpy(tsv, bad_utf8[i].bytes, bad_utf8[i].length);
        memcpy(tsv + bad_utf8[i].length, "\t1\n", 3);
        CHECK_MESSAGE_HAS(attn_trainer_run_pairs(trainer, tsv, bad_utf8[i].length + 3), ATTN_ERR_UTF8, "5");
    }
    const char *malformed[] = {"你好\n", "你好\t\n", "\t吃了。\n", "你好\t吃了\t再见\n", "你吃了吗？\t吃了。\n你好\n"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        EXPECT_FAIL(attn_trainer_run_pairs(trainer, malformed[i], strlen(malformed[i])), ATTN_ERR_FORMAT);
    /* An empty file has no pair to train on. */
    EXPECT_FAIL_EITHER(attn_trainer_run_pairs(trainer, "", 0), ATTN_ERR_FORMAT, ATTN_ERR_INVALID_ARGUMENT);
    attn_trainer_free(trainer);

    /* run_pairs needs the model's tokenizer. */
    EXPECT_OK(attn_trainer_init(bare, &config, &trainer));
    EXPECT_FAIL(attn_trainer_run_pairs(trainer, dialogue, dialogue_length), ATTN_ERR_INVALID_ARGUMENT);
    attn_trainer_free(trainer);

    attn_model_free(gpt), attn_model_free(s2s), attn_model_free(bare);
    attn_tokenizer_free(tokenizer);
}

static void test_trainer_results(void) {
    attn_tokenizer_t *tokenizer = dialogue_tokenizer();
    int64_t V = vocab_size_of(tokenizer);
    attn_model_config model_config = tiny_config(ATTN_MODEL_GPT);
    model_config.dropout = 0.1f; /* the saved random streams matter for an exact resume */
    attn_model_t *gpt = NULL;
    CHECK_OK(attn_model_init(&model_config, tokenizer, &gpt));
    attn_train_config config = tiny_training();
    attn_trainer_t *trainer = NULL;
    EXPECT_OK(attn_trainer_init(gpt, &config, &trainer));
    int32_t inputs[2 * 16], targets[2 * 16];
    corpus_batch(tokenizer, inputs, targets, 2, 16);

    /* evaluate leaves the weights alone; step changes them; the loss starts near ln V. */
    int64_t n;
    float *before = fixed_logits(gpt, V, &n);
    float loss = -1, evaluated = -1;
    EXPECT_OK(attn_trainer_evaluate(trainer, inputs, targets, 2, 16, &evaluated));
    /* The loss is evaluate's only result: it is required (unlike step's). */
    EXPECT_FAIL(attn_trainer_evaluate(trainer, inputs, targets, 2, 16, NULL), ATTN_ERR_NULL_POINTER);
    float *after = fixed_logits(gpt, V, &n);
    CHECK(memcmp(before, after, (size_t)n * sizeof(float)) == 0, "evaluate changed the weights");
    CHECK(fabsf(evaluated - logf((float)V)) < 1.0f, "initial loss %g, ln V %g", evaluated, logf((float)V));
    progress_log log = {0, 0, 0, 0, 0};
    EXPECT_OK(attn_trainer_set_progress_callback(trainer, record_progress, &log));
    EXPECT_OK(attn_trainer_step(trainer, inputs, targets, 2, 16, &loss));
    /* Dropout is on in the step, off in evaluate: close, not equal. */
    CHECK(isfinite(loss) && fabsf(loss - evaluated) < 0.5f, "step loss %g, evaluated %g", loss, evaluated);
    free(after);
    after = fixed_logits(gpt, V, &n);
    CHECK(memcmp(before, after, (size_t)n * sizeof(float)) != 0, "a step left the weights unchanged");
    CHECK(log.calls == 1 && log.last_step == 1 && log.bad == 0, "progress: %d calls, step %lld, %d bad",
          log.calls, (long long)log.last_step, log.bad);
    EXPECT_OK(attn_trainer_step(trainer, inputs, targets, 2, 16, NULL));
    int64_t step = 0;
    EXPECT_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == 2, "step %lld after two steps", (long long)step);
    /* A learning rate of 0 leaves the weights as they are. */
    EXPECT_OK(attn_trainer_set_learning_rate(trainer, 0));
    free(before);
    before = fixed_logits(gpt, V, &n);
    EXPECT_OK(attn_trainer_step(trainer, inputs, targets, 2, 16, &loss));
    free(after);
    after = fixed_logits(gpt, V, &n);
    CHECK(memcmp(before, after, (size_t)n * sizeof(float)) == 0, "lr 0 changed the weights");
    /* A learning rate so large that the weights overflow: the step after it has a non-finite
     * loss, fails, and leaves the weights as they were. */
    EXPECT_OK(attn_trainer_set_learning_rate(trainer, 1e30f));
    attn_status blown = ATTN_OK;
    for (int i = 0; i < 5 && blown == ATTN_OK; i++) {
        free(before);
        before = fixed_logits(gpt, V, &n);
        blown = attn_trainer_step(trainer, inputs, targets, 2, 16, &loss);
    }
    CHECK(blown == ATTN_ERR_INVALID_ARGUMENT && attn_last_error()[0] != '\0',
          "a step on overflowed weights returned %d (%s), loss %g", (int)blown, attn_last_error(), loss);
    free(after);
    after = malloc((size_t)n * sizeof(float));
    CHECK_OK(attn_model_forward(gpt, inputs, 2, 5, after, n));
    int same = 1;
    for (int64_t i = 0; i < n; i++) same &= before[i] == after[i] || (before[i] != before[i] && after[i] != after[i]);
    CHECK(same, "the failed step changed the weights");
    attn_trainer_free(trainer);
    free(before), free(after);

    /* A progress callback may call the library, the trainer's own queries included. */
    attn_model_t *other = NULL;
    CHECK_OK(attn_model_init(&model_config, tokenizer, &other));
    EXPECT_OK(attn_trainer_init(other, &config, &trainer));
    reentrant_trainer = trainer;
    reentrant_steps = 0;
    EXPECT_OK(attn_trainer_set_progress_callback(trainer, query_during_progress, NULL));
    EXPECT_OK(attn_trainer_step(trainer, inputs, targets, 2, 16, &loss));
    EXPECT_OK(attn_trainer_step(trainer, inputs, targets, 2, 16, &loss));
    CHECK(reentrant_steps == 3 /* 1 + 2 */, "get_step inside the callback saw %lld", (long long)reentrant_steps);
    attn_trainer_free(trainer);
    attn_model_free(other);

    /* run_tokens stopped by the callback, saved, and resumed: bitwise the uninterrupted run. */
    int32_t *stream;
    int64_t count;
    CHECK_OK(attn_tokenizer_encode(tokenizer, corpus, corpus_prefix(3000), NULL, 0, &count));
    stream = malloc((size_t)count * sizeof *stream);
    CHECK_OK(attn_tokenizer_encode(tokenizer, corpus, corpus_prefix(3000), stream, count, &count));
    attn_model_t *first = NULL;
    CHECK_OK(attn_model_init(&model_config, tokenizer, &first));
    EXPECT_OK(attn_trainer_init(first, &config, &trainer));
    progress_log stopped = {0, 0, 2, 0, 0};
    EXPECT_OK(attn_trainer_set_progress_callback(trainer, record_progress, &stopped));
    EXPECT_OK(attn_trainer_run_tokens(trainer, stream, count));
    CHECK(stopped.calls == 2 && stopped.bad == 0 && stopped.evaluations == 1,
          "stopped run: %d calls, %d bad, %d evaluations", stopped.calls, stopped.bad, stopped.evaluations);
    const char *path = scratch_path("run.safetensors");
    EXPECT_OK(attn_trainer_save(trainer, path));
    stopped.stop_at = 0;
    EXPECT_OK(attn_trainer_run_tokens(trainer, stream, count));
    EXPECT_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == 4 && stopped.calls == 4 && stopped.evaluations == 2, "continued run: step %lld, %d calls",
          (long long)step, stopped.calls);
    attn_trainer_free(trainer);

    attn_model_t *resumed = NULL;
    EXPECT_OK(attn_model_load(path, &resumed));
    attn_train_config again = config;
    again.resume = 1;
    EXPECT_OK(attn_trainer_init(resumed, &again, &trainer));
    EXPECT_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == 2, "resumed at step %lld", (long long)step);
    EXPECT_OK(attn_trainer_run_tokens(trainer, stream, count));
    EXPECT_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == 4, "resumed run ended at step %lld", (long long)step);
    attn_trainer_free(trainer);
    int64_t n1, n2;
    float *l1 = fixed_logits(first, V, &n1), *l2 = fixed_logits(resumed, V, &n2);
    CHECK(memcmp(l1, l2, (size_t)n1 * sizeof(float)) == 0, "resumed run differs from the uninterrupted one");
    free(l1), free(l2);
    /* Resuming with another schedule does not fit the saved run. */
    attn_model_free(resumed);
    CHECK_OK(attn_model_load(path, &resumed));
    attn_trainer_t *out;
    again.steps = 9;
    EXPECT_FAIL_HANDLE(attn_trainer_init(resumed, &again, &out), ATTN_ERR_FORMAT, out);
    /* A plain (non-resumed) trainer on a model with a saved run starts afresh. */
    EXPECT_OK(attn_trainer_init(resumed, &config, &trainer));
    EXPECT_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == 0, "fresh trainer at step %lld", (long long)step);
    /* The trainer keeps its model alive. */
    attn_model_free(resumed);
    EXPECT_OK(attn_trainer_step(trainer, inputs, targets, 2, 16, &loss));
    CHECK(isfinite(loss), "step after the model was freed: loss %g", loss);
    attn_trainer_free(trainer);
    attn_model_free(first);
    free(stream);

    /* rnn (GRU, LSTM) and cnn train too. */
    attn_model_config others[3] = {tiny_config(ATTN_MODEL_RNN), tiny_config(ATTN_MODEL_RNN),
                                   tiny_config(ATTN_MODEL_CNN)};
    others[1].cell = ATTN_CELL_LSTM;
    for (int k = 0; k < 3; k++) {
        attn_model_t *lm = NULL;
        CHECK_OK(attn_model_init(&others[k], tokenizer, &lm));
        EXPECT_OK(attn_trainer_init(lm, &config, &trainer));
        float first = -1, second = -1;
        EXPECT_OK(attn_trainer_step(trainer, inputs, targets, 2, 16, &first));
        for (int i = 0; i < 3; i++) EXPECT_OK(attn_trainer_step(trainer, inputs, targets, 2, 16, &second));
        CHECK(isfinite(first) && isfinite(second) && second < first, "kind %d cell %d: loss %g then %g",
              (int)others[k].kind, (int)others[k].cell, first, second);
        attn_trainer_free(trainer);
        attn_model_free(lm);
    }

    /* Seq2seq: a step, evaluate, and a short run on the dialogue. */
    attn_model_t *s2s = tiny_model(ATTN_MODEL_SEQ2SEQ, tokenizer);
    EXPECT_OK(attn_trainer_init(s2s, &config, &trainer));
    int32_t q[2 * 4], a[2 * 3];
    for (int i = 0; i < 8; i++) q[i] = inputs[i];
    for (int i = 0; i < 6; i++) a[i] = targets[i + 8];
    q[7] = ATTN_TOKEN_PAD, a[5] = ATTN_TOKEN_PAD;
    float s2s_loss = -1;
    EXPECT_OK(attn_trainer_evaluate_seq2seq(trainer, q, 4, a, 3, 2, &evaluated));
    EXPECT_OK(attn_trainer_step_seq2seq(trainer, q, 4, a, 3, 2, &s2s_loss));
    CHECK(isfinite(s2s_loss) && s2s_loss > 0 && fabsf(s2s_loss - logf((float)V)) < 1.5f, "seq2seq loss %g",
          s2s_loss);
    EXPECT_OK(attn_trainer_step_seq2seq(trainer, q, 4, a, 3, 2, NULL));
    EXPECT_OK(attn_trainer_run_pairs(trainer, dialogue, dialogue_length));
    EXPECT_OK(attn_trainer_get_step(trainer, &step));
    CHECK(step == 4, "seq2seq run ended at step %lld", (long long)step);
    attn_trainer_free(trainer);
    attn_model_free(s2s);

    /* A seq2seq run on pairs, stopped, saved and resumed, equals the uninterrupted run: the same
     * attention maps, bitwise. */
    attn_model_config s2s_config = tiny_config(ATTN_MODEL_SEQ2SEQ);
    s2s_config.dropout = 0.1f;
    attn_model_t *whole = NULL, *continued = NULL;
    CHECK_OK(attn_model_init(&s2s_config, tokenizer, &whole));
    EXPECT_OK(attn_trainer_init(whole, &config, &trainer));
    progress_log pairs_log = {0, 0, 2, 0, 0};
    EXPECT_OK(attn_trainer_set_progress_callback(trainer, record_progress, &pairs_log));
    EXPECT_OK(attn_trainer_run_pairs(trainer, dialogue, dialogue_length));
    const char *pairs_path = scratch_path("pairs.safetensors");
    EXPECT_OK(attn_trainer_save(trainer, pairs_path));
    pairs_log.stop_at = 0;
    EXPECT_OK(attn_trainer_run_pairs(trainer, dialogue, dialogue_length));
    CHECK(pairs_log.calls == 4 && pairs_log.bad == 0, "pairs run: %d calls, %d bad", pairs_log.calls, pairs_log.bad);
    attn_trainer_free(trainer);
    EXPECT_OK(attn_model_load(pairs_path, &continued));
    attn_train_config resume_pairs = config;
    resume_pairs.resume = 1;
    EXPECT_OK(attn_trainer_init(continued, &resume_pairs, &trainer));
    EXPECT_OK(attn_trainer_run_pairs(trainer, dialogue, dialogue_length));
    attn_trainer_free(trainer);
    attn_context_t *c1 = NULL, *c2 = NULL;
    CHECK_OK(attn_context_init(whole, &c1));
    CHECK_OK(attn_context_init(continued, &c2));
    const char *question = "你吃了吗？", *given = "吃了。";
    const attn_attention_map *m1 = NULL, *m2 = NULL;
    int64_t k1 = 0, k2 = 0;
    EXPECT_OK(attn_context_attention(c1, question, strlen(question), given, strlen(given), &m1, &k1));
    EXPECT_OK(attn_context_attention(c2, question, strlen(question), given, strlen(given), &m2, &k2));
    int same_maps = k1 == k2 && k1 > 0;
    for (int64_t i = 0; same_maps && i < k1; i++)
        same_maps = memcmp(m1[i].weights, m2[i].weights,
                           (size_t)(m1[i].heads * m1[i].query_len * m1[i].key_len) * sizeof(float)) == 0;
    CHECK(same_maps, "the resumed seq2seq run differs from the uninterrupted one");
    attn_context_free(c1), attn_context_free(c2);
    attn_model_free(whole), attn_model_free(continued);
    attn_model_free(gpt);
    attn_tokenizer_free(tokenizer);
}

/* ---------------------------------------------------------------------------------------- */
/* Inference                                                                                */
/* ---------------------------------------------------------------------------------------- */

typedef struct { char text[4096]; size_t length; int tokens; int stop_after; } stream_log;

static int record_token(int32_t token, const char *text, size_t length, void *user_data) {
    stream_log *log = user_data;
    (void)token;
    if (log->length + length < sizeof log->text) {
        memcpy(log->text + log->length, text, length);
        log->length += length;
        log->text[log->length] = '\0';
    }
    log->tokens++;
    return log->stop_after != 0 && log->tokens >= log->stop_after;
}

static void test_context_errors(void) {
    attn_tokenizer_t *tokenizer = dialogue_tokenizer();
    int64_t V = vocab_size_of(tokenizer);
    attn_model_t *gpt = tiny_model(ATTN_MODEL_GPT, tokenizer), *s2s = tiny_model(ATTN_MODEL_SEQ2SEQ, tokenizer);
    attn_model_t *rnn = tiny_model(ATTN_MODEL_RNN, tokenizer), *cnn = tiny_model(ATTN_MODEL_CNN, tokenizer);
    attn_model_t *bare = bare_model();
    attn_context_t *context = NULL, *s2s_context = NULL, *bare_context = NULL, *out;
    attn_generate_config config = {.struct_size = sizeof config}, bad;
    CHECK_OK(attn_generate_config_default(&config));
    config.max_new_tokens = 4;

    EXPECT_FAIL_HANDLE(attn_context_init(NULL, &out), ATTN_ERR_NULL_POINTER, out);
    EXPECT_FAIL(attn_context_init(gpt, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_OK(attn_context_init(gpt, &context));
    EXPECT_OK(attn_context_init(s2s, &s2s_context));
    EXPECT_OK(attn_context_init(bare, &bare_context));
    attn_context_free(NULL);

    const char *text = NULL;
    size_t length;
    const char *prompt = "道可道";
    size_t prompt_length = strlen(prompt);
    EXPECT_FAIL(attn_context_generate(NULL, prompt, prompt_length, &config, &text, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_generate(context, NULL, prompt_length, &config, &text, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_generate(context, prompt, prompt_length, NULL, &text, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_generate(context, prompt, prompt_length, &config, NULL, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_generate(context, prompt, 0, &config, &text, &length), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_context_generate(context, prompt, SIZE_MAX, &config, &text, &length), ATTN_ERR_SHAPE);
    for (size_t i = 0; i < BAD_UTF8_COUNT; i++)
        CHECK_MESSAGE_HAS(attn_context_generate(context, bad_utf8[i].bytes, bad_utf8[i].length, &config, &text,
                                                &length),
                          ATTN_ERR_UTF8, "5");
    /* Characters outside the vocabulary: read as UNK and counted by default, refused when strict. */
    int64_t unknown = -1;
    EXPECT_FAIL(attn_context_set_strict_vocabulary(NULL, 1), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_get_unknown_count(NULL, &unknown), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_get_unknown_count(context, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_OK(attn_context_generate(context, "道€€", strlen("道€€"), &config, &text, &length));
    EXPECT_OK(attn_context_get_unknown_count(context, &unknown));
    CHECK(unknown == 2, "two characters read as UNK, counted %lld", (long long)unknown);
    EXPECT_OK(attn_context_generate(context, "道", strlen("道"), &config, &text, &length));
    EXPECT_OK(attn_context_get_unknown_count(context, &unknown));
    CHECK(unknown == 0, "the count is the last call's: %lld", (long long)unknown);
    EXPECT_OK(attn_context_set_strict_vocabulary(context, 1));
    EXPECT_FAIL(attn_context_generate(context, "道€", strlen("道€"), &config, &text, &length),
                ATTN_ERR_INVALID_ARGUMENT);
    /* A NUL or another control character in the text is quoted escaped: the message goes on after it. */
    CHECK_MESSAGE_HAS(attn_context_generate(context, "道\0€", 7, &config, &text, &length),
                      ATTN_ERR_INVALID_ARGUMENT, "'\\u{0}', '€'");
    CHECK_MESSAGE_HAS(attn_context_generate(context, "道\x1b€", 7, &config, &text, &length),
                      ATTN_ERR_INVALID_ARGUMENT, "'\\u{1b}', '€'");
    /* Generation settings. */
    struct { const char *field; int64_t *slot; int64_t value; } ints[] = {
        {"max_new_tokens", &bad.max_new_tokens, -1}, {"top_k", &bad.top_k, -1},
        {"max_new_tokens", &bad.max_new_tokens, INT64_MIN},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        bad = config, *ints[i].slot = ints[i].value;
        CHECK_MESSAGE_HAS(attn_context_generate(context, prompt, prompt_length, &bad, &text, &length),
                          ATTN_ERR_INVALID_ARGUMENT, ints[i].field);
    }
    struct { const char *field; float *slot; float value; } floats[] = {
        {"temperature", &bad.temperature, -0.5f}, {"temperature", &bad.temperature, NAN},
        {"temperature", &bad.temperature, INFINITY}, {"top_p", &bad.top_p, -0.1f},
        {"top_p", &bad.top_p, 1.5f}, {"top_p", &bad.top_p, NAN},
    };
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
        bad = config, *floats[i].slot = floats[i].value;
        CHECK_MESSAGE_HAS(attn_context_generate(context, prompt, prompt_length, &bad, &text, &length),
                          ATTN_ERR_INVALID_ARGUMENT, floats[i].field);
    }
    bad = config, bad.struct_size = sizeof bad - 1;
    EXPECT_FAIL(attn_context_generate(context, prompt, prompt_length, &bad, &text, &length), ATTN_ERR_INVALID_ARGUMENT);
    bad = config, bad.struct_size = 0;
    EXPECT_FAIL(attn_context_generate(context, prompt, prompt_length, &bad, &text, &length), ATTN_ERR_INVALID_ARGUMENT);
    struct { attn_generate_config base; int64_t future; } newer = {config, 3};
    newer.base.struct_size = sizeof newer;
    EXPECT_FAIL(attn_context_generate(context, prompt, prompt_length, &newer.base, &text, &length),
                ATTN_ERR_INVALID_ARGUMENT);
    newer.future = 0;
    EXPECT_OK(attn_context_generate(context, prompt, prompt_length, &newer.base, &text, &length));
    /* The wrong kind, no tokenizer. */
    EXPECT_FAIL(attn_context_generate(s2s_context, prompt, prompt_length, &config, &text, &length),
                ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_context_generate(bare_context, prompt, prompt_length, &config, &text, &length),
                ATTN_ERR_INVALID_ARGUMENT);

    /* generate_tokens. */
    const int32_t *tokens = NULL;
    int64_t token_count;
    int32_t ids[3] = {4, 5, 6};
    EXPECT_FAIL(attn_context_generate_tokens(NULL, ids, 3, &config, &tokens, &token_count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_generate_tokens(context, NULL, 3, &config, &tokens, &token_count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_generate_tokens(context, ids, 3, NULL, &tokens, &token_count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_generate_tokens(context, ids, 3, &config, NULL, &token_count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_generate_tokens(context, ids, 3, &config, &tokens, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_generate_tokens(context, ids, -1, &config, &tokens, &token_count), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_context_generate_tokens(context, ids, INT64_MAX, &config, &tokens, &token_count), ATTN_ERR_SHAPE);
    /* An empty prompt: the header asks for at least one token, without naming the status. */
    EXPECT_FAIL_EITHER(attn_context_generate_tokens(context, ids, 0, &config, &tokens, &token_count),
                       ATTN_ERR_INVALID_ARGUMENT, ATTN_ERR_SHAPE);
    const int32_t bad_ids[] = {-1, 10 /* V of the bare model */, INT32_MAX};
    for (int i = 0; i < 3; i++) {
        int32_t with_bad[3] = {4, bad_ids[i], 5};
        EXPECT_FAIL(attn_context_generate_tokens(bare_context, with_bad, 3, &config, &tokens, &token_count),
                    ATTN_ERR_INVALID_ARGUMENT);
    }
    int32_t beyond[1] = {(int32_t)V};
    EXPECT_FAIL(attn_context_generate_tokens(context, beyond, 1, &config, &tokens, &token_count),
                ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_context_generate_tokens(s2s_context, ids, 3, &config, &tokens, &token_count),
                ATTN_ERR_INVALID_ARGUMENT);
    bad = config, bad.top_p = 2;
    EXPECT_FAIL(attn_context_generate_tokens(bare_context, ids, 3, &bad, &tokens, &token_count),
                ATTN_ERR_INVALID_ARGUMENT);

    /* answer. */
    const char *question = "你吃了吗？";
    size_t question_length = strlen(question);
    EXPECT_FAIL(attn_context_answer(NULL, question, question_length, &config, &text, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_answer(s2s_context, NULL, question_length, &config, &text, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_answer(s2s_context, question, question_length, NULL, &text, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_answer(s2s_context, question, question_length, &config, NULL, &length), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_answer(s2s_context, question, SIZE_MAX, &config, &text, &length), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_context_answer(s2s_context, question, 0, &config, &text, &length), ATTN_ERR_INVALID_ARGUMENT);
    for (size_t i = 0; i < BAD_UTF8_COUNT; i++)
        CHECK_MESSAGE_HAS(attn_context_answer(s2s_context, bad_utf8[i].bytes, bad_utf8[i].length, &config, &text,
                                              &length),
                          ATTN_ERR_UTF8, "5");
    EXPECT_OK(attn_context_answer(s2s_context, "吃€", strlen("吃€"), &config, &text, &length));
    EXPECT_OK(attn_context_get_unknown_count(s2s_context, &unknown));
    CHECK(unknown == 1, "the question's unknown character is counted: %lld", (long long)unknown);
    EXPECT_OK(attn_context_set_strict_vocabulary(s2s_context, 1));
    EXPECT_FAIL(attn_context_answer(s2s_context, "吃€", strlen("吃€"), &config, &text, &length),
                ATTN_ERR_INVALID_ARGUMENT);
    /* 17 characters: more than max_source_length (16). */
    const char *too_long = "你吃了吗你吃了吗你吃了吗你吃了吗你";
    EXPECT_FAIL(attn_context_answer(s2s_context, too_long, strlen(too_long), &config, &text, &length), ATTN_ERR_INVALID_ARGUMENT);
    bad = config, bad.temperature = NAN;
    EXPECT_FAIL(attn_context_answer(s2s_context, question, question_length, &bad, &text, &length),
                ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_context_answer(context, question, question_length, &config, &text, &length),
                ATTN_ERR_INVALID_ARGUMENT);

    /* attention. */
    const attn_attention_map *maps = NULL;
    int64_t map_count = 0;
    EXPECT_FAIL(attn_context_attention(NULL, prompt, prompt_length, NULL, 0, &maps, &map_count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_attention(context, NULL, prompt_length, NULL, 0, &maps, &map_count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_attention(context, prompt, prompt_length, NULL, 0, NULL, &map_count), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_attention(context, prompt, prompt_length, NULL, 0, &maps, NULL), ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_attention(context, prompt, SIZE_MAX, NULL, 0, &maps, &map_count), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_context_attention(context, prompt, 0, NULL, 0, &maps, &map_count), ATTN_ERR_INVALID_ARGUMENT);
    for (size_t i = 0; i < BAD_UTF8_COUNT; i++) {
        CHECK_MESSAGE_HAS(attn_context_attention(context, bad_utf8[i].bytes, bad_utf8[i].length, NULL, 0, &maps,
                                                 &map_count),
                          ATTN_ERR_UTF8, "5");
        CHECK_MESSAGE_HAS(attn_context_attention(s2s_context, question, question_length, bad_utf8[i].bytes,
                                                 bad_utf8[i].length, &maps, &map_count),
                          ATTN_ERR_UTF8, "5");
    }
    EXPECT_FAIL(attn_context_attention(context, "道€", strlen("道€"), NULL, 0, &maps, &map_count),
                ATTN_ERR_INVALID_ARGUMENT);
    /* 17 characters: more than block_size (16); the header names INVALID_ARGUMENT. */
    EXPECT_FAIL(attn_context_attention(context, too_long, strlen(too_long), NULL, 0, &maps, &map_count), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_context_attention(s2s_context, question, question_length, NULL, 5, &maps, &map_count),
                ATTN_ERR_NULL_POINTER);
    EXPECT_FAIL(attn_context_attention(s2s_context, question, question_length, "吃€", strlen("吃€"), &maps,
                                       &map_count),
                ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_context_attention(s2s_context, question, question_length, question, SIZE_MAX, &maps,
                                       &map_count),
                ATTN_ERR_SHAPE);
    /* 15 characters and EOS fit max_target_length (16): BOS and the answer are 16 rows; 16 do not. */
    EXPECT_OK(attn_context_attention(s2s_context, question, question_length, too_long, strlen(too_long) - 6, &maps,
                                     &map_count));
    CHECK(map_count == 3 && maps[2].query_len == 16, "15-character answer: %lld maps, %lld rows",
          (long long)map_count, map_count > 2 ? (long long)maps[2].query_len : -1LL);
    EXPECT_FAIL(attn_context_attention(s2s_context, question, question_length, too_long, strlen(too_long) - 3,
                                              &maps, &map_count), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_context_attention(s2s_context, too_long, strlen(too_long), NULL, 0, &maps, &map_count), ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_FAIL(attn_context_attention(bare_context, prompt, prompt_length, NULL, 0, &maps, &map_count),
                ATTN_ERR_INVALID_ARGUMENT);
    /* A GPT reads no answer. */
    EXPECT_FAIL(attn_context_attention(context, prompt, prompt_length, question, question_length, &maps, &map_count),
                ATTN_ERR_INVALID_ARGUMENT);
    attn_model_t *no_attention[2] = {rnn, cnn};
    for (int i = 0; i < 2; i++) {
        attn_context_t *other = NULL;
        EXPECT_OK(attn_context_init(no_attention[i], &other));
        EXPECT_FAIL(attn_context_attention(other, prompt, prompt_length, NULL, 0, &maps, &map_count),
                    ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_context_answer(other, question, question_length, &config, &text, &length),
                    ATTN_ERR_INVALID_ARGUMENT);
        attn_context_free(other);
    }

    attn_context_free(context), attn_context_free(s2s_context), attn_context_free(bare_context);
    attn_model_free(gpt), attn_model_free(s2s), attn_model_free(rnn), attn_model_free(cnn), attn_model_free(bare);
    attn_tokenizer_free(tokenizer);
}

/* A handle of another type (a cast mistake in the host) is refused, not dereferenced as the
 * wrong object; freeing it through the wrong free function is ignored. */
static void test_wrong_handles(void) {
    attn_tokenizer_t *tokenizer = corpus_tokenizer();
    attn_model_t *model = tiny_model(ATTN_MODEL_GPT, tokenizer);
    attn_model_config model_config = tiny_config(ATTN_MODEL_GPT);
    attn_train_config training = tiny_training();
    attn_trainer_t *trainer = NULL;
    attn_context_t *context = NULL;
    CHECK_OK(attn_trainer_init(model, &training, &trainer));
    CHECK_OK(attn_context_init(model, &context));
    uint64_t zeros[4] = {0, 0, 0, 0}; /* no handle at all */

    void *not_tokenizers[] = {model, trainer, context, zeros};
    void *not_models[] = {tokenizer, trainer, context, zeros};
    void *not_trainers[] = {tokenizer, model, context, zeros};
    void *not_contexts[] = {tokenizer, model, trainer, zeros};
    int64_t count, step;
    int32_t ids[4] = {4, 5, 6, 7};
    float logits[4 * 2000], loss;
    char text[16];
    size_t length;
    const char *result;
    attn_generate_config config = {.struct_size = sizeof config};
    CHECK_OK(attn_generate_config_default(&config));
    config.max_new_tokens = 2;
    for (int i = 0; i < 4; i++) {
        attn_tokenizer_t *t = not_tokenizers[i];
        attn_model_t *m = not_models[i];
        attn_trainer_t *tr = not_trainers[i];
        attn_context_t *c = not_contexts[i];
        attn_tokenizer_t *new_tokenizer;
        attn_model_t *new_model;
        attn_trainer_t *new_trainer;
        attn_context_t *new_context;
        EXPECT_FAIL(attn_tokenizer_get_vocab_size(t, &count), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_tokenizer_encode(t, "ab", 2, ids, 4, &count), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_tokenizer_decode(t, ids, 2, text, sizeof text, &length), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_model_get_parameter_count(m, &count), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_model_forward(m, ids, 1, 4, logits, 4 * 2000), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_model_save(m, scratch_path("wrong.safetensors")), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL_HANDLE(attn_model_get_tokenizer(m, &new_tokenizer), ATTN_ERR_INVALID_ARGUMENT, new_tokenizer);
        EXPECT_FAIL_HANDLE(attn_model_init(&model_config, t, &new_model), ATTN_ERR_INVALID_ARGUMENT, new_model);
        EXPECT_FAIL_HANDLE(attn_trainer_init(m, &training, &new_trainer), ATTN_ERR_INVALID_ARGUMENT, new_trainer);
        EXPECT_FAIL_HANDLE(attn_context_init(m, &new_context), ATTN_ERR_INVALID_ARGUMENT, new_context);
        EXPECT_FAIL(attn_trainer_step(tr, ids, ids, 1, 3, &loss), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_trainer_get_step(tr, &step), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_trainer_save(tr, scratch_path("wrong.safetensors")), ATTN_ERR_INVALID_ARGUMENT);
        EXPECT_FAIL(attn_context_generate(c, "道", strlen("道"), &config, &result, &length), ATTN_ERR_INVALID_ARGUMENT);
        /* Freed through the wrong function: ignored. */
        attn_tokenizer_free(t), attn_model_free(m), attn_trainer_free(tr), attn_context_free(c);
    }
    /* Every real handle survived all that. */
    EXPECT_OK(attn_tokenizer_get_vocab_size(tokenizer, &count));
    EXPECT_OK(attn_model_get_parameter_count(model, &count));
    EXPECT_OK(attn_trainer_get_step(trainer, &step));
    EXPECT_OK(attn_context_generate(context, "道", strlen("道"), &config, &result, &length));
    attn_context_free(context);
    attn_trainer_free(trainer);
    attn_model_free(model);
    attn_tokenizer_free(tokenizer);
}

/* Every row of every map sums to 1 over the keys it sees; hidden keys are exactly 0. */
static int check_map(const attn_attention_map *map, attn_attention_kind kind, int64_t layer, int64_t heads,
                     int64_t rows, int64_t columns, int causal) {
    if (map->kind != (int32_t)kind || map->layer != layer || map->heads != heads || map->query_len != rows ||
        map->key_len != columns || map->weights == NULL) {
        fprintf(stderr, "map kind %d layer %lld heads %lld %lldx%lld, expected %d %lld %lld %lldx%lld\n",
                (int)map->kind, (long long)map->layer, (long long)map->heads, (long long)map->query_len,
                (long long)map->key_len, (int)kind, (long long)layer, (long long)heads, (long long)rows,
                (long long)columns);
        return 0;
    }
    for (int64_t h = 0; h < heads; h++)
        for (int64_t i = 0; i < rows; i++) {
            const float *row = map->weights + (h * rows + i) * columns;
            double sum = 0;
            for (int64_t j = 0; j < columns; j++) {
                if (!(row[j] >= 0 && row[j] <= 1)) return 0;
                if (causal && j > i && row[j] != 0) return 0;
                sum += row[j];
            }
            if (fabs(sum - 1) > 1e-5) return 0; /* float rounding of a short row */
        }
    return 1;
}

static void test_context_results(void) {
    attn_tokenizer_t *tokenizer = dialogue_tokenizer();
    attn_model_t *gpt = tiny_model(ATTN_MODEL_GPT, tokenizer), *s2s = tiny_model(ATTN_MODEL_SEQ2SEQ, tokenizer);
    attn_model_t *rnn = tiny_model(ATTN_MODEL_RNN, tokenizer), *cnn = tiny_model(ATTN_MODEL_CNN, tokenizer);
    attn_model_t *bare = bare_model();
    attn_generate_config config = {.struct_size = sizeof config};
    CHECK_OK(attn_generate_config_default(&config));
    config.max_new_tokens = 12, config.stop_at_eos = 0, config.seed = 42;
    const char *prompt = "道可道";
    size_t prompt_length = strlen(prompt);
    attn_model_t *language_models[3] = {gpt, rnn, cnn};

    for (int m = 0; m < 3; m++) {
        attn_context_t *context = NULL, *other = NULL;
        EXPECT_OK(attn_context_init(language_models[m], &context));
        EXPECT_OK(attn_context_init(language_models[m], &other));
        const char *text = NULL, *text2 = NULL;
        size_t length = 0, length2 = 0;
        /* Same seed, same text, in another context too; the streamed pieces are the text. */
        stream_log log = {{0}, 0, 0, 0};
        attn_generate_config streaming = config;
        streaming.on_token = record_token, streaming.user_data = &log;
        EXPECT_OK(attn_context_generate(context, prompt, prompt_length, &streaming, &text, &length));
        CHECK(text != NULL && strlen(text) == length && length > 0, "model %d: generated %zu bytes", m, length);
        CHECK(log.tokens == 12 && log.length == length && text && memcmp(log.text, text, length) == 0,
              "model %d: %d streamed tokens, \"%s\" vs \"%s\"", m, log.tokens, log.text, text ? text : "");
        EXPECT_OK(attn_context_generate(other, prompt, prompt_length, &config, &text2, &length2));
        CHECK(length2 == length && text && text2 && memcmp(text, text2, length) == 0, "model %d: seeds", m);
        /* Greedy: the KV cache changes nothing. */
        attn_generate_config greedy = config, uncached;
        greedy.temperature = 0;
        uncached = greedy, uncached.no_cache = 1;
        EXPECT_OK(attn_context_generate(context, prompt, prompt_length, &greedy, &text, &length));
        EXPECT_OK(attn_context_generate(other, prompt, prompt_length, &uncached, &text2, &length2));
        CHECK(length2 == length && memcmp(text, text2, length) == 0, "model %d: cache \"%s\" vs \"%s\"", m, text,
              text2);
        /* Stopping from the callback after three tokens. */
        stream_log three = {{0}, 0, 0, 3};
        streaming.user_data = &three;
        EXPECT_OK(attn_context_generate(context, prompt, prompt_length, &streaming, &text, &length));
        CHECK(three.tokens == 3 && length == three.length, "model %d: stopped after %d tokens", m, three.tokens);
        /* top_k 1, or a nucleus of almost nothing, is the greedy choice at any temperature. */
        attn_generate_config top1 = config, nucleus = config;
        top1.top_k = 1, top1.temperature = 1.5f;
        nucleus.top_p = 1e-6f, nucleus.temperature = 1.5f;
        EXPECT_OK(attn_context_generate(context, prompt, prompt_length, &greedy, &text, &length));
        EXPECT_OK(attn_context_generate(other, prompt, prompt_length, &top1, &text2, &length2));
        CHECK(length2 == length && memcmp(text, text2, length) == 0, "model %d: top_k 1 is not greedy", m);
        EXPECT_OK(attn_context_generate(other, prompt, prompt_length, &nucleus, &text2, &length2));
        CHECK(length2 == length && memcmp(text, text2, length) == 0, "model %d: top_p 1e-6 is not greedy", m);
        /* top_k beyond the vocabulary is all of it; extreme temperatures still give text. */
        attn_generate_config wide = config;
        wide.top_k = 100000;
        EXPECT_OK(attn_context_generate(other, prompt, prompt_length, &wide, &text2, &length2));
        CHECK(length2 > 0, "model %d: top_k 100000", m);
        wide.top_k = INT64_MAX; /* the library refuses more than INT32_MAX (accepted either way) */
        attn_status widest = attn_context_generate(other, prompt, prompt_length, &wide, &text2, &length2);
        CHECK(widest == ATTN_OK || (widest == ATTN_ERR_INVALID_ARGUMENT && attn_last_error()[0]),
              "model %d: top_k INT64_MAX: %d", m, (int)widest);
        const float temperatures[] = {1e-30f, 1e-45f /* denormal */, 1e30f, 3.4e38f};
        for (int i = 0; i < 4; i++) {
            attn_generate_config extreme = config;
            extreme.temperature = temperatures[i], extreme.top_p = 0;
            EXPECT_OK(attn_context_generate(other, prompt, prompt_length, &extreme, &text2, &length2));
            CHECK(length2 > 0 && strlen(text2) == length2, "model %d: temperature %g gave %zu bytes", m,
                  temperatures[i], length2);
        }
        /* No bound but the callback (max_new_tokens may be up to 2^24): nothing may be sized by
         * max_new_tokens up front. */
        stream_log unbounded = {{0}, 0, 0, 5};
        attn_generate_config endless = streaming;
        endless.max_new_tokens = 1 << 24, endless.user_data = &unbounded;
        EXPECT_OK(attn_context_generate(context, prompt, prompt_length, &endless, &text, &length));
        CHECK(unbounded.tokens == 5, "model %d: 2^24 new tokens stopped after %d", m, unbounded.tokens);
        endless.max_new_tokens = (1 << 24) + 1;
        EXPECT_FAIL(attn_context_generate(context, prompt, prompt_length, &endless, &text, &length),
                    ATTN_ERR_INVALID_ARGUMENT);
        endless.max_new_tokens = INT64_MAX;
        EXPECT_FAIL(attn_context_generate(context, prompt, prompt_length, &endless, &text, &length),
                    ATTN_ERR_INVALID_ARGUMENT);
        /* No new tokens. */
        attn_generate_config none = config;
        none.max_new_tokens = 0;
        EXPECT_OK(attn_context_generate(context, prompt, prompt_length, &none, &text, NULL));
        CHECK(text != NULL && text[0] == '\0', "model %d: max_new_tokens 0", m);
        /* A prompt longer than block_size keeps its tail in view. */
        EXPECT_OK(attn_context_generate(context, corpus, corpus_prefix(300), &config, &text, &length));
        CHECK(length > 0, "model %d: long prompt", m);
        attn_context_free(context), attn_context_free(other);
    }

    /* Token ids without a tokenizer; the context keeps the model alive. */
    attn_context_t *context = NULL;
    EXPECT_OK(attn_context_init(bare, &context));
    attn_model_free(bare);
    int32_t ids[3] = {4, 5, 6};
    const int32_t *tokens = NULL;
    int64_t token_count = -1;
    stream_log log = {{0}, 0, 0, 0};
    attn_generate_config streaming = config;
    streaming.on_token = record_token, streaming.user_data = &log;
    EXPECT_OK(attn_context_generate_tokens(context, ids, 3, &streaming, &tokens, &token_count));
    int in_range = tokens != NULL;
    for (int64_t i = 0; tokens && i < token_count; i++) in_range &= tokens[i] >= 0 && tokens[i] < 10;
    CHECK(token_count == 12 && in_range && log.tokens == 12 && log.length == 0,
          "bare generate_tokens: %lld tokens, %d streamed with %zu bytes", (long long)token_count, log.tokens,
          log.length);
    /* PAD and BOS are never drawn, even hot from an untrained model over 10 ids. */
    attn_generate_config hot = config;
    hot.temperature = 3, hot.top_p = 0, hot.max_new_tokens = 400;
    EXPECT_OK(attn_context_generate_tokens(context, ids, 3, &hot, &tokens, &token_count));
    int specials = 0, eos = 0;
    for (int64_t i = 0; tokens && i < token_count; i++) {
        specials += tokens[i] == ATTN_TOKEN_PAD || tokens[i] == ATTN_TOKEN_BOS;
        eos += tokens[i] == ATTN_TOKEN_EOS;
    }
    CHECK(token_count == 400 && specials == 0 && eos > 0, "400 hot tokens: %lld, %d PAD/BOS, %d EOS",
          (long long)token_count, specials, eos);
    attn_context_free(context);

    /* Attention maps of a GPT: one causal map per layer over the prompt. */
    EXPECT_OK(attn_context_init(gpt, &context));
    const attn_attention_map *maps = NULL;
    int64_t map_count = -1;
    EXPECT_OK(attn_context_attention(context, prompt, prompt_length, NULL, 0, &maps, &map_count));
    CHECK(map_count == 2 && maps != NULL, "gpt: %lld maps", (long long)map_count);
    for (int64_t l = 0; maps && l < map_count && l < 2; l++)
        CHECK(check_map(&maps[l], ATTN_ATTENTION_SELF, l, 2, 3, 3, 1), "gpt map %lld", (long long)l);
    attn_context_free(context);

    /* A seq2seq answer, and its maps: encoder (Ts, Ts), decoder self (Ta+1, Ta+1), cross. */
    EXPECT_OK(attn_context_init(s2s, &context));
    const char *question = "你吃了吗？";
    const char *answer = NULL;
    size_t answer_length = 0;
    attn_generate_config answering = config;
    answering.max_new_tokens = 5;
    EXPECT_OK(attn_context_answer(context, question, strlen(question), &answering, &answer, &answer_length));
    CHECK(answer != NULL && strlen(answer) == answer_length, "answer of %zu bytes", answer_length);
    /* Streamed, with no bound but max_target_length. */
    stream_log answered = {{0}, 0, 0, 0};
    answering.max_new_tokens = 1 << 24, answering.on_token = record_token, answering.user_data = &answered;
    EXPECT_OK(attn_context_answer(context, question, strlen(question), &answering, &answer, &answer_length));
    CHECK(answered.tokens >= 1 && answered.tokens <= 15 /* max_target_length - 1 */ &&
              answered.length == answer_length &&
              memcmp(answered.text, answer, answer_length) == 0,
          "streamed answer: %d tokens, \"%s\" vs \"%s\"", answered.tokens, answered.text, answer);
    const char *given = "吃了。";
    EXPECT_OK(attn_context_attention(context, question, strlen(question), given, strlen(given), &maps, &map_count));
    CHECK(map_count == 3 && maps != NULL, "seq2seq: %lld maps", (long long)map_count);
    int seen[3] = {0, 0, 0};
    for (int64_t i = 0; maps && i < map_count; i++) {
        const attn_attention_map *map = &maps[i];
        if (map->kind == ATTN_ATTENTION_ENCODER) {
            seen[0]++;
            CHECK(check_map(map, ATTN_ATTENTION_ENCODER, 0, 2, 5, 5, 0), "encoder map");
        } else if (map->kind == ATTN_ATTENTION_SELF) {
            seen[1]++;
            CHECK(check_map(map, ATTN_ATTENTION_SELF, 0, 2, 4, 4, 1), "decoder map");
        } else {
            seen[2]++;
            CHECK(check_map(map, ATTN_ATTENTION_CROSS, 0, 2, 4, 5, 0), "cross map");
        }
    }
    CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1, "seq2seq maps %d %d %d", seen[0], seen[1], seen[2]);
    /* The model's own greedy answer when none is given. */
    EXPECT_OK(attn_context_attention(context, question, strlen(question), NULL, 0, &maps, &map_count));
    CHECK(map_count == 3 && maps && maps[0].heads == 2, "seq2seq maps of its own answer");
    attn_context_free(context);

    attn_model_free(gpt), attn_model_free(s2s), attn_model_free(rnn), attn_model_free(cnn);
    attn_tokenizer_free(tokenizer);
}

/* ---------------------------------------------------------------------------------------- */

/* Runs `section` in a child process and adds its counts; a crash or hang is one failed check. */
/* ---------------------------------------------------------------------------------------- */
/* Issue 19: config limits at init and load, special files, symbolic links, byte paths.       */

/* Rewrites the checkpoint at `path` with the digits after `key` in its config replaced by
 * `value` (the header length is adjusted; tensor offsets are relative to the data, so they
 * stay valid). */
static void patch_config_value(const char *path, const char *key, const char *value) {
    size_t size = 0;
    unsigned char *data = read_file(path, &size);
    if (!data || size < 8) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
    uint64_t header = 0;
    for (int i = 7; i >= 0; i--) header = header << 8 | data[i];
    char needle[128];
    snprintf(needle, sizeof needle, "%s\\\":", key); /* config numbers are unquoted */
    unsigned char *found = NULL;
    for (size_t i = 8; i + strlen(needle) < 8 + header; i++)
        if (memcmp(data + i, needle, strlen(needle)) == 0) { found = data + i + strlen(needle); break; }
    if (!found) { fprintf(stderr, "%s: no '%s' in the config\n", path, needle); exit(2); }
    size_t digits = 0;
    while (found[digits] >= '0' && found[digits] <= '9') digits++;
    size_t prefix = (size_t)(found - data), suffix = size - prefix - digits;
    size_t new_size = size - digits + strlen(value);
    unsigned char *patched = malloc(new_size);
    memcpy(patched, data, prefix);
    memcpy(patched + prefix, value, strlen(value));
    memcpy(patched + prefix + strlen(value), found + digits, suffix);
    uint64_t new_header = header - digits + strlen(value);
    for (int i = 0; i < 8; i++) patched[i] = (unsigned char)(new_header >> (8 * i));
    write_file(path, patched, new_size);
    free(patched), free(data);
}

/* Checkpoints whose config breaks init's limits are ATTN_ERR_FORMAT naming the field, with a
 * message that quotes the value as written (no overflowing numbers). */
static void test_config_limits_at_load(void) {
    attn_tokenizer_t *tokenizer = dialogue_tokenizer();
    struct { attn_model_kind kind; const char *key, *value; } cases[] = {
        {ATTN_MODEL_RNN, "block_size", "2147483648"},
        {ATTN_MODEL_RNN, "block_size", "9223372036854775807"},
        {ATTN_MODEL_CNN, "block_size", "2147483648"},
        {ATTN_MODEL_CNN, "kernel_size", "1000000"},
        {ATTN_MODEL_GPT, "block_size", "16777217"},
        {ATTN_MODEL_GPT, "n_head", "0"},
        {ATTN_MODEL_SEQ2SEQ, "max_target_length", "1"},
        {ATTN_MODEL_GPT, "vocab_size", "4"},
        {ATTN_MODEL_RNN, "vocab_size", "1"},
        {ATTN_MODEL_GPT, "vocab_size", "262145"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        attn_model_t *model = tiny_model(cases[i].kind, tokenizer), *loaded = NULL;
        const char *path = scratch_path("limits.safetensors");
        CHECK_OK(attn_model_save(model, path));
        patch_config_value(path, cases[i].key, cases[i].value);
        attn_status status = attn_model_load(path, &loaded);
        CHECK(status == ATTN_ERR_FORMAT, "%s = %s: load returned %d: %s", cases[i].key, cases[i].value,
              (int)status, attn_last_error());
        CHECK(mentions(attn_last_error(), cases[i].key), "%s: message \"%s\" does not name it", cases[i].key,
              attn_last_error());
        CHECK(!mentions(attn_last_error(), "-9223372036854775808"), "overflowing message: %s", attn_last_error());
        CHECK(loaded == NULL, "%s: handle set", cases[i].key);
        attn_model_free(model);
    }
    attn_tokenizer_free(tokenizer);
}

/* vocab_size: 4 special tokens + at least 1 real one, at most 2^18 (init of a 2^24 vocabulary
 * took minutes). Both boundaries. max_target_length 2 is the smallest seq2seq that trains. */
static void test_config_limits_at_init(void) {
    attn_model_config config = tiny_config(ATTN_MODEL_GPT);
    attn_model_t *model = NULL;
    const int64_t rejected[] = {1, 2, 4, (1 << 18) + 1, 1 << 24};
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        config.vocab_size = rejected[i];
        CHECK_MESSAGE_HAS(attn_model_init(&config, NULL, &model), ATTN_ERR_INVALID_ARGUMENT, "vocab_size");
    }
    const int64_t accepted[] = {5, 1 << 18};
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        config.vocab_size = accepted[i];
        model = NULL;
        CHECK_OK(attn_model_init(&config, NULL, &model));
        attn_model_free(model);
    }
    /* A tokenizer of a one-character corpus has 5 ids: accepted. */
    attn_tokenizer_t *tokenizer = NULL;
    CHECK_OK(attn_tokenizer_init("a", 1, &tokenizer));
    config.vocab_size = 0;
    CHECK_OK(attn_model_init(&config, tokenizer, &model));
    attn_model_free(model);
    attn_tokenizer_free(tokenizer);

    /* The smallest seq2seq trains and evaluates one answer token (this trapped with 1...0). */
    attn_tokenizer_t *dialogue_ids = dialogue_tokenizer();
    attn_model_config s2s = tiny_config(ATTN_MODEL_SEQ2SEQ);
    s2s.max_target_length = 2;
    CHECK_OK(attn_model_init(&s2s, dialogue_ids, &model));
    attn_train_config training = tiny_training();
    attn_trainer_t *trainer = NULL;
    CHECK_OK(attn_trainer_init(model, &training, &trainer));
    const int32_t question[1] = {5}, answer[1] = {6};
    float loss = 0;
    CHECK_OK(attn_trainer_step_seq2seq(trainer, question, 1, answer, 1, 1, &loss));
    CHECK(isfinite(loss), "loss %f", loss);
    CHECK_OK(attn_trainer_evaluate_seq2seq(trainer, question, 1, answer, 1, 1, &loss));
    EXPECT_FAIL(attn_trainer_step_seq2seq(trainer, question, 1, answer, 2, 1, &loss), ATTN_ERR_SHAPE);
    EXPECT_FAIL(attn_trainer_evaluate_seq2seq(trainer, question, 1, answer, 0, 1, &loss), ATTN_ERR_SHAPE);
    attn_trainer_free(trainer);
    attn_model_free(model);
    attn_tokenizer_free(dialogue_ids);
}

/* Saves refuse device nodes, FIFOs and sockets (as root a save to /dev/null replaced the
 * device); loads refuse them without blocking on a FIFO. Symbolic links are followed: the
 * target is replaced, the link survives. */
static void test_special_files(void) {
    attn_model_t *model = bare_model(), *loaded = NULL;
    struct stat info;

    const char *fifo = scratch_path("fifo.safetensors");
    CHECK(mkfifo(fifo, 0644) == 0, "mkfifo: %s", strerror(errno));
    CHECK_MESSAGE_HAS(attn_model_save(model, fifo), ATTN_ERR_IO, "fifo");
    CHECK(lstat(fifo, &info) == 0 && S_ISFIFO(info.st_mode), "the FIFO was replaced");
    alarm(20); /* a hang is a failure, not a stuck test run */
    CHECK_MESSAGE_HAS(attn_model_load(fifo, &loaded), ATTN_ERR_IO, "not a regular file");
    alarm(120);
    CHECK(loaded == NULL, "loaded a FIFO");

    if (geteuid() == 0) {
        const char *device = scratch_path("null-device");
        CHECK(mknod(device, S_IFCHR | 0666, makedev(1, 3)) == 0, "mknod: %s", strerror(errno));
        CHECK_MESSAGE_HAS(attn_model_save(model, device), ATTN_ERR_IO, "character device");
        CHECK(lstat(device, &info) == 0 && S_ISCHR(info.st_mode), "the device node was replaced");
        EXPECT_FAIL(attn_model_load(device, &loaded), ATTN_ERR_IO);
    } else {
        printf("  (not root: the device-node case is checked on /dev/null's load only)\n");
    }
    EXPECT_FAIL(attn_model_load("/dev/null", &loaded), ATTN_ERR_IO);
    EXPECT_FAIL(attn_model_load("/dev/zero", &loaded), ATTN_ERR_IO);

    /* A symbolic link to a checkpoint: the target is rewritten, the link stays a link. */
    const char *target = scratch_path("target.safetensors"), *link = scratch_path("link.safetensors");
    write_file(target, "old", 3);
    CHECK(symlink("target.safetensors", link) == 0, "symlink: %s", strerror(errno));
    CHECK_OK(attn_model_save(model, link));
    CHECK(lstat(link, &info) == 0 && S_ISLNK(info.st_mode), "the symbolic link was replaced");
    CHECK(stat(target, &info) == 0 && info.st_size > 3, "the link's target was not rewritten");
    CHECK_OK(attn_model_load(target, &loaded));
    attn_model_free(loaded), loaded = NULL;
    /* A dangling link creates its target; a link to a FIFO is refused like the FIFO. */
    const char *dangling = scratch_path("dangling.safetensors");
    CHECK(symlink("created.safetensors", dangling) == 0, "symlink: %s", strerror(errno));
    CHECK_OK(attn_model_save(model, dangling));
    CHECK(stat(scratch_path("created.safetensors"), &info) == 0 && S_ISREG(info.st_mode), "no target created");
    const char *to_fifo = scratch_path("to-fifo.safetensors");
    CHECK(symlink("fifo.safetensors", to_fifo) == 0, "symlink: %s", strerror(errno));
    EXPECT_FAIL(attn_model_save(model, to_fifo), ATTN_ERR_IO);
    CHECK(lstat(fifo, &info) == 0 && S_ISFIFO(info.st_mode), "the FIFO behind a link was replaced");
    /* A loop of links fails cleanly. */
    CHECK(symlink("loop-b", scratch_path("loop-a")) == 0 && symlink("loop-a", scratch_path("loop-b")) == 0,
          "symlink: %s", strerror(errno));
    EXPECT_FAIL(attn_model_save(model, scratch_path("loop-a")), ATTN_ERR_IO);

    /* A temporary file left by a killed save is reused, not accumulated; a special file
     * planted under the temporary name is refused, not written through. */
    const char *directory = scratch_path("tmp-reuse");
    mkdir(directory, 0755);
    char path[600], leftover[600];
    snprintf(path, sizeof path, "%s/m.safetensors", directory);
    snprintf(leftover, sizeof leftover, "%s/.m.safetensors.attn-tmp", directory);
    write_file(leftover, "half a checkpoint", 17);
    CHECK_OK(attn_model_save(model, path));
    CHECK_OK(attn_model_save(model, path));
    CHECK(count_directory_entries(directory) == 1, "%d entries after saves over a leftover",
          count_directory_entries(directory));
    CHECK(mkfifo(leftover, 0644) == 0, "mkfifo: %s", strerror(errno));
    EXPECT_FAIL(attn_model_save(model, path), ATTN_ERR_IO);
    CHECK(lstat(leftover, &info) == 0 && S_ISFIFO(info.st_mode), "the planted FIFO was replaced");
    CHECK_OK(attn_model_load(path, &loaded));
    attn_model_free(loaded);
    attn_model_free(model);
}

/* Paths are not round-tripped through a lossy conversion: a path that is not UTF-8 is refused
 * with ATTN_ERR_UTF8 (never written under a U+FFFD name); a UTF-8 one is written byte for byte. */
static void test_byte_paths(void) {
    attn_model_t *model = bare_model(), *loaded = NULL;
    const char *directory = scratch_path("byte-paths");
    mkdir(directory, 0755);
    char path[600];
    snprintf(path, sizeof path, "%s/\xff\xfe.safetensors", directory);
    CHECK_MESSAGE_HAS(attn_model_save(model, path), ATTN_ERR_UTF8, "byte");
    attn_tokenizer_t *tokenizer = corpus_tokenizer();
    attn_model_t *gpt = tiny_model(ATTN_MODEL_GPT, tokenizer);
    attn_train_config training = tiny_training();
    attn_trainer_t *trainer = NULL;
    CHECK_OK(attn_trainer_init(gpt, &training, &trainer));
    EXPECT_FAIL(attn_trainer_save(trainer, path), ATTN_ERR_UTF8);
    EXPECT_FAIL(attn_model_load(path, &loaded), ATTN_ERR_UTF8);
    CHECK(count_directory_entries(directory) == 0, "a non-UTF-8 save wrote %d files",
          count_directory_entries(directory));
    snprintf(path, sizeof path, "%s/\xe9\x81\x93 \x01.safetensors", directory); /* "道 \x01" */
    CHECK_OK(attn_trainer_save(trainer, path));
    DIR *dir = opendir(directory);
    int exact = 0;
    for (struct dirent *entry; dir && (entry = readdir(dir)) != NULL;)
        if (strcmp(entry->d_name, "\xe9\x81\x93 \x01.safetensors") == 0) exact++;
    if (dir) closedir(dir);
    CHECK(exact == 1 && count_directory_entries(directory) == 1, "the UTF-8 name was not written byte for byte");
    attn_trainer_free(trainer);
    attn_model_free(gpt), attn_model_free(model);
    attn_tokenizer_free(tokenizer);
}

/* A model whose weights are all `value` (NaN or +inf): generation and answering fail with
 * ATTN_ERR_INVALID_ARGUMENT naming the non-finite logits, instead of PAD tokens with ATTN_OK. */
static void check_non_finite_generation(attn_model_t *model, float value, int seq2seq) {
    const char *path = scratch_path("non-finite.safetensors");
    CHECK_OK(attn_model_save(model, path));
    size_t size = 0;
    unsigned char *data = read_file(path, &size);
    uint64_t header = 0;
    for (int i = 7; i >= 0; i--) header = header << 8 | data[i];
    for (size_t offset = 8 + header; offset + 4 <= size; offset += 4) memcpy(data + offset, &value, 4);
    attn_model_t *broken = NULL;
    attn_status status = attn_model_load_memory(data, size, &broken);
    free(data);
    if (status != ATTN_OK) { /* refusing such weights at load is also an answer */
        CHECK(status == ATTN_ERR_FORMAT, "non-finite weights: load returned %d: %s", (int)status, attn_last_error());
        return;
    }
    attn_context_t *context = NULL;
    CHECK_OK(attn_context_init(broken, &context));
    attn_generate_config config = {.struct_size = sizeof config};
    CHECK_OK(attn_generate_config_default(&config));
    config.max_new_tokens = 3;
    const float temperatures[] = {0, 0.8f};
    for (int t = 0; t < 2; t++) {
        config.temperature = temperatures[t];
        const char *text = NULL;
        if (seq2seq) {
            CHECK_MESSAGE_HAS(attn_context_answer(context, "道", strlen("道"), &config, &text, NULL),
                              ATTN_ERR_INVALID_ARGUMENT, "non-finite");
        } else {
            const int32_t prompt[2] = {5, 6};
            const int32_t *tokens = NULL;
            int64_t count = -1;
            CHECK_MESSAGE_HAS(attn_context_generate_tokens(context, prompt, 2, &config, &tokens, &count),
                              ATTN_ERR_INVALID_ARGUMENT, "non-finite");
        }
    }
    attn_context_free(context);
    attn_model_free(broken);
}

static void test_non_finite_generation(void) {
    attn_tokenizer_t *tokenizer = dialogue_tokenizer();
    const attn_model_kind kinds[] = {ATTN_MODEL_GPT, ATTN_MODEL_RNN, ATTN_MODEL_CNN, ATTN_MODEL_SEQ2SEQ};
    for (size_t k = 0; k < 4; k++) {
        attn_model_t *model = tiny_model(kinds[k], tokenizer);
        check_non_finite_generation(model, NAN, kinds[k] == ATTN_MODEL_SEQ2SEQ);
        check_non_finite_generation(model, INFINITY, kinds[k] == ATTN_MODEL_SEQ2SEQ);
        attn_model_free(model);
    }
    attn_tokenizer_free(tokenizer);
}

/* Saves killed with SIGKILL at arbitrary moments (in a forked child) leave the target either
 * absent or a complete checkpoint, at most one temporary file, and the next save cleans up. */
static void test_killed_saves(void) {
    attn_tokenizer_t *tokenizer = corpus_tokenizer();
    attn_model_config config = tiny_config(ATTN_MODEL_GPT);
    config.n_embd = 128, config.n_head = 4, config.n_layer = 4; /* a few MB: a save takes a while */
    attn_model_t *model = NULL, *loaded = NULL;
    CHECK_OK(attn_model_init(&config, tokenizer, &model));
    const char *directory = scratch_path("killed");
    mkdir(directory, 0755);
    char path[600];
    snprintf(path, sizeof path, "%s/m.safetensors", directory);
    for (int round = 0; round < 8; round++) {
        pid_t child = fork();
        if (child == 0) {
            for (;;) attn_model_save(model, path);
        }
        usleep((useconds_t)(1000 + 3000 * round));
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        int entries = count_directory_entries(directory);
        CHECK(entries >= 0 && entries <= 2, "round %d: %d entries", round, entries);
        struct stat info;
        if (stat(path, &info) == 0) {
            CHECK_OK(attn_model_load(path, &loaded));
            attn_model_free(loaded), loaded = NULL;
        }
    }
    CHECK_OK(attn_model_save(model, path));
    CHECK(count_directory_entries(directory) == 1, "%d entries after a clean save", count_directory_entries(directory));
    attn_model_free(model);
    attn_tokenizer_free(tokenizer);
}

/* Four threads saving the same model to four files and loading them back at once. */
static attn_model_t *shared_model;
static void *save_and_load(void *argument) {
    const char *path = argument;
    for (int i = 0; i < 5; i++) {
        if (attn_model_save(shared_model, path) != ATTN_OK) return (void *)1;
        attn_model_t *loaded = NULL;
        if (attn_model_load(path, &loaded) != ATTN_OK) return (void *)2;
        attn_model_free(loaded);
    }
    return NULL;
}

static void test_concurrent_saves(void) {
    shared_model = bare_model();
    char paths[4][600];
    pthread_t threads[4];
    for (int t = 0; t < 4; t++) {
        snprintf(paths[t], sizeof paths[t], "%s/thread-%d.safetensors", scratch, t);
        CHECK(pthread_create(&threads[t], NULL, save_and_load, paths[t]) == 0, "pthread_create");
    }
    for (int t = 0; t < 4; t++) {
        void *result = NULL;
        pthread_join(threads[t], &result);
        CHECK(result == NULL, "thread %d failed at step %ld: %s", t, (long)(intptr_t)result, attn_last_error());
    }
    attn_model_free(shared_model);
}

static void run_section(const char *name, void (*section)(void)) {
    int pipe_ends[2];
    fflush(stdout), fflush(stderr);
    if (pipe(pipe_ends) != 0) { perror("pipe"); exit(2); }
    pid_t child = fork();
    if (child < 0) { perror("fork"); exit(2); }
    if (child == 0) {
        close(pipe_ends[0]);
        alarm(120);
        checks_passed = checks_failed = 0;
        section();
        int counts[2] = {checks_passed, checks_failed};
        fflush(stdout), fflush(stderr);
        ssize_t written = write(pipe_ends[1], counts, sizeof counts);
        _exit(written == (ssize_t)sizeof counts ? 0 : 3);
    }
    close(pipe_ends[1]);
    int counts[2] = {0, 0}, status = 0;
    ssize_t got = read(pipe_ends[0], counts, sizeof counts);
    close(pipe_ends[0]);
    waitpid(child, &status, 0);
    if (got == (ssize_t)sizeof counts && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        checks_passed += counts[0], checks_failed += counts[1];
    } else {
        checks_failed++;
        fprintf(stderr, "section %s did not finish: %s %d\n", name,
                WIFSIGNALED(status) ? "killed by signal" : "exit status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
}

int main(void) {
    if (!mkdtemp(scratch)) { perror("mkdtemp"); return 2; }
    /* Read before forking: static storage, the same in every child. */
    if (attn_default_corpus(&corpus, &corpus_length) != ATTN_OK ||
        attn_default_dialogue(&dialogue, &dialogue_length) != ATTN_OK) {
        fprintf(stderr, "built-in data unavailable: %s\n", attn_last_error());
        return 1;
    }
    run_section("builtin_data", test_builtin_data);
    run_section("tokenizer_errors", test_tokenizer_errors);
    run_section("tokenizer_results", test_tokenizer_results);
    run_section("config_defaults", test_config_defaults);
    run_section("bert_kind", test_bert_kind);
    run_section("model_init_errors", test_model_init_errors);
    run_section("model_queries", test_model_queries);
    run_section("forward", test_forward);
    run_section("save_load", test_save_load);
    run_section("corrupt_checkpoints", test_corrupt_checkpoints);
    run_section("inconsistent_checkpoints", test_inconsistent_checkpoints);
    run_section("trainer_errors", test_trainer_errors);
    run_section("trainer_results", test_trainer_results);
    run_section("context_errors", test_context_errors);
    run_section("context_results", test_context_results);
    run_section("wrong_handles", test_wrong_handles);
    run_section("config_limits_at_init", test_config_limits_at_init);
    run_section("config_limits_at_load", test_config_limits_at_load);
    run_section("special_files", test_special_files);
    run_section("byte_paths", test_byte_paths);
    run_section("non_finite_generation", test_non_finite_generation);
    run_section("killed_saves", test_killed_saves);
    run_section("concurrent_saves", test_concurrent_saves);
    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s'", scratch);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", scratch);
    return check_summary();
}
