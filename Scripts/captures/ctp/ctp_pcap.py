#!/usr/bin/env python3
"""Rewrites and checks the CTP captures recorded on the loopback interface.

    ctp_pcap.py rewrite --pcap RAW --truth RAW_TRUTH --out PCAP --out-truth TRUTH
    ctp_pcap.py check --pcap PCAP --truth TRUTH [--handshake-dir DIR]
    ctp_pcap.py dump --pcap PCAP --truth TRUTH [--tid 0x3024 ...] [--bytes N]

`rewrite` reads a tcpdump capture (pcap, Ethernet link type, IPv4) of ctp_scenario.py run and
  - gives every connection the addresses of its simulated client and front (truth "client_ip",
    "server_ip"; several connections of one client share its address), in the IPv4 header;
  - replaces the key material of each RspApiHandshake (0x3026) by zeros: the front sends that
    frame uncompressed, so the bytes sit at a known offset of the front's TCP stream (truth
    "key_material") and zeroing them changes no length and no sequence number;
  - recomputes the IPv4 and TCP checksums of every changed packet;
and writes the truth with the handshake field as it now reads (FrontHandshakeData all zero).

`check` reassembles every connection of a rewritten capture and verifies that
  - each packet carries the addresses the truth gives its connection, with valid checksums;
  - each direction's byte stream splits into exactly the frames of the truth (offset, length,
    FTDC header, field ids, lengths and decoded values);
  - every 0x3026 frame's FrontHandshakeData is zero, and (when DIR has the captured reply) no
    16-byte piece of the original key material, raw or zero-run compressed, occurs in the file.
It exits 1 with the first difference.

`dump` prints frames of a capture as hex: the frame as sent, then the FTDC header and the first N
bytes of each field after decompression (the excerpts in FINDINGS.md).
"""
import argparse
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ftdc  # noqa: E402

PCAP_MAGICS = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}
LINKTYPE_ETHERNET = 1
ETHERTYPE_IPV4 = 0x0800
RSP_API_HANDSHAKE = "0x3026"


class CheckError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# pcap files


def read_pcap(path):
    """(global header bytes, byte order, [(record header bytes, packet bytes)])."""
    with open(path, "rb") as handle:
        data = handle.read()
    if len(data) < 24 or data[:4] not in PCAP_MAGICS:
        raise CheckError(f"{path}: not a pcap file")
    order = PCAP_MAGICS[data[:4]]
    if struct.unpack_from(order + "I", data, 20)[0] != LINKTYPE_ETHERNET:
        raise CheckError(f"{path}: link type is not Ethernet")
    records = []
    index = 24
    while index < len(data):
        if index + 16 > len(data):
            raise CheckError(f"{path}: truncated record header at {index}")
        header = data[index:index + 16]
        captured = struct.unpack_from(order + "I", header, 8)[0]
        packet = data[index + 16:index + 16 + captured]
        if len(packet) != captured:
            raise CheckError(f"{path}: truncated packet at {index}")
        records.append((header, packet))
        index += 16 + captured
    return data[:24], order, records


def write_pcap(path, global_header, records):
    with open(path, "wb") as handle:
        handle.write(global_header)
        for header, packet in records:
            handle.write(header + packet)


