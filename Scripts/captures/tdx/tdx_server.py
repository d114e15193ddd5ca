#!/usr/bin/env python3
"""A simulated TDX standard-market quote server (port 7709 protocol) for the real pytdx client.

    tdx_server.py [--port P]     serve on 127.0.0.1 until interrupted (for trying pytdx by hand)

One thread per connection reads requests (10-byte header + command + body, tdx_wire.py) and
answers each with a 16-byte reply header (magic b1 cb 74 00, flag echo | 0x10 when compressed,
sequence id echo, byte 9 = 0, command echo, wire and raw sizes) and a body:

  0x000d  setup 1 / 2 (body 01 / 02)   invented server-information bodies (pytdx ignores them)
  0x0fdb  setup 3                      invented notice body (URL, schedule, GBK text)
  0x044e  security count (also pytdx's heartbeat)     u16 count of the market
  0x0450  security list, paged by start               u16 n + n x 29-byte records, 1000 a page
  0x053e  security quotes                              b1 cb, u16 n, varint records
  0x052d  security bars                                u16 n + bars (1/1000 CNY, float32 vol/amount)
  0x051d  minute data of today                         u16 n, 2 bytes, n x 3 varints
  0x0fb4  history minute data                          u16 n, 4 bytes, n x 3 varints
  0x0fc5  transactions                                 u16 n + trades
  0x02c5  file meta (block files, broker config zips)  u32 size, 1, 32 hex digits, 0
  0x2454  extended-market set-up (port 7727)           invented 40-byte body (pytdx ignores it)
  0x23f4  extended markets                             u16 n + n x 64-byte records
  0x23f0  extended instrument count                    31 bytes, u32 count at 19
  0x23f5  extended instrument info                     u32 start, u16 n + n x 64-byte records
  0x23fa  extended instrument quote                    150 bytes of u8/9s/float32/u32 fields
  0x0004  heartbeat (official client)                  invented 10-byte body
  0x000b  official-client login (hand-made client)     invented 24-byte body
  other   recorded and answered with an empty-looking 2-byte body (u16 0)

Bodies larger than COMPRESS_ABOVE bytes are sent zlib-compressed (78 9c) when that makes them
shorter, like the real servers (the public 0x054c vectors: 105 bytes plain, 2001 compressed).
Every value comes from tdx_market.py; after encoding, each body is decoded again and compared
with the values meant (WireError on any difference). Every frame in both directions is recorded
with its stream offset and decoded header and values (Recorder), which tdx_scenario.py writes
as the capture's ground truth.
"""
import argparse
import hashlib
import json
import socket
import struct
import threading
import time
import zlib

import tdx_market as market
import tdx_wire as wire

HOST = "127.0.0.1"
COMPRESS_ABOVE = 1024
PAGE = 1000
SERVER_NAME = "TapSentry 模拟行情主站"
NOTICE_URL = "https://quotes.example.invalid/tapsentry/notice.zip"
NOTICE_TEXT = "APP:ALL\r\nTIME:0:01-15:05,15:06-23:59\r\n    本服务器为测试用模拟行情，数据均为虚构。\r\n"
FILES = {   # file name -> content whose size and MD5 the 0x02c5 reply gives
    "block_zs.dat": b"tapsentry block file (invented)\n" * 40,
    "customcfg_hrzqv6.zip": b"PK\x03\x04 invented broker configuration" + bytes(300),
}


# ---------------------------------------------------------------------------------------------
# Recording


class Recorder:
    """Every frame of every connection, in the order received (to_server) or sent (to_client)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.connections = []

    def open(self, role, server_port, peer):
        with self.lock:
            record = {"index": len(self.connections), "role": role, "server_port": server_port,
                      "client_port": peer[1], "frames": []}
            self.connections.append(record)
            return record

    def add(self, record, entry):
        with self.lock:
            record["frames"].append(entry)


# ---------------------------------------------------------------------------------------------
# Reply bodies


def setup1_body(step):
    """Reply to setup 1/2 (0x000d): invented 68-byte head (step, date u32 YYYYMMDD at 44, time
    u32 HHMMSS at 48, the same pair again at 52/56) then the GBK server name, NUL-terminated.
    Modelled loosely on the server-information replies described in gotdx's hello1.go comment."""
    year, month, day = market.TRADING_DAY
    date = year * 10000 + month * 100 + day
    head = bytearray(68)
    head[0] = step
    struct.pack_into("<IIII", head, 44, date, 143000, date, 143001)
    return bytes(head) + SERVER_NAME.encode("gbk") + b"\0"


def setup2_body():
    """Reply to setup 3 (0x0fdb): invented layout: u8 1, 53 zero bytes, u8 1, float32 7.11,
    the notice URL NUL-padded to 100 bytes, then the GBK notice text, NUL-terminated."""
    return (b"\x01" + bytes(53) + b"\x01" + struct.pack("<f", 7.11) + wire.gbk_field(NOTICE_URL, 100)
            + NOTICE_TEXT.encode("gbk") + b"\0")


def heartbeat_body():
    """Reply to 0x0004: invented 10 bytes (u32 date, u32 time HHMMSS, u16 0)."""
    year, month, day = market.TRADING_DAY
    return struct.pack("<IIH", year * 10000 + month * 100 + day, 143005, 0)


def official_login_body():
    """Reply to the official client's 0x000b: invented 24 bytes (u16 1, u32 date, then zeros)."""
    year, month, day = market.TRADING_DAY
    return struct.pack("<HI", 1, year * 10000 + month * 100 + day) + bytes(18)


def ex_setup_body():
    """Reply to the extended-market set-up (0x2454): invented 40 bytes (u32 date, u32 time
    HHMMSS, then zeros)."""
    year, month, day = market.TRADING_DAY
    return struct.pack("<II", year * 10000 + month * 100 + day, 143000) + bytes(32)


