"""The character tokenizer: round trips, unknown characters, special tokens, invalid input."""
import ctypes

import numpy as np
import pytest

import attention
from attention import _capi

TEXT = "你吃了吗？吃了！道可道，非常道。"


def test_round_trip_of_chinese_text():
    tokenizer = attention.Tokenizer(TEXT)
    distinct = sorted(set(TEXT))
    assert tokenizer.vocab_size == 4 + len(distinct)
    ids = tokenizer.encode(TEXT)
    assert ids.dtype == np.int32 and ids.shape == (len(TEXT),)
    # Ids follow the specials in code-point order.
    assert ids.tolist() == [4 + distinct.index(ch) for ch in TEXT]
    assert tokenizer.decode(ids) == TEXT
    assert tokenizer.decode(ids.tolist()) == TEXT           # a plain list
    assert tokenizer.decode(ids.astype(np.int64)) == TEXT   # another integer dtype
    assert tokenizer.decode(ids[::2]) == TEXT[::2]          # a strided view
    assert tokenizer.encode(TEXT.encode("utf-8")).tolist() == ids.tolist()  # bytes in


def test_corpus_round_trip(corpus_tokenizer, corpus_ids):
    corpus = attention.default_corpus()
    assert corpus_ids.shape == (len(corpus),)
    assert corpus_tokenizer.decode(corpus_ids) == corpus
    assert "道可道" in corpus
    question, answer = next(line for line in attention.default_dialogue().splitlines()
                            if line and not line.startswith("#")).split("\t")
    assert question and answer


def test_unknown_characters_become_unk_and_specials_decode_to_nothing():
    tokenizer = attention.Tokenizer("ab")
    assert tokenizer.encode("a€b😀").tolist() == [4, attention.Tokenizer.UNK, 5, 3]
    assert attention.Tokenizer.UNK == 3
    assert tokenizer.decode([0, 4, 1, 2, 3, 5]) == "ab"
    assert tokenizer.encode("").shape == (0,)
    assert tokenizer.decode([]) == ""
    assert tokenizer.decode(np.zeros(0, np.int32)) == ""


def test_constructors():
    assert attention.Tokenizer(TEXT.encode("utf-8")).vocab_size == attention.Tokenizer(TEXT).vocab_size
    with attention.Tokenizer.from_default_corpus() as tokenizer:
        assert tokenizer.vocab_size > 1000


def test_from_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert attention.Tokenizer.from_file(path).decode(attention.Tokenizer(TEXT).encode(TEXT)) == TEXT


def test_invalid_utf8_is_a_utf8_error_with_the_offset():
    with pytest.raises(attention.UTF8Error, match="offset 2") as error:
        attention.Tokenizer(b"ab\xff")
    assert error.value.status == 7
    tokenizer = attention.Tokenizer(TEXT)
    with pytest.raises(attention.UTF8Error):
        tokenizer.encode("吃\ud800")  # a lone surrogate reaches the library as invalid UTF-8
    with pytest.raises(attention.UTF8Error):
        tokenizer.encode(b"\xe5\x90")  # truncated sequence


def test_raw_capi_rejects_invalid_utf8_and_nulls():
    out = ctypes.POINTER(_capi.attn_tokenizer_t)()
    assert _capi.attn_tokenizer_init(b"\xc3\x28", 2, ctypes.byref(out)) == _capi.ATTN_ERR_UTF8
    assert not out
    assert _capi.attn_last_error()
    assert _capi.attn_tokenizer_init(None, 3, ctypes.byref(out)) == _capi.ATTN_ERR_NULL_POINTER
    count = ctypes.c_int64()
    assert _capi.attn_tokenizer_encode(None, b"a", 1, None, 0, ctypes.byref(count)) == _capi.ATTN_ERR_NULL_POINTER
    _capi.attn_tokenizer_free(None)  # a no-op


def test_raw_capi_capacity_protocol():
    tokenizer = attention.Tokenizer(TEXT)
    with tokenizer._borrow() as handle:
        count = ctypes.c_int64()
        ids = np.full(3, -1, np.int32)
        data = TEXT.encode()
        assert _capi.attn_tokenizer_encode(handle, data, len(data), ids.ctypes.data_as(_capi.c_int32_p), 3,
                                           ctypes.byref(count)) == _capi.ATTN_ERR_SHAPE
        assert count.value == len(TEXT)
        assert ids.tolist() == [-1, -1, -1]  # untouched
        length = ctypes.c_size_t()
        good = tokenizer.encode(TEXT)
        text = ctypes.create_string_buffer(len(data))  # no room for the NUL
        assert _capi.attn_tokenizer_decode(handle, good.ctypes.data_as(_capi.c_int32_p), good.size, text, len(data),
                                           ctypes.byref(length)) == _capi.ATTN_ERR_SHAPE
        assert length.value == len(data)


def test_bad_ids():
    tokenizer = attention.Tokenizer("ab")
    with pytest.raises(attention.InvalidArgumentError):
        tokenizer.decode([4, 6])  # V = 6
    with pytest.raises(attention.InvalidArgumentError):
        tokenizer.decode([-1])
    with pytest.raises(attention.InvalidArgumentError):
        tokenizer.decode([2**40])  # does not even fit int32
    with pytest.raises(attention.InvalidArgumentError, match="dtype"):
        tokenizer.decode(np.array([4.0, 5.0]))
    with pytest.raises(attention.ShapeError):
        tokenizer.decode([[4, 5]])
    with pytest.raises(TypeError):
        tokenizer.encode(42)


def test_empty_corpus_is_rejected():
    with pytest.raises(attention.InvalidArgumentError, match="empty"):
        attention.Tokenizer("")
