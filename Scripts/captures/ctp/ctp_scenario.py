#!/usr/bin/env python3
"""Drives the real SFIT CTP client library (PyPI wheel openctp-ctp 6.7.11) against ctp_front.py.

    ctp_scenario.py probe PORT...
    ctp_scenario.py run SCENARIO --trader-port P --md-port P --truth FILE [--handshake-dir DIR]
    ctp_scenario.py list

`run` starts the simulated trader and market-data fronts in this process on 127.0.0.1, plays one
scenario with CThostFtdcTraderApi / CThostFtdcMdApi instances (one TCP connection each) and writes
the raw ground truth: every frame of every connection in both directions as the front saw or
sent it (stream offset, length, FTD type and TLVs, FTDC header, fields with id, length and decoded
values; passwords only as present/absent, opaque blobs as length + hash), plus the simulated
client each connection belongs to and the address ctp_pcap.py gives it. Exit status 3: a port is
taken; 1: the scenario failed (the message says where).

The library needs the zh_CN.GB18030 locale (record-ctp.sh creates it) and writes flow files to a
temporary folder. Every value is fictional: broker 9999, users u1001..., investors, AppIDs such as
client_relayA_1.0, instruments rb2601, IF2512, au2602, cu2601, m2605; zz9999 does not exist.
Scenarios are described in SCENARIOS at the end of this file.
"""
import argparse
import collections
import ctypes
import glob
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ctp_front  # noqa: E402
import ftdc  # noqa: E402

BROKER = "9999"
AUTH_CODE = "0000000000000000"
TRADER_FRONT_IP = "10.20.0.1"
MD_FRONT_IP = "10.20.0.2"
TIMEOUT = 10.0


class ScenarioError(Exception):
    pass


def load_api():
    """The openctp_ctp modules (trader and market data); explains the locale when it is missing."""
    try:
        from openctp_ctp import mdapi, tdapi
    except ImportError as error:
        raise SystemExit(f"cannot import openctp_ctp ({error}); pip install openctp-ctp==6.7.11 and "
                         "create the zh_CN.GB18030 locale (localedef -i zh_CN -f GB18030 zh_CN.GB18030)")
    return tdapi, mdapi


tdapi, mdapi = load_api()


# ---------------------------------------------------------------------------------------------
# Terminal information blobs (what an end client's CTP_GetSystemInfo produces)


def library_path():
    import openctp_ctp
    folder = os.path.join(os.path.dirname(os.path.dirname(openctp_ctp.__file__)), "openctp_ctp.libs")
    return glob.glob(os.path.join(folder, "libthosttraderapi_se*.so"))[0]


_library = None


def system_info_blob():
    """A fresh encrypted terminal-information blob from the library's CTP_GetSystemInfo (the
    function an end client calls; it collects this machine's details and encrypts them)."""
    global _library
    if _library is None:
        _library = ctypes.CDLL(library_path())
    function = getattr(_library, "_Z17CTP_GetSystemInfoPcRi")
    buffer = ctypes.create_string_buffer(512)
    length = ctypes.c_int(0)
    function(buffer, ctypes.byref(length))
    if not 0 < length.value <= 273:
        raise ScenarioError(f"CTP_GetSystemInfo returned {length.value} bytes")
    return buffer.raw[:length.value]


def user_system_info(user_id, blob, public_ip, port, login_time, app_id):
    """A CThostFtdcUserSystemInfoField; the blob is binary, so it is copied into the C struct
    (ClientSystemInfo sits at offset 32: BrokerID[11], UserID[16], padding, int length)."""
    field = tdapi.CThostFtdcUserSystemInfoField()
    field.BrokerID = BROKER
    field.UserID = user_id
    field.ClientSystemInfoLen = len(blob)
    ctypes.memmove(int(field.this) + 32, blob, len(blob))
    field.ClientPublicIP = public_ip
    field.ClientIPPort = port
    field.ClientLoginTime = login_time
    field.ClientAppID = app_id
    return field


# ---------------------------------------------------------------------------------------------
# Waiting for callbacks


class Events:
    """Callback names with their arguments, and a way to wait for the n-th of a kind."""

    def __init__(self):
        self.condition = threading.Condition()
        self.seen = collections.defaultdict(list)

    def add(self, name, *values):
        with self.condition:
            self.seen[name].append(values)
            self.condition.notify_all()

    def wait(self, name, count=1, timeout=TIMEOUT, what=None):
        with self.condition:
            if not self.condition.wait_for(lambda: len(self.seen[name]) >= count, timeout):
                raise ScenarioError(f"timed out waiting for {what or name} ({len(self.seen[name])} of {count})")
            return self.seen[name][count - 1]

    def count(self, name):
        with self.condition:
            return len(self.seen[name])


