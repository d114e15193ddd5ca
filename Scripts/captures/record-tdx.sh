#!/usr/bin/env bash
# Records the real pytdx client (PyPI pytdx: TdxHq_API, and TdxTradeApi for the HTTP wrapper) talking
# to the simulated servers of tdx/tdx_server.py and tdx/tdx_trade_http.py on the loopback interface
# with tcpdump, and writes to Captures/tdx/:
#
#   pytdx-quotes-clients.pcap     three clients at once: set-up, security counts, repeated quote
#                                 batches of 2, 12, 30 and 80 codes (plain and compressed replies)
#   pytdx-list-harvest.pcap       one client: counts, the whole security list of both markets page by
#                                 page, then quotes for every listed code in batches of 80
#   pytdx-bars-minute.pcap        daily and five-minute bars, minute data, history minute data,
#                                 trades, a block-file meta request
#   pytdx-heartbeat.pcap          heartbeat=True: pytdx's 0x044e heartbeats during a 34 s idle pause
#   pytdx-extended.pcap           TdxExHq_API (extended market, port 7727): 0x2454 set-up, markets,
#                                 instrument count and info, float32 instrument quotes
#   official-handmade.pcap        HAND-MADE frames from the notes (not pytdx, not observed): the
#                                 official client's 0x000b login, a customcfg_*.zip download, 0x0004
#   tdxtradeserver-http.pcap      TdxTradeServer HTTP wrapper, plain JSON (passwords in clear)
#   tdxtradeserver-http-aes.pcap  the same wrapper with pytdx's AES transport encryption
#
# and next to each a <name>.truth.json: every frame (or HTTP message) of every connection in both
# directions with its stream offset, header fields and decoded values (tdx/tdx_scenario.py; each
# pytdx result was compared with what the server encoded). Each capture is then rewritten
# (tdx/tdx_pcap.py rewrite): every simulated client gets its own address (10.30.x.y), the server is
# 10.30.0.1 port 7709 (quotes), 7727 (extended market) or 10092 (HTTP wrapper), checksums are recomputed; `tdx_pcap.py
# check` then verifies the file against its truth.
#
# Re-runnable on a fresh Debian machine: installs pytdx, requests and cryptography (pip) and tcpdump
# (apt) when missing; picks random free ports, waits for tcpdump's "listening on", stops it with
# SIGINT and checks the packet count. A failed recording is made again (up to 5 attempts). Needs
# root (or sudo) for apt and tcpdump.
# Usage: Scripts/captures/record-tdx.sh [OUTPUT_DIR [NAME:SCENARIO:MIN_PACKETS...]]   (default: Captures/tdx,
#        every capture above; with triples, only those, for example the detection scenarios)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/Captures/tdx}
tdx="$here/tdx"
mkdir -p "$out"
work=$(mktemp -d)
# shellcheck source=tcpdump-lib.sh
source "$here/tcpdump-lib.sh"
trap 'rm -rf "$work"' EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "record-tdx.sh: $*" >&2; exit 1; }

command -v python3 >/dev/null || fail "python3 is needed"
if ! command -v tcpdump >/dev/null; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump \
        || fail "cannot install tcpdump"
fi
if ! python3 -c 'import pytdx.hq, pytdx.trade.trade, requests, cryptography' 2>/dev/null; then
    python3 -m pip install --quiet pytdx requests cryptography || fail "pip install pytdx requests cryptography failed"
fi

# record NAME SCENARIO MIN_PACKETS
record() {
    local name=$1 scene=$2 minimum=$3
    local attempt port status count
    for attempt in 1 2 3 4 5; do
        port=$(( 20000 + RANDOM % 40000 ))
        python3 "$tdx/tdx_scenario.py" probe "$port" || continue
        rm -f "$work"/truth.json "$work"/final.*
        # a 64 MiB buffer: with Swift builds on both cores tcpdump can fall behind and drop packets
        start_tcpdump "$name" -B 65536 -i lo "tcp port $port"
        status=0
        timeout 120 python3 "$tdx/tdx_scenario.py" run "$scene" --port "$port" --truth "$work/truth.json" || status=$?
        stop_tcpdump
        if [ "$status" = 3 ]; then continue; fi
        if [ "$status" != 0 ]; then echo "$name: scenario $scene failed (status $status), recording again" >&2; continue; fi
        if ! grep -q "^0 packets dropped by kernel" "$work/tcpdump.err"; then
            echo "$name: tcpdump says: $(grep dropped "$work/tcpdump.err" | head -1), recording again" >&2
            continue
        fi
        count=$(captured_packets "$name") || exit 1
        [ "$count" -ge "$minimum" ] || fail "$name: only $count packets (expected at least $minimum)"
        python3 "$tdx/tdx_pcap.py" rewrite --pcap "$work/capture" --truth "$work/truth.json" \
            --out "$work/final.pcap" --out-truth "$work/final.truth.json" || fail "$name: rewrite failed"
        if ! python3 "$tdx/tdx_pcap.py" check --pcap "$work/final.pcap" --truth "$work/final.truth.json"; then
            echo "$name: the capture does not match its truth, recording again" >&2
            continue
        fi
        cp "$work/final.pcap" "$out/$name.pcap"
        cp "$work/final.truth.json" "$out/$name.truth.json"
        echo "$name.pcap: $count packets, $(stat -c %s "$out/$name.pcap") bytes"
        return 0
    done
    fail "$name: no good recording in 5 attempts"
}

recorded=()
if [ $# -gt 1 ]; then
    # NAME:SCENARIO:MIN_PACKETS triples (for example the detection scenarios): only those.
    for spec in "${@:2}"; do
        IFS=: read -r name scene minimum <<<"$spec"
        record "$name" "$scene" "$minimum"
        recorded+=("$name")
    done
else
    record pytdx-quotes-clients quotes-clients 60
    record pytdx-list-harvest list-harvest 70
    record pytdx-bars-minute bars-minute 30
    record pytdx-heartbeat heartbeat 20
    record pytdx-extended extended 40
    record official-handmade official-handmade 10
    record tdxtradeserver-http trade-http 20
    record tdxtradeserver-http-aes trade-http-aes 10
    recorded=(pytdx-quotes-clients pytdx-list-harvest pytdx-bars-minute pytdx-heartbeat pytdx-extended
        official-handmade tdxtradeserver-http tdxtradeserver-http-aes)
fi

for name in "${recorded[@]}"; do
    python3 "$tdx/tdx_pcap.py" check --pcap "$out/$name.pcap" --truth "$out/$name.truth.json" >/dev/null \
        || fail "$name.pcap failed its final check"
done
echo "the recorded captures in $out checked against their truth"
