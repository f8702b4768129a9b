"""Finds and loads libattention.so, and checks that its ABI matches these bindings.

Search order:
  1. the ATTENTION_LIBRARY environment variable (a path to the .so);
  2. the package folder (a copy installed with the package);
  3. a SwiftPM release build in an enclosing checkout (`.build/release/libattention.so`);
  4. the system's library path (`ctypes.util.find_library("attention")`).
"""
import ctypes
import ctypes.util
import os

#: The ABI version (ATTN_ABI_VERSION in attention.h) these bindings were written against.
ABI_VERSION = 2

LIBRARY_NAME = "libattention.so"


def candidate_paths():
    """Paths to try, in order."""
    override = os.environ.get("ATTENTION_LIBRARY")
    if override:
        return [override]
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.join(here, LIBRARY_NAME)]
    folder = here
    while True:
        paths.append(os.path.join(folder, ".build", "release", LIBRARY_NAME))
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    system = ctypes.util.find_library("attention")
    if system:
        paths.append(system)
    return paths


def load():
    """Loads the library (CDLL, so calls release the GIL) and verifies its ABI version."""
    tried = []
    for path in candidate_paths():
        if not (os.path.isabs(path) and not os.path.exists(path)):
            try:
                library = ctypes.CDLL(path)
            except OSError as error:
                tried.append(f"{path}: {error}")
                continue
            library.attn_abi_version.restype = ctypes.c_int
            library.attn_abi_version.argtypes = []
            found = library.attn_abi_version()
            if found != ABI_VERSION:
                raise ImportError(
                    f"{path} has ABI version {found}, these bindings need {ABI_VERSION}")
            return library
        tried.append(f"{path}: not found")
    raise ImportError("libattention.so not found; build it with `swift build -c release` or set "
                      "ATTENTION_LIBRARY. Tried:\n  " + "\n  ".join(tried))
