#!/usr/bin/env bash
# Installs what grove needs on Debian/Ubuntu when it is missing. Sourced by test.sh and demo.sh.
set -euo pipefail

GROVE_PACKAGES=(cmake g++ make pkg-config libboost-context-dev libc-ares-dev libgtest-dev libbenchmark-dev
                dnsmasq-base curl python3 procps xz-utils zstd)
# Programs the corpus (tests/corpus) runs natively and under grove-run, plus CPython's test package
# for Debian's python3 (added by grove_corpus_packages). A corpus case whose program is missing is
# reported as skipped, so these are installed where we can (root with apt), never required.
GROVE_CORPUS_PACKAGES=(redis-server redis-tools memcached libmemcached-tools nginx postgresql lighttpd haproxy
                       wrk wget)

grove_corpus_packages() {
  local py
  py=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)
  echo "${GROVE_CORPUS_PACKAGES[@]}" "libpython$py-testsuite"
}

grove_missing_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

grove_apt_install() {
  echo "grove: installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# grove_install_deps [corpus]: grove's build and test packages; with `corpus`, the corpus's too.
grove_install_deps() {
  local missing
  missing=$(grove_missing_packages "${GROVE_PACKAGES[@]}")
  if [ -n "$missing" ]; then
    if ! command -v apt-get >/dev/null; then
      echo "grove: missing packages ($missing) and no apt-get: install them by hand" >&2
      return 1
    fi
    if [ "$(id -u)" -ne 0 ]; then
      echo "grove: missing packages: $missing" >&2
      echo "grove: run as root, or: sudo apt-get install -y $missing" >&2
      return 1
    fi
    # shellcheck disable=SC2086
    grove_apt_install $missing
  fi
  [ "${1:-}" = corpus ] || return 0
  # shellcheck disable=SC2046
  missing=$(grove_missing_packages $(grove_corpus_packages))
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "grove: the corpus cases that need $missing will be skipped (install them as root to run them)" >&2
    return 0
  fi
  # shellcheck disable=SC2086
  grove_apt_install $missing || echo "grove: could not install $missing: the corpus cases that need them will be skipped" >&2
}
