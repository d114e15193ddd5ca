#!/usr/bin/env python3
"""Writes Captures/MANIFEST.md: one row per committed capture with its SHA-256, how it was made,
what it covers, its packet count and what the analyzer is expected to report.

    manifest.py CAPTURES_DIR SYNTHETIC_TSV

SYNTHETIC_TSV is the output of `capgen describe` (file, name, packets, covers, expected,
companion files). Recorded captures are summarized with tshark (flows, client/server payload
bytes, FIN/RST), since their ports and sequence numbers change on every recording. Synthetic FIX
captures (`fix/synthetic-*`) come with a ground-truth JSON; tshark's FIX message counts are put
next to it. The QuickFIX recordings in CAPTURES_DIR/fix/ (Scripts/captures/record-fix.sh) get a
section of their own: their message counts per MsgType come from the ground-truth files next to
them and are compared with tshark's FIX dissector. The CTP recordings in CAPTURES_DIR/ctp/
(Scripts/captures/record-ctp.sh) get a section too, with frame counts from their ground truth, and
so do the TDX recordings in CAPTURES_DIR/tdx/ (Scripts/captures/record-tdx.sh).
"""
import collections
import hashlib
import json
import os
import subprocess
import sys
from collections import OrderedDict

RECORDED = [
    ("loopback-tcp.pcap", "EN10MB (1) on lo, IPv4 127.0.0.1: three request/response exchanges (54 B up, 516 B down), clean FIN close"),
    ("loopback-tcp6.pcap", "EN10MB (1) on lo, IPv6 ::1: the same conversation"),
    ("loopback-bulk.pcap", "EN10MB (1) on lo, IPv4: 256 KiB up then 192 KiB down in 100-1400 B writes (Nagle off; some GSO super-segments up to tens of KB), MSS 1448"),
    ("loopback-sll2.pcap", "LINUX_SLL2 (276), tcpdump -i any -y LINUX_SLL2: the IPv4 conversation"),
    ("loopback-sll.pcap", "LINUX_SLL (113), tcpdump -i any -y LINUX_SLL: the IPv4 conversation"),
    ("loopback-nano.pcap", "EN10MB (1), nanosecond pcap (magic 0xa1b23c4d): the IPv4 conversation"),
    ("loopback-tcp.pcapng", "pcapng (one IDB, EN10MB): loopback-tcp.pcap converted"),
]
RECORD_COMMAND = "`Scripts/captures/record-loopback.sh` (tcpdump {options})"
OPTIONS = {
    "loopback-tcp.pcap": "-i lo",
    "loopback-tcp6.pcap": "-i lo",
    "loopback-bulk.pcap": "-i lo",
    "loopback-sll2.pcap": "-i any -y LINUX_SLL2",
    "loopback-sll.pcap": "-i any -y LINUX_SLL",
    "loopback-nano.pcap": "-i lo --time-stamp-precision=nano",
}


FIX_CAPTURES = ["quickfix-fix44-trading", "quickfix-fix44-marketdata", "quickfix-bad-logon", "quickfix-fix42-fixt11"]
MSG_TYPES = {"0": "Heartbeat", "1": "TestRequest", "2": "ResendRequest", "3": "Reject", "4": "SequenceReset",
             "5": "Logout", "8": "ExecutionReport", "9": "OrderCancelReject", "A": "Logon", "D": "NewOrderSingle",
             "F": "OrderCancelRequest", "V": "MarketDataRequest", "W": "MarketDataSnapshotFullRefresh",
             "X": "MarketDataIncrementalRefresh", "Y": "MarketDataRequestReject"}


def sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def summarize(path):
    """(packets, expected text) from tshark's view of the TCP flows."""
    fields = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
              "tcp.len", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset"]
    command = ["tshark", "-r", path, "-T", "fields", "-E", "separator=\t"]
    for field in fields:
        command += ["-e", field]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    packets = 0
    flows = OrderedDict()
    for line in output.splitlines():
        packets += 1
        values = line.split("\t")
        if not values[0]:
            continue
        stream, src4, src6, sport, dst4, dst6, dport, length, syn, ack, fin, rst = values
        source = f"{src4 or '[' + src6 + ']'}:{sport}"
        destination = f"{dst4 or '[' + dst6 + ']'}:{dport}"
        flow = flows.setdefault(stream, {"client": None, "first": source, "bytes": {}, "fin": set(), "rst": False, "syn": False})
        if syn == "1" and ack == "0":
            flow["client"], flow["server"], flow["syn"] = source, destination, True
        flow.setdefault("server", destination)
        flow["bytes"][source] = flow["bytes"].get(source, 0) + int(length or 0)
        if fin == "1":
            flow["fin"].add(source)
        if rst == "1":
            flow["rst"] = True
    parts = []
    for flow in flows.values():
        client = flow["client"] or flow["first"]
        server = flow["server"] if flow["client"] else next((k for k in flow["bytes"] if k != client), "?")
        text = f"{client} -> {server} c2s {flow['bytes'].get(client, 0)} B, s2c {flow['bytes'].get(server, 0)} B"
        text += ", handshake" if flow["syn"] else ", no handshake"
        text += f", FIN from {len(flow['fin'])} side(s)" + (", RST" if flow["rst"] else "") + ", no gaps"
        parts.append(text)
    return packets, f"{len(flows)} TCP flow(s): " + "; ".join(parts) + " (ports change per recording)"


TSHARK_ORACLE = ["-o", "tcp.desegment_tcp_streams:TRUE", "-o", "fix.desegment:TRUE",
                 "-o", "tcp.reassemble_out_of_order:TRUE"]
TSHARK_ORACLE_FILTER = "fix && !tcp.analysis.retransmission && !tcp.analysis.fast_retransmission"


