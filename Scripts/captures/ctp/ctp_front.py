#!/usr/bin/env python3
"""A simulated CTP front (trader and market data) for the real SFIT client library.

    ctp_front.py [--handshake-dir DIR] [--trader-port P] [--md-port P] [--app-type APPID=TYPE ...]

Speaks FTD / CRP / FTDC (ftdc.py) on 127.0.0.1, one thread per connection, and answers:

  link      the client's heartbeat-timeout announcement (ext tag 0x07) with its own (39 s);
            keep-alives (ext tag 0x05) with a keep-alive; with idle_heartbeat=S it also sends a
            keep-alive after S seconds without sending anything
  0x3025    ReqApiHandshake -> the captured RspApiHandshake (0x3026) from DIR/rsp-api-handshake.bin,
            re-sent uncompressed (CRP method 0): its 128 bytes of key material then sit raw in the
            frame, so a capture can have them zeroed without changing any length (ctp_pcap.py)
  0x3027    ReqVerifyApiKey -> the captured 0x3028 (DIR/rsp-verify-api-key.bin), as captured
  0x3010    ReqAuthenticate (AuthenticationInfo 0x1012) -> 0x3011 RspInfo + AuthenticationInfo 0x1012
            with IsResult 1 and the AppType configured for the AppID ('1' direct unless told
            otherwise). The library ignores a RspAuthenticate field 0x1011 (OnRspAuthenticate gets no
            field) and answers IsResult 0 with a new 0x3010 whose AuthInfo holds 128 bytes derived
            from the challenge. With challenge=True the front first sends such a challenge
            (IsResult 0, 128 bytes of AuthInfo) and gives the result on the answer.
  0x3000    ReqUserLogin -> 0x3001 RspInfo + RspUserLogin 0x1003 (trading day, front id, session id)
  0x3002    ReqUserLogout -> 0x3003 RspInfo + UserLogout 0x1004
  0x4000    ReqOrderInsert -> RtnOrder 0xF001 (Order 0x0401: submitted, then queued); an order whose
            limit price crosses the instrument's reference price is filled: RtnTrade 0xF002
            (Trade 0x0409) and RtnOrder 'all traded'. An unknown instrument is refused with
            RspOrderInsert 0x4001 (RspInfo error 16 + the InputOrder) and ErrRtnOrderInsert 0xF003
  0x4006    ReqOrderAction -> for a resting order: RtnOrder 'cancelled'; otherwise RspOrderAction
            0x4007 (RspInfo error 26 + the InputOrderAction) and ErrRtnOrderAction 0xF004
  0x4401    SubscribeMarketData -> one RspSubMarketData 0x4402 (RspInfo + SpecificInstrument 0x2441)
            per instrument, then a stream of RtnDepthMarketData 0xF101 (DepthMarketData 0x0012,
            532 bytes) for each instrument
  0x4403    UnSubscribeMarketData -> 0x4404 per instrument; the stream for it stops
  0x3024    RegisterUserSystemInfo / SubmitUserSystemInfo (UserSystemInfo 0x4022): recorded, no reply
  other     recorded and not answered

Everything the front sends is zero-run compressed (CRP method 3) except the re-sent 0x3026. Every
frame in both directions is recorded (Recorder) with its stream offset, header and decoded fields,
which ctp_scenario.py writes as the capture's ground truth.
"""
import argparse
import hashlib
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass

import ftdc

HOST = "127.0.0.1"
DEFAULT_HANDSHAKE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "..", "..", "..", "..", "shared", "ctp"))
TRADING_DAY = "20251121"
DICTIONARY = ftdc.Dictionary()

TID = {
    "RspError": 0x0001,
    "ReqUserLogin": 0x3000, "RspUserLogin": 0x3001, "ReqUserLogout": 0x3002, "RspUserLogout": 0x3003,
    "ReqAuthenticate": 0x3010, "RspAuthenticate": 0x3011,
    "SubmitUserSystemInfo": 0x3024,   # also RegisterUserSystemInfo and the direct-mode report (FINDINGS.md)
    "ReqApiHandshake": 0x3025, "RspApiHandshake": 0x3026, "ReqVerifyApiKey": 0x3027, "RspVerifyApiKey": 0x3028,
    "ReqOrderInsert": 0x4000, "RspOrderInsert": 0x4001, "ReqOrderAction": 0x4006, "RspOrderAction": 0x4007,
    "SubscribeMarketData": 0x4401, "RspSubMarketData": 0x4402,
    "UnSubscribeMarketData": 0x4403, "RspUnSubMarketData": 0x4404,
    "RtnOrder": 0xF001, "RtnTrade": 0xF002, "ErrRtnOrderInsert": 0xF003, "ErrRtnOrderAction": 0xF004,
    "RtnDepthMarketData": 0xF101,
}
TID_NAMES = {value: name for name, value in TID.items()}
SERIES_DIALOG, SERIES_PRIVATE, SERIES_MARKET = 1, 2, 0


