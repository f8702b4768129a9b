import os
import sys

import numpy as np
import pytest

import attention

CHECKOUT_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # bindings/python


def pytest_addoption(parser):
    parser.addoption("--installed-package", action="store_true",
                     help="insist that `attention` is the copy installed in this Python environment "
                          "(a venv), not the checkout's bindings/python (what CI tests)")


def pytest_configure(config):
    if config.getoption("--installed-package"):
        package = os.path.realpath(attention.__file__)
        prefix = os.path.realpath(sys.prefix)
        if not package.startswith(prefix + os.sep) or package.startswith(CHECKOUT_PACKAGE + os.sep):
            raise pytest.UsageError(f"--installed-package: attention was imported from {package}, "
                                    f"not from the environment {prefix}")
        library = attention._capi.lib._name
        if os.path.dirname(os.path.realpath(library)) != os.path.dirname(package):
            raise pytest.UsageError(f"--installed-package: the library loaded is {library}, "
                                    "not the copy installed with the package")


@pytest.fixture
def rng():
    """A fixed-seed generator: every run sees the same inputs."""
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def corpus_tokenizer():
    """The tokenizer of the built-in corpus."""
    with attention.Tokenizer(attention.default_corpus()) as tokenizer:
        yield tokenizer


@pytest.fixture(scope="session")
def corpus_ids(corpus_tokenizer):
    """The built-in corpus as ids (int32, ~10k tokens)."""
    return corpus_tokenizer.encode(attention.default_corpus())


def tiny_gpt_config(**changes):
    """A GPT small enough that a training step takes milliseconds."""
    values = dict(n_layer=2, n_head=2, n_embd=32, block_size=16, dropout=0.0, seed=7)
    values.update(changes)
    return attention.ModelConfig("gpt", **values)


def language_batch(ids, rng, batch=8, time=16):
    """(inputs, targets) windows of `ids`, targets shifted by one, both (batch, time) int32."""
    starts = rng.integers(0, len(ids) - time - 1, size=batch)
    inputs = np.stack([ids[s:s + time] for s in starts])
    targets = np.stack([ids[s + 1:s + time + 1] for s in starts])
    return inputs, targets


@pytest.fixture(scope="session")
def trained_gpt(corpus_tokenizer, corpus_ids):
    """A tiny GPT trained for 100 steps on the built-in corpus (~0.5 s)."""
    model = attention.Model(tiny_gpt_config(), corpus_tokenizer)
    config = attention.TrainConfig(steps=100, batch_size=8, learning_rate=1e-2, warmup_steps=0, eval_interval=0)
    with attention.Trainer(model, config) as trainer:
        trainer.run_tokens(corpus_ids)
    yield model
    model.close()
