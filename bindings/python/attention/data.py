"""The data embedded in the library: a classical Chinese corpus and question-answer pairs."""
import ctypes
from functools import lru_cache

from . import _capi
from ._status import check


def _static_text(function) -> str:
    text = _capi.c_char_ptr()
    length = ctypes.c_size_t()
    check(function(ctypes.byref(text), ctypes.byref(length)))
    return ctypes.string_at(text, length.value).decode("utf-8")


@lru_cache(maxsize=None)
def default_corpus() -> str:
    """The built-in corpus (Dao De Jing, Analects 1-2, Tang poems; ~30 KB of UTF-8)."""
    return _static_text(_capi.attn_default_corpus)


@lru_cache(maxsize=None)
def default_dialogue() -> str:
    """The built-in dialogue pairs as TSV: one "question<TAB>answer" per line."""
    return _static_text(_capi.attn_default_dialogue)
