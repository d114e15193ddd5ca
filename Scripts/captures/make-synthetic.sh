#!/usr/bin/env bash
# Writes the synthetic captures (capgen all) into Captures/ and refreshes MANIFEST.md. The FIX
# captures (fix-edgecases, fix-prefix-split, fix-resync) go into Captures/fix/ with their
# ground-truth .truth.json files.
# Deterministic: fixed seeds and times, so a re-run gives identical bytes.
# Set SCRATCH_PATH to build capgen in another build folder.
#
# The large benchmark captures are not written here; make them with
#   swift build -c release --product capgen
#   .build/release/capgen bench --out /tmp/bench.pcap --size-mb 600 --flows 4000
#   .build/release/capgen fix-bench --out /tmp/fix-bench.pcap --size-mb 600 --sessions 2000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/Captures}
mkdir -p "$out"
build=(swift build --package-path "$root" ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
"${build[@]}" --product capgen >/dev/null
"$("${build[@]}" --show-bin-path)/capgen" all --out "$out"
"$here/make-manifest.sh" "$out"
