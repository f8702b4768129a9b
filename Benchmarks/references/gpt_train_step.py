"""One GPT training step in PyTorch eager (nanoGPT's model): forward, cross-entropy, backward,
clip_grad_norm_(1.0), AdamW (weight decay 0.1 on matrices, 0 on the rest). params: n_layer,
n_head, n_embd, block_size, vocab_size, batch, time. PyTorch only (numpy has no autograd)."""
from references.gpt_common import build_gpt


def build(params, backend):
    if backend != "torch":
        return None
    import torch
    import torch.nn.functional as F

    model = build_gpt(params)
    b, t, v = params["batch"], params["time"], params["vocab_size"]
    tokens = torch.randint(0, v, (b, t + 1))
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    decay = [p for p in model.parameters() if p.dim() >= 2]
    plain = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                   {"params": plain, "weight_decay": 0.0}], lr=1e-4, betas=(0.9, 0.99))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(inputs).reshape(-1, v), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    return step
