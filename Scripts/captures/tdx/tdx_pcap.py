#!/usr/bin/env python3
"""Rewrites and checks the TDX captures recorded on the loopback interface.

    tdx_pcap.py rewrite --pcap RAW --truth RAW_TRUTH --out PCAP --out-truth TRUTH
    tdx_pcap.py check --pcap PCAP --truth TRUTH
    tdx_pcap.py dump --pcap PCAP --truth TRUTH [--command 0x053e ...] [--bytes N]

`rewrite` reads a tcpdump capture (pcap, Ethernet, IPv4) of a tdx_scenario.py run and gives
every connection the addresses of its simulated client and of the server (truth "client_ip",
"server_ip") and the server the port of its kind (7709 quotes, 7727 extended market, 10092 the
TdxTradeServer wrapper: truth "wire_server_port"), rewrites the HTTP Host header (127.0.0.1:PORT, written by the
client) to that address and port (same length), recomputes the IPv4 and TCP checksums, and writes
the truth with those ports and headers.

`check` reassembles every connection of a rewritten capture and verifies that
  - each packet carries the addresses the truth gives its connection, with valid checksums;
  - each direction's byte stream splits into exactly the frames (or HTTP messages) of the truth,
    with the same offsets, header fields and decoded values (tdx_wire.py / tdx_trade_http.py
    decode the bytes again, replies paired with requests by sequence id and command);
  - in HTTP captures, the clear passwords ("secrets") occur in the file when the transport is
    plain and do not occur when it is encrypted; no capture holds the text 127.0.0.1.
It exits 1 with the first difference.

`dump` prints frames of a capture as hex: each request whole, each reply's header and the first
N bytes of its (inflated) body (the excerpts in FINDINGS.md).

The pcap and IPv4/TCP helpers are those of ../ctp/ctp_pcap.py.
"""
import argparse
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(HERE, "..", "ctp"))
import tdx_trade_http  # noqa: E402
import tdx_wire as wire  # noqa: E402
from ctp_pcap import CheckError, Connections, Segment, read_pcap, streams_of, write_pcap  # noqa: E402


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def normal(value):
    """VALUE as JSON would give it back (tuples as lists, float32 values as doubles)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


# ---------------------------------------------------------------------------------------------
# rewrite


def set_server_port(segment, direction, port):
    """Replaces the server's port in the TCP header (source when it is the server's packet)."""
    at = segment.tcp + (2 if direction == "to_server" else 0)
    struct.pack_into(">H", segment.data, at, port)


def host_headers(connection):
    """(recorded, rewritten) Host header lines of an HTTP connection: 127.0.0.1:PORT becomes the
    server's address and port, which has the same length for 5-digit ports (no TCP sequence
    number changes)."""
    old = f"Host: 127.0.0.1:{connection['server_port']}".encode("ascii")
    new = f"Host: {connection['server_ip']}:{connection['wire_server_port']}".encode("ascii")
    if len(old) != len(new):
        raise CheckError(f"Host header {old!r} and {new!r} differ in length; record with a 5-digit port")
    return old, new


def rewrite_host(segment, connection):
    """Rewrites the Host header in a client packet of an HTTP connection; 1 when it did."""
    old, new = host_headers(connection)
    payload = segment.payload
    at = payload.find(old + b"\r\n")
    if at < 0:
        return 0
    start = segment.payload_start + at
    segment.data[start:start + len(new)] = new
    return 1


def rewrite(pcap, truth_path, out, out_truth):
    truth = load(truth_path)
    global_header, _, records = read_pcap(pcap)
    connections = Connections(truth)
    written = []
    hosts = 0
    for header, packet in records:
        segment = Segment(packet)
        connection, direction = connections.locate(segment)
        client, server = connection["client_ip"], connection["server_ip"]
        segment.set_addresses(*((client, server) if direction == "to_server" else (server, client)))
        if connection["role"] == "http" and direction == "to_server":
            hosts += rewrite_host(segment, connection)
        set_server_port(segment, direction, connection["wire_server_port"])
        segment.fix_checksums()
        written.append((header, bytes(segment.data)))
    requests = sum(1 for connection in truth["connections"] if connection["role"] == "http"
                   for frame in connection["frames"] if frame["direction"] == "to_server")
    if hosts != requests:
        raise CheckError(f"rewrote {hosts} Host headers, the truth has {requests} HTTP requests")
    write_pcap(out, global_header, written)
    for connection in truth["connections"]:
        if connection["role"] == "http":
            old, new = (line.decode("ascii").split(": ", 1)[1] for line in host_headers(connection))
            for frame in connection["frames"]:
                frame["headers"] = [[name, new if name == "Host" and value == old else value]
                                    for name, value in frame["headers"]]
        connection["server_port"] = connection.pop("wire_server_port")
    truth["capture"] = os.path.basename(out)
    wire.write_truth(truth, out_truth)
    print(f"{os.path.basename(out)}: {len(written)} packets, {len(truth['connections'])} connection(s) readdressed")


# ---------------------------------------------------------------------------------------------
# check


def quote_entries(data_up, data_down, truth_frames):
    """The truth entries the two byte streams of a quote connection decode to (abridged like the
    truth says), client-to-server first."""
    up_reader, down_reader = wire.RequestReader(), wire.ReplyReader()
    requests = up_reader.feed(data_up)
    replies = down_reader.feed(data_down)
    for name, reader in (("to_server", up_reader), ("to_client", down_reader)):
        if reader.buffer:
            raise CheckError(f"{name}: {len(reader.buffer)} bytes after the last complete frame")
    abridged = {frame["offset"] for frame in truth_frames if frame["direction"] == "to_client" and frame.get("abridged")}
    described = {}
    up = [wire.describe_request(offset, request) for offset, request in requests]
    values_of = {id(request): entry["values"] for (_, request), entry in zip(requests, up)}
    down = [wire.compact_frame(wire.describe_reply(offset, reply, values_of[id(request)]), offset in abridged)
            for offset, reply, request in wire.pair_replies(requests, replies)]
    described["to_server"] = [wire.compact_frame(entry) for entry in up]
    described["to_client"] = down
    return described


def http_entries(data_up, data_down, transport):
    try:
        return {"to_server": tdx_trade_http.parse_stream("to_server", data_up, transport),
                "to_client": tdx_trade_http.parse_stream("to_client", data_down, transport)}
    except tdx_trade_http.HttpError as error:
        raise CheckError(str(error))


def compare(connection, direction, actual):
    expected = [frame for frame in connection["frames"] if frame["direction"] == direction]
    where = f"connection {connection['index']} ({connection['label']}) {direction}"
    if len(actual) != len(expected):
        raise CheckError(f"{where}: {len(actual)} frames on the wire, truth has {len(expected)}")
    for entry, truth in zip(actual, expected):
        entry = normal(entry)
        for key in sorted(set(entry) | set(truth)):
            if entry.get(key) != truth.get(key):
                raise CheckError(f"{where} frame at offset {truth['offset']}: {key} is {entry.get(key)!r:.200}, "
                                 f"truth says {truth.get(key)!r:.200}")


def transport_of(truth):
    key = truth.get("http_transport")
    if key:
        return tdx_trade_http.Transport(bytes.fromhex(key["key"]), bytes.fromhex(key["iv"]))
    return tdx_trade_http.Transport()


def check_secrets(pcap, truth):
    """Plain HTTP: every secret is in the file (the decoder must hide it); encrypted: none is.
    No file holds the loopback address."""
    with open(pcap, "rb") as handle:
        data = handle.read()
    if b"127.0.0.1" in data:
        raise CheckError("the loopback address 127.0.0.1 is still in the file (Host header?)")
    encrypted = bool(truth.get("http_transport"))
    for secret in truth.get("secrets", []):
        if (secret.encode("utf-8") in data) == encrypted:
            raise CheckError(f"secret {secret!r} {'occurs' if encrypted else 'does not occur'} in the file")
    return len(truth.get("secrets", []))


def check(pcap, truth_path):
    truth = load(truth_path)
    streams = streams_of(pcap, truth)
    transport = transport_of(truth)
    for connection in truth["connections"]:
        up = streams.get((connection["index"], "to_server"), b"")
        down = streams.get((connection["index"], "to_client"), b"")
        try:
            if connection["role"] == "http":
                described = http_entries(up, down, transport)
            else:
                described = quote_entries(up, down, connection["frames"])
        except wire.WireError as error:
            raise CheckError(f"connection {connection['index']}: {error}")
        for direction in ("to_server", "to_client"):
            compare(connection, direction, described[direction])
    secrets = check_secrets(pcap, truth)
    frames = sum(len(connection["frames"]) for connection in truth["connections"])
    print(f"{os.path.basename(pcap)}: {frames} frames in {len(truth['connections'])} connection(s) match the truth"
          + (f"; {secrets} secret(s) {'absent' if truth.get('http_transport') else 'present in clear'}" if secrets else ""))


# ---------------------------------------------------------------------------------------------
# dump


def hex_lines(data, indent="    "):
    return "\n".join(f"{indent}{offset:04x}  {data[offset:offset + 16].hex(' ')}" for offset in range(0, len(data), 16))


def dump(pcap, truth_path, commands, limit):
    truth = load(truth_path)
    streams = streams_of(pcap, truth)
    for connection in truth["connections"]:
        if connection["role"] != "quote":
            continue
        requests = wire.RequestReader().feed(streams.get((connection["index"], "to_server"), b""))
        replies = wire.ReplyReader().feed(streams.get((connection["index"], "to_client"), b""))
        title = f"connection {connection['index']} ({connection['label']})"
        for offset, request in requests:
            if not commands or f"0x{request.command:04x}" in commands:
                print(f"{title} to_server offset {offset}, {len(request.raw)} bytes:")
                print(hex_lines(request.raw[:limit]))
        for offset, reply in replies:
            if not commands or f"0x{reply.command:04x}" in commands:
                print(f"{title} to_client offset {offset}, header {reply.raw[:16].hex(' ')}, "
                      f"{'compressed ' + str(reply.wire_size) + ' -> ' if reply.compressed else ''}{reply.raw_size} bytes;"
                      f" body{' inflated' if reply.compressed else ''}:")
                print(hex_lines(reply.body[:limit]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rewrite_command = commands.add_parser("rewrite")
    rewrite_command.add_argument("--pcap", required=True)
    rewrite_command.add_argument("--truth", required=True)
    rewrite_command.add_argument("--out", required=True)
    rewrite_command.add_argument("--out-truth", required=True)
    check_command = commands.add_parser("check")
    check_command.add_argument("--pcap", required=True)
    check_command.add_argument("--truth", required=True)
    dump_command = commands.add_parser("dump")
    dump_command.add_argument("--pcap", required=True)
    dump_command.add_argument("--truth", required=True)
    dump_command.add_argument("--command", action="append", default=[])
    dump_command.add_argument("--bytes", type=int, default=64)
    args = parser.parse_args()
    try:
        if args.command == "rewrite":
            rewrite(args.pcap, args.truth, args.out, args.out_truth)
        elif args.command == "check":
            check(args.pcap, args.truth)
        else:
            dump(args.pcap, args.truth, [command.lower() for command in args.command], args.bytes)
    except CheckError as error:
        print(f"tdx_pcap.py {args.command}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
