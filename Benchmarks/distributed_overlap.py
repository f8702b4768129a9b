#!/usr/bin/env python3
"""Overlap of the gradient sum with backward (issue 16 item 3, docs/distributed.md): runs the same
`attn train` job under `mpirun -np RANKS` (one thread per rank) with the overlap on and off, in
interleaved rounds, and prints per-step medians of the backward pass, the communication thread's
time inside the sums, the wait after backward, and the step, from the `--json` step events
(of the logged steps: every validation step, a tenth of the run; warm-up steps left out), plus the job's CPU seconds per step (user +
system of every rank, which time slicing on a loaded machine does not inflate).

    python3 Benchmarks/distributed_overlap.py [--rounds 3] [--ranks 2] [--bucket-mb 1] -- <attn train options>

Example (the default char GPT): python3 Benchmarks/distributed_overlap.py -- --steps 60 --batch-size 16 --dropout 0
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(attn, ranks, train, overlap, bucket_mb, warmup, directory):
    launcher = [shutil.which("mpirun"), "--allow-run-as-root", "--oversubscribe", "-x", "OMP_NUM_THREADS=1",
                "-np", str(ranks)]
    mode = ["--gradient-bucket-mb", str(bucket_mb)] if overlap else ["--no-overlap"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(launcher + [attn, "train", *train, *mode, "--json", "--out",
                                        os.path.join(directory, "m.safetensors")],
                            capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(result.stdout + result.stderr)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    steps = [e for e in events if e["event"] == "step"]
    # --json logs the validation steps (and one step every 5 s); each step's own timing
    # excludes the validation that follows it.
    timed = [e for e in steps if e["step"] > warmup]
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "backward": statistics.median(e["backward_seconds"] for e in timed),
        "communication": statistics.median(e["communication_seconds"] for e in timed),
        "wait": statistics.median(e["gradient_sum_wait_seconds"] for e in timed),
        "buckets": timed[0]["gradient_buckets"],
        # tokens_per_second counts the global batch over this rank's step (batch to AdamW).
        "tokens_per_second": statistics.median(e["tokens_per_second"] for e in timed),
        "cpu_per_step": cpu / steps[-1]["step"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--bucket-mb", type=float, default=1.0)
    parser.add_argument("--warmup", type=int, default=3, help="steps left out at the start")
    parser.add_argument("--attn", default=os.path.join(ROOT, ".build", "release", "attn"))
    parser.add_argument("train", nargs="*", help="attn train options (after --)")
    args = parser.parse_args()
    results = {True: [], False: []}
    with tempfile.TemporaryDirectory() as directory:
        for round_index in range(args.rounds):
            for overlap in (True, False):
                measured = run(args.attn, args.ranks, args.train, overlap, args.bucket_mb, args.warmup, directory)
                results[overlap].append(measured)
                print(f"round {round_index + 1} overlap {'on ' if overlap else 'off'}: " + json.dumps(measured),
                      flush=True)
    print(f"load average now: {os.getloadavg()}")
    for overlap in (True, False):
        rows = results[overlap]
        summary = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        print(f"median over rounds, overlap {'on ' if overlap else 'off'}: " + json.dumps(summary))


if __name__ == "__main__":
    main()
