#!/usr/bin/env python3
"""Side-by-side kernel timings: libattention (attn-bench) vs numpy, and PyTorch when importable.

Runs `attn-bench --json` and, in the same process run, the same computations in the reference
libraries, then prints one row per case with medians and the ratio reference/ours (> 1 means
libattention is faster). Each benchmark kind has a module `references/<kind>.py` with

    def build(params: dict, backend: str) -> Callable[[], object] | None

that allocates inputs for `backend` ("numpy" or "torch") and returns the call to time (None when
the backend has no equivalent).

    python3 Benchmarks/compare.py [--threads N] [--quick] [--suite NAME] [--filter TEXT] [--json]
"""
import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def median_seconds(call, min_runs=5, min_seconds=0.25):
    """The same protocol as attn-bench: one warm-up, then at least min_runs and min_seconds."""
    call()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
        if len(times) >= 1000:
            break
    return statistics.median(times)


def set_reference_threads(threads):
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(threads)
    except ImportError:
        pass  # OMP/OPENBLAS_NUM_THREADS set before numpy was imported cover it
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--suite", action="append", default=[])
    parser.add_argument("--filter")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build", "release", "attn-bench"))
    args = parser.parse_args()

    command = [args.bench, "--json", "--threads", str(args.threads)]
    if args.quick:
        command.append("--quick")
    for suite in args.suite:
        command += ["--suite", suite]
    if args.filter:
        command += ["--filter", args.filter]
    ours = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    set_reference_threads(args.threads)
    backends = ["numpy"]
    try:
        import torch  # noqa: F401
        backends.append("torch")
    except ImportError:
        pass

    rows = []
    for result in ours:
        module = importlib.import_module("references." + result["kind"])
        row = {"name": result["name"], "ours_ms": result["median_seconds"] * 1e3,
               "gflops": result.get("gflops"), "gb_per_second": result.get("gb_per_second")}
        for backend in backends:
            call = module.build(result["parameters"], backend)
            if call is not None:
                seconds = median_seconds(call)
                row[backend + "_ms"] = seconds * 1e3
                row[backend + "_ratio"] = seconds / result["median_seconds"]
        rows.append(row)

    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"threads: {args.threads}; ratio = reference time / ours (> 1: libattention faster)")
    header = f"{'benchmark':40}{'ours ms':>10}{'rate':>14}"
    for backend in backends:
        header += f"{backend + ' ms':>12}{'ratio':>8}"
    print(header)
    for row in rows:
        rate = ""
        if row["gflops"]:
            rate = f"{row['gflops']:.1f} GF/s"
        elif row["gb_per_second"]:
            rate = f"{row['gb_per_second']:.1f} GB/s"
        line = f"{row['name']:40}{row['ours_ms']:10.4f}{rate:>14}"
        for backend in backends:
            if backend + "_ms" in row:
                line += f"{row[backend + '_ms']:12.4f}{row[backend + '_ratio']:8.2f}"
            else:
                line += f"{'-':>12}{'-':>8}"
        print(line)


if __name__ == "__main__":
    main()
