#!/usr/bin/env bash
# Builds libattention.so with sanitizers, in its own scratch path so the normal build is untouched:
#
#   scripts/build-asan.sh            AddressSanitizer (+ UBSan for C)  -> .build-asan
#   scripts/build-asan.sh thread     ThreadSanitizer                   -> .build-tsan
#
# Prints the folder holding libattention.so on its last line. swiftc keeps only the LAST
# `-sanitize=` flag it is given, so several sanitizers must be one combined list; and swiftc
# rejects `-sanitize=undefined` for Linux targets ("unsupported option"), so the Swift code gets
# AddressSanitizer only (Swift checks bounds itself; its overflow checks are what -Ounchecked
# removes from the engine) while the C shim gets -fsanitize=address,undefined.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

case "${1:-address}" in
    address) swift_sanitizers=address; c_sanitizers=address,undefined; scratch=.build-asan ;;
    thread) swift_sanitizers=thread; c_sanitizers=thread; scratch=.build-tsan ;;
    *) echo "usage: $0 [address|thread]" >&2; exit 2 ;;
esac
swift build -c release --product attention --scratch-path "$scratch" \
    -Xswiftc "-sanitize=$swift_sanitizers" -Xcc "-fsanitize=$c_sanitizers" -Xcc -fno-omit-frame-pointer -Xcc -g \
    -Xswiftc -g >&2
echo "$PWD/$scratch/release"
