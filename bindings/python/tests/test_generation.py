"""Generation with a GPT: seeds, greedy decoding against forward logits, streaming callbacks,
attention maps, bad input."""
import ctypes
import warnings

import numpy as np
import pytest
from conftest import tiny_gpt_config

import attention
from attention import _capi


def test_same_seed_same_text_other_seed_other_text(trained_gpt):
    with attention.Context(trained_gpt) as context:
        first = context.generate("道可道", max_new_tokens=30, temperature=1.0, seed=1)
        assert context.generate("道可道", max_new_tokens=30, temperature=1.0, seed=1) == first
        assert context.generate("道可道", max_new_tokens=30, temperature=1.0, seed=2) != first
    assert isinstance(first, str) and 0 < len(first) <= 30
    # Model.generate uses a temporary context
    assert trained_gpt.generate("道可道", max_new_tokens=30, temperature=1.0, seed=1) == first
    with attention.Context(trained_gpt) as other:  # a fresh context gives the same text
        assert other.generate("道可道", max_new_tokens=30, temperature=1.0, seed=1) == first


def test_greedy_decoding_follows_the_argmax_of_forward(corpus_tokenizer, trained_gpt):
    untrained = attention.Model(tiny_gpt_config(seed=3), corpus_tokenizer)
    for model in (untrained, trained_gpt):
        prompt = corpus_tokenizer.encode("天下皆知")
        with attention.Context(model) as context:
            generated = context.generate_tokens(prompt, max_new_tokens=12, temperature=0.0, stop_at_eos=False)
            assert generated.dtype == np.int32 and generated.shape == (12,)
            # The KV-cached path picks the tokens the full recomputation picks.
            uncached = context.generate_tokens(prompt, max_new_tokens=12, temperature=0.0, stop_at_eos=False,
                                               use_cache=False)
            assert np.array_equal(generated, uncached)
        sequence = np.concatenate([prompt, generated])  # 16 tokens = block_size
        logits = model.forward(sequence[None, :-1])[0]  # (15, V)
        assert np.array_equal(np.argmax(logits[len(prompt) - 1:], axis=-1), generated)
        with attention.Context(model) as context:
            assert context.generate("天下皆知", max_new_tokens=12, temperature=0.0, stop_at_eos=False) == \
                corpus_tokenizer.decode(generated)


def test_streaming_callback_sees_every_token(trained_gpt, corpus_tokenizer):
    streamed = []
    with attention.Context(trained_gpt) as context:
        text = context.generate("道", max_new_tokens=20, seed=5, on_token=lambda i, t: streamed.append((i, t)))
        ids = context.generate_tokens(corpus_tokenizer.encode("道"), max_new_tokens=20, seed=5)
    assert [i for i, _ in streamed] == ids.tolist()
    assert "".join(t for _, t in streamed) == text
    assert all(t == corpus_tokenizer.decode([i]) for i, t in streamed)


def test_callback_stops_generation_and_exceptions_propagate(trained_gpt):
    with attention.Context(trained_gpt) as context:
        count = []
        text = context.generate("道", max_new_tokens=20, on_token=lambda i, t: count.append(i) or len(count) == 3)
        assert len(count) == 3 and len(text) == 3  # stopped after the third token

        def explode(token, text):
            raise KeyError("stop here")

        with pytest.raises(KeyError, match="stop here"):
            context.generate("道", max_new_tokens=20, on_token=explode)

        def reenter(token, text):
            context.generate("道", max_new_tokens=1)

        with pytest.raises(attention.InvalidArgumentError, match="already in a call"):
            context.generate("道", max_new_tokens=5, on_token=reenter)
        with pytest.raises(TypeError):
            context.generate("道", on_token="not callable")
        assert len(context.generate("道", max_new_tokens=4)) == 4  # still usable


def test_edge_cases(trained_gpt, corpus_tokenizer):
    with attention.Context(trained_gpt) as context:
        assert context.generate("道", max_new_tokens=0) == ""
        assert context.generate_tokens([5], max_new_tokens=0).shape == (0,)
        long_prompt = attention.default_corpus()[:40]  # longer than block_size 16
        tail = context.generate(long_prompt[-16:], max_new_tokens=5, temperature=0.0, stop_at_eos=False)
        assert len(tail) == 5
        # Only the last block_size tokens are in view.
        assert context.generate(long_prompt, max_new_tokens=5, temperature=0.0, stop_at_eos=False) == tail
        for options in (dict(top_k=5), dict(top_p=0.5), dict(temperature=2.0, top_k=1)):
            assert len(context.generate("道", max_new_tokens=5, stop_at_eos=False, seed=1, **options)) == 5
        # top_k 1 is greedy whatever the temperature
        assert context.generate("道", max_new_tokens=8, temperature=2.0, top_k=1, stop_at_eos=False, seed=9) == \
            context.generate("道", max_new_tokens=8, temperature=0.0, stop_at_eos=False)


