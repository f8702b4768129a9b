"""The build backend (bindings/python/build_backend.py) on a copy of the checkout's layout:
reuse of an up-to-date library, the build when it is stale (with a stand-in `swift`), the errors
for a missing toolchain, a failing build, a library that needs the Swift runtime, a version
mismatch and a package folder outside a checkout; the wheel's tag, files and RECORD; and
`pip install` of the folder. Nothing here touches the real checkout or runs the real toolchain."""
import base64
import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile

import pytest

import attention

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))))
BINDINGS = os.path.join(CHECKOUT, "bindings", "python")
TAG = "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")


def static_library():
    """A self-contained libattention.so to put in the fake checkout: the checkout's static
    build, else the loaded library when it is self-contained (the installed copy)."""
    for path in (os.path.join(CHECKOUT, ".build-static", "release", "libattention.so"), attention._capi.lib._name):
        if os.path.isfile(path):
            with open(path, "rb") as file:
                if b"libswiftCore.so" not in file.read():
                    return path
    pytest.skip("no self-contained libattention.so (run the -static-stdlib build)")


@pytest.fixture
def checkout(tmp_path):
    """A minimal checkout: Package.swift, one source, the header, bindings/python with the
    backend and the package; sources dated an hour ago."""
    root = tmp_path / "checkout"
    (root / "Sources" / "Engine").mkdir(parents=True)
    (root / "include").mkdir()
    (root / "Package.swift").write_text("// swift-tools-version:6.1\n")
    (root / "Sources" / "Engine" / "Engine.swift").write_text("let x = 1\n")
    (root / "include" / "attention.h").write_text("/* header */\n")
    package = root / "bindings" / "python"
    package.mkdir(parents=True)
    for name in ("build_backend.py", "pyproject.toml"):
        shutil.copy(os.path.join(BINDINGS, name), package / name)
    shutil.copytree(os.path.join(BINDINGS, "attention"), package / "attention",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    an_hour_ago = time.time() - 3600
    for folder, _, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(folder, name), (an_hour_ago, an_hour_ago))
    return root


def place_library(root, source=None, age=0.0):
    library = root / ".build-static" / "release" / "libattention.so"
    library.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source or static_library(), library)
    os.utime(library, (time.time() - age, time.time() - age))
    return library


def build(root, out, **environment):
    """Runs the backend's command-line entry (what scripts/build-wheel.sh calls) without a
    toolchain unless `environment` names one."""
    env = dict(os.environ, ATTENTION_SWIFT=str(root / "no-such-swift"))
    env.update(environment)
    return subprocess.run([sys.executable, str(root / "bindings" / "python" / "build_backend.py"), str(out)],
                          env=env, capture_output=True, text=True, timeout=300)


def check_wheel(path, library):
    """The wheel's name, files, RECORD hashes, WHEEL tag and METADATA."""
    assert os.path.basename(path) == f"attention-{attention.__version__}-{TAG}.whl"
    with zipfile.ZipFile(path) as wheel:
        names = set(wheel.namelist())
        dist_info = f"attention-{attention.__version__}.dist-info"
        package_files = {f"attention/{name}" for name in os.listdir(os.path.join(BINDINGS, "attention"))
                         if name.endswith(".py") or name == "py.typed"}
        assert names == package_files | {"attention/libattention.so", f"{dist_info}/METADATA",
                                         f"{dist_info}/WHEEL", f"{dist_info}/RECORD"}
        with open(library, "rb") as file:
            assert wheel.read("attention/libattention.so") == file.read()
        records = list(csv.reader(io.StringIO(wheel.read(f"{dist_info}/RECORD").decode())))
        assert {row[0] for row in records} == names
        for name, digest, size in records:
            if name.endswith("RECORD"):
                assert digest == size == ""
                continue
            data = wheel.read(name)
            assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert int(size) == len(data)
        assert f"Tag: {TAG}" in wheel.read(f"{dist_info}/WHEEL").decode().splitlines()
        metadata = wheel.read(f"{dist_info}/METADATA").decode().splitlines()
        assert f"Version: {attention.__version__}" in metadata and "Name: attention" in metadata
        assert any(line.startswith("Requires-Dist: numpy") for line in metadata)


def test_an_up_to_date_library_is_reused_without_a_toolchain(checkout, tmp_path):
    library = place_library(checkout)
    result = build(checkout, tmp_path / "dist")
    assert result.returncode == 0, result.stderr
    assert "reusing" in result.stderr and "newer than every source" in result.stderr
    wheel = result.stdout.strip()
    check_wheel(wheel, library)
    assert os.listdir(tmp_path / "dist") == [os.path.basename(wheel)], "no partial file is left"


@pytest.mark.parametrize("stale", ["source", "header", "Package.swift", "no library"])
def test_a_stale_library_without_a_toolchain_names_what_to_install(checkout, tmp_path, stale):
    if stale != "no library":
        place_library(checkout, age=60)
        changed = {"source": "Sources/Engine/Engine.swift", "header": "include/attention.h",
                   "Package.swift": "Package.swift"}[stale]
        os.utime(checkout / changed)  # now: newer than the library
    result = build(checkout, tmp_path / "dist")
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("attention build: error: libattention.so must be built")
    assert ("does not exist" if stale == "no library" else f"{changed} is newer than") in message
    assert "/opt/swift/usr/bin/swift" in message and "`swift` on PATH" in message and "ATTENTION_SWIFT" in message
    assert not (tmp_path / "dist").exists() or os.listdir(tmp_path / "dist") == []


