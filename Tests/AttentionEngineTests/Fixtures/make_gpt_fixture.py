#!/usr/bin/env python3
"""Writes the numpy GPT fixture that ModelCheckpointInteropTests compares the engine against:

- gpt_numpy.safetensors: a 2-layer, n_embd 32 GPT checkpoint in nanoGPT's layout (random
  weights, `lm_head.weight` = `transformer.wte.weight`, the older nanoGPT's causal-mask buffers
  `transformer.h.{i}.attn.bias`, a tokenizer vocabulary) with the engine's `__metadata__`;
- gpt_numpy_expected.safetensors: token sequences `tokens.{k}` (T,) stored as F32, and the logits
  of each computed here in float64 with a numpy re-implementation of nanoGPT's forward pass:
  `logits.{k}` (T,V) with nanoGPT's exact GELU 0.5·x·(1 + erf(x/√2)) (`nn.GELU()`), and
  `logits_tanh.{k}` with the tanh approximation (`nn.GELU(approximate="tanh")`), which is what
  the engine's GPT uses.

Weights follow GPT-2's initialization scale (N(0, 0.02²), c_proj N(0, (0.02/√(2·n_layer))²)),
except that biases and LayerNorm parameters are random too (instead of 0 and 1) and `c_attn` is
drawn with std 0.25 so that attention is far from uniform: a mix-up of any tensor, of q/k/v or
of the heads then shows in the logits. The MLP inputs stay small (|x| ≲ 0.5), where the two GELUs
agree to ~1e-6 in the logits (printed): this fixture checks the layout, not the GELU.

    python3 Tests/AttentionEngineTests/Fixtures/make_gpt_fixture.py
"""
import json
import math
import os

import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
N_LAYER, N_HEAD, N_EMBD, BLOCK_SIZE = 2, 4, 32, 16
CHARACTERS = "\n 。一不人之也其天子曰有者而"  # the tokenizer's characters, in id order after 4 specials
VOCAB_SIZE = 4 + len(CHARACTERS)
SEQUENCES = [[5], [6, 7, 8, 9, 10, 4, 3], list(np.random.default_rng(1).integers(0, VOCAB_SIZE, BLOCK_SIZE))]


def random_weights(rng):
    """nanoGPT's state dict (name → float32 array), (out, in) Linear layout."""
    C = N_EMBD
    projection_std = 0.02 / math.sqrt(2 * N_LAYER)

    def normal(shape, std):
        return rng.normal(0, std, shape).astype(np.float32)

    w = {"transformer.wte.weight": normal((VOCAB_SIZE, C), 0.02),
         "transformer.wpe.weight": normal((BLOCK_SIZE, C), 0.02)}
    for i in range(N_LAYER):
        p = f"transformer.h.{i}."
        for norm in ("ln_1", "ln_2"):
            w[p + norm + ".weight"] = 1 + normal((C,), 0.1)
            w[p + norm + ".bias"] = normal((C,), 0.1)
        w[p + "attn.c_attn.weight"] = normal((3 * C, C), 0.25)
        w[p + "attn.c_attn.bias"] = normal((3 * C,), 0.02)
        w[p + "attn.c_proj.weight"] = normal((C, C), projection_std)
        w[p + "attn.c_proj.bias"] = normal((C,), 0.02)
        w[p + "mlp.c_fc.weight"] = normal((4 * C, C), 0.02)
        w[p + "mlp.c_fc.bias"] = normal((4 * C,), 0.02)
        w[p + "mlp.c_proj.weight"] = normal((C, 4 * C), projection_std)
        w[p + "mlp.c_proj.bias"] = normal((C,), 0.02)
    w["transformer.ln_f.weight"] = 1 + normal((C,), 0.1)
    w["transformer.ln_f.bias"] = normal((C,), 0.1)
    return w


def layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)  # biased variance, as torch
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def gelu_erf(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def gpt_forward(w, tokens, gelu):
    """nanoGPT's GPT.forward for one sequence (T,) in float64 → logits (T,V)."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    T, C, NH = len(tokens), N_EMBD, N_HEAD
    HS = C // NH
    x = w["transformer.wte.weight"][tokens] + w["transformer.wpe.weight"][:T]  # (T,C)
    mask = np.tril(np.ones((T, T), dtype=bool))
    for i in range(N_LAYER):
        p = f"transformer.h.{i}."
        h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"])
        qkv = h @ w[p + "attn.c_attn.weight"].T + w[p + "attn.c_attn.bias"]  # (T,3C)
        q, k, v = (qkv[:, j * C:(j + 1) * C].reshape(T, NH, HS).transpose(1, 0, 2) for j in range(3))  # (NH,T,HS)
        att = q @ k.transpose(0, 2, 1) / math.sqrt(HS)  # (NH,T,T)
        att = np.where(mask, att, -np.inf)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        y = (att @ v).transpose(1, 0, 2).reshape(T, C)
        x = x + y @ w[p + "attn.c_proj.weight"].T + w[p + "attn.c_proj.bias"]
        h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        h = gelu(h @ w[p + "mlp.c_fc.weight"].T + w[p + "mlp.c_fc.bias"])
        x = x + h @ w[p + "mlp.c_proj.weight"].T + w[p + "mlp.c_proj.bias"]
    x = layer_norm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"])
    return x @ w["transformer.wte.weight"].T  # lm_head tied to wte


def main():
    weights = random_weights(np.random.default_rng(2024))
    expected = {}
    largest_gelu_gap = 0.0
    for k, tokens in enumerate(SEQUENCES):
        tokens = np.array(tokens, dtype=np.int64)
        exact = gpt_forward(weights, tokens, gelu_erf)
        tanh = gpt_forward(weights, tokens, gelu_tanh)
        largest_gelu_gap = max(largest_gelu_gap, float(np.abs(exact - tanh).max()))
        expected[f"tokens.{k}"] = tokens.astype(np.float32)
        expected[f"logits.{k}"] = exact.astype(np.float32)
        expected[f"logits_tanh.{k}"] = tanh.astype(np.float32)

    checkpoint = dict(weights)
    checkpoint["lm_head.weight"] = weights["transformer.wte.weight"].copy()
    for i in range(N_LAYER):  # older nanoGPT's causal-mask buffer, which the loader skips
        checkpoint[f"transformer.h.{i}.attn.bias"] = np.tril(np.ones((BLOCK_SIZE, BLOCK_SIZE), np.float32))[None, None]
    config = {"n_layer": N_LAYER, "n_head": N_HEAD, "n_embd": N_EMBD, "block_size": BLOCK_SIZE,
              "vocab_size": VOCAB_SIZE, "dropout": 0.0, "bias": True}
    metadata = {"format": "libattention-checkpoint", "format_version": "1", "model": "gpt",
                "config": json.dumps(config), "tokenizer.characters": json.dumps(CHARACTERS)}
    save_file(checkpoint, os.path.join(HERE, "gpt_numpy.safetensors"), metadata=metadata)
    save_file(expected, os.path.join(HERE, "gpt_numpy_expected.safetensors"),
              metadata={"largest_gelu_gap": repr(largest_gelu_gap)})
    print(f"max |logits(erf GELU) - logits(tanh GELU)| = {largest_gelu_gap:.3g}")


if __name__ == "__main__":
    main()
