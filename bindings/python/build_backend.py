"""The PEP 517 build backend of the `attention` package: builds libattention.so when needed and
writes a platform wheel that carries it, so that `pip install ./bindings/python` gives a package
that imports in any environment with no variables set.

Why not setuptools: the wheel holds pure Python plus one prebuilt shared library, and its tag
must be `py3-none-<platform>` (any Python 3, one OS/CPU). Writing the zip directly takes ~100
lines, needs nothing from PyPI at build time, and keeps the library out of the source tree.

The library is the self-contained release build that .ci/run checks (the Swift runtime linked
in, `-static-stdlib`; it needs only libc, libm, libstdc++, libgcc_s and libomp):

    swift build -c release --product attention -Xswiftc -static-stdlib --scratch-path .build-static

Built for the portable baseline with run-time ISA dispatch (no `-target-cpu native`; the backend
drops ATTN_TARGET_CPU from the build's environment), so a wheel built on an AVX-512 machine runs
on an AVX2-only one.

When it is rebuilt: `<checkout>/.build-static/release/libattention.so` is reused as it is when it
is newer than every file it is built from (Package.swift, Package.resolved, everything under
Sources/ and include/). Otherwise the build above runs (SwiftPM recompiles only what changed, and
the library is then marked current), with its output streamed to stderr (`pip install -v` and
scripts/build-wheel.sh show it). A stale or missing library with
no toolchain is an error that says what to install.

The toolchain: $ATTENTION_SWIFT (a path to `swift`), else /opt/swift/usr/bin/swift, else `swift`
on PATH.
"""
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
NAME = "attention"
LIBRARY_NAME = "libattention.so"
SWIFT_BUILD_ARGUMENTS = ["build", "-c", "release", "--product", "attention",
                         "-Xswiftc", "-static-stdlib", "--scratch-path", ".build-static"]
DEFAULT_SWIFT = "/opt/swift/usr/bin/swift"
# Paths (relative to the checkout) whose contents the library is built from.
LIBRARY_INPUTS = ["Package.swift", "Package.resolved", "Sources", "include"]


