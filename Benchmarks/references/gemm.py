"""Reference for kind "gemm": C (m, n) = op(A) (m, k) @ op(B) (k, n) in float32, with A stored
(k, m) when trans_a and B stored (n, k) when trans_b, as attn-bench does; the result goes into a
preallocated C (like beta = 0), so that only the multiply is timed."""
import numpy as np


def build(params, backend):
    m, n, k = params["m"], params["n"], params["k"]
    trans_a, trans_b = params["trans_a"], params["trans_b"]
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if trans_b else (k, n)).astype(np.float32)
    c = np.empty((m, n), dtype=np.float32)
    if backend == "numpy":
        op_a = a.T if trans_a else a
        op_b = b.T if trans_b else b
        return lambda: np.matmul(op_a, op_b, out=c)
    if backend == "torch":
        import torch
        ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
        op_a = ta.t() if trans_a else ta
        op_b = tb.t() if trans_b else tb
        return lambda: torch.matmul(op_a, op_b, out=tc)
    return None
