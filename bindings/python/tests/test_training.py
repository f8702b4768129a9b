"""Training through Python: the loss falls, the per-step API, fixed learning rates, progress
callbacks (stopping, exceptions), save and exact resume, bad configs and batches."""
import dataclasses
import gc
import math
import weakref

import numpy as np
import pytest
from conftest import language_batch, tiny_gpt_config

import attention


def fast_config(**changes):
    values = dict(steps=30, batch_size=8, learning_rate=1e-2, warmup_steps=0, eval_interval=10)
    values.update(changes)
    return attention.TrainConfig(**values)


def test_config_defaults_match_the_header():
    config = attention.TrainConfig()
    assert (config.steps, config.batch_size, config.learning_rate, config.min_learning_rate,
            config.warmup_steps, config.weight_decay, config.beta1, config.beta2, config.grad_clip,
            config.eval_interval, config.eval_batches, config.validation_fraction, config.seed,
            config.resume, config.gradient_bucket_bytes, config.no_gradient_overlap) == (
        500, 16, 1e-3, 1e-4, 20, 0.1, 0.9, 0.99, 1.0, 50, 4, 0.1, 0, False, 0, False)


def test_run_tokens_loss_falls_and_reports_progress(corpus_tokenizer, corpus_ids):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    seen = []
    with attention.Trainer(model, fast_config(), on_progress=seen.append) as trainer:
        trainer.run_tokens(corpus_ids)
        assert trainer.step_count == 30
    assert [p.step for p in seen] == list(range(1, 31))
    assert all(isinstance(p, attention.Progress) and math.isfinite(p.loss) and p.tokens_per_second > 0
               for p in seen)
    # Starts near ln(V) (uniform predictions) and falls by more than 0.8 nats in 30 steps
    # (measured: 7.17 -> ~5.8).
    assert abs(seen[0].loss - math.log(corpus_tokenizer.vocab_size)) < 0.5
    first, last = np.mean([p.loss for p in seen[:3]]), np.mean([p.loss for p in seen[-5:]])
    assert last < first - 0.8, (first, last)
    assert [p.step for p in seen if p.validation_loss is not None] == [10, 20, 30]
    assert all(math.isfinite(p.validation_loss) for p in seen if p.validation_loss is not None)
    # Cosine schedule from 1e-2 to 1e-3 without warm-up.
    assert seen[0].learning_rate == pytest.approx(1e-2, rel=1e-6)
    assert seen[-1].learning_rate < seen[0].learning_rate / 5


def test_run_tokens_takes_text(corpus_tokenizer):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    with attention.Trainer(model, fast_config(steps=3)) as trainer:
        trainer.run_tokens(attention.default_corpus())
        assert trainer.step_count == 3


def test_step_evaluate_and_learning_rate(corpus_tokenizer, corpus_ids, rng):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    trainer = attention.Trainer(model, fast_config())
    assert trainer.step_count == 0 and trainer.learning_rate is None
    inputs, targets = language_batch(corpus_ids, rng)
    probe = inputs[:1]
    before = model.forward(probe)
    loss = trainer.evaluate(inputs, targets)
    assert trainer.evaluate(inputs, targets) == loss           # no state changes
    assert np.array_equal(model.forward(probe), before)       # weights unchanged
    assert trainer.step_count == 0
    # With dropout 0 the step's loss (before its update) is the evaluated loss.
    assert trainer.step(inputs, targets) == pytest.approx(loss, rel=1e-5)
    assert trainer.step_count == 1
    assert not np.array_equal(model.forward(probe), before)
    losses = [trainer.step(*language_batch(corpus_ids, rng)) for _ in range(29)]
    assert trainer.step_count == 30
    assert np.mean(losses[-5:]) < loss - 0.8
    # A fixed learning rate of 0 leaves the weights exactly as they are (decay is scaled by it).
    trainer.learning_rate = 0.0
    assert trainer.learning_rate == 0.0
    seen = []
    trainer.on_progress = seen.append
    frozen = model.forward(probe)
    trainer.step(inputs, targets)
    assert np.array_equal(model.forward(probe), frozen)
    assert seen[0].learning_rate == 0.0 and seen[0].step == 31
    trainer.on_progress = None
    trainer.step(inputs, targets)
    assert len(seen) == 1
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(attention.InvalidArgumentError):
            trainer.learning_rate = bad