def check_info(info, what):
    if info is not None and info.ErrorID != 0:
        raise ScenarioError(f"{what}: error {info.ErrorID}")


class TraderSpi(tdapi.CThostFtdcTraderSpi):
    def __init__(self, events):
        super().__init__()
        self.events = events

    def OnFrontConnected(self):
        self.events.add("connected")

    def OnFrontDisconnected(self, reason):
        self.events.add("disconnected", reason)

    def OnRspAuthenticate(self, field, info, request_id, last):
        self.events.add("authenticate", field and field.AppType, info and info.ErrorID)

    def OnRspUserLogin(self, field, info, request_id, last):
        self.events.add("login", field and field.SessionID, info and info.ErrorID)

    def OnRspUserLogout(self, field, info, request_id, last):
        self.events.add("logout")

    def OnRtnOrder(self, field):
        self.events.add("order", field.OrderRef, field.OrderStatus)

    def OnRtnTrade(self, field):
        self.events.add("trade", field.OrderRef)

    def OnRspOrderInsert(self, field, info, request_id, last):
        self.events.add("order_refused", info and info.ErrorID)

    def OnErrRtnOrderInsert(self, field, info):
        self.events.add("err_order", info and info.ErrorID)

    def OnRspOrderAction(self, field, info, request_id, last):
        self.events.add("action_refused", info and info.ErrorID)

    def OnErrRtnOrderAction(self, field, info):
        self.events.add("err_action", info and info.ErrorID)

    def OnRspError(self, info, request_id, last):
        self.events.add("error", info and info.ErrorID)


class MdSpi(mdapi.CThostFtdcMdSpi):
    def __init__(self, events):
        super().__init__()
        self.events = events

    def OnFrontConnected(self):
        self.events.add("connected")

    def OnFrontDisconnected(self, reason):
        self.events.add("disconnected", reason)

    def OnRspUserLogin(self, field, info, request_id, last):
        self.events.add("login", field and field.TradingDay, info and info.ErrorID)

    def OnRspUserLogout(self, field, info, request_id, last):
        self.events.add("logout")

    def OnRspSubMarketData(self, field, info, request_id, last):
        self.events.add("subscribed", field and field.InstrumentID)

    def OnRspUnSubMarketData(self, field, info, request_id, last):
        self.events.add("unsubscribed", field and field.InstrumentID)

    def OnRtnDepthMarketData(self, field):
        self.events.add("quote", field.InstrumentID, field.LastPrice)


# ---------------------------------------------------------------------------------------------
# Simulated clients


class Client:
    """One API instance = one TCP connection, labelled for the address rewrite."""

    def __init__(self, run, label, role):
        self.run = run
        self.label = label
        self.role = role
        self.events = Events()
        self.request_id = 0
        self.flow = tempfile.mkdtemp(prefix=f"ctp-flow-{label}-", dir=run.folder) + "/"

    def next_request(self):
        self.request_id += 1
        return self.request_id

    def connect(self, api, spi, port):
        self.api, self.spi = api, spi
        api.RegisterSpi(spi)
        api.RegisterFront(f"tcp://{ctp_front.HOST}:{port}")
        with self.run.connect_lock:
            self.run.recorder.pending_labels[self.role] = self.label
            if self.role == "trader":
                api.SubscribePrivateTopic(tdapi.THOST_TERT_QUICK)
                api.SubscribePublicTopic(tdapi.THOST_TERT_QUICK)
            api.Init()
            self.events.wait("connected", what=f"{self.label}: OnFrontConnected (handshake)")

    def call(self, what, result):
        if result != 0:
            raise ScenarioError(f"{self.label}: {what} returned {result}")

    def close(self):
        """Releases the API (which closes the connection) and waits until the front saw the close."""
        self.api.RegisterSpi(None)
        self.api.Release()
        time.sleep(0.2)


