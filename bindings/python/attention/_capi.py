"""The C ABI of include/attention.h, one binding per function, with its C prototype above it.

Low level: raw ctypes, status codes returned as ints. The Pythonic API in the other modules of
this package wraps these and raises `AttentionError` subclasses.
"""
import ctypes
from ctypes import (CFUNCTYPE, POINTER, c_char, c_char_p, c_double, c_float, c_int, c_int32,
                    c_int64, c_size_t, c_uint8, c_uint64, c_void_p)

from . import _library

lib = _library.load()

c_float_p = POINTER(c_float)
c_uint8_p = POINTER(c_uint8)
c_int32_p = POINTER(c_int32)
c_char_ptr = POINTER(c_char)  # text with an explicit length (not read up to a NUL like c_char_p)


class SizedStructure(ctypes.Structure):
    """A config struct whose first field, struct_size, is set to its size on construction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.struct_size = ctypes.sizeof(self)

# typedef enum attn_status { ATTN_OK = 0, ATTN_ERR_NULL_POINTER = 1, ... } attn_status;
attn_status = c_int
ATTN_OK = 0
ATTN_ERR_NULL_POINTER = 1
ATTN_ERR_INVALID_ARGUMENT = 2
ATTN_ERR_SHAPE = 3
ATTN_ERR_OUT_OF_MEMORY = 4
ATTN_ERR_IO = 5
ATTN_ERR_FORMAT = 6
ATTN_ERR_UTF8 = 7
ATTN_ERR_INTERNAL = 8

# typedef enum attn_transpose { ATTN_NO_TRANS = 0, ATTN_TRANS = 1 } attn_transpose;
attn_transpose = c_int
ATTN_NO_TRANS = 0
ATTN_TRANS = 1


class attn_attention_desc(SizedStructure):
    """typedef struct attn_attention_desc { size_t struct_size; int64_t batch, heads, q_len,
    kv_len, head_size; int causal; const uint8_t *key_padding_mask; float scale; }"""
    _fields_ = [
        ("struct_size", c_size_t),
        ("batch", c_int64),
        ("heads", c_int64),
        ("q_len", c_int64),
        ("kv_len", c_int64),
        ("head_size", c_int64),
        ("causal", c_int),
        ("key_padding_mask", c_uint8_p),
        ("scale", c_float),
    ]


def data_pointer(array, pointer_type):
    """The address of numpy `array`'s data as a `pointer_type` (c_float_p, c_int32_p), so the
    typed argtypes check what is passed; None stays None (NULL)."""
    return None if array is None else array.ctypes.data_as(pointer_type)


def _bind(name, restype, argtypes):
    try:
        function = getattr(lib, name)
    except AttributeError:
        raise ImportError(f"{lib._name} does not export {name} although its ABI version matches; "
                          "rebuild it with `swift build -c release --product attention`") from None
    function.restype = restype
    function.argtypes = argtypes
    return function


# const char *attn_version(void);
attn_version = _bind("attn_version", c_char_p, [])
# int attn_abi_version(void);
attn_abi_version = _bind("attn_abi_version", c_int, [])
# const char *attn_cpu_features(void);
attn_cpu_features = _bind("attn_cpu_features", c_char_p, [])
# const char *attn_status_string(attn_status status);
attn_status_string = _bind("attn_status_string", c_char_p, [attn_status])
# const char *attn_last_error(void);
attn_last_error = _bind("attn_last_error", c_char_p, [])
# attn_status attn_set_num_threads(int num_threads);
attn_set_num_threads = _bind("attn_set_num_threads", attn_status, [c_int])
# int attn_get_num_threads(void);
attn_get_num_threads = _bind("attn_get_num_threads", c_int, [])

# attn_status attn_matmul(attn_transpose trans_a, attn_transpose trans_b,
#                         int64_t m, int64_t n, int64_t k,
#                         float alpha, const float *a, int64_t lda,
#                         const float *b, int64_t ldb,
#                         float beta, float *c, int64_t ldc,
#                         const float *bias);
attn_matmul = _bind("attn_matmul", attn_status, [
    attn_transpose, attn_transpose, c_int64, c_int64, c_int64,
    c_float, c_float_p, c_int64, c_float_p, c_int64, c_float, c_float_p, c_int64, c_float_p])

# attn_status attn_softmax(float *out, const float *inp, int64_t rows, int64_t cols, int causal);
attn_softmax = _bind("attn_softmax", attn_status, [c_float_p, c_float_p, c_int64, c_int64, c_int])

# attn_status attn_layernorm(float *out, float *mean, float *rstd, const float *inp,
#                            const float *weight, const float *bias,
#                            int64_t rows, int64_t channels, float eps);
attn_layernorm = _bind("attn_layernorm", attn_status, [
    c_float_p, c_float_p, c_float_p, c_float_p, c_float_p, c_float_p, c_int64, c_int64, c_float])

# attn_status attn_attention_forward(const attn_attention_desc *desc,
#                                    const float *q, const float *k, const float *v,
#                                    float *out, float *lse, float *probs);
attn_attention_forward = _bind("attn_attention_forward", attn_status, [
    POINTER(attn_attention_desc), c_float_p, c_float_p, c_float_p, c_float_p, c_float_p, c_float_p])

# attn_status attn_attention_backward(const attn_attention_desc *desc,
#                                     const float *q, const float *k, const float *v,
#                                     const float *out, const float *dout, const float *lse,
#                                     float *dq, float *dk, float *dv);
attn_attention_backward = _bind("attn_attention_backward", attn_status, [
    POINTER(attn_attention_desc), c_float_p, c_float_p, c_float_p, c_float_p, c_float_p, c_float_p,
    c_float_p, c_float_p, c_float_p])

# ---------------------------------------------------------------------------------------------
# Built-in data

# attn_status attn_default_corpus(const char **text, size_t *length);
attn_default_corpus = _bind("attn_default_corpus", attn_status, [POINTER(c_char_ptr), POINTER(c_size_t)])
# attn_status attn_default_dialogue(const char **tsv, size_t *length);
attn_default_dialogue = _bind("attn_default_dialogue", attn_status, [POINTER(c_char_ptr), POINTER(c_size_t)])

# ---------------------------------------------------------------------------------------------
# Tokenizer


class attn_tokenizer(ctypes.Structure):
    """typedef struct attn_tokenizer attn_tokenizer_t; (opaque)"""


attn_tokenizer_t = attn_tokenizer

ATTN_TOKEN_PAD = 0
ATTN_TOKEN_BOS = 1
ATTN_TOKEN_EOS = 2
ATTN_TOKEN_UNK = 3

# attn_status attn_tokenizer_init(const char *corpus, size_t length, attn_tokenizer_t **out);
attn_tokenizer_init = _bind("attn_tokenizer_init", attn_status, [
    c_char_p, c_size_t, POINTER(POINTER(attn_tokenizer_t))])
# void attn_tokenizer_free(attn_tokenizer_t *tokenizer);
attn_tokenizer_free = _bind("attn_tokenizer_free", None, [POINTER(attn_tokenizer_t)])
# attn_status attn_tokenizer_get_vocab_size(const attn_tokenizer_t *tokenizer, int64_t *vocab_size);
attn_tokenizer_get_vocab_size = _bind("attn_tokenizer_get_vocab_size", attn_status, [
    POINTER(attn_tokenizer_t), POINTER(c_int64)])
# deprecated alias: attn_status attn_tokenizer_vocab_size(const attn_tokenizer_t *tokenizer, int64_t *vocab_size);
attn_tokenizer_vocab_size = _bind("attn_tokenizer_vocab_size", attn_status, [
    POINTER(attn_tokenizer_t), POINTER(c_int64)])
# attn_status attn_tokenizer_encode(const attn_tokenizer_t *tokenizer, const char *text, size_t length,
#                                   int32_t *ids, int64_t capacity, int64_t *count);
attn_tokenizer_encode = _bind("attn_tokenizer_encode", attn_status, [
    POINTER(attn_tokenizer_t), c_char_p, c_size_t, c_int32_p, c_int64, POINTER(c_int64)])
# attn_status attn_tokenizer_decode(const attn_tokenizer_t *tokenizer, const int32_t *ids, int64_t count,
#                                   char *text, size_t capacity, size_t *length);
attn_tokenizer_decode = _bind("attn_tokenizer_decode", attn_status, [
    POINTER(attn_tokenizer_t), c_int32_p, c_int64, c_char_ptr, c_size_t, POINTER(c_size_t)])

# ---------------------------------------------------------------------------------------------
# Models


class attn_model(ctypes.Structure):
    """typedef struct attn_model attn_model_t; (opaque)"""


attn_model_t = attn_model

# typedef enum attn_model_kind { ATTN_MODEL_GPT = 1, ATTN_MODEL_SEQ2SEQ = 2, ATTN_MODEL_RNN = 3,
#                                ATTN_MODEL_CNN = 4, ATTN_MODEL_BERT = 5 } attn_model_kind;
attn_model_kind = c_int
ATTN_MODEL_GPT = 1
ATTN_MODEL_SEQ2SEQ = 2
ATTN_MODEL_RNN = 3
ATTN_MODEL_CNN = 4
ATTN_MODEL_BERT = 5

# typedef enum attn_rnn_cell { ATTN_CELL_GRU = 0, ATTN_CELL_LSTM = 1 } attn_rnn_cell;
attn_rnn_cell = c_int
ATTN_CELL_GRU = 0
ATTN_CELL_LSTM = 1


class attn_model_config(SizedStructure):
    """typedef struct attn_model_config { size_t struct_size; int32_t kind;
    int64_t vocab_size, n_layer, n_decoder_layer, n_head, n_embd, block_size, max_source_length,
    max_target_length, hidden_size; int32_t cell; int64_t kernel_size; float dropout;
    uint64_t seed; }"""
    _fields_ = [
        ("struct_size", c_size_t),
        ("kind", c_int32),  # an attn_model_kind
        ("vocab_size", c_int64),
        ("n_layer", c_int64),
        ("n_decoder_layer", c_int64),
        ("n_head", c_int64),
        ("n_embd", c_int64),
        ("block_size", c_int64),
        ("max_source_length", c_int64),
        ("max_target_length", c_int64),
        ("hidden_size", c_int64),
        ("cell", c_int32),  # an attn_rnn_cell
        ("kernel_size", c_int64),
        ("dropout", c_float),
        ("seed", c_uint64),
    ]


# attn_status attn_model_config_default(attn_model_kind kind, attn_model_config *config);
attn_model_config_default = _bind("attn_model_config_default", attn_status, [
    attn_model_kind, POINTER(attn_model_config)])
# attn_status attn_model_init(const attn_model_config *config, const attn_tokenizer_t *tokenizer,
#                             attn_model_t **out);
attn_model_init = _bind("attn_model_init", attn_status, [
    POINTER(attn_model_config), POINTER(attn_tokenizer_t), POINTER(POINTER(attn_model_t))])
# attn_status attn_model_load(const char *path, attn_model_t **out);
attn_model_load = _bind("attn_model_load", attn_status, [c_char_p, POINTER(POINTER(attn_model_t))])
# attn_status attn_model_load_memory(const void *data, size_t size, attn_model_t **out);
attn_model_load_memory = _bind("attn_model_load_memory", attn_status, [
    c_void_p, c_size_t, POINTER(POINTER(attn_model_t))])
# attn_status attn_model_save(const attn_model_t *model, const char *path);
attn_model_save = _bind("attn_model_save", attn_status, [POINTER(attn_model_t), c_char_p])
# attn_status attn_model_save_memory(const attn_model_t *model, void *buffer, size_t capacity, size_t *size);
attn_model_save_memory = _bind("attn_model_save_memory", attn_status, [
    POINTER(attn_model_t), c_void_p, c_size_t, POINTER(c_size_t)])
# void attn_model_free(attn_model_t *model);
attn_model_free = _bind("attn_model_free", None, [POINTER(attn_model_t)])
# attn_status attn_model_get_parameter_count(const attn_model_t *model, int64_t *count);
attn_model_get_parameter_count = _bind("attn_model_get_parameter_count", attn_status, [
    POINTER(attn_model_t), POINTER(c_int64)])
# deprecated alias: attn_status attn_model_parameter_count(const attn_model_t *model, int64_t *count);
attn_model_parameter_count = _bind("attn_model_parameter_count", attn_status, [
    POINTER(attn_model_t), POINTER(c_int64)])
# typedef enum attn_weight_format { ATTN_WEIGHTS_F32 = 0, ATTN_WEIGHTS_BF16 = 1,
#                                   ATTN_WEIGHTS_Q8 = 2 } attn_weight_format;
attn_weight_format = c_int
ATTN_WEIGHTS_F32 = 0
ATTN_WEIGHTS_BF16 = 1
ATTN_WEIGHTS_Q8 = 2
# attn_status attn_model_quantize(const attn_model_t *model, attn_weight_format format, attn_model_t **out);
attn_model_quantize = _bind("attn_model_quantize", attn_status, [
    POINTER(attn_model_t), attn_weight_format, POINTER(POINTER(attn_model_t))])
# attn_status attn_model_get_weight_format(const attn_model_t *model, int32_t *format);
attn_model_get_weight_format = _bind("attn_model_get_weight_format", attn_status, [
    POINTER(attn_model_t), POINTER(c_int32)])
# attn_status attn_model_get_config(const attn_model_t *model, attn_model_config *config);
attn_model_get_config = _bind("attn_model_get_config", attn_status, [
    POINTER(attn_model_t), POINTER(attn_model_config)])
# attn_status attn_model_get_tokenizer(const attn_model_t *model, attn_tokenizer_t **out);
attn_model_get_tokenizer = _bind("attn_model_get_tokenizer", attn_status, [
    POINTER(attn_model_t), POINTER(POINTER(attn_tokenizer_t))])
# attn_status attn_model_forward(const attn_model_t *model, const int32_t *tokens, int64_t batch, int64_t time,
#                                float *logits, int64_t logits_count);
attn_model_forward = _bind("attn_model_forward", attn_status, [
    POINTER(attn_model_t), c_int32_p, c_int64, c_int64, c_float_p, c_int64])

# ---------------------------------------------------------------------------------------------
# Training


class attn_trainer(ctypes.Structure):
    """typedef struct attn_trainer attn_trainer_t; (opaque)"""


attn_trainer_t = attn_trainer


class attn_train_config(SizedStructure):
    """typedef struct attn_train_config { size_t struct_size; int64_t steps, batch_size;
    float learning_rate, min_learning_rate; int64_t warmup_steps; float weight_decay, beta1,
    beta2, grad_clip; int64_t eval_interval, eval_batches; float validation_fraction;
    uint64_t seed; int resume; int64_t gradient_bucket_bytes; int no_gradient_overlap; }"""
    _fields_ = [
        ("struct_size", c_size_t),
        ("steps", c_int64),
        ("batch_size", c_int64),
        ("learning_rate", c_float),
        ("min_learning_rate", c_float),
        ("warmup_steps", c_int64),
        ("weight_decay", c_float),
        ("beta1", c_float),
        ("beta2", c_float),
        ("grad_clip", c_float),
        ("eval_interval", c_int64),
        ("eval_batches", c_int64),
        ("validation_fraction", c_float),
        ("seed", c_uint64),
        ("resume", c_int),
        ("gradient_bucket_bytes", c_int64),
        ("no_gradient_overlap", c_int),
    ]


# attn_status attn_train_config_default(attn_train_config *config);
attn_train_config_default = _bind("attn_train_config_default", attn_status, [POINTER(attn_train_config)])


class attn_progress(SizedStructure):
    """typedef struct attn_progress { size_t struct_size; int64_t step; float loss,
    validation_loss, learning_rate; double tokens_per_second; }"""
    _fields_ = [
        ("struct_size", c_size_t),
        ("step", c_int64),
        ("loss", c_float),
        ("validation_loss", c_float),
        ("learning_rate", c_float),
        ("tokens_per_second", c_double),
    ]


# typedef int (*attn_progress_fn)(const attn_progress *progress, void *user_data);
attn_progress_fn = CFUNCTYPE(c_int, POINTER(attn_progress), c_void_p)

# attn_status attn_trainer_init(attn_model_t *model, const attn_train_config *config, attn_trainer_t **out);
attn_trainer_init = _bind("attn_trainer_init", attn_status, [
    POINTER(attn_model_t), POINTER(attn_train_config), POINTER(POINTER(attn_trainer_t))])
# void attn_trainer_free(attn_trainer_t *trainer);
attn_trainer_free = _bind("attn_trainer_free", None, [POINTER(attn_trainer_t)])
# attn_status attn_trainer_step(attn_trainer_t *trainer, const int32_t *inputs, const int32_t *targets,
#                               int64_t batch, int64_t time, float *loss);
attn_trainer_step = _bind("attn_trainer_step", attn_status, [
    POINTER(attn_trainer_t), c_int32_p, c_int32_p, c_int64, c_int64, c_float_p])
# attn_status attn_trainer_step_seq2seq(attn_trainer_t *trainer, const int32_t *questions, int64_t question_len,
#                                       const int32_t *answers, int64_t answer_len, int64_t batch, float *loss);
attn_trainer_step_seq2seq = _bind("attn_trainer_step_seq2seq", attn_status, [
    POINTER(attn_trainer_t), c_int32_p, c_int64, c_int32_p, c_int64, c_int64, c_float_p])
# attn_status attn_trainer_evaluate(attn_trainer_t *trainer, const int32_t *inputs, const int32_t *targets,
#                                   int64_t batch, int64_t time, float *loss);
attn_trainer_evaluate = _bind("attn_trainer_evaluate", attn_status, [
    POINTER(attn_trainer_t), c_int32_p, c_int32_p, c_int64, c_int64, c_float_p])
# attn_status attn_trainer_evaluate_seq2seq(attn_trainer_t *trainer, const int32_t *questions, int64_t question_len,
#                                           const int32_t *answers, int64_t answer_len, int64_t batch, float *loss);
attn_trainer_evaluate_seq2seq = _bind("attn_trainer_evaluate_seq2seq", attn_status, [
    POINTER(attn_trainer_t), c_int32_p, c_int64, c_int32_p, c_int64, c_int64, c_float_p])
# attn_status attn_trainer_set_learning_rate(attn_trainer_t *trainer, float learning_rate);
attn_trainer_set_learning_rate = _bind("attn_trainer_set_learning_rate", attn_status, [
    POINTER(attn_trainer_t), c_float])
# attn_status attn_trainer_set_progress_callback(attn_trainer_t *trainer, attn_progress_fn callback,
#                                                void *user_data);
attn_trainer_set_progress_callback = _bind("attn_trainer_set_progress_callback", attn_status, [
    POINTER(attn_trainer_t), attn_progress_fn, c_void_p])
# attn_status attn_trainer_get_step(const attn_trainer_t *trainer, int64_t *step);
attn_trainer_get_step = _bind("attn_trainer_get_step", attn_status, [POINTER(attn_trainer_t), POINTER(c_int64)])
# attn_status attn_trainer_get_world(const attn_trainer_t *trainer, int32_t *rank, int32_t *size);
attn_trainer_get_world = _bind("attn_trainer_get_world", attn_status, [
    POINTER(attn_trainer_t), POINTER(c_int32), POINTER(c_int32)])
# attn_status attn_trainer_run_tokens(attn_trainer_t *trainer, const int32_t *tokens, int64_t count);
attn_trainer_run_tokens = _bind("attn_trainer_run_tokens", attn_status, [
    POINTER(attn_trainer_t), c_int32_p, c_int64])
# attn_status attn_trainer_run_pairs(attn_trainer_t *trainer, const char *tsv, size_t length);
attn_trainer_run_pairs = _bind("attn_trainer_run_pairs", attn_status, [
    POINTER(attn_trainer_t), c_char_p, c_size_t])
# attn_status attn_trainer_save(const attn_trainer_t *trainer, const char *path);
attn_trainer_save = _bind("attn_trainer_save", attn_status, [POINTER(attn_trainer_t), c_char_p])

# ---------------------------------------------------------------------------------------------
# Inference


class attn_context(ctypes.Structure):
    """typedef struct attn_context attn_context_t; (opaque)"""


attn_context_t = attn_context

# typedef int (*attn_token_fn)(int32_t token, const char *text, size_t length, void *user_data);
attn_token_fn = CFUNCTYPE(c_int, c_int32, c_char_ptr, c_size_t, c_void_p)


class attn_generate_config(SizedStructure):
    """typedef struct attn_generate_config { size_t struct_size; int64_t max_new_tokens;
    float temperature; int64_t top_k; float top_p; uint64_t seed; int stop_at_eos, no_cache;
    attn_token_fn on_token; void *user_data; }"""
    _fields_ = [
        ("struct_size", c_size_t),
        ("max_new_tokens", c_int64),
        ("temperature", c_float),
        ("top_k", c_int64),
        ("top_p", c_float),
        ("seed", c_uint64),
        ("stop_at_eos", c_int),
        ("no_cache", c_int),
        ("on_token", attn_token_fn),
        ("user_data", c_void_p),
    ]


# attn_status attn_generate_config_default(attn_generate_config *config);
attn_generate_config_default = _bind("attn_generate_config_default", attn_status, [
    POINTER(attn_generate_config)])
# attn_status attn_context_init(const attn_model_t *model, attn_context_t **out);
attn_context_init = _bind("attn_context_init", attn_status, [
    POINTER(attn_model_t), POINTER(POINTER(attn_context_t))])
# void attn_context_free(attn_context_t *context);
attn_context_free = _bind("attn_context_free", None, [POINTER(attn_context_t)])
# attn_status attn_context_set_strict_vocabulary(attn_context_t *context, int strict);
attn_context_set_strict_vocabulary = _bind("attn_context_set_strict_vocabulary", attn_status, [
    POINTER(attn_context_t), c_int])
# attn_status attn_context_get_unknown_count(const attn_context_t *context, int64_t *count);
attn_context_get_unknown_count = _bind("attn_context_get_unknown_count", attn_status, [
    POINTER(attn_context_t), POINTER(c_int64)])
# attn_status attn_context_generate(attn_context_t *context, const char *prompt, size_t length,
#                                   const attn_generate_config *config, const char **text, size_t *text_length);
attn_context_generate = _bind("attn_context_generate", attn_status, [
    POINTER(attn_context_t), c_char_p, c_size_t, POINTER(attn_generate_config), POINTER(c_char_ptr),
    POINTER(c_size_t)])
# attn_status attn_context_generate_tokens(attn_context_t *context, const int32_t *prompt, int64_t prompt_count,
#                                          const attn_generate_config *config, const int32_t **tokens,
#                                          int64_t *token_count);
attn_context_generate_tokens = _bind("attn_context_generate_tokens", attn_status, [
    POINTER(attn_context_t), c_int32_p, c_int64, POINTER(attn_generate_config), POINTER(c_int32_p),
    POINTER(c_int64)])
# attn_status attn_context_answer(attn_context_t *context, const char *question, size_t length,
#                                 const attn_generate_config *config, const char **text, size_t *text_length);
attn_context_answer = _bind("attn_context_answer", attn_status, [
    POINTER(attn_context_t), c_char_p, c_size_t, POINTER(attn_generate_config), POINTER(c_char_ptr),
    POINTER(c_size_t)])

# typedef enum attn_attention_kind { ATTN_ATTENTION_SELF = 0, ATTN_ATTENTION_ENCODER = 1,
#                                    ATTN_ATTENTION_CROSS = 2 } attn_attention_kind;
attn_attention_kind = c_int
ATTN_ATTENTION_SELF = 0
ATTN_ATTENTION_ENCODER = 1
ATTN_ATTENTION_CROSS = 2


class attn_attention_map(ctypes.Structure):
    """typedef struct attn_attention_map { int32_t kind; int64_t layer, heads,
    query_len, key_len; const float *weights; }"""
    _fields_ = [
        ("kind", c_int32),  # an attn_attention_kind
        ("layer", c_int64),
        ("heads", c_int64),
        ("query_len", c_int64),
        ("key_len", c_int64),
        ("weights", c_float_p),
    ]


# attn_status attn_context_attention(attn_context_t *context, const char *text, size_t length,
#                                    const char *answer, size_t answer_length,
#                                    const attn_attention_map **maps, int64_t *map_count);
attn_context_attention = _bind("attn_context_attention", attn_status, [
    POINTER(attn_context_t), c_char_p, c_size_t, c_char_p, c_size_t, POINTER(POINTER(attn_attention_map)),
    POINTER(c_int64)])

# ---------------------------------------------------------------------------------------------
# Pretrained sentence encoders (BERT family)
# ---------------------------------------------------------------------------------------------

# typedef struct attn_encoder attn_encoder_t;
class attn_encoder(ctypes.Structure):
    pass


attn_encoder_t = attn_encoder

# attn_status attn_encoder_load(const char *folder, attn_encoder_t **out);
attn_encoder_load = _bind("attn_encoder_load", attn_status, [c_char_p, POINTER(POINTER(attn_encoder_t))])
# void attn_encoder_free(attn_encoder_t *encoder);
attn_encoder_free = _bind("attn_encoder_free", None, [POINTER(attn_encoder_t)])
# attn_status attn_encoder_get_dim(const attn_encoder_t *encoder, int64_t *dim);
attn_encoder_get_dim = _bind("attn_encoder_get_dim", attn_status, [POINTER(attn_encoder_t), POINTER(c_int64)])
# deprecated alias: attn_status attn_encoder_dim(const attn_encoder_t *encoder, int64_t *dim);
attn_encoder_dim = _bind("attn_encoder_dim", attn_status, [POINTER(attn_encoder_t), POINTER(c_int64)])
# attn_status attn_encoder_get_max_length(const attn_encoder_t *encoder, int64_t *max_length);
attn_encoder_get_max_length = _bind("attn_encoder_get_max_length", attn_status, [POINTER(attn_encoder_t), POINTER(c_int64)])
# deprecated alias: attn_status attn_encoder_max_length(const attn_encoder_t *encoder, int64_t *max_length);
attn_encoder_max_length = _bind("attn_encoder_max_length", attn_status, [POINTER(attn_encoder_t), POINTER(c_int64)])
# attn_status attn_encoder_quantize(const attn_encoder_t *encoder, attn_weight_format format, attn_encoder_t **out);
attn_encoder_quantize = _bind("attn_encoder_quantize", attn_status, [
    POINTER(attn_encoder_t), attn_weight_format, POINTER(POINTER(attn_encoder_t))])
# attn_status attn_encoder_get_weight_format(const attn_encoder_t *encoder, int32_t *format);
attn_encoder_get_weight_format = _bind("attn_encoder_get_weight_format", attn_status, [
    POINTER(attn_encoder_t), POINTER(c_int32)])
# attn_status attn_encoder_embed(const attn_encoder_t *encoder, const char *const *texts, const size_t *lengths,
#                                int64_t count, int64_t batch_size, int normalize, float *embeddings,
#                                int64_t capacity);
attn_encoder_embed = _bind("attn_encoder_embed", attn_status, [
    POINTER(attn_encoder_t), POINTER(c_char_p), POINTER(c_size_t), c_int64, c_int64, c_int, c_float_p, c_int64])
# attn_status attn_encoder_tokenize(const attn_encoder_t *encoder, const char *text, size_t length, int32_t *ids,
#                                   int64_t capacity, int64_t *count, int *truncated);
attn_encoder_tokenize = _bind("attn_encoder_tokenize", attn_status, [
    POINTER(attn_encoder_t), c_char_p, c_size_t, c_int32_p, c_int64, POINTER(c_int64), POINTER(c_int)])
# attn_status attn_encoder_token_text(const attn_encoder_t *encoder, int32_t id, const char **text, size_t *length);
attn_encoder_token_text = _bind("attn_encoder_token_text", attn_status, [
    POINTER(attn_encoder_t), c_int32, POINTER(c_char_ptr), POINTER(c_size_t)])
# attn_status attn_encoder_attention(const attn_encoder_t *encoder, const char *text, size_t length, float *weights,
#                                    int64_t capacity, int64_t *layers, int64_t *heads, int64_t *tokens);
attn_encoder_attention = _bind("attn_encoder_attention", attn_status, [
    POINTER(attn_encoder_t), c_char_p, c_size_t, c_float_p, c_int64, POINTER(c_int64), POINTER(c_int64),
    POINTER(c_int64)])
