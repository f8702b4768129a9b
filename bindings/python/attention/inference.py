"""Inference with a model: text generation, answers, and attention weights (`Context`).

Letters: NH heads, Tq query tokens, Tk key tokens.
"""
import ctypes
import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np

from . import _capi
from ._arguments import Text, set_fields, struct_values, token_ids, utf8
from ._handle import Handle
from ._interrupt import interruptible
from ._status import check
from .errors import UnknownCharactersWarning
from .model import Model

T = TypeVar("T")

#: Called with each new token: its id and its text ("" for special tokens or without a
#: tokenizer). Returning True stops the generation after this token.
TokenCallback = Callable[[int, str], Optional[bool]]


def _library_defaults() -> dict:
    struct = _capi.attn_generate_config()
    check(_capi.attn_generate_config_default(ctypes.byref(struct)))
    return struct_values(struct)


_DEFAULTS = _library_defaults()

@dataclass(frozen=True)
class GenerateConfig:
    """How Context.generate, generate_tokens and answer sample (attn_generate_config). The
    defaults are the library's (attn_generate_config_default); the library validates the
    values at the call.

        fast = GenerateConfig(max_new_tokens=20, temperature=0)
        context.generate("道可道", fast)            # or context.generate("道可道", max_new_tokens=20, temperature=0)
    """

    max_new_tokens: int = _DEFAULTS["max_new_tokens"]  #: tokens to generate (>= 0)
    temperature: float = _DEFAULTS["temperature"]      #: 0 = greedy
    top_k: int = _DEFAULTS["top_k"]                    #: sample among the k most likely (0 = all)
    top_p: float = _DEFAULTS["top_p"]                  #: nucleus sampling, (0, 1]; 0 = off
    seed: int = _DEFAULTS["seed"]                      #: same seed, model and prompt: same text
    stop_at_eos: bool = bool(_DEFAULTS["stop_at_eos"])  #: stop at the end-of-sequence token
    use_cache: bool = not _DEFAULTS["no_cache"]        #: False recomputes every step (a reference)

    @classmethod
    def with_options(cls, config: Optional["GenerateConfig"], options: dict) -> "GenerateConfig":
        """`config` (None: the defaults) with the fields named in `options` replaced; an
        unknown name is a TypeError, as for any keyword argument."""
        if config is not None and not isinstance(config, GenerateConfig):
            raise TypeError(f"config must be a GenerateConfig or None, got {type(config).__name__}")
        unknown = sorted(set(options) - {field.name for field in dataclasses.fields(cls)})
        if unknown:
            raise TypeError(f"unexpected keyword argument {unknown[0]!r} (sampling options are GenerateConfig's fields)")
        return dataclasses.replace(config or cls(), **options)

    def _to_struct(self) -> _capi.attn_generate_config:
        struct = _capi.attn_generate_config()
        set_fields(struct, dict(max_new_tokens=self.max_new_tokens, temperature=self.temperature, top_k=self.top_k,
                                top_p=self.top_p, seed=self.seed, stop_at_eos=int(bool(self.stop_at_eos)),
                                no_cache=int(not self.use_cache)), "generate")
        return struct


_KIND_NAMES = {_capi.ATTN_ATTENTION_SELF: "self", _capi.ATTN_ATTENTION_ENCODER: "encoder",
               _capi.ATTN_ATTENTION_CROSS: "cross"}


@dataclass(frozen=True)
class AttentionMap:
    """The attention probabilities of one layer, every head.

    kind: "self" (causal self-attention of a gpt or a seq2seq decoder), "encoder"
    (bidirectional self-attention of a seq2seq encoder) or "cross" (decoder queries over the
    question). layer: 0-based within its kind. weights: (NH, Tq, Tk) float32, a copy owned by
    Python; row i of a head sums to 1 over the keys query i sees (0 for hidden keys).
    """

    kind: str
    layer: int
    weights: np.ndarray

    @property
    def heads(self) -> int:
        """NH."""
        return self.weights.shape[0]

    @property
    def query_len(self) -> int:
        """Tq."""
        return self.weights.shape[1]

    @property
    def key_len(self) -> int:
        """Tk."""
        return self.weights.shape[2]

    def __repr__(self) -> str:
        return (f"AttentionMap(kind={self.kind!r}, layer={self.layer}, "
                f"weights=<float32 (NH {self.heads}, Tq {self.query_len}, Tk {self.key_len})>)")


