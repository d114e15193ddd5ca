#!/usr/bin/env bash
# Builds TapSentry in release mode, runs `tapsentry analyze` on the demo captures in Captures/ and
# `tapsentry decode` on a recorded FIX session, on a recorded CTP relay and on recorded pytdx quote
# clients, then the detection scenarios of Captures/scenarios/ (real QuickFIX, CTP and pytdx clients) with
# the demo site registry: the alerts of each, by category, and the checks of the rules' own tests.
# Installs what a fresh Debian machine lacks (libpcap-dev, zlib1g-dev, libdeflate-dev) first.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/ensure-packages.sh
ensure_packages libpcap-dev:pcap/pcap.h zlib1g-dev:zlib.h libdeflate-dev:libdeflate.h

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
echo "== tapsentry decode: pytdx clients pulling quote batches from a TDX quote server (the set-up, a quote request and its reply; trading objects, cut at 300 characters):" >&2
tdx_out=${TMPDIR:-/tmp}/tapsentry-demo-tdx.jsonl
"$bin" decode --protocols tdx Captures/tdx/pytdx-quotes-clients.pcap --quiet >"$tdx_out"
for kind in logon md_subscribe md_quote; do
    grep -m1 "\"kind\":\"$kind\"" "$tdx_out" | grep -o '"trading":{.*' | cut -c 1-300
done
echo >&2
echo "== tapsentry rules test: every built-in rule's own test cases" >&2
"$bin" rules test | tail -n 1
echo >&2
site=Captures/scenarios/site.yaml
for capture in Captures/scenarios/*.pcap; do
    echo "== tapsentry analyze $capture --site $site (summary: alerts by category with the main evidence)" >&2
    python3 -c 'import json,sys; print("   ", next(s["summary"] for s in json.load(open(sys.argv[1]))["scenarios"] if s["capture"] == sys.argv[2]))' \
        Captures/scenarios/scenarios.json "$(basename "$capture")" >&2
    "$bin" analyze "$capture" --site "$site" --eve "$out" --no-progress 2>&1 | sed -n '/^  alerts:/,$p' >&2
    grep -m1 '"event_type":"alert"' "$out" | cut -c 1-600 || echo "    (no alert record)" >&2
    echo >&2
done
echo "== the same scenario without a site file: the summary says which rules are weaker or off" >&2
"$bin" analyze Captures/scenarios/ctp-quotes-unlisted-host.pcap --eve /dev/null --no-progress 2>&1 | sed -n '/^  rules:/,$p' >&2
echo >&2
echo "== a rule with a misspelt field is refused with its file, line and column:" >&2
bad=${TMPDIR:-/tmp}/tapsentry-demo-bad-rule.yaml
printf -- '- id: 5001\n  name: local.typo\n  category: api-resale\n  severity: low\n  description: demo\n  match:\n    kind: authenticate\n    where: {app_idd: {exists: true}}\n  tests: [{events: [], expect: {alerts: 0}}]\n' >"$bad"
"$bin" rules check "$bad" || true
echo >&2
echo "== a file that is not a capture is reported, the others still processed (exit status 2):" >&2
set +e
"$bin" analyze Captures/loopback-tcp.pcap Captures/synthetic-not-a-capture.pcap --eve /dev/null --quiet
echo "exit status $?" >&2
