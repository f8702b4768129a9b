"""Greedy generation of new_tokens tokens from one token with nanoGPT's `generate` (no KV cache:
the whole prefix is recomputed at every step), in PyTorch eager under no_grad. Only the uncached
case (cached = 0) has a reference: nanoGPT has no KV cache. params: n_layer, n_head, n_embd,
block_size, vocab_size, new_tokens, cached."""
from references.gpt_common import build_gpt


def build(params, backend):
    if backend != "torch" or params["cached"]:
        return None
    import torch

    model = build_gpt(params).eval()
    new_tokens, block_size = params["new_tokens"], params["block_size"]

    def run():
        with torch.no_grad():
            idx = torch.ones(1, 1, dtype=torch.long)
            for _ in range(new_tokens):
                logits = model(idx[:, -block_size:])
                idx = torch.cat([idx, logits[:, -1, :].argmax(-1, keepdim=True)], dim=1)
        return idx

    return run
