#!/usr/bin/env bash
# Installs what is missing, builds grove, runs every test. Usage: scripts/test.sh [build-dir] [cmake args...]
# GROVE_SANITIZE=asan|tsan builds that variant instead (into build-asan / build-tsan by default).
# The corpus (real programs under grove-run) runs its quick selection here; the whole of it is
# `ctest -L corpus` in the build directory. GROVE_CTEST_ARGS replaces the default -LE corpus_full.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/deps.sh"
grove_install_deps corpus

extra=()
default_dir=build
case "${GROVE_SANITIZE:-}" in
  # Sanitizer builds compile at -O1 -g1: CI builds three trees on two cores.
  asan) extra+=(-DGROVE_ASAN=ON -DGROVE_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"); default_dir=build-asan ;;
  tsan) extra+=(-DGROVE_TSAN=ON -DGROVE_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"); default_dir=build-tsan ;;
  "") ;;
  *) echo "scripts/test.sh: GROVE_SANITIZE=\"$GROVE_SANITIZE\": expected asan or tsan" >&2; exit 2 ;;
esac
# ccache, where installed, makes rebuilds of other trees (sanitizer builds, worktrees) cheap.
command -v ccache >/dev/null && extra+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
build="${1:-$root/$default_dir}"
shift $(( $# > 0 ? 1 : 0 ))

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGROVE_WERROR=ON "${extra[@]}" "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure -j "$(nproc)" ${GROVE_CTEST_ARGS:--LE corpus_full}
