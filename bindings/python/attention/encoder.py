"""Pretrained sentence encoders (BERT family, e.g. all-MiniLM-L6-v2): text in, vectors out.

Letters: N texts, D embedding dimension, L layers, NH heads, T tokens.
"""
import ctypes
import operator
from typing import List, Sequence, Union

import numpy as np

from . import _capi, _weight_formats
from ._arguments import Path, Text, utf8
from ._arguments import path as fs_path
from ._handle import Handle
from ._status import check
from .errors import InvalidArgumentError
from .inference import AttentionMap


class Encoder(Handle):
    """A Hugging Face / sentence-transformers BERT folder loaded for inference; the embeddings
    equal sentence-transformers' (mean pooling, L2-normalized) within 1e-4. Immutable: any
    number of threads may encode with one encoder at once.

        encoder = attention.Encoder("path/to/all-MiniLM-L6-v2")
        vectors = encoder.encode(["A man is eating food.", "Someone eats."])   # (2, 384)
        similarity = vectors[0] @ vectors[1]                                  # cosine
    """

    _free = staticmethod(_capi.attn_encoder_free)

    def __init__(self, path: Path) -> None:
        """Loads the folder at `path` (config.json, model.safetensors, vocab.txt, ...). Raises
        LibraryIOError for a missing folder or file and FormatError for another architecture,
        shapes that disagree with the config, or a vocabulary of the wrong size."""
        folder = fs_path(path)
        pointer = ctypes.POINTER(_capi.attn_encoder_t)()
        check(_capi.attn_encoder_load(folder, ctypes.byref(pointer)))
        super().__init__(pointer)

    def _describe(self) -> str:
        return f"dim {self.dim}, max_length {self.max_length}"

    @property
    def dim(self) -> int:
        """D: the length of every embedding (384 for all-MiniLM-L6-v2)."""
        return self._get_int64(_capi.attn_encoder_get_dim)

    @property
    def max_length(self) -> int:
        """The most tokens read per text, [CLS] and [SEP] included; longer texts are truncated."""
        return self._get_int64(_capi.attn_encoder_get_max_length)

    def quantize(self, weight_format: str) -> "Encoder":
        """A copy of this encoder with the word embeddings and the matrices of every layer
        narrowed to `weight_format`, "bf16" or "q8" (see `Model.quantize`); embeddings stay
        within cosine 0.9999 (bf16) and 0.999 (q8) of the FP32 ones on all-MiniLM-L6-v2. `attn quantize` writes such a folder,
        which `Encoder(path)` loads narrowed. Raises InvalidArgumentError for another format or
        an encoder already narrowed."""
        code = _weight_formats.narrowed_code(weight_format)
        pointer = ctypes.POINTER(_capi.attn_encoder_t)()
        with self._borrow() as handle:
            check(_capi.attn_encoder_quantize(handle, code, ctypes.byref(pointer)))
        return Encoder._adopt(pointer)

    @property
    def weight_format(self) -> str:
        """How the layer matrices are stored: "f32", "bf16" or "q8"."""
        value = ctypes.c_int32()
        with self._borrow() as handle:
            check(_capi.attn_encoder_get_weight_format(handle, ctypes.byref(value)))
        return _weight_formats.name(value.value)

    def encode(self, texts: Union[Text, Sequence[Text]], batch_size: int = 32,
               normalize: bool = True) -> np.ndarray:
        """The embeddings of `texts` as float32 (N, D), in their order; a single str gives (D,),
        an empty list (0, D). `batch_size` texts run per forward pass (speed only: results do not
        depend on it). With `normalize` each vector has L2 norm 1, so cosine similarity is a dot
        product. An empty text embeds [CLS][SEP]; texts over `max_length` tokens are truncated.
        Raises UTF8Error for invalid UTF-8 bytes."""
        single = isinstance(texts, (str, bytes, bytearray, memoryview))
        items = [texts] if single else list(texts)
        try:
            batch_size = operator.index(batch_size)
        except TypeError:
            raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}") from None
        if not 1 <= batch_size < 2**31:
            raise InvalidArgumentError(f"batch_size {batch_size} must be from 1 to 2^31 - 1")
        data = [utf8(text, f"texts[{i}]") for i, text in enumerate(items)]
        pointers = (ctypes.c_char_p * max(len(data), 1))(*data)
        lengths = (ctypes.c_size_t * max(len(data), 1))(*(len(d) for d in data))
        dim = self.dim
        out = np.empty((len(data), dim), dtype=np.float32)
        with self._borrow() as handle:
            check(_capi.attn_encoder_embed(handle, pointers, lengths, len(data), batch_size, int(bool(normalize)),
                                           _capi.data_pointer(out, _capi.c_float_p) if out.size else None, out.size))
        return out[0] if single else out

    def tokenize(self, text: Text) -> np.ndarray:
        """The token ids the encoder reads for `text`: [CLS], WordPiece ids (truncated to
        max_length - 2), [SEP], as an int32 array (T,)."""
        ids, _ = self._tokenize(text)
        return ids

    def is_truncated(self, text: Text) -> bool:
        """Whether `text` has more tokens than `max_length` (and is embedded truncated)."""
        return self._tokenize(text)[1]

    def tokens(self, ids: Sequence[int]) -> List[str]:
        """The vocabulary entries of `ids` ("[CLS]", "eat", "##ing", ...)."""
        result = []
        with self._borrow() as handle:
            for token in ids:
                try:
                    token = operator.index(token)
                except TypeError:
                    raise TypeError(f"ids must be integers, got {type(token).__name__}") from None
                if not -2**31 <= token < 2**31:
                    raise InvalidArgumentError(f"id {token} is outside the vocabulary")
                text = _capi.c_char_ptr()
                length = ctypes.c_size_t()
                check(_capi.attn_encoder_token_text(handle, token, ctypes.byref(text), ctypes.byref(length)))
                result.append(ctypes.string_at(text, length.value).decode("utf-8"))
        return result

    def attention(self, text: Text) -> List[AttentionMap]:
        """What every layer and head attends to when the encoder reads `text`: one
        AttentionMap(kind="encoder", layer, weights (NH, T, T)) per layer over the tokens of
        `tokenize(text)`; row i of a head sums to 1."""
        data = utf8(text, "text")
        layers, heads, tokens = ctypes.c_int64(), ctypes.c_int64(), ctypes.c_int64()
        with self._borrow() as handle:
            check(_capi.attn_encoder_attention(handle, data, len(data), None, 0, ctypes.byref(layers),
                                               ctypes.byref(heads), ctypes.byref(tokens)))
            weights = np.empty((layers.value, heads.value, tokens.value, tokens.value), dtype=np.float32)
            if weights.size:
                check(_capi.attn_encoder_attention(handle, data, len(data), _capi.data_pointer(weights, _capi.c_float_p), weights.size,
                                                   ctypes.byref(layers), ctypes.byref(heads), ctypes.byref(tokens)))
        return [AttentionMap("encoder", layer, weights[layer].copy()) for layer in range(layers.value)]

    def _tokenize(self, text: Text):
        data = utf8(text, "text")
        count = ctypes.c_int64()
        truncated = ctypes.c_int()
        with self._borrow() as handle:
            check(_capi.attn_encoder_tokenize(handle, data, len(data), None, 0, ctypes.byref(count),
                                              ctypes.byref(truncated)))
            ids = np.empty(count.value, dtype=np.int32)
            check(_capi.attn_encoder_tokenize(handle, data, len(data), _capi.data_pointer(ids, _capi.c_int32_p), ids.size,
                                              ctypes.byref(count), ctypes.byref(truncated)))
        return ids, bool(truncated.value)
