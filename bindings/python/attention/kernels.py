"""libattention's SIMD kernels on numpy arrays: matmul, softmax, layernorm, fused attention.

Inputs are float32 arrays; other real dtypes (floating, integer, bool) are converted (a copy);
complex, string and object arrays are refused (InvalidArgumentError) rather than silently cast.
Row-major arrays with a unit inner stride, and transposed views of such arrays, are passed
without copying; other layouts are copied. NaN propagates as in numpy: a NaN in a row of softmax
or layernorm makes that row NaN, and leaves the others alone. Shape errors raise ShapeError
(a ValueError), e.g. for a 0-d input.
"""
from typing import Any, Optional, Tuple, Union

import numpy as np

from . import _capi
from ._status import check
from .errors import InvalidArgumentError, ShapeError

_FLOAT_SIZE = 4

#: What the kernels accept as an operand: a numpy array or anything np.asarray takes.
ArrayLike = Any


def _float32(array: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype != np.float32:
        if array.dtype.kind not in "fiub":
            raise InvalidArgumentError(f"{name} must hold real numbers, got dtype {array.dtype}")
        array = array.astype(np.float32)
    return array


def _matrix(array: ArrayLike, name: str) -> Tuple[np.ndarray, int, bool]:
    """(array, leading dimension, transposed) for a 2-D operand, copying only when its layout
    cannot be described by a leading dimension."""
    array = _float32(array, name)
    if array.ndim != 2:
        raise ShapeError(f"{name} must be 2-D, got shape {array.shape}")
    rows, cols = array.shape
    if rows > 0 and cols > 0:
        s0, s1 = array.strides
        if s1 == _FLOAT_SIZE and s0 % _FLOAT_SIZE == 0 and s0 >= cols * _FLOAT_SIZE:
            return array, s0 // _FLOAT_SIZE, False
        if s0 == _FLOAT_SIZE and s1 % _FLOAT_SIZE == 0 and s1 >= rows * _FLOAT_SIZE:
            return array.T, s1 // _FLOAT_SIZE, True  # a transposed view of a row-major matrix
    array = np.ascontiguousarray(array)
    return array, max(cols, 1), False


def _contiguous(array: ArrayLike, name: str) -> np.ndarray:
    """A C-contiguous float32 array of the same shape (ascontiguousarray alone would turn a
    0-d array into a 1-d one, hiding the caller's mistake)."""
    array = _float32(array, name)
    return np.ascontiguousarray(array).reshape(array.shape)


def _pointer(array: Optional[np.ndarray]) -> Any:
    """A float32 array's data as the `float *` the C kernels take (None: NULL)."""
    return _capi.data_pointer(array, _capi.c_float_p)


def matmul(a: ArrayLike, b: ArrayLike, *, trans_a: bool = False, trans_b: bool = False, alpha: float = 1.0,
           beta: float = 0.0, out: Optional[np.ndarray] = None, bias: Optional[ArrayLike] = None) -> np.ndarray:
    """alpha · op(a) @ op(b) + beta · out + bias, where op transposes when asked.

    a: (m, k), or (k, m) with trans_a; b: (k, n), or (n, k) with trans_b; bias: (n,) or None;
    out: (m, n) float32 with unit inner stride, updated in place and returned (required when
    beta != 0). Returns the (m, n) result.
    """
    a, lda, flip_a = _matrix(a, "a")
    b, ldb, flip_b = _matrix(b, "b")
    trans_a = bool(trans_a) != flip_a
    trans_b = bool(trans_b) != flip_b
    # a and b are now the row-major matrices actually stored; their logical shapes:
    m, k = (a.shape[1], a.shape[0]) if trans_a else a.shape
    k_b, n = (b.shape[1], b.shape[0]) if trans_b else b.shape
    if k != k_b:
        raise ShapeError(f"matmul: op(a) is ({m}, {k}) but op(b) is ({k_b}, {n})")
    if out is None:
        if beta != 0:
            raise ShapeError("matmul: beta != 0 needs an `out` array to accumulate into")
        out = np.empty((m, n), dtype=np.float32)
    if not (isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (m, n)
            and (m == 0 or n == 0 or (out.strides[1] == _FLOAT_SIZE and out.strides[0] % _FLOAT_SIZE == 0
                                      and out.strides[0] >= n * _FLOAT_SIZE))):
        raise ShapeError(f"matmul: out must be a float32 ({m}, {n}) array with unit inner stride and "
                         "rows that neither overlap nor run backwards")
    if not out.flags.writeable:
        raise InvalidArgumentError("matmul: out is read-only")
    ldc = out.strides[0] // _FLOAT_SIZE if m > 0 and n > 0 else max(n, 1)
    if bias is not None:
        bias = _contiguous(bias, "bias")
        if bias.shape != (n,):
            raise ShapeError(f"matmul: bias must have shape ({n},), got {bias.shape}")
    check(_capi.attn_matmul(
        _capi.ATTN_TRANS if trans_a else _capi.ATTN_NO_TRANS,
        _capi.ATTN_TRANS if trans_b else _capi.ATTN_NO_TRANS,
        m, n, k, alpha, _pointer(a), lda, _pointer(b), ldb, beta, _pointer(out), ldc,
        _pointer(bias)))
    return out


def softmax(x: ArrayLike, *, causal: bool = False) -> np.ndarray:
    """Numerically stable softmax over the last axis. With causal, x is (..., T, T) score
    matrices and query i only sees keys j <= i (masked entries are 0)."""
    x = _contiguous(x, "x")
    if x.ndim == 0:
        raise ShapeError("softmax needs at least one axis")
    cols = x.shape[-1]
    rows = x.size // cols if cols else 0
    if causal and (x.ndim < 2 or x.shape[-2] != cols):
        raise ShapeError(f"causal softmax needs (..., T, T) scores, got {x.shape}")
    out = np.empty_like(x)
    check(_capi.attn_softmax(_pointer(out), _pointer(x), rows, cols, int(bool(causal))))
    return out


def layernorm(x: ArrayLike, weight: Optional[ArrayLike] = None, bias: Optional[ArrayLike] = None, *,
              eps: float = 1e-5, return_stats: bool = False
              ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Layer normalization over the last axis: (x − mean) / sqrt(var + eps) · weight + bias.
    With return_stats, also returns mean and rstd (1/std) per row, shaped x.shape[:-1]."""
    x = _contiguous(x, "x")
    if x.ndim == 0:
        raise ShapeError("layernorm needs at least one axis")
    channels = x.shape[-1]
    rows = x.size // channels if channels else 0
    if channels == 0 and x.size == 0 and x.shape[:-1] and np.prod(x.shape[:-1]) > 0:
        raise ShapeError(f"layernorm needs at least one channel, got shape {x.shape}")
    weight = None if weight is None else _contiguous(weight, "weight")
    bias = None if bias is None else _contiguous(bias, "bias")
    for name, parameter in (("weight", weight), ("bias", bias)):
        if parameter is not None and parameter.shape != (channels,):
            raise ShapeError(f"layernorm: {name} must have shape ({channels},), got {parameter.shape}")
    out = np.empty_like(x)
    mean = np.empty(x.shape[:-1], dtype=np.float32)
    rstd = np.empty(x.shape[:-1], dtype=np.float32)
    check(_capi.attn_layernorm(_pointer(out), _pointer(mean), _pointer(rstd), _pointer(x),
                               _pointer(weight), _pointer(bias), rows, channels, eps))
    return (out, mean, rstd) if return_stats else out


def _attention_desc(q: np.ndarray, k: np.ndarray, causal: bool, key_padding_mask: Optional[ArrayLike],
                    scale: Optional[float]) -> Tuple[Any, Optional[np.ndarray]]:
    if q.ndim != 4 or k.ndim != 4:
        raise ShapeError(f"attention: q and k must be (B, NH, T, HS), got {q.shape} and {k.shape}")
    batch, heads, q_len, head_size = q.shape
    desc = _capi.attn_attention_desc(
        batch=batch, heads=heads, q_len=q_len, kv_len=k.shape[2], head_size=head_size,
        causal=int(bool(causal)), key_padding_mask=None, scale=0.0 if scale is None else scale)
    mask = None
    if key_padding_mask is not None:
        mask = np.asarray(key_padding_mask)
        if mask.dtype.kind not in "biu":
            raise InvalidArgumentError(f"attention: key_padding_mask must be bool or integer, got dtype {mask.dtype}")
        mask = np.ascontiguousarray(mask != 0, dtype=np.uint8).reshape(mask.shape)
        if mask.shape != (batch, k.shape[2]):
            raise ShapeError(f"attention: key_padding_mask must be ({batch}, {k.shape[2]}), got {mask.shape}")
        desc.key_padding_mask = mask.ctypes.data_as(_capi.c_uint8_p)
    if k.shape[:2] != (batch, heads) or k.shape[3] != head_size:
        raise ShapeError(f"attention: k {k.shape} does not fit q {q.shape}")
    return desc, mask


def attention(q: ArrayLike, k: ArrayLike, v: ArrayLike, *, causal: bool = False,
              key_padding_mask: Optional[ArrayLike] = None, scale: Optional[float] = None,
              return_lse: bool = False, return_probs: bool = False
              ) -> Union[np.ndarray, Tuple[np.ndarray, ...]]:
    """Fused scaled dot-product attention: softmax(scale · q kᵀ + mask) v.

    q: (B, NH, Tq, HS); k, v: (B, NH, Tk, HS); key_padding_mask: (B, Tk), True = ignore that key;
    scale defaults to 1/sqrt(HS). causal aligns the mask to the end when Tq < Tk. Returns out
    (B, NH, Tq, HS), plus lse (B, NH, Tq) and/or probs (B, NH, Tq, Tk) when asked.
    """
    q, k, v = (_contiguous(t, name) for t, name in ((q, "q"), (k, "k"), (v, "v")))
    desc, mask = _attention_desc(q, k, causal, key_padding_mask, scale)
    if v.shape != k.shape:
        raise ShapeError(f"attention: v {v.shape} must match k {k.shape}")
    out = np.empty_like(q)
    lse = np.empty(q.shape[:3], dtype=np.float32)
    probs = np.empty(q.shape[:3] + (k.shape[2],), dtype=np.float32) if return_probs else None
    check(_capi.attn_attention_forward(_capi.ctypes.byref(desc), _pointer(q), _pointer(k),
                                       _pointer(v), _pointer(out), _pointer(lse), _pointer(probs)))
    del mask  # kept alive until after the call
    result = (out,) + ((lse,) if return_lse else ()) + ((probs,) if return_probs else ())
    return result[0] if len(result) == 1 else result


def attention_backward(q: ArrayLike, k: ArrayLike, v: ArrayLike, out: ArrayLike, lse: ArrayLike, dout: ArrayLike, *,
                       causal: bool = False, key_padding_mask: Optional[ArrayLike] = None,
                       scale: Optional[float] = None) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients (dq, dk, dv) of attention for the upstream gradient dout (B, NH, Tq, HS);
    out and lse must come from `attention(..., return_lse=True)` with the same arguments."""
    q, k, v, out, dout = (_contiguous(t, name) for t, name in
                          ((q, "q"), (k, "k"), (v, "v"), (out, "out"), (dout, "dout")))
    lse = _contiguous(lse, "lse")
    desc, mask = _attention_desc(q, k, causal, key_padding_mask, scale)
    if v.shape != k.shape or out.shape != q.shape or dout.shape != q.shape or lse.shape != q.shape[:3]:
        raise ShapeError("attention_backward: v must match k; out and dout must match q; lse must be (B, NH, Tq)")
    dq, dk, dv = np.empty_like(q), np.empty_like(k), np.empty_like(v)
    check(_capi.attn_attention_backward(_capi.ctypes.byref(desc), _pointer(q), _pointer(k),
                                        _pointer(v), _pointer(out), _pointer(dout), _pointer(lse),
                                        _pointer(dq), _pointer(dk), _pointer(dv)))
    del mask
    return dq, dk, dv
