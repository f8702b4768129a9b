#!/usr/bin/env bash
# Builds the Python wheel of libattention into dist/ (or the folder given as $1) and prints its
# path, e.g. dist/attention-0.1.0-py3-none-linux_x86_64.whl. The wheel carries the self-contained
# libattention.so (Swift runtime linked in), so `pip install <wheel>` works in any environment of
# the same OS and CPU architecture without a Swift toolchain.
#
# It runs the package's own build backend (bindings/python/build_backend.py), the same code
# `pip install ./bindings/python` runs: the -static-stdlib library in .build-static/ is reused
# when it is newer than every file under Sources/ and include/ and Package.swift, and rebuilt
# otherwise (that needs Swift: /opt/swift/usr/bin/swift, `swift` on PATH, or $ATTENTION_SWIFT).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 bindings/python/build_backend.py "${1:-dist}"