def test_model_without_tokenizer_generates_ids_only():
    with attention.Model(tiny_gpt_config(vocab_size=12)) as model, attention.Context(model) as context:
        ids = context.generate_tokens([4, 5, 6], max_new_tokens=6, stop_at_eos=False, seed=1)
        assert ids.shape == (6,) and ids.min() >= 0 and ids.max() < 12
        # An untrained model draws from every id, but never PAD (0) or BOS (1).
        many = context.generate_tokens([4, 5, 6], max_new_tokens=300, temperature=2.0, top_p=1.0,
                                       stop_at_eos=False, seed=3)
        assert set(many.tolist()) == set(range(2, 12))
        with pytest.raises(attention.InvalidArgumentError):
            context.generate("a")


def test_context_outlives_its_closed_model(corpus_tokenizer):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    expected = model.generate("道", max_new_tokens=5, seed=4)
    context = attention.Context(model)
    model.close()
    assert context.generate("道", max_new_tokens=5, seed=4) == expected
    context.close()
    with pytest.raises(attention.ClosedError, match="Context is closed"):
        context.generate("道")


def test_gpt_attention_maps(trained_gpt, corpus_tokenizer):
    text = "道可道，非常道"
    T = len(text)
    with attention.Context(trained_gpt) as context:
        maps = context.attention(text)
        again = context.attention(text)
        context.generate("道", max_new_tokens=3)  # reuses the context's buffers; the copies stay
    assert [(m.kind, m.layer) for m in maps] == [("self", 0), ("self", 1)]
    for m, m2 in zip(maps, again):
        assert isinstance(m, attention.AttentionMap)
        assert m.weights.shape == (2, T, T) == (m.heads, m.query_len, m.key_len)
        assert m.weights.dtype == np.float32 and m.weights.flags.owndata
        np.testing.assert_allclose(m.weights.sum(axis=-1), 1.0, rtol=0, atol=1e-5)
        assert (m.weights >= 0).all()
        assert not np.triu(m.weights, k=1).any()  # causal: no weight on later tokens
        assert np.array_equal(m.weights, m2.weights)
    with attention.Context(trained_gpt, strict_vocabulary=True) as context:
        for bad in ("", "道" * 17, "xyz"):
            with pytest.raises(attention.InvalidArgumentError):
                context.attention(bad)
        with pytest.raises(attention.InvalidArgumentError, match="only applies to seq2seq"):
            context.attention(text, "道")


def test_rnn_and_cnn_generate_but_have_no_attention(corpus_tokenizer):
    for config in (attention.ModelConfig("rnn", n_layer=1, n_embd=16, hidden_size=16, block_size=8),
                   attention.ModelConfig("cnn", n_layer=2, n_embd=16, block_size=8)):
        with attention.Model(config, corpus_tokenizer) as model, attention.Context(model) as context:
            assert len(context.generate("道", max_new_tokens=4, stop_at_eos=False)) == 4
            with pytest.raises(attention.InvalidArgumentError):
                context.attention("道可道")


def test_bad_generation_arguments(trained_gpt):
    with attention.Context(trained_gpt) as context:
        for options in (dict(temperature=-1.0), dict(temperature=float("nan")), dict(top_p=1.5),
                        dict(top_p=-0.1), dict(max_new_tokens=-1), dict(top_k=-1)):
            with pytest.raises(attention.InvalidArgumentError):
                context.generate("道", **options)
        with pytest.raises(attention.InvalidArgumentError, match="seed"):
            context.generate("道", seed=-1)
        with pytest.raises(attention.InvalidArgumentError):
            context.generate("")
        with pytest.raises(attention.UTF8Error):
            context.generate(b"\xff")
        with pytest.raises(attention.InvalidArgumentError):
            context.generate_tokens([trained_gpt.vocab_size])
        with pytest.raises(attention.InvalidArgumentError):
            context.generate_tokens([])
        with pytest.raises(attention.ShapeError):
            context.generate_tokens([[4, 5]])
        with pytest.raises(attention.InvalidArgumentError, match="seq2seq"):
            context.answer("道")


