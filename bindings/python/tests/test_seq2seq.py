"""A seq2seq model through Python: training on the built-in dialogue pairs (TSV and per-step
batches of strings or ids), answers, and encoder, decoder and cross attention maps."""
import dataclasses

import numpy as np
import pytest

import attention


def pairs():
    lines = [line for line in attention.default_dialogue().splitlines() if line and not line.startswith("#")]
    return [tuple(line.split("\t")) for line in lines]


def seq2seq_config(**changes):
    values = dict(n_layer=1, n_decoder_layer=1, n_head=2, n_embd=32, max_source_length=16,
                  max_target_length=16, dropout=0.0, seed=1)
    values.update(changes)
    return attention.ModelConfig("seq2seq", **values)


@pytest.fixture(scope="module")
def dialogue_tokenizer():
    with attention.Tokenizer(attention.default_dialogue()) as tokenizer:
        yield tokenizer


@pytest.fixture(scope="module")
def trained_seq2seq(dialogue_tokenizer):
    """A tiny seq2seq trained for 200 steps on the dialogue pairs (~0.4 s)."""
    model = attention.Model(seq2seq_config(), dialogue_tokenizer)
    seen = []
    config = attention.TrainConfig(steps=200, batch_size=16, learning_rate=1e-2, warmup_steps=0, eval_interval=0)
    with attention.Trainer(model, config, on_progress=seen.append) as trainer:
        trainer.run_pairs(attention.default_dialogue())
    model.losses = [p.loss for p in seen]
    yield model
    model.close()


def test_training_on_the_dialogue_pairs_teaches_answers(trained_seq2seq):
    losses = trained_seq2seq.losses
    assert len(losses) == 200
    assert np.mean(losses[-10:]) < 1.5 < losses[0]  # measured: 5.3 -> ~0.5
    known = dict(pairs())
    with attention.Context(trained_seq2seq) as context:
        # The seed's `你吃了吗?` differs from the first pair's `你吃了吗？` only in the width of its
        # question mark, which this 200-step model need not tell apart: judge the others.
        questions = [question for question in known if "?" not in question][:5]
        answers = {question: context.answer(question, temperature=0.0) for question in questions}
    assert all(isinstance(answer, str) and answer for answer in answers.values())
    # The pairs are memorised quickly: most greedy answers are the training answers.
    assert sum(answers[q] == known[q] for q in answers) >= 3, answers
    assert trained_seq2seq.answer("你吃了吗？", temperature=0.0) == answers["你吃了吗？"]


def test_answer_options(trained_seq2seq):
    with attention.Context(trained_seq2seq) as context:
        assert context.answer("你好吗？", max_new_tokens=0) == ""
        assert len(context.answer("你好吗？", max_new_tokens=2, temperature=0.0)) <= 2
        sampled = context.answer("你好吗？", temperature=1.0, seed=3)
        assert context.answer("你好吗？", temperature=1.0, seed=3) == sampled
        streamed = []
        text = context.answer("你好吗？", temperature=0.0, on_token=lambda i, t: streamed.append(t))
        assert "".join(streamed) == text
        with pytest.raises(attention.InvalidArgumentError):
            context.answer("")
        with pytest.raises(attention.InvalidArgumentError):
            context.answer("你" * 17)  # longer than max_source_length
        with pytest.raises(attention.InvalidArgumentError):
            context.generate("你好")  # not a language model


def test_attention_maps_of_question_and_answer(trained_seq2seq):
    question, answer = "你吃了吗？", "吃了。"
    Ts, Ta = len(question), len(answer)
    with attention.Context(trained_seq2seq) as context:
        maps = context.attention(question, answer)
        greedy = context.answer(question, temperature=0.0)
        greedy_maps = context.attention(question)  # answer=None: the model's greedy answer
    assert [(m.kind, m.layer) for m in maps] == [("encoder", 0), ("self", 0), ("cross", 0)]
    shapes = {m.kind: m.weights.shape for m in maps}
    assert shapes == {"encoder": (2, Ts, Ts), "self": (2, Ta + 1, Ta + 1), "cross": (2, Ta + 1, Ts)}
    for m in maps:
        np.testing.assert_allclose(m.weights.sum(axis=-1), 1.0, rtol=0, atol=1e-5)
        assert (m.weights >= 0).all()
    decoder = next(m for m in maps if m.kind == "self").weights
    assert not np.triu(decoder, k=1).any()  # the decoder is causal
    encoder = next(m for m in maps if m.kind == "encoder").weights
    assert np.triu(encoder, k=1).any()  # the encoder is not
    assert {m.kind: m.weights.shape for m in greedy_maps}["cross"] == (2, len(greedy) + 1, Ts)


