"""Models: the architecture (`ModelConfig`) and a network with its weights (`Model`).

Letters: B batch, T time, V vocabulary size.
"""
import ctypes
import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

import numpy as np

from . import _capi, _weight_formats
from ._arguments import Path, Text, path as fs_path, set_fields, struct_values, token_ids
from ._handle import Handle
from ._status import check
from .errors import InvalidArgumentError
from .tokenizer import Tokenizer

_KINDS = {"gpt": _capi.ATTN_MODEL_GPT, "seq2seq": _capi.ATTN_MODEL_SEQ2SEQ,
          "rnn": _capi.ATTN_MODEL_RNN, "cnn": _capi.ATTN_MODEL_CNN}
_CELLS = {"gru": _capi.ATTN_CELL_GRU, "lstm": _capi.ATTN_CELL_LSTM}


def _name(names: Dict[str, int], value: int) -> str:
    return next(name for name, number in names.items() if number == value)


def _code(names: Dict[str, int], value: str, what: str) -> int:
    if value not in names:
        raise InvalidArgumentError(f"unknown {what} {value!r}; expected one of {', '.join(names)}")
    return names[value]


def _named_values(struct: _capi.attn_model_config) -> Dict[str, Any]:
    """The fields of `struct`, with kind and cell as names."""
    values = struct_values(struct)
    values["kind"] = _name(_KINDS, values["kind"])
    values["cell"] = _name(_CELLS, values["cell"])
    return values


@dataclass
class ModelConfig:
    """The architecture of a model (attn_model_config). Fields left as None take the default of
    the kind (attn_model_config_default): gpt 4 layers, 4 heads, C 128, block 64; seq2seq 2+2
    layers, 4 heads, C 64, 32/32 tokens; rnn GRU 1 layer, C 128, hidden 256, block 64; cnn 5
    layers, C 128, kernel 3, block 64; vocab_size 0 (the tokenizer's), seed 0. Fields a kind
    does not use are ignored. The library validates the values when a Model is created.

        ModelConfig("gpt", n_layer=2, n_embd=64)
    """

    kind: str = "gpt"                        #: "gpt", "seq2seq", "rnn" or "cnn"
    vocab_size: Optional[int] = None         #: V; 0 = the vocabulary size of the model's tokenizer
    n_layer: Optional[int] = None            #: gpt, rnn, cnn: layers; seq2seq: encoder layers
    n_decoder_layer: Optional[int] = None    #: seq2seq: decoder layers
    n_head: Optional[int] = None             #: gpt, seq2seq: attention heads (divides n_embd)
    n_embd: Optional[int] = None             #: embedding width C
    block_size: Optional[int] = None         #: gpt, rnn, cnn: longest sequence of one forward pass
    max_source_length: Optional[int] = None  #: seq2seq: longest question, in tokens
    max_target_length: Optional[int] = None  #: seq2seq: longest answer, in tokens, EOS included
    hidden_size: Optional[int] = None        #: rnn: hidden state width
    cell: Optional[str] = None               #: rnn: "gru" or "lstm"
    kernel_size: Optional[int] = None        #: cnn: convolution width (>= 2)
    dropout: Optional[float] = None          #: gpt, seq2seq: dropout probability in training
    seed: Optional[int] = None               #: seed of the initial weights

    def __post_init__(self) -> None:
        defaults = _capi.attn_model_config()
        check(_capi.attn_model_config_default(_code(_KINDS, self.kind, "model kind"), ctypes.byref(defaults)))
        for name, value in _named_values(defaults).items():
            if getattr(self, name) is None:
                setattr(self, name, value)

    @classmethod
    def _from_struct(cls, struct: _capi.attn_model_config) -> "ModelConfig":
        return cls(**_named_values(struct))

    def _to_struct(self) -> _capi.attn_model_config:
        struct = _capi.attn_model_config()
        values = dataclasses.asdict(self)
        values["kind"] = _code(_KINDS, self.kind, "model kind")
        values["cell"] = _code(_CELLS, self.cell, "rnn cell")
        set_fields(struct, values, "ModelConfig")
        return struct


