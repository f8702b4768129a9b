#!/usr/bin/env python3
"""Exports a nanoGPT model (PyTorch) to a libattention checkpoint (safetensors), see
docs/checkpoints.md for the layout.

    # a checkpoint written by nanoGPT's train.py (out/ckpt.pt: {"model": state_dict, "model_args": …})
    python3 scripts/export_nanogpt.py --checkpoint out/ckpt.pt --output gpt.safetensors

    # the fixture of ModelCheckpointInteropTests: a small random nanoGPT, its export and logits
    python3 scripts/export_nanogpt.py --fixture Tests/AttentionEngineTests/Fixtures

The nanoGPT classes below follow karpathy/nanoGPT model.py (LayerNorm with optional bias,
CausalSelfAttention with `c_attn`/`c_proj` and the causal-mask buffer `attn.bias` of its
non-flash path, MLP with the exact `nn.GELU()`, pre-LN Block, lm_head tied to wte). The export
writes every tensor of the state dict as F32 (tied tensors are cloned: safetensors refuses shared
storage); the engine skips the `attn.bias` buffers by name. The engine's GPT uses the tanh GELU,
nanoGPT the exact one: see docs/checkpoints.md for when that matters.

Needs torch and safetensors.
"""
import argparse
import json
import math
import os
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F
from safetensors.torch import save_file


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True


class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # (3C, C)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.n_head, self.n_embd = config.n_head, config.n_embd
        mask = torch.tril(torch.ones(config.block_size, config.block_size))
        self.register_buffer("bias", mask.view(1, 1, config.block_size, config.block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx):
        """idx (B,T) → logits (B,T,V) at every position."""
        T = idx.size(1)
        pos = torch.arange(0, T, dtype=torch.long, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def export(state_dict, config, path, characters=None):
    """Writes nanoGPT's `state_dict` and `config` (a GPTConfig) as a libattention checkpoint;
    `characters` (the tokenizer's characters in id order, after the 4 special tokens) is optional."""
    if not config.bias:
        raise ValueError("the engine's GPT has biases: bias=False models cannot be exported")
    prefix = "_orig_mod."  # torch.compile's wrapper, as nanoGPT's sample.py strips it
    tensors = {(k[len(prefix):] if k.startswith(prefix) else k): v.detach().to(torch.float32).contiguous().clone()
               for k, v in state_dict.items()}
    metadata = {"format": "libattention-checkpoint", "format_version": "1", "model": "gpt",
                "config": json.dumps(asdict(config))}
    if characters is not None:
        metadata["tokenizer.characters"] = json.dumps(characters)
    save_file(tensors, path, metadata=metadata)


def write_fixture(directory):
    """gpt_torch.safetensors (a random 2-layer, n_embd 32 nanoGPT) and gpt_torch_expected.safetensors
    (tokens.{k} (T,) as F32, logits.{k} (T,V) from the model run in float64)."""
    torch.manual_seed(7)
    config = GPTConfig(block_size=16, vocab_size=37, n_layer=2, n_head=2, n_embd=32)
    model = GPT(config).eval()
    with torch.no_grad():  # random biases, norms and a sharp attention: every tensor shows in the logits
        for name, p in model.named_parameters():
            if name.endswith("c_attn.weight"):
                p.normal_(0, 0.25)
            elif name.endswith("bias"):
                p.normal_(0, 0.02 if ".ln_" not in name and "ln_f" not in name else 0.1)
            elif ".ln_" in name or "ln_f" in name:
                p.normal_(1, 0.1)
    export(model.state_dict(), config, os.path.join(directory, "gpt_torch.safetensors"))
    sequences = [[3], [1, 2, 3, 4, 5, 6], torch.randint(0, config.vocab_size, (config.block_size,)).tolist()]
    expected = {}
    reference = model.double()
    with torch.no_grad():
        for k, tokens in enumerate(sequences):
            idx = torch.tensor([tokens], dtype=torch.long)
            expected[f"tokens.{k}"] = idx[0].to(torch.float32)
            expected[f"logits.{k}"] = reference(idx)[0].to(torch.float32).contiguous()
    save_file(expected, os.path.join(directory, "gpt_torch_expected.safetensors"),
              metadata={"torch": torch.__version__})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", help="nanoGPT train.py checkpoint (ckpt.pt)")
    parser.add_argument("--output", help="safetensors file to write")
    parser.add_argument("--characters", help="UTF-8 file holding the tokenizer's characters in id order")
    parser.add_argument("--fixture", help="write the test fixture into this directory")
    args = parser.parse_args()
    if args.fixture:
        write_fixture(args.fixture)
    elif args.checkpoint and args.output:
        saved = torch.load(args.checkpoint, map_location="cpu")
        known = GPTConfig.__dataclass_fields__
        config = GPTConfig(**{k: v for k, v in saved["model_args"].items() if k in known})
        characters = open(args.characters, encoding="utf-8").read() if args.characters else None
        export(saved["model"], config, args.output, characters)
    else:
        parser.error("give --checkpoint and --output, or --fixture")


if __name__ == "__main__":
    main()
