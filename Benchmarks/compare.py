#!/usr/bin/env python3
"""Side-by-side kernel timings: libattention (attn-bench) vs numpy, and PyTorch when importable.

For each case, `--rounds` times over: runs that case alone in `attn-bench --json --case NAME`,
then the same computation in each reference library in this process, so that both sides see the
same machine load (this machine is shared and noisy). Prints the median over rounds of each
side's median time, and the ratio reference/ours (> 1 means libattention is faster). Above the
table it prints the kernel set attn-bench runs (avx2 or avx512; ATTN_ISA=avx2 forces AVX2) and the
host's FMA peak measured with it (`attn-bench --suite peak`), and each case's fraction of that
peak. Each
benchmark kind has a module `references/<kind>.py` with

    def build(params: dict, backend: str) -> Callable[[], object] | None

that allocates inputs for `backend` ("numpy" or "torch") and returns the call to time (None when
the backend has no equivalent).

    python3 Benchmarks/compare.py [--threads N] [--quick] [--suite NAME] [--filter TEXT]
                                  [--rounds R] [--json]
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


def measure_peak(bench, selection, rounds):
    """(kernel set, median FMA peak in GFLOP/s over `rounds` runs) of attn-bench's peak probe."""
    command = [bench, "--json", "--suite", "peak"] + selection
    results = [json.loads(subprocess.run(command, check=True, capture_output=True,
                                         text=True).stdout)[0] for _ in range(rounds)]
    return results[0]["kernels"], statistics.median(r["gflops"] for r in results)


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
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per case")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build", "release", "attn-bench"))
    args = parser.parse_args()

    selection = ["--threads", str(args.threads)] + (["--quick"] if args.quick else [])
    listing = [args.bench, "--list-cases"] + selection
    for suite in args.suite:
        listing += ["--suite", suite]
    if args.filter:
        listing += ["--filter", args.filter]
    cases = [case for case in json.loads(subprocess.run(listing, check=True, capture_output=True,
                                                        text=True).stdout)
             if case["kind"] != "fma_peak"]
    kernels, peak = measure_peak(args.bench, selection, args.rounds)

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
    for case in cases:
        module = importlib.import_module("references." + case["kind"])
        calls = {backend: module.build(case["parameters"], backend) for backend in backends}
        ours, theirs, rates = [], {backend: [] for backend in backends}, {}
        for _ in range(args.rounds):
            command = [args.bench, "--json", "--suite", case["suite"], "--case", case["name"]] + selection
            result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)[0]
            ours.append(result["median_seconds"])
            rates = result
            for backend, call in calls.items():
                if call is not None:
                    theirs[backend].append(median_seconds(call))
        ours_seconds = statistics.median(ours)
        row = {"name": case["name"], "ours_ms": ours_seconds * 1e3,
               "gflops": rates.get("gflops") and rates["gflops"] * rates["median_seconds"] / ours_seconds,
               "gb_per_second": rates.get("gb_per_second") and rates["gb_per_second"] * rates["median_seconds"] / ours_seconds}
        for backend in backends:
            if theirs[backend]:
                seconds = statistics.median(theirs[backend])
                row[backend + "_ms"] = seconds * 1e3
                row[backend + "_ratio"] = seconds / ours_seconds
                # Best round against best round: the least disturbed view of both sides.
                row[backend + "_best_ratio"] = min(theirs[backend]) / min(ours)
        row["peak_fraction"] = row["gflops"] / peak if row["gflops"] else None
        rows.append(row)
        del calls

    if args.json:
        print(json.dumps({"kernels": kernels, "threads": args.threads, "fma_peak_gflops": peak,
                          "rows": rows}, indent=2))
        return
    print(f"kernels: {kernels}; FMA peak measured with them: {peak:.1f} GF/s on "
          f"{args.threads} threads; % peak = rate / peak")
    print(f"threads: {args.threads}; times: median over {args.rounds} interleaved rounds of each "
          "round's median; ratio = reference / ours (> 1: libattention faster); best = fastest "
          "round / fastest round")
    header = f"{'benchmark':40}{'ours ms':>10}{'rate':>14}{'% peak':>8}"
    for backend in backends:
        header += f"{backend + ' ms':>12}{'ratio':>8}{'best':>7}"
    print(header)
    for row in rows:
        rate = ""
        if row["gflops"]:
            rate = f"{row['gflops']:.1f} GF/s"
        elif row["gb_per_second"]:
            rate = f"{row['gb_per_second']:.1f} GB/s"
        fraction = f"{100 * row['peak_fraction']:.0f}" if row["peak_fraction"] else "-"
        line = f"{row['name']:40}{row['ours_ms']:10.4f}{rate:>14}{fraction:>8}"
        for backend in backends:
            if backend + "_ms" in row:
                line += (f"{row[backend + '_ms']:12.4f}{row[backend + '_ratio']:8.2f}"
                         f"{row[backend + '_best_ratio']:7.2f}")
            else:
                line += f"{'-':>12}{'-':>8}{'-':>7}"
        print(line)


if __name__ == "__main__":
    main()
