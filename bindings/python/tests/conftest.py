import numpy as np
import pytest


@pytest.fixture
def rng():
    """A fixed-seed generator: every run sees the same inputs."""
    return np.random.default_rng(1234)