# ---------------------------------------------------------------------------------------------
# IPv4 / TCP


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Segment:
    """Views of one Ethernet/IPv4/TCP packet (a bytearray that can be changed in place)."""

    def __init__(self, packet):
        self.data = bytearray(packet)
        if len(self.data) < 14 + 20 or struct.unpack_from(">H", self.data, 12)[0] != ETHERTYPE_IPV4:
            raise CheckError("a packet that is not Ethernet/IPv4")
        self.ip = 14
        ihl = (self.data[self.ip] & 0x0F) * 4
        total = struct.unpack_from(">H", self.data, self.ip + 2)[0]
        if self.data[self.ip + 9] != 6:
            raise CheckError("a packet that is not TCP")
        self.tcp = self.ip + ihl
        self.end = self.ip + total
        offset = (self.data[self.tcp + 12] >> 4) * 4
        self.payload_start = self.tcp + offset
        self.sport, self.dport, self.seq = struct.unpack_from(">HHI", self.data, self.tcp)
        self.flags = self.data[self.tcp + 13]

    @property
    def syn(self):
        return bool(self.flags & 0x02)

    @property
    def payload(self):
        return bytes(self.data[self.payload_start:self.end])

    def addresses(self):
        return (".".join(map(str, self.data[self.ip + 12:self.ip + 16])),
                ".".join(map(str, self.data[self.ip + 16:self.ip + 20])))

    def set_addresses(self, source, destination):
        self.data[self.ip + 12:self.ip + 16] = bytes(int(part) for part in source.split("."))
        self.data[self.ip + 16:self.ip + 20] = bytes(int(part) for part in destination.split("."))

    def tcp_checksum(self):
        segment = bytes(self.data[self.tcp:self.end])
        pseudo = bytes(self.data[self.ip + 12:self.ip + 20]) + struct.pack(">BBH", 0, 6, len(segment))
        without = segment[:16] + b"\0\0" + segment[18:]
        return checksum(pseudo + without)

    def ip_checksum(self):
        header = bytes(self.data[self.ip:self.tcp])
        return checksum(header[:10] + b"\0\0" + header[12:])

    def fix_checksums(self):
        struct.pack_into(">H", self.data, self.ip + 10, self.ip_checksum())
        struct.pack_into(">H", self.data, self.tcp + 16, self.tcp_checksum())

    def checksums_ok(self):
        return (struct.unpack_from(">H", self.data, self.ip + 10)[0] == self.ip_checksum()
                and struct.unpack_from(">H", self.data, self.tcp + 16)[0] == self.tcp_checksum())


class Connections:
    """Finds the truth connection and direction of a segment by its ports; tracks each
    direction's initial sequence number to turn sequence numbers into stream offsets."""

    def __init__(self, truth):
        self.by_ports = {}
        for connection in truth["connections"]:
            key = (connection["client_port"], connection["server_port"])
            if key in self.by_ports:
                raise CheckError(f"two connections with client port {key[0]} and server port {key[1]}")
            self.by_ports[key] = connection
        self.isn = {}

    def locate(self, segment):
        """(connection, direction) or a CheckError for a packet of no known connection."""
        if (segment.sport, segment.dport) in self.by_ports:
            connection, direction = self.by_ports[(segment.sport, segment.dport)], "to_server"
        elif (segment.dport, segment.sport) in self.by_ports:
            connection, direction = self.by_ports[(segment.dport, segment.sport)], "to_client"
        else:
            raise CheckError(f"packet {segment.sport} -> {segment.dport} belongs to no connection of the truth")
        if segment.syn:
            self.isn[(connection["index"], direction)] = segment.seq
        return connection, direction

    def offset(self, connection, direction, segment):
        """Stream offset of the segment's first payload byte."""
        isn = self.isn.get((connection["index"], direction))
        if isn is None:
            raise CheckError(f"connection {connection['index']} {direction}: data before the SYN")
        return (segment.seq - isn - 1) & 0xFFFFFFFF


def key_ranges(truth):
    """{(connection index, "to_client"): [(start, end)]} of the key material in the front's streams."""
    ranges = {}
    for connection in truth["connections"]:
        for frame in connection["frames"]:
            if frame.get("tid") == RSP_API_HANDSHAKE and frame["direction"] == "to_client":
                if "key_material" not in frame or frame.get("crp_method") != ftdc.METHOD_NONE:
                    raise CheckError(f"connection {connection['index']}: a 0x3026 frame without a raw key location")
                start = frame["offset"] + frame["key_material"]["offset"]
                ranges.setdefault((connection["index"], "to_client"), []).append(
                    (start, start + frame["key_material"]["length"]))
    return ranges


# ---------------------------------------------------------------------------------------------
# rewrite


