"""Inputs shared by the attention reference modules: q (B,NH,Tq,HS), k and v (B,NH,Tk,HS)."""
import numpy as np

# The numpy reference materializes (B, NH, Tq, Tk) scores plus temporaries; skip it above this
# many score elements (256 MiB of float32) rather than exhaust a shared machine's memory.
NUMPY_SCORE_LIMIT = 1 << 26


def shape(params):
    return (params["batch"], params["heads"], params["q_len"], params["kv_len"],
            params["head_size"], bool(params["causal"]))


def numpy_inputs(params, seed=0):
    B, NH, Tq, Tk, HS, _ = shape(params)
    rng = np.random.default_rng(seed)
    q = rng.uniform(-1, 1, (B, NH, Tq, HS)).astype(np.float32)
    k = rng.uniform(-1, 1, (B, NH, Tk, HS)).astype(np.float32)
    v = rng.uniform(-1, 1, (B, NH, Tk, HS)).astype(np.float32)
    return q, k, v


def causal_mask(Tq, Tk):
    """Boolean (Tq, Tk), True where query i may see key j <= i + Tk - Tq (aligned to the end)."""
    return np.arange(Tk)[None, :] <= np.arange(Tq)[:, None] + (Tk - Tq)


def numpy_attention(q, k, v, causal):
    """Naive softmax(scale·QKᵀ + mask)·V with the full score matrix."""
    scale = np.float32(1 / np.sqrt(q.shape[-1]))
    scores = (q @ np.swapaxes(k, -1, -2)) * scale
    if causal:
        scores = np.where(causal_mask(q.shape[-2], k.shape[-2]), scores, np.float32(-np.inf))
    scores -= scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=-1, keepdims=True)
    return p @ v


def torch_inputs(params, requires_grad=False):
    import torch
    q, k, v = (torch.from_numpy(x).requires_grad_(requires_grad) for x in numpy_inputs(params))
    return q, k, v


def torch_attention(q, k, v, causal):
    """PyTorch SDPA; its is_causal is aligned to the start, so Tq != Tk gets an explicit mask."""
    import torch
    import torch.nn.functional as F
    Tq, Tk = q.shape[-2], k.shape[-2]
    if causal and Tq == Tk:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    if causal and Tq > 1:
        mask = torch.from_numpy(causal_mask(Tq, Tk))
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return F.scaled_dot_product_attention(q, k, v)  # one query sees the whole cache


def torch_forward_call(params):
    """The timed call of PyTorch's SDPA forward, without autograd."""
    import torch
    q, k, v = torch_inputs(params)
    causal = bool(params["causal"])

    def call():
        with torch.no_grad():
            return torch_attention(q, k, v, causal)
    return call
