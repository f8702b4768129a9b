"""libattention for Python: a small, fast, embeddable deep-learning runtime (ctypes bindings).

    import numpy as np, attention
    c = attention.matmul(np.ones((2, 3), np.float32), np.ones((3, 4), np.float32))

    tokenizer = attention.Tokenizer(attention.default_corpus())
    model = attention.Model(attention.ModelConfig("gpt", n_layer=2), tokenizer)
    with attention.Trainer(model, attention.TrainConfig(steps=100)) as trainer:
        trainer.run_tokens(attention.default_corpus())
    print(model.generate("道可道", max_new_tokens=40, seed=1))

    encoder = attention.Encoder("path/to/all-MiniLM-L6-v2")   # a pretrained BERT folder
    vectors = encoder.encode(["A man is eating food.", "Someone eats."])   # (2, 384) float32

The shared library is found through ATTENTION_LIBRARY, the package folder, or a SwiftPM
release build of the checkout (see attention._library).
"""
__version__ = "0.1.0"  # equal to the library's attn_version(); the build backend checks it

from . import _capi
from ._status import check as _check
from .data import default_corpus, default_dialogue
from .encoder import Encoder
from .errors import (AttentionError, ClosedError, FormatError, InternalError, InvalidArgumentError,
                     LibraryIOError, NullPointerError, OutOfMemoryError, ShapeError, UnknownCharactersWarning,
                     UTF8Error)
from .inference import AttentionMap, Context, GenerateConfig
from .kernels import attention, attention_backward, layernorm, matmul, softmax
from .model import Model, ModelConfig
from .tokenizer import Tokenizer
from .training import Progress, TrainConfig, Trainer

__all__ = [
    "AttentionError", "ClosedError", "FormatError", "InternalError", "InvalidArgumentError",
    "LibraryIOError", "NullPointerError", "OutOfMemoryError", "ShapeError", "UTF8Error",
    "UnknownCharactersWarning",
    "AttentionMap", "Context", "Encoder", "GenerateConfig", "Model", "ModelConfig", "Progress", "Tokenizer", "TrainConfig",
    "Trainer",
    "abi_version", "attention", "attention_backward", "cpu_features", "default_corpus", "default_dialogue",
    "get_num_threads", "layernorm", "matmul", "set_num_threads", "softmax", "version",
]


def version() -> str:
    """The library's version, e.g. "0.1.0"."""
    return _capi.attn_version().decode()


def abi_version() -> int:
    """The library's ABI version (checked against these bindings on import)."""
    return _capi.attn_abi_version()


def cpu_features() -> dict:
    """Which SIMD kernels run and what the CPU offers, e.g.
    ``{"kernels": "avx512", "cpu": ["avx2", "fma", "avx512f", ...]}``. ``kernels`` is "avx512"
    on a CPU with AVX-512, else "avx2"; the environment variable ATTN_ISA=avx2, set before the
    library loads, forces AVX2."""
    fields = dict(field.split("=", 1) for field in _capi.attn_cpu_features().decode().split())
    return {"kernels": fields["kernels"], "cpu": [name for name in fields["cpu"].split(",") if name]}


def set_num_threads(count: int) -> None:
    """Threads used by all computations (1 ... 1024); results do not depend on it."""
    if not -2**31 <= count < 2**31:
        raise InvalidArgumentError(f"thread count {count} is outside 1...1024")
    _check(_capi.attn_set_num_threads(count))


def get_num_threads() -> int:
    """Threads used by computations."""
    return _capi.attn_get_num_threads()
