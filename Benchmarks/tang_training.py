#!/usr/bin/env python3
"""Issue 15, item 2: training speed of the default GPT on data/tang-poems.txt, libattention
(`attn train`) against PyTorch eager nanoGPT of the same configuration and vocabulary, side by
side in one run.

Each round runs, one after the other: `attn train --corpus data/tang-poems.txt --steps N --json`
(optionally also an older binary, --before, to measure a change), then the same number of
PyTorch steps. libattention's number is the median of the `tokens_per_second` of the --json step
lines (as issue 15 measures it); PyTorch's is the median over the same step groups. Both sides
run --threads threads (OMP_NUM_THREADS for attn, torch.set_num_threads for PyTorch). The script
prints the medians over rounds, the ratios, the instruction set and the load average: on a shared
machine wall-clock rates move with the load, so compare the ratios of interleaved runs.

It also prints tokens per CPU-second, which time slicing on a loaded machine does not inflate
(with --threads 1 the fairest comparison there; with more threads, waiting threads may spin and
count): for attn, the CPU time of the N-step run minus that of an N/4-step run (start-up, corpus
loading and the ~10 validations of each run cancel) over the 3N/4 steps between them; for
PyTorch, time.process_time() around the steps.

The PyTorch model is nanoGPT's (Benchmarks/references/gpt_common.py: pre-LN blocks, fused
c_attn, GELU, tied head) with dropout on the embeddings' sum as libattention's GPT, trained with
AdamW (lr 1e-3, betas (0.9, 0.99), weight decay 0.1) and gradient clipping at 1, on random
(16, 64) windows of the corpus encoded with its distinct characters plus the tokenizer's special
ids, so V equals the vocabulary `attn train` reports. Without torch the PyTorch side is skipped
with a message.

    python3 Benchmarks/tang_training.py [--attn .build/release/attn] [--before OLD_ATTN]
                                        [--steps 60] [--rounds 3] [--threads 2]
"""
import argparse
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

#: `attn train`'s GPT defaults (attn train --help).
CONFIG = {"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 64, "dropout": 0.2, "batch_size": 16,
          "learning_rate": 1e-3}


def isa():
    with open("/proc/cpuinfo") as cpuinfo:
        return "AVX-512" if "avx512f" in cpuinfo.read() else "AVX2 only"


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def checkpoint_vocabulary(path):
    """V of the token table in a safetensors checkpoint (its header's wte shape)."""
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
    return header["transformer.wte.weight"]["shape"][0]


