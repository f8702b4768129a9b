"""Ctrl-C during a long library call (a training run, a generation).

Python runs a signal handler only when Python code runs: inside a library call that is at the
next progress or token callback, and the default handler would raise KeyboardInterrupt right at
the callback's entry, where no `try` can catch it, so ctypes would print and drop it. While a long
call runs on the main thread, `interruptible()` installs a handler that only records the request;
the callbacks see it and stop the call, and KeyboardInterrupt is raised once the call returned.
"""
import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, List


@contextmanager
def interruptible() -> Iterator[Callable[[], bool]]:
    """Yields a function telling whether Ctrl-C was pressed; raises KeyboardInterrupt at the end
    if it was. Does nothing off the main thread or when the program has its own SIGINT handler."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield lambda: False
        return
    requests: List[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: requests.append(signum))
    try:
        yield lambda: bool(requests)
    finally:
        signal.signal(signal.SIGINT, previous)
    if requests:
        raise KeyboardInterrupt
