"""`attn train --corpus` on real-sized vocabularies and on bad files (docs/corpora.md): a corpus
of 7,477 ids trains, saves, resumes and generates; each bad file gives a one-line error or the
documented behaviour, never a crash or a hang."""
import json
import os
import random
import subprocess

import pytest

from conftest import ATTN, attn

#: A GPT small enough that a step over 7,477 ids takes milliseconds.
TINY = ("--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--block-size", "16", "--batch-size", "4")


def large_vocabulary_corpus(count=7472, characters=30000, seed=3):
    """`count` CJK characters from U+4E00 (each at least once, then random), a line break every
    7 and a blank line every 8 lines: with the line break, count + 1 + 4 ids."""
    rng = random.Random(seed)
    lines, line = [], []
    for i in range(characters):
        line.append(chr(0x4E00 + (i if i < count else rng.randrange(count))))
        if len(line) == 7:
            lines.append("".join(line))
            line = []
            if len(lines) % 8 == 0:
                lines.append("")
    return "\n".join(lines) + "\n"


def failed_cleanly(result):
    assert result.returncode != 0
    assert "Fatal error" not in result.stderr and "Stack dump" not in result.stderr, result.stderr
    return result.stderr


def test_large_vocabulary_trains_resumes_and_generates(tmp_path):
    corpus = tmp_path / "large.txt"
    corpus.write_text(large_vocabulary_corpus(), encoding="utf-8")
    out = tmp_path / "large.safetensors"
    first = attn("train", "--corpus", str(corpus), "--steps", "4", "--log", *TINY, "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert "vocabulary 7477" in first.stdout
    # Resuming reads the corpus with the checkpoint's 7,477-id vocabulary (a finished run: no
    # step left; the C and Python tests check that a resumed run is bitwise an uninterrupted one).
    again = attn("train", "--resume", str(out), "--corpus", str(corpus), "--log", "--out", str(tmp_path / "again.safetensors"))
    assert again.returncode == 0, again.stderr
    assert "vocabulary 7477" in again.stdout and "from step 4" in again.stdout, again.stdout
    result = attn("generate", "--model", str(out), "--prompt", "丁七", "--tokens", "12", "--seed", "2", "--json")
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert 0 < len(output["tokens"]) <= 12
    assert all(4 <= token < 7477 for token in output["tokens"])
    assert all(ch == "\n" or 0x4E00 <= ord(ch) < 0x4E00 + 7472 for ch in output["text"])


def test_bom_and_crlf_give_the_same_vocabulary_as_plain_lf(tmp_path):
    text = "床前明月光，\n疑是地上霜。\n\n举头望明月，\n低头思故乡。\n" * 40
    plain, windows = tmp_path / "plain.txt", tmp_path / "windows.txt"
    plain.write_bytes(text.encode())
    windows.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    outputs = []
    for corpus in (plain, windows):
        out = tmp_path / (corpus.stem + ".safetensors")
        result = attn("train", "--corpus", str(corpus), "--steps", "2", "--log", *TINY, "--out", str(out))
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    # 19 distinct characters, the line break, 4 specials: no \r, no U+FEFF.
    assert all("vocabulary 24" in output for output in outputs), outputs
    assert (tmp_path / "plain.safetensors").read_bytes() == (tmp_path / "windows.safetensors").read_bytes()


def test_one_repeated_character_trains(tmp_path):
    corpus = tmp_path / "one.txt"
    corpus.write_text("道" * 400)
    result = attn("train", "--corpus", str(corpus), "--steps", "3", "--log", *TINY,
                  "--out", str(tmp_path / "one.safetensors"))
    assert result.returncode == 0, result.stderr
    assert "vocabulary 5" in result.stdout


@pytest.mark.parametrize("content,message", [
    ("道可道".encode(), "too short for context length 16"),
    (b"", "the corpus is empty"),
    (b"\xef\xbb\xbf", "the corpus is empty"),
    ("一二".encode() + b"\x00" + "三".encode() * 200, "NUL byte at byte offset 6"),
    ("一二".encode() + b"\xe4\xb8", "invalid UTF-8 at byte offset 6"),
], ids=["shorter-than-context", "empty", "only-bom", "nul", "truncated-utf8"])
def test_bad_corpus_files_are_one_line_errors(tmp_path, content, message):
    corpus = tmp_path / "bad.txt"
    corpus.write_bytes(content)
    out = tmp_path / "bad.safetensors"
    stderr = failed_cleanly(attn("train", "--corpus", str(corpus), "--steps", "2", *TINY, "--out", str(out)))
    assert message in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert not out.exists()


@pytest.mark.parametrize("path", ["DIRECTORY", "/dev/zero", "/dev/null", "FIFO", "LINK-TO-ZERO"])
def test_special_files_are_refused_without_reading(tmp_path, path):
    if path == "DIRECTORY":
        path = str(tmp_path)
    elif path == "FIFO":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)
    elif path == "LINK-TO-ZERO":  # a regular-looking name that points at an endless device
        path = str(tmp_path / "corpus.txt")
        os.symlink("/dev/zero", path)
    # A timeout would mean a hang (a FIFO without a writer, /dev/zero read to the end).
    result = attn("train", "--corpus", path, "--steps", "1", *TINY, "--out", str(tmp_path / "x.safetensors"),
                  timeout=60)
    assert "not a regular file" in failed_cleanly(result)


def test_resume_with_characters_outside_the_vocabulary_is_an_error(tmp_path):
    corpus = tmp_path / "a.txt"
    corpus.write_text("天地玄黄\n" * 100)
    out = tmp_path / "a.safetensors"
    assert attn("train", "--corpus", str(corpus), "--steps", "2", "--log", *TINY, "--out", str(out)).returncode == 0
    other = tmp_path / "b.txt"
    other.write_text("宇宙洪荒\n" * 100)
    stderr = failed_cleanly(attn("train", "--resume", str(out), "--corpus", str(other),
                                 "--out", str(tmp_path / "c.safetensors")))
    assert "characters the resumed model does not know" in stderr and "'宇'" in stderr, stderr


def test_missing_corpus_names_the_path(tmp_path):
    missing = tmp_path / "missing.txt"
    stderr = failed_cleanly(attn("train", "--corpus", str(missing), "--steps", "1", "--out", str(tmp_path / "m.safetensors")))
    assert str(missing) in stderr and "No such file" in stderr, stderr
