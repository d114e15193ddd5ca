#!/usr/bin/env python3
"""Drives the real pytdx client (PyPI pytdx: TdxHq_API, and TdxTradeApi for the HTTP wrapper)
against the simulated servers of tdx_server.py and tdx_trade_http.py.

    tdx_scenario.py probe PORT
    tdx_scenario.py list
    tdx_scenario.py run SCENARIO --port P --truth FILE

`run` starts the simulated server in this process on 127.0.0.1:P, plays one scenario and writes
the raw ground truth: every frame (or HTTP message) of every connection in both directions as
the server received or sent it, with its stream offset, header fields and decoded values, the
simulated client each connection belongs to and the address tdx_pcap.py gives it. Each pytdx
call's result is compared with the values the server encoded (pytdx's own parsers are the check);
a difference stops the run. Exit status 3: the port is taken; 1: the scenario failed.

The "official-handmade" scenario is not pytdx: a small client written here sends frames built
from the notes (the official client's 0x000b login, a broker-branded 0x02c5 configuration
download, the 0x0004 heartbeat); nothing of it was observed from a real official client.
Scenarios are described in SCENARIOS at the end of this file.
"""
import argparse
import collections
import hashlib
import os
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tdx_market as market  # noqa: E402
import tdx_server  # noqa: E402
import tdx_trade_http  # noqa: E402
import tdx_wire as wire  # noqa: E402

SERVER_IP = "10.30.0.1"
QUOTE_PORT = 7709          # the standard quote port; tdx_pcap.py gives it to the server
EX_QUOTE_PORT = 7727       # the extended-market port
HTTP_PORT = 10092          # TdxTradeServer's listening port in its README
HTTP_KEY = bytes.fromhex("54617053656e7472792d546573744b31")   # "TapSentry-TestK1", fictional
HTTP_IV = bytes.fromhex("30313233343536373839616263646566")    # "0123456789abcdef", fictional


class ScenarioError(Exception):
    pass


def load_pytdx():
    try:
        from pytdx.hq import TdxHq_API
        from pytdx.exhq import TdxExHq_API
        from pytdx.trade.trade import TdxTradeApi
        from pytdx.helper import get_volume
    except ImportError as error:
        raise SystemExit(f"cannot import pytdx ({error}); pip install pytdx requests cryptography")
    return TdxHq_API, TdxExHq_API, TdxTradeApi, get_volume


TdxHq_API, TdxExHq_API, TdxTradeApi, get_volume = load_pytdx()


# ---------------------------------------------------------------------------------------------
# A run: server, clients, addresses


class Run:
    def __init__(self, kind, port, transport=None):
        self.kind = kind
        self.recorder = tdx_server.Recorder()
        try:
            if kind == "http":
                self.server = tdx_trade_http.TradeServer(self.recorder, transport, port)
            else:
                self.server = tdx_server.Server(self.recorder, port)
        except OSError as error:
            print(f"cannot listen on {port}: {error}", file=sys.stderr)
            sys.exit(3)
        self.transport = transport
        self.addresses = {}      # label -> client address after the rewrite
        self.labels = {}         # client port -> label
        self.notes = []
        self.float_mismatches = collections.Counter()
        self.float_examples = {}
        self.secrets = []

    def client(self, label, ip, port):
        self.addresses[label] = ip
        self.labels[port] = label

    def connection(self, port):
        """The recorded connection of client PORT (waits briefly for the accept)."""
        for _ in range(100):
            for record in self.recorder.connections:
                if record["client_port"] == port:
                    return record
            time.sleep(0.02)
        raise ScenarioError(f"the server recorded no connection from port {port}")

    def stop(self):
        time.sleep(0.5)
        self.server.stop()


# ---------------------------------------------------------------------------------------------
# Comparing pytdx's results with the values the server encoded


def expect(what, actual, wanted):
    if actual != wanted:
        raise ScenarioError(f"{what}: pytdx decoded {actual!r}, the server encoded {wanted!r}")