class Trader(Client):
    def __init__(self, run, label, user, password, app_id, product="tapdemo"):
        super().__init__(run, label, "trader")
        self.user, self.password, self.app_id, self.product = user, password, app_id, product
        self.order_ref = 0
        self.connect(tdapi.CThostFtdcTraderApi.CreateFtdcTraderApi(self.flow), TraderSpi(self.events),
                     run.trader.port)

    def authenticate(self):
        field = tdapi.CThostFtdcReqAuthenticateField()
        field.BrokerID, field.UserID, field.UserProductInfo = BROKER, self.user, self.product
        field.AuthCode, field.AppID = AUTH_CODE, self.app_id
        self.call("ReqAuthenticate", self.api.ReqAuthenticate(field, self.next_request()))
        app_type, error = self.events.wait("authenticate", what=f"{self.label}: OnRspAuthenticate")
        if error:
            raise ScenarioError(f"{self.label}: authentication error {error}")
        return app_type

    def register(self, info):
        self.call("RegisterUserSystemInfo", self.api.RegisterUserSystemInfo(info))

    def submit(self, info):
        self.call("SubmitUserSystemInfo", self.api.SubmitUserSystemInfo(info))

    def login(self):
        field = tdapi.CThostFtdcReqUserLoginField()
        field.BrokerID, field.UserID, field.Password = BROKER, self.user, self.password
        self.call("ReqUserLogin", self.api.ReqUserLogin(field, self.next_request()))
        _, error = self.events.wait("login", what=f"{self.label}: OnRspUserLogin")
        if error:
            raise ScenarioError(f"{self.label}: login error {error}")

    def order(self, investor, instrument, direction, price, volume, offset="0", expect="queued"):
        """Sends a limit order; waits for the fill, the queueing or the refusal given by EXPECT."""
        self.order_ref += 1
        field = tdapi.CThostFtdcInputOrderField()
        field.BrokerID, field.InvestorID, field.UserID = BROKER, investor, self.user
        field.InstrumentID = instrument
        field.ExchangeID = ctp_front.INSTRUMENTS[instrument].exchange if instrument in ctp_front.INSTRUMENTS else "SHFE"
        field.OrderRef = str(self.order_ref)
        field.OrderPriceType, field.Direction = "2", direction
        field.CombOffsetFlag, field.CombHedgeFlag = offset, "1"
        field.LimitPrice, field.VolumeTotalOriginal = price, volume
        field.TimeCondition, field.VolumeCondition, field.MinVolume = "3", "1", 1
        field.ContingentCondition, field.ForceCloseReason = "1", "0"
        before = {name: self.events.count(name) for name in ("trade", "order", "order_refused")}
        self.call("ReqOrderInsert", self.api.ReqOrderInsert(field, self.next_request()))
        if expect == "filled":
            self.events.wait("trade", before["trade"] + 1, what=f"{self.label}: fill of order {self.order_ref}")
            self.events.wait("order", before["order"] + 3, what=f"{self.label}: RtnOrder all traded")
        elif expect == "refused":
            self.events.wait("order_refused", before["order_refused"] + 1, what=f"{self.label}: refusal")
            self.events.wait("err_order", self.events.count("err_order") or 1, what=f"{self.label}: ErrRtnOrderInsert")
        else:
            self.events.wait("order", before["order"] + 2, what=f"{self.label}: RtnOrder queued")
        return str(self.order_ref)

    def cancel(self, investor, instrument, order_ref, expect="cancelled"):
        field = tdapi.CThostFtdcInputOrderActionField()
        field.BrokerID, field.InvestorID, field.UserID = BROKER, investor, self.user
        field.OrderActionRef = int(order_ref) + 100
        field.OrderRef, field.InstrumentID, field.ActionFlag = order_ref, instrument, "0"
        field.ExchangeID = ctp_front.INSTRUMENTS[instrument].exchange
        field.FrontID, field.SessionID = 1, self.events.seen["login"][-1][0]
        before = self.events.count("order"), self.events.count("action_refused")
        self.call("ReqOrderAction", self.api.ReqOrderAction(field, self.next_request()))
        if expect == "cancelled":
            self.events.wait("order", before[0] + 1, what=f"{self.label}: RtnOrder cancelled")
        else:
            self.events.wait("action_refused", before[1] + 1, what=f"{self.label}: RspOrderAction")

    def logout(self):
        field = tdapi.CThostFtdcUserLogoutField()
        field.BrokerID, field.UserID = BROKER, self.user
        self.call("ReqUserLogout", self.api.ReqUserLogout(field, self.next_request()))
        self.events.wait("logout", what=f"{self.label}: OnRspUserLogout")


