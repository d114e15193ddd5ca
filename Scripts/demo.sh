#!/usr/bin/env bash
# Builds TapSentry in release mode, runs `tapsentry analyze` on the demo captures in Captures/ and
# `tapsentry decode` on a recorded FIX session and on a recorded CTP relay.
# Installs what a fresh Debian machine lacks (libpcap-dev) first.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/ensure-packages.sh
ensure_packages libpcap-dev:pcap/pcap.h zlib1g-dev:zlib.h

swift build -c release --product tapsentry >&2
bin=$(swift build -c release --show-bin-path)/tapsentry
out=${TMPDIR:-/tmp}/tapsentry-demo.eve.json

demo=(Captures/loopback-tcp.pcap Captures/loopback-tcp6.pcap Captures/loopback-bulk.pcap
      Captures/synthetic-vlan-qinq.pcap Captures/synthetic-ipv4-fragments.pcap
      Captures/synthetic-gap-reorder.pcap Captures/synthetic-malformed.pcap)
echo "== tapsentry analyze ${demo[*]} --eve $out" >&2
"$bin" analyze "${demo[@]}" --eve "$out"
echo >&2
echo "== the EVE output ($(wc -l <"$out") lines); first flow record and the stats record:" >&2
grep -m1 '"event_type":"flow"' "$out"
tail -n 1 "$out"
echo >&2
echo "== tapsentry decode: FIX messages recorded from two QuickFIX engines (first three, cut at 400 characters):" >&2
"$bin" decode Captures/fix/quickfix-fix44-trading.pcap --quiet | head -n 3 | cut -c 1-400
echo >&2
echo "== tapsentry decode: what a CTP relay reported for its end clients (the official 6.7.11 library; trading objects):" >&2
"$bin" decode --protocols ctp Captures/ctp/openctp-relay-one-to-many.pcap --quiet | grep -o '"trading":{"kind":"relay_client_info"[^}]*}' | head -n 3
echo >&2
echo "== a file that is not a capture is reported, the others still processed (exit status 2):" >&2
set +e
"$bin" analyze Captures/loopback-tcp.pcap Captures/synthetic-not-a-capture.pcap --eve /dev/null --quiet
echo "exit status $?" >&2