def expect_float(run, what, actual, wanted):
    """A float32 field. pytdx decodes them with helper.get_volume, which is IEEE float32 except
    for small values (its else-branch multiplies by 1/2**e for a negative e): such known misreads
    are counted in the notes instead of failing."""
    if actual == wanted:
        return
    bits = struct.unpack("<I", struct.pack("<f", wanted))[0]
    if actual == get_volume(bits):
        run.float_mismatches[what.split("[")[0]] += 1
        run.float_examples.setdefault(what.split("[")[0], f"{wanted!r} (0x{bits:08x}) read as {actual!r}")
        return
    raise ScenarioError(f"{what}: pytdx decoded {actual!r}, the server encoded float32 {wanted!r}")


def cents(value):
    return float(value) / 100


def check_security_list(run, result, values):
    expect("security list length", len(result), values["count"])
    for index, (got, meant) in enumerate(zip(result, values["records"])):
        for key in ("code", "volunit", "decimal_point", "name"):
            expect(f"security list [{index}].{key}", got[key], meant[key])
        expect_float(run, f"security_list.pre_close[{index}]", got["pre_close"], meant["pre_close"])


def check_quotes(run, result, values):
    expect("quotes count", len(result), values["count"])
    for got, meant in zip(result, values["stocks"]):
        where = f"quote {meant['market']}/{meant['code']}"
        for key, wanted in (("market", meant["market"]), ("code", meant["code"]), ("active1", meant["active1"]),
                            ("active2", meant["active2"]), ("vol", meant["vol"]), ("cur_vol", meant["cur_vol"]),
                            ("s_vol", meant["s_vol"]), ("b_vol", meant["b_vol"]),
                            ("reversed_bytes0", meant["server_time"]),
                            ("reversed_bytes1", meant["reserved_neg_price"]),
                            ("reversed_bytes2", meant["reserved2"]), ("reversed_bytes3", meant["reserved3"]),
                            ("reversed_bytes4", (meant["reserved4"],)),
                            ("reversed_bytes9", meant["speed"] / 100.0)):
            expect(f"{where} {key}", got[key], wanted)
        for key in ("price", "last_close", "open", "high", "low"):
            expect(f"{where} {key}", got[key], cents(meant[key]))
        for level in range(5):
            expect(f"{where} bid{level + 1}", got[f"bid{level + 1}"], cents(meant["bids"][level][0]))
            expect(f"{where} ask{level + 1}", got[f"ask{level + 1}"], cents(meant["asks"][level][0]))
            expect(f"{where} bid_vol{level + 1}", got[f"bid_vol{level + 1}"], meant["bids"][level][1])
            expect(f"{where} ask_vol{level + 1}", got[f"ask_vol{level + 1}"], meant["asks"][level][1])
        expect(f"{where} reserved5..8", [got[f"reversed_bytes{i}"] for i in range(5, 9)], meant["reserved5_8"])
        expect_float(run, f"quotes.amount[{meant['code']}]", got["amount"], meant["amount"])


def check_bars(run, result, values):
    expect("bars count", len(result), values["count"])
    for index, (got, meant) in enumerate(zip(result, values["bars"])):
        for key in ("open", "close", "high", "low"):
            expect(f"bar {index} {key}", got[key], float(meant[key]) / 1000)
        for key in ("year", "month", "day"):
            expect(f"bar {index} {key}", got[key], meant[key])
        if "hour" in meant:
            expect(f"bar {index} time", (got["hour"], got["minute"]), (meant["hour"], meant["minute"]))
        expect_float(run, f"bars.vol[{index}]", got["vol"], meant["vol"])
        expect_float(run, f"bars.amount[{index}]", got["amount"], meant["amount"])


def check_minutes(run, result, values):
    expect("minute points", len(result), values["count"])
    for index, (got, meant) in enumerate(zip(result, values["points"])):
        expect(f"minute {index}", (got["price"], got["vol"]), (cents(meant["price"]), meant["vol"]))


def check_transactions(run, result, values):
    expect("transactions", len(result), values["count"])
    for index, (got, meant) in enumerate(zip(result, values["ticks"])):
        expect(f"trade {index}", (got["time"], got["price"], got["vol"], got["num"], got["buyorsell"]),
               ("%02d:%02d" % (meant["hour"], meant["minute"]), cents(meant["price"]), meant["vol"], meant["num"],
                meant["buyorsell"]))


