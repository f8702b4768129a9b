"""The progress bar of `attn train` in a terminal (a pseudo-terminal of a chosen width): it
redraws in place, never wraps, and ends with the elapsed time and the rate."""
import fcntl
import os
import pty
import re
import struct
import subprocess
import termios

import pytest

from conftest import ATTN, attn

WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uff00-\uff60]")


def run_in_terminal(arguments, columns, cwd):
    """Runs attn with stdout and stderr on a pseudo-terminal `columns` wide; returns (rc, output)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen([str(ATTN), *arguments], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                               cwd=cwd, env=dict(os.environ, COLUMNS="500"))
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=300)
    os.close(master)
    return process.returncode, output.decode()


def width(text):
    return len(text) + len(WIDE.findall(text))


@pytest.mark.parametrize("columns", [60, 100])
def test_train_bar_fits_the_terminal_and_ends_with_elapsed_time_and_rate(tmp_path, columns):
    rc, output = run_in_terminal(["train", "--steps", "30", "--out", "m.safetensors"], columns, tmp_path)
    assert rc == 0, output
    segments = [segment.replace("\x1b[K", "") for segment in re.split(r"[\r\n]", output)]
    bars = [segment for segment in segments if segment.startswith("train ")]
    assert len(bars) >= 2, output  # drawn at least once before the end, in place (\r)
    assert "\r" in output.replace("\r\n", "")
    for bar in bars:
        assert width(bar) < columns, (columns, bar)
    final = bars[-1]
    assert re.match(r"train 100%\|█+\| 30/30 \[\d\d:\d\d, [\d.]+k? tok/s\]", final), final
    assert "ETA" not in output and "<" not in final
    if columns >= 100:
        assert "loss" in final


def test_train_without_a_terminal_prints_plain_lines(tmp_path):
    result = attn("train", "--steps", "3", "--out", "m.safetensors", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout and "\x1b" not in result.stdout
    assert re.search(r"^step +\d+ +loss", result.stdout, re.M), result.stdout
