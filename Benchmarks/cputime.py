#!/usr/bin/env python3
"""CPU-time comparison, one thread: libattention (attn-bench) vs PyTorch, for a loaded machine.

compare.py measures wall-clock time, which on a shared machine also counts the time the other
processes hold the cores. This script counts CPU time instead: the user + system seconds the
process spends computing, which time slicing does not inflate. Both sides run on one thread.

For each case it runs `attn-bench --threads 1 --runs N` for two values of N in a child process
and takes the difference of the children's CPU times over the difference of N (what is left is
the cost of one call, without start-up and buffer set-up); PyTorch runs the same computation
(Benchmarks/references/<kind>.py) N times in this process under time.process_time(). The FMA
peak probe (`attn-bench --suite peak`) measured the same way gives the peak per CPU-second.

    python3 Benchmarks/cputime.py [--suite attention] [--filter TEXT] [--seconds S] [--bench PATH]

ATTN_ISA=avx2 in the environment runs the AVX2 kernels on an AVX-512 host, as everywhere.
"""
import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def child_cpu_seconds(command):
    """(CPU seconds of `command` run to completion, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), output


def ours_per_call(bench, suite, name, runs):
    """(CPU seconds of one call, flops of one call or None, kernel set) from two runs of attn-bench."""
    base = [bench, "--json", "--suite", suite, "--case", name, "--threads", "1", "--runs"]
    few, output = child_cpu_seconds(base + ["1"])
    many, output = child_cpu_seconds(base + [str(1 + runs)])
    result = json.loads(output)[0]
    flops = result["gflops"] * result["median_seconds"] * 1e9 if result.get("gflops") else None
    return max(many - few, 1e-9) / runs, flops, result["kernels"]


def torch_per_call(call, runs):
    call()
    start = time.process_time()
    for _ in range(runs):
        call()
    return (time.process_time() - start) / runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="attention")
    parser.add_argument("--filter")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="approximate CPU seconds of timed calls per case and side")
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build", "release", "attn-bench"))
    args = parser.parse_args()

    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None

    listing = [args.bench, "--list-cases", "--threads", "1", "--suite", "peak"]
    peak_case = json.loads(subprocess.run(listing, check=True, capture_output=True, text=True).stdout)[0]
    peak_seconds, peak_flops, kernels = ours_per_call(args.bench, "peak", peak_case["name"], 3)
    peak = peak_flops / peak_seconds
    print(f"kernels: {kernels}; one thread; FMA peak per CPU-second: {peak / 1e9:.1f} GFLOP; "
          "ratio = torch CPU time / ours (> 1: libattention faster)")
    print(f"{'benchmark':40}{'ours ms':>10}{'GF/s':>8}{'% peak':>8}{'torch ms':>10}{'ratio':>8}")

    listing = [args.bench, "--list-cases", "--threads", "1", "--suite", args.suite]
    if args.filter:
        listing += ["--filter", args.filter]
    for case in json.loads(subprocess.run(listing, check=True, capture_output=True, text=True).stdout):
        # Calibrate the number of calls from one call's cost.
        seconds, flops, _ = ours_per_call(args.bench, case["suite"], case["name"], 1)
        runs = max(2, min(500, int(args.seconds / max(seconds, 1e-6))))
        seconds, flops, _ = ours_per_call(args.bench, case["suite"], case["name"], runs)
        line = f"{case['name']:40}{seconds * 1e3:10.3f}"
        if flops:
            line += f"{flops / seconds / 1e9:8.1f}{100 * flops / seconds / peak:8.0f}"
        else:
            line += f"{'-':>8}{'-':>8}"
        call = None
        if torch is not None:
            module = importlib.import_module("references." + case["kind"])
            call = module.build(case["parameters"], "torch")
        if call is not None:
            theirs = torch_per_call(call, runs)
            line += f"{theirs * 1e3:10.3f}{theirs / seconds:8.2f}"
        else:
            line += f"{'-':>10}{'-':>8}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
