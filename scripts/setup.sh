#!/usr/bin/env bash
# Installs every Debian package routerpulse's build, tests and demo need, then
# configures and builds into build/. Idempotent: re-running only rebuilds.
#   scripts/setup.sh            # packages (when missing) + build
#   SKIP_APT=1 scripts/setup.sh # build only
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost-dev libboost-system-dev libyaml-cpp-dev libhiredis-dev libpq-dev
  liblua5.4-dev libspdlog-dev libfmt-dev libcli11-dev catch2 nlohmann-json3-dev libssl-dev
  redis-server redis-tools postgresql postgresql-client prometheus
  libjemalloc-dev python3 python3-librouteros clang libclang-rt-14-dev procps curl iproute2 linux-perf strace influxdb
  prometheus-alertmanager libkainjow-mustache-dev openssl
  fping nftables util-linux
  libprotobuf-dev protobuf-compiler libsnappy-dev
  nodejs npm chromium chromium-driver python3-selenium
)

missing=()
if [ -z "${SKIP_APT:-}" ]; then
  for p in "${PACKAGES[@]}"; do
    # A Node.js from elsewhere (e.g. NodeSource's nodejs, which bundles npm and
    # conflicts with Debian's npm package) serves the build as well.
    if [ "$p" = npm ] || [ "$p" = nodejs ]; then command -v npm >/dev/null 2>&1 && continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Services are started by the tests and the demo on their own ports; the
  # packaged system instances are not needed (policy-rc.d may refuse them).
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built build/routerpulse and build/plugins/"