@pytest.mark.parametrize("model_config", [
    tiny_gpt_config(dropout=0.1),  # dropout on, so that the random streams must be restored too
    attention.ModelConfig("rnn", cell="lstm", n_layer=2, n_embd=16, hidden_size=16, block_size=16),
    attention.ModelConfig("cnn", n_layer=3, n_embd=16, kernel_size=3, block_size=16),
], ids=["gpt", "rnn", "cnn"])
def test_resume_continues_bitwise_like_an_uninterrupted_run(model_config, corpus_tokenizer, corpus_ids, tmp_path):
    config = fast_config(steps=20, eval_interval=5)
    probe = corpus_ids[:16][None, :]

    def fresh():
        return attention.Model(model_config, corpus_tokenizer)

    straight = []
    model = fresh()
    attention.Trainer(model, config, on_progress=straight.append).run_tokens(corpus_ids)
    expected = model.forward(probe)

    first = []
    model = fresh()
    trainer = attention.Trainer(model, config, on_progress=lambda p: first.append(p) or p.step == 10)
    trainer.run_tokens(corpus_ids)  # stopped by the callback after step 10
    assert trainer.step_count == 10
    path = tmp_path / "run.safetensors"
    trainer.save(path)

    second = []
    resumed = attention.Model.load(path)
    trainer = attention.Trainer(resumed, dataclasses.replace(config, resume=True),
                                on_progress=second.append)
    assert trainer.step_count == 10
    trainer.run_tokens(corpus_ids)
    assert trainer.step_count == 20
    assert [p.step for p in second] == list(range(11, 21))
    assert [(p.loss, p.validation_loss, p.learning_rate) for p in first + second] == \
           [(p.loss, p.validation_loss, p.learning_rate) for p in straight]
    assert np.array_equal(resumed.forward(probe), expected)


def test_resume_needs_saved_state_and_the_same_schedule_and_settings(corpus_tokenizer, corpus_ids, tmp_path):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    with pytest.raises(attention.InvalidArgumentError):
        attention.Trainer(model, fast_config(resume=True))
    model.save(tmp_path / "plain.safetensors")
    with pytest.raises(attention.InvalidArgumentError):
        attention.Trainer(attention.Model.load(tmp_path / "plain.safetensors"), fast_config(resume=True))
    trainer = attention.Trainer(model, fast_config(steps=4))
    trainer.run_tokens(corpus_ids)
    trainer.save(tmp_path / "run.safetensors")
    with pytest.raises(attention.FormatError, match="schedule"):
        attention.Trainer(attention.Model.load(tmp_path / "run.safetensors"), fast_config(steps=5, resume=True))
    saved = fast_config(steps=4)
    with pytest.raises(attention.FormatError, match=f"batch_size {saved.batch_size}, this trainer has {saved.batch_size + 1}"):
        attention.Trainer(attention.Model.load(tmp_path / "run.safetensors"),
                          fast_config(steps=4, batch_size=saved.batch_size + 1, resume=True))
    with pytest.raises(attention.FormatError, match="weight_decay"):
        attention.Trainer(attention.Model.load(tmp_path / "run.safetensors"),
                          fast_config(steps=4, weight_decay=0.5, resume=True))


def test_a_non_finite_loss_is_an_error_that_leaves_the_weights(corpus_tokenizer, corpus_ids, rng):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    trainer = attention.Trainer(model, fast_config(grad_clip=0.0))
    trainer.learning_rate = 1e30  # the first step blows the weights up
    trainer.step(*language_batch(corpus_ids, rng))
    probe = corpus_ids[:16][None, :]
    before = model.forward(probe)
    with pytest.raises(attention.InvalidArgumentError, match="loss"):
        trainer.step(*language_batch(corpus_ids, rng))
    assert np.array_equal(model.forward(probe), before, equal_nan=True)
    assert trainer.step_count == 1


