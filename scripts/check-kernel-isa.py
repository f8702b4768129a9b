#!/usr/bin/env python3
"""Checks that a build of libattention can run on an AVX2-only x86-64 host.

Only the module AttentionKernelsAVX512 may contain AVX-512 code, and the library must call it
only after the cpuid check (KernelISA). This script disassembles the object files of a build and
the linked library and fails when:
  1. an object file of any other module contains an EVEX-encoded (AVX-512) instruction, or
  2. a function of the library with EVEX instructions has a symbol that some other module's
     object also defines (the linker may then keep the AVX-512 copy for baseline callers).

    python3 scripts/check-kernel-isa.py [BUILD_DIR]      # default .build/release

Exits 0 and prints a summary when the build is clean. Builds with ATTN_TARGET_CPU set to an
AVX-512 CPU are host-only by choice and fail check 1.
"""
import glob
import os
import re
import subprocess
import sys

AVX512_MODULE = "AttentionKernelsAVX512"
LEGACY_PREFIXES = {"66", "67", "f2", "f3", "2e", "36", "3e", "26", "64", "65", "f0"}


def evex_functions(path):
    """{symbol: count of EVEX instructions} for the functions of an object or library."""
    output = subprocess.run(["objdump", "-d", "--no-addresses", "-w", path], check=True,
                            capture_output=True, text=True).stdout
    found, symbol = {}, None
    for line in output.splitlines():
        header = re.match(r"^\s*<(.+)>:$", line) or re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if header:
            symbol = header.group(1)
            continue
        parts = line.split("\t")
        if len(parts) < 2 or symbol is None:
            continue
        raw = parts[0].split() if re.fullmatch(r"[0-9a-f ]+", parts[0].strip() or "x") else parts[1].split()
        for byte in raw:
            if byte in LEGACY_PREFIXES:
                continue
            if byte == "62":  # in 64-bit mode, opcode 0x62 is always an EVEX prefix
                found[symbol] = found.get(symbol, 0) + 1
            break
    return found


def defined_symbols(path):
    output = subprocess.run(["nm", "--defined-only", path], check=True, capture_output=True,
                            text=True).stdout
    return {line.split()[-1] for line in output.splitlines() if len(line.split()) >= 3}


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else ".build/release"
    objects = sorted(glob.glob(os.path.join(build, "*.build", "*.o")))
    if not objects:
        sys.exit(f"no object files under {build}/*.build")
    failures = []
    other_symbols = set()
    for obj in objects:
        module = os.path.basename(os.path.dirname(obj)).removesuffix(".build")
        if module == AVX512_MODULE:
            continue
        other_symbols |= defined_symbols(obj)
        for symbol, count in evex_functions(obj).items():
            failures.append(f"{obj}: {symbol}: {count} AVX-512 instructions")
    library = os.path.join(build, "libattention.so")
    evex_in_library = evex_functions(library) if os.path.exists(library) else {}
    for symbol in evex_in_library:
        if symbol in other_symbols:
            failures.append(f"{library}: {symbol} has AVX-512 code and is also defined outside "
                            f"{AVX512_MODULE}")
    for failure in failures:
        print(failure)
    if failures:
        sys.exit(f"FAIL: {len(failures)} problem(s)")
    print(f"ok: {len(objects)} object files; AVX-512 code only in {AVX512_MODULE} "
          f"({len(evex_in_library)} functions in {library})")


if __name__ == "__main__":
    main()
