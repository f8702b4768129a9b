#!/usr/bin/env python3
"""Quantized checkpoints as a user meets them: file size, resident memory after loading, and
greedy decode speed of FP32, BF16 and Q8 files of one model (issue 17).

A GPT of the GPT-2-124M shape (12 layers, 12 heads, width 768, context 1024, vocabulary 50,257;
random weights) is saved as FP32, then `Model.quantize` + `save` write the BF16 and Q8 copies.
Each file is then loaded in a fresh process, which reports its resident memory (VmRSS) before
and after `Model.load` (and after glibc's malloc_trim, which returns what the allocator kept of
the loader's freed buffers), and the medians of `--rounds` greedy generations of `--tokens` tokens
from a one-token prompt (KV cache on).

    python3 Benchmarks/quantized_checkpoints.py [--threads 2] [--tokens 32] [--rounds 3] [--small]

`--small` uses the default GPT of `attn train` (4 layers, width 128) with the same vocabulary.
Needs the built library (ATTENTION_LIBRARY or .build/release/libattention.so) and numpy.
"""
import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
os.environ.setdefault("ATTENTION_LIBRARY", os.path.join(ROOT, ".build", "release", "libattention.so"))


def resident_megabytes() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(path: str, threads: int, tokens: int, rounds: int) -> dict:
    """In this (child) process: load `path`, then time greedy generations."""
    import attention
    attention.set_num_threads(threads)
    before = resident_megabytes()
    model = attention.Model.load(path)
    after = resident_megabytes()
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # what glibc keeps of the loader's freed buffers
    trimmed = resident_megabytes()
    seconds = []
    with attention.Context(model) as context:
        for _ in range(rounds):
            start = time.perf_counter()
            ids = context.generate_tokens([5], max_new_tokens=tokens, temperature=0, stop_at_eos=False)
            seconds.append(time.perf_counter() - start)
    return {"format": model.weight_format, "rss_before_mb": before, "rss_after_mb": after, "trimmed": trimmed,
            "median_seconds": statistics.median(seconds), "tokens": len(ids), "first_ids": [int(i) for i in ids[:8]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(measure(arguments.child, arguments.threads, arguments.tokens, arguments.rounds)))
        return

    import attention
    shape = dict(n_layer=4, n_head=4, n_embd=128, block_size=64) if arguments.small else \
        dict(n_layer=12, n_head=12, n_embd=768, block_size=1024)
    isa = attention.cpu_features()
    print(f"# {'default GPT' if arguments.small else 'GPT-2-124M shape'}, vocab 50257, {arguments.threads} threads, "
          f"{arguments.tokens} greedy tokens, median of {arguments.rounds}; {isa}")
    with tempfile.TemporaryDirectory() as folder:
        model = attention.Model(attention.ModelConfig("gpt", vocab_size=50257, seed=1, **shape))
        paths = {"f32": os.path.join(folder, "f32.safetensors")}
        model.save(paths["f32"])
        for weight_format in ("bf16", "q8"):
            paths[weight_format] = os.path.join(folder, f"{weight_format}.safetensors")
            narrowed = model.quantize(weight_format)
            narrowed.save(paths[weight_format])
            narrowed.close()
        parameters = model.parameter_count
        model.close()
        print(f"{'format':6} {'file MB':>8} {'RSS +MB after load':>19} {'trimmed':>8} {'tokens/s':>9} {'× f32':>6}  first ids")
        baseline = None
        for weight_format, path in paths.items():
            result = json.loads(subprocess.run(
                [sys.executable, __file__, "--child", path, "--threads", str(arguments.threads),
                 "--tokens", str(arguments.tokens), "--rounds", str(arguments.rounds)],
                check=True, capture_output=True, text=True).stdout)
            speed = result["tokens"] / result["median_seconds"]
            baseline = baseline or speed
            print(f"{weight_format:6} {os.path.getsize(path) / 1e6:8.1f} "
                  f"{result['rss_after_mb'] - result['rss_before_mb']:19.1f} {result['trimmed'] - result['rss_before_mb']:8.1f} {speed:9.2f} {speed / baseline:6.2f}  "
                  f"{result['first_ids']}")
        print(f"# {parameters:,} parameters: {4 * parameters / 1e6:.1f} MB as FP32")


if __name__ == "__main__":
    main()