def fake_swift(tmp_path, body):
    script = tmp_path / "swift"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


def test_a_stale_library_is_rebuilt_with_the_toolchain_and_its_output_shown(checkout, tmp_path):
    library = static_library()
    swift = fake_swift(tmp_path, f"""echo "$@" > {tmp_path}/arguments
echo "ATTN_TARGET_CPU=$ATTN_TARGET_CPU" > {tmp_path}/environment
echo "[1/2] Compiling Engine"
mkdir -p .build-static/release && cp {library} .build-static/release/libattention.so
echo "[2/2] Linking libattention.so"
""")
    result = build(checkout, tmp_path / "dist", ATTENTION_SWIFT=str(swift), ATTN_TARGET_CPU="native")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "environment").read_text() == "ATTN_TARGET_CPU=\n"
    assert (tmp_path / "arguments").read_text().split() == [
        "build", "-c", "release", "--product", "attention", "-Xswiftc", "-static-stdlib",
        "--scratch-path", ".build-static"]
    assert "-target-cpu" not in (tmp_path / "arguments").read_text(), "portable baseline + run-time dispatch"
    assert "  [1/2] Compiling Engine" in result.stderr.splitlines()
    check_wheel(result.stdout.strip(), library)


def test_a_build_that_finds_nothing_to_do_marks_the_library_current(checkout, tmp_path):
    """SwiftPM keeps an up-to-date library as it is even when a source's mtime moved; the backend
    then marks it current, so the next wheel needs no toolchain."""
    place_library(checkout, age=60)
    os.utime(checkout / "Sources" / "Engine" / "Engine.swift")
    swift = fake_swift(tmp_path, "echo 'Build of product attention complete!'\n")
    first = build(checkout, tmp_path / "first", ATTENTION_SWIFT=str(swift))
    assert first.returncode == 0, first.stderr
    assert "  Build of product attention complete!" in first.stderr.splitlines()
    second = build(checkout, tmp_path / "second")
    assert second.returncode == 0, second.stderr
    assert "reusing" in second.stderr


def test_a_failing_build_is_reported(checkout, tmp_path):
    swift = fake_swift(tmp_path, "echo 'error: no such module'; exit 3\n")
    result = build(checkout, tmp_path / "dist", ATTENTION_SWIFT=str(swift))
    assert result.returncode == 1
    assert "  error: no such module" in result.stderr
    assert "failed with status 3" in result.stderr.strip().splitlines()[-1]


def test_a_library_that_needs_the_swift_runtime_is_refused(checkout, tmp_path):
    fake = tmp_path / "dynamic.so"
    fake.write_bytes(b"\x7fELF....libswiftCore.so\0")
    place_library(checkout, source=fake)
    result = build(checkout, tmp_path / "dist")
    assert result.returncode == 1
    assert "-static-stdlib" in result.stderr.strip().splitlines()[-1]


def test_a_version_mismatch_is_refused(checkout, tmp_path):
    init = checkout / "bindings" / "python" / "attention" / "__init__.py"
    init.write_text(init.read_text().replace(f'__version__ = "{attention.__version__}"', '__version__ = "9.9.9"'))
    place_library(checkout)
    result = build(checkout, tmp_path / "dist")
    assert result.returncode == 1
    assert f"is version {attention.__version__} but the package is 9.9.9" in result.stderr


def test_a_package_folder_outside_a_checkout_is_refused(checkout, tmp_path):
    (checkout / "Package.swift").unlink()
    result = build(checkout, tmp_path / "dist")
    assert result.returncode == 1
    assert "not inside a libattention checkout" in result.stderr


def test_a_source_distribution_is_refused_with_the_alternatives(checkout, tmp_path):
    result = subprocess.run([sys.executable, "-c", "import build_backend; build_backend.build_sdist('out')"],
                            cwd=checkout / "bindings" / "python", capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "no source distribution" in result.stderr and "scripts/build-wheel.sh" in result.stderr
    assert not (checkout / "bindings" / "python" / "out").exists()


def test_an_editable_wheel_points_at_the_package_folder_and_builds_nothing(checkout, tmp_path):
    package = checkout / "bindings" / "python"
    result = subprocess.run([sys.executable, "-c", f"import build_backend; print(build_backend.build_editable({str(tmp_path)!r}))"],
                            cwd=package, capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, ATTENTION_SWIFT=str(tmp_path / "none")))
    assert result.returncode == 0, result.stderr
    name = result.stdout.strip()
    assert name == f"attention-{attention.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(tmp_path / name) as wheel:
        assert wheel.read("__editable__.attention.pth").decode() == f"{package}\n"
        assert "Root-Is-Purelib: true" in wheel.read(f"attention-{attention.__version__}.dist-info/WHEEL").decode()
    assert not (checkout / ".build-static").exists()


def test_pip_installs_the_folder_into_a_working_package(checkout, tmp_path):
    pytest.importorskip("pip")
    place_library(checkout)
    target = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                             "--target", str(target), str(checkout / "bindings" / "python")],
                            env=dict(os.environ, ATTENTION_SWIFT=str(tmp_path / "none")),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    env = {key: value for key, value in os.environ.items() if key != "ATTENTION_LIBRARY"}
    env["PYTHONPATH"] = str(target)
    check = subprocess.run([sys.executable, "-c", "import attention; print(attention.__file__); "
                            "print(attention._capi.lib._name); print(attention.__version__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines() == [str(target / "attention" / "__init__.py"),
                                         str(target / "attention" / "libattention.so"), attention.__version__]
    assert (target / "attention" / "py.typed").is_file()
