#!/usr/bin/env bash
# Installs what grove needs on Debian/Ubuntu when it is missing. Sourced by test.sh and demo.sh.
set -euo pipefail

GROVE_PACKAGES=(cmake g++ make pkg-config libboost-context-dev libc-ares-dev libgtest-dev libbenchmark-dev
                dnsmasq-base curl python3 procps xz-utils zstd)

grove_missing_packages() {
  local missing=()
  for p in "${GROVE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

grove_install_deps() {
  local missing
  missing=$(grove_missing_packages)
  [ -z "$missing" ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "grove: missing packages ($missing) and no apt-get: install them by hand" >&2
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "grove: missing packages: $missing" >&2
    echo "grove: run as root, or: sudo apt-get install -y $missing" >&2
    return 1
  fi
  echo "grove: installing $missing"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
