"""Turns a non-zero `attn_status` into the matching exception."""
from . import _capi
from .errors import error_for_status


def check(status):
    """Raises the AttentionError subclass for `status`, with the library's message."""
    if status != _capi.ATTN_OK:
        message = (_capi.attn_last_error() or b"").decode("utf-8", "replace")
        raise error_for_status(status, message or _capi.attn_status_string(status).decode())
