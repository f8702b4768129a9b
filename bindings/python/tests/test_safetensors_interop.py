"""A file written by libattention's safetensors writer, opened by the Python `safetensors` package.

The file is the committed fixture Tests/AttentionEngineTests/Fixtures/swift_written.safetensors;
SafeTensorsInteropTests.testWriterStillProducesTheCommittedFixture asserts that the Swift writer
still produces exactly these bytes. Skipped when the `safetensors` package is not installed.
"""
import json
import os

import pytest

np = pytest.importorskip("numpy")
safetensors = pytest.importorskip("safetensors")
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import load_file, save  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FIXTURE = os.path.join(ROOT, "Tests", "AttentionEngineTests", "Fixtures", "swift_written.safetensors")

EXPECTED = {
    "transformer.wte.weight": np.array([[0, 1], [-2, 0.5], [1e-3, -7.25]], dtype=np.float32),
    "transformer.ln_f.bias": np.array([np.inf, -0.0], dtype=np.float32),
    "step_scale": np.array(3.5, dtype=np.float32),
    "empty": np.zeros((0, 4), dtype=np.float32),
}
METADATA = {"format": "pt", "step": "100", "vocab": "你吃了吗？"}


def test_python_reads_the_swift_written_file():
    tensors = load_file(FIXTURE)
    assert sorted(tensors) == sorted(EXPECTED)
    for name, expected in EXPECTED.items():
        assert tensors[name].dtype == np.float32, name
        assert tensors[name].shape == expected.shape, name
        # Bit-exact, so -0.0 and inf are checked too.
        assert tensors[name].tobytes() == expected.tobytes(), name


def test_python_reads_the_metadata():
    with safe_open(FIXTURE, framework="np") as f:
        assert f.metadata() == METADATA
        assert sorted(f.keys()) == sorted(EXPECTED)


def split(file_bytes):
    """(header length, header JSON as a dict, data bytes) of a safetensors file."""
    length = int.from_bytes(file_bytes[:8], "little")
    return length, json.loads(file_bytes[8:8 + length]), file_bytes[8 + length:]


def test_python_writes_the_same_layout():
    # Both writers sort F32 tensors by name and pad the header with spaces to a multiple of 8,
    # so only the order of the metadata keys may differ (Python's follows a hash map).
    with open(FIXTURE, "rb") as f:
        ours = f.read()
    theirs = save(EXPECTED, metadata=METADATA)
    assert len(theirs) == len(ours)
    assert split(theirs) == split(ours)
