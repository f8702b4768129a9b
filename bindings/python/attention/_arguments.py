"""Converts Python arguments into what the C ABI takes: UTF-8 bytes, contiguous int32 ids and
config structs."""
import ctypes
import operator
import os
from typing import Any, Dict, Mapping, Union

import numpy as np

from .errors import InvalidArgumentError, ShapeError

Text = Union[str, bytes, bytearray, memoryview]
Path = Union[str, bytes, os.PathLike]

_INT32 = np.iinfo(np.int32)


def utf8(text: Text, name: str) -> bytes:
    """`text` as UTF-8 bytes. A str is encoded with lone surrogates passed through, so that the
    library (not Python) rejects them with a UTF8Error naming the byte offset."""
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"{name} must be str or bytes, got {type(text).__name__}")


def path(value: Path) -> bytes:
    """A file-system path as the bytes the C library opens: a str through os.fsencode (so a
    name Python decoded with surrogate escapes, "\\udcff", is the original byte again), bytes
    as given, an os.PathLike through its __fspath__. InvalidArgumentError (a ValueError, as
    open() raises) for an embedded NUL: C would silently stop reading the path there."""
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"a path must be str, bytes or os.PathLike, got {type(value).__name__}")
    encoded = os.fsencode(value)
    if b"\0" in encoded:
        raise InvalidArgumentError(f"embedded null byte in path {encoded!r}")
    return encoded


def token_ids(values: Any, name: str, ndim: int) -> np.ndarray:
    """`values` as a C-contiguous int32 array with `ndim` dimensions, without copying when it
    already is one. Any integer dtype is accepted if its values fit int32 (the library checks
    them against the vocabulary); an empty list counts as integer."""
    array = np.asarray(values)
    if array.ndim != ndim:
        raise ShapeError(f"{name} must have {ndim} dimension{'s' if ndim > 1 else ''}, "
                         f"got shape {array.shape}")
    if array.dtype == np.int32 and array.flags.c_contiguous:
        return array
    if not (np.issubdtype(array.dtype, np.integer) or (array.size == 0 and array.dtype == np.float64)):
        raise InvalidArgumentError(f"{name} must hold integer token ids, got dtype {array.dtype}")
    if array.size and (array.min() < _INT32.min or array.max() > _INT32.max):
        raise InvalidArgumentError(f"{name} holds ids outside the int32 range")
    return np.ascontiguousarray(array, dtype=np.int32)


_INTEGER_RANGES = {
    ctypes.c_int: (-2**31, 2**31 - 1),
    ctypes.c_int32: (-2**31, 2**31 - 1),
    ctypes.c_int64: (-2**63, 2**63 - 1),
    ctypes.c_uint64: (0, 2**64 - 1),
    ctypes.c_size_t: (0, 2**64 - 1),
}


def set_fields(struct: ctypes.Structure, values: Mapping[str, Any], owner: str) -> None:
    """Assigns `values` to the fields of a ctypes struct, refusing integers the field cannot hold
    (ctypes would silently wrap them)."""
    types = dict(struct._fields_)
    for name, value in values.items():
        limits = _INTEGER_RANGES.get(types[name])
        if limits is not None:
            value = operator.index(value)  # TypeError for a float or None
            if not limits[0] <= value <= limits[1]:
                raise InvalidArgumentError(f"{owner}.{name} = {value} is outside {limits[0]}...{limits[1]}")
        setattr(struct, name, value)


def struct_values(struct: ctypes.Structure) -> Dict[str, Any]:
    """The fields of a config struct except struct_size, floats as the shortest decimal that
    rounds to the same float32 (0.001, not 0.0010000000474974513)."""
    values = {}
    for name, field_type in struct._fields_:
        if name != "struct_size":
            value = getattr(struct, name)
            values[name] = float(str(np.float32(value))) if field_type is ctypes.c_float else value
    return values
