#!/usr/bin/env bash
# Live capture under load, the way the tool is used on a span port: `tapsentry live` captures on
# one end of a veth pair while tcpreplay, in a network namespace, replays captures into the other
# end at increasing rates (or on `lo` when namespaces are not permitted).
#
# Per rate it reports: the rate tcpreplay reached, packets offered (sent by tcpreplay), captured
# (read by the tool), dropped by the kernel (libpcap's ps_drop + ps_ifdrop), dropped by the tool
# (received by the kernel, not dropped there, yet never processed: the tool never discards, so
# this should be 0), and whether the alerts equal those of `tapsentry analyze` on the same
# captures (compared as rule id + evidence group; times and flow ids differ by nature).
#
# Two loads per rate:
#   scenarios  the nine abuse scenarios of Captures/scenarios (alerts compared)
#   bench      the first --limit packets of a benchmark capture (throughput and drops; alerts
#              compared too)
# Rates are tcpreplay --mbps values, "xN" for --multiplier=N (the capture's own timing sped up N
# times; x1 keeps packet-time windows as recorded, so alerts should equal the offline run's), and
# "top" for --topspeed (the most tcpreplay can offer here). Faster replays compress packet time:
# rules that count events per second (order bursts) then see more per second than the capture has.
#
# Usage: Scripts/live-bench.sh [--rates "x1 100 400 1000 top"] [--workers N] [--bench FILE]
#                              [--limit PACKETS] [--json FILE] [--interface lo]
# Needs root (namespaces, capture). Results also go to .build/bench-data/live-<time>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/ensure-packages.sh

rates="x1 100 400 1000 top"
workers=$(nproc)
bench=""
limit=300000
json=""
interface=""
while (($#)); do
    case $1 in
        --rates) rates=$2; shift 2 ;;
        --workers) workers=$2; shift 2 ;;
        --bench) bench=$2; shift 2 ;;
        --limit) limit=$2; shift 2 ;;
        --json) json=$2; shift 2 ;;
        --interface) interface=$2; shift 2 ;;
        *) echo "usage: $0 [--rates \"x1 100 400 1000 top\"] [--workers N] [--bench FILE] [--limit PACKETS] [--json FILE] [--interface lo]" >&2; exit 2 ;;
    esac
done

