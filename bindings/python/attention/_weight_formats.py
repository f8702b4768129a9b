"""The weight formats of `Model.quantize` and `Encoder.quantize` (attn_weight_format)."""
from . import _capi
from .errors import InvalidArgumentError

_FORMATS = {"f32": _capi.ATTN_WEIGHTS_F32, "bf16": _capi.ATTN_WEIGHTS_BF16, "q8": _capi.ATTN_WEIGHTS_Q8}


def narrowed_code(weight_format: str) -> int:
    """The attn_weight_format of "bf16" or "q8" (what quantize takes); InvalidArgumentError
    for anything else."""
    if weight_format not in ("bf16", "q8"):
        raise InvalidArgumentError(f"unknown weight format {weight_format!r}; expected 'bf16' or 'q8'")
    return _FORMATS[weight_format]


def name(code: int) -> str:
    """"f32", "bf16" or "q8" for an attn_weight_format value."""
    return next(text for text, number in _FORMATS.items() if number == code)
