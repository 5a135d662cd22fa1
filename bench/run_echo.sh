#!/usr/bin/env bash
# Echo benchmark driver: runs each echo server side by side with echo_load (64-byte ping-pong on
# loopback) at several connection counts, R times each, and prints a Markdown table of median
# round trips per second and peak server RSS.
#
#   bench/run_echo.sh [options] [name=command ...]
#
#   name=command   a server to measure; the command must accept "--port P --seconds N" (appended
#                  here; port 0 = pick a free one) and print "listening on PORT" on stdout.
#                  Default: epoll=<bin>/echo_epoll_server threads=<bin>/echo_threads_server
#                  e.g. grove_threads="build/bin/grove-run build/bin/echo_threads_server"
#   -r, --reps R          repetitions per cell (default 3; median reported)
#   -c, --conns "A B"     connection counts (default "100 5000")
#   -s, --seconds S       measured seconds per run (default 5)
#   -w, --warmup S        unmeasured seconds after every connection got its first echo (default 1)
#   -z, --size B          message size in bytes (default 64)
#   -t, --load-threads T  echo_load threads (default 1)
#   -l, --load PATH       echo_load binary (default <bin>/echo_load)
#   -b, --bin DIR         where the default binaries are (default: this script's dir if it holds
#                         echo_load, else <repo>/build/bin)
#
# Every server is started with --seconds (it stops by itself) in its own session, and is killed
# (whole session) when its run ends and on exit/interrupt. Peak RSS is VmHWM from
# /proc/PID/status, summed over the server's session (wrappers such as grove-run included),
# read after the load finished while the server is still up. "+ kernel" is what VmHWM leaves out:
# peak threads x the kernel stack (KSTACK_KB, default 16) + page tables (VmPTE), sampled every
# 0.5 s during the load. Loopback only.
set -euo pipefail

REPS=${REPS:-3}
CONNS="100 5000"
SECONDS_RUN=5
WARMUP=1
SIZE=64
LOAD_THREADS=1
LOAD=""
BIN=""
SERVERS=()

die() { echo "run_echo.sh: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    -r|--reps) REPS=$2; shift 2 ;;
    -c|--conns) CONNS=$2; shift 2 ;;
    -s|--seconds) SECONDS_RUN=$2; shift 2 ;;
    -w|--warmup) WARMUP=$2; shift 2 ;;
    -z|--size) SIZE=$2; shift 2 ;;
    -t|--load-threads) LOAD_THREADS=$2; shift 2 ;;
    -l|--load) LOAD=$2; shift 2 ;;
    -b|--bin) BIN=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *=*) SERVERS+=("$1"); shift ;;
    *) die "unknown argument '$1' (servers are given as name=command)" ;;
  esac
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z $BIN ]]; then
  if [[ -x $here/echo_load ]]; then BIN=$here; else BIN=$(cd "$here/.." && pwd)/build/bin; fi
