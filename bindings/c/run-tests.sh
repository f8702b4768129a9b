#!/usr/bin/env bash
# The C side of libattention, as a C host sees it, against the release libattention.so:
#  1. attention.h compiles cleanly as C99 and as C++11 with -Wall -Wextra -Werror -pedantic;
#  2. libattention.so exports the functions attention.h declares (each marked ATTN_API) and
#     nothing else (`nm -D`);
#  3. every tests/*_test.c, built with plain cc, runs and ends with "N passed, 0 failed";
#  4. attention.pc is written and both examples build through pkg-config (and with plain flags);
#  5. the examples run: train_and_generate trains, saves, loads and streams text; dump_attention
#     prints tables whose rows sum to 1, and fails cleanly on a missing checkpoint;
#  6. valgrind runs the whole flow (create, train, save, load, generate) and finds no definite
#     leak, and runs api_robustness_test (every error path) without a memory error. Valgrind
#     cannot decode AVX-512, so this uses a build for an AVX2 CPU
#     (ATTN_TARGET_CPU=haswell, DWARF 4 for valgrind's reader) in .build-valgrind.
# Expects `swift build -c release` to have built .build/release/libattention.so.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lib="$root/.build/release"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
strict=(-std=c99 -Wall -Wextra -Werror)
part() { echo "== $1 (at ${SECONDS} s)"; }
fail() { echo "run-tests.sh: $*" >&2; exit 1; }

for tool in pkg-config valgrind nm comm; do
    command -v "$tool" > /dev/null || fail "$tool is missing: scripts/setup.sh installs it"
done

part "header as C99 and C++11"
printf '#include <attention.h>\nint main(void) { return attn_abi_version() == ATTN_ABI_VERSION ? 0 : 1; }\n' > "$out/header.c"
cp "$out/header.c" "$out/header.cpp"
cc "${strict[@]}" -pedantic -I"$root/include" -c "$out/header.c" -o "$out/header_c.o"
c++ -std=c++11 -Wall -Wextra -Werror -pedantic -I"$root/include" -c "$out/header.cpp" -o "$out/header_cpp.o"

part "exported symbols: the functions of attention.h, nothing else"
# Package.swift links libattention.so with Sources/AttentionCAPI/libattention.map (attn_* only)
# and builds the C shim's attn_shim_* hidden, so the Swift modules, the Swift runtime and the
# shim stay out of the exports.
nm -D --defined-only "$lib/libattention.so" | awk '{ print $NF }' | sort -u > "$out/exports.txt"
grep -E '^[A-Za-z_][A-Za-z_0-9 *]*\battn_[a-z0-9_]+\(' "$root/include/attention.h" |
    grep -oE '\battn_[a-z0-9_]+\(' | tr -d '(' | sort -u > "$out/declared.txt"
[ "$(wc -l < "$out/declared.txt")" -gt 40 ] || fail "found only $(wc -l < "$out/declared.txt") declarations in attention.h"
comm -23 "$out/exports.txt" "$out/declared.txt" > "$out/foreign.txt"
[ ! -s "$out/foreign.txt" ] ||
    fail "libattention.so exports $(wc -l < "$out/foreign.txt") symbols attention.h does not declare, e.g. $(head -n 5 "$out/foreign.txt" | tr '\n' ' ')"
comm -13 "$out/exports.txt" "$out/declared.txt" > "$out/missing.txt"
[ ! -s "$out/missing.txt" ] || fail "libattention.so does not export $(tr '\n' ' ' < "$out/missing.txt")"
echo "$(wc -l < "$out/exports.txt") symbols exported, each declared in attention.h, none missing"
# Every declaration carries ATTN_API on the line before it.
awk '/^[A-Za-z_][A-Za-z_0-9 *]*attn_[a-z0-9_]+\(/ && previous != "ATTN_API" { print FILENAME ":" FNR ": " $0; bad++ }
     { previous = $0 } END { exit bad > 0 }' "$root/include/attention.h" ||
    fail "the declarations above lack ATTN_API"