def test_a_context_sees_weights_trained_after_it_was_made(corpus_tokenizer, corpus_ids):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    with attention.Context(model) as context:
        before = context.generate("道可道", max_new_tokens=10, temperature=0.0, stop_at_eos=False)
        config = attention.TrainConfig(steps=20, batch_size=8, learning_rate=1e-2)
        attention.Trainer(model, config).run_tokens(corpus_ids)
        after = context.generate("道可道", max_new_tokens=10, temperature=0.0, stop_at_eos=False)
        maps = context.attention("道可道")
    with attention.Context(model) as fresh:
        assert after == fresh.generate("道可道", max_new_tokens=10, temperature=0.0, stop_at_eos=False)
        assert all(np.array_equal(a.weights, b.weights) for a, b in zip(maps, fresh.attention("道可道")))
    assert after != before


def test_ctrl_c_stops_a_generation(trained_gpt):
    import _thread
    import threading
    with attention.Context(trained_gpt) as context:
        threading.Timer(0.2, _thread.interrupt_main).start()
        with pytest.raises(KeyboardInterrupt):
            context.generate_tokens([5], max_new_tokens=1_000_000, stop_at_eos=False, use_cache=False)
        assert len(context.generate("道", max_new_tokens=3, stop_at_eos=False)) == 3


def test_generate_config_equals_the_same_keywords_and_keywords_replace_its_fields(trained_gpt):
    config = attention.GenerateConfig(max_new_tokens=20, temperature=0.9, top_k=8, seed=3)
    defaults = _capi.attn_generate_config()
    assert _capi.attn_generate_config_default(ctypes.byref(defaults)) == _capi.ATTN_OK
    ours = attention.GenerateConfig()._to_struct()
    for name, _ in _capi.attn_generate_config._fields_:
        if name != "on_token":
            assert getattr(ours, name) == getattr(defaults, name), name
    with attention.Context(trained_gpt) as context:
        by_config = context.generate("道可道", config)
        assert by_config == context.generate("道可道", max_new_tokens=20, temperature=0.9, top_k=8, seed=3)
        assert trained_gpt.generate("道可道", config) == by_config
        # A keyword replaces the config's field.
        assert context.generate("道可道", config, seed=4) == context.generate(
            "道可道", max_new_tokens=20, temperature=0.9, top_k=8, seed=4)
        assert len(context.generate_tokens([5, 6], config, temperature=0, stop_at_eos=False)) == 20
        with pytest.raises(TypeError, match="max_tokens"):
            context.generate("道可道", max_tokens=5)
        with pytest.raises(TypeError, match="GenerateConfig"):
            context.generate("道可道", {"max_new_tokens": 5})
        with pytest.raises(attention.InvalidArgumentError):
            context.generate("道可道", attention.GenerateConfig(max_new_tokens=-1))


def test_characters_outside_the_vocabulary_are_read_as_unk_with_a_warning_unless_strict(trained_gpt):
    with attention.Context(trained_gpt) as context:
        with pytest.warns(attention.UnknownCharactersWarning, match="3 characters outside"):
            text = context.generate("道xyz", max_new_tokens=5, temperature=0, stop_at_eos=False)
        assert context.unknown_count == 3 and len(text) == 5
        # The same as generating from the ids with UNK in place of the unknown characters.
        ids = trained_gpt.tokenizer.encode("道xyz")
        assert ids.tolist()[1:] == [3, 3, 3]
        assert trained_gpt.tokenizer.decode(context.generate_tokens(ids, max_new_tokens=5, temperature=0,
                                                                    stop_at_eos=False)) == text
        assert context.unknown_count == 0
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            context.generate("道", max_new_tokens=2)  # no warning for known text
        with pytest.warns(attention.UnknownCharactersWarning):
            maps = context.attention("道x")
        assert maps[0].weights.shape[-1] == 2 and context.unknown_count == 1
    # The warning points at the caller's line, through Context and through Model's shortcuts.
    for call in (lambda: attention.Context(trained_gpt).generate("道x", max_new_tokens=2),
                 lambda: trained_gpt.generate("道x", max_new_tokens=2)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert [w.filename for w in caught] == [__file__], [(w.filename, w.lineno) for w in caught]
    with attention.Context(trained_gpt, strict_vocabulary=True) as strict:
        with pytest.raises(attention.InvalidArgumentError, match="outside the model's vocabulary: 'x', 'y', 'z'"):
            strict.generate("道xyz")
        with pytest.raises(attention.InvalidArgumentError, match="vocabulary"):
            strict.attention("道x")
        assert strict.generate("道", max_new_tokens=2, seed=1) is not None
