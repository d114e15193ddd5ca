#!/usr/bin/env bash
# Builds TapSentry and runs its test suite. Installs what a fresh Debian machine lacks
# (libpcap-dev, zlib1g-dev and libdeflate-dev for the build, tcpdump for the capture scripts) first.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/ensure-packages.sh
ensure_packages libpcap-dev:pcap/pcap.h zlib1g-dev:zlib.h libdeflate-dev:libdeflate.h tcpdump:tcpdump

swift build --build-tests
swift test --skip-build "$@"