fi
[[ -n $LOAD ]] || LOAD=$BIN/echo_load
[[ -x $LOAD ]] || die "load generator not found: $LOAD (build the bench targets, or pass --load)"
if [[ ${#SERVERS[@]} -eq 0 ]]; then
  SERVERS=("epoll=$BIN/echo_epoll_server" "threads=$BIN/echo_threads_server")
fi

tmp=$(mktemp -d /tmp/run_echo.XXXXXX)
live_pid=""
cleanup() {
  if [[ -n $live_pid ]]; then
    kill -KILL -- "-$live_pid" 2>/dev/null || kill -KILL "$live_pid" 2>/dev/null || true
    wait "$live_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Sum of VmHWM (kB) over every process in session $1.
session_hwm_kb() {
  local total=0 p v
  for p in $(pgrep -s "$1" 2>/dev/null || true); do
    v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# Kernel memory the server's threads cost, which VmHWM leaves out: one kernel stack per thread
# (KSTACK_KB, x86_64's THREAD_SIZE: 16 KiB) plus the page tables (VmPTE), summed over session $1.
session_kernel_kb() {
  local total=0 p
  for p in $(pgrep -s "$1" 2>/dev/null || true); do
    total=$((total + $(awk -v k="${KSTACK_KB:-16}" '/^Threads:/ {t = $2} /^VmPTE:/ {e = $2}
                          END {print t * k + e}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# Samples session_kernel_kb of session $1 every 0.5 s until killed; keeps the peak in file $2.
sample_kernel_kb() {
  local peak=0 v
  while kill -0 "$1" 2>/dev/null; do
    v=$(session_kernel_kb "$1")
    if (( v > peak )); then peak=$v; echo "$peak" >"$2"; fi
    sleep 0.5
  done
}

# key=value lookup in echo_load's result line.
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k {print $2}'; }

median() {  # numbers on stdin, one per line
  sort -g | awk '{a[NR] = $1} END {
    if (NR == 0) { print "-"; exit }
    if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

stop_server() {
  kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 20); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  live_pid=""
}

# run_one NAME COMMAND CONNS REP -> appends "rps p50 p99 errors hwm_kb" to $tmp/NAME.CONNS
run_one() {
  local name=$1 cmd=$2 conns=$3 rep=$4
  # Long enough for setup (echo_load's default setup timeout), warm-up and the measurement.
  local srv_secs=$(( ${SECONDS_RUN%.*} + ${WARMUP%.*} + 35 + conns / 500 ))
  local out=$tmp/server.out err=$tmp/server.err
  : >"$out"
  # setsid: the server gets its own session/process group, so wrappers and children die with it.
  setsid bash -c "exec $cmd --port 0 --seconds $srv_secs" >"$out" 2>"$err" </dev/null &
  live_pid=$!
  local port="" i
  for i in $(seq 100); do
    port=$(awk '/^listening on [0-9]+/ {print $3; exit}' "$out")
    [[ -n $port ]] && break
    kill -0 "$live_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    echo "  $name conns=$conns run $rep: server did not report 'listening on PORT'" >&2
    sed 's/^/    server: /' "$err" >&2 || true
    stop_server "$live_pid"
    return 0
  fi
  echo 0 >"$tmp/kernel.kb"
  sample_kernel_kb "$live_pid" "$tmp/kernel.kb" &
  local sampler=$!
  local line rc=0
  line=$(timeout $((srv_secs + 10)) "$LOAD" --port "$port" --conns "$conns" \
           --seconds "$SECONDS_RUN" --warmup "$WARMUP" --size "$SIZE" \
           --threads "$LOAD_THREADS" 2>"$tmp/load.err") || rc=$?
  local hwm
  hwm=$(session_hwm_kb "$live_pid")
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  local kernel_kb
  kernel_kb=$(cat "$tmp/kernel.kb")
  stop_server "$live_pid"
  if [[ $line != conns=* ]]; then
    echo "  $name conns=$conns run $rep: echo_load failed (exit $rc)" >&2
    sed 's/^/    echo_load: /' "$tmp/load.err" >&2 || true
    return 0
  fi
  echo "  $name conns=$conns run $rep: $line peak_rss_kb=$hwm kernel_kb=$kernel_kb" >&2
  echo "$(field rps "$line") $(field p50_us "$line") $(field p99_us "$line")" \
       "$(field errors "$line") $hwm $kernel_kb" >>"$tmp/$name.$conns"
}

echo "echo benchmark: size=${SIZE}B seconds=$SECONDS_RUN warmup=$WARMUP reps=$REPS" \
     "load_threads=$LOAD_THREADS cpus=$(nproc)" >&2
for conns in $CONNS; do
  for rep in $(seq "$REPS"); do
    for s in "${SERVERS[@]}"; do  # interleave servers so drift hits them alike
      run_one "${s%%=*}" "${s#*=}" "$conns" "$rep"
      sleep 0.5
    done
  done
done

echo
echo "Echo, ${SIZE}-byte ping-pong on loopback, median of $REPS runs of ${SECONDS_RUN}s," \
     "$(nproc) CPUs, echo_load with $LOAD_THREADS thread(s) on the same machine"
echo
echo "| server | conns | rps (median) | vs ${SERVERS[0]%%=*} | p50 µs | p99 µs | errors | peak RSS MiB | + kernel MiB | rps per run |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for conns in $CONNS; do
  base=""
  for s in "${SERVERS[@]}"; do
    name=${s%%=*}
    f=$tmp/$name.$conns
    if [[ ! -s $f ]]; then
      echo "| $name | $conns | FAILED | | | | | | | |"
      continue
    fi
    rps=$(awk '{print $1}' "$f" | median)
    p50=$(awk '{print $2}' "$f" | median)
    p99=$(awk '{print $3}' "$f" | median)
    errs=$(awk '{s += $4} END {print s}' "$f")
    rss=$(awk '{print $5 / 1024}' "$f" | median)
    kernel=$(awk '{print $6 / 1024}' "$f" | median)
    runs=$(awk '{printf "%s%d", (NR > 1 ? ", " : ""), $1}' "$f")
    n=$(wc -l <"$f")
    [[ $n -lt $REPS ]] && runs="$runs ($((REPS - n)) failed)"
    [[ -n $base ]] || base=$rps
    ratio=$(awk -v a="$rps" -v b="$base" 'BEGIN {printf "%.2f×", a / b}')
    printf '| %s | %s | %.0f | %s | %.0f | %.0f | %s | %.1f | %.1f | %s |\n' \
      "$name" "$conns" "$rps" "$ratio" "$p50" "$p99" "$errs" "$rss" "$kernel" "$runs"
  done
done
