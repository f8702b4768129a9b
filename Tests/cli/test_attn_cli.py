"""End-to-end runs of the `attn` command: exit codes, output, and one-line errors."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ATTN = ROOT / ".build" / "release" / "attn"
ESCAPE = "\x1b["


def attn(*arguments, env=None, timeout=300):
    environment = dict(os.environ, **(env or {}))
    return subprocess.run([str(ATTN), *arguments], capture_output=True, text=True, env=environment,
                          timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def built():
    if not ATTN.exists():
        pytest.fail(f"{ATTN} is missing: run `swift build -c release` first")


def test_help_lists_the_subcommands():
    result = attn("--help")
    assert result.returncode == 0
    for name in ("tour", "bench"):
        assert name in result.stdout


def test_quick_tour_runs_all_four_steps():
    result = attn("tour", "--quick", "--seconds", "2", env={"NO_COLOR": "1"})
    assert result.returncode == 0, result.stderr
    learned = re.search(r"Learned a = (-?[\d.]+), b = (-?[\d.]+)", result.stdout)
    assert learned, result.stdout
    assert abs(float(learned.group(1)) - 2) < 1e-2 and abs(float(learned.group(2)) + 1) < 1e-2
    sections = re.split(r"^(\d)\. ", result.stdout, flags=re.M)
    text = {int(sections[i]): sections[i + 1] for i in range(1, len(sections) - 1, 2)}
    assert sorted(text) == [1, 2, 3, 4], result.stdout
    assert "你吃了吗？ → " in text[2]
    assert "validation loss" in text[3]
    generated = [line for line in text[3].splitlines() if " → " in line]
    assert len(generated) == 16, text[3]
    table = [line for line in text[4].splitlines() if re.match(r"\s+(GRU|causal CNN|GPT)", line)]
    assert len(table) == 3, text[4]
    for line in table:
        assert 0 < float(line.split()[-1]) < 8, line  # validation loss, below ln(vocab) ≈ 7.2 + noise
    assert ESCAPE not in result.stdout, "NO_COLOR must turn colours off"


def test_bench_json_is_machine_readable():
    result = attn("bench", "--quick", "--suite", "elementwise", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {row["kind"] for row in rows} >= {"softmax", "layernorm", "gelu"}
    assert all(row["median_seconds"] > 0 for row in rows)


@pytest.mark.parametrize("arguments,message", [
    (("bench", "--suite", "nope"), "unknown benchmark suite 'nope'"),
    (("bench", "--threads", "0"), "--threads"),
    (("tour", "--seconds", "-1"), "--seconds"),
    (("fly",), "Unexpected argument"),
])
def test_bad_arguments_give_a_short_error_and_a_nonzero_exit(arguments, message):
    result = attn(*arguments)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "Fatal error" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 4