def rewrite(pcap, truth_path, out, out_truth):
    with open(truth_path, encoding="utf-8") as handle:
        truth = json.load(handle)
    global_header, order, records = read_pcap(pcap)
    connections = Connections(truth)
    ranges = key_ranges(truth)
    zeroed = 0
    written = []
    for header, packet in records:
        segment = Segment(packet)
        connection, direction = connections.locate(segment)
        client, server = connection["client_ip"], connection["server_ip"]
        segment.set_addresses(*((client, server) if direction == "to_server" else (server, client)))
        payload = segment.payload
        if payload:
            start = connections.offset(connection, direction, segment)
            for low, high in ranges.get((connection["index"], direction), []):
                first, last = max(low, start), min(high, start + len(payload))
                if first < last:
                    at = segment.payload_start + first - start
                    segment.data[at:at + last - first] = bytes(last - first)
                    zeroed += last - first
        segment.fix_checksums()
        written.append((header, bytes(segment.data)))
    expected = sum(high - low for spans in ranges.values() for low, high in spans)
    if zeroed < expected:
        raise CheckError(f"zeroed {zeroed} key bytes, expected at least {expected} (segments missing?)")
    write_pcap(out, global_header, written)
    for connection in truth["connections"]:
        for frame in connection["frames"]:
            if frame.get("tid") == RSP_API_HANDSHAKE:
                for item in frame["fields"]:
                    if item["name"] == "RspApiHandshake":
                        item["values"]["FrontHandshakeData"] = {"present": False}
                frame["key_material_zeroed"] = True
    truth["capture"] = os.path.basename(out)
    ftdc.write_truth(truth, out_truth)
    print(f"{os.path.basename(out)}: {len(written)} packets, {len(truth['connections'])} connection(s) readdressed, "
          f"{zeroed} key bytes zeroed")


# ---------------------------------------------------------------------------------------------
# check


def streams_of(pcap, truth):
    """{(connection index, direction): bytes}, after checking addresses and checksums."""
    _, _, records = read_pcap(pcap)
    connections = Connections(truth)
    pieces = {}
    for number, (_, packet) in enumerate(records, 1):
        segment = Segment(packet)
        connection, direction = connections.locate(segment)
        client, server = connection["client_ip"], connection["server_ip"]
        expected = (client, server) if direction == "to_server" else (server, client)
        if segment.addresses() != expected:
            raise CheckError(f"packet {number}: addresses {segment.addresses()}, expected {expected}")
        if not segment.checksums_ok():
            raise CheckError(f"packet {number}: bad IPv4 or TCP checksum")
        if segment.payload:
            offset = connections.offset(connection, direction, segment)
            pieces.setdefault((connection["index"], direction), {})[offset] = segment.payload
    streams = {}
    for key, chunks in pieces.items():
        data = bytearray()
        for offset in sorted(chunks):
            chunk = chunks[offset]
            if offset > len(data):
                raise CheckError(f"connection {key[0]} {key[1]}: gap at stream offset {len(data)}")
            data[offset:offset + len(chunk)] = chunk
        streams[key] = bytes(data)
    return streams


def frame_summary(offset, frame):
    """The truth entry for one frame, without the front's extra notes."""
    import ctp_front
    entry = {"offset": offset, "length": len(frame.raw), "ftd_type": frame.ftd_type,
             "tlvs": [[tag, data.hex()] for tag, data in frame.tlvs]}
    if frame.ftd_type == ftdc.FTD_COMPRESSED:
        entry.update(ctp_front.describe_package(ftdc.decode_package(frame)))
    return entry


def compare_frames(connection, direction, data):
    expected = [frame for frame in connection["frames"] if frame["direction"] == direction]
    reader = ftdc.FrameReader()
    actual = reader.feed(data)
    if reader.buffer:
        raise CheckError(f"connection {connection['index']} {direction}: {len(reader.buffer)} bytes after the last frame")
    if len(actual) != len(expected):
        raise CheckError(f"connection {connection['index']} {direction}: {len(actual)} frames, truth has {len(expected)}")
    for (offset, frame), truth in zip(actual, expected):
        summary = frame_summary(offset, frame)
        for key, value in summary.items():
            if truth.get(key) != value:
                raise CheckError(f"connection {connection['index']} {direction} frame at {offset}: {key} is "
                                 f"{value!r}, truth says {truth.get(key)!r}")
        if truth.get("tid") == RSP_API_HANDSHAKE:
            check_zero_key(connection, frame)


def check_zero_key(connection, frame):
    package = ftdc.decode_package(frame)
    for fid, body in package.fields:
        if fid == 0x4033 and any(body[4:305]):
            raise CheckError(f"connection {connection['index']}: RspApiHandshake key material is not zero")


