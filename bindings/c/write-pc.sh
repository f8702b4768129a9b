#!/usr/bin/env bash
# Writes attention.pc for this checkout: include/ of the repository and the directory holding
# libattention.so (default .build/release). Prints the directory to put on PKG_CONFIG_PATH:
#     PKG_CONFIG_PATH="$(bindings/c/write-pc.sh)" pkg-config --cflags --libs attention
# Usage: write-pc.sh [libdir [output_dir]]   (output_dir defaults to <root>/.build/pkgconfig)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
libdir="$(cd "${1:-$root/.build/release}" && pwd)"
out="${2:-$root/.build/pkgconfig}"
version="$(sed -n 's/^let libraryVersion: StaticString = "\(.*\)"$/\1/p' "$root/Sources/AttentionCAPI/Library.swift")"
mkdir -p "$out"
sed -e "s|@PREFIX@|$root|" -e "s|@LIBDIR@|$libdir|" -e "s|@VERSION@|${version:-0}|" \
    "$here/attention.pc.in" > "$out/attention.pc"
echo "$out"
