"""Reference for kind "triad": the STREAM-like triad a = b + s·c over n float32 elements (the
bandwidth roofline of the decode suite). numpy needs two passes (a = s·c, then a += b); PyTorch
does it in one (torch.add with alpha)."""
import numpy as np


def build(params, backend):
    n = params["n"]
    a = np.zeros(n, dtype=np.float32)
    b = np.ones(n, dtype=np.float32)
    c = np.full(n, 2, dtype=np.float32)
    if backend == "numpy":
        def run():
            np.multiply(c, np.float32(3), out=a)
            np.add(a, b, out=a)
        return run
    if backend == "torch":
        import torch
        ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
        return lambda: torch.add(tb, tc, alpha=3, out=ta)
    return None
