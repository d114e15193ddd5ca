"""TDX (TongDaXin) quote protocol encoding and decoding for the capture generator (tdx_server.py,
tdx_scenario.py, tdx_pcap.py). Wire format: ../shared/protocols/tdx-and-cn-broker.md section 1.

    request = flag (u8) | sequence id (4 bytes) | packet type (u8) | len1 (u16) | len2 (u16)
              | command (u16) | body (len1 - 2 bytes)                      all little-endian
    reply   = magic b1 cb 74 00 | flag echo (u8, | 0x10 when compressed) | sequence id echo (4)
              | unknown (u8) | command echo (u16) | wire size (u16) | raw size (u16) | body

A reply body whose wire size differs from its raw size is a zlib stream. Inside bodies, prices and
volumes are variable-length signed integers (encode_varint), "amount"-like fields float32, codes 6
ASCII bytes and names GBK. Every body layout used here is described next to its encoder, and in
FINDINGS.md with hex excerpts.

The describe_* functions turn frames into the dictionaries of the truth files; tdx_pcap.py calls
them again on the reassembled capture and compares.
"""
import hashlib
import json
import struct
import zlib
from dataclasses import dataclass

MAGIC = b"\xb1\xcb\x74\x00"
FLAG_COMPRESSED = 0x10
REQUEST_HEADER = struct.Struct("<B4sBHHH")      # flag, sequence id, packet type, len1, len2, command
REPLY_HEADER = struct.Struct("<4sB4sBHHH")      # magic, flag, sequence id, unknown, command, wire, raw
MAX_BODY = 0xFFFF

COMMANDS = {
    0x0004: "heartbeat",
    0x000b: "official_login",
    0x000d: "setup1",            # pytdx SetupCmd1 and SetupCmd2 (body 01 / 02)
    0x0015: "ping",
    0x0fdb: "setup3",            # pytdx SetupCmd3
    0x044e: "security_count",
    0x0450: "security_list",
    0x044d: "security_list_new",
    0x053e: "security_quotes",
    0x054c: "security_quotes_new",
    0x052d: "security_bars",
    0x051d: "minute_time_data",
    0x0537: "minute_time_data_alt",
    0x0fb4: "history_minute_time_data",
    0x0fc5: "transaction_data",
    0x0fb5: "history_transaction_data",
    0x000f: "xdxr_info",
    0x0010: "finance_info",
    0x02cf: "company_info_category",
    0x02d0: "company_info_content",
    0x02c5: "file_meta",
    0x06b9: "file_data",
    # extended market (port 7727, flag 0x01)
    0x2454: "ex_setup",
    0x23f4: "ex_markets",
    0x23f0: "ex_instrument_count",
    0x23f5: "ex_instrument_info",
    0x23fa: "ex_instrument_quote",
}

# Bar categories whose dates are packed (u16 day, u16 minutes) rather than u32 YYYYMMDD.
MINUTE_BAR_CATEGORIES = {0, 1, 2, 3, 7, 8}


class WireError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Scalar encodings (section 1.4)


def encode_varint(value):
    """TDX signed variable-length integer: first byte = more (0x80), negative (0x40) and the low
    6 bits of the magnitude; each next byte = more (0x80) and 7 further bits, low groups first."""
    magnitude = abs(value)
    first = magnitude & 0x3F | (0x40 if value < 0 else 0)
    magnitude >>= 6
    out = bytearray([first | (0x80 if magnitude else 0)])
    while magnitude:
        group = magnitude & 0x7F
        magnitude >>= 7
        out.append(group | (0x80 if magnitude else 0))
    return bytes(out)


def decode_varint(data, pos):
    """(value, position after it); WireError when the bytes end inside the integer."""
    if pos >= len(data):
        raise WireError(f"varint at {pos} past the end ({len(data)})")
    byte = data[pos]
    negative = byte & 0x40
    value = byte & 0x3F
    shift = 6
    pos += 1
    while byte & 0x80:
        if pos >= len(data):
            raise WireError(f"varint continues past the end ({len(data)})")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        shift += 7
        pos += 1
    return (-value if negative else value), pos


