"""FTD / CRP / FTDC encoding and decoding for the CTP capture generator (ctp_front.py,
ctp_scenario.py, ctp_pcap.py). Wire format: ../shared/protocols/ctp.md sections 2-5.

    frame   = FTD header (type, ext length, content length BE) + ext TLVs + content
    content = CRP header (0x01, method 0 or 3) + FTDC bytes (zero-run compressed when method 3)
    FTDC    = 20-byte header (version, chain, series, TID, sequence, field count, content length,
              request id; integers big-endian) + fields (id, length, body)

Field bodies follow the 6.7.11 field dictionary in ftdc-fields-6.7.11.tsv (extracted from the
SFIT library by wheel_dictionary.py): members packed in declaration order, integers and doubles
big-endian, strings GBK and NUL-padded.
"""
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

FTD_NONE = 0x00
FTD_COMPRESSED = 0x02
TAG_KEEPALIVE = 0x05
TAG_HEARTBEAT_TIMEOUT = 0x07
CRP_FTDC = 0x01
METHOD_NONE = 0x00
METHOD_ZERO = 0x03
FTDC_HEADER = struct.Struct(">BcHIIHHI")
FIELD_HEADER = struct.Struct(">HH")
VERSION_6_7_11 = 0x34
DBL_MAX = 1.7976931348623157e308

HERE = os.path.dirname(os.path.abspath(__file__))
DICTIONARY_PATH = os.path.join(HERE, "ftdc-fields-6.7.11.tsv")

# Members whose bytes are secrets or opaque blobs: the truth files show them as presence, length
# and a short hash (never as text), so that reuse is visible and nothing secret is written.
SECRET_MEMBERS = {"Password", "OneTimePassword", "AuthCode", "NewPassword", "OldPassword"}
OPAQUE_MEMBERS = {"AuthInfo", "ClientSystemInfo", "FrontHandshakeData", "ApiHandshakeData"}


# ---------------------------------------------------------------------------------------------
# Zero-run compression (CRP method 3)


def zero_compress(data):
    """Runs of 0x00 become 0xE0+n (n <= 15); bytes 0xE0..0xEF are escaped as E0 b."""
    out = bytearray()
    index = 0
    while index < len(data):
        byte = data[index]
        if byte == 0:
            run = 1
            while run < 15 and index + run < len(data) and data[index + run] == 0:
                run += 1
            out.append(0xE0 + run)
            index += run
            continue
        if 0xE0 <= byte <= 0xEF:
            out.append(0xE0)
        out.append(byte)
        index += 1
    return bytes(out)


def zero_decompress(data):
    """The inverse of zero_compress; raises ValueError on an escape at the very end."""
    out = bytearray()
    index = 0
    while index < len(data):
        byte = data[index]
        if byte == 0xE0:
            if index + 1 >= len(data):
                raise ValueError("zero-run escape at the end of the data")
            out.append(data[index + 1])
            index += 2
        elif 0xE1 <= byte <= 0xEF:
            out.extend(bytes(byte & 0x0F))
            index += 1
        else:
            out.append(byte)
            index += 1
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Frames


@dataclass
class Frame:
    """One FTD frame: its type, extension TLVs [(tag, data)] and content (CRP header + FTDC)."""
    ftd_type: int
    tlvs: list
    content: bytes
    raw: bytes = b""

    @property
    def is_heartbeat(self):
        return self.ftd_type == FTD_NONE and any(tag == TAG_KEEPALIVE for tag, _ in self.tlvs)

    @property
    def heartbeat_timeout(self):
        """The announced heartbeat timeout in seconds (ext tag 0x07), or None."""
        for tag, data in self.tlvs:
            if tag == TAG_HEARTBEAT_TIMEOUT and len(data) == 4:
                return struct.unpack(">I", data)[0]
        return None


def encode_frame(ftd_type, content=b"", tlvs=()):
    """FTD header + extension TLVs + content."""
    ext = b"".join(bytes([tag, len(data)]) + data for tag, data in tlvs)
    if len(ext) > 127 or len(content) > 0xFFFF:
        raise ValueError("frame too large")
    return struct.pack(">BBH", ftd_type, len(ext), len(content)) + ext + content


def heartbeat_frame():
    """Keep-alive: type 0, ext tag 0x05 with no data (00 02 00 00 05 00)."""
    return encode_frame(FTD_NONE, tlvs=[(TAG_KEEPALIVE, b"")])


def heartbeat_timeout_frame(seconds):
    """Heartbeat-timeout announcement: type 0, ext tag 0x07 with a BE uint32."""
    return encode_frame(FTD_NONE, tlvs=[(TAG_HEARTBEAT_TIMEOUT, struct.pack(">I", seconds))])