@dataclass
class InstrumentInfo:
    exchange: str
    reference: float     # the price the simulated market trades at
    tick: float
    upper: float
    lower: float
    depth: int           # price levels filled in market data (the others are DBL_MAX / 0)


INSTRUMENTS = {
    "rb2601": InstrumentInfo("SHFE", 3125.0, 1.0, 3375.0, 2875.0, 5),
    "au2602": InstrumentInfo("SHFE", 612.38, 0.02, 673.6, 551.14, 1),
    "IF2512": InstrumentInfo("CFFEX", 4518.2, 0.2, 4970.0, 4066.4, 5),
    "cu2601": InstrumentInfo("SHFE", 86420.0, 10.0, 93330.0, 79510.0, 1),
    "m2605": InstrumentInfo("DCE", 2861.0, 1.0, 3090.0, 2632.0, 5),
}
OK = (0, "CTP:No Error")
ERR_NO_INSTRUMENT = (16, "CTP:找不到合约")
ERR_NO_ORDER = (26, "CTP:报单已全成交或已撤销，不能再撤")


# ---------------------------------------------------------------------------------------------
# Recording


class Recorder:
    """Every frame of every connection of both fronts, in the order sent or received."""

    def __init__(self):
        self.lock = threading.Lock()
        self.connections = []
        self.pending_labels = {}   # front role -> label for its next accepted connection

    def open(self, role, port, peer):
        with self.lock:
            label = self.pending_labels.pop(role, None) or f"{role}-{len(self.connections)}"
            record = {"index": len(self.connections), "role": role, "label": label, "server_port": port,
                      "client_port": peer[1], "frames": []}
            self.connections.append(record)
            return record

    def frame(self, record, direction, offset, frame, package=None, note=None):
        entry = {"direction": direction, "offset": offset, "length": len(frame.raw), "ftd_type": frame.ftd_type,
                 "tlvs": [[tag, data.hex()] for tag, data in frame.tlvs], "time": round(time.time(), 6)}
        if frame.is_heartbeat:
            entry["kind"] = "heartbeat"
        elif frame.heartbeat_timeout is not None:
            entry["kind"] = "heartbeat_timeout"
            entry["heartbeat_timeout"] = frame.heartbeat_timeout
        if package is not None:
            entry.update(describe_package(package))
        if note:
            entry.update(note)
        with self.lock:
            record["frames"].append(entry)


def describe_package(package):
    """Header values and decoded fields of a package, for the truth file."""
    fields = []
    for fid, body in package.fields:
        layout, values = DICTIONARY.decode(fid, body)
        fields.append({"fid": f"0x{fid:04x}", "name": layout.name if layout else None, "length": len(body),
                       "values": values})
    return {"kind": "ftdc", "tid": f"0x{package.tid:04x}", "tid_name": TID_NAMES.get(package.tid),
            "version": f"0x{package.version:02x}", "chain": package.chain, "series": package.series,
            "sequence": package.sequence, "request_id": package.request_id, "crp_method": package.method,
            "field_count": package.field_count, "content_length": package.content_length, "fields": fields}


# ---------------------------------------------------------------------------------------------
# One client connection


