#!/usr/bin/env bash
# Runs every test of libattention: the Swift suites (kernels, engine, models), the C-level tests,
# the Python bindings' tests and the end-to-end runs of the `attn` command. This is the test
# command the README names and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

# One release build serves everything: the engine is always optimized, tests use public API only.
swift build -c release --build-tests
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
swift test -c release --skip-build 2>&1 | tee "$log"
# swift test can exit 0 when the test process died before reporting; insist on the summary of
# the whole XCTest run.
grep -q "Test Suite 'All tests' passed" "$log"

bindings/c/run-tests.sh
python3 -m pytest -q bindings/python/tests Tests/cli
