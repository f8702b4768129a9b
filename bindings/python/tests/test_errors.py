"""Bad input through Python raises AttentionError subclasses with the library's message and
never crashes the interpreter."""
import re
from pathlib import Path

import numpy as np
import pytest

import attention
from attention import _capi


def test_version_and_abi():
    assert re.fullmatch(r"\d+\.\d+\.\d+", attention.version())
    assert attention.abi_version() == 2


def test_thread_count_validation():
    for bad in (0, -1, 5000, 2**40):
        with pytest.raises(attention.InvalidArgumentError):
            attention.set_num_threads(bad)
    attention.set_num_threads(2)
    assert attention.get_num_threads() == 2


def test_matmul_shape_errors():
    with pytest.raises(attention.ShapeError, match="op\\(a\\)"):
        attention.matmul(np.ones((2, 3), np.float32), np.ones((4, 2), np.float32))
    with pytest.raises(attention.ShapeError):
        attention.matmul(np.ones(3, np.float32), np.ones((3, 2), np.float32))
    with pytest.raises(attention.ShapeError, match="beta"):
        attention.matmul(np.ones((2, 2)), np.ones((2, 2)), beta=1.0)


def test_library_side_errors_carry_the_library_message():
    x = np.ones((4, 8), np.float32)
    with pytest.raises(attention.InvalidArgumentError) as error:
        attention.layernorm(x, eps=0.0)
    assert "eps" in str(error.value)
    assert error.value.status == 2
    with pytest.raises(attention.ShapeError):
        attention.softmax(np.ones((3, 4), np.float32), causal=True)


def test_raw_capi_null_pointers_return_statuses():
    status = _capi.attn_matmul(0, 0, 2, 2, 2, 1.0, None, 2, None, 2, 0.0, None, 2, None)
    assert status == 1  # ATTN_ERR_NULL_POINTER
    assert _capi.attn_last_error()
    assert _capi.attn_softmax(None, None, 3, 3, 0) == 1
    assert _capi.attn_attention_forward(None, None, None, None, None, None, None) == 1


def test_read_only_and_aliased_outputs_are_rejected():
    a = np.ones((4, 4), np.float32)
    frozen = np.zeros((4, 4), np.float32)
    frozen.flags.writeable = False
    with pytest.raises(attention.InvalidArgumentError, match="read-only"):
        attention.matmul(a, a, out=frozen)
    with pytest.raises(attention.InvalidArgumentError, match="overlaps"):
        attention.matmul(a, np.eye(4, dtype=np.float32), out=a)


def test_layernorm_without_channels_is_a_shape_error():
    with pytest.raises(attention.ShapeError):
        attention.layernorm(np.zeros((3, 0), np.float32))


def test_attention_argument_errors():
    q = np.ones((1, 1, 4, 8), np.float32)
    kv = np.ones((1, 1, 2, 8), np.float32)
    with pytest.raises(attention.ShapeError):
        attention.attention(q, kv, kv, causal=True)  # causal needs Tq <= Tk
    with pytest.raises(attention.ShapeError):
        attention.attention(q, kv, kv, key_padding_mask=np.zeros((1, 3), bool))
    with pytest.raises(attention.ShapeError):
        attention.attention(q[0], kv, kv)


def test_loader_reports_a_missing_library_clearly(tmp_path):
    import subprocess
    import sys
    missing = tmp_path / "libattention.so"
    result = subprocess.run([sys.executable, "-c", "import attention"], capture_output=True, text=True,
                            env={"ATTENTION_LIBRARY": str(missing), "PATH": "/usr/bin:/bin"},
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "ATTENTION_LIBRARY" in result.stderr
