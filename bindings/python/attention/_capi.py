"""The C ABI of include/attention.h, one binding per function, with its C prototype above it.

Low level: raw ctypes, status codes returned as ints. The Pythonic API in the other modules of
this package wraps these and raises `AttentionError` subclasses.
"""
import ctypes
from ctypes import POINTER, c_char_p, c_float, c_int, c_int64, c_size_t, c_uint8, c_void_p

from . import _library

lib = _library.load()

c_float_p = POINTER(c_float)
c_uint8_p = POINTER(c_uint8)

# typedef enum attn_status { ATTN_OK = 0, ... } attn_status;
attn_status = c_int
ATTN_OK = 0

# typedef enum attn_transpose { ATTN_NO_TRANS = 0, ATTN_TRANS = 1 } attn_transpose;
attn_transpose = c_int
ATTN_NO_TRANS = 0
ATTN_TRANS = 1


class attn_attention_desc(ctypes.Structure):
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


def _bind(name, restype, argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = argtypes
    return function


# const char *attn_version(void);
attn_version = _bind("attn_version", c_char_p, [])
# int attn_abi_version(void);
attn_abi_version = _bind("attn_abi_version", c_int, [])
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
    c_float, c_void_p, c_int64, c_void_p, c_int64, c_float, c_void_p, c_int64, c_void_p])

# attn_status attn_softmax(float *out, const float *inp, int64_t rows, int64_t cols, int causal);
attn_softmax = _bind("attn_softmax", attn_status, [c_void_p, c_void_p, c_int64, c_int64, c_int])

# attn_status attn_layernorm(float *out, float *mean, float *rstd, const float *inp,
#                            const float *weight, const float *bias,
#                            int64_t rows, int64_t channels, float eps);
attn_layernorm = _bind("attn_layernorm", attn_status, [
    c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_int64, c_int64, c_float])

# attn_status attn_attention_forward(const attn_attention_desc *desc,
#                                    const float *q, const float *k, const float *v,
#                                    float *out, float *lse, float *probs);
attn_attention_forward = _bind("attn_attention_forward", attn_status, [
    POINTER(attn_attention_desc), c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p])

# attn_status attn_attention_backward(const attn_attention_desc *desc,
#                                     const float *q, const float *k, const float *v,
#                                     const float *out, const float *dout, const float *lse,
#                                     float *dq, float *dk, float *dv);
attn_attention_backward = _bind("attn_attention_backward", attn_status, [
    POINTER(attn_attention_desc), c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p,
    c_void_p, c_void_p, c_void_p])