class MarketData(Client):
    def __init__(self, run, label, user, password):
        super().__init__(run, label, "md")
        self.user, self.password = user, password
        self.connect(mdapi.CThostFtdcMdApi.CreateFtdcMdApi(self.flow), MdSpi(self.events), run.md.port)

    def login(self):
        field = mdapi.CThostFtdcReqUserLoginField()
        field.BrokerID, field.UserID, field.Password = BROKER, self.user, self.password
        self.call("ReqUserLogin", self.api.ReqUserLogin(field, self.next_request()))
        self.events.wait("login", what=f"{self.label}: OnRspUserLogin")

    def subscribe(self, instruments):
        before = self.events.count("subscribed")
        self.call("SubscribeMarketData", self.api.SubscribeMarketData([name.encode() for name in instruments],
                                                                      len(instruments)))
        self.events.wait("subscribed", before + len(instruments), what=f"{self.label}: OnRspSubMarketData")

    def wait_quotes(self, count):
        """Waits until COUNT quotes arrived in all."""
        self.events.wait("quote", count, timeout=30, what=f"{self.label}: {count} quotes")

    def unsubscribe(self, instruments):
        before = self.events.count("unsubscribed")
        self.call("UnSubscribeMarketData", self.api.UnSubscribeMarketData([name.encode() for name in instruments],
                                                                          len(instruments)))
        self.events.wait("unsubscribed", before + len(instruments), what=f"{self.label}: OnRspUnSubMarketData")

    def logout(self):
        field = mdapi.CThostFtdcUserLogoutField()
        field.BrokerID, field.UserID = BROKER, self.user
        self.call("ReqUserLogout", self.api.ReqUserLogout(field, self.next_request()))
        self.events.wait("logout", what=f"{self.label}: OnRspUserLogout")


# ---------------------------------------------------------------------------------------------
# A run: fronts, clients, addresses


class Run:
    def __init__(self, args, app_types, challenge=False, quotes_per_instrument=12, idle_heartbeat=None):
        self.folder = tempfile.mkdtemp(prefix="ctp-scenario-")
        self.recorder = ctp_front.Recorder()
        self.connect_lock = threading.Lock()
        try:
            self.trader = ctp_front.Front("trader", self.recorder, args.handshake_dir, args.trader_port, app_types,
                                          front_id=1, challenge=challenge)
            self.md = ctp_front.Front("md", self.recorder, args.handshake_dir, args.md_port, front_id=2,
                                      quotes_per_instrument=quotes_per_instrument, idle_heartbeat=idle_heartbeat)
        except OSError as error:
            print(f"cannot listen: {error}", file=sys.stderr)
            sys.exit(3)
        self.addresses = {}     # label -> client IP after the rewrite
        self.notes = []

    def address(self, label, ip):
        self.addresses[label] = ip
        return label

    def stop(self):
        time.sleep(0.5)
        self.trader.stop()
        self.md.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Scenarios


def scenario_trader_direct(run):
    """One direct client (AppType 1) with the two-step authentication."""
    label = run.address("desk-1", "10.20.1.11")
    trader = Trader(run, label, "u1001", "Pw-u1001!", "client_tapdemo_1.0")
    trader.authenticate()
    trader.login()
    trader.order("u1001", "rb2601", "0", 3126.0, 2, expect="filled")
    resting = trader.order("u1001", "au2602", "1", 640.0, 1)
    trader.cancel("u1001", "au2602", resting)
    trader.cancel("u1001", "au2602", resting, expect="refused")
    trader.order("u1001", "zz9999", "0", 100.0, 1, expect="refused")
    trader.order("u1001", "IF2512", "1", 4510.0, 1, expect="filled")
    trader.logout()
    trader.close()
    return ("direct client desk-1 (user u1001, AppID client_tapdemo_1.0, AppType 1): handshake, two-step "
            "ReqAuthenticate (challenge with IsResult 0, answer, then IsResult 1), automatic terminal-info report "
            "(0x3024) before login, ReqUserLogin, buy rb2601 filled (RtnOrder x3 + RtnTrade), sell au2602 resting "
            "then cancelled, a second cancel refused (RspOrderAction + ErrRtnOrderAction, error 26), an order on "
            "the unknown instrument zz9999 refused (RspOrderInsert + ErrRtnOrderInsert, error 16), sell IF2512 "
            "filled, logout")