def check_file_meta(run, result, values):
    expect("file meta", (result["size"], result["hash_value"]), (values["size"], values["hash"].encode("ascii")))


# ---------------------------------------------------------------------------------------------
# Clients


class PytdxClient:
    """One TdxHq_API instance = one TCP connection; every call is checked against the server."""

    def __init__(self, run, label, ip, heartbeat=False):
        self.run = run
        self.label = label
        self.api = TdxHq_API(heartbeat=heartbeat, raise_exception=True)
        if not self.api.connect(tdx_server.HOST, run.server.port):
            raise ScenarioError(f"{label}: connect failed")
        self.port = self.api.client.getsockname()[1]
        run.client(label, ip, self.port)
        self.record = run.connection(self.port)

    def reply_values(self, command):
        """Values of the latest reply the server sent on this connection for COMMAND."""
        for frame in reversed(self.record["frames"]):
            if frame["direction"] == "to_client" and frame["command"] == f"0x{command:04x}":
                return frame["values"]
        raise ScenarioError(f"{self.label}: no reply 0x{command:04x} recorded")

    def count(self, market_id):
        result = self.api.get_security_count(market_id)
        expect(f"{self.label} count({market_id})", result, self.reply_values(0x044e)["count"])
        return result

    def security_list(self, market_id, start):
        result = self.api.get_security_list(market_id, start)
        check_security_list(self.run, result, self.reply_values(0x0450))
        return result

    def quotes(self, codes):
        check_quotes(self.run, self.api.get_security_quotes(list(codes)), self.reply_values(0x053e))

    def bars(self, category, market_id, code, start, count):
        check_bars(self.run, self.api.get_security_bars(category, market_id, code, start, count),
                   self.reply_values(0x052d))

    def minutes(self, market_id, code):
        check_minutes(self.run, self.api.get_minute_time_data(market_id, code), self.reply_values(0x051d))

    def history_minutes(self, market_id, code, date):
        check_minutes(self.run, self.api.get_history_minute_time_data(market_id, code, date),
                      self.reply_values(0x0fb4))

    def transactions(self, market_id, code, start, count):
        check_transactions(self.run, self.api.get_transaction_data(market_id, code, start, count),
                           self.reply_values(0x0fc5))

    def file_meta(self, name):
        check_file_meta(self.run, self.api.get_block_info_meta(name), self.reply_values(0x02c5))

    def close(self):
        self.api.disconnect()
        time.sleep(0.2)


class PytdxExClient(PytdxClient):
    """One TdxExHq_API instance (extended market: flag 0x01, float32 structures)."""

    def __init__(self, run, label, ip):
        self.run = run
        self.label = label
        self.api = TdxExHq_API(raise_exception=True)
        if not self.api.connect(tdx_server.HOST, run.server.port):
            raise ScenarioError(f"{label}: connect failed")
        self.port = self.api.client.getsockname()[1]
        run.client(label, ip, self.port)
        self.record = run.connection(self.port)

    def markets(self):
        result = self.api.get_markets()
        meant = self.reply_values(0x23f4)
        expect("ex markets", [dict(item) for item in result],
               [{"market": m["market"], "category": m["category"], "name": m["name"], "short_name": m["short_name"]}
                for m in meant["markets"]])

    def instrument_count(self):
        expect("ex instrument count", self.api.get_instrument_count(), self.reply_values(0x23f0)["count"])

    def instrument_info(self, start, count):
        result = self.api.get_instrument_info(start, count)
        expect("ex instruments", [dict(item) for item in result], self.reply_values(0x23f5)["instruments"])

    def instrument_quote(self, market_id, code):
        got = dict(self.api.get_instrument_quote(market_id, code)[0])
        meant = self.reply_values(0x23fa)
        for key in ("market", "code", "pre_close", "open", "high", "low", "price", "kaicang", "zongliang",
                    "xianliang", "neipan", "waipan", "chicang"):
            expect(f"ex quote {code} {key}", got[key], meant[key])
        for level in range(5):
            for side, prices, volumes in (("bid", "bids", "bid_vols"), ("ask", "asks", "ask_vols")):
                expect(f"ex quote {code} {side}{level + 1}", (got[f"{side}{level + 1}"], got[f"{side}_vol{level + 1}"]),
                       (meant[prices][level], meant[volumes][level]))


