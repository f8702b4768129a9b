"""`attn quantize`: BF16 / Q8 copies of checkpoints that every inference command loads, and the
errors for what cannot be narrowed, trained or written."""
import json
import os
import re

import pytest

from conftest import attn


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """A briefly trained GPT and seq2seq."""
    folder = tmp_path_factory.mktemp("quantize")
    gpt, seq2seq = folder / "gpt.safetensors", folder / "s2s.safetensors"
    for arguments in (["--steps", "40", "--out", str(gpt)],
                      ["--model", "seq2seq", "--steps", "40", "--out", str(seq2seq)]):
        result = attn("train", *arguments, "--json")
        assert result.returncode == 0, result.stderr
    return folder, gpt, seq2seq


def _greedy(model, prompt="道可道，"):
    result = attn("generate", "--model", str(model), "--prompt", prompt, "--tokens", "20", "--temperature", "0",
                  "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("weight_format, ratio", [("bf16", 0.55), ("q8", 0.35)])
def test_quantized_models_generate_chat_and_attend(checkpoints, weight_format, ratio):
    folder, gpt, seq2seq = checkpoints
    out = folder / f"gpt-{weight_format}.safetensors"
    result = attn("quantize", "--type", weight_format, str(gpt), str(out))
    assert result.returncode == 0, result.stderr
    # "<out>: 17 matrices as q8; weights 3.87 MB → 1.13 MB"
    match = re.search(r"(\d+) matrices as (\w+); weights ([\d.]+) MB → ([\d.]+) MB", result.stdout)
    assert match and match[2] == weight_format, result.stdout
    assert int(match[1]) == 4 * 4 + 1  # four matrices per block of the default 4-layer GPT, and the token table
    assert float(match[4]) < ratio * float(match[3])
    # The file holds the narrowed weights, not the FP32 ones (nor the training state).
    assert out.stat().st_size < 1.05e6 * float(match[4]) + 100_000

    narrowed = _greedy(out)
    assert len(narrowed["tokens"]) == 20 and len(narrowed["text"]) == 20
    attend = attn("attend", "--model", str(out), "--prompt", "道可道，", "--tokens", "3")
    assert attend.returncode == 0, attend.stderr
    assert "→" in attend.stdout

    s2s_out = folder / f"s2s-{weight_format}.safetensors"
    assert attn("quantize", "--type", weight_format, str(seq2seq), str(s2s_out)).returncode == 0
    chat = attn("chat", "--model", str(s2s_out), "--ask", "你吃了吗?")
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.strip()


def test_quantized_checkpoint_refuses_training_and_requantizing(checkpoints):
    folder, gpt, _ = checkpoints
    out = folder / "refuse-q8.safetensors"
    assert attn("quantize", "--type", "q8", str(gpt), str(out)).returncode == 0
    resume = attn("train", "--resume", str(out), "--steps", "50")
    assert resume.returncode == 1
    assert "holds q8 weights for inference only and cannot be trained" in resume.stderr
    again = attn("quantize", "--type", "bf16", str(out), str(folder / "twice.safetensors"))
    assert again.returncode == 1
    assert "already holds q8 weights" in again.stderr
    assert not (folder / "twice.safetensors").exists()


def test_bad_arguments_and_destinations(checkpoints, tmp_path):
    folder, gpt, _ = checkpoints
    bogus = attn("quantize", "--type", "q4", str(gpt), str(tmp_path / "x.safetensors"))
    assert bogus.returncode != 0 and "q4" in bogus.stderr
    missing = attn("quantize", "--type", "q8", str(tmp_path / "missing.safetensors"), str(tmp_path / "x.safetensors"))
    assert missing.returncode == 1 and "missing.safetensors" in missing.stderr
    for destination in [tmp_path / "no-such-folder" / "x.safetensors", tmp_path]:
        result = attn("quantize", "--type", "q8", str(gpt), str(destination))
        assert result.returncode == 1, result.stdout
        assert "cannot write" in result.stderr
    # A model that cannot be narrowed to Q8 (width 48): a clear error, and an existing
    # destination is left as it was.
    narrow = tmp_path / "narrow.safetensors"
    trained = attn("train", "--n-embd", "48", "--n-head", "4", "--steps", "1", "--out", str(narrow))
    assert trained.returncode == 0, trained.stderr
    existing = tmp_path / "existing.safetensors"
    existing.write_bytes(b"keep me")
    result = attn("quantize", "--type", "q8", str(narrow), str(existing))
    assert result.returncode == 1
    assert "the Q8 block size 32 does not divide the input dimension 48" in result.stderr
    assert existing.read_bytes() == b"keep me"
    assert attn("quantize", "--type", "bf16", str(narrow), str(existing)).returncode == 0


def test_quantizing_a_file_onto_itself_is_refused(checkpoints, tmp_path):
    _, gpt, _ = checkpoints
    copy = tmp_path / "copy.safetensors"
    copy.write_bytes(gpt.read_bytes())
    link = tmp_path / "link.safetensors"
    link.symlink_to(copy)
    for destination in (copy, link):
        result = attn("quantize", "--type", "bf16", str(copy), str(destination))
        assert result.returncode == 1 and "write the narrowed copy to a new file" in result.stderr
    assert copy.read_bytes() == gpt.read_bytes()


def test_one_character_destination(checkpoints, tmp_path):
    """A bare one-character name (once a crash in the folder check)."""
    _, gpt, _ = checkpoints
    result = attn("quantize", "--type", "q8", str(gpt), "d", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d").stat().st_size > 0
