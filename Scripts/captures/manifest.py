#!/usr/bin/env python3
"""Writes Captures/MANIFEST.md: one row per committed capture with its SHA-256, how it was made,
what it covers, its packet count and what the analyzer is expected to report.

    manifest.py CAPTURES_DIR SYNTHETIC_TSV

SYNTHETIC_TSV is the output of `capgen describe` (file, name, packets, covers, expected).
Recorded captures are summarized with tshark (flows, client/server payload bytes, FIN/RST), since
their ports and sequence numbers change on every recording.
"""
import hashlib
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


def escape(text):
    return text.replace("|", "\\|")


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
    with open(synthetic_tsv) as handle:
        for line in handle:
            file, name, packets, covers, expected = line.rstrip("\n").split("\t")
            path = os.path.join(directory, file)
            made = f"`Scripts/captures/make-synthetic.sh` (`capgen {name} --out Captures`)"
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
        out.write("are suggestions using `SkipReason` names. The benchmark capture (`capgen bench --out FILE\n")
        out.write("--size-mb 600 --flows 4000`) is not committed.\n\n")
        out.write(f"{len(rows)} files, {total} bytes in all.\n\n")
        out.write("| File | SHA-256 | Made by | Covers | Packets | Expected report |\n")
        out.write("| --- | --- | --- | --- | --- | --- |\n")
        for file, digest, made, covers, packets, expected in rows:
            out.write(f"| `{file}` | `{digest}` | {escape(made)} | {escape(covers)} | {packets} | {escape(expected)} |\n")


if __name__ == "__main__":
    main()
