#!/usr/bin/env bash
# Runs the C tests and a Python smoke run against sanitizer builds of libattention.so:
#
#   scripts/sanitize.sh [address|thread|all]   (default: all)
#
# address: libattention.so built with AddressSanitizer (Swift) and ASan+UBSan (C shim), see
#   scripts/build-asan.sh; every bindings/c/tests/*_test.c built with -fsanitize=address,undefined
#   against it, then scripts/sanitize-smoke.py with the shared ASan runtime preloaded (python3
#   itself is not instrumented).
# thread: libattention.so built with ThreadSanitizer; bindings/c/tests/threads_test.c (one model,
#   four contexts, kernels under OpenMP) built with -fsanitize=thread, run with 1 and 4 OpenMP
#   threads. OpenMP: Debian's libomp (libomp-14-dev, installed by scripts/setup.sh) is not built
#   with TSan, so TSan cannot see its barriers. We load its TSan tool Archer
#   (/usr/lib/llvm-14/lib/libarcher.so, through OMP_TOOL_LIBRARIES), which tells TSan about
#   OpenMP's synchronisation; libomp internals are not suppressed (nor is Archer's advice
#   ignore_noninstrumented_modules=1 followed: the run is clean without it). BufferPool locks with
#   a pthread mutex, which TSan sees; scripts/tsan-suppressions.txt holds no suppression.
#   The test executables use the shared sanitizer runtimes (-shared-libasan / -shared-libsan):
#   the static TSan runtime needs libdispatch's symbols at link time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
mode="${1:-all}"
# The sanitizer runtimes of the Swift toolchain, whose clang builds the C tests (runtime and
# instrumentation must match).
clang_rt=$(dirname "$(clang -print-file-name=libclang_rt.asan-x86_64.so)")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=()

run() {  # label command...
    local label="$1"; shift
    echo "== sanitize: $label (at ${SECONDS} s)"
    if "$@" > "$out/run.log" 2>&1; then
        tail -2 "$out/run.log"
    else
        tail -80 "$out/run.log" >&2
        failed+=("$label")
    fi
}

if [ "$mode" = address ] || [ "$mode" = all ]; then
    lib=$(bash scripts/build-asan.sh address | tail -1)
    # Leak checking is valgrind's job in bindings/c/run-tests.sh: LeakSanitizer reports the Swift
    # runtime's process-lifetime metadata caches.
    export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    for test in bindings/c/tests/*_test.c; do
        name=$(basename "$test" .c)
        clang -std=c99 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -shared-libasan \
            -Iinclude "$test" -o "$out/$name" -L"$lib" -lattention \
            -Wl,-rpath,"$lib" -Wl,-rpath,"$clang_rt" -lm -lpthread
        run "asan+ubsan $name" "$out/$name"
    done
    run "asan python smoke run" env LD_PRELOAD="$clang_rt/libclang_rt.asan-x86_64.so" \
        ATTENTION_LIBRARY="$lib/libattention.so" PYTHONPATH=bindings/python python3 scripts/sanitize-smoke.py
    unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if [ "$mode" = thread ] || [ "$mode" = all ]; then
    lib=$(bash scripts/build-asan.sh thread | tail -1)
    archer=/usr/lib/llvm-14/lib/libarcher.so
    [ -e "$archer" ] || { echo "sanitize.sh: $archer is missing (apt-get install libomp-14-dev)" >&2; exit 1; }
    clang -std=c99 -g -O1 -fsanitize=thread -shared-libsan -Iinclude bindings/c/tests/threads_test.c -o "$out/threads_test" \
        -L"$lib" -lattention -Wl,-rpath,"$lib" -Wl,-rpath,"$clang_rt" -lm -lpthread
    export TSAN_OPTIONS="halt_on_error=1:suppressions=$PWD/scripts/tsan-suppressions.txt"
    for threads in 1 4; do
        run "tsan threads_test, OMP_NUM_THREADS=$threads" \
            env OMP_TOOL_LIBRARIES="$archer" OMP_NUM_THREADS="$threads" "$out/threads_test"
    done
fi

if [ ${#failed[@]} -gt 0 ]; then
    echo "sanitize.sh: failed: ${failed[*]}" >&2
    exit 1
fi
echo "sanitize.sh: all sanitizer runs passed"
