"""Exceptions raised for a failed libattention call, one class per `attn_status`."""


class AttentionError(Exception):
    """A libattention call failed. `status` is the `attn_status` code, `message` the library's
    explanation (from `attn_last_error()`)."""

    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NullPointerError(AttentionError):
    status = 1


class InvalidArgumentError(AttentionError, ValueError):
    status = 2


class ShapeError(AttentionError, ValueError):
    status = 3


class OutOfMemoryError(AttentionError, MemoryError):
    status = 4


class LibraryIOError(AttentionError, OSError):
    status = 5


class FormatError(AttentionError, ValueError):
    status = 6


class UTF8Error(AttentionError, UnicodeError):
    status = 7


class InternalError(AttentionError):
    status = 8


class ClosedError(NullPointerError, ValueError):
    """An object was used after `close()`: its handle is gone (the library would see NULL).
    A ValueError too, like using a closed Python file."""


ERROR_CLASSES = {cls.status: cls for cls in (
    NullPointerError, InvalidArgumentError, ShapeError, OutOfMemoryError, LibraryIOError,
    FormatError, UTF8Error, InternalError)}


def error_for_status(status, message):
    """The exception instance for a non-zero status."""
    cls = ERROR_CLASSES.get(status, AttentionError)
    return cls(message, status)