def check_key_absent(pcap, handshake_dir):
    """No 16-byte piece of the original key material (raw or compressed) is in the file."""
    path = os.path.join(handshake_dir, "rsp-api-handshake.bin")
    if not os.path.exists(path):
        return "original key not available, absence not checked"
    with open(path, "rb") as handle:
        frame = ftdc.FrameReader().feed(handle.read())[0][1]
    body = dict(ftdc.decode_package(frame).fields)[0x4033]
    length = struct.unpack(">i", body[:4])[0]
    key = body[4:4 + length]
    with open(pcap, "rb") as handle:
        data = handle.read()
    for form in (key, ftdc.zero_compress(key)):
        for start in range(0, len(form) - 16 + 1):
            if form[start:start + 16] in data:
                raise CheckError(f"{pcap}: holds a piece of the original key material")
    return "no piece of the original key material in the file"


def check(pcap, truth_path, handshake_dir):
    with open(truth_path, encoding="utf-8") as handle:
        truth = json.load(handle)
    streams = streams_of(pcap, truth)
    handshakes = 0
    for connection in truth["connections"]:
        for direction in ("to_server", "to_client"):
            compare_frames(connection, direction, streams.get((connection["index"], direction), b""))
        handshakes += sum(1 for frame in connection["frames"] if frame.get("tid") == RSP_API_HANDSHAKE)
    absent = check_key_absent(pcap, handshake_dir)
    frames = sum(len(connection["frames"]) for connection in truth["connections"])
    print(f"{os.path.basename(pcap)}: {frames} frames in {len(truth['connections'])} connection(s) match the truth; "
          f"{handshakes} RspApiHandshake key(s) zero; {absent}")


def hex_lines(data, indent="    "):
    return "\n".join(f"{indent}{offset:04x}  {data[offset:offset + 16].hex(' ')}" for offset in range(0, len(data), 16))


def dump(pcap, truth_path, tids, limit):
    with open(truth_path, encoding="utf-8") as handle:
        truth = json.load(handle)
    streams = streams_of(pcap, truth)
    for connection in truth["connections"]:
        for direction in ("to_server", "to_client"):
            for offset, frame in ftdc.FrameReader().feed(streams.get((connection["index"], direction), b"")):
                package = ftdc.decode_package(frame) if frame.ftd_type == ftdc.FTD_COMPRESSED else None
                if tids and (package is None or f"0x{package.tid:04x}" not in tids):
                    continue
                print(f"connection {connection['index']} ({connection['label']}) {direction} offset {offset}, "
                      f"{len(frame.raw)} bytes on the wire:")
                print(hex_lines(frame.raw[:limit]))
                if package is None:
                    continue
                ftdc_bytes = ftdc.zero_decompress(frame.content[2:]) if package.method == ftdc.METHOD_ZERO else frame.content[2:]
                print(f"  FTDC header: {ftdc_bytes[:20].hex(' ')}")
                index = 20
                while index + 4 <= len(ftdc_bytes):
                    fid, size = ftdc.FIELD_HEADER.unpack_from(ftdc_bytes, index)
                    print(f"  field 0x{fid:04x} length {size}:")
                    print(hex_lines(ftdc_bytes[index + 4:index + 4 + min(size, limit)]))
                    index += 4 + size


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
    check_command.add_argument("--handshake-dir", default=os.path.normpath(os.path.join(HERE, "..", "..", "..", "..",
                                                                                        "shared", "ctp")))
    dump_command = commands.add_parser("dump")
    dump_command.add_argument("--pcap", required=True)
    dump_command.add_argument("--truth", required=True)
    dump_command.add_argument("--tid", action="append", default=[])
    dump_command.add_argument("--bytes", type=int, default=64)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.pcap, args.truth, [tid.lower() for tid in args.tid], args.bytes)
        return
    try:
        if args.command == "rewrite":
            rewrite(args.pcap, args.truth, args.out, args.out_truth)
        else:
            check(args.pcap, args.truth, args.handshake_dir)
    except CheckError as error:
        print(f"ctp_pcap.py {args.command}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