ensure_packages libpcap-dev:pcap/pcap.h zlib1g-dev:zlib.h libdeflate-dev:libdeflate.h tcpreplay:tcpreplay iproute2:ip python3:python3
swift build -c release --product tapsentry >&2
swift build -c release --product capgen >&2
bin=$(swift build -c release --show-bin-path)
data=.build/bench-data
mkdir -p "$data"
work=$(mktemp -d)
namespace=tsbench$$
capture_if=tsb0$$
replay_if=tsb1$$
cleanup() {
    [[ -n ${live_pid:-} ]] && kill -INT "$live_pid" 2>/dev/null || true
    ip link del "$capture_if" 2>/dev/null || true
    ip netns del "$namespace" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The benchmark load: a slice of the mixed capture, else of the FIX one (generated when missing).
if [[ -z $bench ]]; then
    bench=$(ls "$data"/mixed-*.pcap 2>/dev/null | head -n 1 || true)
    if [[ -z $bench ]]; then
        bench=$data/fix-600mb-2000sessions.pcap
        if [[ ! -s $bench ]]; then
            echo "generating $bench" >&2
            "$bin/capgen" fix-bench --out "$bench" --size-mb 600 --sessions 2000 >&2
        fi
    fi
fi
python3 - "$bench" "$work/bench.pcap" "$limit" <<'EOF'
import struct, sys
source, target, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(source, 'rb') as f, open(target, 'wb') as out:
    header = f.read(24)
    out.write(header)
    little = header[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1')
    fmt = '<IIII' if little else '>IIII'
    for _ in range(limit):
        record = f.read(16)
        if len(record) < 16:
            break
        length = struct.unpack(fmt, record)[2]
        out.write(record + f.read(length))
EOF
scenarios=(Captures/scenarios/*.pcap)
site=Captures/scenarios/site.yaml
# The mixed capture comes with its own site file (its hosts, AppIDs and consumers).
bench_site=${bench%.pcap}.site.yaml
[[ -s $bench_site ]] || bench_site=$site

# The interface pair (or lo).
mtu=9000
if [[ -z $interface ]]; then
    if ip netns add "$namespace" 2>/dev/null && ip link add "$capture_if" type veth peer name "$replay_if" 2>/dev/null; then
        ip link set "$replay_if" netns "$namespace"
        sysctl -qw "net.ipv6.conf.$capture_if.disable_ipv6=1" || true
        ip netns exec "$namespace" sysctl -qw "net.ipv6.conf.$replay_if.disable_ipv6=1" || true
        # Generated captures hold frames up to the largest segment the generators write.
        ip link set "$capture_if" mtu 65521 2>/dev/null || ip link set "$capture_if" mtu "$mtu"
        ip netns exec "$namespace" ip link set "$replay_if" mtu 65521 2>/dev/null || ip netns exec "$namespace" ip link set "$replay_if" mtu "$mtu"
        ip link set "$capture_if" up
        ip netns exec "$namespace" ip link set "$replay_if" up
        replay=(ip netns exec "$namespace" tcpreplay -i "$replay_if")
        interface=$capture_if
        echo "veth pair $capture_if <- $replay_if (namespace $namespace)" >&2
    else
        echo "namespaces not permitted here: replaying on lo" >&2
        ip netns del "$namespace" 2>/dev/null || true
        interface=lo
        replay=(tcpreplay -i lo)
    fi
else
    replay=(tcpreplay -i "$interface")
fi

# The alerts of a run as sorted "id group" lines; flow ids are left out of groups (they hash the
# flow's start time, which a replay changes).
alert_keys() {
    python3 -c '
import json, sys
keys = []
for line in open(sys.argv[1]):
    record = json.loads(line)
    if record.get("event_type") == "alert":
        group = {k: ("-" if k == "flow_id" else v) for k, v in record.get("evidence", {}).get("group", {}).items()}
        keys.append("%s %s" % (record["alert"]["signature_id"], json.dumps(group, sort_keys=True)))
print("\n".join(sorted(keys)))' "$1"
}
"$bin/tapsentry" analyze --quiet --no-progress --workers "$workers" --site "$site" --eve "$work/offline-scenarios.json" "${scenarios[@]}"
"$bin/tapsentry" analyze --quiet --no-progress --workers "$workers" --site "$bench_site" --eve "$work/offline-bench.json" "$work/bench.pcap"
alert_keys "$work/offline-scenarios.json" >"$work/offline-scenarios.alerts"
alert_keys "$work/offline-bench.json" >"$work/offline-bench.alerts"

printf '%-10s %-6s %12s %12s %10s %10s %10s %10s %14s\n' load rate "offered" "captured" "k.dropped" "t.dropped" "Mbps" "pps" "alerts"
results=()
for load in scenarios bench; do
    if [[ $load == scenarios ]]; then files=("${scenarios[@]}") load_site=$site; else files=("$work/bench.pcap") load_site=$bench_site; fi
    for rate in $rates; do
        eve=$work/live-$load-$rate.json
        log=$work/live-$load-$rate.log
        "$bin/tapsentry" live -i "$interface" --workers "$workers" --site "$load_site" --eve "$eve" --no-promisc 2>"$log" &
        live_pid=$!
        for _ in $(seq 100); do grep -qs "listening on" "$log" && break; sleep 0.1; done
        case $rate in
            top) speed=(--topspeed) ;;
            x*) speed=(--multiplier="${rate#x}") ;;
            *) speed=(--mbps="$rate") ;;
        esac
        replay_out=$("${replay[@]}" "${speed[@]}" "${files[@]}" 2>&1 || true)
        sleep 2  # let the tool finish what the kernel holds
        kill -INT "$live_pid"
        wait "$live_pid" || true
        live_pid=""
        read -r offered mbps pps failed < <(python3 -c '
import re, sys
text = sys.stdin.read()
sent = sum(int(m) for m in re.findall(r"Actual: (\d+) packets", text))
rated = re.findall(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps", text)
failed = sum(int(m) for m in re.findall(r"Failed packets:\s+(\d+)", text))
mbps = max((float(r[0]) for r in rated), default=0.0)
pps = max((float(r[1]) for r in rated), default=0.0)
print(sent, "%.1f" % mbps, "%.0f" % pps, failed)' <<<"$replay_out")
        read -r captured kdropped received < <(python3 -c '
import json, sys
stats = json.loads(open(sys.argv[1]).read().splitlines()[-1])["stats"]["capture"]
print(stats["packets"], stats.get("kernel_dropped", 0) + stats.get("interface_dropped", 0), stats.get("kernel_received", 0))' "$eve")
        tdropped=$((received - kdropped - captured))
        ((tdropped < 0)) && tdropped=0
        alert_keys "$eve" >"$work/live.alerts"
        live_alerts=$(grep -c . "$work/live.alerts" || true)
        offline_alerts=$(grep -c . "$work/offline-$load.alerts" || true)
        if cmp -s "$work/live.alerts" "$work/offline-$load.alerts"; then same="same($live_alerts)"; else same="DIFF($live_alerts/$offline_alerts)"; fi
        printf '%-10s %-6s %12s %12s %10s %10s %10s %10s %14s\n' "$load" "$rate" "$offered" "$captured" "$kdropped" "$tdropped" "$mbps" "$pps" "$same"
        if [[ $same == DIFF* ]]; then
            # Which rules differ, and by how many alerts.
            python3 - "$work/offline-$load.alerts" "$work/live.alerts" <<'EOF'
import collections, sys
offline = collections.Counter(line.split()[0] for line in open(sys.argv[1]) if line.strip())
live = collections.Counter(line.split()[0] for line in open(sys.argv[2]) if line.strip())
for rule in sorted(set(offline) | set(live), key=int):
    if offline[rule] != live[rule]:
        print("    rule %s: %d offline, %d live" % (rule, offline[rule], live[rule]))
EOF
        fi
        results+=("{\"load\":\"$load\",\"rate\":\"$rate\",\"offered\":$offered,\"failed\":$failed,\"captured\":$captured,\"kernel_received\":$received,\"kernel_dropped\":$kdropped,\"tool_dropped\":$tdropped,\"mbps\":$mbps,\"pps\":$pps,\"alerts_live\":$live_alerts,\"alerts_offline\":$offline_alerts,\"alerts_equal\":$([[ $same == same* ]] && echo true || echo false)}")
    done
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${json:-$data/live-$stamp.json}
{
    printf '{"time":"%s","interface":"%s","workers":%s,"bench":"%s","bench_packets":%s,"runs":[' "$stamp" "$interface" "$workers" "$bench" "$limit"
    (IFS=,; printf '%s' "${results[*]}")
    printf ']}\n'
} >"$out"
echo "results: $out"
echo "(alerts differ when a replay is faster than the capture's own timing: packet time is compressed, so"
echo " rules that count per second, such as the order bursts of 2012-2014, see more per second; x1 keeps it)"
