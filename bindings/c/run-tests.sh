#!/usr/bin/env bash
# Builds the C-level tests with plain cc against the release libattention.so and runs them.
# The header must compile cleanly as C99 and as C++ with -Wall -Wextra -Werror.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lib="$root/.build/release"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

printf '#include <attention.h>\nint main(void) { return attn_abi_version() == ATTN_ABI_VERSION ? 0 : 1; }\n' > "$out/header.c"
cp "$out/header.c" "$out/header.cpp"
cc -std=c99 -Wall -Wextra -Werror -pedantic -I"$root/include" -c "$out/header.c" -o "$out/header_c.o"
c++ -std=c++11 -Wall -Wextra -Werror -pedantic -I"$root/include" -c "$out/header.cpp" -o "$out/header_cpp.o"

for test in "$here"/tests/*_test.c; do
    name="$(basename "$test" .c)"
    cc -std=c99 -O1 -Wall -Wextra -Werror -I"$root/include" "$test" -o "$out/$name" \
        -L"$lib" -lattention -Wl,-rpath,"$lib" -lm -lpthread
    echo "== $name"
    "$out/$name"
done