class BuildError(RuntimeError):
    """The wheel cannot be built; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------
# Metadata

def _project():
    """The package version: the `__version__` line of attention/__init__.py."""
    with open(os.path.join(PACKAGE_DIR, NAME, "__init__.py"), encoding="utf-8") as file:
        match = re.search(r'^__version__ = "([^"]+)"', file.read(), re.MULTILINE)
    if match is None:
        raise BuildError("attention/__init__.py has no `__version__ = \"...\"` line")
    return match.group(1)


def _metadata(version):
    """The METADATA file (core metadata 2.1)."""
    return "\n".join([
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {version}",
        "Summary: Python bindings (ctypes) for libattention, a small embeddable deep-learning runtime",
        "Requires-Python: >=3.9",
        "Requires-Dist: numpy>=1.22",
        "Provides-Extra: test",
        "Requires-Dist: pytest>=7; extra == \"test\"",
        "",
        "The ctypes bindings of libattention, a CPU deep-learning runtime written in Swift, with "
        "a self-contained libattention.so inside the wheel.",
        "",
    ])


def _wheel_tag():
    """py3-none-<platform>, e.g. py3-none-linux_x86_64: any Python 3 (ctypes, no extension
    module), this OS and CPU (the library)."""
    return "py3-none-" + re.sub(r"[^A-Za-z0-9_]", "_", sysconfig.get_platform())


def _dist_info(version):
    return f"{NAME}-{version}.dist-info"


def _wheel_file(tag, pure):
    return "\n".join(["Wheel-Version: 1.0", "Generator: attention build_backend",
                      f"Root-Is-Purelib: {'true' if pure else 'false'}", f"Tag: {tag}", ""])


# ---------------------------------------------------------------------------------------------
# The library

def checkout_root():
    """The libattention checkout this package folder sits in (bindings/python → ../..)."""
    root = os.path.dirname(os.path.dirname(PACKAGE_DIR))
    if not os.path.isfile(os.path.join(root, "Package.swift")):
        raise BuildError(
            f"{PACKAGE_DIR} is not inside a libattention checkout (no Package.swift two folders up); "
            "build from the repository: pip install ./bindings/python, or scripts/build-wheel.sh")
    return root


def _newest_input(root):
    """(mtime, path) of the most recently modified file the library is built from."""
    newest = (0.0, "")
    for name in LIBRARY_INPUTS:
        top = os.path.join(root, name)
        if os.path.isfile(top):
            newest = max(newest, (os.stat(top).st_mtime, top))
        for folder, _, files in os.walk(top):
            for file in files:
                path = os.path.join(folder, file)
                newest = max(newest, (os.stat(path).st_mtime, path))
    return newest


def library_is_current(root):
    """Whether the static library exists and is newer than every input; (bool, reason)."""
    library = os.path.join(root, ".build-static", "release", LIBRARY_NAME)
    if not os.path.isfile(library):
        return False, f"{library} does not exist"
    built = os.stat(library).st_mtime
    newest, path = _newest_input(root)
    if newest > built:
        return False, f"{os.path.relpath(path, root)} is newer than {os.path.relpath(library, root)}"
    return True, f"{os.path.relpath(library, root)} is newer than every source"


def find_swift():
    """The swift executable to build with, or None."""
    override = os.environ.get("ATTENTION_SWIFT")
    if override:
        return override if os.path.isfile(override) and os.access(override, os.X_OK) else None
    if os.access(DEFAULT_SWIFT, os.X_OK):
        return DEFAULT_SWIFT
    return shutil.which("swift")


def _log(message):
    print(f"attention build: {message}", file=sys.stderr, flush=True)


def build_library(root):
    """The path of an up-to-date static libattention.so, building it when needed."""
    library = os.path.join(root, ".build-static", "release", LIBRARY_NAME)
    current, reason = library_is_current(root)
    if current:
        _log(f"reusing {library} ({reason})")
        return library
    swift = find_swift()
    if swift is None:
        where = (f"ATTENTION_SWIFT={os.environ['ATTENTION_SWIFT']} is not an executable file"
                 if os.environ.get("ATTENTION_SWIFT") else
                 f"neither {DEFAULT_SWIFT} nor `swift` on PATH exists")
        raise BuildError(
            f"libattention.so must be built ({reason}) but there is no Swift toolchain: {where}. "
            f"Install Swift 6.3 or newer (https://www.swift.org/install/linux/) so that "
            f"{DEFAULT_SWIFT} or `swift` on PATH exists, or set ATTENTION_SWIFT to the swift "
            "executable; LLVM's OpenMP (Debian: apt-get install libomp-dev) is needed too.")
    command = [swift] + SWIFT_BUILD_ARGUMENTS
    _log(f"building libattention.so ({reason}): {' '.join(command)}")
    started = time.monotonic()
    environment = dict(os.environ, PATH=os.path.dirname(swift) + os.pathsep + os.environ.get("PATH", ""))
    # Package.swift raises the CPU baseline from ATTN_TARGET_CPU (e.g. native): a wheel must run
    # on any x86-64 with AVX2, so it always gets the portable baseline.
    if environment.pop("ATTN_TARGET_CPU", None) is not None:
        _log("ignoring ATTN_TARGET_CPU: the wheel's library keeps the portable baseline")
    process = subprocess.Popen(command, cwd=root, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace")
    for line in process.stdout:  # SwiftPM's "[12/40] Compiling ..." lines are the progress
        print(f"  {line.rstrip()}", file=sys.stderr, flush=True)
    if process.wait() != 0:
        raise BuildError(f"`{' '.join(command)}` failed with status {process.returncode} (output above)")
    if not os.path.isfile(library):
        raise BuildError(f"the Swift build succeeded but {library} does not exist")
    # SwiftPM leaves an up-to-date library untouched even when a source's mtime moved (a checkout
    # of the same content): mark it current so the next wheel reuses it without asking again.
    os.utime(library)
    _log(f"built {library} in {time.monotonic() - started:.0f} s")
    return library


def check_library(library, version):
    """Refuses a library that still needs the Swift runtime or whose version is not the
    package's (a stale build, or a version bumped in one place only)."""
    with open(library, "rb") as file:
        contents = file.read()
    if b"libswiftCore.so" in contents:
        raise BuildError(f"{library} links the Swift runtime dynamically; build it with "
                         "-Xswiftc -static-stdlib (as above) so the wheel needs no Swift toolchain")
    library_version = _library_version(library)
    if library_version != version:
        raise BuildError(f"{library} is version {library_version} but the package is {version}: "
                         "keep attention/__init__.py's __version__ and libraryVersion in "
                         "Sources/AttentionCAPI/Library.swift equal")


def _library_version(library):
    """attn_version() of the library, read in a child process (loading it here would keep the
    file mapped in the build frontend)."""
    code = ("import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); lib.attn_version.restype = ctypes.c_char_p; "
            "print(lib.attn_version().decode())")
    result = subprocess.run([sys.executable, "-c", code, library], capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"{library} does not load: {result.stderr.strip()}")
    return result.stdout.strip()


