/*
 * attention.h — the C ABI of libattention, a small embeddable deep-learning runtime.
 *
 * This header is the source of truth: every function below is implemented in Swift with
 * `@c @implementation`, so the compiler checks each export against the prototype here.
 *
 * Overview
 * --------
 *  - Every fallible call returns an `attn_status` (ATTN_OK == 0) and writes results through
 *    out-parameters. On failure `attn_last_error()` returns a message for the calling thread, and
 *    handle out-parameters are set to NULL.
 *  - Nothing passed in from outside can crash the host: NULL pointers and handles, negative or
 *    overflowing sizes, inconsistent shapes, out-of-range token ids, invalid UTF-8 and corrupt
 *    files are reported as statuses, never as traps.
 *  - Objects are opaque handles: `attn_X_init` / `attn_model_load` create one, `attn_X_free`
 *    destroys it (NULL is a no-op). Results a function returns by pointer (generated text,
 *    attention maps) are owned by the handle and valid until the next call on it.
 *  - Config structs start with `struct_size = sizeof(struct)`, so they can grow without breaking
 *    old callers; `attn_X_config_default` fills in the defaults. A struct from an older header
 *    (smaller, its fields a prefix of today's) is read field by field over the library's
 *    defaults, and written back only as far as its own fields; a struct from a newer header
 *    (larger) is accepted when the fields this library does not know are zero. Fields are only
 *    appended, each starting at or after the previous sizeof. Any other struct_size (0, one that
 *    cuts a field, one that is not a multiple of the struct's alignment) is
 *    ATTN_ERR_INVALID_ARGUMENT.
 *  - Tensors are FP32, row-major, contiguous unless a leading dimension says otherwise. Shapes are
 *    given in comments with letters: B batch, T time, C channels, NH heads, HS head size,
 *    V vocabulary. Token ids are int32; text is UTF-8 with an explicit byte length.
 *  - Threads: computations run on an OpenMP pool whose size `attn_set_num_threads` controls
 *    (default: OMP_NUM_THREADS, else the number of cores). Results are bitwise identical for any
 *    thread count. Kernels and tokenizers are reentrant. A model may be shared by any number of
 *    threads for inference, each with its own attn_context_t; a context or trainer belongs to one
 *    thread at a time, and a model being trained must not be used by other threads.
 *
 * Worked example 1: C = A·B for A (2, 3) and B (3, 2)
 *
 *     #include <attention.h>
 *     float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1}, c[4];
 *     attn_status s = attn_matmul(ATTN_NO_TRANS, ATTN_NO_TRANS, 2, 2, 3,
 *                                 1.0f, a, 3, b, 2, 0.0f, c, 2, NULL);
 *     if (s != ATTN_OK) fprintf(stderr, "%s: %s\n", attn_status_string(s), attn_last_error());
 *     // c == {4, 5, 10, 11}
 *
 * Worked example 2: train a small GPT on the built-in corpus, save it, and continue a prompt
 * (error checks shortened to CHECK(call): if (call != ATTN_OK) { report; goto cleanup; })
 *
 *     const char *corpus; size_t corpus_length;
 *     attn_tokenizer_t *tokenizer = NULL; attn_model_t *model = NULL;
 *     attn_trainer_t *trainer = NULL; attn_context_t *context = NULL;
 *     int32_t *ids = NULL; int64_t count;
 *     CHECK(attn_default_corpus(&corpus, &corpus_length));
 *     CHECK(attn_tokenizer_init(corpus, corpus_length, &tokenizer));
 *     CHECK(attn_tokenizer_encode(tokenizer, corpus, corpus_length, NULL, 0, &count));
 *     ids = malloc(count * sizeof *ids);
 *     CHECK(attn_tokenizer_encode(tokenizer, corpus, corpus_length, ids, count, &count));
 *
 *     attn_model_config config = {.struct_size = sizeof config}; // the defaults fill the rest
 *     CHECK(attn_model_config_default(ATTN_MODEL_GPT, &config));
 *     CHECK(attn_model_init(&config, tokenizer, &model));       // vocab size from the tokenizer
 *
 *     attn_train_config training = {.struct_size = sizeof training};
 *     CHECK(attn_train_config_default(&training));
 *     training.steps = 100;
 *     CHECK(attn_trainer_init(model, &training, &trainer));
 *     CHECK(attn_trainer_run_tokens(trainer, ids, count));      // or attn_trainer_step per batch
 *     CHECK(attn_model_save(model, "gpt.safetensors"));
 *
 *     attn_generate_config sampling = {.struct_size = sizeof sampling};
 *     CHECK(attn_generate_config_default(&sampling));
 *     const char *text;
 *     CHECK(attn_context_init(model, &context));
 *     CHECK(attn_context_generate(context, "道可道", strlen("道可道"), &sampling, &text, NULL));
 *     printf("道可道%s\n", text);                                // text lives in the context
 *   cleanup:
 *     attn_context_free(context); attn_trainer_free(trainer);
 *     attn_model_free(model); attn_tokenizer_free(tokenizer); free(ids);
 *
 * bindings/c/examples has this program in full and one that prints attention weights.
 *
 * Build: cc -Iinclude app.c -L.build/release -lattention   (or: pkg-config --cflags --libs attention)
 */
#ifndef ATTENTION_H
#define ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks every function of the C ABI. The library is built so that these are its only exported
 *  symbols (a linker version script); the attribute keeps them visible in a build with
 *  -fvisibility=hidden, and is where a Windows build would put its dllexport/dllimport. */
#if defined(__GNUC__) || defined(__clang__)
#define ATTN_API __attribute__((visibility("default")))
#else
#define ATTN_API
#endif

/** Version of the binary interface described by this header. A host compares it with
 *  `attn_abi_version()` at load time; they differ only when a prototype or struct changed. */
#define ATTN_ABI_VERSION 2

/* Getters are named attn_<object>_get_<what>. The names of ABI 2's first release that did not
 * follow the pattern stay as deprecated aliases for this ABI version and go with the next. */
