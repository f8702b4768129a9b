#!/usr/bin/env python3
"""How much BF16 and Q8 weights change a trained language model (issue 17, item 4).

For a checkpoint (e.g. the Tang-poem GPT of the README's "A model that writes poems") and a
corpus, it narrows the model with `Model.quantize` and reports, for FP32, BF16 and Q8:
- the mean cross-entropy (nats per character) of the last `--characters` characters of the corpus
  (by default the held-out end of data/tang-poems.txt), in windows of the model's block size
  that each predict their second half from the first, and its change against FP32;
- how many of `--prompts` greedy generations of `--tokens` tokens equal FP32's, the prompts being
  the first lines of poems from that held-out part.

    python3 Benchmarks/quantized_accuracy.py CHECKPOINT [--corpus data/tang-poems.txt] [--characters 50000]

(200,000 characters and 32 prompts take about 9 minutes on two loaded AVX2 cores.)

Needs the built library (ATTENTION_LIBRARY or .build/release/libattention.so) and numpy.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
os.environ.setdefault("ATTENTION_LIBRARY", os.path.join(ROOT, ".build", "release", "libattention.so"))

import attention  # noqa: E402


def cross_entropy(model, ids: np.ndarray, block: int) -> float:
    """Mean negative log-likelihood (nats) of the second half of each window of `block` ids."""
    half = block // 2
    windows = [ids[start:start + block] for start in range(0, len(ids) - block, half)]
    total, count = 0.0, 0
    for first in range(0, len(windows), 64):
        batch = np.stack(windows[first:first + 64])
        logits = model.forward(batch[:, :-1]).astype(np.float64)       # (B, T-1, V)
        logits -= logits.max(axis=-1, keepdims=True)
        log_probabilities = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        targets = batch[:, 1:]
        picked = np.take_along_axis(log_probabilities, targets[..., None], axis=-1)[..., 0]
        total -= picked[:, half - 1:].sum()
        count += picked[:, half - 1:].size
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "data", "tang-poems.txt"))
    parser.add_argument("--characters", type=int, default=50_000)
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=32)
    arguments = parser.parse_args()

    fp32 = attention.Model.load(arguments.checkpoint)
    tokenizer = fp32.tokenizer
    text = open(arguments.corpus, encoding="utf-8").read()[-arguments.characters:]
    text = text[text.index("\n\n") + 2:]  # start at a poem
    ids = tokenizer.encode(text)
    poems = [poem for poem in text.split("\n\n") if "，" in poem]
    step = max(1, len(poems) // arguments.prompts)
    prompts = [poem[:poem.index("，") + 1] for poem in poems[::step][:arguments.prompts]]
    block = fp32.config.block_size
    print(f"# {arguments.checkpoint}: {fp32}; {len(ids):,} held-out characters, {len(prompts)} prompts, "
          f"{arguments.tokens} greedy tokens; {attention.cpu_features()}")

    def greedy(model):
        return [model.generate(prompt, max_new_tokens=arguments.tokens, temperature=0, stop_at_eos=False)
                for prompt in prompts]

    reference_loss, reference_text = cross_entropy(fp32, ids, block), greedy(fp32)
    print(f"{'format':6} {'loss (nats)':>12} {'change':>9} {'greedy equal':>13}")
    print(f"{'f32':6} {reference_loss:12.5f} {'':>9} {len(prompts):>6}/{len(prompts)}")
    for weight_format in ("bf16", "q8"):
        narrowed = fp32.quantize(weight_format)
        loss = cross_entropy(narrowed, ids, block)
        equal = sum(a == b for a, b in zip(greedy(narrowed), reference_text))
        print(f"{weight_format:6} {loss:12.5f} {100 * (loss - reference_loss) / reference_loss:+8.4f}% "
              f"{equal:>6}/{len(prompts)}")


if __name__ == "__main__":
    main()
