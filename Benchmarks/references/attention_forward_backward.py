"""attention_forward_backward: PyTorch SDPA forward plus backward through autograd.

numpy has no autograd; it has no entry here."""
from references.attention_common import shape, torch_attention, torch_inputs


def build(params, backend):
    if backend != "torch":
        return None
    import torch
    B, NH, Tq, Tk, HS, causal = shape(params)
    q, k, v = torch_inputs(params, requires_grad=True)
    dout = torch.rand(B, NH, Tq, HS) * 2 - 1

    def call():
        q.grad = k.grad = v.grad = None
        torch_attention(q, k, v, causal).backward(dout)
    return call