class Session:
    """A client connection: reads frames, answers them, records both directions."""

    def __init__(self, front, sock, peer):
        self.front = front
        self.sock = sock
        self.record = front.recorder.open(front.role, front.port, peer)
        self.reader = ftdc.FrameReader()
        self.sent = 0                   # bytes sent so far (stream offset of the next frame)
        self.send_lock = threading.RLock()   # held across numbering and sending
        self.sequences = {}             # series -> last sequence number used
        self.user = {}                  # BrokerID, UserID, UserProductInfo, AppID after authenticate/login
        self.session_id = 0
        self.orders = {}                # OrderRef -> Order values of a resting order
        self.subscribed = []
        self.challenged = False
        self.last_send = time.monotonic()
        self.closed = threading.Event()

    # sending ------------------------------------------------------------------------------

    def send_raw(self, frame_bytes, package=None, note=None):
        with self.send_lock:
            if self.closed.is_set():
                return
            frame = ftdc.FrameReader().feed(frame_bytes)[0][1]
            self.front.recorder.frame(self.record, "to_client", self.sent, frame, package, note)
            try:
                self.sock.sendall(frame_bytes)
            except OSError:
                self.closed.set()
                return
            self.sent += len(frame_bytes)
            self.last_send = time.monotonic()

    def keep_alive(self, idle):
        """Sends a keep-alive whenever nothing was sent for IDLE seconds (real fronts: about 53 s)."""
        while not self.closed.wait(0.25):
            if time.monotonic() - self.last_send >= idle:
                self.send_raw(ftdc.heartbeat_frame())

    def send(self, tid, fields, series=SERIES_DIALOG, request_id=0):
        """Encodes FIELDS [(struct name, values)] as one compressed package and sends it."""
        encoded = [DICTIONARY.encode(name, values) for name, values in fields]
        with self.send_lock:
            sequence = self.sequences.get(series, 0) + 1
            self.sequences[series] = sequence
            package = ftdc.Package(tid, series, sequence, request_id, encoded)
            package.field_count, package.content_length = len(encoded), sum(4 + len(body) for _, body in encoded)
            self.send_raw(package.encode(), package)

    def rsp_info(self, error=OK):
        return ("RspInfo", {"ErrorID": error[0], "ErrorMsg": error[1]})

    # receiving ----------------------------------------------------------------------------

    def run(self):
        try:
            while not self.closed.is_set():
                data = self.sock.recv(65536)
                if not data:
                    break
                for offset, frame in self.reader.feed(data):
                    self.handle(offset, frame)
        except OSError:
            pass
        finally:
            self.closed.set()
            try:
                self.sock.close()
            except OSError:
                pass

    def handle(self, offset, frame):
        if frame.ftd_type != ftdc.FTD_COMPRESSED:
            self.front.recorder.frame(self.record, "to_server", offset, frame)
            if frame.is_heartbeat:
                self.send_raw(ftdc.heartbeat_frame())
            elif frame.heartbeat_timeout is not None:
                self.send_raw(ftdc.heartbeat_timeout_frame(39))
            return
        try:
            package = ftdc.decode_package(frame)
        except ValueError as error:
            self.front.recorder.frame(self.record, "to_server", offset, frame, note={"error": str(error)})
            return
        self.front.recorder.frame(self.record, "to_server", offset, frame, package)
        handler = HANDLERS.get(package.tid)
        if handler:
            values = {}
            for fid, body in package.fields:
                layout, decoded = DICTIONARY.decode(fid, body)
                if layout:
                    values.setdefault(layout.name, []).append(decoded)
            handler(self, package, values)

    # handlers -----------------------------------------------------------------------------

    def on_api_handshake(self, package, values):
        self.send_raw(self.front.handshake_reply, ftdc.decode_package(ftdc.FrameReader().feed(
            self.front.handshake_reply)[0][1]), note={"key_material": self.front.key_location})

    def on_verify_api_key(self, package, values):
        raw = self.front.verify_reply
        self.send_raw(raw, ftdc.decode_package(ftdc.FrameReader().feed(raw)[0][1]))

    def on_authenticate(self, package, values):
        info = values.get("AuthenticationInfo", [{}])[0]
        app_id = info.get("AppID", "")
        self.user.update(BrokerID=info.get("BrokerID", ""), UserID=info.get("UserID", ""),
                         UserProductInfo=info.get("UserProductInfo", ""), AppID=app_id)
        reply = {"BrokerID": self.user["BrokerID"], "UserID": self.user["UserID"],
                 "UserProductInfo": self.user["UserProductInfo"], "AppID": app_id,
                 "AppType": self.front.app_types.get(app_id, "1"), "IsResult": 1}
        if self.front.challenge and not self.challenged:
            self.challenged = True
            seed = f"challenge:{self.record['index']}".encode()
            blob = b"".join(hashlib.sha256(seed + bytes([block])).digest() for block in range(4))
            reply.update(IsResult=0, AuthInfo=blob, AppType="")
        self.send(TID["RspAuthenticate"], [self.rsp_info(), ("AuthenticationInfo", reply)],
                  series=package.series, request_id=package.request_id)

    def on_login(self, package, values):
        login = values.get("ReqUserLogin", [{}])[0]
        self.user.update(BrokerID=login.get("BrokerID", ""), UserID=login.get("UserID", ""))
        self.session_id = self.front.next_session_id()
        now = time.strftime("%H:%M:%S")
        reply = {"TradingDay": TRADING_DAY, "LoginTime": now, "BrokerID": self.user["BrokerID"],
                 "UserID": self.user["UserID"], "SystemName": "TapSentry simulated front",
                 "FrontID": self.front.front_id, "SessionID": self.session_id, "MaxOrderRef": "100",
                 "SHFETime": now, "DCETime": now, "CZCETime": now, "FFEXTime": now, "INETime": now,
                 "GFEXTime": now, "SysVersion": "v6.7.11 simulated", "LastLoginTime": f"{TRADING_DAY} 08:55:02"}
        self.send(TID["RspUserLogin"], [self.rsp_info(), ("RspUserLogin", reply)],
                  series=package.series, request_id=package.request_id)

    def on_logout(self, package, values):
        logout = values.get("UserLogout", [{}])[0]
        self.subscribed.clear()
        self.send(TID["RspUserLogout"], [self.rsp_info(), ("UserLogout", {"BrokerID": logout.get("BrokerID", ""),
                                                                           "UserID": logout.get("UserID", "")})],
                  series=package.series, request_id=package.request_id)

    def on_order_insert(self, package, values):
        order = values.get("InputOrder", [{}])[0]
        instrument = INSTRUMENTS.get(order.get("InstrumentID"))
        if instrument is None:
            echo = ("InputOrder", input_order_echo(order))
            self.send(TID["RspOrderInsert"], [self.rsp_info(ERR_NO_INSTRUMENT), echo],
                      series=package.series, request_id=package.request_id)
            self.send(TID["ErrRtnOrderInsert"], [echo, self.rsp_info(ERR_NO_INSTRUMENT)], series=SERIES_PRIVATE)
            return
        state = self.front.new_order(self, order, instrument)
        self.send(TID["RtnOrder"], [("Order", dict(state, OrderStatus="a", OrderSubmitStatus="0",
                                                   StatusMsg="报单已提交"))], series=SERIES_PRIVATE)
        self.send(TID["RtnOrder"], [("Order", dict(state, OrderStatus="3", OrderSubmitStatus="3",
                                                   StatusMsg="未成交"))], series=SERIES_PRIVATE)
        buy = order.get("Direction") == "0"
        crosses = order["LimitPrice"] >= instrument.reference if buy else order["LimitPrice"] <= instrument.reference
        if not crosses:
            self.orders[order.get("OrderRef")] = state
            return
        trade = self.front.new_trade(state, instrument)
        self.send(TID["RtnTrade"], [("Trade", trade)], series=SERIES_PRIVATE)
        done = dict(state, OrderStatus="0", OrderSubmitStatus="3", StatusMsg="全部成交",
                    VolumeTraded=state["VolumeTotalOriginal"], VolumeTotal=0, UpdateTime=trade["TradeTime"])
        self.send(TID["RtnOrder"], [("Order", done)], series=SERIES_PRIVATE)

    def on_order_action(self, package, values):
        action = values.get("InputOrderAction", [{}])[0]
        state = self.orders.pop(action.get("OrderRef"), None)
        if state is None or action.get("ActionFlag") != "0":
            echo = ("InputOrderAction", {key: action[key] for key in (
                "BrokerID", "InvestorID", "OrderActionRef", "OrderRef", "RequestID", "FrontID", "SessionID",
                "ExchangeID", "OrderSysID", "ActionFlag", "UserID", "InstrumentID") if key in action})
            self.send(TID["RspOrderAction"], [self.rsp_info(ERR_NO_ORDER), echo],
                      series=package.series, request_id=package.request_id)
            failed = {key: action[key] for key in ("BrokerID", "InvestorID", "OrderActionRef", "OrderRef", "RequestID",
                                                   "FrontID", "SessionID", "ExchangeID", "ActionFlag", "UserID",
                                                   "InstrumentID") if key in action}
            failed.update(ActionDate=TRADING_DAY, ActionTime=time.strftime("%H:%M:%S"), OrderActionStatus="c",
                          StatusMsg=ERR_NO_ORDER[1], OldInstrumentID=action.get("InstrumentID", "")[:30])
            self.send(TID["ErrRtnOrderAction"], [("OrderAction", failed), self.rsp_info(ERR_NO_ORDER)],
                      series=SERIES_PRIVATE)
            return
        now = time.strftime("%H:%M:%S")
        self.send(TID["RtnOrder"], [("Order", dict(state, OrderStatus="5", OrderSubmitStatus="1", StatusMsg="已撤单",
                                                   CancelTime=now, UpdateTime=now, VolumeTotal=0,
                                                   ActiveUserID=action.get("UserID", "")))],
                  series=SERIES_PRIVATE)

    def on_subscribe(self, package, values):
        for item in values.get("SpecificInstrument", []):
            name = item.get("InstrumentID") or item.get("OldInstrumentID", "")
            self.send(TID["RspSubMarketData"], [self.rsp_info(), ("SpecificInstrument",
                                                                  {"OldInstrumentID": name[:30], "InstrumentID": name})],
                      series=package.series, request_id=package.request_id)
            if name in INSTRUMENTS and name not in self.subscribed:
                self.subscribed.append(name)
        self.front.start_quotes(self)

    def on_unsubscribe(self, package, values):
        for item in values.get("SpecificInstrument", []):
            name = item.get("InstrumentID") or item.get("OldInstrumentID", "")
            if name in self.subscribed:
                self.subscribed.remove(name)
            self.send(TID["RspUnSubMarketData"], [self.rsp_info(), ("SpecificInstrument",
                                                                    {"OldInstrumentID": name[:30], "InstrumentID": name})],
                      series=package.series, request_id=package.request_id)