# ---------------------------------------------------------------------------------------------
# Wheels

class _WheelWriter:
    """A wheel being written: files go in, RECORD (sha256 and size of each) is written last."""

    def __init__(self, path, dist_info):
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.dist_info = dist_info
        self.records = []

    def _store(self, name, data):
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible wheels
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.zip.writestr(info, data)

    def add(self, name, data):
        self._store(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self.records.append(f"{name},sha256={digest},{len(data)}")

    def close(self):
        self.records.append(f"{self.dist_info}/RECORD,,")  # RECORD lists itself without a hash
        self._store(f"{self.dist_info}/RECORD", ("\n".join(self.records) + "\n").encode())
        self.zip.close()


def _package_files():
    """(name in the wheel, path) of the Python package: its .py files and py.typed."""
    folder = os.path.join(PACKAGE_DIR, NAME)
    for file in sorted(os.listdir(folder)):
        if file.endswith(".py") or file == "py.typed":
            yield f"{NAME}/{file}", os.path.join(folder, file)


def _read(path):
    with open(path, "rb") as file:
        return file.read()


def _write_dist_info(wheel_or_folder, version, tag, pure):
    files = {"METADATA": _metadata(version), "WHEEL": _wheel_file(tag, pure)}
    if isinstance(wheel_or_folder, _WheelWriter):
        for name, text in files.items():
            wheel_or_folder.add(f"{_dist_info(version)}/{name}", text.encode())
    else:
        folder = os.path.join(wheel_or_folder, _dist_info(version))
        os.makedirs(folder, exist_ok=True)
        for name, text in files.items():
            with open(os.path.join(folder, name), "w", encoding="utf-8") as file:
                file.write(text)


def _write_wheel(wheel_directory, version, tag, pure, contents):
    """Writes the wheel atomically (a partial file never has the final name) and returns its name."""
    name = f"{NAME}-{version}-{tag}.whl"
    final = os.path.join(wheel_directory, name)
    partial = final + ".partial"
    wheel = _WheelWriter(partial, _dist_info(version))
    try:
        for entry, data in contents:
            wheel.add(entry, data)
        _write_dist_info(wheel, version, tag, pure)
        wheel.close()
        os.replace(partial, final)
    except BaseException:
        wheel.zip.close()
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    return name


# ---------------------------------------------------------------------------------------------
# PEP 517 / PEP 660 hooks

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    version = _project()
    _write_dist_info(metadata_directory, version, _wheel_tag(), pure=False)
    return _dist_info(version)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel with the package and libattention.so inside it (attention/libattention.so)."""
    version = _project()
    library = build_library(checkout_root())
    check_library(library, version)
    contents = [(entry, _read(path)) for entry, path in _package_files()]
    contents.append((f"{NAME}/{LIBRARY_NAME}", _read(library)))
    name = _write_wheel(wheel_directory, version, _wheel_tag(), pure=False, contents=contents)
    _log(f"wrote {os.path.join(wheel_directory, name)}")
    return name


def build_sdist(sdist_directory, config_settings=None):
    """Refused: the package is built from the whole Swift checkout (Package.swift, Sources/,
    include/), which a source distribution of this folder would not contain."""
    raise BuildError("no source distribution: the library is built from the whole libattention "
                     "checkout; build a wheel (scripts/build-wheel.sh, or `python -m build --wheel`) "
                     "or pip install ./bindings/python")


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """`pip install -e`: a .pth file puts this folder on sys.path; the library is then found in
    the checkout's build folders (see attention/_library.py), so no library is built here."""
    version = _project()
    contents = [(f"__editable__.{NAME}.pth", (PACKAGE_DIR + "\n").encode())]
    return _write_wheel(wheel_directory, version, "py3-none-any", pure=True, contents=contents)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    version = _project()
    _write_dist_info(metadata_directory, version, "py3-none-any", pure=True)
    return _dist_info(version)


if __name__ == "__main__":
    # scripts/build-wheel.sh: python3 bindings/python/build_backend.py OUT_DIR
    out = sys.argv[1] if len(sys.argv) > 1 else "dist"
    try:
        os.makedirs(out, exist_ok=True)
        print(os.path.join(out, build_wheel(out)))
    except BuildError as error:
        print(f"attention build: error: {error}", file=sys.stderr)
        sys.exit(1)
