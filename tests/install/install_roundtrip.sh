#!/usr/bin/env bash
# Usage: install_roundtrip.sh <grove build dir> <consumer source dir>
set -euo pipefail
build="$1"
consumer="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
out=$(LD_LIBRARY_PATH="$work/prefix/lib:$work/prefix/lib64" "$work/build/app")
echo "consumer printed: $out"
[ "$out" = "42" ]
