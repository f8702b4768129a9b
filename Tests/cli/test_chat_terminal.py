"""Interactive `attn chat` in a terminal (a pseudo-terminal): it says what to do, answers a
question on its own line, and Ctrl-D ends the session on a fresh line with status 0 (issue 18,
item 9)."""
import os
import pty
import select
import subprocess
import time

import pytest

from conftest import ATTN, attn

QUESTION, ANSWER = "你吃了吗？", "吃了。"


@pytest.fixture(scope="module")
def chat_model(tmp_path_factory):
    """A seq2seq model that has learned the built-in pairs (200 steps at 3e-3, a few seconds)."""
    path = tmp_path_factory.mktemp("chat") / "chat.safetensors"
    trained = attn("train", "--model", "seq2seq", "--steps", "200", "--learning-rate", "3e-3", "--log",
                   "--out", str(path))
    assert trained.returncode == 0, trained.stderr
    return path


class Terminal:
    """A child process whose stdin, stdout and stderr are one pseudo-terminal."""

    def __init__(self, arguments):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([str(ATTN), *arguments], stdin=slave, stdout=slave, stderr=slave,
                                        env=dict(os.environ, NO_COLOR="1"), start_new_session=True)
        os.close(slave)
        self.output = b""
        self.consumed = 0  # bytes of output returned by read_until so far

    def read_until(self, ending, timeout=120):
        """Reads until the output not yet returned ends with `ending` (bytes); returns that part."""
        deadline = time.monotonic() + timeout
        while not self.output[self.consumed:].endswith(ending):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {ending!r} after {timeout} s: {self.output.decode(errors='replace')!r}"
            if select.select([self.master], [], [], remaining)[0]:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                assert chunk, f"the terminal closed before {ending!r}: {self.output.decode(errors='replace')!r}"
                self.output += chunk
        part, self.consumed = self.output[self.consumed:], len(self.output)
        return part

    def write(self, data):
        os.write(self.master, data)

    def finish(self, timeout=60):
        """Reads to the end of the output; returns the exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and select.select([self.master], [], [], deadline - time.monotonic())[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.output += chunk
        os.close(self.master)
        return self.process.wait(timeout=timeout)


def test_interactive_chat_says_what_to_do_answers_and_ends_cleanly_on_ctrl_d(chat_model):
    terminal = Terminal(["chat", "--model", str(chat_model)])
    try:
        first = terminal.read_until(b"> ").decode()
        lines = first.split("\r\n")
        assert len(lines) == 2 and lines[1] == "> ", first
        assert "Type a question and press Enter" in lines[0] and "Ctrl-D" in lines[0], lines[0]
        terminal.write(f"{QUESTION}\n".encode())
        # The terminal echoes the question; the answer follows on its own line, then a new prompt.
        exchange = terminal.read_until(b"\r\n> ").decode()
        assert exchange.split("\r\n") == [QUESTION, ANSWER, "> "], exchange
        terminal.write(b"\x04")  # Ctrl-D on an empty line: end of input
        status = terminal.finish()
    finally:
        if terminal.process.poll() is None:
            terminal.process.kill()
    assert status == 0, terminal.output
    rest = terminal.output[terminal.consumed:].decode()
    assert rest == "\r\n", f"after Ctrl-D the prompt's line must end, and nothing else printed: {rest!r}"