class Model(Handle):
    """A neural network with its weights, configuration and (optionally) tokenizer.

    Read-only for inference: any number of threads may call `forward` or use their own
    `Context` on one model at once. While a `Trainer` steps, no other thread may use the model.

        tokenizer = Tokenizer(default_corpus())
        model = Model(ModelConfig("gpt", n_layer=2), tokenizer)
        logits = model.forward(tokenizer.encode("道可道")[None, :])   # (1, 3, V)
    """

    _free = staticmethod(_capi.attn_model_free)

    def __init__(self, config: Union[ModelConfig, str, None] = None,
                 tokenizer: Optional[Tokenizer] = None) -> None:
        """A model with freshly initialized weights. `config` is a ModelConfig or a kind name
        (its defaults); `tokenizer` is copied into the model, so that generation takes text and
        `save` stores the vocabulary; vocab_size must then be 0 or its size. Raises
        InvalidArgumentError naming the first bad field."""
        if config is None or isinstance(config, str):
            config = ModelConfig(config or "gpt")
        struct = config._to_struct()
        pointer = ctypes.POINTER(_capi.attn_model_t)()
        if tokenizer is None:
            check(_capi.attn_model_init(ctypes.byref(struct), None, ctypes.byref(pointer)))
        else:
            with tokenizer._borrow() as tokenizer_handle:
                check(_capi.attn_model_init(ctypes.byref(struct), tokenizer_handle, ctypes.byref(pointer)))
        super().__init__(pointer)
        self._summary = self._summarize()

    def _adopted(self) -> None:
        self._summary = self._summarize()

    @classmethod
    def load(cls, path: Path) -> "Model":
        """Loads a checkpoint written by `save`, `Trainer.save` or `attn train`. Raises
        LibraryIOError when the file cannot be read, FormatError when it is corrupt."""
        pointer = ctypes.POINTER(_capi.attn_model_t)()
        check(_capi.attn_model_load(fs_path(path), ctypes.byref(pointer)))
        return cls._adopt(pointer)

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview]) -> "Model":
        """Loads a checkpoint from memory (the bytes `to_bytes` returns). Raises FormatError when
        they are not a valid checkpoint."""
        data = bytes(data)
        pointer = ctypes.POINTER(_capi.attn_model_t)()
        check(_capi.attn_model_load_memory(data, len(data), ctypes.byref(pointer)))
        return cls._adopt(pointer)

    def save(self, path: Path) -> None:
        """Writes the model (weights, config, tokenizer) to `path` atomically (safetensors)."""
        with self._borrow() as handle:
            check(_capi.attn_model_save(handle, fs_path(path)))

    def _summarize(self) -> str:
        """What `repr` shows. Taken once when the model is made (architecture and size never
        change), so that a repr never calls the library, e.g. while a trainer steps the model."""
        config = self.config
        layers = (f"{config.n_layer}+{config.n_decoder_layer} layers" if config.kind == "seq2seq"
                  else f"{config.n_layer} layers")
        return (f"{config.kind}, {self.parameter_count:,} parameters, vocab {config.vocab_size}, "
                f"{layers}, n_embd {config.n_embd}")

    def _describe(self) -> str:
        return self._summary

    def to_bytes(self) -> bytes:
        """The checkpoint `save` would write, as bytes."""
        size = ctypes.c_size_t()
        with self._borrow() as handle:
            check(_capi.attn_model_save_memory(handle, None, 0, ctypes.byref(size)))
            buffer = ctypes.create_string_buffer(size.value)
            check(_capi.attn_model_save_memory(handle, buffer, size.value, ctypes.byref(size)))
        return buffer.raw[:size.value]

    def quantize(self, weight_format: str) -> "Model":
        """A copy of this model for inference with its matrices narrowed to `weight_format`:
        "bf16" (2 bytes per weight) or "q8" (8-bit integers with a scale per 32 weights, as
        llama.cpp's Q8_0). It generates, answers, runs `forward` and saves (a checkpoint of that
        format, which `Model.load` reads) but cannot train. Raises InvalidArgumentError for
        another format, a model already narrowed, or (q8) an input dimension that is not a
        multiple of 32."""
        code = _weight_formats.narrowed_code(weight_format)
        pointer = ctypes.POINTER(_capi.attn_model_t)()
        with self._borrow() as handle:
            check(_capi.attn_model_quantize(handle, code, ctypes.byref(pointer)))
        return Model._adopt(pointer)

    @property
    def weight_format(self) -> str:
        """How the matrices are stored: "f32", "bf16" or "q8" (see `quantize`)."""
        value = ctypes.c_int32()
        with self._borrow() as handle:
            check(_capi.attn_model_get_weight_format(handle, ctypes.byref(value)))
        return _weight_formats.name(value.value)

    @property
    def parameter_count(self) -> int:
        """Number of trainable scalars (tied weights counted once)."""
        return self._get_int64(_capi.attn_model_get_parameter_count)

    @property
    def config(self) -> ModelConfig:
        """The architecture (a fresh copy; fields the kind does not use are 0)."""
        struct = _capi.attn_model_config()
        with self._borrow() as handle:
            check(_capi.attn_model_get_config(handle, ctypes.byref(struct)))
        return ModelConfig._from_struct(struct)

    @property
    def kind(self) -> str:
        """"gpt", "seq2seq", "rnn" or "cnn"."""
        return self.config.kind

    @property
    def vocab_size(self) -> int:
        """V."""
        return self.config.vocab_size

    @property
    def tokenizer(self) -> Optional[Tokenizer]:
        """A copy of the model's tokenizer (a new object each time; close it or let it be
        collected), or None when the model has none."""
        pointer = ctypes.POINTER(_capi.attn_tokenizer_t)()
        with self._borrow() as handle:
            status = _capi.attn_model_get_tokenizer(handle, ctypes.byref(pointer))
            if status == _capi.ATTN_ERR_INVALID_ARGUMENT and not pointer:
                return None
            check(status)
        return Tokenizer._adopt(pointer)

    def forward(self, tokens: np.ndarray) -> np.ndarray:
        """Next-token logits of a language model (gpt, rnn, cnn), dropout off.

        tokens: (B, T) integer ids, 1 <= T <= block_size, ids in 0..V-1 (an int32 C-contiguous
        array is passed without copying). Returns logits (B, T, V) float32.
        """
        tokens = token_ids(tokens, "tokens", ndim=2)
        batch, time = tokens.shape
        with self._borrow() as handle:
            logits = np.empty((batch, time, self.vocab_size), dtype=np.float32)
            check(_capi.attn_model_forward(handle, _capi.data_pointer(tokens, _capi.c_int32_p), batch, time, _capi.data_pointer(logits, _capi.c_float_p),
                                           logits.size))
        return logits

    def generate(self, prompt: Text, config: Any = None, **options: Any) -> str:
        """`Context(self).generate(prompt, config, **options)` with a temporary context."""
        from .inference import Context
        with Context(self) as context:
            context._caller_frames = 1
            return context.generate(prompt, config, **options)

    def answer(self, question: Text, config: Any = None, **options: Any) -> str:
        """`Context(self).answer(question, config, **options)` with a temporary context."""
        from .inference import Context
        with Context(self) as context:
            context._caller_frames = 1
            return context.answer(question, config, **options)
