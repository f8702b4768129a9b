"""attention_forward: PyTorch scaled_dot_product_attention, numpy naive softmax(QKᵀ)V."""
from references.attention_common import (NUMPY_SCORE_LIMIT, numpy_attention, numpy_inputs,
                                          shape, torch_forward_call)


def build(params, backend):
    B, NH, Tq, Tk, HS, causal = shape(params)
    if backend == "numpy":
        if B * NH * Tq * Tk > NUMPY_SCORE_LIMIT:
            return None
        q, k, v = numpy_inputs(params)
        return lambda: numpy_attention(q, k, v, causal)
    if backend == "torch":
        return torch_forward_call(params)
    return None
