#!/usr/bin/env bash
# Records real FIX sessions between two QuickFIX engines (the quickfix-ssl wheel) on the loopback
# interface with tcpdump, and writes to Captures/fix/:
#
#   quickfix-fix44-trading.pcap      FIX.4.4 hub session: orders for several accounts, 115/128 routing,
#                                    Parties, cancel, ResendRequest + GapFill, Logout, second Logon
#   quickfix-fix44-marketdata.pcap   FIX.4.4 market data: V with 146/267 groups, W, X, Y 281=3
#   quickfix-bad-logon.pcap          FIX.4.4 Logon with a wrong password refused, then a good one
#   quickfix-fix42-fixt11.pcap       FIX.4.2 (RawData credential) and FIXT.1.1/FIX.5.0SP2 sessions
#
# and next to each a <name>.truth.json: every FIX message as QuickFIX sent it (from the sending
# engine's toAdmin/toApp callbacks, passwords redacted), checked against the TCP payload of the
# capture by `quickfix_scenario.py verify`. Scenario details are in fix/quickfix_scenario.py.
#
# Re-runnable: installs quickfix-ssl (pip) and tcpdump/tshark (apt) when missing, picks a random free
# port per capture, waits for tcpdump's "listening on", uses --immediate-mode (with TPACKET_V3,
# packets still in an unretired ring block when SIGINT arrives are never written), stops tcpdump
# with SIGINT and checks the packet count. A recording whose messages differ from the scenario's
# fixed expectation or from the captured bytes is made again (up to 8 attempts). Needs root (or
# capture rights) for tcpdump.
# Usage: Scripts/captures/record-fix.sh [OUTPUT_DIR [NAME:SCENARIO:MIN_PACKETS...]]
#        (default: Captures/fix and the four recordings above; with triples, only those)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/Captures/fix}
scenario="$here/fix/quickfix_scenario.py"
mkdir -p "$out"
work=$(mktemp -d)
# shellcheck source=tcpdump-lib.sh
source "$here/tcpdump-lib.sh"
trap 'rm -rf "$work"' EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
if ! python3 -c 'import quickfix' 2>/dev/null; then
    python3 -m pip install --quiet quickfix-ssl
fi
missing=()
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v tshark >/dev/null || missing+=(tshark)
if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# record NAME SCENARIO MIN_PACKETS
record() {
    local name=$1 scene=$2 minimum=$3
    local attempt port status count
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$(( 20000 + RANDOM % 40000 ))
        python3 "$scenario" probe "$port" || continue
        rm -f "$work/capture" "$work/tcpdump.err" "$work/truth.json" "$work/$name.truth.json"
        start_tcpdump "$name" -i lo "tcp port $port"
        status=0
        timeout 60 python3 "$scenario" run "$scene" --port "$port" --truth "$work/truth.json" || status=$?
        stop_tcpdump
        if [ "$status" = 3 ]; then continue; fi
        if [ "$status" = 4 ]; then echo "$name: unexpected messages (see above), recording again" >&2; continue; fi
        if [ "$status" != 0 ]; then echo "scenario $scene failed for $name (status $status)" >&2; exit 1; fi
        count=$(captured_packets "$name") || exit 1
        if [ "$count" -lt "$minimum" ]; then
            echo "$name: only $count packets (expected at least $minimum)" >&2
            exit 1
        fi
        if ! python3 "$scenario" verify --pcap "$work/capture" --truth "$work/truth.json" --port "$port" \
            --out "$work/$name.truth.json"; then
            echo "$name: the capture does not match the truth, recording again" >&2
            continue
        fi
        cat "$work/$name.truth.json" >"$out/$name.truth.json"
        cat "$work/capture" >"$out/$name.pcap"
        echo "$name.pcap: $count packets, port $port, $(stat -c %s "$out/$name.pcap") bytes"
        return 0
    done
    echo "$name: no good recording in 8 attempts" >&2
    exit 1
}

if [ $# -gt 1 ]; then
    # NAME:SCENARIO:MIN_PACKETS triples instead of the default recordings (record-scenarios.sh).
    for spec in "${@:2}"; do
        IFS=: read -r name scene minimum <<<"$spec"
        record "$name" "$scene" "$minimum"
    done
else
    record quickfix-fix44-trading trading 40
    record quickfix-fix44-marketdata marketdata 20
    record quickfix-bad-logon bad-logon 10
    record quickfix-fix42-fixt11 fix42-fixt11 30
fi