HANDLERS = {
    TID["ReqApiHandshake"]: Session.on_api_handshake,
    TID["ReqVerifyApiKey"]: Session.on_verify_api_key,
    TID["ReqAuthenticate"]: Session.on_authenticate,
    TID["ReqUserLogin"]: Session.on_login,
    TID["ReqUserLogout"]: Session.on_logout,
    TID["ReqOrderInsert"]: Session.on_order_insert,
    TID["ReqOrderAction"]: Session.on_order_action,
    TID["SubscribeMarketData"]: Session.on_subscribe,
    TID["UnSubscribeMarketData"]: Session.on_unsubscribe,
}


def input_order_echo(order):
    """The InputOrder members a front sends back with a refusal."""
    keep = ("BrokerID", "InvestorID", "OrderRef", "UserID", "OrderPriceType", "Direction", "CombOffsetFlag",
            "CombHedgeFlag", "LimitPrice", "VolumeTotalOriginal", "TimeCondition", "VolumeCondition", "MinVolume",
            "ContingentCondition", "ForceCloseReason", "RequestID", "ExchangeID", "InstrumentID")
    echo = {key: order[key] for key in keep if key in order and order[key] is not None}
    echo["OldInstrumentID"] = echo.get("InstrumentID", "")[:30]
    return echo


