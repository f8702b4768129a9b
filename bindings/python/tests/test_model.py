"""Models: configs, forward, save/load round trips through files and bytes, bad input."""
import ctypes

import numpy as np
import pytest
from conftest import tiny_gpt_config

import attention
from attention import _capi


@pytest.fixture(scope="module")
def gpt(corpus_tokenizer):
    with attention.Model(tiny_gpt_config(), corpus_tokenizer) as model:
        yield model


def test_config_defaults_per_kind_match_the_header():
    gpt = attention.ModelConfig("gpt")
    assert (gpt.n_layer, gpt.n_head, gpt.n_embd, gpt.block_size, gpt.vocab_size, gpt.seed) == (4, 4, 128, 64, 0, 0)
    seq2seq = attention.ModelConfig("seq2seq")
    assert (seq2seq.n_layer, seq2seq.n_decoder_layer, seq2seq.n_head, seq2seq.n_embd,
            seq2seq.max_source_length, seq2seq.max_target_length) == (2, 2, 4, 64, 32, 32)
    rnn = attention.ModelConfig("rnn")
    assert (rnn.cell, rnn.n_layer, rnn.n_embd, rnn.hidden_size, rnn.block_size) == ("gru", 1, 128, 256, 64)
    cnn = attention.ModelConfig("cnn")
    assert (cnn.n_layer, cnn.n_embd, cnn.kernel_size, cnn.block_size) == (5, 128, 3, 64)
    assert attention.ModelConfig("gpt", n_layer=1).n_layer == 1  # overrides keep the rest
    assert attention.ModelConfig("gpt", n_layer=1).n_embd == 128


def test_model_reports_its_config_and_size(gpt, corpus_tokenizer):
    config = gpt.config
    V, C, T, L = corpus_tokenizer.vocab_size, 32, 16, 2
    assert config.kind == "gpt" and gpt.kind == "gpt"
    assert config.vocab_size == V  # 0 in the config: taken from the tokenizer
    assert (config.n_layer, config.n_head, config.n_embd, config.block_size) == (L, 2, C, T)
    assert config.n_decoder_layer == 0 and config.hidden_size == 0  # unused by gpt
    # nanoGPT layout with tied embeddings: wte + wpe + L blocks + final norm.
    block = 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + 2 * C + (C * 4 * C + 4 * C) + (4 * C * C + C)
    assert gpt.parameter_count == V * C + T * C + L * block + 2 * C
    with gpt.tokenizer as tokenizer:
        assert tokenizer.vocab_size == V
        assert tokenizer.decode(corpus_tokenizer.encode("道可道")) == "道可道"


def test_model_without_tokenizer():
    with attention.Model(tiny_gpt_config(vocab_size=10)) as model:
        assert model.tokenizer is None
        assert model.config.vocab_size == 10
        assert model.forward(np.array([[1, 2, 9]])).shape == (1, 3, 10)


def test_every_kind_builds_and_runs(corpus_tokenizer):
    ids = corpus_tokenizer.encode("道可道非常道")[None, :]
    V = corpus_tokenizer.vocab_size
    for kind, changes in (("rnn", dict(n_layer=1, n_embd=16, hidden_size=16, cell="lstm")),
                          ("cnn", dict(n_layer=2, n_embd=16, kernel_size=2))):
        with attention.Model(attention.ModelConfig(kind, block_size=8, **changes), corpus_tokenizer) as model:
            assert model.config.kind == kind
            logits = model.forward(ids)
            assert logits.shape == (1, 6, V) and np.isfinite(logits).all()
    config = attention.ModelConfig("seq2seq", n_layer=1, n_decoder_layer=1, n_head=2, n_embd=16)
    with attention.Model(config, corpus_tokenizer) as model:
        assert model.config.max_source_length == 32
        with pytest.raises(attention.InvalidArgumentError):
            model.forward(ids)  # not a language model


def test_forward_is_causal_and_deterministic(gpt, rng, corpus_ids):
    tokens = np.stack([corpus_ids[:16], corpus_ids[100:116]])
    logits = gpt.forward(tokens)
    assert logits.shape == (2, 16, gpt.vocab_size) and logits.dtype == np.float32
    assert logits.flags.c_contiguous and np.isfinite(logits).all()
    assert np.array_equal(gpt.forward(tokens), logits)
    # Rows of a batch are independent, and position t only sees positions <= t.
    assert np.array_equal(gpt.forward(tokens[1:]), logits[1:])
    np.testing.assert_allclose(gpt.forward(tokens[:, :5]), logits[:, :5], rtol=0, atol=1e-5)
    # Other integer dtypes and non-contiguous views are converted.
    np.testing.assert_array_equal(gpt.forward(tokens.astype(np.int64)), logits)
    np.testing.assert_array_equal(gpt.forward(np.asfortranarray(tokens)), logits)


def test_forward_reads_int32_tokens_in_place_and_writes_logits_in_place(gpt, monkeypatch):
    tokens = np.ones((2, 4), np.int32)
    calls = []
    forward = _capi.attn_model_forward

    def spy(model, tokens_pointer, batch, time, logits_pointer, count):
        address = lambda pointer: ctypes.cast(pointer, ctypes.c_void_p).value  # noqa: E731
        calls.append((address(tokens_pointer), address(logits_pointer), count))
        return forward(model, tokens_pointer, batch, time, logits_pointer, count)

    monkeypatch.setattr(_capi, "attn_model_forward", spy)
    logits = gpt.forward(tokens)
    assert calls == [(tokens.ctypes.data, logits.ctypes.data, logits.size)]  # no copy either way
    gpt.forward(tokens.astype(np.int64))
    assert calls[1][0] != tokens.ctypes.data  # converted