# A failing test does not stop the others; the script fails at the end.
failed_tests=()
for test in "$here"/tests/*_test.c; do
    name="$(basename "$test" .c)"
    cc "${strict[@]}" -O1 -I"$root/include" "$test" -o "$out/$name" \
        -L"$lib" -lattention -Wl,-rpath,"$lib" -lm -lpthread
    part "$name"
    "$out/$name" || failed_tests+=("$name")
done

part "examples: pkg-config and plain builds"
pcdir="$("$here/write-pc.sh" "$lib" "$out/pkgconfig")"
read -r -a flags <<< "$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs attention)"
for example in train_and_generate dump_attention; do
    cc "${strict[@]}" -pedantic "$here/examples/$example.c" "${flags[@]}" -o "$out/$example"
    cc "${strict[@]}" -I"$root/include" "$here/examples/$example.c" -L"$lib" -lattention \
        -Wl,-rpath,"$lib" -o "$out/$example-plain"
done

part "train_and_generate (30 steps)"
"$out/train_and_generate" 30 "$out/gpt.safetensors" 40 > "$out/train.txt" ||
    fail "train_and_generate failed: $(cat "$out/train.txt")"
cat "$out/train.txt"
# 30 progress lines, the loss falls, the checkpoint exists, the text continues the prompt.
[ "$(grep -c '^step ' "$out/train.txt")" = 30 ] || fail "expected 30 progress lines"
awk '/^step /{ if (!first) first = $4; last = $4 } END { exit !(last < first - 0.5) }' "$out/train.txt" ||
    fail "the training loss did not fall"
[ -s "$out/gpt.safetensors" ] || fail "no checkpoint written"
last_line="$(tail -n 1 "$out/train.txt")"
[[ "$last_line" == 道可道?* ]] || fail "the last line does not continue the prompt: $last_line"

part "dump_attention"
"$out/dump_attention" "$out/gpt.safetensors" "道可道非常道" > "$out/maps.txt" ||
    fail "dump_attention failed: $(cat "$out/maps.txt")"
head -n 9 "$out/maps.txt"
# 2 layers x 4 heads, each a 6x6 table (6 numbers a row) whose rows sum to 1.
[ "$(grep -c '^layer ' "$out/maps.txt")" = 8 ] || fail "expected 8 tables"
awk 'NF == 7 && $2 ~ /^[0-9.]+$/ { rows++; s = 0; for (i = 2; i <= NF; i++) s += $i;
         if (s < 0.97 || s > 1.03) bad++ }
     END { printf "%d rows checked, %d do not sum to 1\n", rows, bad; exit !(rows == 48 && bad == 0) }' \
    "$out/maps.txt" || fail "attention rows do not sum to 1"
"$out/dump_attention-plain" - "天下" 3 > "$out/tiny.txt" || fail "dump_attention without a checkpoint failed"
grep -q '^layer 1 head 1' "$out/tiny.txt" || fail "dump_attention: the trained tiny GPT printed no maps"
if "$out/dump_attention" "$out/missing.safetensors" 2> "$out/error.txt"; then
    fail "dump_attention succeeded on a missing checkpoint"
fi
grep -q "attn_model_load" "$out/error.txt" || fail "no message for a missing checkpoint: $(cat "$out/error.txt")"
cat "$out/error.txt"

part "valgrind build (AVX2, DWARF 4)"
(cd "$root" && ATTN_TARGET_CPU=haswell swift build -c release --product attention \
    --scratch-path .build-valgrind -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4 2>&1 | tail -n 1)
vglib="$root/.build-valgrind/release"
vgpc="$("$here/write-pc.sh" "$vglib" "$out/pkgconfig-valgrind")"
read -r -a vgflags <<< "$(PKG_CONFIG_PATH="$vgpc" pkg-config --cflags --libs attention)"
cc "${strict[@]}" -g "$here/examples/train_and_generate.c" "${vgflags[@]}" -o "$out/train_and_generate-vg"

part "valgrind: train 2 steps, save, load, generate"
if ! OMP_NUM_THREADS=1 SWIFT_BACKTRACE=enable=no valgrind --leak-check=full --errors-for-leak-kinds=definite \
    --error-exitcode=1 --log-file="$out/valgrind.txt" \
    "$out/train_and_generate-vg" 2 "$out/vg.safetensors" 8 > "$out/vg-stdout.txt"; then
    cat "$out/vg-stdout.txt" "$out/valgrind.txt"
    fail "valgrind found errors or definite leaks"
fi
grep -E "definitely lost|ERROR SUMMARY|All heap blocks were freed" "$out/valgrind.txt" | sed 's/^==[0-9]*== //'

part "valgrind: api_robustness_test, every error path (memory errors only)"
# Its checks were judged by the native run above; here only valgrind's verdict counts, in the
# test process and in each forked section. The log goes through a pipe: one section limits the
# size of the files it writes (RLIMIT_FSIZE), which must not cut valgrind's own log.
cc "${strict[@]}" -g -O1 -I"$root/include" "$here/tests/api_robustness_test.c" -o "$out/api_robustness_test-vg" \
    "${vgflags[@]}" -lm -lpthread
set +e
OMP_NUM_THREADS=1 SWIFT_BACKTRACE=enable=no valgrind --error-exitcode=99 \
    "$out/api_robustness_test-vg" 2>&1 > /dev/null | cat > "$out/vg-robustness.txt"
vg_status=${PIPESTATUS[0]}
set -e
processes="$(grep -o "^==[0-9]*==" "$out/vg-robustness.txt" | sort -u | wc -l)"
clean="$(grep -c "ERROR SUMMARY: 0 errors" "$out/vg-robustness.txt")"
echo "$clean of $processes processes: ERROR SUMMARY: 0 errors"
if [ "$vg_status" = 99 ] || [ "$clean" != "$processes" ] || [ "$processes" -lt 2 ]; then
    grep "^==" "$out/vg-robustness.txt"
    fail "valgrind found memory errors in api_robustness_test"
fi
part "done"
[ ${#failed_tests[@]} = 0 ] || fail "failed: ${failed_tests[*]}"
