"""Model.quantize and Model.weight_format: BF16 / Q8 copies for inference."""
import threading

import numpy as np
import pytest

import attention
from attention import InvalidArgumentError, Model, ModelConfig, Tokenizer, Trainer


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer(attention.default_corpus())


def _gpt(tokenizer, n_embd=64):
    return Model(ModelConfig("gpt", n_layer=2, n_embd=n_embd, block_size=16, seed=4), tokenizer)


def _tokens(tokenizer):
    return tokenizer.encode("道可道，非常道")[None, :]


@pytest.mark.parametrize("weight_format", ["bf16", "q8"])
def test_quantized_copy_runs_close_to_fp32_and_round_trips(tokenizer, tmp_path, weight_format):
    model = _gpt(tokenizer)
    narrowed = model.quantize(weight_format)
    assert narrowed.weight_format == weight_format
    assert model.weight_format == "f32"
    assert narrowed.parameter_count == model.parameter_count
    reference, logits = model.forward(_tokens(tokenizer)), narrowed.forward(_tokens(tokenizer))
    assert not np.array_equal(logits, reference)
    np.testing.assert_allclose(logits, reference, atol=0.05)

    path = tmp_path / f"{weight_format}.safetensors"
    narrowed.save(path)
    loaded = Model.load(path)
    assert loaded.weight_format == weight_format
    np.testing.assert_array_equal(loaded.forward(_tokens(tokenizer)), logits)
    greedy = dict(max_new_tokens=12, temperature=0, stop_at_eos=False)
    assert loaded.generate("道可道", **greedy) == narrowed.generate("道可道", **greedy)
    np.testing.assert_array_equal(Model.from_bytes(narrowed.to_bytes()).forward(_tokens(tokenizer)), logits)

    # The file opens with the safetensors package: I8 weights with F32 scales, or BF16.
    safetensors = pytest.importorskip("safetensors")
    with safetensors.safe_open(str(path), "np") as handle:
        assert handle.metadata()["weight_format"] == weight_format
        if weight_format == "q8":
            weights = handle.get_tensor("transformer.h.0.mlp.c_fc.weight")
            scales = handle.get_tensor("transformer.h.0.mlp.c_fc.weight.scales")
            assert weights.dtype == np.int8 and weights.shape == (256, 64)
            assert scales.dtype == np.float32 and scales.shape == (256, 2)
            assert weights.min() >= -127


def test_quantized_model_does_not_train(tokenizer):
    narrowed = _gpt(tokenizer).quantize("q8")
    with pytest.raises(InvalidArgumentError, match="cannot be trained"):
        Trainer(narrowed)
    with pytest.raises(InvalidArgumentError, match="already holds q8"):
        narrowed.quantize("bf16")


def test_bad_formats_and_dimensions(tokenizer):
    model = _gpt(tokenizer)
    for bad in ["f32", "Q8", "int8", ""]:
        with pytest.raises(InvalidArgumentError, match="unknown weight format"):
            model.quantize(bad)
    with pytest.raises(InvalidArgumentError, match="does not divide the input dimension 48"):
        _gpt(tokenizer, n_embd=48).quantize("q8")
    assert _gpt(tokenizer, n_embd=48).quantize("bf16").weight_format == "bf16"


def test_seq2seq_answers_after_a_round_trip(tmp_path):
    tokenizer = Tokenizer(attention.default_dialogue())
    model = Model(ModelConfig("seq2seq", n_embd=32, seed=2), tokenizer)
    narrowed = model.quantize("bf16")
    narrowed.save(tmp_path / "s2s.safetensors")
    loaded = Model.load(tmp_path / "s2s.safetensors")
    assert loaded.answer("你吃了吗", max_new_tokens=8, temperature=0) == narrowed.answer(
        "你吃了吗", max_new_tokens=8, temperature=0)


def test_many_threads_share_one_quantized_model(tokenizer):
    narrowed = _gpt(tokenizer).quantize("q8")
    expected = narrowed.forward(_tokens(tokenizer))
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(np.array_equal(narrowed.forward(_tokens(tokenizer)), expected))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 20 and all(results)