def scenario_multi_user(run):
    """Several users from several addresses; one user trading for several investors; one user
    logged in from two addresses at once."""
    a = Trader(run, run.address("host-a", "10.20.2.21"), "u2001", "Pw-u2001!", "client_tapdemo_1.0")
    b = Trader(run, run.address("host-b", "10.20.2.22"), "u2002", "Pw-u2002!", "client_quantx_2.3", "quantx")
    c = Trader(run, run.address("host-c", "10.20.3.31"), "op2003", "Pw-op2003!", "client_desk_5.1", "desk")
    a2 = Trader(run, run.address("host-d", "10.20.4.41"), "u2001", "Pw-u2001!", "client_tapdemo_1.0")
    for trader in (a, b, c, a2):
        trader.authenticate()
        trader.login()
    a.order("u2001", "rb2601", "0", 3127.0, 1, expect="filled")
    b.order("u2002", "m2605", "1", 2859.0, 3, expect="filled")
    for investor, instrument, price in (("inv30001", "rb2601", 3125.0), ("inv30002", "cu2601", 86430.0),
                                        ("inv30003", "IF2512", 4520.0)):
        c.order(investor, instrument, "0", price, 1, expect="filled")
    resting = c.order("inv30002", "au2602", "0", 600.0, 2)
    c.cancel("inv30002", "au2602", resting)
    a2.order("u2001", "rb2601", "1", 3124.0, 1, expect="filled")
    for trader in (a, b, c, a2):
        trader.logout()
        trader.close()
    return ("four direct connections at once: u2001 from host-a, u2002 from host-b (AppID client_quantx_2.3), "
            "operator op2003 from host-c trading for investors inv30001, inv30002, inv30003 (InvestorID differs "
            "from UserID; one resting order cancelled), and u2001 again from host-d (same user, second address); "
            "each authenticates (single step) and reports terminal info automatically, logs in, trades, logs out")


def scenario_relay_many_to_many(run):
    """A relay (AppType 2) with one connection per end client, RegisterUserSystemInfo before login."""
    relay = run.address("relayA", "10.20.8.8")
    end_clients = [("u3001", "203.0.113.10", 51011, "09:15:01", "endclient_alpha_1.0"),
                   ("u3002", "203.0.113.77", 52022, "09:15:09", "endclient_beta_2.0"),
                   ("u3003", "198.51.100.23", 53033, "09:16:40", "endclient_alpha_1.0")]
    for index, (user, public_ip, port, login_time, app_id) in enumerate(end_clients):
        trader = Trader(run, relay, user, f"Pw-{user}!", "client_relayA_1.0", "relayA")
        if trader.authenticate() != "2":
            raise ScenarioError("relayA: AppType is not 2")
        trader.register(user_system_info(user, system_info_blob(), public_ip, port, login_time, app_id))
        trader.login()
        trader.order(user, ("rb2601", "au2602", "IF2512")[index], "0",
                     (3126.0, 613.0, 4519.0)[index], 1 + index, expect="filled")
        trader.logout()
        trader.close()
    return ("relay relayA (AppID client_relayA_1.0, AppType 2 = many-to-many): one connection per end client "
            "(u3001, u3002, u3003, all from the relay's address), each ReqAuthenticate -> RspAuthenticate AppType "
            "'2' -> RegisterUserSystemInfo (0x3024) with the end client's ClientPublicIP, ClientIPPort, "
            "ClientLoginTime, ClientAppID and a fresh terminal-info blob -> ReqUserLogin -> one filled order -> logout")


def scenario_relay_one_to_many(run):
    """A relay (AppType 3): one operator login, SubmitUserSystemInfo per end client; the same blob
    submitted for two different end clients, and again by a second relay operator."""
    relay = Trader(run, run.address("relayB", "10.20.9.9"), "relayB_op", "Pw-relayB!", "client_relayB_1.0", "relayB")
    if relay.authenticate() != "3":
        raise ScenarioError("relayB: AppType is not 3")
    relay.login()
    shared_blob = system_info_blob()
    end_clients = [("inv4001", shared_blob, "203.0.113.41", 41001, "10:01:05", "endclient_gamma_3.1"),
                   ("inv4002", system_info_blob(), "203.0.113.42", 41002, "10:02:17", "endclient_gamma_3.1"),
                   ("inv4003", shared_blob, "198.51.100.43", 41003, "10:03:29", "endclient_delta_0.9"),
                   ("inv4004", system_info_blob(), "192.0.2.44", 41004, "10:04:41", "endclient_delta_0.9")]
    for investor, blob, public_ip, port, login_time, app_id in end_clients:
        relay.submit(user_system_info(investor, blob, public_ip, port, login_time, app_id))
        relay.order(investor, "rb2601", "0", 3125.0 + len(investor) % 3, 1, expect="filled")
    relay.logout()
    relay.close()
    second = Trader(run, run.address("relayC", "10.20.9.10"), "relayC_op", "Pw-relayC!", "client_relayC_1.0", "relayC")
    if second.authenticate() != "3":
        raise ScenarioError("relayC: AppType is not 3")
    second.login()
    second.submit(user_system_info("inv5001", shared_blob, "203.0.113.41", 41001, "10:06:00", "endclient_gamma_3.1"))
    second.order("inv5001", "au2602", "0", 613.0, 1, expect="filled")
    second.logout()
    second.close()
    return ("relay relayB (AppID client_relayB_1.0, AppType 3 = one-to-many): one login as relayB_op, then for each "
            "end client inv4001..inv4004 a SubmitUserSystemInfo (0x3024) with its ClientPublicIP, ClientIPPort, "
            "ClientLoginTime and ClientAppID, followed by an order with InvestorID = that end client; the same "
            "terminal-info blob (from one CTP_GetSystemInfo call) is submitted for inv4001 and inv4003; then a "
            "second relay relayC (relayC_op, AppType 3) submits that same blob again for inv5001 and trades")


