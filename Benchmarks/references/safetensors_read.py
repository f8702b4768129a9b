"""Reference for the "safetensors_read" kind: params tensors, elements, dtype (0 F32, 1 F16,
2 BF16), source (0 bytes, 1 file). Like ours, the result is FP32 arrays, so 16-bit tensors are
converted after loading. The numpy flavour cannot hold BF16 (None). None without the Python
`safetensors` package.

Note: the file flavours of the Python package map the file and may hand out views of it, while
ours reads private FP32 copies (page faults on fresh memory are most of our time)."""
from references.safetensors_common import available, scratch_path, tensors


def build(params, backend):
    dtype, source = params["dtype"], params["source"]
    if not available():
        return None
    if backend == "numpy":
        if dtype == 2:
            return None
        import numpy as np
        from safetensors.numpy import load, load_file, save, save_file
        widen = (lambda d: {k: v.astype(np.float32) for k, v in d.items()}) if dtype else (lambda d: d)
        data = tensors(params, dtype)
    elif backend == "torch":
        import torch
        from safetensors.torch import load, load_file, save, save_file
        widen = (lambda d: {k: v.float() for k, v in d.items()}) if dtype else (lambda d: d)
        data = {k: v if isinstance(v, torch.Tensor) else torch.from_numpy(v)
                for k, v in tensors(params, dtype).items()}
    else:
        return None
    if source == 0:
        blob = save(data)
        return lambda: widen(load(blob))
    path = scratch_path(f"read-{backend}-{dtype}")
    save_file(data, path)
    return lambda: widen(load_file(path))
