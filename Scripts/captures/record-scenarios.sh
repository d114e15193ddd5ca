#!/usr/bin/env bash
# Records the detection scenarios of Captures/scenarios/ with the real client libraries (QuickFIX, the
# official CTP API, pytdx), through the recorders of the decoder captures (same checks against the
# ground truth, same address rewrite):
#
#   fix-dozen-accounts.pcap            QuickFIX: one FIX session (SPLIT01) ordering for twelve accounts
#   fix-clean-desk.pcap                QuickFIX: a registered session (DESKA) trading its registered accounts
#   fix-order-bursts.pcap              QuickFIX: that session firing three sub-second bursts of orders for one account
#   fix-quotes-unlisted-host.pcap      QuickFIX: market data (W, X) to a client that is not an authorised consumer
#   ctp-appid-shared.pcap              official CTP API: six users on one AppID from six networks
#   ctp-operator-eight-investors.pcap  official CTP API: one direct session ordering for eight investors
#   ctp-quotes-unlisted-host.pcap      official CTP API: quotes to a registered consumer and to an unlisted host
#   ctp-clean-registered.pcap          official CTP API: a direct client, a registered relay, a trading MD consumer
#   tdx-list-harvest.pcap              pytdx: a scraper paging through the whole security list, then quotes for all of it
#
# What each must raise with Captures/scenarios/site.yaml is in Captures/scenarios/scenarios.json
# (and the manifest); the golden alert outputs (<name>.alerts.jsonl) are written by the tests
# (TAPSENTRY_UPDATE_GOLDEN=1 swift test --filter ScenarioTests) and reviewed.
# Usage: Scripts/captures/record-scenarios.sh [OUTPUT_DIR [HANDSHAKE_DIR]]   (default: Captures/scenarios)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/Captures/scenarios}
handshakes=${2:-$root/../shared/ctp}
mkdir -p "$out"
"$here/record-fix.sh" "$out" fix-dozen-accounts:dozen-accounts:40 fix-clean-desk:clean-desk:15 \
    fix-order-bursts:order-bursts:60 fix-quotes-unlisted-host:marketdata:20
"$here/record-ctp.sh" "$out" "$handshakes" \
    ctp-appid-shared:appid-shared:100 \
    ctp-operator-eight-investors:operator-eight-investors:60 \
    ctp-quotes-unlisted-host:quotes-unlisted-host:80 \
    ctp-clean-registered:clean-registered:100
"$here/record-tdx.sh" "$out" tdx-list-harvest:list-harvest:70
