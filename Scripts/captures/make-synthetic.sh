#!/usr/bin/env bash
# Writes the synthetic captures (capgen all) into Captures/ and refreshes MANIFEST.md.
# Deterministic: fixed seeds and times, so a re-run gives identical bytes.
# Set SCRATCH_PATH to build capgen in another build folder.
#
# The large benchmark capture is not written here; make it with
#   swift build -c release --product capgen && .build/release/capgen bench --out /tmp/bench.pcap --size-mb 600 --flows 4000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/Captures}
mkdir -p "$out"
build=(swift build --package-path "$root" ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
"${build[@]}" --product capgen >/dev/null
"$("${build[@]}" --show-bin-path)/capgen" all --out "$out"
"$here/make-manifest.sh" "$out"
