"""Shared setup of the safetensors_read / safetensors_write references: the same tensors as
Benchmarks/KernelBenchmarks/SafeTensorsBenchmarks.swift, handled by the Python `safetensors`
package (numpy or torch flavour)."""
import importlib.util
import os
import tempfile

import numpy as np


def available():
    """Whether the Python `safetensors` package is installed (CI may lack it)."""
    return importlib.util.find_spec("safetensors") is not None


def tensors(params, dtype=0):
    """{name: (elements/256, 256) array} in F32 (0), F16 (1) or BF16-as-torch (2)."""
    count, elements = params["tensors"], params["elements"]
    rng = np.random.default_rng(1)
    arrays = {f"h.{i}.weight": rng.uniform(-1, 1, (elements // 256, 256)).astype(np.float32)
              for i in range(count)}
    if dtype == 1:
        return {k: v.astype(np.float16) for k, v in arrays.items()}
    if dtype == 2:
        import torch
        return {k: torch.from_numpy(v).to(torch.bfloat16) for k, v in arrays.items()}
    return arrays


def scratch_path(name):
    return os.path.join(tempfile.gettempdir(), f"attn-bench-ref-{name}.safetensors")
