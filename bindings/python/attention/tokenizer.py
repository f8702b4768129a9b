"""The character-level tokenizer: one id per Unicode scalar, after four special tokens."""
import ctypes
import os
import stat
from typing import Any, Sequence, Union

import numpy as np

from . import _capi
from ._arguments import Path, Text, path as fs_path, token_ids, utf8
from ._handle import Handle
from ._status import check
from .errors import LibraryIOError

TokenIds = Union[Sequence[int], np.ndarray]


class Tokenizer(Handle):
    """A character vocabulary built from a corpus: ids 0-3 are PAD, BOS, EOS and UNK, then one id
    per distinct character of the corpus in code-point order. Immutable, so any number of
    threads may use one tokenizer at once.

        tokenizer = Tokenizer("你吃了吗？吃了！")
        ids = tokenizer.encode("吃了吗")        # int32 array, one id per character
        assert tokenizer.decode(ids) == "吃了吗"
    """

    PAD = _capi.ATTN_TOKEN_PAD  #: padding; ignored by the seq2seq loss
    BOS = _capi.ATTN_TOKEN_BOS  #: beginning of an answer
    EOS = _capi.ATTN_TOKEN_EOS  #: end of an answer; generation stops there
    UNK = _capi.ATTN_TOKEN_UNK  #: a character outside the vocabulary

    _free = staticmethod(_capi.attn_tokenizer_free)

    def __init__(self, corpus: Text) -> None:
        """Builds the vocabulary from the distinct characters of `corpus` (str, or UTF-8 bytes).
        Raises UTF8Error for invalid UTF-8 and InvalidArgumentError for an empty corpus."""
        data = utf8(corpus, "corpus")
        pointer = ctypes.POINTER(_capi.attn_tokenizer_t)()
        check(_capi.attn_tokenizer_init(data, len(data), ctypes.byref(pointer)))
        super().__init__(pointer)

    @classmethod
    def from_file(cls, path: Path) -> "Tokenizer":
        """The tokenizer of a UTF-8 text file's characters (`path`: str, bytes or os.PathLike;
        not a file descriptor, which open() would take and close). OSError when it cannot be
        read; LibraryIOError (an OSError) when it is not a regular file, as Model.load says:
        a FIFO would block forever, a device could be endless. The bytes are taken as given: a
        BOM or a CR is a character here, unlike in `attn train --corpus` (docs/corpora.md)."""
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting.
        name = fs_path(path)
        descriptor = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            raise LibraryIOError(f"{os.fsdecode(name)} is not a regular file")
        with os.fdopen(descriptor, "rb") as file:
            return cls(file.read())

    @classmethod
    def from_default_corpus(cls) -> "Tokenizer":
        """The tokenizer of the built-in corpus (see `default_corpus()`)."""
        from .data import default_corpus
        return cls(default_corpus())

    @property
    def vocab_size(self) -> int:
        """V: the number of ids, the four special tokens included."""
        return self._get_int64(_capi.attn_tokenizer_get_vocab_size)

    def _describe(self) -> str:
        return f"vocab {self.vocab_size}"

    def __len__(self) -> int:
        """V, as `vocab_size`."""
        return self.vocab_size

    def encode(self, text: Text) -> np.ndarray:
        """One id per character of `text` (str, or UTF-8 bytes) as an int32 array (T,);
        characters outside the vocabulary become UNK. Raises UTF8Error for invalid UTF-8."""
        data = utf8(text, "text")
        count = ctypes.c_int64()
        with self._borrow() as handle:
            check(_capi.attn_tokenizer_encode(handle, data, len(data), None, 0, ctypes.byref(count)))
            ids = np.empty(count.value, dtype=np.int32)
            if count.value:
                check(_capi.attn_tokenizer_encode(handle, data, len(data), _capi.data_pointer(ids, _capi.c_int32_p), ids.size,
                                                  ctypes.byref(count)))
        return ids

    def decode(self, ids: TokenIds) -> str:
        """The text of `ids` (a sequence or 1-D integer array); special tokens produce no text.
        Raises InvalidArgumentError for an id outside 0..V-1."""
        ids = token_ids(ids, "ids", ndim=1)
        length = ctypes.c_size_t()
        with self._borrow() as handle:
            check(_capi.attn_tokenizer_decode(handle, _capi.data_pointer(ids, _capi.c_int32_p), ids.size, None, 0,
                                              ctypes.byref(length)))
            text = ctypes.create_string_buffer(length.value + 1)
            check(_capi.attn_tokenizer_decode(handle, _capi.data_pointer(ids, _capi.c_int32_p), ids.size, text, len(text),
                                              ctypes.byref(length)))
        return text.raw[:length.value].decode("utf-8")