def f32(value):
    """VALUE rounded to the nearest float32 (what the wire can carry)."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def gbk_field(text, size):
    """TEXT in GBK, NUL-padded to SIZE bytes (WireError when it does not fit)."""
    data = text.encode("gbk")
    if len(data) > size:
        raise WireError(f"{text!r} is {len(data)} bytes in GBK, more than {size}")
    return data + bytes(size - len(data))


def gbk_text(data):
    return bytes(data).split(b"\0", 1)[0].decode("gbk")


def ascii_code(code):
    data = code.encode("ascii")
    if len(data) != 6:
        raise WireError(f"code {code!r} is not 6 characters")
    return data


# ---------------------------------------------------------------------------------------------
# Frames


@dataclass
class Request:
    flag: int
    sequence: bytes        # the 4 bytes after the flag, as sent
    packet_type: int
    len1: int
    len2: int
    command: int
    body: bytes
    raw: bytes


@dataclass
class Reply:
    flag: int
    sequence: bytes
    unknown: int
    command: int
    wire_size: int
    raw_size: int
    body: bytes            # inflated when compressed
    raw: bytes

    @property
    def compressed(self):
        return self.wire_size != self.raw_size


def encode_request(flag, sequence, packet_type, command, body=b""):
    """A request frame; SEQUENCE is the 4 bytes after the flag."""
    length = 2 + len(body)
    return REQUEST_HEADER.pack(flag, sequence, packet_type, length, length, command) + body


def encode_reply(request, body, compress, unknown=0):
    """The reply to REQUEST (flag, sequence id and command echoed) carrying BODY, zlib-compressed
    (default level, 78 9c) when COMPRESS."""
    if len(body) > MAX_BODY:
        raise WireError(f"reply body of {len(body)} bytes does not fit the u16 size field")
    wire = zlib.compress(body) if compress else body
    if len(wire) > MAX_BODY:
        raise WireError(f"compressed body of {len(wire)} bytes does not fit the u16 size field")
    flag = request.flag | (FLAG_COMPRESSED if compress else 0)
    return REPLY_HEADER.pack(MAGIC, flag, request.sequence, unknown, request.command, len(wire), len(body)) + wire


class RequestReader:
    """Splits a client-to-server byte stream into requests: feed() returns [(offset, Request)]
    for every complete frame and keeps the rest."""

    def __init__(self):
        self.buffer = b""
        self.offset = 0

    def feed(self, data):
        self.buffer += data
        frames = []
        while len(self.buffer) >= REQUEST_HEADER.size:
            flag, sequence, packet_type, len1, len2, command = REQUEST_HEADER.unpack_from(self.buffer)
            if flag not in (0x0c, 0x01, 0x00) or len1 != len2 or len1 < 2:
                raise WireError(f"not a TDX request at stream offset {self.offset}: {self.buffer[:12].hex(' ')}")
            total = 10 + len1
            if len(self.buffer) < total:
                break
            raw = self.buffer[:total]
            frames.append((self.offset, Request(flag, sequence, packet_type, len1, len2, command, raw[12:], raw)))
            self.buffer = self.buffer[total:]
            self.offset += total
        return frames


class ReplyReader:
    """Splits a server-to-client byte stream into replies (bodies inflated)."""

    def __init__(self):
        self.buffer = b""
        self.offset = 0

    def feed(self, data):
        self.buffer += data
        frames = []
        while len(self.buffer) >= REPLY_HEADER.size:
            magic, flag, sequence, unknown, command, wire_size, raw_size = REPLY_HEADER.unpack_from(self.buffer)
            if magic != MAGIC:
                raise WireError(f"no reply magic at stream offset {self.offset}: {self.buffer[:16].hex(' ')}")
            total = REPLY_HEADER.size + wire_size
            if len(self.buffer) < total:
                break
            raw = self.buffer[:total]
            body = raw[REPLY_HEADER.size:]
            if wire_size != raw_size:
                body = zlib.decompress(body)
                if len(body) != raw_size:
                    raise WireError(f"reply at {self.offset}: inflated {len(body)} bytes, header says {raw_size}")
            frames.append((self.offset, Reply(flag, sequence, unknown, command, wire_size, raw_size, body, raw)))
            self.buffer = self.buffer[total:]
            self.offset += total
        return frames


# ---------------------------------------------------------------------------------------------
# Request bodies (as pytdx builds them; section 1.6)

SECURITY_COUNT_TAIL = b"\x75\xc7\x33\x01"     # u32 20170613, always sent by pytdx


def parse_code_list(body, prefix_length):
    """[(market, code)] of a quotes request body: PREFIX_LENGTH bytes, u16 n, n x (u8, 6s)."""
    count, = struct.unpack_from("<H", body, prefix_length)
    pos = prefix_length + 2
    if len(body) != pos + 7 * count:
        raise WireError(f"quotes request: {count} codes need {pos + 7 * count} bytes, body has {len(body)}")
    return [(body[pos + 7 * i], body[pos + 7 * i + 1:pos + 7 * i + 7].decode("ascii")) for i in range(count)]


def describe_request_body(command, body):
    """Key values of a request body, by command."""
    if command == 0x000d:
        return {"step": body[0]} if len(body) == 1 else {"body_hex": body.hex()}
    if command == 0x0fdb:
        return {"body_hex": body.hex(), "gbk_fragments": [part.decode("gbk", "replace")
                                                           for part in (body[0:8], body[21:29])]}
    if command == 0x044e:
        market, tail = struct.unpack("<H4s", body)
        return {"market": market, "tail_hex": tail.hex(), "tail_u32": struct.unpack("<I", tail)[0]}
    if command == 0x0450:
        market, start = struct.unpack("<HH", body)
        return {"market": market, "start": start}
    if command == 0x053e:
        codes = parse_code_list(body, 8)
        return {"prefix_hex": body[:8].hex(), "count": len(codes), "codes": [[m, c] for m, c in codes]}
    if command == 0x054c:
        codes = parse_code_list(body, 8)
        return {"prefix_hex": body[:8].hex(), "count": len(codes), "codes": [[m, c] for m, c in codes]}
    if command == 0x052d:
        market, code, category, one, start, count, tail = struct.unpack("<H6sHHHH10s", body)
        return {"market": market, "code": code.decode("ascii"), "category": category, "field_1": one,
                "start": start, "count": count, "tail_hex": tail.hex()}
    if command == 0x051d:
        market, code, zero = struct.unpack("<H6sI", body)
        return {"market": market, "code": code.decode("ascii"), "tail_u32": zero}
    if command == 0x0fb4:
        date, market, code = struct.unpack("<IB6s", body)
        return {"date": date, "market": market, "code": code.decode("ascii")}
    if command == 0x0fc5:
        market, code, start, count = struct.unpack("<H6sHH", body)
        return {"market": market, "code": code.decode("ascii"), "start": start, "count": count}
    if command == 0x02c5:
        return {"file_name": body.split(b"\0", 1)[0].decode("ascii"), "field_size": len(body)}
    if command == 0x000b:
        return describe_official_login(body)
    if command == 0x2454:
        return {"body_length": len(body), "block_hex": body[:8].hex(),
                "block_repeats": next(i for i in range(len(body) // 8 + 1) if body[8 * i:8 * i + 8] != body[:8]),
                "tail_hex": body[72:].hex()}
    if command == 0x23f5:
        start, count = struct.unpack("<IH", body)
        return {"start": start, "count": count}
    if command == 0x23fa:
        market, code = struct.unpack("<B9s", body)
        return {"market": market, "code": code.rstrip(b"\0").decode("ascii")}
    return {"body_hex": body.hex()} if len(body) <= 64 else {"body_length": len(body),
                                                             "body_sha256_16": sha16(body)}


def describe_official_login(body):
    """Length and the repeated 8-byte block that nDPI keys on (frame offset 32 = body offset 20)."""
    block = body[20:28]
    repeats = 0
    while body[20 + 8 * repeats:28 + 8 * repeats] == block and 28 + 8 * repeats <= len(body):
        repeats += 1
    return {"body_length": len(body), "block_at_32_hex": block.hex(), "block_repeats": repeats,
            "body_sha256_16": sha16(body)}


def sha16(data):
    return hashlib.sha256(bytes(data)).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Reply bodies: encoders (from values) and decoders (back to the same values)


def encode_count(count):
    """0x044e: u16 number of securities in the market."""
    return struct.pack("<H", count)


def decode_count(body):
    return {"count": struct.unpack("<H", body)[0]}


SECURITY_RECORD = struct.Struct("<6sH8sIBfI")     # 29 bytes


def encode_security_list(records):
    """0x0450: u16 n, then n x 29 bytes: code (6 ASCII), volunit (u16), name (8 bytes GBK,
    NUL-padded), reserved (u32), decimal point (u8), previous close (float32), reserved (u32 0)."""
    out = bytearray(struct.pack("<H", len(records)))
    for record in records:
        out += SECURITY_RECORD.pack(ascii_code(record["code"]), record["volunit"], gbk_field(record["name"], 8),
                                    record["reserved"], record["decimal_point"], record["pre_close"], 0)
    return bytes(out)


def decode_security_list(body):
    count, = struct.unpack_from("<H", body)
    if len(body) != 2 + SECURITY_RECORD.size * count:
        raise WireError(f"security list: {count} records need {2 + 29 * count} bytes, body has {len(body)}")
    records = []
    for index in range(count):
        code, volunit, name, reserved, decimal_point, pre_close, tail = SECURITY_RECORD.unpack_from(
            body, 2 + SECURITY_RECORD.size * index)
        records.append({"code": code.decode("ascii"), "volunit": volunit, "name": gbk_text(name),
                        "reserved": reserved, "decimal_point": decimal_point, "pre_close": pre_close})
    return {"count": count, "records": records}


def encode_quotes(stocks, prefix=b"\xb1\xcb"):
    """0x053e: 2 bytes (b1 cb), u16 n, then per stock (prices absolute in 1/100 CNY in STOCKS,
    written as the wire wants them):
        u8 market, 6s code, u16 active1,
        varint price, varints last_close/open/high/low - price, varint server time,
        varint reserved (-price), varint vol, varint cur_vol, float32 amount,
        varint s_vol, varint b_vol, varint reserved2, varint reserved3,
        5 x (varint bid - price, varint ask - price, varint bid vol, varint ask vol),
        u16 reserved4, 4 varints reserved5..8, i16 speed (1/100 %), u16 active2."""
    out = bytearray(prefix + struct.pack("<H", len(stocks)))
    for s in stocks:
        price = s["price"]
        out += struct.pack("<B6sH", s["market"], ascii_code(s["code"]), s["active1"])
        out += encode_varint(price)
        for key in ("last_close", "open", "high", "low"):
            out += encode_varint(s[key] - price)
        out += encode_varint(s["server_time"]) + encode_varint(s["reserved_neg_price"])
        out += encode_varint(s["vol"]) + encode_varint(s["cur_vol"]) + struct.pack("<f", s["amount"])
        for key in ("s_vol", "b_vol", "reserved2", "reserved3"):
            out += encode_varint(s[key])
        for (bid, bid_vol), (ask, ask_vol) in zip(s["bids"], s["asks"]):
            out += encode_varint(bid - price) + encode_varint(ask - price)
            out += encode_varint(bid_vol) + encode_varint(ask_vol)
        out += struct.pack("<H", s["reserved4"])
        for value in s["reserved5_8"]:
            out += encode_varint(value)
        out += struct.pack("<hH", s["speed"], s["active2"])
    return bytes(out)


def decode_quotes(body):
    prefix, count = struct.unpack_from("<2sH", body)
    pos = 4
    stocks = []
    for _ in range(count):
        market, code, active1 = struct.unpack_from("<B6sH", body, pos)
        pos += 9
        s = {"market": market, "code": code.decode("ascii"), "active1": active1}
        price, pos = decode_varint(body, pos)
        s["price"] = price
        for key in ("last_close", "open", "high", "low"):
            delta, pos = decode_varint(body, pos)
            s[key] = price + delta
        s["server_time"], pos = decode_varint(body, pos)
        s["reserved_neg_price"], pos = decode_varint(body, pos)
        s["vol"], pos = decode_varint(body, pos)
        s["cur_vol"], pos = decode_varint(body, pos)
        s["amount"], = struct.unpack_from("<f", body, pos)
        pos += 4
        for key in ("s_vol", "b_vol", "reserved2", "reserved3"):
            s[key], pos = decode_varint(body, pos)
        s["bids"], s["asks"] = [], []
        for _ in range(5):
            values = []
            for _ in range(4):
                value, pos = decode_varint(body, pos)
                values.append(value)
            s["bids"].append([price + values[0], values[2]])
            s["asks"].append([price + values[1], values[3]])
        s["reserved4"], = struct.unpack_from("<H", body, pos)
        pos += 2
        s["reserved5_8"] = []
        for _ in range(4):
            value, pos = decode_varint(body, pos)
            s["reserved5_8"].append(value)
        s["speed"], s["active2"] = struct.unpack_from("<hH", body, pos)
        pos += 4
        stocks.append(s)
    if pos != len(body):
        raise WireError(f"quotes reply: {len(body) - pos} bytes after the last record")
    return {"prefix_hex": prefix.hex(), "count": count, "stocks": stocks}


def encode_bar_date(category, bar):
    """Minute-type categories: u16 packed day ((year - 2004) << 11 | month * 100 + day) and u16
    minutes since midnight; the others: u32 YYYYMMDD."""
    if category in MINUTE_BAR_CATEGORIES:
        packed = (bar["year"] - 2004) << 11 | (bar["month"] * 100 + bar["day"])
        return struct.pack("<HH", packed, bar["hour"] * 60 + bar["minute"])
    return struct.pack("<I", bar["year"] * 10000 + bar["month"] * 100 + bar["day"])


def decode_bar_date(category, body, pos):
    if category in MINUTE_BAR_CATEGORIES:
        packed, minutes = struct.unpack_from("<HH", body, pos)
        return {"year": (packed >> 11) + 2004, "month": (packed % 2048) // 100, "day": (packed % 2048) % 100,
                "hour": minutes // 60, "minute": minutes % 60}
    value, = struct.unpack_from("<I", body, pos)
    return {"year": value // 10000, "month": value // 100 % 100, "day": value % 100}


def encode_bars(category, bars):
    """0x052d: u16 n, then per bar: date (encode_bar_date), varint open - previous close (the
    first bar's open is absolute), varints close/high/low - open (prices in 1/1000 CNY),
    float32 volume, float32 amount."""
    out = bytearray(struct.pack("<H", len(bars)))
    previous_close = 0
    for bar in bars:
        out += encode_bar_date(category, bar)
        out += encode_varint(bar["open"] - previous_close)
        for key in ("close", "high", "low"):
            out += encode_varint(bar[key] - bar["open"])
        out += struct.pack("<ff", bar["vol"], bar["amount"])
        previous_close = bar["close"]
    return bytes(out)


def decode_bars(category, body):
    count, = struct.unpack_from("<H", body)
    pos = 2
    bars = []
    previous_close = 0
    for _ in range(count):
        bar = decode_bar_date(category, body, pos)
        pos += 4
        delta, pos = decode_varint(body, pos)
        bar["open"] = previous_close + delta
        for key in ("close", "high", "low"):
            delta, pos = decode_varint(body, pos)
            bar[key] = bar["open"] + delta
        bar["vol"], bar["amount"] = struct.unpack_from("<ff", body, pos)
        pos += 8
        previous_close = bar["close"]
        bars.append(bar)
    if pos != len(body):
        raise WireError(f"bars reply: {len(body) - pos} bytes after the last bar")
    return {"category": category, "count": count, "bars": bars}


def encode_minutes(points, head):
    """0x051d / 0x0fb4: u16 n, HEAD (2 bytes for 0x051d, 4 for 0x0fb4; pytdx skips them), then
    per minute: varint price - previous price (the first absolute, 1/100 CNY), varint
    reserved, varint volume."""
    out = bytearray(struct.pack("<H", len(points)) + head)
    previous = 0
    for point in points:
        out += encode_varint(point["price"] - previous) + encode_varint(point["reserved"])
        out += encode_varint(point["vol"])
        previous = point["price"]
    return bytes(out)


def decode_minutes(body, head_length):
    count, = struct.unpack_from("<H", body)
    pos = 2 + head_length
    points = []
    price = 0
    for _ in range(count):
        delta, pos = decode_varint(body, pos)
        reserved, pos = decode_varint(body, pos)
        vol, pos = decode_varint(body, pos)
        price += delta
        points.append({"price": price, "reserved": reserved, "vol": vol})
    if pos != len(body):
        raise WireError(f"minute reply: {len(body) - pos} bytes after the last point")
    return {"count": count, "head_hex": body[2:2 + head_length].hex(), "points": points}


def encode_transactions(ticks):
    """0x0fc5: u16 n, then per trade: u16 minutes since midnight, varint price - previous price
    (the first absolute, 1/100 CNY), varint volume, varint number of orders, varint
    buy/sell flag (0 buy, 1 sell, 2 neutral), varint reserved."""
    out = bytearray(struct.pack("<H", len(ticks)))
    previous = 0
    for tick in ticks:
        out += struct.pack("<H", tick["hour"] * 60 + tick["minute"])
        out += encode_varint(tick["price"] - previous)
        for key in ("vol", "num", "buyorsell", "reserved"):
            out += encode_varint(tick[key])
        previous = tick["price"]
    return bytes(out)


def decode_transactions(body):
    count, = struct.unpack_from("<H", body)
    pos = 2
    ticks = []
    price = 0
    for _ in range(count):
        minutes, = struct.unpack_from("<H", body, pos)
        pos += 2
        tick = {"hour": minutes // 60, "minute": minutes % 60}
        delta, pos = decode_varint(body, pos)
        price += delta
        tick["price"] = price
        for key in ("vol", "num", "buyorsell", "reserved"):
            tick[key], pos = decode_varint(body, pos)
        ticks.append(tick)
    if pos != len(body):
        raise WireError(f"transactions reply: {len(body) - pos} bytes after the last trade")
    return {"count": count, "ticks": ticks}


FILE_META = struct.Struct("<IB32sB")


def encode_file_meta(size, digest):
    """0x02c5: u32 file size, 1 byte (1), 32 ASCII hex digits (MD5 of the file), 1 byte (0)."""
    return FILE_META.pack(size, 1, digest.encode("ascii"), 0)


def decode_file_meta(body):
    size, one, digest, zero = FILE_META.unpack(body)
    return {"size": size, "byte4": one, "hash": digest.decode("ascii"), "byte37": zero}


# ---------------------------------------------------------------------------------------------
# Extended market reply bodies (float32 / u32 structures, no varints)

EX_MARKET = struct.Struct("<B32sB2s26s2s")      # 64 bytes
EX_INSTRUMENT = struct.Struct("<BB3s9s17s9s")   # 40 bytes used of each 64-byte record
EX_QUOTE = struct.Struct("<B9s4s5f9I5f5I5f5I")  # 150 bytes
EX_QUOTE_FIELDS = ["pre_close", "open", "high", "low", "price", "kaicang", "reserved1", "zongliang", "xianliang",
                   "reserved2", "neipan", "waipan", "reserved3", "chicang"]


def encode_ex_markets(markets):
    """0x23f4: u16 n, then n x 64 bytes: u8 category, 32-byte GBK name, u8 market, 2-byte short
    name, 26 zero bytes, 2 bytes (zero here)."""
    out = bytearray(struct.pack("<H", len(markets)))
    for m in markets:
        out += EX_MARKET.pack(m["category"], gbk_field(m["name"], 32), m["market"], gbk_field(m["short_name"], 2),
                              bytes(26), bytes(2))
    return bytes(out)


def decode_ex_markets(body):
    count, = struct.unpack_from("<H", body)
    markets = []
    for index in range(count):
        category, name, market_id, short, _, _ = EX_MARKET.unpack_from(body, 2 + 64 * index)
        markets.append({"category": category, "name": gbk_text(name), "market": market_id, "short_name": gbk_text(short)})
    return {"count": count, "markets": markets}


def encode_ex_count(count):
    """0x23f0: 31 bytes: "TDX_DS" NUL-padded to 11, u32, u32 1, u32 COUNT at offset 19, u32, u32 0
    (only the count is read by pytdx; the other values are invented)."""
    return wire_pad(b"TDX_DS", 11) + struct.pack("<IIIII", 0xDC1F, 1, count, 0x74, 0)


def wire_pad(data, size):
    return data + bytes(size - len(data))


def decode_ex_count(body):
    return {"count": struct.unpack_from("<I", body, 19)[0], "tag": gbk_text(body[:11])}


def encode_ex_instruments(start, instruments):
    """0x23f5: u32 start, u16 n, then n x 64 bytes: u8 category, u8 market, 3 zero bytes, 9-byte
    code, 17-byte GBK name, 9-byte GBK description, 24 zero bytes."""
    out = bytearray(struct.pack("<IH", start, len(instruments)))
    for item in instruments:
        out += EX_INSTRUMENT.pack(item["category"], item["market"], bytes(3), wire_pad(item["code"].encode("ascii"), 9),
                                  gbk_field(item["name"], 17), gbk_field(item["desc"], 9)) + bytes(24)
    return bytes(out)


def decode_ex_instruments(body):
    start, count = struct.unpack_from("<IH", body)
    items = []
    for index in range(count):
        category, market_id, _, code, name, desc = EX_INSTRUMENT.unpack_from(body, 6 + 64 * index)
        items.append({"category": category, "market": market_id, "code": gbk_text(code), "name": gbk_text(name),
                      "desc": gbk_text(desc)})
    return {"start": start, "count": count, "instruments": items}


def encode_ex_quote(q):
    """0x23fa: u8 market, 9-byte code, 4 zero bytes, float32 pre_close/open/high/low/price, u32
    kaicang, reserved, zongliang, xianliang, reserved, neipan, waipan, reserved, chicang (open
    interest), float32 bid1..5, u32 bid volumes 1..5, float32 ask1..5, u32 ask volumes 1..5."""
    return EX_QUOTE.pack(q["market"], wire_pad(q["code"].encode("ascii"), 9), bytes(4),
                         *[q[key] for key in EX_QUOTE_FIELDS], *q["bids"], *q["bid_vols"], *q["asks"], *q["ask_vols"])


def decode_ex_quote(body):
    values = EX_QUOTE.unpack(body)
    quote = {"market": values[0], "code": gbk_text(values[1])}
    quote.update(zip(EX_QUOTE_FIELDS, values[3:17]))
    quote.update(bids=list(values[17:22]), bid_vols=list(values[22:27]), asks=list(values[27:32]),
                 ask_vols=list(values[32:37]))
    return quote


def describe_reply_body(command, body, request_values=None):
    """Decoded values of a reply body, by command (bars need the request's category)."""
    if command == 0x044e:
        return decode_count(body)
    if command == 0x0450:
        return decode_security_list(body)
    if command == 0x053e:
        return decode_quotes(body)
    if command == 0x052d:
        return decode_bars(request_values["category"], body)
    if command == 0x051d:
        return decode_minutes(body, 2)
    if command == 0x0fb4:
        return decode_minutes(body, 4)
    if command == 0x0fc5:
        return decode_transactions(body)
    if command == 0x02c5:
        return decode_file_meta(body)
    if command == 0x23f4:
        return decode_ex_markets(body)
    if command == 0x23f0:
        return decode_ex_count(body)
    if command == 0x23f5:
        return decode_ex_instruments(body)
    if command == 0x23fa:
        return decode_ex_quote(body)
    return {"body_length": len(body), "body_sha256_16": sha16(body)}


# ---------------------------------------------------------------------------------------------
# Truth entries


def describe_request(offset, request):
    return {"direction": "to_server", "offset": offset, "length": len(request.raw), "flag": f"0x{request.flag:02x}",
            "sequence": request.sequence.hex(), "sequence_u32": struct.unpack("<I", request.sequence)[0],
            "packet_type": request.packet_type, "len1": request.len1, "len2": request.len2,
            "command": f"0x{request.command:04x}", "command_name": COMMANDS.get(request.command),
            "header_hex": request.raw[:12].hex(), "values": describe_request_body(request.command, request.body)}


def describe_reply(offset, reply, request_values=None):
    entry = {"direction": "to_client", "offset": offset, "length": len(reply.raw), "flag": f"0x{reply.flag:02x}",
             "compressed": reply.compressed, "sequence": reply.sequence.hex(),
             "sequence_u32": struct.unpack("<I", reply.sequence)[0], "byte9": reply.unknown,
             "command": f"0x{reply.command:04x}", "command_name": COMMANDS.get(reply.command),
             "wire_size": reply.wire_size, "raw_size": reply.raw_size, "header_hex": reply.raw[:16].hex()}
    if reply.compressed:
        entry["zlib_header_hex"] = reply.raw[16:18].hex()
    entry["values"] = describe_reply_body(reply.command, reply.body, request_values)
    return entry


# Row layouts of the truth files: long lists of records are written as rows of values in these
# column orders (one "columns" list per frame) instead of one object per record.
ROW_COLUMNS = {
    "stocks": ["market", "code", "active1", "price", "last_close", "open", "high", "low", "server_time",
               "reserved_neg_price", "vol", "cur_vol", "amount", "s_vol", "b_vol", "reserved2", "reserved3",
               "bids", "asks", "reserved4", "reserved5_8", "speed", "active2"],
    "records": ["code", "volunit", "name", "reserved", "decimal_point", "pre_close"],
    "bars": ["year", "month", "day", "hour", "minute", "open", "close", "high", "low", "vol", "amount"],
    "points": ["price", "reserved", "vol"],
    "ticks": ["hour", "minute", "price", "vol", "num", "buyorsell", "reserved"],
    "markets": ["category", "name", "market", "short_name"],
    "instruments": ["category", "market", "code", "name", "desc"],
}


# Abridged quote rows (bulk batches after the first few of a connection keep the truth files small).
ABRIDGED_STOCK_COLUMNS = ["market", "code", "price", "last_close", "vol", "amount"]


def compact(values, abridged=False):
    """VALUES with its record lists (ROW_COLUMNS) turned into "columns" + "rows"; ABRIDGED keeps
    only ABRIDGED_STOCK_COLUMNS of quote records."""
    for key, columns in ROW_COLUMNS.items():
        if key in values:
            if key == "stocks" and abridged:
                columns = ABRIDGED_STOCK_COLUMNS
            values = dict(values)
            rows = [[record.get(column) for column in columns] for record in values.pop(key)]
            values.update(columns=columns, rows=rows)
    return values


def compact_frame(entry, abridged=False):
    """A truth entry with compact values (the form written to the truth files); an abridged
    one says so ("abridged": true)."""
    if not isinstance(entry.get("values"), dict):
        return entry
    entry = dict(entry, values=compact(entry["values"], abridged))
    if abridged:
        entry["abridged"] = True
    return entry


def pair_replies(requests, replies):
    """Yields (reply offset, reply, request) pairing each reply with the oldest unanswered
    request of the same sequence id and command."""
    waiting = list(requests)
    for offset, reply in replies:
        match = next((item for item in waiting if item[1].sequence == reply.sequence
                      and item[1].command == reply.command), None)
        if match is None:
            raise WireError(f"reply at {offset} (command 0x{reply.command:04x}, sequence {reply.sequence.hex()}) "
                            "answers no request")
        waiting.remove(match)
        yield offset, reply, match[1]


def write_truth(truth, path):
    """A readable top level and one line per frame (keeps the files small)."""
    connections = truth.get("connections", [])
    head = {key: value for key, value in truth.items() if key != "connections"}
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2].rstrip() + ',\n "connections": [\n'
    blocks = []
    for connection in connections:
        info = {key: value for key, value in connection.items() if key != "frames"}
        frames = ",\n".join("   " + json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
                            for frame in connection["frames"])
        blocks.append("  " + json.dumps(info, ensure_ascii=False)[:-1] + ', "frames": [\n' + frames + "\n  ]}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text + ",\n".join(blocks) + "\n ]\n}\n")