def tshark_fix_counts(path, ports, oracle):
    """FIX messages tshark decodes (MsgType values), per client port in `ports`."""
    command = ["tshark", "-r", path] + (TSHARK_ORACLE if oracle else [])
    command += ["-Y", TSHARK_ORACLE_FILTER if oracle else "fix", "-T", "fields",
                "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "fix.MsgType"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    counts = {port: 0 for port in ports}
    for line in output.splitlines():
        source, destination, types = (line.split("\t") + ["", "", ""])[:3]
        port = int(source) if source and int(source) in counts else int(destination or 0)
        if port in counts and types:
            counts[port] += len(types.split(","))
    return counts


def fix_expected(directory, truth_file):
    """The ground truth and tshark's counts, in words, for a FIX capture's expected column."""
    with open(os.path.join(directory, truth_file)) as handle:
        truth = json.load(handle)
    capture = os.path.join(directory, os.path.dirname(truth_file), truth["capture"])
    ports = {flow["port"]: flow["complete_messages"] for flow in truth["flows"]}
    parts = []
    for oracle, label in ((False, "default prefs"), (True, "section 6 oracle prefs: out-of-order reassembly, retransmissions excluded")):
        counts = tshark_fix_counts(capture, ports, oracle)
        misses = [f"{port} {counts[port]}/{expected}" for port, expected in ports.items() if counts[port] != expected]
        text = f"tshark 4.0.17 ({label}): {sum(counts.values())} of {truth['complete_messages']}"
        if "complete_messages_ports_40001_40016" in truth:
            base = sum(count for port, count in counts.items() if port <= 40016)
            text += f", {base} of {truth['complete_messages_ports_40001_40016']} on ports 40001-40016"
        parts.append(text + (" (short on ports " + ", ".join(misses) + ")" if misses else ""))
    base = truth.get("complete_messages_ports_40001_40016")
    if base is not None:
        parts.insert(0, f"{base} of the {truth['complete_messages']} truth messages are on ports 40001-40016")
    return "; ".join(parts)


def escape(text):
    return text.replace("|", "\\|")


def tshark_msg_types(path):
    """MsgType counts from `tshark -r FILE -Y fix -T fields -e fix.MsgType` (several PDUs in a frame are comma-separated)."""
    output = subprocess.run(["tshark", "-r", path, "-Y", "fix", "-T", "fields", "-e", "fix.MsgType"],
                            check=True, capture_output=True, text=True).stdout
    return collections.Counter(value for line in output.splitlines() for value in line.split(",") if value)


def msg_type_text(counts, up=None, down=None):
    """"A Logon 4, ..." and, with per-direction counts, "A Logon 4 (c2s 2, s2c 2), ..."."""
    parts = []
    for key in sorted(counts):
        text = f"{key} {MSG_TYPES.get(key, '?')} {counts[key]}"
        if up is not None:
            text += f" (c2s {up.get(key, 0)}, s2c {down.get(key, 0)})"
        parts.append(text)
    return ", ".join(parts)


def fix_section(directory):
    """Markdown lines for the FIX captures in DIRECTORY/fix, or [] when there are none."""
    folder = os.path.join(directory, "fix")
    rows = []
    for name in FIX_CAPTURES:
        pcap, truth_path = os.path.join(folder, name + ".pcap"), os.path.join(folder, name + ".truth.json")
        if not os.path.exists(pcap) or not os.path.exists(truth_path):
            continue
        with open(truth_path) as handle:
            truth = json.load(handle)
        expected = collections.Counter(truth["counts"]["total"])
        seen = tshark_msg_types(pcap)
        if seen == expected:
            tshark = f"same ({sum(seen.values())})"
        else:
            tshark = "**differs**: " + msg_type_text(seen)
            print(f"manifest.py: {name}.pcap: tshark MsgType counts {dict(seen)} differ from the truth {dict(expected)}",
                  file=sys.stderr)
        packets, flows = summarize(pcap)
        made = f"`Scripts/captures/record-fix.sh` (tcpdump -i lo; `quickfix_scenario.py run {truth['scenario']}`)"
        covers = truth["description"] + f". {flows}"
        rows.append((f"fix/{name}.pcap", sha256(pcap), f"`{name}.truth.json` `{sha256(truth_path)}`", made, covers,
                     packets, f"{truth['message_count']}: "
                     + msg_type_text(expected, truth["counts"]["to_server"], truth["counts"]["to_client"]), tshark))
    if not rows:
        return []
    total = sum(os.path.getsize(os.path.join(directory, row[0])) for row in rows)
    total += sum(os.path.getsize(os.path.join(folder, os.path.basename(row[0])[:-5] + ".truth.json")) for row in rows)
    lines = [
        "",
        "## FIX captures (`fix/`)",
        "",
        "Real FIX sessions between two QuickFIX engines (quickfix-ssl wheel, acceptor BROKER and one initiator",
        "per session) on 127.0.0.1, recorded with `tcpdump -i lo --immediate-mode` by",
        "`Scripts/captures/record-fix.sh`. Each capture has a ground-truth file next to it",
        "(`<name>.truth.json`): every message as the sending engine produced it (toAdmin/toApp), with",
        "direction (`to_server` = initiator to acceptor), connection, MsgType, MsgSeqNum, CompIDs, key",
        "fields and the raw string with 554/925/96 values replaced by `<redacted>`; the recorder checks that",
        "each connection's TCP payload per direction is exactly the concatenation of those messages. Message",
        "contents are fixed; times, ports, TCP sequence numbers and hashes change per recording. QuickFIX",
        "cannot log on twice on one TCP connection (both ends disconnect after Logout), so the second",
        "Logon of the trading session is on a new connection. The tshark column compares",
        "`tshark -r F -Y fix -T fields -e fix.MsgType` (split at commas) with the truth; c2s is",
        "initiator to acceptor (`to_server`), s2c the other way.",
        "",
        f"{len(rows)} captures and {len(rows)} truth files, {total} bytes in all.",
        "",
        "| File | SHA-256 | Ground truth (SHA-256) | Made by | Covers | Packets | Messages per MsgType (truth) | tshark MsgType counts |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for file, digest, truth, made, covers, packets, messages, tshark in rows:
        lines.append(f"| `{file}` | `{digest}` | {truth} | {escape(made)} | {escape(covers)} | {packets} | "
                     f"{escape(messages)} | {escape(tshark)} |")
    return lines


CTP_CAPTURES = ["openctp-trader-direct", "openctp-multi-user", "openctp-relay-many-to-many",
                "openctp-relay-one-to-many", "openctp-md-subscribers"]


def ctp_counts_text(counts):
    """"ReqUserLogin 2, ..." per direction from a CTP truth file's counts."""
    return "; ".join(f"{label} " + ", ".join(f"{name} {count}" for name, count in counts[direction].items())
                     for direction, label in (("to_server", "c2s:"), ("to_client", "s2c:")))


def ctp_section(directory):
    """Markdown lines for the CTP recordings in DIRECTORY/ctp, or [] when there are none."""
    def made_by(truth):
        return f"`Scripts/captures/record-ctp.sh` (tcpdump -i lo; `ctp_scenario.py run {truth['scenario']}`; `ctp_pcap.py rewrite`)"

    def covers(truth, clients, flows):
        return f"{truth['description']}. Clients: {clients}. {flows}"

    return recording_section(directory, "ctp", CTP_CAPTURES, "## CTP captures (`ctp/`)", [
        "The official SFIT CTP client library (PyPI wheel openctp-ctp 6.7.11, trader and market-data APIs,",
        "v6.7.11_20250617) against the simulated fronts of `Scripts/captures/ctp/ctp_front.py` on 127.0.0.1,",
        "recorded with `tcpdump -i lo --immediate-mode` by `Scripts/captures/record-ctp.sh`, then rewritten by",
        "`ctp_pcap.py rewrite`: each simulated client has its own IPv4 address (several connections of one",
        "client share it), the trader front is 10.20.0.1 and the market-data front 10.20.0.2, checksums are",
        "recomputed, and the 128 bytes of key material in every RspApiHandshake (0x3026, sent uncompressed)",
        "are zeros. Each capture has a ground-truth file (`<name>.truth.json`): every frame of every",
        "connection per direction with its stream offset, FTD type and TLVs, FTDC header and fields (id,",
        "struct name, length, decoded members; passwords only as present, opaque blobs as length and",
        "hash); `ctp_pcap.py check` verified each file against it, the zeroed key and the absence of the",
        "original key. Findings (TIDs, FIDs, lengths) are in `Scripts/captures/ctp/FINDINGS.md`. Contents",
        "are fixed; times, ports, sequence numbers, encrypted bytes and hashes change per recording.",
        "Frame counts below are per TID name (or FTD kind) and direction; c2s = client to front.",
    ], made_by, covers)


def recording_section(directory, subfolder, names, title, intro, made_by, covers):
    """Markdown lines for the recordings NAMES in DIRECTORY/SUBFOLDER, each a pcap with a
    `<name>.truth.json` (connections with frames, client addresses, per-direction counts), or []
    when there are none: the title, the INTRO lines and a table. MADE_BY(truth) and
    COVERS(truth, clients, flows) give those columns."""
    folder = os.path.join(directory, subfolder)
    rows = []
    for name in names:
        pcap, truth_path = os.path.join(folder, name + ".pcap"), os.path.join(folder, name + ".truth.json")
        if not os.path.exists(pcap) or not os.path.exists(truth_path):
            continue
        with open(truth_path, encoding="utf-8") as handle:
            truth = json.load(handle)
        packets, flows = summarize(pcap)
        frames = sum(len(connection["frames"]) for connection in truth["connections"])
        clients = ", ".join(f"{label} {address}" for label, address in truth["addresses"]["clients"].items())
        rows.append((f"{subfolder}/{name}.pcap", sha256(pcap), f"`{name}.truth.json` `{sha256(truth_path)}`",
                     made_by(truth), covers(truth, clients, flows), packets,
                     f"{frames}: {ctp_counts_text(truth['counts'])}"))
    if not rows:
        return []
    total = sum(os.path.getsize(os.path.join(directory, row[0])) for row in rows)
    total += sum(os.path.getsize(os.path.join(folder, os.path.basename(row[0])[:-5] + ".truth.json")) for row in rows)
    lines = ["", title, ""] + intro + [
        "",
        f"{len(rows)} captures and {len(rows)} truth files, {total} bytes in all.",
        "",
        "| File | SHA-256 | Ground truth (SHA-256) | Made by | Covers | Packets | Frames (truth) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for file, digest, truth, made, covers_text, packets, frames in rows:
        lines.append(f"| `{file}` | `{digest}` | {truth} | {escape(made)} | {escape(covers_text)} | {packets} | {escape(frames)} |")
    return lines


TDX_CAPTURES = ["pytdx-quotes-clients", "pytdx-list-harvest", "pytdx-bars-minute", "pytdx-heartbeat",
                "pytdx-extended", "official-handmade", "tdxtradeserver-http", "tdxtradeserver-http-aes"]


def tdx_made_by(truth):
    """How a TDX capture was made; the hand-made one says so first."""
    scenario = f"`tdx_scenario.py run {truth['scenario']}`"
    if truth["scenario"] == "official-handmade":
        return (f"HAND-MADE frames written from the notes (not pytdx, not observed traffic): "
                f"`Scripts/captures/record-tdx.sh` (tcpdump -i lo; {scenario}; `tdx_pcap.py rewrite`)")
    return f"`Scripts/captures/record-tdx.sh` (tcpdump -i lo; {scenario}; `tdx_pcap.py rewrite`)"


def tdx_section(directory):
    """Markdown lines for the TDX recordings in DIRECTORY/tdx, or [] when there are none."""
    def covers(truth, clients, flows):
        return f"{truth['description']}. Client: {truth['client']}. Clients: {clients}. {flows}"

    return recording_section(directory, "tdx", TDX_CAPTURES, "## TDX captures (`tdx/`)", [
        "The real pytdx client (PyPI pytdx 1.72: `TdxHq_API`, `TdxExHq_API`, and `TdxTradeApi` for the",
        "TdxTradeServer HTTP wrapper) against the simulated servers of `Scripts/captures/tdx/tdx_server.py`",
        "and `tdx_trade_http.py` on 127.0.0.1, recorded with `tcpdump -i lo --immediate-mode` by",
        "`Scripts/captures/record-tdx.sh`, then rewritten by `tdx_pcap.py rewrite`: each simulated client has",
        "its own IPv4 address (10.30.x.y), the server is 10.30.0.1 on port 7709 (standard quotes), 7727",
        "(extended market) or 10092 (HTTP wrapper), and checksums are recomputed. Each capture has a",
        "ground-truth file (`<name>.truth.json`): every frame of every connection per direction with its",
        "stream offset, header fields (flag, sequence id, packet type, lengths, command; for replies the",
        "flag echo, compression, wire and raw sizes) and decoded values (codes, prices, volumes, names),",
        "or every HTTP message with `func`, params (passwords as `<redacted>`, clear values listed as",
        "`secrets`) and JSON; `tdx_pcap.py check` decoded each file again and compared. Every pytdx call's",
        "result was compared with the values the server encoded. Market data is invented (real codes and",
        "short names, invented prices); `official-handmade.pcap` is not pytdx but frames written by hand",
        "from the protocol notes (0x000b login, broker config download, 0x0004), with invented bytes where",
        "the notes give none. Findings and reply layouts are in `Scripts/captures/tdx/FINDINGS.md`. Values",
        "are fixed (heartbeat markets are random); times, ports, sequence numbers and hashes change per",
        "recording. Frame counts below are per command name (or HTTP `func`) and direction; c2s = client",
        "to server.",
    ], tdx_made_by, covers)


def scenario_section(directory):
    """Markdown lines for the detection scenarios in DIRECTORY/scenarios (scenarios.json), or []."""
    folder = os.path.join(directory, "scenarios")
    manifest_path = os.path.join(folder, "scenarios.json")
    if not os.path.exists(manifest_path):
        return []
    with open(manifest_path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    rows = []
    for scenario in manifest["scenarios"]:
        pcap = os.path.join(folder, scenario["capture"])
        if not os.path.exists(pcap):
            continue
        packets, flows = summarize(pcap)
        expected = "; ".join(
            f"{alert['signature_id']} {alert['rule']} "
            + " ".join(f"{key}={value}" for key, value in alert["group"].items())
            for alert in scenario["expected_alerts"]) or "no alert"
        companions = ", ".join(f"`{name}` `{sha256(os.path.join(folder, name))}`"
                               for name in (scenario["truth"], scenario["golden"]))
        rows.append((f"scenarios/{scenario['capture']}", sha256(pcap), companions, scenario["generator"],
                     f"{scenario['summary']}. {scenario['description']}. {flows}", packets, expected))
    if not rows:
        return []
    lines = [
        "",
        "## Detection scenarios (`scenarios/`)",
        "",
        "Recorded from the real client libraries by `Scripts/captures/record-scenarios.sh` (QuickFIX through",
        "`record-fix.sh`, the official CTP API through `record-ctp.sh`, pytdx through `record-tdx.sh`, with the same",
        "checks against their ground truth and the same address rewrite), to show the rules at work. `scenarios/site.yaml` is the demo",
        "broker's site registry; the expected alerts (`tapsentry analyze FILE --site scenarios/site.yaml`, built-in",
        "rules, in output order) come from `scenarios/scenarios.json`, and `<name>.alerts.jsonl` holds the exact",
        "alert records (`Tests/InspectorTests/ScenarioTests.swift` checks both; `Scripts/demo.sh` runs them).",
        f"`site.yaml` `{sha256(os.path.join(folder, 'site.yaml'))}`, `scenarios.json` `{sha256(manifest_path)}`.",
        "",
        "| File | SHA-256 | Truth, golden alerts (SHA-256) | Made by | Covers | Packets | Expected alerts |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for file, digest, companions, made, covers, packets, expected in rows:
        lines.append(f"| `{file}` | `{digest}` | {companions} | {escape(made)} | {escape(covers)} | {packets} | {escape(expected)} |")
    return lines


def main():
    directory, synthetic_tsv = sys.argv[1], sys.argv[2]
    rows = []
    for name, covers in RECORDED:
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            continue
        if name.endswith(".pcapng"):
            made = "`editcap -F pcapng loopback-tcp.pcap loopback-tcp.pcapng` in record-loopback.sh (fallback: `capgen to-pcapng`)"
        else:
            made = RECORD_COMMAND.format(options=OPTIONS[name])
        packets, expected = summarize(path)
        rows.append((name, sha256(path), made, covers, packets, expected))
    companions = []
    with open(synthetic_tsv) as handle:
        for line in handle:
            file, name, packets, covers, expected, extra = line.rstrip("\n").split("\t")
            path = os.path.join(directory, file)
            folder = os.path.dirname(file)
            made = f"`Scripts/captures/make-synthetic.sh` (`capgen {name} --out Captures{'/' + folder if folder else ''}`)"
            for companion in filter(None, extra.split(",")):
                companions.append((companion, sha256(os.path.join(directory, companion)), file))
                if companion.endswith(".truth.json"):
                    expected += "; " + fix_expected(directory, companion)
            rows.append((file, sha256(path), made, covers, packets, expected))
    total = sum(os.path.getsize(os.path.join(directory, row[0])) for row in rows)
    with open(os.path.join(directory, "MANIFEST.md"), "w") as out:
        out.write("# Captures\n\n")
        out.write("Small captures for tests, each made by a script in `Scripts/captures/` (this file is written by\n")
        out.write("`Scripts/captures/make-manifest.sh`; do not edit by hand). `loopback-*` files are real traffic\n")
        out.write("recorded with tcpdump on this machine's loopback (a re-recording changes ports, sequence numbers,\n")
        out.write("times and hashes, not the shape); `synthetic-*` files are written by `capgen` from fixed seeds and\n")
        out.write("times, so a re-run gives identical bytes. Byte counts are TCP payload bytes per direction\n")
        out.write("(c2s = client to server, the client being the SYN sender). Skip reasons in the malformed capture\n")
        out.write("are suggestions using `SkipReason` names. The benchmark captures (`capgen bench --out FILE\n")
        out.write("--size-mb 600 --flows 4000`, `capgen fix-bench --out FILE --size-mb 600 --sessions 2000`) are not\n")
        out.write("committed. FIX captures live in `fix/`, each with a ground-truth `.truth.json` (per client port: the\n")
        out.write("complete messages with direction, MsgType, MsgSeqNum and expected anomaly names); their expected\n")
        out.write("column puts tshark's FIX message counts next to the ground truth.\n\n")
        out.write(f"{len(rows)} files, {total} bytes in all.\n\n")
        out.write("| File | SHA-256 | Made by | Covers | Packets | Expected report |\n")
        out.write("| --- | --- | --- | --- | --- | --- |\n")
        for file, digest, made, covers, packets, expected in rows:
            out.write(f"| `{file}` | `{digest}` | {escape(made)} | {escape(covers)} | {packets} | {escape(expected)} |\n")
        if companions:
            out.write("\nGround-truth files, written with their capture:\n\n")
            out.write("| File | SHA-256 | Describes |\n")
            out.write("| --- | --- | --- |\n")
            for file, digest, capture in companions:
                out.write(f"| `{file}` | `{digest}` | `{capture}` |\n")
        for line in fix_section(directory) + ctp_section(directory) + tdx_section(directory) + scenario_section(directory):
            out.write(line + "\n")


if __name__ == "__main__":
    main()
