#!/usr/bin/env python3
"""Writes python_written.safetensors with the Python `safetensors` package (and PyTorch, for
BF16, which numpy lacks): the file SafeTensorsInteropTests reads with exact expected values.

Values are given as bit patterns so the file is the same on every machine, and cover the cases
a reader's conversion can get wrong: signed zeros, subnormals, the largest finite values,
infinities and NaN payloads (quiet and signalling).

    python3 Tests/AttentionEngineTests/Fixtures/make_safetensors_fixture.py
"""
import os

import numpy as np
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))

F32_BITS = [
    0x00000000, 0x80000000, 0x3F800000, 0xC0200000,  # 0, -0, 1, -2.5
    0x7F7FFFFF, 0x00000001, 0x7F800000, 0x7FC00001,  # max, smallest subnormal, inf, NaN payload 1
]
F16_BITS = [
    0x0000, 0x8000, 0x3C00, 0xC100,  # 0, -0, 1, -2.5
    0x7BFF, 0x0001, 0x03FF, 0x0400,  # 65504, 2^-24, largest subnormal, smallest normal 2^-14
    0x7C00, 0xFC00, 0x7E00, 0x7C01,  # inf, -inf, quiet NaN, signalling NaN payload 1
]
BF16_BITS = [
    0x0000, 0x8000, 0x3F80, 0xC020,  # 0, -0, 1, -2.5
    0x4049, 0x0001, 0x7F80, 0xFF80,  # 3.140625, smallest subnormal 2^-133, inf, -inf
    0x7FC1,                          # NaN payload 1
]


def from_bits(bits, unsigned, signed, dtype):
    """A torch tensor of `dtype` with the given bit patterns."""
    return torch.from_numpy(np.array(bits, dtype=unsigned).view(signed)).view(dtype)


def main():
    tensors = {
        "f32.values": from_bits(F32_BITS, np.uint32, np.int32, torch.float32).reshape(2, 4),
        "f16.values": from_bits(F16_BITS, np.uint16, np.int16, torch.float16).reshape(3, 4),
        "bf16.values": from_bits(BF16_BITS, np.uint16, np.int16, torch.bfloat16).reshape(9),
        "scalar": torch.tensor(42.0, dtype=torch.float32),
        "empty": torch.zeros((0, 3), dtype=torch.float32),
    }
    metadata = {"format": "pt", "note": "你好, \"quoted\"\n"}
    save_file(tensors, os.path.join(HERE, "python_written.safetensors"), metadata=metadata)


if __name__ == "__main__":
    main()