class HandClient:
    """A raw-socket client sending frames written by hand from the notes (not pytdx)."""

    def __init__(self, run, label, ip):
        self.run = run
        self.label = label
        self.sock = socket.create_connection((tdx_server.HOST, run.server.port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.port = self.sock.getsockname()[1]
        run.client(label, ip, self.port)
        self.reader = wire.ReplyReader()

    def exchange(self, frame):
        self.sock.sendall(frame)
        while True:
            replies = self.reader.feed(self.sock.recv(65536))
            if replies:
                return replies[0][1]

    def close(self):
        self.sock.close()
        time.sleep(0.2)


OFFICIAL_BLOCK = bytes.fromhex("27700357749933ae")


def official_login_frame():
    """The official client's 0x000b login as far as the notes give it: header 0c 01 18 7b 00 01
    1a 01 1a 01 0b 00 (len1 0x011a), the 8-byte block 27 70 03 57 74 99 33 ae eight times from
    frame offset 32; every other body byte is filler made here (sha256 of a label), not from
    any source."""
    body_length = 0x011a - 2
    filler = b"".join(hashlib.sha256(f"tapsentry-0x000b-filler-{i}".encode()).digest() for i in range(9))
    body = bytearray(filler[:body_length])
    body[20:84] = OFFICIAL_BLOCK * 8
    return wire.encode_request(0x0c, bytes.fromhex("01187b00"), 0x01, 0x000b, bytes(body))


def config_download_frame(name):
    """0x02c5 file meta request for NAME (40-byte NUL-padded name, the body pytdx's
    get_block_info_meta uses; the sequence id is invented)."""
    return wire.encode_request(0x0c, bytes.fromhex("02187c00"), 0x01, 0x02c5, name.encode("ascii").ljust(40, b"\0"))


def heartbeat_frame(serial):
    """0x0004 with an empty body (sequence id invented)."""
    return wire.encode_request(0x0c, bytes([0x10 + serial, 0x18, 0x7e, 0x00]), 0x01, 0x0004)


def quotes_frame(codes):
    """0x053e exactly as pytdx builds it (sequence 01 20 63 00, packet type 2)."""
    body = b"\x05\x00" + bytes(6) + struct.pack("<H", len(codes))
    body += b"".join(struct.pack("<B6s", m, code.encode("ascii")) for m, code in codes)
    return wire.encode_request(0x0c, bytes.fromhex("01206300"), 0x02, 0x053e, body)


class TradeClient:
    """pytdx's TdxTradeApi (requests.Session: one keep-alive connection per client)."""

    def __init__(self, run, label, ip, encrypted):
        self.run = run
        self.label = label
        endpoint = f"http://{tdx_server.HOST}:{run.server.port}/api"
        self.api = TdxTradeApi(endpoint, enc_key=HTTP_KEY, enc_iv=HTTP_IV) if encrypted else TdxTradeApi(endpoint)
        self.ip = ip

    def call(self, what, *args):
        """Calls the API; the first call opens the connection, whose port names the client."""
        before = len(self.run.recorder.connections)
        result = getattr(self.api, what)(*args)
        if len(self.run.recorder.connections) > before and self.label not in self.run.addresses:
            record = self.run.recorder.connections[-1]
            self.run.client(self.label, self.ip, record["client_port"])
        if not result.get("success"):
            raise ScenarioError(f"{self.label}: {what} failed: {result}")
        return result

    def close(self):
        self.api._session.close()
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------
# Scenarios

SZ_CODES = [(0, code) for code in ("000001", "000002", "000063", "000333", "000651", "000725", "000858",
                                   "002230", "002415", "002594", "300059", "300750", "300760")]
SH_CODES = [(1, code) for code in ("600000", "600036", "600276", "600519", "600900", "601012", "601318",
                                   "601398", "601857", "688981")]
INDEX_CODES = [(0, "399001"), (0, "399006"), (1, "000001"), (1, "000300"), (1, "510300")]


def listed(market_id, first, count):
    return [(market_id, record["code"]) for record in market.LISTS[market_id][first:first + count]]


def scenario_quotes_clients(run):
    """Three clients from three addresses, interleaved: set-up, counts, repeated quote batches."""
    one = PytdxClient(run, "desk-1", "10.30.1.11")
    two = PytdxClient(run, "desk-2", "10.30.1.12")
    three = PytdxClient(run, "screen-3", "10.30.2.21")
    one.count(0)
    one.count(1)
    batch_one = SZ_CODES + SH_CODES + INDEX_CODES + listed(0, 40, 2)          # 30 codes
    batch_three = listed(0, 100, 45) + listed(1, 200, 35)                    # 80 codes (pytdx's usual maximum)
    for round_number in range(5):
        one.quotes(batch_one)
        two.quotes([(0, "000001"), (1, "600519")])
        if round_number % 2 == 0:
            two.quotes(SH_CODES + [(1, "000001"), (1, "000300")])
        three.quotes(batch_three)
    for client in (one, two, three):
        client.close()
    return ("three pytdx clients at once: desk-1 (10.30.1.11) counts both markets, then 5 batches of 30 codes "
            "(Shenzhen, Shanghai, indices, an ETF; compressed replies); desk-2 (10.30.1.12) 5 batches of 2 codes "
            "(000001, 600519; plain replies) and 3 of 12 Shanghai codes; screen-3 (10.30.2.21) 5 batches of 80 "
            "codes (45 Shenzhen + 35 Shanghai); calls interleaved round by round; each connection opens with "
            "pytdx's three set-up frames")


def scenario_list_harvest(run):
    """The bulk-harvesting pattern: count, page through both lists, then quote every code."""
    harvester = PytdxClient(run, "harvester", "10.30.9.99")
    everything = []
    for market_id in (0, 1):
        total = harvester.count(market_id)
        for start in range(0, total, tdx_server.PAGE):
            records = harvester.security_list(market_id, start)
            everything += [(market_id, record["code"]) for record in records]
    batches = 0
    for first in range(0, len(everything), 80):
        harvester.quotes(everything[first:first + 80])
        batches += 1
    harvester.close()
    sizes = ", ".join(f"market {m}: {len(market.LISTS[m])}" for m in (0, 1))
    return (f"one pytdx client harvester (10.30.9.99): security count and the whole security list page by page "
            f"({sizes} securities, 1000 per page: starts 0 and 1000 in each market), then quotes for every listed "
            f"code in {batches} batches of up to 80 codes (compressed replies)")


def scenario_bars_minute(run):
    """Bars, minute data, history minute data, trades and a block-file meta request."""
    analyst = PytdxClient(run, "analyst", "10.30.3.31")
    analyst.bars(9, 0, "000001", 0, 30)
    analyst.bars(0, 1, "600519", 0, 48)
    analyst.minutes(1, "600519")
    analyst.minutes(0, "000001")
    analyst.history_minutes(0, "000001", 20251120)
    analyst.transactions(0, "000001", 0, 30)
    analyst.file_meta("block_zs.dat")
    second = PytdxClient(run, "backtest", "10.30.3.32")
    second.bars(9, 0, "300750", 0, 120)
    second.bars(9, 0, "300750", 120, 120)
    second.minutes(0, "300750")
    analyst.close()
    second.close()
    return ("analyst (10.30.3.31): daily bars (category 9) of 000001, 48 five-minute bars (category 0, packed dates) "
            "of 600519, today's minute data of 600519 and 000001, history minute data of 000001 for 20251120, 30 "
            "trades of 000001, file meta of block_zs.dat (0x02c5); backtest (10.30.3.32): two pages of 120 daily "
            "bars of 300750 and its minute data")


def scenario_heartbeat(run):
    """pytdx's heartbeat thread (heartbeat=True, 10 s) during an idle pause."""
    watcher = PytdxClient(run, "watcher", "10.30.4.41", heartbeat=True)
    watcher.quotes(SZ_CODES[:6])
    time.sleep(34)
    watcher.quotes(SZ_CODES[:6])
    watcher.close()
    beats = sum(1 for frame in watcher.record["frames"]
                if frame["direction"] == "to_server" and frame["command"] == "0x044e")
    if beats < 2:
        raise ScenarioError(f"watcher: only {beats} heartbeats in 34 s")
    run.notes.append(f"{beats} heartbeats: pytdx's HqHeartBeatThread calls do_heartbeat() = get_security_count("
                     "random market 0 or 1) when 10 s passed without a call; the market differs between recordings")
    return ("watcher (10.30.4.41, TdxHq_API(heartbeat=True), default 10 s interval): set-up, a quote batch of 6 codes, "
            f"34 s idle with {beats} heartbeats (0x044e security count of a random market), a second batch, close")


def scenario_extended(run):
    """pytdx's extended-market client: the 0x2454 set-up, markets, instruments, quotes."""
    futures = PytdxExClient(run, "futures-desk", "10.30.7.71")
    futures.markets()
    futures.instrument_count()
    futures.instrument_info(0, 100)
    for round_number in range(3):
        for item in market.EX_INSTRUMENTS[:6]:
            futures.instrument_quote(item["market"], item["code"])
    futures.close()
    return ("futures-desk (10.30.7.71, TdxExHq_API): the one-frame extended-market set-up (0x2454, flag 0x01), "
            "markets (0x23f4), instrument count (0x23f0), instrument info start 0 count 100 (0x23f5, 8 instruments "
            "returned), then 3 rounds of single quotes (0x23fa, float32 prices) for IF2512, IC2512, RB2601, AU2602, "
            "M2605, SR601")


def scenario_official_handmade(run):
    """Hand-made frames from the notes: 0x000b login, broker config download, heartbeats, quotes."""
    client = HandClient(run, "official-ui", "10.30.5.51")
    client.exchange(official_login_frame())
    client.exchange(config_download_frame("customcfg_hrzqv6.zip"))
    client.exchange(heartbeat_frame(0))
    client.exchange(quotes_frame(SH_CODES[:3]))
    client.exchange(heartbeat_frame(1))
    client.close()
    run.notes.append("HAND-MADE, not observed: the client is tdx_scenario.py's HandClient. Known from the notes: the "
                     "0x000b header bytes and the 8-byte block repeated 8 times from frame offset 32 (nDPI); the "
                     "file name customcfg_hrzqv6.zip (nDPI huarong.c); 0x0004 as heartbeat. Invented: the other "
                     "0x000b body bytes (sha256 filler), all sequence ids but 0x000b's, and the server's replies to "
                     "0x000b and 0x0004")
    return ("hand-made official-client-like session from official-ui (10.30.5.51), no pytdx set-up frames: 0x000b "
            "login (292-byte frame, block 27 70 03 57 74 99 33 ae x8 from offset 32), 0x02c5 file meta for the "
            "broker-branded customcfg_hrzqv6.zip, 0x0004 heartbeat, one 0x053e batch of 3 Shanghai codes, 0x0004")


def scenario_trade_http(run):
    """pytdx's TdxTradeApi against the fake TdxTradeServer, plain JSON."""
    quant = TradeClient(run, "quant-box", "10.30.6.61", encrypted=False)
    quant.call("ping")
    logon = quant.call("logon", "10.30.100.8", 7708, "6.40", 9, "880012345678", "880012345678", "Jy-Pass-4321", "Tx-7788")
    client_id = logon["data"]["client_id"]
    quant.call("query_data", client_id, 0)
    quant.call("query_data", client_id, 1)
    quant.call("get_quote", client_id, "600519")
    order = quant.call("send_order", client_id, 0, 0, "A123456789", "600519", 1450.5, 100)
    quant.call("cancel_order", client_id, 1, order["data"][0]["委托编号"])
    second = TradeClient(run, "relay-box", "10.30.6.62", encrypted=False)
    logon2 = second.call("logon", "10.30.100.9", 7708, "8.23", 21, "660098765432", "660098765432", "Relay#Pw-1", "")
    second.call("query_data", logon2["data"]["client_id"], 1)
    second.call("logoff", logon2["data"]["client_id"])
    quant.call("logoff", client_id)
    quant.close()
    second.close()
    run.secrets += ["Jy-Pass-4321", "Tx-7788", "Relay#Pw-1"]
    return ("TdxTradeServer HTTP wrapper, plain JSON: quant-box (10.30.6.61) POST /api ping, logon (broker 10.30.100.8:7708, "
            "version 6.40, yyb_id 9, account 880012345678, passwords in clear), query_data 0 (funds) and 1 (holdings), "
            "get_quote 600519, send_order, cancel_order, logoff; relay-box (10.30.6.62) logon for account "
            "660098765432 (version 8.23), query_data 1, logoff; one keep-alive connection per client")


def scenario_trade_http_aes(run):
    """The same wrapper with pytdx's optional AES-128-CBC transport encryption."""
    quant = TradeClient(run, "quant-box", "10.30.6.61", encrypted=True)
    quant.call("ping")
    logon = quant.call("logon", "10.30.100.8", 7708, "6.40", 9, "880012345678", "880012345678", "Jy-Pass-4321", "Tx-7788")
    client_id = logon["data"]["client_id"]
    quant.call("query_data", client_id, 0)
    quant.call("send_order", client_id, 1, 0, "0123456789", "000001", 11.6, 500)
    quant.call("logoff", client_id)
    quant.close()
    run.secrets += ["Jy-Pass-4321", "Tx-7788"]
    return ("TdxTradeServer HTTP wrapper with transport encryption (AES-128-CBC, zero padding, base64 with line "
            "breaks, URL-encoded; bodies are not JSON on the wire): quant-box (10.30.6.61) ping, logon, query_data 0, "
            "send_order, logoff")


SCENARIOS = {
    # name: (function, server kind, encrypted HTTP transport)
    "quotes-clients": (scenario_quotes_clients, "quote", False),
    "list-harvest": (scenario_list_harvest, "quote", False),
    "bars-minute": (scenario_bars_minute, "quote", False),
    "heartbeat": (scenario_heartbeat, "quote", False),
    "extended": (scenario_extended, "exquote", False),
    "official-handmade": (scenario_official_handmade, "quote", False),
    "trade-http": (scenario_trade_http, "http", False),
    "trade-http-aes": (scenario_trade_http_aes, "http", True),
}


# ---------------------------------------------------------------------------------------------
# Truth


def pytdx_version():
    from importlib.metadata import version
    return f"pytdx {version('pytdx')}"


def frame_key(frame):
    return frame.get("command_name") or frame.get("command") or frame.get("func") or "http_response"


FULL_QUOTE_REPLIES = 3     # per connection; later quote replies are abridged in the truth


def compact_frames(frames):
    """The frames of one connection as written: record lists as rows, quote replies after the
    first FULL_QUOTE_REPLIES abridged to market, code, price, last close, volume and amount."""
    written = []
    quote_replies = 0
    for frame in frames:
        abridged = False
        if frame["direction"] == "to_client" and frame.get("command") == "0x053e":
            quote_replies += 1
            abridged = quote_replies > FULL_QUOTE_REPLIES
        written.append(wire.compact_frame(frame, abridged))
    return written


def client_of(run, name):
    if name == "official-handmade":
        return "none: frames written by hand from the notes (tdx_scenario.py HandClient), no pytdx"
    return pytdx_version() + {"http": " (TdxTradeApi)", "exquote": " (TdxExHq_API)"}.get(run.kind, " (TdxHq_API)")


def truth_of(run, name, description):
    counts = {"to_server": collections.Counter(), "to_client": collections.Counter()}
    connections = []
    server_port = {"http": HTTP_PORT, "exquote": EX_QUOTE_PORT}.get(run.kind, QUOTE_PORT)
    for record in run.recorder.connections:
        label = run.labels.get(record["client_port"])
        if label is None:
            raise ScenarioError(f"connection from port {record['client_port']} belongs to no client")
        for frame in record["frames"]:
            counts[frame["direction"]][frame_key(frame)] += 1
        connections.append(dict(record, label=label, client_ip=run.addresses[label], server_ip=SERVER_IP,
                                wire_server_port=server_port,
                                frames=compact_frames(record["frames"])))
    if run.float_mismatches:
        examples = "; ".join(f"{field}: {count} (e.g. {run.float_examples[field]})"
                             for field, count in sorted(run.float_mismatches.items()))
        run.notes.append("float32 fields pytdx misreads (helper.get_volume differs from IEEE float32 for small "
                         f"values; the wire carries IEEE float32): {examples}")
    legend = ("connections in accept order; frames per connection in the order the server received (to_server) or "
              "sent (to_client) them; offset = byte offset in that direction's TCP stream; sequence = the 4 bytes "
              "after the flag as hex (sequence_u32 little-endian); header_hex = the 12-byte request or 16-byte "
              "reply header; values: decoded body (prices as integers in wire units: quotes, minute data and trades "
              "1/100 CNY, bars 1/1000 CNY, all absolute after applying the deltas; float32 fields as their exact "
              "value; names GBK -> UTF-8); a reply's values are from the inflated body; lists of records are rows in "
              "the order of columns (bars: hour and minute null for u32-dated categories); quote replies after the first "
              f"{FULL_QUOTE_REPLIES} of a connection are abridged (\"abridged\": true) to the columns {', '.join(wire.ABRIDGED_STOCK_COLUMNS)}")
    if run.kind == "http":
        legend = ("connections in accept order; HTTP messages per connection in order; offset = byte offset in that "
                  "direction's TCP stream; params/json decrypted when encrypted; jy_password and tx_password "
                  "values replaced by <redacted> (their clear values are in secrets: never to be output)")
    truth = {
        "scenario": name,
        "description": description,
        "client": client_of(run, name),
        "trading_day": "%04d%02d%02d" % market.TRADING_DAY,
        "notes": run.notes,
        "secrets": run.secrets,
        "addresses": {"server": f"{SERVER_IP}:{server_port}", "clients": run.addresses},
        "legend": legend,
        "counts": {direction: dict(sorted(counter.items())) for direction, counter in counts.items()},
        "connections": connections,
    }
    if run.transport is not None and run.transport.encrypted:
        truth = dict(list(truth.items())[:-1], http_transport={
            "cipher": "AES-128-CBC, zero padding, base64 (MIME lines), URL-encoded; fictional key and IV "
                      "(TdxTradeServer keeps them in its ini file)",
            "key": run.transport.key.hex(), "iv": run.transport.iv.hex()}, connections=connections)
    return truth


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    probe = commands.add_parser("probe", help="exit 0 when PORT is free on 127.0.0.1, 3 if not")
    probe.add_argument("port", type=int)
    commands.add_parser("list")
    run = commands.add_parser("run")
    run.add_argument("scenario", choices=sorted(SCENARIOS))
    run.add_argument("--port", type=int, required=True)
    run.add_argument("--truth", required=True)
    args = parser.parse_args()
    if args.command == "list":
        print("\n".join(SCENARIOS))
        return
    if args.command == "probe":
        with socket.socket() as sock:
            try:
                sock.bind((tdx_server.HOST, args.port))
            except OSError:
                sys.exit(3)
        return
    function, kind, encrypted = SCENARIOS[args.scenario]
    transport = tdx_trade_http.Transport(HTTP_KEY, HTTP_IV) if encrypted else tdx_trade_http.Transport()
    state = Run(kind, args.port, transport)
    try:
        description = function(state)
        state.stop()
        truth = truth_of(state, args.scenario, description)
    except Exception as error:   # pytdx raises its own TdxFunctionCallError; any failure ends the run
        print(f"{args.scenario}: {type(error).__name__}: {error}", file=sys.stderr)
        state.stop()
        sys.exit(1)
    wire.write_truth(truth, args.truth)
    frames = sum(len(connection["frames"]) for connection in truth["connections"])
    print(f"{args.scenario}: {len(truth['connections'])} connection(s), {frames} frames")


if __name__ == "__main__":
    main()
