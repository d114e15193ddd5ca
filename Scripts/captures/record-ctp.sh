#!/usr/bin/env bash
# Records the official SFIT CTP client library (PyPI wheel openctp-ctp 6.7.11, trader and market-data
# APIs) talking to the simulated fronts of ctp/ctp_front.py on the loopback interface with tcpdump,
# and writes to Captures/ctp/:
#
#   openctp-trader-direct.pcap        one direct client: two-step authentication, automatic terminal
#                                     info, orders filled / resting / cancelled / refused, logout
#   openctp-multi-user.pcap           four connections: several users from several addresses, one
#                                     operator trading for three investors, one user from two addresses
#   openctp-relay-many-to-many.pcap   relay with AppType 2: per end client authenticate,
#                                     RegisterUserSystemInfo, login, order, logout
#   openctp-relay-one-to-many.pcap    relays with AppType 3: one login, SubmitUserSystemInfo per end
#                                     client, one terminal-info blob reused across users and relays
#   openctp-md-subscribers.pcap       two market-data clients: subscribe, quote streams, unsubscribe,
#                                     front keep-alives, logout
#
# and next to each a <name>.truth.json: every frame of every connection in both directions with its
# stream offset, FTDC header, field ids, lengths and decoded values (ctp/ctp_scenario.py). Each
# capture is then rewritten (ctp/ctp_pcap.py rewrite): every simulated client gets its own address
# (10.20.x.y; the fronts are 10.20.0.1 and 10.20.0.2) and the 128 bytes of key material in the
# front's RspApiHandshake (0x3026) become zeros; `ctp_pcap.py check` then verifies the file against
# its truth, that the key material is zero and that no piece of the original key is left.
#
# The two captured handshake replies of the fronts come from HANDSHAKE_DIR (default ../shared/ctp
# next to the repository); they are never written to the repository.
# Re-runnable on a fresh Debian machine: installs openctp-ctp (pip), the zh_CN.GB18030 locale the
# library needs, and tcpdump (apt) when missing; picks random free ports, waits for tcpdump's
# "listening on", stops it with SIGINT and checks the packet count. A failed recording is made
# again (up to 5 attempts). Needs root (or sudo) for apt and tcpdump.
# Usage: Scripts/captures/record-ctp.sh [OUTPUT_DIR [HANDSHAKE_DIR [NAME:SCENARIO:MIN_PACKETS...]]]
#        (default: Captures/ctp and the five recordings above; with triples, only those)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/Captures/ctp}
handshakes=${2:-$root/../shared/ctp}
ctp="$here/ctp"
mkdir -p "$out"
work=$(mktemp -d)
# shellcheck source=tcpdump-lib.sh
source "$here/tcpdump-lib.sh"
trap 'rm -rf "$work"' EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "record-ctp.sh: $*" >&2; exit 1; }

for file in rsp-api-handshake.bin rsp-verify-api-key.bin; do
    [ -r "$handshakes/$file" ] || fail "$handshakes/$file is missing: the captured front handshake replies are needed (second argument)"
done
command -v python3 >/dev/null || fail "python3 is needed"

missing=()
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v nm >/dev/null || missing+=(binutils)
command -v localedef >/dev/null || missing+=(locales)
if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
if ! locale -a 2>/dev/null | grep -qi '^zh_CN\.gb18030$'; then
    as_root localedef -i zh_CN -f GB18030 zh_CN.GB18030 || fail "cannot create the zh_CN.GB18030 locale"
fi
export LANG=zh_CN.GB18030
if ! python3 -c 'import openctp_ctp, sys; sys.exit(openctp_ctp.__version__ != "6.7.11.0")' 2>/dev/null; then
    python3 -m pip install --quiet "openctp-ctp==6.7.11" || fail "pip install openctp-ctp==6.7.11 failed"
fi
# The field layouts the front uses must be those of the installed library.
python3 "$ctp/wheel_dictionary.py" check || fail "the field dictionary differs from the installed library"

# record NAME SCENARIO MIN_PACKETS
record() {
    local name=$1 scene=$2 minimum=$3
    local attempt trader md status count
    for attempt in 1 2 3 4 5; do
        trader=$(( 20000 + RANDOM % 20000 ))
        md=$(( trader + 20000 ))
        python3 "$ctp/ctp_scenario.py" probe "$trader" "$md" || continue
        rm -f "$work"/truth.json "$work"/final.*
        start_tcpdump "$name" -i lo "tcp port $trader or tcp port $md"
        status=0
        timeout 120 python3 "$ctp/ctp_scenario.py" run "$scene" --trader-port "$trader" --md-port "$md" \
            --truth "$work/truth.json" --handshake-dir "$handshakes" 2>"$work/scenario.err" || status=$?
        stop_tcpdump
        # the library prints harmless notes (missing lshw/dmidecode, eth0) while collecting terminal info
        grep -v -e 'lshw: not found' -e 'dmidecode: not found' -e '^eth0: ' "$work/scenario.err" >&2 || true
        if [ "$status" = 3 ]; then continue; fi
        if [ "$status" != 0 ]; then echo "$name: scenario $scene failed (status $status), recording again" >&2; continue; fi
        count=$(captured_packets "$name") || exit 1
        [ "$count" -ge "$minimum" ] || fail "$name: only $count packets (expected at least $minimum)"
        python3 "$ctp/ctp_pcap.py" rewrite --pcap "$work/capture" --truth "$work/truth.json" \
            --out "$work/final.pcap" --out-truth "$work/final.truth.json" || fail "$name: rewrite failed"
        if ! python3 "$ctp/ctp_pcap.py" check --pcap "$work/final.pcap" --truth "$work/final.truth.json" \
            --handshake-dir "$handshakes"; then
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

if [ $# -gt 2 ]; then
    # NAME:SCENARIO:MIN_PACKETS triples instead of the default recordings (record-scenarios.sh).
    for spec in "${@:3}"; do
        IFS=: read -r name scene minimum <<<"$spec"
        record "$name" "$scene" "$minimum"
    done
else
    record openctp-trader-direct trader-direct 40
    record openctp-multi-user multi-user 100
    record openctp-relay-many-to-many relay-many-to-many 60
    record openctp-relay-one-to-many relay-one-to-many 60
    record openctp-md-subscribers md-subscribers 100
fi

# Last line of defence: every committed capture has its key material zeroed.
for pcap in "$out"/openctp-*.pcap "$out"/ctp-*.pcap; do
    [ -e "$pcap" ] || continue
    python3 "$ctp/ctp_pcap.py" check --pcap "$pcap" --truth "${pcap%.pcap}.truth.json" --handshake-dir "$handshakes" >/dev/null \
        || fail "$pcap failed its final check"
done
echo "all captures in $out checked: truth matches, key material zero"
