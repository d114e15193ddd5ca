#!/usr/bin/env bash
# Differential check of TapSentry's FIX decoder against tshark and against ground truth.
#
# For every FIX capture in Captures/fix/ and in ../shared/peer-captures/ (when present), prints:
# the messages TapSentry decodes, the messages tshark decodes (with the recipe of
# shared/protocols/fix-step-binary.md section 6: out-of-order reassembly on, retransmissions
# excluded), the ground truth (a capture's .truth.json, or the peer-capture table below), and
# how often the two decoders agree on BeginString, MsgType, MsgSeqNum, SenderCompID and
# TargetCompID for the messages both found (matched by direction of travel and order).
# Exit status 1 when TapSentry misses the ground truth on any capture.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/ensure-packages.sh
ensure_packages libpcap-dev:pcap/pcap.h zlib1g-dev:zlib.h libdeflate-dev:libdeflate.h tshark:tshark

swift build -c release --product tapsentry >&2
bin=$(swift build -c release --show-bin-path)/tapsentry

captures=()
for file in Captures/fix/*.pcap ../shared/peer-captures/*.pcap; do
    [[ -e $file ]] && captures+=("$file")
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for file in "${captures[@]}"; do
    name=$(basename "$file")
    "$bin" decode "$file" --eve "$work/$name.tapsentry.json" --quiet || true
    tshark -r "$file" -o tcp.desegment_tcp_streams:TRUE -o fix.desegment:TRUE \
        -o tcp.reassemble_out_of_order:TRUE \
        -Y 'fix && !tcp.analysis.retransmission && !tcp.analysis.fast_retransmission' \
        -T json --no-duplicate-keys >"$work/$name.tshark.json" 2>/dev/null || echo "[]" >"$work/$name.tshark.json"
done

python3 - "$work" "${captures[@]}" <<'PYTHON'
import json, os, sys

work, captures = sys.argv[1], sys.argv[2:]

# Ground truth of the peer captures (shared/peer-captures/README.md): complete wire messages.
PEER_TRUTH = {
    "ndpi-fix-ibtws-fix41.pcap": 863, "ndpi-fix2-fixt11-retrans.pcap": 374,
    "rlabs-trace-fix4.0.pcap": 4, "rlabs-trace-fix4.0-mtu100.pcap": 4, "rlabs-trace-fix4.1.pcap": 4,
    "rlabs-trace-fix4.2.pcap": 4, "rlabs-trace-fix4.3.pcap": 4, "rlabs-trace-fix4.4.pcap": 5,
    "rlabs-trace-fixt1.1.pcap": 4, "rlabs-trace-fixt1.1-uncompliant.pcap": 4,
}
FIELDS = [("begin_string", "fix.BeginString"), ("msg_type", "fix.MsgType"), ("msg_seq_num", "fix.MsgSeqNum"),
          ("sender_comp_id", "fix.SenderCompID"), ("target_comp_id", "fix.TargetCompID")]

def same(field, a, b):
    # MsgSeqNum is compared as a number: `34=006127` is 6127 (TapSentry writes numbers, tshark strings).
    if field == "msg_seq_num" and a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b

def truth_count(path):
    truth = path[:-len(".pcap")] + ".truth.json"
    if os.path.exists(truth):
        with open(truth) as handle:
            data = json.load(handle)
        for key in ("complete_messages", "total_messages", "total", "message_count"):
            if isinstance(data, dict) and key in data:
                return int(data[key])
        if isinstance(data, dict) and isinstance(data.get("messages"), list):
            return len(data["messages"])
        if isinstance(data, list):
            return len(data)
    return PEER_TRUTH.get(os.path.basename(path))

def ours(path):
    messages = []
    with open(path) as handle:
        for line in handle:
            record = json.loads(line)
            fix = record.get("fix", {})
            if record.get("event_type") != "fix" or "begin_string" not in fix:
                continue  # stream anomalies (junk, truncation) are not messages
            key = (record["src_ip"], record["src_port"], record["dest_ip"], record["dest_port"])
            fields = {name: str(fix.get(name, "")) for name, _ in FIELDS}
            messages.append((key, fields, "envelope" not in fix))
    return messages

def theirs(path):
    with open(path) as handle:
        try:
            packets = json.load(handle)
        except json.JSONDecodeError:
            return []
    messages = []
    for packet in packets:
        layers = packet["_source"]["layers"]
        ip = layers.get("ip") or layers.get("ipv6") or {}
        src = ip.get("ip.src") or ip.get("ipv6.src")
        dst = ip.get("ip.dst") or ip.get("ipv6.dst")
        tcp = layers["tcp"]
        key = (src, int(tcp["tcp.srcport"]), dst, int(tcp["tcp.dstport"]))
        pdus = layers["fix"] if isinstance(layers["fix"], list) else [layers["fix"]]
        for pdu in pdus:
            if "fix.MsgType" not in pdu and "fix.BeginString" not in pdu:
                continue
            messages.append((key, {name: str(pdu.get(field, "")) for name, field in FIELDS}))
    return messages

print(f"{'capture':<40} {'tapsentry':>9} {'tshark':>7} {'truth':>6}  {'field agreement':>16}  verdict")
failed = False
for capture in captures:
    name = os.path.basename(capture)
    mine = ours(os.path.join(work, name + ".tapsentry.json"))
    other = theirs(os.path.join(work, name + ".tshark.json"))
    truth = truth_count(capture)
    by_direction = {}
    for key, fields in other:
        by_direction.setdefault(key, []).append(fields)
    compared = agreed = 0
    seen = {}
    for key, fields, plain in mine:
        if not plain:
            continue  # FIXCOMP and proprietary frames: tshark does not decode them
        index = seen.get(key, 0)
        seen[key] = index + 1
        candidates = by_direction.get(key, [])
        if index < len(candidates):
            for field, _ in FIELDS:
                compared += 1
                agreed += same(field, fields[field], candidates[index][field])
    agreement = f"{100.0 * agreed / compared:5.1f}% of {compared}" if compared else "-"
    if truth is None:
        verdict = "no ground truth"
    elif len(mine) == truth:
        verdict = "matches truth"
    else:
        verdict = f"MISSES truth by {truth - len(mine):+d}"
        failed = True
    print(f"{name:<40} {len(mine):>9} {len(other):>7} {truth if truth is not None else '-':>6}  {agreement:>16}  {verdict}")
sys.exit(1 if failed else 0)
PYTHON