# ---------------------------------------------------------------------------------------------
# The front


class Front:
    """A listening socket for one role ("trader" or "md") and its sessions."""

    def __init__(self, role, recorder, handshake_dir, port=0, app_types=None, front_id=1, quotes_per_instrument=12,
                 quote_interval=0.05, challenge=False, idle_heartbeat=None):
        self.role = role
        self.recorder = recorder
        self.app_types = dict(app_types or {})
        self.front_id = front_id
        self.challenge = challenge
        self.idle_heartbeat = idle_heartbeat
        self.quotes_per_instrument = quotes_per_instrument
        self.quote_interval = quote_interval
        self.handshake_reply, self.key_location = uncompressed_handshake(
            read_frame(os.path.join(handshake_dir, "rsp-api-handshake.bin"), 0x3026))
        self.verify_reply = read_frame(os.path.join(handshake_dir, "rsp-verify-api-key.bin"), 0x3028)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.sessions = []
        self.counter_lock = threading.Lock()
        self.session_ids = 0x2B00 + 100 * front_id
        self.order_seq = 0
        self.trade_seq = 0
        self.stopping = False
        threading.Thread(target=self.accept_loop, daemon=True, name=f"{role}-accept").start()

    def accept_loop(self):
        while not self.stopping:
            try:
                sock, peer = self.listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = Session(self, sock, peer)
            self.sessions.append(session)
            threading.Thread(target=session.run, daemon=True, name=f"{self.role}-{peer[1]}").start()
            if self.idle_heartbeat:
                threading.Thread(target=session.keep_alive, args=(self.idle_heartbeat,), daemon=True).start()

    def stop(self):
        self.stopping = True
        self.listener.close()
        for session in self.sessions:
            session.closed.set()
            try:
                session.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def next_session_id(self):
        with self.counter_lock:
            self.session_ids += 1
            return self.session_ids

    def new_order(self, session, order, instrument):
        """The Order values of a newly accepted order."""
        with self.counter_lock:
            self.order_seq += 1
            number = self.order_seq
        now = time.strftime("%H:%M:%S")
        state = {key: order[key] for key in (
            "BrokerID", "InvestorID", "OrderRef", "UserID", "OrderPriceType", "Direction", "CombOffsetFlag",
            "CombHedgeFlag", "LimitPrice", "VolumeTotalOriginal", "TimeCondition", "VolumeCondition", "MinVolume",
            "ContingentCondition", "ForceCloseReason", "IsAutoSuspend", "RequestID", "UserForceClose",
            "IsSwapOrder", "InvestUnitID", "AccountID", "CurrencyID", "MacAddress", "InstrumentID", "IPAddress")
            if order.get(key) is not None}
        state.update(OldInstrumentID=order["InstrumentID"][:30], ExchangeID=instrument.exchange,
                     OrderLocalID=f"{number:12d}", ParticipantID="0099", ClientID=f"{9000000 + number:08d}",
                     ExchangeInstID=order["InstrumentID"], OldExchangeInstID=order["InstrumentID"][:30],
                     TraderID="0099ctp01", InstallID=1, TradingDay=TRADING_DAY, SettlementID=1,
                     OrderSysID=f"{700000 + number:12d}", OrderSource="0", OrderType="0", VolumeTraded=0,
                     VolumeTotal=order["VolumeTotalOriginal"], InsertDate=TRADING_DAY, InsertTime=now,
                     UpdateTime=now, SequenceNo=number, FrontID=self.front_id, SessionID=session.session_id,
                     UserProductInfo=session.user.get("UserProductInfo", ""), BrokerOrderSeq=number,
                     BranchID="01")
        return state

    def new_trade(self, state, instrument):
        """The Trade values filling order STATE completely at its limit price."""
        with self.counter_lock:
            self.trade_seq += 1
            number = self.trade_seq
        keep = ("BrokerID", "InvestorID", "OrderRef", "UserID", "ExchangeID", "Direction", "OrderSysID",
                "ParticipantID", "ClientID", "OrderLocalID", "TraderID", "BrokerOrderSeq", "InvestUnitID",
                "InstrumentID", "ExchangeInstID", "OldInstrumentID", "OldExchangeInstID", "TradingDay")
        trade = {key: state[key] for key in keep if key in state}
        trade.update(TradeID=f"{300000 + number:12d}", TradingRole="1", OffsetFlag=state["CombOffsetFlag"][:1],
                     HedgeFlag=state["CombHedgeFlag"][:1], Price=state["LimitPrice"],
                     Volume=state["VolumeTotalOriginal"], TradeDate=TRADING_DAY, TradeTime=time.strftime("%H:%M:%S"),
                     TradeType="0", PriceSource="0", SequenceNo=number, SettlementID=1, TradeSource="0")
        return trade

    def start_quotes(self, session):
        if getattr(session, "quote_thread", None) is None:
            session.quote_thread = threading.Thread(target=self.quote_loop, args=(session,), daemon=True)
            session.quote_thread.start()

    def quote_loop(self, session):
        """Pushes quotes_per_instrument quotes for each subscribed instrument, round robin."""
        sent = {}
        while not session.closed.is_set():
            pending = [name for name in list(session.subscribed) if sent.get(name, 0) < self.quotes_per_instrument]
            if not pending:
                if not session.subscribed:
                    session.quote_thread = None
                    return
                time.sleep(self.quote_interval)
                continue
            for name in pending:
                session.send(TID["RtnDepthMarketData"], [("DepthMarketData", quote(name, sent.get(name, 0)))],
                             series=SERIES_MARKET)
                sent[name] = sent.get(name, 0) + 1
            time.sleep(self.quote_interval)


