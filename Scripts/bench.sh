#!/usr/bin/env bash
# Throughput and memory of `tapsentry analyze` against the tools analysts use today, measured in
# the same run on the same file:
#   tcpdump -r FILE -w /dev/null     libpcap's bare read (the floor)
#   tshark -n -r FILE -q -z conv,tcp Wireshark's dissection up to TCP with conversation tracking
#   tapsentry analyze FILE           parse, flow table, TCP reassembly, flow records (no decoders yet)
#
# Usage: Scripts/bench.sh [--size-mb N] [--flows N] [--runs N] [--no-tshark]
# The capture (default 600 MB, 4000 concurrent flows) is generated once into .build/bench-data/.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/ensure-packages.sh

size_mb=600
flows=4000
runs=3
with_tshark=1
while (($#)); do
    case $1 in
        --size-mb) size_mb=$2; shift 2 ;;
        --flows) flows=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --no-tshark) with_tshark=0; shift ;;
        *) echo "usage: $0 [--size-mb N] [--flows N] [--runs N] [--no-tshark]" >&2; exit 2 ;;
    esac
done

packages=(libpcap-dev:pcap/pcap.h zlib1g-dev:zlib.h tcpdump:tcpdump time:/usr/bin/time)
((with_tshark)) && packages+=(tshark:tshark)
ensure_packages "${packages[@]}"

swift build -c release --product tapsentry >&2
swift build -c release --product capgen >&2
bin=$(swift build -c release --show-bin-path)

data=.build/bench-data
mkdir -p "$data"
capture=$data/bench-${size_mb}mb-${flows}flows.pcap
if [[ ! -s $capture ]]; then
    echo "generating $capture" >&2
    "$bin/capgen" bench --out "$capture" --size-mb "$size_mb" --flows "$flows" >&2
fi
bytes=$(stat -c %s "$capture")
cat "$capture" >/dev/null  # warm the page cache so every tool reads from memory

# best_of N CMD...: runs the command N times, prints "seconds peak_kb" of the fastest run.
best_of() {
    local n=$1; shift
    local best="" best_kb=0 i line secs kb
    for ((i = 0; i < n; i++)); do
        /usr/bin/time -o "$data/time.out" -f "%e %M" "$@" >/dev/null 2>&1 || true
        line=$(tail -n 1 "$data/time.out")
        secs=${line% *}
        kb=${line#* }
        if [[ -z $best ]] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
        ((kb > best_kb)) && best_kb=$kb
    done
    echo "$best $best_kb"
}

echo "capture: $capture ($(awk "BEGIN{printf \"%.1f\", $bytes/1e6}") MB, $flows concurrent flows), best of $runs runs, one core" >&2
read -r tcpdump_s tcpdump_kb < <(best_of "$runs" tcpdump -r "$capture" -w /dev/null)
read -r tapsentry_s tapsentry_kb < <(best_of "$runs" "$bin/tapsentry" analyze "$capture" --eve /dev/null --quiet --no-progress)
if ((with_tshark)); then
    read -r tshark_s tshark_kb < <(best_of 1 tshark -n -r "$capture" -q -z conv,tcp)
fi

row() {  # name seconds peak_kb
    awk -v name="$1" -v s="$2" -v kb="$3" -v bytes="$bytes" -v base="$tapsentry_s" 'BEGIN {
        ratio = (s == base) ? "-" : sprintf("%.2fx", s / base)
        printf "%-46s %7.2f s %10.1f MB/s %9.1f MB %18s\n", name, s, bytes/1e6/s, kb/1024, ratio }'
}
printf '%-46s %9s %15s %12s %18s\n' tool time throughput "peak memory" "tapsentry speed-up"
row "tapsentry analyze (reassembly, flow records)" "$tapsentry_s" "$tapsentry_kb"
row "tcpdump -r FILE -w /dev/null" "$tcpdump_s" "$tcpdump_kb"
((with_tshark)) && row "tshark -n -q -z conv,tcp" "$tshark_s" "$tshark_kb"
awk -v t="$tapsentry_s" -v d="$tcpdump_s" -v kb="$tapsentry_kb" 'BEGIN {
    ratio = t / d
    printf "\nanalyze costs %.2fx tcpdump'\''s bare read (target: at most 2x): %s\n", ratio, (ratio <= 2 ? "met" : "NOT met")
    printf "analyze peak memory %.1f MB (target: under 150 MB): %s\n", kb/1024, (kb/1024 < 150 ? "met" : "NOT met")
}'
