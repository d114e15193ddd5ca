#!/usr/bin/env bash
# Records real TCP traffic on the loopback interface with tcpdump while a small Python
# client/server (loopback_traffic.py) exchanges data, and writes the results to Captures/:
#
#   loopback-tcp.pcap      IPv4 127.0.0.1, short request/response conversation, clean close (EN10MB)
#   loopback-tcp6.pcap     the same over IPv6 ::1
#   loopback-bulk.pcap     256 KiB up, 192 KiB down over IPv4, MSS 1448 (Ethernet-like segments)
#   loopback-sll2.pcap     the conversation captured with -i any -y LINUX_SLL2
#   loopback-sll.pcap      the conversation captured with -i any -y LINUX_SLL
#   loopback-nano.pcap     the conversation with --time-stamp-precision=nano
#   loopback-tcp.pcapng    loopback-tcp.pcap converted with editcap -F pcapng (or capgen to-pcapng)
#
# Re-runnable: installs tcpdump (and tries wireshark-common for editcap) when missing, picks a
# random free high port per recording, waits for tcpdump's "listening on" before sending, stops
# it with SIGINT and checks the packet counts. --immediate-mode matters: with TPACKET_V3, packets
# still in an unretired ring block when SIGINT arrives are never written. Needs root (or capture rights) for tcpdump.
# Usage: Scripts/captures/record-loopback.sh [OUTPUT_DIR]   (default: Captures)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/Captures}
mkdir -p "$out"
work=$(mktemp -d)
# shellcheck source=tcpdump-lib.sh
source "$here/tcpdump-lib.sh"
trap 'rm -rf "$work"' EXIT

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v tcpdump >/dev/null; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump
fi
if ! command -v editcap >/dev/null; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wireshark-common >/dev/null 2>&1 || true
fi
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }

# record FILE INTERFACE HOST MODE MIN_PACKETS [tcpdump options...]
record() {
    local file=$1 interface=$2 host=$3 mode=$4 minimum=$5
    shift 5
    local attempt port status count
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$(( 20000 + RANDOM % 40000 ))
        python3 "$here/loopback_traffic.py" probe "$host" "$port" || continue
        rm -f "$work/capture" "$work/tcpdump.err"
        start_tcpdump "$file" -i "$interface" "$@" "tcp port $port"
        status=0
        python3 "$here/loopback_traffic.py" "$mode" "$host" "$port" || status=$?
        stop_tcpdump
        if [ "$status" = 3 ]; then continue; fi
        if [ "$status" != 0 ]; then echo "traffic failed for $file" >&2; exit 1; fi
        count=$(captured_packets "$file") || exit 1
        if [ "$count" -lt "$minimum" ]; then
            echo "$file: only $count packets (expected at least $minimum)" >&2
            exit 1
        fi
        cat "$work/capture" >"$out/$file"
        echo "$file: $count packets, port $port, $(stat -c %s "$out/$file") bytes"
        return 0
    done
    echo "no free port found for $file" >&2
    exit 1
}

record loopback-tcp.pcap lo 127.0.0.1 conversation 10
record loopback-tcp6.pcap lo ::1 conversation 10
record loopback-bulk.pcap lo 127.0.0.1 bulk 10
record loopback-sll2.pcap any 127.0.0.1 conversation 10 -y LINUX_SLL2
tcpdump -i any -L >"$work/linktypes" 2>&1 || true
if grep -q '^ *LINUX_SLL ' "$work/linktypes"; then
    record loopback-sll.pcap any 127.0.0.1 conversation 10 -y LINUX_SLL
else
    echo "tcpdump -i any does not offer LINUX_SLL here; loopback-sll.pcap not recorded" >&2
fi
record loopback-nano.pcap lo 127.0.0.1 conversation 10 --time-stamp-precision=nano

if command -v editcap >/dev/null; then
    editcap -F pcapng "$out/loopback-tcp.pcap" "$out/loopback-tcp.pcapng"
    echo "loopback-tcp.pcapng: editcap -F pcapng"
else
    swift build --package-path "$root" --product capgen >/dev/null
    "$(swift build --package-path "$root" --show-bin-path)/capgen" to-pcapng \
        --in "$out/loopback-tcp.pcap" --out "$out/loopback-tcp.pcapng"
fi