def file_meta_body(name):
    content = FILES.get(name, b"")
    return wire.encode_file_meta(len(content), hashlib.md5(content).hexdigest())


# ---------------------------------------------------------------------------------------------
# One client connection


class Session:
    """A client connection: reads requests, answers them, records both directions."""

    def __init__(self, server, sock, peer):
        self.server = server
        self.sock = sock
        self.record = server.recorder.open("quote", server.port, peer)
        self.reader = wire.RequestReader()
        self.sent = 0
        self.quote_serial = 0

    def run(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                for offset, request in self.reader.feed(data):
                    self.handle(offset, request)
        except (OSError, wire.WireError) as error:
            if not isinstance(error, OSError):
                print(f"tdx_server: {error}", flush=True)
        finally:
            self.sock.close()

    def handle(self, offset, request):
        entry = wire.describe_request(offset, request)
        self.server.recorder.add(self.record, entry)
        body, values = self.reply_body(request, entry["values"])
        compress = len(body) > COMPRESS_ABOVE and len(zlib.compress(body)) < len(body)
        frame = wire.encode_reply(request, body, compress)
        reply = wire.ReplyReader().feed(frame)[0][1]
        described = wire.describe_reply(self.sent, reply, entry["values"])
        if values is not None and as_json(described["values"]) != as_json(values):
            raise wire.WireError(f"0x{request.command:04x}: the encoded body decodes to other values")
        self.server.recorder.add(self.record, described)   # before sending: the client may check it at once
        self.sent += len(frame)
        self.sock.sendall(frame)

    def reply_body(self, request, values):
        """(body, the values it should decode to, or None for opaque bodies)."""
        command = request.command
        if command == 0x000d:
            return setup1_body(values.get("step", 0)), None
        if command == 0x0fdb:
            return setup2_body(), None
        if command == 0x0004:
            return heartbeat_body(), None
        if command == 0x000b:
            return official_login_body(), None
        if command == 0x044e:
            count = len(market.LISTS.get(values["market"], []))
            return wire.encode_count(count), {"count": count}
        if command == 0x0450:
            records = market.LISTS.get(values["market"], [])[values["start"]:values["start"] + PAGE]
            return wire.encode_security_list(records), {"count": len(records), "records": records}
        if command == 0x053e:
            return self.quotes(values)
        if command == 0x052d:
            bars = market.bars(values["category"], values["market"], values["code"], values["start"], values["count"])
            return wire.encode_bars(values["category"], bars), {"category": values["category"],
                                                                 "count": len(bars), "bars": bars}
        if command == 0x051d:
            points = market.minute_points(values["market"], values["code"])
            return wire.encode_minutes(points, bytes(2)), {"count": len(points), "head_hex": "0000",
                                                           "points": points}
        if command == 0x0fb4:
            points = market.minute_points(values["market"], values["code"], values["date"])
            return wire.encode_minutes(points, bytes(4)), {"count": len(points), "head_hex": "00000000",
                                                           "points": points}
        if command == 0x0fc5:
            ticks = market.transactions(values["market"], values["code"], values["start"], values["count"])
            return wire.encode_transactions(ticks), {"count": len(ticks), "ticks": ticks}
        if command == 0x02c5:
            body = file_meta_body(values["file_name"])
            return body, wire.decode_file_meta(body)
        return self.extended_body(command, values)

    def extended_body(self, command, values):
        """Replies of the extended market (flag 0x01 requests)."""
        if command == 0x2454:
            return ex_setup_body(), None
        if command == 0x23f4:
            return wire.encode_ex_markets(market.EX_MARKETS), {"count": len(market.EX_MARKETS),
                                                               "markets": market.EX_MARKETS}
        if command == 0x23f0:
            return wire.encode_ex_count(len(market.EX_INSTRUMENTS)), {"count": len(market.EX_INSTRUMENTS),
                                                                     "tag": "TDX_DS"}
        if command == 0x23f5:
            items = market.ex_instruments(values["start"], values["count"])
            return wire.encode_ex_instruments(values["start"], items), {"start": values["start"], "count": len(items),
                                                                        "instruments": items}
        if command == 0x23fa:
            self.quote_serial += 1
            quote = market.ex_quote(values["market"], values["code"], self.quote_serial)
            return wire.encode_ex_quote(quote), quote
        return struct.pack("<H", 0), None

    def quotes(self, values):
        self.quote_serial += 1
        stocks = [market.quote(m, code, self.quote_serial) for m, code in values["codes"]]
        return wire.encode_quotes(stocks), {"prefix_hex": "b1cb", "count": len(stocks), "stocks": stocks}


def as_json(values):
    """VALUES as the truth file will hold them (tuples as lists)."""
    return json.loads(json.dumps(values))


# ---------------------------------------------------------------------------------------------
# The server


class Server:
    """A listening socket on 127.0.0.1 and its sessions."""

    def __init__(self, recorder, port=0):
        self.recorder = recorder
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.sessions = []
        self.stopping = False
        threading.Thread(target=self.accept_loop, daemon=True, name="tdx-accept").start()

    def accept_loop(self):
        while not self.stopping:
            try:
                sock, peer = self.listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = Session(self, sock, peer)
            self.sessions.append(session)
            threading.Thread(target=session.run, daemon=True, name=f"tdx-{peer[1]}").start()

    def stop(self):
        self.stopping = True
        self.listener.close()
        for session in self.sessions:
            try:
                session.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=7709)
    args = parser.parse_args()
    server = Server(Recorder(), args.port)
    print(f"serving on {HOST}:{server.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
