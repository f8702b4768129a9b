#!/usr/bin/env bash
# Coverage-guided fuzzing of the engine's parsers with libFuzzer.
#
#   scripts/fuzz.sh --seconds N [--target T]   replay the regressions, then fuzz each target N s (CI: 30)
#   scripts/fuzz.sh --hours H [--target T]     local long run: H hours per target
#   scripts/fuzz.sh --replay [--target T]      only replay Fuzz/regressions/<target>/ (no fuzzing)
#
# Targets are Fuzz/Targets/<target>.swift: each calls the engine's public entry points
# (AttentionEngine built by SwiftPM with `-sanitize=fuzzer,address` into the separate scratch
# path .build-fuzz, so the normal `swift build` is untouched) and is linked by swiftc with libFuzzer.
# Seeds are Fuzz/corpus/<target>/ (committed); the growing corpus lives in .build-fuzz/corpus/.
# A crash is written to .build-fuzz/artifacts/<target>/crash-…: copy it into
# Fuzz/regressions/<target>/, fix the bug, and the replay keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

seconds=""
only=""
replay_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --hours) seconds=$(( $2 * 3600 )); shift 2 ;;
        --replay) replay_only=1; shift ;;
        --target) only="$2"; shift 2 ;;
        *) echo "usage: $0 (--seconds N | --hours H | --replay) [--target T]" >&2; exit 2 ;;
    esac
done
if [ -z "$seconds" ] && [ "$replay_only" = 0 ]; then
    echo "usage: $0 (--seconds N | --hours H | --replay) [--target T]" >&2
    exit 2
fi

scratch=.build-fuzz
targets=()
for file in Fuzz/Targets/*.swift; do
    name=$(basename "$file" .swift)
    if [ -z "$only" ] || [ "$only" = "$name" ]; then targets+=("$name"); fi
done
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz target named '$only'" >&2; exit 2; }

echo "== fuzz: building AttentionEngine with -sanitize=fuzzer,address ($scratch)"
swift build -c release --target AttentionEngine --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
release="$scratch/release"
objects=$(find "$release/AttentionEngine.build" "$release/AttentionKernels.build" \
    "$release/AttentionKernelsAVX2.build" "$release/AttentionKernelsAVX512.build" \
    "$release/CAttentionShims.build" -name '*.o' | sort)
mkdir -p "$scratch/fuzz"
for name in "${targets[@]}"; do
    binary="$scratch/fuzz/$name"
    # shellcheck disable=SC2086
    if [ ! -x "$binary" ] || [ -n "$(find $objects "Fuzz/Targets/$name.swift" -newer "$binary" -print -quit)" ]; then
        echo "== fuzz: linking $name"
        # shellcheck disable=SC2086
        swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "Fuzz_$name" \
            -I "$release/Modules" -Xcc -fmodule-map-file="$release/CAttentionShims.build/module.modulemap" \
            -Xcc -I -Xcc Sources/CAttentionShims/include \
            "Fuzz/Targets/$name.swift" $objects -lomp5 -o "$binary" 2>&1 \
            | grep -v "Cannot export local symbol" || true
        [ -x "$binary" ] || { echo "linking $name failed" >&2; exit 1; }
    fi
done

# Swift's runtime keeps metadata caches alive for the whole process, which LeakSanitizer reports.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:${ASAN_OPTIONS:-}"

# Replays the regressions of target $1, then fuzzes it; prints its summary, returns 1 on failure.
fuzz_one() {
    local name="$1" binary="$scratch/fuzz/$1" regressions="Fuzz/regressions/$1"
    local corpus="$scratch/corpus/$1" artifacts="$scratch/artifacts/$1/" log="$scratch/fuzz/$1.log"
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        if ! "$binary" -runs=0 "$regressions"/* >"$scratch/fuzz/$name.replay.log" 2>&1; then
            echo "FAIL: $name crashes on a regression input in $regressions:"
            tail -40 "$scratch/fuzz/$name.replay.log"
            return 1
        fi
        echo "   $name: $(ls "$regressions" | wc -l) regression files replayed"
    fi
    [ "$replay_only" = 1 ] && return 0
    mkdir -p "$corpus" "$artifacts"
    if ! "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "Fuzz/corpus/$name" >"$log" 2>&1; then
        echo "FAIL: $name found a crash (input in $artifacts):"
        tail -60 "$log"
        return 1
    fi
    # Coverage instrumentation must really be on: a target built without -sanitize=fuzzer runs,
    # but libFuzzer then sees a handful of edges and the run proves nothing.
    local coverage runs
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    echo "   $name: $runs runs, cov: $coverage edges, corpus $(ls "$corpus" | wc -l) files"
    if [ "$coverage" -lt 100 ]; then
        echo "FAIL: $name reached only $coverage edges: is the coverage instrumentation missing?"
        return 1
    fi
}

# One target per core at a time (FUZZ_JOBS overrides); each writes its summary to its own file.
parallel="${FUZZ_JOBS:-$(nproc)}"
if [ "$replay_only" = 1 ]; then echo "== fuzz: replaying Fuzz/regressions/"; else
    echo "== fuzz: ${#targets[@]} targets, ${seconds} s each, $parallel at a time"; fi
pids=()
for name in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
    fuzz_one "$name" > "$scratch/fuzz/$name.summary" 2>&1 &
    pids+=("$!")
done
status=0
for i in "${!targets[@]}"; do
    wait "${pids[$i]}" || status=1
    cat "$scratch/fuzz/${targets[$i]}.summary"
    if grep -q "^FAIL" "$scratch/fuzz/${targets[$i]}.summary"; then status=1; fi
done
exit $status
