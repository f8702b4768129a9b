"""End-to-end runs of the `attn` command: exit codes, output, and one-line errors."""
import json
import re
import subprocess

import pytest

from conftest import ATTN, ESCAPE, attn


def test_help_lists_the_subcommands():
    result = attn("--help")
    assert result.returncode == 0
    for name in ("tour", "train", "generate", "chat", "attend", "poems", "embed", "search", "quantize", "bench"):
        assert f"\n  {name} " in result.stdout, name


def test_bench_json_is_machine_readable():
    result = attn("bench", "--quick", "--suite", "elementwise", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {row["kind"] for row in rows} >= {"softmax", "layernorm", "gelu"}
    assert all(row["median_seconds"] > 0 for row in rows)


@pytest.mark.parametrize("arguments,message", [
    (("bench", "--suite", "nope"), "unknown benchmark suite 'nope'"),
    (("bench", "--threads", "0"), "--threads"),
    (("tour", "--steps", "-1"), "--steps"),
    (("fly",), "Unexpected argument"),
])
def test_bad_arguments_give_a_short_error_and_a_nonzero_exit(arguments, message):
    result = attn(*arguments)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "Fatal error" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 4


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small GPT and a seq2seq model trained by `attn train` (a few seconds each)."""
    folder = tmp_path_factory.mktemp("models")
    gpt = attn("train", "--steps", "20", "--checkpoint-every", "10", "--log", "--plot",
               str(folder / "loss.svg"), "--out", str(folder / "gpt.safetensors"))
    assert gpt.returncode == 0, gpt.stderr
    assert "done at step 20" in gpt.stdout
    # 3e-3 memorises the built-in pairs within 200 steps (the default 1e-3 is tuned for the GPT).
    chat = attn("train", "--model", "seq2seq", "--steps", "200", "--learning-rate", "3e-3", "--json",
                "--out", str(folder / "chat.safetensors"))
    assert chat.returncode == 0, chat.stderr
    done = json.loads(chat.stdout.strip().splitlines()[-1])
    assert done["event"] == "done" and done["step"] == 200
    (folder / "chat.log").write_text(chat.stdout)
    return folder


def test_train_writes_checkpoint_and_plot(trained):
    assert (trained / "gpt.safetensors").stat().st_size > 1000
    # The weights of the lowest validation loss, without the training state (smaller).
    best = trained / "gpt.best.safetensors"
    assert 1000 < best.stat().st_size < (trained / "gpt.safetensors").stat().st_size
    # The --json summary names the step of the lowest validation loss the log reported.
    events = [json.loads(line) for line in (trained / "chat.log").read_text().splitlines() if line.startswith("{")]
    validations = {e["step"]: e["validation_loss"] for e in events if e["event"] == "step" and "validation_loss" in e}
    done = events[-1]
    assert done["best_checkpoint"].endswith("chat.best.safetensors")
    assert done["best_validation_loss"] == min(validations.values())
    assert validations[done["best_step"]] == done["best_validation_loss"]
    answer = attn("chat", "--model", done["best_checkpoint"], "--ask", "你吃了吗？")
    assert answer.returncode == 0 and answer.stdout.strip(), answer.stderr
    svg = (trained / "loss.svg").read_text()
    assert svg.startswith("<svg") and "polyline" in svg and svg.rstrip().endswith("</svg>")


def test_generate_continues_the_prompt(trained):
    result = attn("generate", "--model", str(trained / "gpt.safetensors"), "--prompt", "道可", "--tokens", "10",
                  "--temperature", "0", "--json")
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["prompt"] == "道可" and len(output["tokens"]) <= 10
    plain = attn("generate", "--model", str(trained / "gpt.safetensors"), "--prompt", "道可", "--tokens", "10",
                 "--temperature", "0")
    assert plain.stdout.strip() == "道可" + output["text"]


def test_attend_colours_and_writes_a_heatmap(trained):
    page = trained / "attention.html"
    result = attn("attend", "--model", str(trained / "gpt.safetensors"), "--prompt", "道可道", "--tokens", "4",
                  "--html", str(page), env={"NO_COLOR": "1"})
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if " → " in line]
    assert len(lines) == 4 and lines[0].startswith("道")
    assert "<svg" in page.read_text() and "layer 0 head 0" in page.read_text()
    coloured = attn("attend", "--model", str(trained / "gpt.safetensors"), "--prompt", "道", "--tokens", "2",
                    env={"NO_COLOR": ""})  # not a terminal: still plain
    assert ESCAPE not in coloured.stdout


def test_chat_answers_the_trained_question(trained):
    result = attn("chat", "--model", str(trained / "chat.safetensors"), "--ask", "你吃了吗？")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "吃了。"
    session = attn("chat", "--model", str(trained / "chat.safetensors"), "--strict", stdin="你好！\nzzz\n谢谢你！\n",
                   timeout=120)
    assert session.returncode == 0
    assert session.stdout.splitlines() == ["你好！", "不客气。"]
    assert "outside the model's vocabulary: 'z'" in session.stderr


def test_characters_outside_the_vocabulary_are_read_as_unk_with_one_warning_unless_strict(trained):
    chat = attn("chat", "--model", str(trained / "chat.safetensors"), stdin="zzz你好\n", timeout=120)
    assert chat.returncode == 0, chat.stderr
    assert len(chat.stdout.splitlines()) == 1  # answered
    assert chat.stderr.splitlines() == [
        "attn: warning: the question has 3 characters outside the model's vocabulary, read as UNK: 'z' "
        "(--strict refuses them)"]
    gpt = str(trained / "gpt.safetensors")
    generated = attn("generate", "--model", gpt, "--prompt", "道€\x1b道", "--tokens", "5", "--json")
    assert generated.returncode == 0, generated.stderr
    assert json.loads(generated.stdout)["prompt"] == "道€\x1b道"
    assert generated.stderr.count("\n") == 1 and "2 characters outside the model's vocabulary, read as UNK: " \
        "'€', '\\u{1B}'" in generated.stderr
    for command in (["generate", "--model", gpt, "--prompt", "道€"],
                    ["attend", "--model", gpt, "--prompt", "道€", "--tokens", "1"]):
        strict = attn(*command, "--strict")
        assert strict.returncode == 1 and strict.stdout == ""
        assert strict.stderr == "attn: the prompt has characters outside the model's vocabulary: '€'\n"
        lenient = attn(*command)
        assert lenient.returncode == 0 and "read as UNK: '€'" in lenient.stderr


def test_resume_after_ctrl_c(tmp_path):
    import signal
    import time
    out = tmp_path / "cnn.safetensors"
    process = subprocess.Popen([str(ATTN), "train", "--model", "cnn", "--steps", "100000", "--log",
                                "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not out.exists() and time.time() < deadline:  # the first checkpoint (step 200) proves training runs
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted at step" in stdout
    step = int(re.search(r"interrupted at step (\d+)", stdout).group(1))
    resumed = attn("train", "--model", "cnn", "--resume", str(out), "--time", "1", "--log", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert f"from step {step}" in resumed.stdout


@pytest.mark.parametrize("make_arguments,message", [
    (lambda d: ("generate", "--model", str(d / "missing.safetensors")), "cannot open"),
    (lambda d: ("generate", "--model", str(d / "corrupt.safetensors")), "header length"),
    (lambda d: ("train", "--model", "transformer"), "model"),
    (lambda d: ("train", "--corpus", str(d / "latin1.txt"), "--out", str(d / "keep.safetensors")),
     "invalid UTF-8 at byte offset 3"),
    (lambda d: ("train", "--out", str(d / "no" / "such" / "dir.safetensors")), "does not exist"),
    (lambda d: ("chat", "--model", str(d / "keep.safetensors"), "--ask", "x"), "needs a seq2seq"),
])
def test_bad_input_is_one_line_and_loses_nothing(tmp_path, make_arguments, message):
    (tmp_path / "corrupt.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    (tmp_path / "latin1.txt").write_bytes("abc\xe9t\xe9".encode("latin-1"))
    keep = tmp_path / "keep.safetensors"
    ok = attn("train", "--model", "cnn", "--steps", "2", "--out", str(keep), "--log")
    assert ok.returncode == 0, ok.stderr
    before = keep.read_bytes()
    result = attn(*make_arguments(tmp_path))
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Fatal error" not in result.stderr and "Stack dump" not in result.stderr
    assert keep.read_bytes() == before, "an existing checkpoint must never be overwritten on error"
