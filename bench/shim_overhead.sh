#!/usr/bin/env bash
# Overhead of grove's LD_PRELOAD shim on a syscall-heavy unmodified program: dd copying
# /dev/zero to /dev/null in small blocks (one read + one write per block), run alternately
# without and with LD_PRELOAD=libgrove_preload.so. Prints the medians side by side.
#
#   bench/shim_overhead.sh [-r RUNS] [-n COUNT] [-b BS] [-l PRELOAD_LIB] [-w WORKERS]
#
#   -r RUNS     runs of each (default 7; interleaved, so drift hits both alike)
#   -n COUNT    dd count (default 1000000)
#   -b BS       dd block size (default 512)
#   -l LIB      the shim (default: <repo>/build/lib/libgrove_preload.so)
#   -w WORKERS  GROVE_WORKERS for the shimmed runs (default: unset = the CPU count)
#
# wall = elapsed seconds; cpu = user + system seconds of dd (grove's worker/monitor threads
# included). Overhead = shim median / plain median - 1. The target is <= 10 %.
set -euo pipefail

RUNS=7
COUNT=1000000
BS=512
LIB=""
WORKERS=""
while getopts "r:n:b:l:w:h" opt; do
  case $opt in
    r) RUNS=$OPTARG ;;
    n) COUNT=$OPTARG ;;
    b) BS=$OPTARG ;;
    l) LIB=$OPTARG ;;
    w) WORKERS=$OPTARG ;;
    h) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
  esac
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z $LIB ]]; then
  for cand in "$here/../lib/libgrove_preload.so" "$here/../build/lib/libgrove_preload.so"; do
    [[ -f $cand ]] && LIB=$(cd "$(dirname "$cand")" && pwd)/$(basename "$cand") && break
  done
fi
[[ -f $LIB ]] || { echo "shim_overhead.sh: libgrove_preload.so not found (build it, or pass -l)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/shim_overhead.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# One timed dd run; appends "wall cpu" to $1.
run_dd() {
  local out=$1 preload=$2 t
  t=$( { TIMEFORMAT='%R %U %S'; time {
           if [[ -n $preload ]]; then
             if [[ -n $WORKERS ]]; then
               GROVE_WORKERS=$WORKERS LD_PRELOAD=$preload dd if=/dev/zero of=/dev/null bs="$BS" count="$COUNT" 2>/dev/null
             else
               LD_PRELOAD=$preload dd if=/dev/zero of=/dev/null bs="$BS" count="$COUNT" 2>/dev/null
             fi
           else
             dd if=/dev/zero of=/dev/null bs="$BS" count="$COUNT" 2>/dev/null
           fi
         } ; } 2>&1 )
  awk '{printf "%s %.3f\n", $1, $2 + $3}' <<<"$t" >>"$out"
}

median() { sort -g | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for i in $(seq "$RUNS"); do
  run_dd "$tmp/plain" ""
  run_dd "$tmp/shim" "$LIB"
done

pw=$(awk '{print $1}' "$tmp/plain" | median); pc=$(awk '{print $2}' "$tmp/plain" | median)
sw=$(awk '{print $1}' "$tmp/shim" | median); sc=$(awk '{print $2}' "$tmp/shim" | median)
echo "dd if=/dev/zero of=/dev/null bs=$BS count=$COUNT, median of $RUNS interleaved runs each, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| | wall s | cpu s (user+sys) | runs (wall) |"
echo "|---|---:|---:|---|"
echo "| plain | $pw | $pc | $(awk '{printf "%s%s", (NR > 1 ? " " : ""), $1}' "$tmp/plain") |"
echo "| LD_PRELOAD=libgrove_preload.so | $sw | $sc | $(awk '{printf "%s%s", (NR > 1 ? " " : ""), $1}' "$tmp/shim") |"
awk -v a="$sw" -v b="$pw" -v c="$sc" -v d="$pc" \
  'BEGIN {printf "| overhead | %+.1f %% | %+.1f %% | |\n", (a / b - 1) * 100, (c / d - 1) * 100}'
