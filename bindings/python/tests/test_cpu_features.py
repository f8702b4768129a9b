"""attention.cpu_features(): the kernel set in use agrees with the CPU's features, and
ATTN_ISA=avx2 (read when the library loads) forces the AVX2 kernels with the same results."""
import os
import subprocess
import sys

import numpy as np

import attention

AVX512 = {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}


def test_kernels_match_cpu_features():
    features = attention.cpu_features()
    assert {"avx2", "fma"} <= set(features["cpu"])
    forced = os.environ.get("ATTN_ISA") == "avx2"
    expected = "avx512" if AVX512 <= set(features["cpu"]) and not forced else "avx2"
    assert features["kernels"] == expected


def test_forced_avx2_gives_the_same_bits():
    # A child process with ATTN_ISA=avx2 computes attention and a matmul; on an AVX-512 host
    # that is the other kernel set, elsewhere the same one. Every ISA computes the same bits.
    script = (
        "import sys, numpy as np, attention\n"
        "rng = np.random.default_rng(5)\n"
        "q = rng.standard_normal((2, 3, 70, 80)).astype(np.float32)\n"
        "a = rng.standard_normal((50, 90)).astype(np.float32)\n"
        "out = attention.attention(q, q, q, causal=True)\n"
        "sys.stdout.buffer.write(attention.cpu_features()['kernels'].encode() + b'\\n')\n"
        "sys.stdout.buffer.write(out.tobytes() + attention.matmul(a, a.T).tobytes())\n")
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(attention.__file__)))
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    results = {}
    for isa in ("avx2", ""):
        env = dict(os.environ, ATTN_ISA=isa, PYTHONPATH=path)
        output = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                capture_output=True).stdout
        kernels, data = output.split(b"\n", 1)
        results[isa] = (kernels.decode(), np.frombuffer(data, dtype=np.float32))
    assert results["avx2"][0] == "avx2"
    assert np.array_equal(results["avx2"][1], results[""][1])
