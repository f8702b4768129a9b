"""attention_decode: one query per head against a KV cache (Tq = 1).

numpy: the naive per-head loop a simple generation loop would run (scores, softmax, weighted
sum, head by head). torch: scaled_dot_product_attention on the whole batch."""
import numpy as np

from references.attention_common import numpy_inputs, shape, torch_forward_call


def build(params, backend):
    B, NH, Tq, Tk, HS, causal = shape(params)
    if backend == "numpy":
        q, k, v = numpy_inputs(params)
        out = np.empty_like(q)
        scale = np.float32(1 / np.sqrt(HS))

        def call():
            for b in range(B):
                for h in range(NH):
                    scores = k[b, h] @ q[b, h, 0] * scale
                    p = np.exp(scores - scores.max())
                    out[b, h, 0] = (p / p.sum()) @ v[b, h]
            return out
        return call
    if backend == "torch":
        return torch_forward_call(params)
    return None
