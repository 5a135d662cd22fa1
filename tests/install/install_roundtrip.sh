#!/usr/bin/env bash
# Usage: install_roundtrip.sh <grove build dir> <consumer source dir> <hooks consumer source dir>
# Installs grove into a temporary prefix, then builds consumers against it with find_package(grove):
# one linking grove::grove, one linking grove::hooks (plus a plain C program run with the
# installed grove-run, which must find the installed shim by itself).
set -euo pipefail
build="$1"
consumer="$2"
hooks_consumer="$3"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
libdirs="$prefix/lib:$prefix/lib64"

cmake -S "$consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/build" >/dev/null
out=$(LD_LIBRARY_PATH="$libdirs" "$work/build/app")
echo "consumer printed: $out"
[ "$out" = "42" ]

fail() { echo "FAIL: $*" >&2; exit 1; }
cmake -S "$hooks_consumer" -B "$work/hooks" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
paths=$(cmake --build "$work/hooks" 2>&1) || { echo "$paths" >&2; fail "building the grove::hooks consumer"; }
preload=$(sed -n 's/.*preload=\(.*\)/\1/p' <<<"$paths" | head -1)
run=$(sed -n 's/.*grove-run=\(.*\)/\1/p' <<<"$paths" | head -1)
case "$preload" in "$prefix"/*/libgrove_preload.so) ;; *) fail "grove::preload is '$preload', not in $prefix" ;; esac
case "$run" in "$prefix"/bin/grove-run) ;; *) fail "grove::grove-run is '$run', not $prefix/bin/grove-run" ;; esac

out=$(GROVE_WORKERS=1 LD_LIBRARY_PATH="$libdirs" timeout 60 "$work/hooks/overlap") || fail "overlap: $out"
echo "grove::hooks consumer printed: $out"
[ "$out" = "usleep=0 read=5 write=5 one_thread=yes overlapped=yes" ] || fail "overlap printed '$out'"

# Without the shim: plain OS threads. With the installed grove-run (no LD_LIBRARY_PATH: the shim
# finds libgrove next to itself): the shim is loaded, and as fibers on one worker the four
# threads share one kernel thread.
out=$("$work/hooks/plain_threads")
echo "plain_threads printed: $out"
[ "$out" = "shim=no kernel_threads=4" ] || fail "plain_threads without the shim printed '$out'"
out=$(env -u LD_LIBRARY_PATH -u GROVE_PRELOAD timeout 60 "$prefix/bin/grove-run" --workers 1 --threads fibers -- "$work/hooks/plain_threads")
echo "under grove-run: $out"
[ "$out" = "shim=yes kernel_threads=1" ] || fail "plain_threads under grove-run printed '$out'"
out=$(env -u LD_LIBRARY_PATH -u GROVE_PRELOAD timeout 60 "$prefix/bin/grove-run" -- "$work/hooks/plain_threads")
echo "under grove-run (threads os): $out"
[ "$out" = "shim=yes kernel_threads=4" ] || fail "plain_threads under grove-run --threads os printed '$out'"