def scenario_md_subscribers(run):
    """Market-data subscribers from several addresses, quote streams, unsubscribe, an idle pause
    long enough for keep-alives, logout."""
    one = MarketData(run, run.address("md-1", "10.20.5.51"), "u1001", "Pw-u1001!")
    two = MarketData(run, run.address("md-2", "10.20.5.52"), "mdreader7", "Pw-md7!")
    one.login()
    two.login()
    one.subscribe(["rb2601", "IF2512", "au2602"])
    two.subscribe(["cu2601", "m2605", "rb2601"])
    one.wait_quotes(3 * run.md.quotes_per_instrument)
    two.wait_quotes(3 * run.md.quotes_per_instrument)
    one.unsubscribe(["au2602"])
    run.notes.append("idle 42 s: the market-data front sends a keep-alive after 20 s without traffic, the "
                     "library sends its own after about 39 s without sending and the front answers it")
    time.sleep(42)
    one.logout()
    two.logout()
    one.close()
    two.close()
    return (f"two market-data clients: md-1 (u1001) subscribes rb2601, IF2512, au2602 in one request, md-2 "
            f"(mdreader7) cu2601, m2605, rb2601; one RspSubMarketData per instrument, then "
            f"{run.md.quotes_per_instrument} RtnDepthMarketData per instrument (rb2601, IF2512 and m2605 with five "
            "price levels, the others one level and DBL_MAX elsewhere); md-1 unsubscribes au2602; 42 s idle "
            "(keep-alives: the front's after 20 s, the library's after about 39 s, answered); logout")


# ---------------------------------------------------------------------------------------------
# Detection scenarios (Captures/scenarios/, Scripts/captures/record-scenarios.sh): each shows one
# abuse the rules must flag, or registered traffic they must leave alone.


def scenario_appid_shared(run):
    """Six users on one direct AppID, each from its own network: a licence key shared or resold."""
    networks = ["10.61.1.11", "10.62.2.12", "10.63.3.13", "10.64.4.14", "10.65.5.15", "10.66.6.16"]
    for index, ip in enumerate(networks):
        user = f"s600{index + 1}"
        trader = Trader(run, run.address(f"renter-{index + 1}", ip), user, f"Pw-{user}!", "client_quant_1.0", "quant")
        trader.authenticate()
        trader.login()
        trader.order(user, ("rb2601", "au2602", "IF2512", "cu2601", "m2605", "rb2601")[index], "0",
                     (3126.0, 613.0, 4519.0, 86430.0, 2862.0, 3126.0)[index], 1, expect="filled")
        trader.logout()
        trader.close()
    return ("six users s6001..s6006 authenticate with the same direct AppID client_quant_1.0 (AppType 1), each from "
            "its own network (10.61.1.11, 10.62.2.12, 10.63.3.13, 10.64.4.14, 10.65.5.15, 10.66.6.16), log in, place "
            "one filled order for their own account and log out")


def scenario_operator_eight_investors(run):
    """One direct session whose login orders for eight investors: an unregistered one-to-many relay."""
    trader = Trader(run, run.address("splitter", "10.70.0.7"), "op7000", "Pw-op7000!", "client_desk_5.1", "desk")
    if trader.authenticate() != "1":
        raise ScenarioError("splitter: AppType is not 1")
    trader.login()
    for index in range(8):
        investor = f"inv700{index + 1}"
        trader.order(investor, ("rb2601", "au2602", "IF2512", "cu2601")[index % 4], "0",
                     (3126.0, 613.0, 4519.0, 86430.0)[index % 4], 1 + index % 3, expect="filled")
    trader.logout()
    trader.close()
    return ("one direct connection (AppID client_desk_5.1, AppType 1) logged in as operator op7000 places one "
            "filled order for each of eight investors inv7001..inv7008 (InvestorID differs from UserID), with no "
            "SubmitUserSystemInfo, then logs out")


