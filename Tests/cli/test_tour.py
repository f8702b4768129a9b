"""`attn tour --quick`, as CI runs it: each part teaches something within its step budget (issue
18, item 5). The tour trains for step counts, not seconds, so what it prints does not depend on
the machine's load; these tests check properties, not exact losses (they differ between ISAs)."""
import re

import pytest

from conftest import ESCAPE, attn

CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def sections():
    """The quick tour's output (without colours), by part number."""
    result = attn("tour", "--quick", env={"NO_COLOR": "1"})
    assert result.returncode == 0, result.stderr
    assert ESCAPE not in result.stdout, "NO_COLOR must turn colours off"
    parts = re.split(r"^(\d)\. ", result.stdout, flags=re.M)
    text = {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    assert sorted(text) == [1, 2, 3, 4], result.stdout
    return text


def test_the_neuron_finds_the_true_parameters(sections):
    learned = re.search(r"Learned a = (-?[\d.]+), b = (-?[\d.]+)", sections[1])
    assert learned, sections[1]
    assert abs(float(learned.group(1)) - 2) < 1e-2 and abs(float(learned.group(2)) + 1) < 1e-2


def test_the_dialogue_reaches_the_answer(sections):
    text = sections[2]
    asked = re.findall(r"step +(\d+) +loss ([\d.]+) +你吃了吗？ → (.*)$", text, flags=re.M)
    assert asked, text
    assert asked[-1][2] == "吃了。", text
    assert f"It answers “吃了。”, as in the training pairs, after {asked[-1][0]} steps." in text
    assert "Not there yet" not in text


def test_the_reported_validation_loss_is_the_one_measured_at_its_step(sections):
    text = sections[3]
    measured = {int(step): float(loss) for step, loss in
                re.findall(r"step +(\d+) +loss [\d.]+ +validation loss ([\d.]+)", text)}
    assert len(measured) >= 5, text
    best = re.search(r"Best validation loss ([\d.]+) at step (\d+) \(a uniform guess is ([\d.]+)\)", text)
    assert best, text
    loss, step, uniform = float(best.group(1)), int(best.group(2)), float(best.group(3))
    assert step in measured and measured[step] == loss, (step, loss, measured)
    assert loss == min(measured.values())
    assert loss < uniform - 1, "a model that learned nothing scores about ln(vocabulary)"


def test_the_generation_is_chinese_text_not_punctuation(sections):
    text = sections[3]
    steps = [line for line in text.splitlines() if " → " in line]
    assert len(steps) == 16, text
    written = re.search(r"Written: 道可道，(.*)$", text, flags=re.M)
    assert written, text
    new = written.group(1)
    assert len(CJK.findall(new)) >= len(new) // 2, new
    assert len(set(CJK.findall(new))) >= 4, f"one character over and over is not text: {new}"
    assert [line.rsplit(" → ", 1)[1] for line in steps] == list(new[:16]), text


def test_the_race_compares_three_models_on_the_same_steps(sections):
    text = sections[4]
    steps = int(re.search(r"same batches, (\d+) steps each", text).group(1))
    table = [line for line in text.splitlines() if re.match(r"\s+(GRU|causal CNN|GPT)", line)]
    assert len(table) == 3, text
    for line in table:
        best = re.search(r"(\d+\.\d+) \(step (\d+)\)$", line)
        assert best and 0 < float(best.group(1)) < 7, line  # below a uniform guess, ln(1294) ≈ 7.17
        assert 0 < int(best.group(2)) <= steps, line
    gpt = re.search(r"GPT \(attention\).*?(\d+\.\d+) \(step (\d+)\)$", text, flags=re.M)
    assert gpt and f"Best validation loss {gpt.group(1)} at step {gpt.group(2)}" in sections[3]


@pytest.mark.parametrize("steps, message", [("0", "--steps must be in 10...100000"),
                                            ("9", "--steps must be in 10...100000"),
                                            ("100001", "--steps must be in 10...100000"),
                                            ("x", "The value 'x' is invalid for '--steps")])
def test_steps_are_checked_before_anything_runs(steps, message):
    result = attn("tour", "--steps", steps)
    assert result.returncode != 0 and not result.stdout
    assert message in result.stderr, result.stderr