def quote(name, index):
    """DepthMarketData values for the INDEX-th quote of an instrument (a small deterministic walk)."""
    info = INSTRUMENTS[name]
    step = ((index * 7) % 5 - 2) * info.tick
    last = round(info.reference + step, 6)
    volume = 1200 + 37 * index
    now = time.time()
    values = {"TradingDay": TRADING_DAY, "OldInstrumentID": name, "ExchangeID": info.exchange,
              "OldExchangeInstID": name, "LastPrice": last, "PreSettlementPrice": info.reference,
              "PreClosePrice": round(info.reference - info.tick, 6), "PreOpenInterest": 150000.0,
              "OpenPrice": round(info.reference - 2 * info.tick, 6), "HighestPrice": round(info.reference + 3 * info.tick, 6),
              "LowestPrice": round(info.reference - 4 * info.tick, 6), "Volume": volume,
              "Turnover": round(volume * last * 10, 2), "OpenInterest": 150000.0 + 3 * index,
              "ClosePrice": ftdc.DBL_MAX, "SettlementPrice": ftdc.DBL_MAX, "UpperLimitPrice": info.upper,
              "LowerLimitPrice": info.lower, "PreDelta": ftdc.DBL_MAX, "CurrDelta": ftdc.DBL_MAX,
              "UpdateTime": time.strftime("%H:%M:%S", time.localtime(now)), "UpdateMillisec": int(now * 1000) % 1000 // 500 * 500,
              "AveragePrice": round(last * 10, 4), "ActionDay": TRADING_DAY, "InstrumentID": name, "ExchangeInstID": name,
              "BandingUpperPrice": ftdc.DBL_MAX, "BandingLowerPrice": ftdc.DBL_MAX}
    for level in range(1, 6):
        if level <= info.depth:
            values[f"BidPrice{level}"] = round(last - level * info.tick, 6)
            values[f"BidVolume{level}"] = 10 * level + index % 7
            values[f"AskPrice{level}"] = round(last + level * info.tick, 6)
            values[f"AskVolume{level}"] = 8 * level + index % 5
        else:
            values[f"BidPrice{level}"] = ftdc.DBL_MAX
            values[f"AskPrice{level}"] = ftdc.DBL_MAX
    return values