def scenario_quotes_unlisted_host(run):
    """Quotes to a registered consumer that also trades, and to a host that is neither registered nor trading."""
    desk = Trader(run, run.address("consumer", "10.30.1.10"), "u8001", "Pw-u8001!", "client_tapdemo_1.0")
    desk.authenticate()
    desk.login()
    consumer = MarketData(run, run.address("consumer", "10.30.1.10"), "u8001", "Pw-u8001!")
    outsider = MarketData(run, run.address("outsider", "10.77.0.9"), "mdreader8", "Pw-md8!")
    consumer.login()
    outsider.login()
    consumer.subscribe(["rb2601", "IF2512"])
    outsider.subscribe(["rb2601", "IF2512", "au2602"])
    consumer.wait_quotes(2 * run.md.quotes_per_instrument)
    outsider.wait_quotes(3 * run.md.quotes_per_instrument)
    consumer.logout()
    outsider.logout()
    desk.logout()
    for api in (consumer, outsider, desk):
        api.close()
    return (f"host consumer (10.30.1.10) logs in to the trading front as u8001 (AppID client_tapdemo_1.0), then to "
            f"the market-data front and subscribes rb2601, IF2512; host outsider (10.77.0.9, mdreader8) only logs in "
            f"to the market-data front and subscribes rb2601, IF2512, au2602; {run.md.quotes_per_instrument} "
            "RtnDepthMarketData per instrument to each; logouts")


def scenario_clean_registered(run):
    """Registered traffic only: a direct client, a registered many-to-many relay reporting its end clients,
    and a market-data consumer that trades from the same address."""
    direct = Trader(run, run.address("desk", "10.8.1.21"), "u9001", "Pw-u9001!", "client_tapdemo_1.0")
    direct.authenticate()
    direct.login()
    direct.order("u9001", "rb2601", "0", 3126.0, 1, expect="filled")
    resting = direct.order("u9001", "au2602", "1", 640.0, 1)
    direct.cancel("u9001", "au2602", resting)
    relay = run.address("relayA", "10.20.8.8")
    for index, (user, public_ip, port, login_time, app_id) in enumerate(
            [("u9101", "203.0.113.61", 51061, "10:15:01", "endclient_alpha_1.0"),
             ("u9102", "198.51.100.62", 52062, "10:15:40", "endclient_beta_2.0")]):
        trader = Trader(run, relay, user, f"Pw-{user}!", "client_relayA_1.0", "relayA")
        if trader.authenticate() != "2":
            raise ScenarioError("relayA: AppType is not 2")
        trader.register(user_system_info(user, system_info_blob(), public_ip, port, login_time, app_id))
        trader.login()
        trader.order(user, ("IF2512", "cu2601")[index], "0", (4519.0, 86430.0)[index], 1, expect="filled")
        trader.logout()
        trader.close()
    quotes = MarketData(run, run.address("desk", "10.8.1.21"), "u9001", "Pw-u9001!")
    quotes.login()
    quotes.subscribe(["rb2601", "au2602"])
    quotes.wait_quotes(2 * run.md.quotes_per_instrument)
    quotes.logout()
    direct.logout()
    quotes.close()
    direct.close()
    return ("registered traffic: desk (10.8.1.21, u9001, AppID client_tapdemo_1.0) trades its own account (a fill, "
            "a resting order cancelled); the registered many-to-many relay relayA (10.20.8.8, AppID "
            "client_relayA_1.0, AppType 2) serves u9101 and u9102, each with RegisterUserSystemInfo (public client "
            "addresses, registered end-client AppIDs) before login and one filled order; desk then subscribes "
            f"rb2601 and au2602 on the market-data front ({run.md.quotes_per_instrument} quotes each); logouts")


