"""Layer-normalization reference for the "layernorm" benchmark kind: params rows, channels."""
import numpy as np


def build(params, backend):
    rows, channels = params["rows"], params["channels"]
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (rows, channels)).astype(np.float32)
    w = rng.uniform(-1, 1, channels).astype(np.float32)
    b = rng.uniform(-1, 1, channels).astype(np.float32)
    if backend == "numpy":
        def call():
            mean = x.mean(axis=1, keepdims=True)
            var = x.var(axis=1, keepdims=True)
            return (x - mean) / np.sqrt(var + 1e-5) * w + b
        return call
    if backend == "torch":
        import torch
        import torch.nn.functional as F
        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        return lambda: F.layer_norm(tx, (channels,), tw, tb, 1e-5)
    return None