#if defined(__GNUC__) || defined(__clang__)
#define ATTN_DEPRECATED(replacement) __attribute__((deprecated("use " replacement)))
#else
#define ATTN_DEPRECATED(replacement)
#endif

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
ATTN_API
const char *attn_version(void);

/** The ATTN_ABI_VERSION the library was built with. */
ATTN_API
int attn_abi_version(void);

/** A short constant description of `status` ("ok", "null pointer", ...). Never NULL; unknown
 *  values give "unknown status". */
ATTN_API
const char *attn_status_string(attn_status status);

/** The message of the most recent status-returning call on the calling thread if it failed,
 *  else "" (a successful call clears it). Valid until the next libattention call on this
 *  thread. One line of UTF-8: control characters quoted from the caller's text (a NUL, an
 *  escape) are written as `\u{XX}`, so the message is never cut short. */
ATTN_API
const char *attn_last_error(void);

/** Sets the number of threads used by all later computations (1 ... 1024).
 *  Returns ATTN_ERR_INVALID_ARGUMENT for values outside that range. Not thread-safe with
 *  respect to computations running at the same time. */
ATTN_API
attn_status attn_set_num_threads(int num_threads);

/** The number of threads computations use. */
ATTN_API
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
ATTN_API
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
ATTN_API
attn_status attn_softmax(float *out, const float *inp, int64_t rows, int64_t cols, int causal);

/** Layer normalization over the last dimension:
 *  out (rows, C) = (inp - mean) / sqrt(var + eps) * weight (C) + bias (C).
 *  `weight` and `bias` may be NULL (1 and 0). `mean` and `rstd` (rows) are optional outputs
 *  (NULL to skip) that a backward pass needs. eps must be finite and > 0; channels must be
 *  >= 1 when rows > 0. `out` may equal `inp` but must not otherwise overlap it. Pointers may
 *  be NULL when rows == 0. */
ATTN_API
attn_status attn_layernorm(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias,
                           int64_t rows, int64_t channels, float eps);

/** Describes one multi-head scaled dot-product attention call.
 *  Q is (B, NH, Tq, HS); K and V are (B, NH, Tk, HS); the output is (B, NH, Tq, HS). */