class _TokenRelay:
    """The C token callback of one generation call: forwards to a Python function and keeps an
    exception it raises (which stops the generation) for the caller to re-raise. Installed even
    without a Python function (~5 µs a token): it is where Ctrl-C stops a generation."""

    def __init__(self, on_token: Optional[TokenCallback], interrupted: Callable[[], bool]) -> None:
        self.on_token = on_token
        self.interrupted = interrupted
        self.error: Optional[BaseException] = None
        self.function = _capi.attn_token_fn(self._call)

    def _call(self, token: int, text: Any, length: int, user_data: Any) -> int:
        try:
            if self.interrupted():
                return 1
            if self.on_token is None:
                return 0
            piece = ctypes.string_at(text, length).decode("utf-8", "replace") if length else ""
            return 1 if self.on_token(token, piece) else 0
        except BaseException as error:  # noqa: B902 — KeyboardInterrupt too: stop, re-raise later
            self.error = error
            return 1


class Context(Handle):
    """The per-thread side of inference over one model: the buffers results come back in, and
    the decoding state (KV cache) while a generation runs (each call starts afresh from its
    prompt). A model may be shared by many threads, each with its own context; a context's
    calls are serialized. The library keeps the model alive as long as the context.

        with Context(model) as context:
            print(context.generate("道可道", max_new_tokens=50, seed=1))

    generate, generate_tokens and answer take their sampling options as a `GenerateConfig`,
    or its fields as keywords (which replace the config's), and on_token(id, text), which
    streams the tokens.

    Characters outside the model's vocabulary in the text of generate, answer and attention
    are read as UNK, with an `UnknownCharactersWarning` (`unknown_count` says how many the last
    call read); with strict_vocabulary=True such text raises InvalidArgumentError instead.
    """

    _free = staticmethod(_capi.attn_context_free)
    _exclusive = True

    def __init__(self, model: Model, *, strict_vocabulary: bool = False) -> None:
        pointer = ctypes.POINTER(_capi.attn_context_t)()
        with model._borrow() as model_handle:
            check(_capi.attn_context_init(model_handle, ctypes.byref(pointer)))
        super().__init__(pointer)
        self.model = model
        self.strict_vocabulary = bool(strict_vocabulary)
        # Frames between the user's call and this context's public method (Model.generate and
        # Model.answer call through one), so that warnings point at the user's line.
        self._caller_frames = 0
        with self._borrow() as handle:
            check(_capi.attn_context_set_strict_vocabulary(handle, int(self.strict_vocabulary)))

    @property
    def unknown_count(self) -> int:
        """How many characters of the last call's text were outside the vocabulary (read as UNK)."""
        return self._get_int64(_capi.attn_context_get_unknown_count)

    def _warn_about_unknown_characters(self, handle: Any, stacklevel: int) -> None:
        """Warns once per call when the call just made on `handle` read characters as UNK;
        `stacklevel` points the warning at the caller of the public method."""
        count = ctypes.c_int64()
        check(_capi.attn_context_get_unknown_count(handle, ctypes.byref(count)))
        if count.value:
            noun = "character" if count.value == 1 else "characters"
            warnings.warn(UnknownCharactersWarning(
                f"{count.value} {noun} outside the model's vocabulary read as UNK "
                "(Context(model, strict_vocabulary=True) refuses them)"), stacklevel=stacklevel + 1)

    def _describe(self) -> str:
        # The model, not the context: a context's own calls are serialized and may be running.
        return f"of {self.model!r}"

    def _generate(self, function: Any, prompt: Any, prompt_size: int, results: Sequence[Any],
                  collect: Callable[[], T], config: Optional[GenerateConfig], on_token: Optional[TokenCallback],
                  options: dict) -> T:
        """Calls `function(handle, prompt, prompt_size, config, *results)` (a generate, answer or
        generate_tokens export) with the sampling options (`config` with `options` replacing
        fields) and the token relay, and returns `collect()`, which copies the result out while
        the context is still ours (the next call on it, from any thread, or its close would
        overwrite or free the result)."""
        if on_token is not None and not callable(on_token):
            raise TypeError("on_token must be callable or None")
        struct = GenerateConfig.with_options(config, options)._to_struct()
        with interruptible() as interrupted, self._borrow() as handle:
            relay = _TokenRelay(on_token, interrupted)
            struct.on_token = relay.function
            status = function(handle, prompt, prompt_size, ctypes.byref(struct), *map(ctypes.byref, results))
            if relay.error is None:
                check(status)
                self._warn_about_unknown_characters(handle, stacklevel=3 + self._caller_frames)
                return collect()
        raise relay.error

    def generate(self, prompt: Text, config: Optional[GenerateConfig] = None, *,
                 on_token: Optional[TokenCallback] = None, **options: Any) -> str:
        """Continues `prompt` (at least one character, all in the vocabulary) with a language
        model (gpt, rnn, cnn) that has a tokenizer; returns the continuation without the
        prompt. A prompt longer than block_size keeps its last block_size tokens in view.
        Sampling: `config`, and GenerateConfig's fields as keywords (`max_new_tokens=40`)."""
        data = utf8(prompt, "prompt")
        text, length = _capi.c_char_ptr(), ctypes.c_size_t()
        return self._generate(_capi.attn_context_generate, data, len(data), (text, length),
                              lambda: ctypes.string_at(text, length.value).decode("utf-8"), config, on_token, options)

    def generate_tokens(self, prompt: Union[np.ndarray, Sequence[int]], config: Optional[GenerateConfig] = None, *,
                        on_token: Optional[TokenCallback] = None, **options: Any) -> np.ndarray:
        """As `generate` on token ids (no tokenizer needed): returns the generated ids (EOS
        excluded) as a new int32 array."""
        prompt = token_ids(prompt, "prompt", ndim=1)
        tokens, count = _capi.c_int32_p(), ctypes.c_int64()
        return self._generate(_capi.attn_context_generate_tokens, _capi.data_pointer(prompt, _capi.c_int32_p),
                              prompt.size, (tokens, count), lambda: _copy(tokens, (count.value,), np.int32),
                              config, on_token, options)

    def answer(self, question: Text, config: Optional[GenerateConfig] = None, *,
               on_token: Optional[TokenCallback] = None, **options: Any) -> str:
        """A seq2seq model's answer to `question` (1..max_source_length characters of its
        vocabulary), decoded from BOS until EOS or max_new_tokens (at most max_target_length - 1).
        Sampling as in `generate`."""
        data = utf8(question, "question")
        text, length = _capi.c_char_ptr(), ctypes.c_size_t()
        return self._generate(_capi.attn_context_answer, data, len(data), (text, length),
                              lambda: ctypes.string_at(text, length.value).decode("utf-8"), config, on_token, options)

    def attention(self, text: Text, answer: Optional[Text] = None) -> List[AttentionMap]:
        """What every layer and head attends to when the model reads `text`.

        gpt: one "self" map per layer over the text's tokens (1..block_size). seq2seq: `text` is
        the question and `answer` (None: the model's greedy answer) the answer read after BOS:
        "encoder" maps (Ts, Ts), decoder "self" maps and "cross" maps (Ta + 1 rows: BOS, then the
        answer). rnn and cnn models have no attention (InvalidArgumentError).
        """
        data = utf8(text, "text")
        answer_data = None if answer is None else utf8(answer, "answer")
        maps, count = ctypes.POINTER(_capi.attn_attention_map)(), ctypes.c_int64()
        with self._borrow() as handle:
            check(_capi.attn_context_attention(handle, data, len(data), answer_data,
                                               0 if answer_data is None else len(answer_data),
                                               ctypes.byref(maps), ctypes.byref(count)))
            self._warn_about_unknown_characters(handle, stacklevel=2)
            # The maps live in the context until its next call: copy them out while we own it.
            return [AttentionMap(kind=_KIND_NAMES.get(m.kind, str(m.kind)), layer=m.layer,
                                 weights=_copy(m.weights, (m.heads, m.query_len, m.key_len), np.float32))
                    for m in (maps[i] for i in range(count.value))]


def _copy(pointer: Any, shape: Tuple[int, ...], dtype: type) -> np.ndarray:
    """A new array holding the `shape` elements at `pointer` (which the context owns)."""
    if 0 in shape:
        return np.zeros(shape, dtype=dtype)
    return np.ctypeslib.as_array(pointer, shape=shape).copy()