def test_save_load_round_trip_through_a_file(gpt, tmp_path, corpus_ids):
    tokens = corpus_ids[:16][None, :]
    path = tmp_path / "gpt.safetensors"
    gpt.save(path)
    with attention.Model.load(path) as loaded:
        assert loaded.config == gpt.config
        assert np.array_equal(loaded.forward(tokens), gpt.forward(tokens))
        with loaded.tokenizer as tokenizer:
            assert tokenizer.encode("道可道").tolist() == gpt.tokenizer.encode("道可道").tolist()
    assert attention.Model.load(str(path)).parameter_count == gpt.parameter_count  # str path


def test_save_load_round_trip_through_bytes(gpt, tmp_path, corpus_ids):
    tokens = corpus_ids[:16][None, :]
    data = gpt.to_bytes()
    assert isinstance(data, bytes)
    path = tmp_path / "gpt.safetensors"
    gpt.save(path)
    assert path.read_bytes() == data  # the same checkpoint
    for source in (data, bytearray(data), memoryview(data)):
        with attention.Model.from_bytes(source) as loaded:
            assert np.array_equal(loaded.forward(tokens), gpt.forward(tokens))


def test_same_seed_same_weights_other_seed_other_weights(corpus_tokenizer, corpus_ids):
    tokens = corpus_ids[:8][None, :]
    a = attention.Model(tiny_gpt_config(seed=1), corpus_tokenizer).forward(tokens)
    b = attention.Model(tiny_gpt_config(seed=1), corpus_tokenizer).forward(tokens)
    c = attention.Model(tiny_gpt_config(seed=2), corpus_tokenizer).forward(tokens)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_bad_configs_name_the_field(corpus_tokenizer):
    for changes, field in ((dict(n_head=3), "n_head"), (dict(n_layer=0), "n_layer"),
                           (dict(dropout=1.5), "dropout"), (dict(block_size=-1), "block_size"),
                           (dict(vocab_size=5), "vocab_size")):
        with pytest.raises(attention.InvalidArgumentError, match=field):
            attention.Model(tiny_gpt_config(**changes), corpus_tokenizer)
    with pytest.raises(attention.InvalidArgumentError, match="kind"):
        attention.ModelConfig("transformer")
    with pytest.raises(attention.InvalidArgumentError, match="cell"):
        attention.Model(attention.ModelConfig("rnn", cell="elman"))
    with pytest.raises(attention.InvalidArgumentError, match="n_embd"):
        attention.Model(tiny_gpt_config(n_embd=2**64))  # would wrap silently in ctypes
    with pytest.raises(TypeError):
        attention.Model(tiny_gpt_config(n_layer=1.5))
    with pytest.raises(attention.InvalidArgumentError):
        attention.Model(tiny_gpt_config())  # no tokenizer and vocab_size 0


def test_forward_input_errors(gpt):
    V = gpt.vocab_size
    with pytest.raises(attention.ShapeError):
        gpt.forward(np.array([1, 2, 3], np.int32))             # not (B, T)
    with pytest.raises(attention.InvalidArgumentError, match="dtype"):
        gpt.forward(np.ones((1, 3), np.float32))
    with pytest.raises(attention.InvalidArgumentError):
        gpt.forward(np.array([[1, V]], np.int32))              # id out of range
    with pytest.raises(attention.InvalidArgumentError):
        gpt.forward(np.array([[-1, 2]], np.int32))
    with pytest.raises(attention.AttentionError):
        gpt.forward(np.ones((1, 17), np.int32))                # longer than block_size
    with pytest.raises(attention.AttentionError):
        gpt.forward(np.ones((1, 0), np.int32))                 # empty


def test_loading_garbage(tmp_path, gpt):
    with pytest.raises(attention.LibraryIOError):
        attention.Model.load(tmp_path / "missing.safetensors")
    data = gpt.to_bytes()
    for corrupt in (b"", b"garbage", data[:len(data) // 2], data[:7],
                    b"\xff" * 8 + data[8:]):  # header length beyond the file
        with pytest.raises(attention.FormatError) as error:
            attention.Model.from_bytes(corrupt)
        assert error.value.message
    path = tmp_path / "truncated.safetensors"
    path.write_bytes(data[:-4])
    with pytest.raises(attention.FormatError):
        attention.Model.load(path)


def test_save_to_a_missing_directory_is_an_io_error(gpt, tmp_path):
    with pytest.raises(attention.LibraryIOError):
        gpt.save(tmp_path / "no" / "such" / "dir" / "gpt.safetensors")


def test_raw_capi_model_nulls():
    out = ctypes.POINTER(_capi.attn_model_t)()
    assert _capi.attn_model_init(None, None, ctypes.byref(out)) == _capi.ATTN_ERR_NULL_POINTER
    assert _capi.attn_model_load(None, ctypes.byref(out)) == _capi.ATTN_ERR_NULL_POINTER
    assert _capi.attn_model_load_memory(None, 10, ctypes.byref(out)) == _capi.ATTN_ERR_NULL_POINTER
    count = ctypes.c_int64()
    assert _capi.attn_model_get_parameter_count(None, ctypes.byref(count)) == _capi.ATTN_ERR_NULL_POINTER
    config = _capi.attn_model_config()
    assert _capi.attn_model_config_default(99, ctypes.byref(config)) == _capi.ATTN_ERR_INVALID_ARGUMENT
    config.struct_size = 8  # too small to hold the fields
    assert _capi.attn_model_config_default(_capi.ATTN_MODEL_GPT, ctypes.byref(config)) != _capi.ATTN_OK
    _capi.attn_model_free(None)
