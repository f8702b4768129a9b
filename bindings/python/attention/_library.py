"""Finds and loads libattention (libattention.so; libattention.dylib where the platform names
shared libraries so), and checks that its ABI matches these bindings.

Search order:
  1. the ATTENTION_LIBRARY environment variable (a path to the .so), when set and not empty:
     then only that file;
  2. the package folder: the copy an installed wheel carries (`pip install ./bindings/python`);
  3. the build folders of an enclosing checkout, for running from the source tree:
     `.build/release/libattention.so`, then `.build-static/release/libattention.so` (each
     name also tried as libattention.dylib);
  4. the system's library path (`ctypes.util.find_library("attention")`).
"""
import ctypes
import ctypes.util
import os
import sys

#: The ABI version (ATTN_ABI_VERSION in attention.h) these bindings were written against.
ABI_VERSION = 2

#: The library's file names, the platform's own first.
LIBRARY_NAMES = ("libattention.dylib", "libattention.so") if sys.platform == "darwin" else \
    ("libattention.so", "libattention.dylib")
LIBRARY_NAME = LIBRARY_NAMES[0]


def candidate_paths():
    """Paths to try, in order, when ATTENTION_LIBRARY is not set."""
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.join(here, name) for name in LIBRARY_NAMES]
    folder = here
    while True:
        for build in (".build", ".build-static"):
            paths += [os.path.join(folder, build, "release", name) for name in LIBRARY_NAMES]
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    system = ctypes.util.find_library("attention")
    if system:
        paths.append(system)
    return paths


def _open(path):
    """The library at `path` after checking its ABI version; ImportError when it is not a
    loadable libattention of that version."""
    # A name with a slash is a file dlopen opens as it is: refuse what is not a regular file
    # before it does (dlopen on a FIFO would block forever). A bare name is searched for on the
    # library path, as dlopen does.
    if os.sep in path and os.path.exists(path) and not os.path.isfile(path):
        kind = "a directory" if os.path.isdir(path) else "not a regular file"
        raise ImportError(f"{path} is {kind}, not a shared library")
    try:
        library = ctypes.CDLL(path)
    except OSError as error:
        raise ImportError(f"{path} cannot be loaded: {error}") from None
    try:
        abi_version = library.attn_abi_version
    except AttributeError:
        raise ImportError(f"{path} is not libattention (it exports no attn_abi_version)") from None
    abi_version.restype = ctypes.c_int
    abi_version.argtypes = []
    found = abi_version()
    if found != ABI_VERSION:
        raise ImportError(f"{path} has ABI version {found}, these bindings need {ABI_VERSION}")
    return library


def load():
    """Loads the library (CDLL, so calls release the GIL) and verifies its ABI version. A file
    that exists but does not load is an error rather than a reason to try the next path: the
    next one would hide why the intended library was not used."""
    override = os.environ.get("ATTENTION_LIBRARY")
    if override:
        try:
            return _open(override)
        except ImportError as error:
            raise ImportError(f"ATTENTION_LIBRARY: {error}") from None
    tried = []
    for path in candidate_paths():
        if os.path.isabs(path) and not os.path.exists(path):
            tried.append(f"{path}: not found")
            continue
        return _open(path)
    raise ImportError(f"{LIBRARY_NAME} not found: reinstall the package (pip install ./bindings/python "
                      "builds it), build it in the checkout (swift build -c release --product attention) "
                      "or set ATTENTION_LIBRARY to its path. Tried:\n  " + "\n  ".join(tried))