def test_step_seq2seq_with_strings_or_padded_ids(dialogue_tokenizer):
    model = attention.Model(seq2seq_config(), dialogue_tokenizer)
    trainer = attention.Trainer(model, attention.TrainConfig(steps=50, learning_rate=1e-2, warmup_steps=0))
    questions, answers = zip(*pairs()[:4])
    loss = trainer.evaluate_seq2seq(questions, answers)
    # The same batch as PAD-padded ids: the padding does not count.
    encode = dialogue_tokenizer.encode
    q_ids = np.zeros((4, 12), np.int32)
    a_ids = np.zeros((4, 15), np.int32)
    for row, (q, a) in enumerate(zip(questions, answers)):
        q_ids[row, :len(q)] = encode(q)
        a_ids[row, :len(a)] = encode(a)
    assert trainer.evaluate_seq2seq(q_ids, a_ids) == pytest.approx(loss, rel=1e-5)
    assert trainer.step_seq2seq(questions, answers) == pytest.approx(loss, rel=1e-5)
    later = [trainer.step_seq2seq(questions, answers) for _ in range(20)]
    assert later[-1] < loss / 2
    assert trainer.step_count == 21
    with pytest.raises(attention.ShapeError):
        trainer.step_seq2seq(questions, answers[:3])
    with pytest.raises(attention.InvalidArgumentError):
        trainer.step_seq2seq(np.zeros((2, 4), np.int32), a_ids[:2])  # all-PAD questions
    with pytest.raises(attention.AttentionError):
        trainer.step_seq2seq(["你"], ["好" * 16])  # answer + EOS longer than max_target_length
    with pytest.raises(TypeError):
        trainer.step_seq2seq("你好", "好")  # one string is not a batch
    with pytest.raises(attention.InvalidArgumentError):
        trainer.step(q_ids, q_ids)  # not a language model


def test_malformed_pairs_name_the_line(dialogue_tokenizer):
    model = attention.Model(seq2seq_config(), dialogue_tokenizer)
    trainer = attention.Trainer(model, attention.TrainConfig(steps=2))
    with pytest.raises(attention.FormatError, match="line 2"):
        trainer.run_pairs("你好\t好\n没有制表符\n")
    with pytest.raises(attention.UTF8Error):
        trainer.run_pairs(b"\xff\t\xfe\n")
    assert trainer.step_count == 0


def test_resume_continues_bitwise_like_an_uninterrupted_run(dialogue_tokenizer, tmp_path):
    config = attention.TrainConfig(steps=16, batch_size=8, learning_rate=1e-2, warmup_steps=0, eval_interval=0)

    def run(model, config, stop=None):
        losses = []
        trainer = attention.Trainer(model, config, on_progress=lambda p: losses.append(p.loss) or p.step == stop)
        trainer.run_pairs(attention.default_dialogue())
        return trainer, losses

    straight = attention.Model(seq2seq_config(n_layer=2, n_decoder_layer=2, dropout=0.1), dialogue_tokenizer)
    _, expected = run(straight, config)
    first_half, first = run(attention.Model(seq2seq_config(n_layer=2, n_decoder_layer=2, dropout=0.1),
                                            dialogue_tokenizer), config, stop=8)
    first_half.save(tmp_path / "run.safetensors")
    resumed = attention.Model.load(tmp_path / "run.safetensors")
    _, second = run(resumed, dataclasses.replace(config, resume=True))
    assert first + second == expected
    assert resumed.to_bytes() == straight.to_bytes()


def test_answers_fit_what_training_and_inspection_accept(dialogue_tokenizer):
    """An answer without EOS stops at max_target_length - 1 tokens, the longest answer training
    takes (targets are answer + EOS), so it can be inspected and trained on as it is."""
    with attention.Model(seq2seq_config(max_target_length=8), dialogue_tokenizer) as model, \
            attention.Context(model) as context:
        # seed 1 samples no EOS (one sampled mid-answer would count as a token but add no text)
        answer = context.answer("你吃了吗？", temperature=1.0, stop_at_eos=False, seed=1)
        assert len(answer) == 7
        maps = context.attention("你吃了吗？", answer)
        greedy = context.answer("你吃了吗？", temperature=0.0)
        default_maps = context.attention("你吃了吗？")
    assert {m.kind for m in maps} == {"encoder", "self", "cross"}
    for m in maps:
        assert m.query_len == (5 if m.kind == "encoder" else 8)
    for m in default_maps:
        assert m.query_len == (5 if m.kind == "encoder" else len(greedy) + 1)
