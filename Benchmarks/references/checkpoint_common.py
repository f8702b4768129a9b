"""Shared setup of the checkpoint_save / checkpoint_load references: the nanoGPT model of
scripts/export_nanogpt.py in PyTorch with the sizes of Benchmarks/KernelBenchmarks/
CheckpointBenchmarks.swift. None (no reference) without torch or the `safetensors` package."""
import importlib.util
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def nanogpt(params):
    """(export_nanogpt module, its GPT class's config for `params`), or None."""
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("safetensors") is None:
        return None
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import export_nanogpt
    config = export_nanogpt.GPTConfig(block_size=params["block_size"], vocab_size=params["vocab_size"],
                                      n_layer=params["n_layer"], n_head=params["n_head"], n_embd=params["n_embd"])
    return export_nanogpt, config


def scratch_path(name):
    return os.path.join(tempfile.gettempdir(), f"attn-bench-ref-{name}.safetensors")
