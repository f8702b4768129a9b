#!/usr/bin/env bash
# Installs what libattention needs on a fresh Debian machine with Swift 6.3: LLVM's OpenMP
# runtime (libomp-dev) and, for the Python side and the benchmarks, numpy, pytest and safetensors.
# Idempotent: installs only what is missing.
set -euo pipefail
if [ ! -e /usr/lib/x86_64-linux-gnu/libomp5.so ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libomp-dev
fi
# safetensors: the interop tests open our files with the reference implementation.
python3 -c "import numpy, pytest, safetensors" 2>/dev/null || python3 -m pip install -q numpy pytest safetensors
