"""Objects that own library handles: close(), `with`, __del__, closed-object errors, no leaks."""
import gc
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_gpt_config

import attention


def tiny_model():
    return attention.Model(attention.ModelConfig("gpt", vocab_size=10, n_layer=1, n_head=1, n_embd=8,
                                                 block_size=4))


def test_close_is_idempotent_and_closed_objects_raise():
    tokenizer = attention.Tokenizer("ab")
    assert not tokenizer.closed
    tokenizer.close()
    tokenizer.close()
    assert tokenizer.closed and "closed" in repr(tokenizer)
    with pytest.raises(attention.ClosedError, match="Tokenizer is closed"):
        tokenizer.encode("a")
    with pytest.raises(attention.NullPointerError):  # the library's class for a missing handle
        _ = tokenizer.vocab_size
    with pytest.raises(ValueError):  # like a closed file
        tokenizer.decode([4])
    model = tiny_model()
    model.close()
    for use in (lambda: model.forward(np.ones((1, 2), np.int32)), lambda: model.to_bytes(),
                lambda: model.config, lambda: attention.Context(model),
                lambda: attention.Trainer(model)):
        with pytest.raises(attention.ClosedError, match="Model is closed"):
            use()
    with pytest.raises(attention.ClosedError):
        attention.Model(tiny_gpt_config(), tokenizer)  # a closed tokenizer as an argument


def test_with_closes_and_returns_the_object():
    with tiny_model() as model:
        assert isinstance(model, attention.Model) and not model.closed
    assert model.closed
    with pytest.raises(RuntimeError):
        with attention.Tokenizer("ab") as tokenizer:
            raise RuntimeError("closed anyway")
    assert tokenizer.closed


def test_close_during_a_call_waits_for_the_call():
    model = tiny_model()
    tokens = np.ones((1, 3), np.int32)
    with model._borrow():  # as a call running on another thread would
        model.close()
        assert model.closed and model._pointer is not None  # not freed under the running call
        with pytest.raises(attention.ClosedError):
            model.forward(tokens)  # but no new call starts
    assert model._pointer is None  # freed when the call ended


def test_dependents_outlive_a_closed_model_or_tokenizer(corpus_tokenizer):
    tokenizer = attention.Tokenizer(attention.default_corpus())
    model = attention.Model(tiny_gpt_config(), tokenizer)
    tokenizer.close()  # the model holds its own copy
    copy = model.tokenizer
    tokens = copy.encode("道可道")[None, :]
    logits = model.forward(tokens)
    model.close()  # the tokenizer copy is independent
    assert copy.decode(tokens[0]) == "道可道"
    assert logits.shape == (1, 3, corpus_tokenizer.vocab_size)


def test_a_trainer_outlives_its_closed_model(corpus_tokenizer, corpus_ids, tmp_path):
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    trainer = attention.Trainer(model, attention.TrainConfig(steps=3, batch_size=4))
    model.close()  # the library keeps the model alive for the trainer
    trainer.run_tokens(corpus_ids)
    assert trainer.step_count == 3
    trainer.save(tmp_path / "run.safetensors")
    with attention.Model.load(tmp_path / "run.safetensors") as loaded:
        # (get_config reports seed 0: the seed only matters when weights are initialized)
        assert loaded.config == tiny_gpt_config(vocab_size=corpus_tokenizer.vocab_size, seed=0)


def test_garbage_collection_frees_handles_without_leaking():
    def rss_kib():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4

    def churn(count):
        for _ in range(count):
            tokenizer = attention.Tokenizer("你吃了吗")
            model = tiny_model()
            model.forward(np.ones((1, 4), np.int32))
            del tokenizer, model  # freed by __del__, not close()
        gc.collect()

    churn(200)  # warm up allocators
    before = rss_kib()
    churn(1000)
    # A leaked model is ~10 KiB of weights (plus its tokenizer): 1000 of them would add > 10 MiB.
    assert rss_kib() - before < 8 * 1024


def test_objects_in_reference_cycles_are_collected():
    model = tiny_model()
    model.me = model  # a cycle: only the cyclic collector frees it
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_interpreter_shutdown_with_live_handles_is_clean(tmp_path):
    script = """
import numpy as np, attention
tokenizer = attention.Tokenizer(attention.default_corpus())
model = attention.Model(attention.ModelConfig("gpt", n_layer=1, n_head=1, n_embd=8, block_size=8), tokenizer)
context = attention.Context(model)
trainer = attention.Trainer(model, attention.TrainConfig(steps=2), on_progress=lambda p: None)
cycle = [model, trainer, context]; cycle.append(cycle)
try:
    attention.Tokenizer(b"\\xff")  # __del__ of a half-made object
except attention.UTF8Error:
    pass
print("done")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert result.stderr == ""


def test_handles_cannot_be_copied_or_pickled():
    import copy
    import pickle
    model = tiny_model()
    for duplicate in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError, match="from_bytes"):
            duplicate(model)
    with pytest.raises(TypeError):
        copy.copy(attention.Tokenizer("ab"))
