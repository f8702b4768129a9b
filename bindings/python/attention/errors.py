"""Exceptions raised for a failed libattention call, one class per `attn_status` (the status
values come from `_capi`, the header's mirror)."""
from . import _capi


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
    status = _capi.ATTN_ERR_NULL_POINTER


class InvalidArgumentError(AttentionError, ValueError):
    status = _capi.ATTN_ERR_INVALID_ARGUMENT


class ShapeError(AttentionError, ValueError):
    status = _capi.ATTN_ERR_SHAPE


class OutOfMemoryError(AttentionError, MemoryError):
    status = _capi.ATTN_ERR_OUT_OF_MEMORY


class LibraryIOError(AttentionError, OSError):
    status = _capi.ATTN_ERR_IO


class FormatError(AttentionError, ValueError):
    status = _capi.ATTN_ERR_FORMAT


class UTF8Error(AttentionError, UnicodeError):
    status = _capi.ATTN_ERR_UTF8


class InternalError(AttentionError):
    status = _capi.ATTN_ERR_INTERNAL


class ClosedError(NullPointerError, ValueError):
    """An object was used after `close()`: its handle is gone (the library would see NULL).
    A ValueError too, like using a closed Python file."""


ERROR_CLASSES = {cls.status: cls for cls in (
    NullPointerError, InvalidArgumentError, ShapeError, OutOfMemoryError, LibraryIOError,
    FormatError, UTF8Error, InternalError)}


class UnknownCharactersWarning(UserWarning):
    """Text given to a model had characters outside its vocabulary; they were read as the UNK
    token. `Context(model, strict_vocabulary=True)` refuses such text instead."""


def error_for_status(status, message):
    """The exception instance for a non-zero status."""
    cls = ERROR_CLASSES.get(status, AttentionError)
    return cls(message, status)