def run_attn(attn, corpus, steps, threads, out_dir):
    """(median tokens/s of the --json step lines, CPU seconds, vocabulary size)."""
    out = os.path.join(out_dir, "bench.safetensors")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([attn, "train", "--corpus", corpus, "--steps", str(steps), "--json", "--out", out,
                             "--checkpoint-every", str(10 * steps)],
                            env=env, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    rates = [line["tokens_per_second"] for line in lines if line["event"] == "step"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return statistics.median(rates), cpu, checkpoint_vocabulary(out)


def attn_cpu_per_token(attn, corpus, steps, threads, out_dir, long_cpu):
    """CPU seconds per token of the steps between an N/4-step run and the N-step run (long_cpu)."""
    short_steps = max(2, steps // 4)
    _, short_cpu, _ = run_attn(attn, corpus, short_steps, threads, out_dir)
    tokens = (steps - short_steps) * CONFIG["batch_size"] * CONFIG["block_size"]
    return max(long_cpu - short_cpu, 1e-9) / tokens


def corpus_ids(corpus, vocabulary):
    """The corpus as ids: its distinct characters sorted, after the tokenizer's special ids."""
    with open(corpus, encoding="utf-8") as file:
        text = file.read()
    characters = sorted(set(text))
    offset = vocabulary - len(characters)
    index = {c: offset + i for i, c in enumerate(characters)}
    return [index[c] for c in text]


class TorchTrainer:
    """nanoGPT in eager PyTorch with the same configuration, batch and optimizer."""

    def __init__(self, ids, vocabulary, threads):
        import torch
        from references.gpt_common import build_gpt
        torch.set_num_threads(threads)
        self.torch = torch
        self.data = torch.tensor(ids, dtype=torch.long)
        self.model = build_gpt({"n_layer": CONFIG["n_layer"], "n_head": CONFIG["n_head"], "n_embd": CONFIG["n_embd"],
                                "block_size": CONFIG["block_size"], "vocab_size": vocabulary})
        self.model.train()
        self.dropout = torch.nn.Dropout(CONFIG["dropout"])
        wte = self.model.wte
        original = wte.forward
        wte.forward = lambda idx: self.dropout(original(idx))  # dropout on the embeddings, as attn's GPT
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=CONFIG["learning_rate"], betas=(0.9, 0.99),
                                           weight_decay=0.1)
        self.generator = torch.Generator().manual_seed(1)

    def step(self):
        torch = self.torch
        b, t = CONFIG["batch_size"], CONFIG["block_size"]
        starts = torch.randint(0, len(self.data) - t - 1, (b,), generator=self.generator)
        x = torch.stack([self.data[s:s + t] for s in starts])
        y = torch.stack([self.data[s + 1:s + t + 1] for s in starts])
        logits = self.model(x)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        return loss.item()

    def run(self, steps):
        """(median tokens/s over groups of steps/10 steps, as attn's --json lines; CPU seconds)."""
        group = max(1, steps // 10)
        tokens = CONFIG["batch_size"] * CONFIG["block_size"] * group
        rates = []
        cpu_start = time.process_time()
        for _ in range(steps // group):
            start = time.perf_counter()
            for _ in range(group):
                self.step()
            rates.append(tokens / (time.perf_counter() - start))
        return statistics.median(rates), time.process_time() - cpu_start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attn", default=os.path.join(ROOT, ".build", "release", "attn"))
    parser.add_argument("--before", help="an older attn binary to measure alongside (before/after a change)")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "data", "tang-poems.txt"))
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    print(f"ISA: {isa()}; threads: {args.threads}; steps per run: {args.steps}; rounds: {args.rounds}")
    print(f"load average at start: {load_average()}")
    try:
        import torch
        print(f"PyTorch {torch.__version__}")
    except ImportError:
        torch = None
        print("PyTorch is not installed: skipping the PyTorch side "
              "(pip install torch --index-url https://download.pytorch.org/whl/cpu)")

    binaries = ([("before", args.before)] if args.before else []) + [("attn", args.attn)]
    results = {name: [] for name, _ in binaries}
    results["pytorch"] = []
    cpu_rates = {name: [] for name in results}  # tokens per CPU-second
    trainer = None
    with tempfile.TemporaryDirectory() as out_dir:
        for round_index in range(args.rounds):
            for name, binary in binaries:
                rate, cpu, vocabulary = run_attn(binary, args.corpus, args.steps, args.threads, out_dir)
                results[name].append(rate)
                cpu_rates[name].append(1 / attn_cpu_per_token(binary, args.corpus, args.steps, args.threads,
                                                               out_dir, cpu))
                print(f"round {round_index + 1} {name:8s} {rate:8.0f} tokens/s (median of --json lines; V = "
                      f"{vocabulary}); {cpu_rates[name][-1]:8.0f} tokens per CPU-second", flush=True)
            if torch is not None:
                if trainer is None:
                    trainer = TorchTrainer(corpus_ids(args.corpus, vocabulary), vocabulary, args.threads)
                    trainer.run(3)  # warm-up
                rate, cpu = trainer.run(args.steps)
                results["pytorch"].append(rate)
                cpu_rates["pytorch"].append(args.steps * CONFIG["batch_size"] * CONFIG["block_size"] / cpu)
                print(f"round {round_index + 1} pytorch  {rate:8.0f} tokens/s (median of step groups); "
                      f"{cpu_rates['pytorch'][-1]:8.0f} tokens per CPU-second", flush=True)

    print(f"load average at end: {load_average()}")
    for label, table in (("tokens/s", results), ("tokens per CPU-second", cpu_rates)):
        medians = {name: statistics.median(rates) for name, rates in table.items() if rates}
        for name, value in medians.items():
            print(f"median {name:8s} {value:8.0f} {label}")
        if "before" in medians:
            print(f"attn / before:  {medians['attn'] / medians['before']:.2f}x ({label})")
        if "pytorch" in medians:
            print(f"attn / pytorch: {medians['attn'] / medians['pytorch']:.2f}x ({label})")


if __name__ == "__main__":
    main()