typedef struct attn_attention_desc {
    size_t struct_size;   /**< sizeof(attn_attention_desc), so the struct can grow: a library
                               accepts a larger struct from a newer header as long as the
                               fields it does not know are zero, and a smaller one from an
                               older header (see the overview) */
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
ATTN_API
attn_status attn_attention_forward(const attn_attention_desc *desc,
                                   const float *q, const float *k, const float *v,
                                   float *out, float *lse, float *probs);

/** Fused attention backward (FlashAttention-2 style, recomputing score tiles from `lse`).
 *  Inputs: q, k, v, out and lse exactly as attn_attention_forward produced them, and dout
 *  (B, NH, Tq, HS). Outputs dq (B, NH, Tq, HS), dk and dv (B, NH, Tk, HS) are overwritten.
 *  Deterministic: bitwise identical for any thread count. Pointers may be NULL when their
 *  buffer is empty; outputs must not overlap inputs or each other. */
ATTN_API
attn_status attn_attention_backward(const attn_attention_desc *desc,
                                    const float *q, const float *k, const float *v,
                                    const float *out, const float *dout, const float *lse,
                                    float *dq, float *dk, float *dv);

/* ------------------------------------------------------------------------------------------ */
/* Built-in data                                                                              */
/* ------------------------------------------------------------------------------------------ */

/** The embedded classical Chinese corpus (Dao De Jing, Analects 1-2, Tang poems; ~30 KB of
 *  UTF-8). `*text` points to static, NUL-terminated storage that lives as long as the library;
 *  `*length` (may be NULL) is its size in bytes without the NUL. */
ATTN_API
attn_status attn_default_corpus(const char **text, size_t *length);

/** The embedded dialogue pairs as UTF-8 TSV ("question<TAB>answer" per line, e.g.
 *  "你吃了吗？\t吃了。"), static storage as for attn_default_corpus. */
ATTN_API
attn_status attn_default_dialogue(const char **tsv, size_t *length);

/* ------------------------------------------------------------------------------------------ */
/* Tokenizer                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** A character-level vocabulary: ids 0-3 are the special tokens below, then one id per distinct
 *  Unicode scalar of the corpus it was built from, in code-point order. Immutable after
 *  creation: any number of threads may use one tokenizer at once. */
typedef struct attn_tokenizer attn_tokenizer_t;

#define ATTN_TOKEN_PAD 0 /**< padding; ignored by the seq2seq loss */
#define ATTN_TOKEN_BOS 1 /**< beginning of an answer (seq2seq) */
#define ATTN_TOKEN_EOS 2 /**< end of an answer; generation stops here */
#define ATTN_TOKEN_UNK 3 /**< a character outside the vocabulary */

/** Builds a tokenizer from the distinct characters of `corpus` (`length` bytes of UTF-8, no NUL
 *  needed). ATTN_ERR_UTF8 (with the byte offset) for invalid UTF-8, ATTN_ERR_INVALID_ARGUMENT for
 *  an empty corpus. On success `*out` owns a new tokenizer (free with attn_tokenizer_free);
 *  on failure `*out` is set to NULL. The text is taken as given: a BOM, a CR or a NUL is a
 *  character (`attn train --corpus` normalises files instead; docs/corpora.md). */
ATTN_API
attn_status attn_tokenizer_init(const char *corpus, size_t length, attn_tokenizer_t **out);

/** Destroys a tokenizer. NULL is a no-op. */
ATTN_API
void attn_tokenizer_free(attn_tokenizer_t *tokenizer);

/** Number of ids V, the special tokens included. */
ATTN_API
attn_status attn_tokenizer_get_vocab_size(const attn_tokenizer_t *tokenizer, int64_t *vocab_size);
/** Deprecated alias of attn_tokenizer_get_vocab_size. */
ATTN_DEPRECATED("attn_tokenizer_get_vocab_size")
ATTN_API
attn_status attn_tokenizer_vocab_size(const attn_tokenizer_t *tokenizer, int64_t *vocab_size);

/** Encodes `length` bytes of UTF-8 into one id per Unicode scalar; characters outside the
 *  vocabulary become ATTN_TOKEN_UNK. `*count` receives the number of ids. With ids == NULL and
 *  capacity == 0 it only counts. When capacity < *count, returns ATTN_ERR_SHAPE (with *count
 *  set) and leaves `ids` unwritten. ATTN_ERR_UTF8 names the offset of the first bad byte. */
ATTN_API
attn_status attn_tokenizer_encode(const attn_tokenizer_t *tokenizer, const char *text, size_t length,
                                  int32_t *ids, int64_t capacity, int64_t *count);

/** Decodes `count` ids to NUL-terminated UTF-8 in `text` (`capacity` bytes, the NUL included);
 *  special tokens produce no text. `*length` receives the byte length without the NUL. With
 *  text == NULL and capacity == 0 it only measures; when capacity <= *length, returns
 *  ATTN_ERR_SHAPE (with *length set) and leaves `text` unwritten. An id outside 0..V-1 is
 *  ATTN_ERR_INVALID_ARGUMENT. */
ATTN_API
attn_status attn_tokenizer_decode(const attn_tokenizer_t *tokenizer, const int32_t *ids, int64_t count,
                                  char *text, size_t capacity, size_t *length);

/* ------------------------------------------------------------------------------------------ */
/* Models                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** A neural network with its weights, configuration and (optionally) its tokenizer.
 *  Thread-safety: a model is read-only for inference, so any number of threads may run
 *  attn_model_forward or their own attn_context_t on one model at once. Training
 *  (attn_trainer_*) writes the weights: while a trainer steps, no other thread may use its
 *  model. */
typedef struct attn_model attn_model_t;

/** The model families. */
typedef enum attn_model_kind {
    ATTN_MODEL_GPT = 1,     /**< decoder-only transformer language model (nanoGPT layout) */
    ATTN_MODEL_SEQ2SEQ = 2, /**< encoder-decoder transformer that answers questions */
    ATTN_MODEL_RNN = 3,     /**< recurrent language model (GRU or LSTM cells) */
    ATTN_MODEL_CNN = 4,     /**< causal dilated convolutional language model */
    ATTN_MODEL_BERT = 5     /**< BERT encoder (the layout of a Hugging Face BertModel); inference
                                 only: it neither trains nor generates. Pretrained folders load
                                 with attn_encoder_load. */
} attn_model_kind;

/** The recurrent cell of an ATTN_MODEL_RNN. */
typedef enum attn_rnn_cell {
    ATTN_CELL_GRU = 0,
    ATTN_CELL_LSTM = 1
} attn_rnn_cell;

/** The architecture of a model. Fields a kind does not use are ignored by attn_model_init and
 *  set to 0 by attn_model_get_config (which also reports seed as 0: the seed only decides the
 *  initial weights). Start from attn_model_config_default. */
typedef struct attn_model_config {
    size_t struct_size;        /**< sizeof(attn_model_config); see attn_attention_desc */
    int32_t kind;              /**< an attn_model_kind (struct fields of enum type are int32_t:
                                    an enum's size is the compiler's choice) */
    int64_t vocab_size;        /**< V in 5...2^18 (4 special tokens + at least 1; see below);
                                    0 = the vocabulary size of the tokenizer given to init */
    int64_t n_layer;           /**< gpt, rnn, cnn: layers; seq2seq: encoder layers */
    int64_t n_decoder_layer;   /**< seq2seq: decoder layers */
    int64_t n_head;            /**< gpt, seq2seq: attention heads (divides n_embd) */
    int64_t n_embd;            /**< all: embedding width C */
    int64_t block_size;        /**< gpt, rnn, cnn: longest sequence one forward pass takes */
    int64_t max_source_length; /**< seq2seq: longest question, in tokens */
    int64_t max_target_length; /**< seq2seq: longest answer, in tokens, EOS included (>= 2) */
    int64_t hidden_size;       /**< rnn: hidden state width */
    int32_t cell;              /**< rnn: an attn_rnn_cell, GRU or LSTM */
    int64_t kernel_size;       /**< cnn: convolution width (>= 2); dilations 1, 2, 4, ... */
    float dropout;             /**< gpt, seq2seq: dropout probability in training, [0, 1) */
    uint64_t seed;             /**< init: seed of the initial weights (same seed, same weights) */
} attn_model_config;

/** Fills `config` (whose struct_size the caller sets first) with a small model of `kind` that
 *  trains in seconds on the built-in data (the defaults of `attn train` too): gpt 4 layers,
 *  4 heads, C 128, block 64, dropout 0.2; seq2seq 2+2 layers, 4 heads, C 64, 32/32 tokens; rnn
 *  GRU 1 layer, C 128, hidden 256, block 64; cnn 5 layers, C 128, kernel 3, block 64; bert
 *  (all-MiniLM-L6-v2's shape) 6 layers, 12 heads, C 384, 512 positions, FFN 4·C.
 *  vocab_size 0 (take the tokenizer's), seed 0. */
ATTN_API
attn_status attn_model_config_default(attn_model_kind kind, attn_model_config *config);

/** Creates a model with freshly initialized weights. `tokenizer` is optional: when given it is
 *  copied into the model (so generation can take text and save writes the vocabulary) and
 *  vocab_size must be 0 or equal to its size. ATTN_ERR_INVALID_ARGUMENT names the first bad
 *  field. On failure `*out` is NULL.
 *  Limits (the same ones attn_model_load applies to a checkpoint's config, as ATTN_ERR_FORMAT):
 *  vocab_size 5...2^18 (PAD, BOS, EOS, UNK and at least one real token; 2^18 = 262,144 is more
 *  than any character or subword vocabulary, and keeps init and a first forward pass of the
 *  (V, C) table and (B, T, V) logits within seconds — 2^24 took minutes); n_layer,
 *  n_decoder_layer and kernel_size 1...1024; max_target_length 2...2^24; every other size
 *  1...2^24; n_head divides n_embd. */
ATTN_API
attn_status attn_model_init(const attn_model_config *config, const attn_tokenizer_t *tokenizer,
                            attn_model_t **out);

/** Loads a checkpoint written by attn_model_save, attn_trainer_save or `attn train`
 *  (safetensors with libattention metadata; nanoGPT names). ATTN_ERR_IO if the file cannot be
 *  read, ATTN_ERR_FORMAT (naming the problem) if it is truncated, corrupt, or contradicts itself
 *  (e.g. tensors whose shapes do not follow from its config, or a config outside
 *  attn_model_init's limits). Only a regular file is read: a FIFO, device, directory or socket is
 *  ATTN_ERR_IO at once (a FIFO never blocks).
 *
 *  Paths (here and in every save): the bytes are used as given, except that a path that is not
 *  valid UTF-8 is ATTN_ERR_UTF8 (naming the offset of its first bad byte) and nothing is read
 *  or written — never a file under a substituted name. */
ATTN_API
attn_status attn_model_load(const char *path, attn_model_t **out);

/** Loads a checkpoint from `size` bytes at `data` (copied; the caller keeps the buffer). */
ATTN_API
attn_status attn_model_load_memory(const void *data, size_t size, attn_model_t **out);

/** Writes the model (weights, config, tokenizer if any) to `path` atomically: the file is either
 *  the complete new checkpoint or, on any failure, left as it was.
 *
 *  Destinations (every save of the library: attn_trainer_save, the CLI's --out and --plot): only a
 *  regular file, or a name that does not exist yet, is replaced. A device node, FIFO, socket or
 *  directory is ATTN_ERR_IO and left untouched (a save to /dev/null as root no longer replaces
 *  the device). A symbolic link is followed: its final target (a regular file, or a new file for
 *  a dangling link) is replaced atomically in the target's directory, so the link survives.
 *  The new content is written to ".<name>.attn-tmp" beside the target and renamed over it; a
 *  save killed before the rename leaves that file, and the next save to the same target reuses
 *  it (so leftovers never accumulate). Concurrent saves to one target (threads or processes)
 *  take turns through a lock on that file: each writes a complete checkpoint, the last one wins. */
ATTN_API
attn_status attn_model_save(const attn_model_t *model, const char *path);

/** Serializes the model into `buffer` (`capacity` bytes). `*size` receives the checkpoint size;
 *  with buffer == NULL and capacity == 0 it only measures; when capacity < *size, returns
 *  ATTN_ERR_SHAPE and leaves `buffer` unwritten. The bytes are what attn_model_save writes. */
ATTN_API
attn_status attn_model_save_memory(const attn_model_t *model, void *buffer, size_t capacity, size_t *size);

/** Destroys a model handle. NULL is a no-op. Contexts and trainers made from the model keep
 *  what they need alive, so the model may be freed before them. */
ATTN_API
void attn_model_free(attn_model_t *model);

/** Number of trainable scalars (tied weights counted once; narrowed matrices count their
 *  weights, as before attn_model_quantize). */
ATTN_API
attn_status attn_model_get_parameter_count(const attn_model_t *model, int64_t *count);
/** Deprecated alias of attn_model_get_parameter_count. */
ATTN_DEPRECATED("attn_model_get_parameter_count")
ATTN_API
attn_status attn_model_parameter_count(const attn_model_t *model, int64_t *count);

/** Copies the model's architecture into `config` (whose struct_size the caller sets). */
ATTN_API
attn_status attn_model_get_config(const attn_model_t *model, attn_model_config *config);

/** A new handle to a copy of the model's tokenizer (free it with attn_tokenizer_free).
 *  ATTN_ERR_INVALID_ARGUMENT when the model has none. */
ATTN_API
attn_status attn_model_get_tokenizer(const attn_model_t *model, attn_tokenizer_t **out);

/** Next-token logits of a language model (gpt, rnn, cnn), dropout off, no gradients:
 *  tokens (batch, time) -> logits (batch, time, V), `logits_count` = the buffer's capacity in
 *  floats (at least batch * time * V). batch >= 0 (0: nothing to do), 1 <= time <= block_size
 *  (ATTN_ERR_SHAPE otherwise); ids in 0..V-1 (ATTN_ERR_INVALID_ARGUMENT). Thread-safe. */
ATTN_API
attn_status attn_model_forward(const attn_model_t *model, const int32_t *tokens, int64_t batch, int64_t time,
                               float *logits, int64_t logits_count);

/** How a model's matrices are stored (attn_model_quantize). */
typedef enum attn_weight_format {
    ATTN_WEIGHTS_F32 = 0,  /**< FP32: the model trains and runs */
    ATTN_WEIGHTS_BF16 = 1, /**< bfloat16 (round to nearest even), 2 bytes per weight; inference only */
    ATTN_WEIGHTS_Q8 = 2    /**< 8-bit integers with one FP32 scale per 32 weights along the input
                                (llama.cpp's Q8_0), 1.125 bytes per weight; inference only */
} attn_weight_format;

/** A new model: a copy of `model` whose matrices are narrowed to `format` (ATTN_WEIGHTS_BF16 or
 *  ATTN_WEIGHTS_Q8) for inference, with their FP32 values released. The narrowed matrices are
 *  every Linear layer's weight and, for gpt, seq2seq and cnn, the token table (their output head
 *  reuses it); position tables, biases and LayerNorms stay FP32. Decoding reads 2x (BF16) or
 *  ~3.6x (Q8) fewer weight bytes per token.
 *  The copy generates, answers, runs forward and saves: attn_model_save writes a checkpoint of
 *  that format (docs/quantization.md), which attn_model_load and every inference function read.
 *  It cannot train: attn_trainer_init refuses it (ATTN_ERR_INVALID_ARGUMENT).
 *  ATTN_ERR_INVALID_ARGUMENT for another format, a model that is already narrowed, or, for Q8,
 *  a matrix whose input dimension is not a multiple of 32 (the message names it; BF16 has no such
 *  limit). `model` is only read. On failure `*out` is NULL. */
ATTN_API
attn_status attn_model_quantize(const attn_model_t *model, attn_weight_format format, attn_model_t **out);

/** `*format` receives how the model's matrices are stored: an attn_weight_format value. */
ATTN_API
attn_status attn_model_get_weight_format(const attn_model_t *model, int32_t *format);

/* ------------------------------------------------------------------------------------------ */
/* Training                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** Owns the optimizer state (AdamW moments, step, random streams) of one training run over one
 *  model. A trainer belongs to one thread at a time, and while it steps no other thread may use
 *  its model. */
typedef struct attn_trainer attn_trainer_t;

/** How a model is trained: AdamW with linear warm-up and cosine decay from learning_rate to
 *  min_learning_rate over `steps`, global gradient clipping. Start from attn_train_config_default. */
typedef struct attn_train_config {
    size_t struct_size;        /**< sizeof(attn_train_config); see attn_attention_desc */
    int64_t steps;             /**< length of the schedule and of attn_trainer_run_* (>= 1) */
    int64_t batch_size;        /**< rows per batch drawn by attn_trainer_run_* (>= 1) */
    float learning_rate;       /**< peak learning rate (> 0) */
    float min_learning_rate;   /**< rate at the end of the cosine decay (0 <= min <= peak) */
    int64_t warmup_steps;      /**< linear warm-up steps (>= 0) */
    float weight_decay;        /**< AdamW decay of matrices (biases and norms are not decayed) */
    float beta1;               /**< AdamW first-moment decay, [0, 1) */
    float beta2;               /**< AdamW second-moment decay, [0, 1) */
    float grad_clip;           /**< global gradient-norm limit; 0 = no clipping */
    int64_t eval_interval;     /**< attn_trainer_run_*: validation loss every n steps (0 = never) */
    int64_t eval_batches;      /**< batches averaged for one validation loss (>= 1) */
    float validation_fraction; /**< attn_trainer_run_tokens: share of tokens held out, [0, 0.5] */
    uint64_t seed;             /**< seed of the batches drawn by attn_trainer_run_* */
    int resume;                /**< nonzero: continue the run saved by attn_trainer_save in the
                                    model's checkpoint (same schedule, batch size, weight decay,
                                    betas and clip required): the next step is bitwise the one
                                    the saved run would have taken */
    /* Data-parallel runs under mpirun only (docs/distributed.md); ignored in one process.
       Neither changes any result: the sum runs in the same fixed rank order either way. */
    int64_t gradient_bucket_bytes; /**< the gradients are summed across ranks in buckets of at
                                    least this many bytes while backward still runs (1...2^40);
                                    0 = the default, 1 MiB. Must stay 0 with no_gradient_overlap */
    int no_gradient_overlap;   /**< nonzero: sum the gradients after backward, on the trainer's
                                    thread (what a host whose MPI runs below
                                    MPI_THREAD_SERIALIZED needs) */
} attn_train_config;

/** Defaults: 500 steps, batch 16, lr 1e-3 -> 1e-4, warm-up 20, decay 0.1, betas 0.9/0.99,
 *  clip 1, evaluation every 50 steps over 4 batches, validation 0.1, seed 0, no resume,
 *  gradient sum overlapped with backward in 1 MiB buckets (bucket bytes 0, overlap on). */
ATTN_API
attn_status attn_train_config_default(attn_train_config *config);

/** What a trainer reports after every step. */
typedef struct attn_progress {
    size_t struct_size;        /**< sizeof(attn_progress) as known to the library */
    int64_t step;              /**< steps completed, 1-based */
    float loss;                /**< training loss of this step */
    float validation_loss;     /**< NaN unless this step was an evaluation step of a run */
    float learning_rate;       /**< rate this step used */
    double tokens_per_second;  /**< training (non-padding) target tokens per second */
} attn_progress;

/** Called after each step on the trainer's thread; returning nonzero stops attn_trainer_run_*
 *  after this step (ATTN_OK). The pointer is valid during the call only. */
typedef int (*attn_progress_fn)(const attn_progress *progress, void *user_data);

/** Creates a trainer for `model` (which it keeps alive). Validates `config`. With
 *  config->resume, restores the state saved with the model (ATTN_ERR_INVALID_ARGUMENT if it has
 *  none, ATTN_ERR_FORMAT naming the first difference if it does not fit the model, the
 *  schedule or the other step settings). */
ATTN_API
attn_status attn_trainer_init(attn_model_t *model, const attn_train_config *config, attn_trainer_t **out);

/** Destroys a trainer (the model keeps its trained weights). NULL is a no-op. */
ATTN_API
void attn_trainer_free(attn_trainer_t *trainer);

/** One optimizer step of a language model (gpt, rnn, cnn) on a batch: inputs and targets are
 *  (batch, time) token ids, targets[b][t] the id that follows inputs[b][t]; 1 <= time <=
 *  block_size. `*loss` receives the mean cross-entropy before the update (may be NULL). Uses
 *  the schedule's learning rate for the trainer's step unless attn_trainer_set_learning_rate
 *  fixed one. A NaN or infinite loss is ATTN_ERR_INVALID_ARGUMENT and leaves the weights as
 *  they were. Calls the progress callback. */
ATTN_API
attn_status attn_trainer_step(attn_trainer_t *trainer, const int32_t *inputs, const int32_t *targets,
                              int64_t batch, int64_t time, float *loss);

/** One optimizer step of a seq2seq model on question-answer pairs: questions (batch,
 *  question_len) and answers (batch, answer_len), each row ATTN_TOKEN_PAD-padded at its end and
 *  holding at least one non-PAD token; the trainer adds BOS and EOS itself (answer tokens + 1 <=
 *  max_target_length). `*loss` (may be NULL) is the mean cross-entropy of the answer tokens. */
ATTN_API
attn_status attn_trainer_step_seq2seq(attn_trainer_t *trainer, const int32_t *questions, int64_t question_len,
                                      const int32_t *answers, int64_t answer_len, int64_t batch, float *loss);

/** The loss of a language-model batch (as attn_trainer_step) without training: dropout off,
 *  no gradients, weights unchanged. `loss` is required. */
ATTN_API
attn_status attn_trainer_evaluate(attn_trainer_t *trainer, const int32_t *inputs, const int32_t *targets,
                                  int64_t batch, int64_t time, float *loss);

/** The loss of a seq2seq batch (as attn_trainer_step_seq2seq) without training. `loss` is
 *  required. */
ATTN_API
attn_status attn_trainer_evaluate_seq2seq(attn_trainer_t *trainer, const int32_t *questions, int64_t question_len,
                                          const int32_t *answers, int64_t answer_len, int64_t batch, float *loss);

/** Fixes the learning rate of the following steps (finite, >= 0), replacing the schedule. */
ATTN_API
attn_status attn_trainer_set_learning_rate(attn_trainer_t *trainer, float learning_rate);

/** Sets (or with NULL clears) the function called after every step. */
ATTN_API
attn_status attn_trainer_set_progress_callback(attn_trainer_t *trainer, attn_progress_fn callback,
                                               void *user_data);

/** Steps completed so far (restored ones included). */
ATTN_API
attn_status attn_trainer_get_step(const attn_trainer_t *trainer, int64_t *step);

/** Data-parallel training (docs/distributed.md): this process's rank and the number of ranks.
 *  A trainer created in a process started by `mpirun` (Open MPI, loaded at run time) belongs to
 *  the job: every step sums the gradients of all ranks, batch_size is the global batch (it must
 *  divide by the rank count), and each rank trains on its rows of it. Elsewhere the rank is 0 and
 *  the size 1. Only rank 0 should save or print; every rank must make the same calls in the same
 *  order (a rank that stops alone makes the others abort after ATTN_MPI_TIMEOUT seconds). */
ATTN_API
attn_status attn_trainer_get_world(const attn_trainer_t *trainer, int32_t *rank, int32_t *size);

/** Trains a language model on a token stream until the trainer has done config->steps steps:
 *  each step draws batch_size random windows of block_size + 1 tokens from the training part of
 *  `tokens`; every eval_interval steps (and after the last) the progress reports the mean loss of
 *  eval_batches batches of the held-out part (validation_fraction of the stream, taken from 1 to
 *  20 evenly spaced pieces so that every part of a mixed corpus is validated). Each part must hold
 *  at least block_size + 1 tokens (ATTN_ERR_INVALID_ARGUMENT otherwise). */
ATTN_API
attn_status attn_trainer_run_tokens(attn_trainer_t *trainer, const int32_t *tokens, int64_t count);

/** Trains a seq2seq model on question-answer pairs given as UTF-8 TSV (see
 *  attn_default_dialogue) until config->steps steps; batches of batch_size random pairs. The
 *  model needs a tokenizer; a malformed line is ATTN_ERR_FORMAT naming it. */
ATTN_API
attn_status attn_trainer_run_pairs(attn_trainer_t *trainer, const char *tsv, size_t length);

/** Writes the model together with the run's state (step, AdamW moments, random streams,
 *  schedule) to `path`, atomically, so a later attn_model_load + attn_trainer_init with
 *  resume = 1 and the same config continues the run exactly. */
ATTN_API
attn_status attn_trainer_save(const attn_trainer_t *trainer, const char *path);

/* ------------------------------------------------------------------------------------------ */
/* Inference: generation, answers, attention weights                                          */
/* ------------------------------------------------------------------------------------------ */

/** The per-thread side of inference over one model: the buffers results are returned in (valid
 *  until the next call on the context). It keeps no decoding state between calls: every
 *  generation decodes its whole prompt into a fresh decoding state (the KV cache of a GPT, the
 *  recurrent state of an RNN) that is freed when the call returns. A context belongs to one thread
 *  at a time; give each thread its own context and they may share the model. The context keeps
 *  its model alive. */
typedef struct attn_context attn_context_t;

/** Called with each new token as it is produced: its id and its UTF-8 text (`length` bytes, also
 *  NUL-terminated, never NULL; empty for special tokens or when the model has no tokenizer),
 *  valid during the call. Returning nonzero stops the generation after this token (ATTN_OK). */
typedef int (*attn_token_fn)(int32_t token, const char *text, size_t length, void *user_data);

/** How tokens are chosen. Start from attn_generate_config_default. */
typedef struct attn_generate_config {
    size_t struct_size;       /**< sizeof(attn_generate_config); see attn_attention_desc */
    int64_t max_new_tokens;   /**< at most this many new tokens, 0 ... 2^24 */
    float temperature;        /**< 0 = greedy (argmax); else softmax(logits / temperature) */
    int64_t top_k;            /**< sample among the k most likely tokens; 0 = all */
    float top_p;              /**< nucleus: smallest set with probability >= p, (0, 1]; 0 = off */
    uint64_t seed;            /**< same seed, same model, same prompt: same text */
    int stop_at_eos;          /**< nonzero: stop after ATTN_TOKEN_EOS (which is not returned) */
    int no_cache;             /**< nonzero: recompute every step without the KV cache (reference) */
    attn_token_fn on_token;   /**< optional streaming callback */
    void *user_data;          /**< passed to on_token */
} attn_generate_config;

/** Defaults: 200 new tokens, temperature 0.8, top_k 0, top_p 0.95, seed 0, stop at EOS, cached,
 *  no callback. Whatever the settings, PAD and BOS are never drawn (no training target is PAD or
 *  BOS; only an untrained model would pick them). */
ATTN_API
attn_status attn_generate_config_default(attn_generate_config *config);

/** Creates a context for `model`. */
ATTN_API
attn_status attn_context_init(const attn_model_t *model, attn_context_t **out);

/** Destroys a context and the results it holds. NULL is a no-op. */
ATTN_API
void attn_context_free(attn_context_t *context);

/** Characters outside the model's vocabulary (after folding ASCII and full-width forms to the one
 *  the vocabulary has) in the text given to attn_context_generate, _answer and _attention are
 *  read as the UNK token by default, and counted: attn_context_get_unknown_count gives how many
 *  the last call read (0 for attn_context_generate_tokens). With `strict` nonzero, such text is
 *  refused instead: ATTN_ERR_INVALID_ARGUMENT naming the characters. */
ATTN_API
attn_status attn_context_set_strict_vocabulary(attn_context_t *context, int strict);

/** `*count` = the characters the last text-taking call on `context` read as UNK. */
ATTN_API
attn_status attn_context_get_unknown_count(const attn_context_t *context, int64_t *count);

/** Continues `prompt` (`length` bytes of UTF-8, at least one character; characters outside the
 *  vocabulary as attn_context_set_strict_vocabulary says) with a language model (gpt, rnn, cnn)
 *  that has a tokenizer. `*text`
 *  receives the generated continuation (without the prompt), NUL-terminated, `*text_length`
 *  (may be NULL) its byte length; both stay valid until the next call on this context or its
 *  free. A prompt longer than block_size keeps its last block_size tokens in view.
 *  A model that produces a NaN or +inf logit (non-finite weights or an overflow) makes this and
 *  every other generation call fail with ATTN_ERR_INVALID_ARGUMENT naming the token id, never
 *  return PAD or BOS tokens with ATTN_OK. */
ATTN_API
attn_status attn_context_generate(attn_context_t *context, const char *prompt, size_t length,
                                  const attn_generate_config *config, const char **text, size_t *text_length);

/** As attn_context_generate on token ids (no tokenizer needed): `*tokens` receives the
 *  `*token_count` generated ids (EOS excluded), owned by the context as above. */
ATTN_API
attn_status attn_context_generate_tokens(attn_context_t *context, const int32_t *prompt, int64_t prompt_count,
                                         const attn_generate_config *config, const int32_t **tokens,
                                         int64_t *token_count);

/** A seq2seq model's answer to `question` (UTF-8, 1..max_source_length characters, else
 *  ATTN_ERR_INVALID_ARGUMENT; unknown characters as attn_context_set_strict_vocabulary says): decodes from BOS until EOS or max_new_tokens
 *  tokens, at most max_target_length - 1 (the longest answer training allows, EOS being the
 *  last target). Results as attn_context_generate. */
ATTN_API
attn_status attn_context_answer(attn_context_t *context, const char *question, size_t length,
                                const attn_generate_config *config, const char **text, size_t *text_length);

/** Which attention a map shows. */
typedef enum attn_attention_kind {
    ATTN_ATTENTION_SELF = 0,    /**< causal self-attention (gpt; seq2seq decoder) */
    ATTN_ATTENTION_ENCODER = 1, /**< bidirectional self-attention of a seq2seq encoder */
    ATTN_ATTENTION_CROSS = 2    /**< seq2seq decoder queries over the question's tokens */
} attn_attention_kind;

/** The attention probabilities of one layer, every head: weights (heads, query_len, key_len),
 *  row i of head h sums to 1 over the keys query i sees (0 for causally hidden keys). */
typedef struct attn_attention_map {
    int32_t kind;         /**< an attn_attention_kind */
    int64_t layer;        /**< 0-based layer within its kind */
    int64_t heads;        /**< NH */
    int64_t query_len;    /**< Tq: one row per query token */
    int64_t key_len;      /**< Tk: one column per key token */
    const float *weights; /**< (NH, Tq, Tk), owned by the context */
} attn_attention_map;

/** What every layer and head attends to when the model reads `text` (UTF-8, in the vocabulary):
 *  for gpt, one ATTN_ATTENTION_SELF map per layer over the text's tokens (1..block_size); for
 *  seq2seq, `text` is the question and `answer` (NULL with answer_length 0: the model's greedy
 *  answer) the answer read after BOS: encoder maps (Ts, Ts), decoder self maps and cross maps
 *  (Ta + 1 rows: BOS then the answer). `answer` must be NULL for gpt. Texts longer than the
 *  model takes, or with characters outside its vocabulary, are ATTN_ERR_INVALID_ARGUMENT.
 *  `*maps` receives `*map_count` maps owned by the context (valid until the next call on it).
 *  rnn and cnn models have no attention: ATTN_ERR_INVALID_ARGUMENT. */
ATTN_API
attn_status attn_context_attention(attn_context_t *context, const char *text, size_t length,
                                   const char *answer, size_t answer_length,
                                   const attn_attention_map **maps, int64_t *map_count);

/* ------------------------------------------------------------------------------------------ */
/* Pretrained sentence encoders (BERT family, e.g. all-MiniLM-L6-v2)                          */
/* ------------------------------------------------------------------------------------------ */

/*
 * A Hugging Face / sentence-transformers BERT folder (config.json, model.safetensors, vocab.txt,
 * optional tokenizer_config.json, sentence_bert_config.json, 1_Pooling/config.json) loaded for
 * inference: text in, one D-dimensional vector per text out (D = hidden size, 384 for
 * all-MiniLM-L6-v2), computed as sentence-transformers does (BERT WordPiece tokens, mean over
 * the tokens of the last layer, L2-normalized). An encoder is immutable: any number of threads
 * may embed with the same handle at once. N texts, D dimension, L layers, NH heads, T tokens.
 *
 *     attn_encoder_t *encoder = NULL;
 *     const char *texts[2] = {"A man is eating food.", "Someone eats."};
 *     float vectors[2 * 384];
 *     CHECK(attn_encoder_load("all-MiniLM-L6-v2", &encoder));
 *     CHECK(attn_encoder_embed(encoder, texts, NULL, 2, 0, 1, vectors, 2 * 384));
 *     // cosine similarity = dot product of vectors[0..383] and vectors[384..767]
 *     attn_encoder_free(encoder);
 */
typedef struct attn_encoder attn_encoder_t;

/** Loads the BERT folder at `folder` (NUL-terminated path). Errors name the file and the key or
 *  tensor: ATTN_ERR_IO for a missing folder or file, ATTN_ERR_FORMAT for another architecture
 *  (model_type, hidden_act, position_embedding_type other than BERT's), shapes that disagree
 *  with config.json, a vocab.txt whose size differs from the embedding table. */
ATTN_API
attn_status attn_encoder_load(const char *folder, attn_encoder_t **out);

/** Destroys an encoder. NULL is a no-op. */
ATTN_API
void attn_encoder_free(attn_encoder_t *encoder);

/** `*dim` = D, the length of every embedding. */
ATTN_API
attn_status attn_encoder_get_dim(const attn_encoder_t *encoder, int64_t *dim);
/** Deprecated alias of attn_encoder_get_dim. */
ATTN_DEPRECATED("attn_encoder_get_dim")
ATTN_API
attn_status attn_encoder_dim(const attn_encoder_t *encoder, int64_t *dim);

/** `*max_length` = the most tokens embedded per text, [CLS] and [SEP] included (sentence-
 *  transformers' max_seq_length, 256 for all-MiniLM-L6-v2); longer texts are truncated. */
ATTN_API
attn_status attn_encoder_get_max_length(const attn_encoder_t *encoder, int64_t *max_length);
/** Deprecated alias of attn_encoder_get_max_length. */
ATTN_DEPRECATED("attn_encoder_get_max_length")
ATTN_API
attn_status attn_encoder_max_length(const attn_encoder_t *encoder, int64_t *max_length);

/** A new encoder: a copy of `encoder` for inference with the word embeddings and the six matrices
 *  of every layer (query, key, value, attention output, intermediate, output) narrowed to `format`
 *  (ATTN_WEIGHTS_BF16 or ATTN_WEIGHTS_Q8; see attn_model_quantize) and not kept in FP32; position
 *  and token-type embeddings, biases and LayerNorms stay FP32. Embeddings change little: cosine to the FP32 ones >= 0.9999 (BF16) and
 *  >= 0.999 (Q8) on all-MiniLM-L6-v2. A folder that `attn quantize` wrote loads narrowed with
 *  attn_encoder_load. ATTN_ERR_INVALID_ARGUMENT for another format, an encoder already narrowed,
 *  or (Q8) a dimension that is not a multiple of 32. On failure `*out` is NULL. */
ATTN_API
attn_status attn_encoder_quantize(const attn_encoder_t *encoder, attn_weight_format format, attn_encoder_t **out);

/** `*format` receives how the encoder's layer matrices are stored: an attn_weight_format value. */
ATTN_API
attn_status attn_encoder_get_weight_format(const attn_encoder_t *encoder, int32_t *format);

/** Embeds `count` UTF-8 texts into `embeddings` (count, D), a caller buffer of `capacity` floats
 *  (at least count·D, else ATTN_ERR_SHAPE and nothing written). `texts[i]` has `lengths[i]`
 *  bytes; `lengths` NULL means every text is NUL-terminated. `batch_size` texts run per forward
 *  pass (0: 32); it changes speed, never results. `normalize` nonzero divides each vector by
 *  its L2 norm. count 0 writes nothing and returns ATTN_OK; an empty text embeds [CLS][SEP];
 *  texts over max_length tokens are truncated (attn_encoder_tokenize tells which). Invalid
 *  UTF-8 is ATTN_ERR_UTF8 naming the text and byte offset. */
ATTN_API
attn_status attn_encoder_embed(const attn_encoder_t *encoder, const char *const *texts, const size_t *lengths,
                               int64_t count, int64_t batch_size, int normalize, float *embeddings,
                               int64_t capacity);

/** The token ids the encoder reads for `text` (`length` bytes of UTF-8): [CLS], the WordPiece
 *  ids truncated to max_length - 2, [SEP]. `*count` receives their number; `ids` (capacity
 *  entries) receives them, NULL with capacity 0 only measures. `*truncated` (may be NULL) is
 *  set to 1 when the text had more tokens than fit, else 0. */
ATTN_API
attn_status attn_encoder_tokenize(const attn_encoder_t *encoder, const char *text, size_t length, int32_t *ids,
                                  int64_t capacity, int64_t *count, int *truncated);

/** The text of token `id` (a vocab.txt line, e.g. "[CLS]", "eat", "##ing"), NUL-terminated in
 *  `*text` with its byte length in `*length` (may be NULL); owned by the encoder, valid until
 *  attn_encoder_free. An id outside the vocabulary is ATTN_ERR_INVALID_ARGUMENT. */
ATTN_API
attn_status attn_encoder_token_text(const attn_encoder_t *encoder, int32_t id, const char **text, size_t *length);

/** What every layer and head attends to when the encoder reads `text`: `weights` (L, NH, T, T)
 *  receives the bidirectional attention probabilities over the text's T tokens (as from
 *  attn_encoder_tokenize; row i of a head sums to 1). `*layers`, `*heads`, `*tokens` receive
 *  L, NH, T; `weights` (capacity floats) NULL with capacity 0 only measures, a smaller buffer
 *  is ATTN_ERR_SHAPE. */
ATTN_API
attn_status attn_encoder_attention(const attn_encoder_t *encoder, const char *text, size_t length, float *weights,
                                   int64_t capacity, int64_t *layers, int64_t *heads, int64_t *tokens);

/* ---------------------------------------------------------------------------------------------
 * CPU features: which kernels run
 * ------------------------------------------------------------------------------------------- */

/** Which SIMD kernels this process runs and what the CPU offers, as one line of space-separated
 *  `key=value` fields: `kernels=avx512 cpu=avx2,fma,avx512f,avx512cd,avx512bw,avx512dq,avx512vl`.
 *  `kernels` is `avx512` when the CPU has AVX-512 (F, CD, BW, DQ, VL), else `avx2`; setting the
 *  environment variable ATTN_ISA=avx2 before the first call forces the AVX2 kernels (for
 *  comparisons). The library needs AVX2 + FMA. Decided once per process; static storage, never
 *  NULL. Example: `printf("%s\n", attn_cpu_features());` */
ATTN_API
const char *attn_cpu_features(void);

#ifdef __cplusplus
}
#endif

#endif /* ATTENTION_H */
