#!/usr/bin/env bash
# Writes Captures/MANIFEST.md from the files in Captures/ (recorded ones summarized with tshark,
# synthetic ones described by `capgen describe`). Installs tshark when missing.
# Set SCRATCH_PATH to build capgen in another build folder, or CAPGEN to use a capgen binary
# already built from this tree instead of building it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/Captures}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v tshark >/dev/null; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark
fi
if [ -n "${CAPGEN:-}" ]; then
    [ -x "$CAPGEN" ] || { echo "CAPGEN=$CAPGEN is not an executable" >&2; exit 1; }
    capgen=$CAPGEN
else
    build=(swift build --package-path "$root" ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
    "${build[@]}" --product capgen >/dev/null
    capgen="$("${build[@]}" --show-bin-path)/capgen"
fi
tsv=$(mktemp)
trap 'rm -f "$tsv"' EXIT
"$capgen" describe >"$tsv"
python3 "$here/manifest.py" "$out" "$tsv"
echo "wrote $out/MANIFEST.md"