class FrameReader:
    """Splits a TCP byte stream into frames; feed() returns the complete ones, keeping the rest."""

    def __init__(self):
        self.buffer = bytearray()
        self.offset = 0  # stream offset of buffer[0]

    def feed(self, data):
        """[(stream offset, Frame)] for every frame completed by DATA."""
        self.buffer.extend(data)
        frames = []
        while len(self.buffer) >= 4:
            ftd_type, ext_len, length = struct.unpack_from(">BBH", self.buffer)
            total = 4 + ext_len + length
            if len(self.buffer) < total:
                break
            raw = bytes(self.buffer[:total])
            frames.append((self.offset, Frame(ftd_type, parse_tlvs(raw[4:4 + ext_len]), raw[4 + ext_len:], raw)))
            del self.buffer[:total]
            self.offset += total
        return frames


def parse_tlvs(ext):
    """[(tag, data)] of an extension area; a TLV running past the end is cut short."""
    tlvs = []
    index = 0
    while index + 2 <= len(ext):
        tag, size = ext[index], ext[index + 1]
        tlvs.append((tag, bytes(ext[index + 2:index + 2 + size])))
        index += 2 + size
    return tlvs


# ---------------------------------------------------------------------------------------------
# FTDC packages


@dataclass
class Package:
    """An FTDC package: header values and fields [(fid, body)]."""
    tid: int
    series: int = 0
    sequence: int = 0
    request_id: int = 0
    fields: list = field(default_factory=list)
    version: int = VERSION_6_7_11
    chain: str = "L"
    method: int = METHOD_ZERO
    field_count: int = None
    content_length: int = None

    def ftdc_bytes(self):
        """20-byte header + fields, uncompressed."""
        body = b"".join(FIELD_HEADER.pack(fid, len(data)) + data for fid, data in self.fields)
        header = FTDC_HEADER.pack(self.version, self.chain.encode(), self.series, self.tid, self.sequence,
                                  len(self.fields), len(body), self.request_id)
        return header + body

    def encode(self):
        """The complete FTD frame (type 2, CRP header, compressed when method is 3)."""
        ftdc = self.ftdc_bytes()
        payload = zero_compress(ftdc) if self.method == METHOD_ZERO else ftdc
        return encode_frame(FTD_COMPRESSED, bytes([CRP_FTDC, self.method]) + payload)


def decode_package(frame):
    """The Package in a type-2 frame; raises ValueError when the content is not FTDC."""
    if frame.ftd_type != FTD_COMPRESSED or len(frame.content) < 2:
        raise ValueError(f"not an FTDC frame (type {frame.ftd_type})")
    protocol, method = frame.content[0], frame.content[1]
    if protocol != CRP_FTDC or method not in (METHOD_NONE, METHOD_ZERO):
        raise ValueError(f"unknown CRP header {protocol:02x} {method:02x}")
    ftdc = zero_decompress(frame.content[2:]) if method == METHOD_ZERO else frame.content[2:]
    if len(ftdc) < FTDC_HEADER.size:
        raise ValueError("FTDC header cut short")
    version, chain, series, tid, sequence, count, length, request_id = FTDC_HEADER.unpack_from(ftdc)
    fields = []
    index = FTDC_HEADER.size
    while index + FIELD_HEADER.size <= len(ftdc):
        fid, size = FIELD_HEADER.unpack_from(ftdc, index)
        fields.append((fid, ftdc[index + 4:index + 4 + size]))
        index += 4 + size
    return Package(tid, series, sequence, request_id, fields, version, chain.decode("latin-1"), method,
                   count, length)


# ---------------------------------------------------------------------------------------------
# Field dictionary


@dataclass
class Member:
    offset: int
    name: str
    kind: str   # c (chars), h (short), i (int), d (double)
    size: int


@dataclass
class FieldLayout:
    fid: int
    name: str
    length: int
    comment: str
    members: list

    def member(self, name):
        for member in self.members:
            if member.name == name:
                return member
        raise KeyError(f"{self.name} has no member {name}")


def parse_members(text):
    members = []
    for item in text.split():
        offset, name, kind = item.split(":")
        members.append(Member(int(offset), name, kind[0], int(kind[1:])))
    return members


