"""Tanh-approximated GELU reference for the "gelu" benchmark kind: params count."""
import numpy as np


def build(params, backend):
    count = params["count"]
    x = np.random.default_rng(1).uniform(-1, 1, count).astype(np.float32)
    if backend == "numpy":
        c = np.float32(0.7978845608028654)
        k = np.float32(0.044715)
        return lambda: 0.5 * x * (1 + np.tanh(c * (x + k * x * x * x)))
    if backend == "torch":
        import torch
        import torch.nn.functional as F
        t = torch.from_numpy(x)
        return lambda: F.gelu(t, approximate="tanh")
    return None