SCENARIOS = {
    # name: (function, AppType per AppID, two-step authentication, market-data front keep-alive after S idle)
    "trader-direct": (scenario_trader_direct, {"client_tapdemo_1.0": "1"}, True, None),
    "multi-user": (scenario_multi_user, {}, False, None),
    "relay-many-to-many": (scenario_relay_many_to_many, {"client_relayA_1.0": "2"}, False, None),
    "relay-one-to-many": (scenario_relay_one_to_many, {"client_relayB_1.0": "3", "client_relayC_1.0": "3"}, False, None),
    "md-subscribers": (scenario_md_subscribers, {}, False, 20.0),
    "appid-shared": (scenario_appid_shared, {"client_quant_1.0": "1"}, False, None),
    "operator-eight-investors": (scenario_operator_eight_investors, {"client_desk_5.1": "1"}, False, None),
    "quotes-unlisted-host": (scenario_quotes_unlisted_host, {"client_tapdemo_1.0": "1"}, False, None),
    "clean-registered": (scenario_clean_registered, {"client_tapdemo_1.0": "1", "client_relayA_1.0": "2"}, False, None),
}


# ---------------------------------------------------------------------------------------------
# Truth


def library_versions():
    from importlib.metadata import version
    return {"wheel": f"openctp-ctp {version('openctp-ctp')}",
            "trader_api": tdapi.CThostFtdcTraderApi.GetApiVersion(),
            "md_api": mdapi.CThostFtdcMdApi.GetApiVersion()}


def truth_of(run, name, description):
    connections = []
    counts = {"to_server": collections.Counter(), "to_client": collections.Counter()}
    for record in run.recorder.connections:
        server_ip = TRADER_FRONT_IP if record["role"] == "trader" else MD_FRONT_IP
        frames = []
        for frame in record["frames"]:
            frame = {key: value for key, value in frame.items() if key != "time"}
            frames.append(frame)
            key = frame.get("tid_name") or frame.get("tid") or frame.get("kind")
            counts[frame["direction"]][key] += 1
        connections.append(dict(record, client_ip=run.addresses.get(record["label"]), server_ip=server_ip,
                                frames=frames))
    return {
        "scenario": name,
        "description": description,
        "library": library_versions(),
        "trading_day": ctp_front.TRADING_DAY,
        "notes": run.notes,
        "addresses": {"trader_front": TRADER_FRONT_IP, "md_front": MD_FRONT_IP, "clients": run.addresses},
        "legend": ("connections in accept order; frames per connection in the order the front received "
                   "(to_server) or sent (to_client) them; offset = byte offset in that direction's TCP stream; "
                   "fields: fid, struct name from ftdc-fields-6.7.11.tsv, wire length, decoded members (strings "
                   "GBK -> UTF-8, doubles, DBL_MAX as null; Password/AuthCode only as present; AuthInfo, "
                   "ClientSystemInfo, handshake data as present/length/sha256_16 of the bytes)"),
        "counts": {direction: dict(sorted(counter.items())) for direction, counter in counts.items()},
        "connections": connections,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    probe = commands.add_parser("probe", help="exit 0 when every PORT is free on 127.0.0.1, 3 if not")
    probe.add_argument("ports", type=int, nargs="+")
    commands.add_parser("list")
    run = commands.add_parser("run")
    run.add_argument("scenario", choices=sorted(SCENARIOS))
    run.add_argument("--trader-port", type=int, required=True)
    run.add_argument("--md-port", type=int, required=True)
    run.add_argument("--truth", required=True)
    run.add_argument("--handshake-dir", default=ctp_front.DEFAULT_HANDSHAKE_DIR)
    args = parser.parse_args()
    if args.command == "list":
        print("\n".join(sorted(SCENARIOS)))
        return
    if args.command == "probe":
        for port in args.ports:
            with socket.socket() as sock:
                try:
                    sock.bind((ctp_front.HOST, port))
                except OSError:
                    sys.exit(3)
        return
    # The market-data library sends itself SIGUSR1 during a session; without a handler that
    # signal ends the process. A Python handler keeps the interruption and ignores the signal.
    signal.signal(signal.SIGUSR1, lambda number, frame: None)
    function, app_types, challenge, idle_heartbeat = SCENARIOS[args.scenario]
    state = Run(args, app_types, challenge, idle_heartbeat=idle_heartbeat)
    try:
        description = function(state)
    except ScenarioError as error:
        print(f"{args.scenario}: {error}", file=sys.stderr)
        state.stop()
        os._exit(1)
    state.stop()
    truth = truth_of(state, args.scenario, description)
    ftdc.write_truth(truth, args.truth)
    total = sum(len(connection["frames"]) for connection in truth["connections"])
    print(f"{args.scenario}: {len(truth['connections'])} connection(s), {total} frames")
    sys.stdout.flush()
    os._exit(0)   # the library's threads do not always end after Release


if __name__ == "__main__":
    main()
