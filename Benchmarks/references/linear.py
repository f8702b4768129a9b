"""Reference for kind "linear": one token through Linear layers with FP32 weights, y = x @ W.T.
params: out, in (one product), or n_layer, n_embd (the four products of each GPT block, c_attn
(3C, C), attn.c_proj (C, C), c_fc (4C, C), mlp.c_proj (C, 4C), layer after layer). The reference
is FP32 for every weight format attn-bench times: the ratios of the BF16 and Q8 rows are against
the same FP32 products."""
import numpy as np


def shapes(params):
    if "out" in params:
        return [(params["out"], params["in"])]
    c = params["n_embd"]
    return [(3 * c, c), (c, c), (4 * c, c), (c, 4 * c)] * params["n_layer"]


def build(params, backend):
    rng = np.random.default_rng(0)
    weights = [(0.02 * rng.standard_normal((out, inp))).astype(np.float32) for out, inp in shapes(params)]
    inputs = {inp: rng.standard_normal((1, inp)).astype(np.float32) for _, inp in shapes(params)}
    if backend == "numpy":
        pairs = [(inputs[w.shape[1]], w.T, np.empty((1, w.shape[0]), dtype=np.float32)) for w in weights]

        def run():
            for x, wt, y in pairs:
                np.matmul(x, wt, out=y)
        return run
    if backend == "torch":
        import torch
        pairs = [(torch.from_numpy(inputs[w.shape[1]]), torch.from_numpy(w)) for w in weights]

        def run():
            with torch.no_grad():
                for x, w in pairs:
                    torch.nn.functional.linear(x, w)
        return run
    return None
