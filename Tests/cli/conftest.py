"""What every end-to-end test of the `attn` command shares: where the built command is, one
runner, and the check that it was built (scripts/test.sh builds it before running these tests).

Test files import the plain names (`from conftest import ATTN, attn`); pytest puts this folder
on the import path (it has no __init__.py)."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / ".build" / "release"
ATTN = RELEASE / "attn"
#: The start of an ANSI escape sequence (colours, cursor movement).
ESCAPE = "\x1b["


def attn(*arguments, env=None, cwd=None, stdin=None, timeout=300):
    """Runs `attn arguments` to the end and returns the CompletedProcess (text stdout and
    stderr); `env` adds to or overrides the current environment, `stdin` is text to feed it."""
    environment = dict(os.environ, **(env or {}))
    return subprocess.run([str(ATTN), *arguments], capture_output=True, text=True, env=environment, cwd=cwd,
                          input=stdin, timeout=timeout)


@pytest.fixture(scope="session", autouse=True)
def built():
    if not ATTN.exists():
        pytest.fail(f"{ATTN} is missing: run `swift build -c release` first")
