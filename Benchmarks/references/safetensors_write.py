"""Reference for the "safetensors_write" kind: params tensors, elements, target (0 bytes,
1 file). Note: Python's save_file neither fsyncs nor renames atomically, ours does both, so the
file ratio compares a durable save with a page-cache write. None without the Python
`safetensors` package."""
from references.safetensors_common import available, scratch_path, tensors


def build(params, backend):
    if not available():
        return None
    if backend == "numpy":
        from safetensors.numpy import save, save_file
        data = tensors(params)
    elif backend == "torch":
        import torch
        from safetensors.torch import save, save_file
        data = {k: torch.from_numpy(v) for k, v in tensors(params).items()}
    else:
        return None
    if params["target"] == 0:
        return lambda: save(data)
    path = scratch_path(f"write-{backend}")
    return lambda: save_file(data, path)
