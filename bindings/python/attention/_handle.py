"""The base of every class that owns a libattention handle (tokenizer, model, trainer, context).

A handle is freed exactly once: by `close()`, by leaving a `with` block, or when the object is
garbage collected. Calls borrow the handle for their duration, so closing an object while another
thread is inside a call on it defers the free until that call returns instead of pulling the
memory from under it. Objects the C ABI says belong to one thread at a time (contexts, trainers)
are `exclusive`: their calls are serialized, and a call from inside one of their own callbacks is
refused rather than corrupting the state the outer call is using — except calls that the C ABI
allows between two steps (`_borrow(from_callback=True)`: saving a checkpoint, reading the step,
setting the learning rate), which a progress callback may make.
"""
import ctypes
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Type, TypeVar

from ._status import check
from .errors import ClosedError, InvalidArgumentError

H = TypeVar("H", bound="Handle")


class Handle:
    """Owns one C handle; subclasses set `_free` to the matching `attn_X_free`."""

    _free: Any = None
    _exclusive = False
    # Class-level defaults so that close() and __del__ work on an object whose __init__ failed
    # before the handle existed.
    _pointer: Any = None
    _lock: Optional[threading.Lock] = None

    def __init__(self, pointer: Any) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._closing = False
        self._call_lock = threading.Lock() if self._exclusive else None
        self._caller: Optional[int] = None
        self._pointer = pointer

    @classmethod
    def _adopt(cls: Type[H], pointer: Any) -> H:
        """Wraps a handle the library just created (by a load or a getter such as
        attn_model_get_tokenizer) without running the subclass's __init__; `_adopted` then
        sets up what that __init__ would have."""
        wrapper = cls.__new__(cls)
        Handle.__init__(wrapper, pointer)
        wrapper._adopted()
        return wrapper

    def _adopted(self) -> None:
        """Called on an object `_adopt` made; subclasses that cache something about their
        handle in __init__ override it."""

    def _get_int64(self, getter: Any) -> int:
        """The int64_t that `getter(handle, int64_t *value)`, an attn_<object>_get_<what>
        export, reports for this object."""
        value = ctypes.c_int64()
        with self._borrow() as handle:
            check(getter(handle, ctypes.byref(value)))
        return value.value

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._pointer is None or self._closing

    @contextmanager
    def _borrow(self, from_callback: bool = False) -> Iterator[Any]:
        """The C pointer, valid until the block ends even if another thread closes the object.
        With `from_callback`, a call made by one of this object's callbacks (on the thread that
        is running it) goes through instead of being refused."""
        lock = self._lock
        if lock is None:
            raise ClosedError(f"{type(self).__name__} was not initialized")
        with lock:
            if self._pointer is None or self._closing:
                raise ClosedError(f"this {type(self).__name__} is closed")
            self._users += 1
        try:
            if self._call_lock is None or (from_callback and self._caller == threading.get_ident()):
                yield self._pointer
            else:
                if self._caller == threading.get_ident():
                    raise InvalidArgumentError(
                        f"this {type(self).__name__} is already in a call on this thread "
                        "(a callback may not use the object that called it)")
                with self._call_lock:
                    self._caller = threading.get_ident()
                    try:
                        yield self._pointer
                    finally:
                        self._caller = None
        finally:
            with lock:
                self._users -= 1
                release = self._closing and self._users == 0
            if release:
                self._release()

    def _release(self) -> None:
        pointer, self._pointer = self._pointer, None
        if pointer is not None:
            self._free(pointer)

    def close(self) -> None:
        """Frees the handle (at the end of any call running on another thread). Idempotent."""
        lock = self._lock
        if lock is None:
            return
        with lock:
            if self._pointer is None or self._closing:
                return
            self._closing = True
            release = self._users == 0
        if release:
            self._release()

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A copy would share the handle and free it twice.
        raise TypeError(f"{type(self).__name__} objects cannot be copied or pickled "
                        "(a model can: Model.from_bytes(model.to_bytes()))")

    def __enter__(self: H) -> H:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # at interpreter shutdown, anything may already be torn down
            pass

    def _describe(self) -> str:
        """What `repr` shows of an open object between its class name and "open"; subclasses
        override it. It must not block (a repr may be taken while another thread is in a call)."""
        return ""

    def __repr__(self) -> str:
        name = f"attention.{type(self).__name__}"
        if self.closed:
            return f"<{name} closed>"
        try:
            details = self._describe()
        except ClosedError:  # closed by another thread meanwhile
            return f"<{name} closed>"
        return f"<{name} {details + ', ' if details else ''}open>"
