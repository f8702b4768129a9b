"""Row-wise softmax reference for the "softmax" benchmark kind: params rows, cols, causal."""
import numpy as np


def build(params, backend):
    rows, cols, causal = params["rows"], params["cols"], params.get("causal", 0)
    x = np.random.default_rng(1).uniform(-1, 1, (rows, cols)).astype(np.float32)
    if backend == "numpy":
        if causal:
            return None

        def call():
            e = np.exp(x - x.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return call
    if backend == "torch":
        import torch
        t = torch.from_numpy(x)
        if causal:
            return None
        return lambda: torch.softmax(t, dim=-1)
    return None
