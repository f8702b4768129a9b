"""Forward + backward of one pre-LN causal transformer block (GPT-2 style) with an MSE loss.

params: b, t, c, nh. numpy has no autograd: only PyTorch gives a reference.
"""


def build(params, backend):
    if backend != "torch":
        return None
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    b, t, c, nh = params["b"], params["t"], params["c"], params["nh"]

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
            self.c_attn, self.c_proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
            self.c_fc, self.mlp_proj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)

        def forward(self, x):
            q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
            q, k, v = (z.view(b, t, nh, c // nh).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))
            return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    torch.manual_seed(0)
    block = Block()
    x, target = torch.randn(b, t, c), torch.randn(b, t, c)

    def step():
        block.zero_grad(set_to_none=True)
        F.mse_loss(block(x), target).backward()

    return step