def test_an_exception_in_the_callback_stops_the_run_and_is_reraised(corpus_tokenizer, corpus_ids, rng):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)

    class Boom(Exception):
        pass

    def explode(progress):
        if progress.step == 3:
            raise Boom("at step 3")

    trainer = attention.Trainer(model, fast_config(), on_progress=explode)
    with pytest.raises(Boom, match="at step 3"):
        trainer.run_tokens(corpus_ids)
    assert trainer.step_count == 3  # stopped right after the failing callback
    trainer.on_progress = None
    trainer.run_tokens(corpus_ids)  # the trainer is still usable and runs to the end
    assert trainer.step_count == 30

    trainer = attention.Trainer(model, fast_config(), on_progress=lambda p: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        trainer.step(*language_batch(corpus_ids, rng))
    assert trainer.step_count == 1  # the step itself happened

    def reenter(progress):
        trainer.step(*language_batch(corpus_ids, rng))

    trainer.on_progress = reenter
    with pytest.raises(attention.InvalidArgumentError, match="already in a call"):
        trainer.run_tokens(corpus_ids)
    with pytest.raises(TypeError):
        trainer.on_progress = 42


def test_a_callback_may_checkpoint_and_steer_the_run(corpus_tokenizer, corpus_ids, tmp_path):
    """Between two steps a progress callback may save the run, read the step and fix the
    learning rate; the checkpoint it saved at step 10 resumes into the same final weights."""
    config = fast_config(steps=20, eval_interval=0)
    with attention.Model(tiny_gpt_config(), corpus_tokenizer) as model:
        trainer = attention.Trainer(model, config)

        def checkpoint(progress):
            if progress.step == 10:
                assert trainer.step_count == 10
                trainer.save(tmp_path / "step10.safetensors")

        trainer.on_progress = checkpoint
        trainer.run_tokens(corpus_ids)
        straight = model.forward(corpus_ids[None, :16])
    with attention.Model.load(tmp_path / "step10.safetensors") as resumed:
        attention.Trainer(resumed, dataclasses.replace(config, resume=True)).run_tokens(corpus_ids)
        assert np.array_equal(resumed.forward(corpus_ids[None, :16]), straight)

    with attention.Model(tiny_gpt_config(), corpus_tokenizer) as model:
        rates = []
        trainer = attention.Trainer(model, config)

        def freeze(progress):
            rates.append(progress.learning_rate)
            if progress.step == 5:
                trainer.learning_rate = 0.0

        trainer.on_progress = freeze
        trainer.run_tokens(corpus_ids)
        assert rates[5:] == [0.0] * 15 and rates[4] > 0


def test_trainer_with_a_callback_cycle_is_collected(corpus_tokenizer):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    trainer = attention.Trainer(model, fast_config())
    trainer.on_progress = lambda p: trainer.step_count  # closure -> trainer -> closure
    ref = weakref.ref(trainer)
    del trainer
    gc.collect()
    assert ref() is None


def test_bad_train_configs_are_rejected_by_the_library(corpus_tokenizer):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    for changes in (dict(steps=0), dict(batch_size=0), dict(learning_rate=-1.0),
                    dict(min_learning_rate=1.0), dict(beta1=1.0), dict(beta2=-0.1),
                    dict(validation_fraction=0.9), dict(eval_batches=0), dict(warmup_steps=-1),
                    dict(learning_rate=float("nan")), dict(gradient_bucket_bytes=-1),
                    dict(gradient_bucket_bytes=2**41),
                    dict(gradient_bucket_bytes=4096, no_gradient_overlap=True)):
        with pytest.raises(attention.InvalidArgumentError):
            attention.Trainer(model, fast_config(**changes))
    with pytest.raises(attention.InvalidArgumentError, match="gradient_bucket_bytes"):
        attention.Trainer(model, fast_config(gradient_bucket_bytes=2**63))
    # Each gradient-sum setting alone is accepted (one process: there is nothing to sum).
    for changes in (dict(no_gradient_overlap=True), dict(gradient_bucket_bytes=1)):
        attention.Trainer(model, fast_config(**changes)).close()
    with pytest.raises(attention.InvalidArgumentError, match="steps"):
        attention.Trainer(model, fast_config(steps=2**64))
    with pytest.raises(attention.InvalidArgumentError, match="seed"):
        attention.Trainer(model, fast_config(seed=-1))


def test_bad_batches(corpus_tokenizer, corpus_ids, rng):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    trainer = attention.Trainer(model, fast_config())
    inputs, targets = language_batch(corpus_ids, rng)
    V = corpus_tokenizer.vocab_size
    with pytest.raises(attention.ShapeError):
        trainer.step(inputs, targets[:, :-1])
    with pytest.raises(attention.ShapeError):
        trainer.step(inputs[0], targets[0])
    with pytest.raises(attention.InvalidArgumentError, match="dtype"):
        trainer.step(inputs.astype(np.float64), targets)
    with pytest.raises(attention.InvalidArgumentError):
        trainer.step(inputs, np.full_like(targets, V))
    with pytest.raises(attention.AttentionError):
        trainer.step(*language_batch(corpus_ids, rng, time=17))  # block_size is 16
    with pytest.raises(attention.InvalidArgumentError):
        trainer.step_seq2seq(["道"], ["可"])  # not a seq2seq model
    with pytest.raises(attention.AttentionError):
        trainer.run_pairs("道\t可\n")
    with pytest.raises(attention.AttentionError):
        trainer.run_tokens(corpus_ids[:1])  # no window fits
    assert trainer.step_count == 0  # nothing above trained


def test_ctrl_c_stops_a_run_after_the_current_step(corpus_tokenizer, corpus_ids):
    import _thread
    import threading
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    trainer = attention.Trainer(model, fast_config(steps=100_000, batch_size=1))  # no on_progress
    threading.Timer(0.2, _thread.interrupt_main).start()
    with pytest.raises(KeyboardInterrupt):
        trainer.run_tokens(corpus_ids)
    assert 0 < trainer.step_count < 100_000
