import numpy as np
import pytest

import attention


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