class Dictionary:
    """The field layouts of ftdc-fields-6.7.11.tsv, by struct name (without CFTD/Field) and by FID.
    Several structs share a FID (0x4022 is UserSystemInfo and QrySecAgentTradeInfo), so by_fid
    holds lists."""

    def __init__(self, path=DICTIONARY_PATH):
        self.by_name = {}
        self.by_fid = {}
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("#") or not line.strip():
                    continue
                fid, name, length, comment, members = line.rstrip("\n").split("\t")
                layout = FieldLayout(int(fid, 16), short_name(name), int(length), comment, parse_members(members))
                self.by_name[layout.name] = layout
                self.by_fid.setdefault(layout.fid, []).append(layout)

    def layout(self, name):
        return self.by_name[name]

    def guess(self, fid, length):
        """The layout for a field id and length (the one whose length matches, else the first)."""
        layouts = self.by_fid.get(fid, [])
        for layout in layouts:
            if layout.length == length:
                return layout
        return layouts[0] if layouts else None

    def encode(self, name, values):
        """The wire body of struct NAME with VALUES {member: value}; unnamed members are zero."""
        layout = self.by_name[name]
        body = bytearray(layout.length)
        known = {member.name for member in layout.members}
        unknown = set(values) - known
        if unknown:
            raise KeyError(f"{name} has no member(s) {sorted(unknown)}")
        for member in layout.members:
            if member.name in values:
                body[member.offset:member.offset + member.size] = encode_member(member, values[member.name])
        return layout.fid, bytes(body)

    def decode(self, fid, body, layout=None):
        """{member: value} of a field body (strings GBK-decoded, opaque members summarized)."""
        layout = layout or self.guess(fid, len(body))
        if layout is None:
            return None, {}
        values = {}
        for member in layout.members:
            chunk = body[member.offset:member.offset + member.size]
            if len(chunk) < member.size:
                break
            values[member.name] = decode_member(member, chunk)
        for member in layout.members:  # a blob with a length member: summarize exactly that many bytes
            length = values.get(member.name + "Len")
            if member.name in OPAQUE_MEMBERS and isinstance(length, int) and 0 < length <= member.size:
                values[member.name] = opaque_summary(body[member.offset:member.offset + length], exact=True)
        return layout, values


def short_name(name):
    """CFTDReqUserLoginField -> ReqUserLogin."""
    if name.startswith("CFTD"):
        name = name[4:]
    if name.endswith("Field"):
        name = name[:-5]
    return name


def encode_member(member, value):
    if member.kind == "c":
        data = value if isinstance(value, bytes) else str(value).encode("gbk")
        if len(data) > member.size:
            raise ValueError(f"{member.name}: {len(data)} bytes do not fit in {member.size}")
        return data.ljust(member.size, b"\0")
    if member.kind == "h":
        return struct.pack(">h", value)
    if member.kind == "i":
        return struct.pack(">i", value)
    if member.kind == "d":
        return struct.pack(">d", value)
    raise ValueError(f"{member.name}: unknown member kind {member.kind}")


def decode_member(member, chunk):
    if member.name in SECRET_MEMBERS:
        return {"present": any(chunk)}
    if member.name in OPAQUE_MEMBERS:
        return opaque_summary(chunk)
    if member.kind == "c":
        text = chunk.split(b"\0", 1)[0]
        try:
            return text.decode("gbk")
        except UnicodeDecodeError:
            return {"hex": text.hex()}
    if member.kind == "h":
        return struct.unpack(">h", chunk)[0]
    if member.kind == "i":
        return struct.unpack(">i", chunk)[0]
    value = struct.unpack(">d", chunk)[0]
    return None if value == DBL_MAX else value


def opaque_summary(chunk, exact=False):
    """Presence, length (up to the last non-zero byte unless EXACT) and the first 16 hex digits of
    the SHA-256 of those bytes."""
    used = len(chunk) if exact else len(chunk.rstrip(b"\0"))
    if not any(chunk[:used]):
        return {"present": False}
    return {"present": True, "length": used, "sha256_16": hashlib.sha256(chunk[:used]).hexdigest()[:16]}


def write_truth(truth, path):
    """Writes a truth file: readable top level, one line per frame (keeps the files small)."""
    connections = truth.get("connections", [])
    head = {key: value for key, value in truth.items() if key != "connections"}
    lines = json.dumps(head, indent=1, ensure_ascii=False)[:-2].rstrip() + ',\n "connections": [\n'
    blocks = []
    for connection in connections:
        info = {key: value for key, value in connection.items() if key != "frames"}
        frames = ",\n".join("   " + json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
                            for frame in connection["frames"])
        blocks.append("  " + json.dumps(info, ensure_ascii=False)[:-1] + ', "frames": [\n' + frames + "\n  ]}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(lines + ",\n".join(blocks) + "\n ]\n}\n")