# ---------------------------------------------------------------------------------------------
# The captured handshake replies


def read_frame(path, tid):
    """The single FTD frame in PATH; checks that it holds TID."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise SystemExit(f"cannot read the captured handshake reply {path}: {error.strerror} "
                         "(pass the folder with --handshake-dir)")
    frames = ftdc.FrameReader().feed(raw)
    if len(frames) != 1 or frames[0][1].raw != raw:
        raise SystemExit(f"{path}: not exactly one FTD frame")
    package = ftdc.decode_package(frames[0][1])
    if package.tid != tid:
        raise SystemExit(f"{path}: TID 0x{package.tid:04x}, expected 0x{tid:04x}")
    return raw


def uncompressed_handshake(raw):
    """The 0x3026 frame re-encoded with CRP method 0 (same FTDC header and fields), and where its
    key material sits: {"offset": offset in the frame, "length": FrontHandshakeDataLen}."""
    package = ftdc.decode_package(ftdc.FrameReader().feed(raw)[0][1])
    package.method = ftdc.METHOD_NONE
    frame = package.encode()
    offset = 4 + 2 + ftdc.FTDC_HEADER.size
    for fid, body in package.fields:
        if fid == 0x4033:
            length = struct.unpack(">i", body[:4])[0]
            if not 0 < length <= 301:
                raise SystemExit(f"RspApiHandshake: FrontHandshakeDataLen {length}")
            return frame, {"offset": offset + 4 + 4, "length": length}
        offset += 4 + len(body)
    raise SystemExit("the captured RspApiHandshake has no field 0x4033")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--handshake-dir", default=DEFAULT_HANDSHAKE_DIR)
    parser.add_argument("--trader-port", type=int, default=0)
    parser.add_argument("--md-port", type=int, default=0)
    parser.add_argument("--app-type", action="append", default=[], metavar="APPID=TYPE",
                        help="AppType for an AppID: 1 direct, 2 relay many-to-many, 3 relay one-to-many")
    args = parser.parse_args()
    app_types = dict(item.split("=", 1) for item in args.app_type)
    recorder = Recorder()
    trader = Front("trader", recorder, args.handshake_dir, args.trader_port, app_types, front_id=1)
    md = Front("md", recorder, args.handshake_dir, args.md_port, front_id=2)
    print(f"trader front tcp://{HOST}:{trader.port}, market data front tcp://{HOST}:{md.port}; Ctrl-C stops",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        trader.stop()
        md.stop()


if __name__ == "__main__":
    main()
