#!/usr/bin/env python3
"""Real FIX traffic between two QuickFIX engines on 127.0.0.1, for the captures in Captures/fix/.

    quickfix_scenario.py probe PORT
    quickfix_scenario.py run SCENARIO --port PORT --truth FILE [--log DIR]
    quickfix_scenario.py verify --pcap FILE --truth FILE --port PORT --out FILE

`run` starts a QuickFIX acceptor (a small broker, SenderCompID BROKER) and QuickFIX initiators
in this process, plays one scenario and writes what both engines sent as a ground-truth JSON
file. Every message is recorded once, from the sending side's toAdmin/toApp callback (the
initiator's for to_server, the acceptor's for to_client), as the exact string QuickFIX puts on
the wire, with credentials (554 Password, 925 NewPassword, 96 RawData used as a password)
replaced by "<redacted>". Stores are MemoryStoreFactory, logs are off (or FileLog under --log),
the configuration is written to a temporary folder and the data dictionaries are the ones the
quickfix-ssl wheel installs (<prefix>/share/quickfix).

`run` exits with 3 when the port is taken and with 4 when the messages per MsgType differ from
the scenario's fixed expectation (EXPECTED); record-fix.sh then records again.

`verify` reads the recorded pcap with tshark, checks that each TCP connection's payload, per
direction, is exactly the concatenation of the truth messages of that connection (after the
same redaction), and writes the truth file with the TCP endpoints of each connection added.

Scenarios (contents are fixed; times, ports and TCP sequence numbers vary per run):
  trading       FIX.4.4, HUB01 -> BROKER: Logon with 553/554, NewOrderSingle for 4 accounts, some
                on behalf of hub clients (115/116 with a NoHops 627 group, answered with 128/129),
                one with DeliverToCompID 128 (answered with 115), Parties 453 groups, New+Fill
                ExecutionReports, a resting order cancelled with OrderCancelRequest; TestRequest /
                Heartbeat; the hub then sets its expected incoming MsgSeqNum back by one (a "lost"
                Heartbeat), so the next Heartbeat makes it send a ResendRequest, answered with a
                SequenceReset-GapFill; Logout; a second Logon (QuickFIX cannot log on again on the
                same TCP connection: both sides disconnect after Logout, so the initiator opens a
                new one), one more order, Logout.
  marketdata    FIX.4.4, MDFEED -> BROKER: MarketDataRequest for 3 symbols x 3 entry types
                (snapshot + updates), 3 snapshots W, 4 incrementals X; a request for a symbol
                the user is not entitled to, rejected with Y 281=3; a snapshot-only request for
                EUR/USD; unsubscribe; Logout.
  bad-logon     FIX.4.4, HUB01 -> BROKER with 141=Y: Logon with a wrong password, which the broker
                answers with Logout (58 text) and a disconnect; the hub's answering Logout reaches a
                closed socket (RST); half a second later a new connection with the right
                password; Logout.
  fix42-fixt11  FIX.4.2, BUY42 -> BROKER (credential in RawData 95/96, two orders with HandlInst),
                then FIXT.1.1 / FIX.5.0SP2, BUY50 -> BROKER (553/554, DefaultApplVerID 1137=9, two
                orders, one snapshot-only MarketDataRequest answered with two W carrying 1128=9).

Detection scenarios (Captures/scenarios/, through record-scenarios.sh):
  dozen-accounts  FIX.4.4, SPLIT01 -> BROKER: one order for each of twelve accounts.
  clean-desk      FIX.4.4, DESKA -> BROKER: three orders for the session's registered accounts.
  order-bursts    FIX.4.4, DESKA -> BROKER: three bursts of six orders for one registered account,
                  each burst sent back to back, 1.5 s apart.
"""
import argparse
import collections
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

import quickfix as fix

SOH = "\x01"
BROKER = "BROKER"
HOST = "127.0.0.1"
REDACTED = "<redacted>"
CREDENTIAL_TAGS = {"554", "925", "96"}
KEY_TAGS = ["1", "11", "41", "55", "54", "38", "44", "40", "50", "115", "116", "128", "129", "627", "453",
            "553", "95", "141", "1137", "1128", "112", "7", "16", "36", "123", "43", "262", "263", "146", "267",
            "268", "281", "58", "150", "39"]


def dictionary_dir():
    """The data dictionaries of the quickfix-ssl wheel: <site-packages>/../../../share/quickfix."""
    site = os.path.dirname(os.path.abspath(fix.__file__))
    candidates = [os.path.join(site, "..", "..", "..", "share", "quickfix"),
                  os.path.join(sys.prefix, "share", "quickfix"),
                  os.path.join(site, "share", "quickfix")]
    for candidate in candidates:
        if os.path.exists(os.path.join(candidate, "FIX44.xml")):
            return os.path.normpath(candidate)
    raise SystemExit("QuickFIX data dictionaries (FIX44.xml) not found next to the quickfix module")


def engine_version():
    try:
        from importlib.metadata import version
        return version("quickfix-ssl")
    except Exception:  # an install without metadata
        return "(version unknown)"


def utc_now():
    return time.strftime("%Y%m%d-%H:%M:%S", time.gmtime()) + ".%03d" % (int(time.time() * 1000) % 1000)


def fields_of(raw):
    """[(tag, value)] of a FIX string. Our messages carry no SOH inside data fields."""
    return [tuple(part.split("=", 1)) for part in raw.split(SOH) if part]


def redact(raw):
    """The string with every credential value replaced by <redacted>."""
    return "".join(f"{tag}={REDACTED if tag in CREDENTIAL_TAGS else value}{SOH}"
                   for tag, value in fields_of(raw))


def redact_stream(data):
    """The same redaction on raw TCP bytes (latin-1 text)."""
    return re.sub(r"(^|\x01)(554|925|96)=[^\x01]*\x01", lambda m: f"{m.group(1)}{m.group(2)}={REDACTED}\x01", data)


# ---------------------------------------------------------------------------------------------
# Recording


class Recorder:
    """Every message either engine sends, once, in callback order, plus the TCP connection it
    belongs to (QuickFIX initiators open a new connection for every Logon they send)."""

    def __init__(self):
        self.lock = threading.Condition()
        self.messages = []
        self.connections = []          # [{"session": ..., "initiator": ..., "acceptor": ...}]
        self.current = {}              # session key -> connection index

    @staticmethod
    def key(begin, client):
        return f"{begin}:{client}"

    def record(self, direction, message):
        raw = message.toString()
        fields = fields_of(raw)
        header = {}
        for tag, value in fields:
            header.setdefault(tag, value)
        begin, sender, target = header["8"], header["49"], header["56"]
        client = sender if direction == "to_server" else target
        with self.lock:
            key = self.key(begin, client)
            if direction == "to_server" and header["35"] == "A":
                self.connections.append({"session": f"{begin}:{client}->{BROKER}", "client_comp_id": client})
                self.current[key] = len(self.connections) - 1
            self.messages.append({"connection": self.current[key], "direction": direction, "raw": raw})
            self.lock.notify_all()

    def truth(self, scenario, description):
        counters = collections.Counter()
        messages = []
        counts = {"to_server": collections.Counter(), "to_client": collections.Counter(), "total": collections.Counter()}
        for entry in self.messages:
            raw = entry["raw"]
            fields = fields_of(raw)
            values = collections.defaultdict(list)
            for tag, value in fields:
                values[tag].append(value)
            msg_type = values["35"][0]
            ordinal = counters[(entry["connection"], entry["direction"])]
            counters[(entry["connection"], entry["direction"])] += 1
            key = {tag: (REDACTED if tag in CREDENTIAL_TAGS else values[tag][0]) for tag in KEY_TAGS if tag in values}
            messages.append({
                "connection": entry["connection"],
                "direction": entry["direction"],
                "ordinal": ordinal,
                "begin_string": values["8"][0],
                "msg_type": msg_type,
                "msg_seq_num": int(values["34"][0]),
                "sender_comp_id": values["49"][0],
                "target_comp_id": values["56"][0],
                "key": key,
                "symbols": values.get("55", []),
                "party_ids": values.get("448", []),
                "password_present": "554" in values,
                "credential_tags": sorted((tag for tag in values if tag in CREDENTIAL_TAGS), key=int),
                "wire_length": len(raw.encode("latin-1")),
                "raw": redact(raw),
            })
            counts[entry["direction"]][msg_type] += 1
            counts["total"][msg_type] += 1
        return {
            "scenario": scenario,
            "description": description,
            "engine": f"QuickFIX C++ via the Python wheel quickfix-ssl {engine_version()}, data dictionaries "
                      "FIX42.xml, FIX44.xml, FIXT11.xml + FIX50SP2.xml from the wheel",
            "note": ("key holds the first value of selected tags (credentials redacted), symbols and party_ids "
                     "every 55 and 448 value; raw is the exact string QuickFIX sent (recorded in toAdmin/toApp of the sending engine) "
                     "with 554/925/96 values replaced by <redacted>, so BodyLength and CheckSum in raw refer "
                     "to the unredacted wire message of wire_length bytes. to_server = initiator to acceptor. "
                     "ordinal counts messages per connection and direction; connection i is the i-th TCP "
                     "connection (by SYN) in the capture."),
            "connections": self.connections,
            "message_count": len(messages),
            "counts": {name: dict(sorted(counter.items())) for name, counter in counts.items()},
            "messages": messages,
        }


# ---------------------------------------------------------------------------------------------
# Broker (acceptor)

CREDENTIALS = {  # SenderCompID of the client -> (tag, expected value) pairs checked on Logon
    "HUB01": {"553": "hub01.fix", "554": "Hub01-pw-2024"},
    "MDFEED": {"553": "md.reader", "554": "Md-pw-7731"},
    "BUY42": {"96": "k3y=42-secret"},
    "BUY50": {"553": "buy50.fix", "554": "B50-pw!x9"},
    "SPLIT01": {"553": "split01.fix", "554": "Sp1it-pw-88"},
    "DESKA": {"553": "deska.fix", "554": "DeskA-pw-31"},
}
ENTITLED = {"MDFEED": {"AAPL", "MSFT", "IBM", "EUR/USD"}, "BUY50": {"AAPL", "MSFT"}}
REFERENCE = {"AAPL": 189.50, "MSFT": 415.25, "IBM": 171.10, "VOD.L": 72.10, "GOOG": 171.30,
             "BARC.L": 215.40, "SAP.DE": 182.60, "EUR/USD": 1.0842, "TSLA": 178.20}
BOOK = {  # symbol -> [(MDEntryType, price, size)] for snapshots
    "AAPL": [("0", "189.49", "500"), ("0", "189.48", "1200"), ("1", "189.51", "300"), ("1", "189.52", "900"), ("2", "189.50", "100")],
    "MSFT": [("0", "415.20", "200"), ("0", "415.15", "700"), ("1", "415.30", "400"), ("1", "415.35", "650"), ("2", "415.25", "50")],
    "IBM": [("0", "171.05", "300"), ("0", "171.00", "800"), ("1", "171.15", "250"), ("1", "171.20", "1000"), ("2", "171.10", "75")],
    "EUR/USD": [("0", "1.08415", "1000000"), ("1", "1.08425", "2000000")],
}
INCREMENTALS = [  # (MDUpdateAction, MDEntryType, symbol, price, size) per X message
    [("1", "0", "AAPL", "189.49", "700"), ("0", "2", "AAPL", "189.51", "200")],
    [("2", "1", "MSFT", "415.30", "400"), ("0", "1", "MSFT", "415.28", "150"), ("0", "2", "MSFT", "415.28", "150")],
    [("0", "0", "IBM", "171.08", "100")],
    [("1", "1", "AAPL", "189.52", "600"), ("1", "0", "IBM", "171.05", "0"), ("0", "2", "IBM", "171.10", "25")],
]


def new_message(msg_type, body=(), header=(), groups=()):
    message = fix.Message()
    message.getHeader().setField(fix.MsgType(msg_type))
    for tag, value in header:
        message.getHeader().setField(int(tag), str(value))
    for tag, value in body:
        message.setField(int(tag), str(value))
    for count_tag, delimiter, entries in groups:
        for entry in entries:
            group = fix.Group(int(count_tag), int(delimiter))
            for tag, value in entry:
                group.setField(int(tag), str(value))
            message.addGroup(group)
    return message


def header_value(message, tag):
    return message.getHeader().getField(tag) if message.getHeader().isSetField(tag) else None


def body_value(message, tag):
    return message.getField(tag) if message.isSetField(tag) else None


class Broker(fix.Application):
    def __init__(self, recorder):
        super().__init__()
        self.recorder = recorder
        self.order_ids = 0
        self.exec_ids = 0
        self.open_orders = {}
        self.rejected = set()   # sessions whose Logon was refused and whose Logon reply must not count

    def onCreate(self, sessionID):
        pass

    def onLogon(self, sessionID):
        key = sessionID.toString()
        if key in self.rejected:
            # QuickFIX went on with the refused Logon after fromAdmin (see there) and now believes
            # the session is logged on; the second disconnect only clears that state.
            self.rejected.discard(key)
            fix.Session.lookupSession(sessionID).disconnect()

    def onLogout(self, sessionID):
        pass

    def toAdmin(self, message, sessionID):
        if sessionID.toString() in self.rejected and header_value(message, 35) == "A":
            return  # the Logon reply to a refused Logon: there is no connection left to send it on
        self.recorder.record("to_client", message)

    def toApp(self, message, sessionID):
        self.recorder.record("to_client", message)

    def fromAdmin(self, message, sessionID):
        if header_value(message, 35) != "A":
            return
        client = sessionID.getTargetCompID().getValue()
        if all(body_value(message, int(tag)) == expected for tag, expected in CREDENTIALS.get(client, {}).items()):
            return
        # The usual way is `raise fix.RejectLogon(text)`, on which QuickFIX sends Logout(58=text) and
        # disconnects. In the quickfix-ssl wheel any exception raised in a callback aborts the process
        # (std::terminate), so this does the same two steps by hand: Logout with the reason, then
        # disconnect before QuickFIX gets to its Logon reply.
        self.rejected.add(sessionID.toString())
        fix.Session.sendToTarget(new_message("5", [(58, "Invalid username or password")]), sessionID)
        fix.Session.lookupSession(sessionID).disconnect()

    def fromApp(self, message, sessionID):
        # No exceptions in callbacks (see fromAdmin): unknown messages are ignored.
        msg_type = header_value(message, 35)
        if msg_type == "D":
            self.on_order(message, sessionID)
        elif msg_type == "F":
            self.on_cancel(message, sessionID)
        elif msg_type == "V":
            self.on_market_data_request(message, sessionID)

    # Orders -----------------------------------------------------------------------------

    def routing(self, message):
        """Return-path header: 115 of the request becomes 128 (and 116 -> 129), 128 becomes 115."""
        header = []
        if header_value(message, 115):
            header.append((128, header_value(message, 115)))
            if header_value(message, 116):
                header.append((129, header_value(message, 116)))
        if header_value(message, 128):
            header.append((115, header_value(message, 128)))
        return header

    def execution_report(self, sessionID, order, exec_type, status, cum_qty, last=None):
        begin = sessionID.getBeginString().getValue()
        self.exec_ids += 1
        quantity = float(order["qty"])
        body = [(37, order["order_id"]), (17, f"EX-{self.exec_ids:05d}"), (150, exec_type), (39, status),
                (11, order["cl_ord_id"]), (55, order["symbol"]), (54, order["side"]), (38, order["qty"]),
                (40, order["ord_type"]), (151, f"{0 if status in ('2', '4') else quantity - cum_qty:g}"),
                (14, f"{cum_qty:g}"), (6, last[1] if last else "0"), (60, utc_now())]
        if order.get("account"):
            body.append((1, order["account"]))
        if order.get("price"):
            body.append((44, order["price"]))
        if last:
            body += [(32, last[0]), (31, last[1])]
        if order.get("orig_cl_ord_id"):
            body.append((41, order["orig_cl_ord_id"]))
        if begin == "FIX.4.2":
            body.append((20, "0"))
        message = new_message("8", body, header=order["routing"])
        fix.Session.sendToTarget(message, sessionID)

    def on_order(self, message, sessionID):
        self.order_ids += 1
        symbol = body_value(message, 55)
        order = {"order_id": f"BRK-{self.order_ids:05d}", "cl_ord_id": body_value(message, 11), "symbol": symbol,
                 "side": body_value(message, 54), "qty": body_value(message, 38), "ord_type": body_value(message, 40),
                 "price": body_value(message, 44), "account": body_value(message, 1), "routing": self.routing(message)}
        self.execution_report(sessionID, order, "0", "0", 0)
        reference = REFERENCE[symbol]
        price = float(order["price"]) if order["price"] else reference
        marketable = order["ord_type"] == "1" or (order["side"] == "1" and price >= reference * 0.99) \
            or (order["side"] == "2" and price <= reference * 1.01)
        if marketable:
            fill_price = order["price"] or f"{reference:.2f}"
            self.execution_report(sessionID, order, "F" if sessionID.getBeginString().getValue() != "FIX.4.2" else "2",
                                  "2", float(order["qty"]), last=(order["qty"], fill_price))
        else:
            self.open_orders[order["cl_ord_id"]] = order

    def on_cancel(self, message, sessionID):
        original = self.open_orders.pop(body_value(message, 41))
        order = dict(original, cl_ord_id=body_value(message, 11), orig_cl_ord_id=body_value(message, 41),
                     routing=self.routing(message))
        self.execution_report(sessionID, order, "4", "4", 0)

    # Market data ------------------------------------------------------------------------

    def on_market_data_request(self, message, sessionID):
        client = sessionID.getTargetCompID().getValue()
        request_id = body_value(message, 262)
        subscription = body_value(message, 263)
        if subscription == "2":
            return
        symbols = [group_value(message, 146, index, 55) for index in range(1, int(body_value(message, 146)) + 1)]
        types = {group_value(message, 267, index, 269) for index in range(1, int(body_value(message, 267)) + 1)}
        refused = [symbol for symbol in symbols if symbol not in ENTITLED.get(client, set())]
        if refused:
            reject = new_message("Y", [(262, request_id), (281, "3"),
                                       (58, f"Insufficient permissions for {', '.join(refused)}")])
            fix.Session.sendToTarget(reject, sessionID)
            return
        for symbol in symbols:
            entries = [[(269, kind), (270, price), (271, size)] for kind, price, size in BOOK[symbol] if kind in types]
            # On FIXT.1.1 the snapshots name their application version (1128=9) although it is
            # the session default, as some venues do.
            header = [(1128, "9")] if sessionID.getBeginString().getValue() == "FIXT.1.1" else []
            snapshot = new_message("W", [(262, request_id), (55, symbol)], header=header, groups=[(268, 269, entries)])
            fix.Session.sendToTarget(snapshot, sessionID)
        if subscription == "1":
            for update in INCREMENTALS:
                entries = [[(279, action), (269, kind), (55, symbol), (270, price), (271, size)]
                           for action, kind, symbol, price, size in update if symbol in symbols and kind in types]
                if entries:
                    fix.Session.sendToTarget(new_message("X", [(262, request_id)], groups=[(268, 279, entries)]), sessionID)


def group_value(message, count_tag, index, tag):
    group = fix.Group(count_tag, 0)
    message.getGroup(index, group)
    return group.getField(tag)


# ---------------------------------------------------------------------------------------------
# Clients (initiators)


class Client(fix.Application):
    def __init__(self, recorder, credentials):
        super().__init__()
        self.recorder = recorder
        self.credentials = dict(credentials)   # tag -> value added to every Logon we send
        self.state = threading.Condition()
        self.received = []                      # (MsgType, message string) of application messages
        self.admin = []                         # MsgType of admin messages received
        self.logons = 0
        self.logouts = 0
        self.session_id = None

    def onCreate(self, sessionID):
        self.session_id = sessionID

    def onLogon(self, sessionID):
        with self.state:
            self.logons += 1
            self.state.notify_all()

    def onLogout(self, sessionID):
        with self.state:
            self.logouts += 1
            self.state.notify_all()

    def toAdmin(self, message, sessionID):
        if header_value(message, 35) == "A":
            for tag, value in self.credentials.items():
                if tag == "96":
                    message.setField(95, str(len(value)))
                message.setField(int(tag), value)
        self.recorder.record("to_server", message)

    def toApp(self, message, sessionID):
        self.recorder.record("to_server", message)

    def fromAdmin(self, message, sessionID):
        msg_type = header_value(message, 35)
        if msg_type == "5" and not fix.Session.lookupSession(sessionID).isLoggedOn():
            # Logon refused. Disable the session before QuickFIX disconnects, or the initiator
            # reconnects at once (its first reconnect ignores ReconnectInterval), before the
            # acceptor has released the session, and that connection is dropped unanswered.
            fix.Session.lookupSession(sessionID).logout()
        with self.state:
            self.admin.append(msg_type)
            self.state.notify_all()

    def fromApp(self, message, sessionID):
        with self.state:
            self.received.append((header_value(message, 35), message.toString()))
            self.state.notify_all()

    def wait(self, predicate, what, timeout=10):
        with self.state:
            if not self.state.wait_for(predicate, timeout):
                raise SystemExit(f"timed out waiting for {what}")

    def wait_received(self, count, what):
        self.wait(lambda: len(self.received) >= count, f"{count} application messages ({what})")

    def send(self, message):
        if not fix.Session.sendToTarget(message, self.session_id):
            raise SystemExit("sendToTarget failed")

    def session(self):
        return fix.Session.lookupSession(self.session_id)


# ---------------------------------------------------------------------------------------------
# Configuration


def session_section(begin, sender, target, extra=()):
    lines = ["[SESSION]", f"BeginString={begin}", f"SenderCompID={sender}", f"TargetCompID={target}"]
    directory = dictionary_dir()
    if begin == "FIXT.1.1":
        lines += ["DefaultApplVerID=FIX.5.0SP2",
                  f"TransportDataDictionary={directory}/FIXT11.xml",
                  f"AppDataDictionary={directory}/FIX50SP2.xml"]
    else:
        lines.append(f"DataDictionary={directory}/{begin.replace('.', '')}.xml")
    lines += [f"{key}={value}" for key, value in extra]
    return "\n".join(lines) + "\n"


COMMON = """StartTime=00:00:00
EndTime=00:00:00
HeartBtInt=30
UseDataDictionary=Y
ValidateUserDefinedFields=Y
ResetOnLogon=N
ResetOnLogout=N
ResetOnDisconnect=N
LogonTimeout=5
LogoutTimeout=5
"""

# (BeginString, client SenderCompID, extra session settings) for every session the broker knows
SESSIONS = [("FIX.4.4", "HUB01", ()), ("FIX.4.4", "MDFEED", ()), ("FIX.4.2", "BUY42", ()), ("FIXT.1.1", "BUY50", ()),
            ("FIX.4.4", "SPLIT01", ()), ("FIX.4.4", "DESKA", ())]


def settings_file(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as handle:
        handle.write(text)
    return fix.SessionSettings(path)


def start_broker(folder, port, recorder, log_dir, sessions):
    text = f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptHost={HOST}\nSocketAcceptPort={port}\n" \
           f"SocketReuseAddress=Y\n{COMMON}"
    for begin, client, extra in sessions:
        text += session_section(begin, BROKER, client, extra)
    settings = settings_file(folder, "acceptor.cfg", text)
    application = Broker(recorder)
    if log_dir:
        acceptor = fix.SocketAcceptor(application, fix.MemoryStoreFactory(), settings,
                                      fix.FileLogFactory(os.path.join(log_dir, "acceptor")))
    else:
        acceptor = fix.SocketAcceptor(application, fix.MemoryStoreFactory(), settings)
    acceptor.start()
    return application, acceptor


def start_client(folder, port, recorder, log_dir, begin, sender, credentials, reconnect=30, extra=()):
    text = f"[DEFAULT]\nConnectionType=initiator\nSocketConnectHost={HOST}\nSocketConnectPort={port}\n" \
           f"ReconnectInterval={reconnect}\nSocketNodelay=Y\n{COMMON}"
    text += session_section(begin, sender, BROKER, extra)
    settings = settings_file(folder, f"initiator-{sender}.cfg", text)
    application = Client(recorder, credentials)
    if log_dir:
        initiator = fix.SocketInitiator(application, fix.MemoryStoreFactory(), settings,
                                        fix.FileLogFactory(os.path.join(log_dir, sender)))
    else:
        initiator = fix.SocketInitiator(application, fix.MemoryStoreFactory(), settings)
    initiator.start()
    return application, initiator


def logout(client, reason=""):
    count = client.logouts
    client.session().logout(reason)
    client.wait(lambda: client.logouts > count, "logout")


def logon_again(client):
    """Re-enable a logged-out initiator session. QuickFIX calls onLogout before the initiator has
    dropped the old socket, and that socket's timer still drives the session: enabling it at once
    lets QuickFIX "send" a Logon with no connection (it takes a MsgSeqNum and the broker later asks
    for it with a ResendRequest). Half a second is ample for the old socket to go."""
    time.sleep(0.5)
    client.session().logon()


# ---------------------------------------------------------------------------------------------
# Scenarios


def order(cl_ord_id, account, symbol, side, qty, ord_type, price=None, header=(), parties=(), begin="FIX.4.4",
          sub_id="DESK1"):
    body = [(11, cl_ord_id), (1, account), (55, symbol), (54, side), (38, qty), (40, ord_type), (60, utc_now()),
            (59, "0")]
    if price:
        body.append((44, price))
    if begin == "FIX.4.2":
        body.append((21, "1"))
    groups = [(453, 448, [[(448, pid), (447, source), (452, role)] for pid, source, role in parties])] if parties else []
    return new_message("D", body, header=[(50, sub_id)] + list(header), groups=groups)


def hop(client):
    """A NoHops group: the hub as the one hop, with the sequence number it received."""
    return [(115, client[0]), (116, client[1])], [(628, "HUB01"), (630, client[2])]


def with_hops(message, hops):
    group = fix.Group(627, 628)
    for tag, value in hops:
        group.setField(tag, value)
    message.getHeader().addGroup(group)
    return message


def scenario_trading(folder, port, recorder, log_dir):
    broker, acceptor = start_broker(folder, port, recorder, log_dir, SESSIONS)
    client, initiator = start_client(folder, port, recorder, log_dir, "FIX.4.4", "HUB01", CREDENTIALS["HUB01"],
                                     reconnect=1)
    client.wait(lambda: client.logons >= 1, "logon")
    got = 0

    def place(message, replies, what):
        nonlocal got
        client.send(message)
        got += replies
        client.wait_received(got, what)

    place(order("HUB-0001", "ACC-1001", "AAPL", "1", "100", "2", "189.50"), 2, "AAPL fill")
    routing, hops = hop(("CLIENT-A", "TRADER-7", "41"))
    place(with_hops(order("HUB-0002", "ACC-2002", "MSFT", "2", "250", "2", "415.25", header=routing), hops),
          2, "MSFT fill")
    place(order("HUB-0003", "ACC-3003", "IBM", "1", "50", "1", header=[(115, "CLIENT-B"), (116, "TRADER-2")]),
          2, "IBM market fill")
    routing, hops = hop(("CLIENT-A", "TRADER-9", "44"))
    place(with_hops(order("HUB-0004", "ACC-4004", "VOD.L", "1", "1000", "2", "72.10", header=routing,
                          parties=[("TRADER-9", "D", "11"), ("CLEARCO", "D", "4"), ("ACC-4004", "D", "24")]), hops),
          2, "VOD.L fill")
    place(order("HUB-0005", "ACC-1001", "GOOG", "1", "20", "2", "120.00", header=[(128, "DOWNSTREAM-X")]),
          1, "GOOG resting")
    cancel = new_message("F", [(11, "HUB-0006"), (41, "HUB-0005"), (1, "ACC-1001"), (55, "GOOG"), (54, "1"),
                               (38, "20"), (60, utc_now())], header=[(50, "DESK1"), (128, "DOWNSTREAM-X")])
    place(cancel, 1, "cancel confirmation")
    # Sequence gap: the hub sends a TestRequest, gets the Heartbeat (seq k), then "loses" it by
    # setting its expected incoming number back to k. The next Heartbeat (k+1) is too high, so the
    # hub sends ResendRequest(7=k, 16=0); the broker's messages k and k+1 are both admin messages,
    # so QuickFIX answers with one SequenceReset-GapFill (34=k, 43=Y, 123=Y, 36=k+2).
    heartbeats = client.admin.count("0")
    client.send(new_message("1", [(112, "TEST-0001")]))
    client.wait(lambda: client.admin.count("0") > heartbeats, "heartbeat")
    client.session().setNextTargetMsgSeqNum(client.session().getExpectedTargetNum() - 1)
    client.send(new_message("1", [(112, "TEST-0002")]))
    client.wait(lambda: "4" in client.admin, "gap fill")
    logout(client, "End of session")
    logon_again(client)
    client.wait(lambda: client.logons >= 2, "second logon")
    place(order("HUB-0007", "ACC-2002", "MSFT", "1", "10", "2", "416.00", header=[(115, "CLIENT-B"), (116, "TRADER-2")],
                parties=[("TRADER-2", "D", "11"), ("CLEARCO", "D", "4")]), 2, "MSFT fill after re-logon")
    logout(client)
    initiator.stop()
    acceptor.stop()
    return ("FIX.4.4 hub session HUB01->BROKER: Logon 553/554, 6 NewOrderSingle for 4 accounts "
            "(115/116 + NoHops on some, 128 on one, Parties on two), New+Fill ExecutionReports with 128/129 "
            "return routing, a resting order cancelled (35=F), TestRequest/Heartbeat, the hub drops a Heartbeat "
            "(expected seq set back) so it sends 35=2 and gets 35=4 123=Y, Logout, re-Logon on a new TCP "
            "connection, one more order, Logout")


def md_request(request_id, subscription, symbols, types, depth="0"):
    body = [(262, request_id), (263, subscription), (264, depth)]
    if subscription == "1":
        body.append((265, "1"))
    return new_message("V", body, groups=[(267, 269, [[(269, kind)] for kind in types]),
                                          (146, 55, [[(55, symbol)] for symbol in symbols])])


def scenario_marketdata(folder, port, recorder, log_dir):
    broker, acceptor = start_broker(folder, port, recorder, log_dir, SESSIONS)
    client, initiator = start_client(folder, port, recorder, log_dir, "FIX.4.4", "MDFEED", CREDENTIALS["MDFEED"])
    client.wait(lambda: client.logons >= 1, "logon")
    client.send(md_request("MD-1001", "1", ["AAPL", "MSFT", "IBM"], ["0", "1", "2"], depth="5"))
    client.wait_received(3 + len(INCREMENTALS), "3 snapshots and 4 incrementals")
    client.send(md_request("MD-1002", "1", ["TSLA"], ["0", "1", "2"]))
    client.wait_received(8, "reject")
    client.send(md_request("MD-1003", "0", ["EUR/USD"], ["0", "1"], depth="1"))
    client.wait_received(9, "EUR/USD snapshot")
    client.send(md_request("MD-1001", "2", ["AAPL", "MSFT", "IBM"], ["0", "1", "2"], depth="5"))
    logout(client)
    initiator.stop()
    acceptor.stop()
    return ("FIX.4.4 market data MDFEED->BROKER: Logon 553/554; V MD-1001 (3 symbols in 146, entry types 0/1/2 "
            "in 267, snapshot+updates) -> 3 W with 268 groups + 4 X; V MD-1002 for TSLA -> Y 281=3; "
            "V MD-1003 EUR/USD snapshot -> W; unsubscribe MD-1001 (263=2); Logout")


def scenario_bad_logon(folder, port, recorder, log_dir):
    sessions = [(begin, client, (("ResetOnLogon", "Y"),) if client == "HUB01" else extra)
                for begin, client, extra in SESSIONS]
    broker, acceptor = start_broker(folder, port, recorder, log_dir, sessions)
    wrong = dict(CREDENTIALS["HUB01"], **{"554": "Hub01-pw-2023"})
    client, initiator = start_client(folder, port, recorder, log_dir, "FIX.4.4", "HUB01", wrong, reconnect=1,
                                     extra=(("ResetOnLogon", "Y"),))
    client.wait(lambda: "5" in client.admin and client.logouts >= 1, "logon rejection")
    client.credentials = dict(CREDENTIALS["HUB01"])
    logon_again(client)
    client.wait(lambda: client.logons >= 1, "logon with the right password")
    logout(client)
    initiator.stop()
    acceptor.stop()
    return ("FIX.4.4 HUB01->BROKER with ResetSeqNumFlag 141=Y: Logon with a wrong password -> Logout "
            "'Invalid username or password' and disconnect (the hub's answering Logout reaches a closed "
            "socket, so that connection ends in a RST); a new TCP connection with the right password -> "
            "Logon accepted; Logout")


def scenario_fix42_fixt11(folder, port, recorder, log_dir):
    broker, acceptor = start_broker(folder, port, recorder, log_dir, SESSIONS)
    client, initiator = start_client(folder, port, recorder, log_dir, "FIX.4.2", "BUY42", CREDENTIALS["BUY42"])
    client.wait(lambda: client.logons >= 1, "FIX.4.2 logon")
    client.send(order("B42-0001", "ACC-4201", "BARC.L", "1", "500", "2", "215.40", begin="FIX.4.2", sub_id="PT1"))
    client.wait_received(2, "FIX.4.2 fill")
    client.send(order("B42-0002", "ACC-4202", "BARC.L", "2", "300", "1", begin="FIX.4.2", sub_id="PT1"))
    client.wait_received(4, "FIX.4.2 market fill")
    logout(client)
    initiator.stop()
    client, initiator = start_client(folder, port, recorder, log_dir, "FIXT.1.1", "BUY50", CREDENTIALS["BUY50"])
    client.wait(lambda: client.logons >= 1, "FIXT.1.1 logon")
    client.send(order("B50-0001", "ACC-5001", "SAP.DE", "1", "40", "2", "182.60", begin="FIXT.1.1", sub_id="PM3"))
    client.wait_received(2, "FIX.5.0SP2 fill")
    client.send(order("B50-0002", "ACC-5002", "AAPL", "2", "15", "2", "189.50", begin="FIXT.1.1", sub_id="PM3"))
    client.wait_received(4, "FIX.5.0SP2 fill")
    client.send(md_request("MD-5001", "0", ["AAPL", "MSFT"], ["0", "1"], depth="1"))
    client.wait_received(6, "two FIX.5.0SP2 snapshots")
    logout(client)
    initiator.stop()
    acceptor.stop()
    return ("FIX.4.2 BUY42->BROKER (Logon with RawData 95/96 credential, 2 orders with HandlInst 21, "
            "ExecutionReports with ExecTransType 20) then FIXT.1.1/FIX.5.0SP2 BUY50->BROKER (Logon 553/554 "
            "with DefaultApplVerID 1137=9, 2 orders, snapshot-only V for 2 symbols -> 2 W with ApplVerID 1128=9), "
            "each ending in Logout")


def scenario_dozen_accounts(folder, port, recorder, log_dir):
    """Detection scenario: one session placing orders for twelve accounts (an account-splitting back-end)."""
    broker, acceptor = start_broker(folder, port, recorder, log_dir, SESSIONS)
    client, initiator = start_client(folder, port, recorder, log_dir, "FIX.4.4", "SPLIT01", CREDENTIALS["SPLIT01"])
    client.wait(lambda: client.logons >= 1, "logon")
    for index in range(12):
        symbol = ("AAPL", "MSFT", "IBM")[index % 3]
        client.send(order(f"SPL-{index + 1:04d}", f"SUB-{index + 1:02d}", symbol, "1", str(100 + 10 * index), "2",
                          f"{REFERENCE[symbol]:.2f}", sub_id="BOOK1"))
        client.wait_received(2 * (index + 1), f"fill {index + 1}")
    logout(client)
    initiator.stop()
    acceptor.stop()
    return ("FIX.4.4 SPLIT01->BROKER: Logon 553/554, 12 NewOrderSingle for twelve accounts SUB-01..SUB-12 (one each, "
            "marketable limits on AAPL, MSFT, IBM) with New+Fill ExecutionReports, Logout")


def scenario_clean_desk(folder, port, recorder, log_dir):
    """Detection scenario: a registered session trading its registered accounts."""
    broker, acceptor = start_broker(folder, port, recorder, log_dir, SESSIONS)
    client, initiator = start_client(folder, port, recorder, log_dir, "FIX.4.4", "DESKA", CREDENTIALS["DESKA"])
    client.wait(lambda: client.logons >= 1, "logon")
    client.send(order("DSK-0001", "DESK-ACC-1", "AAPL", "1", "100", "2", "189.50", sub_id="PM1"))
    client.wait_received(2, "AAPL fill")
    client.send(order("DSK-0002", "DESK-ACC-2", "MSFT", "2", "40", "2", "415.25", sub_id="PM1"))
    client.wait_received(4, "MSFT fill")
    client.send(order("DSK-0003", "DESK-ACC-1", "IBM", "1", "60", "2", "171.10", sub_id="PM1"))
    client.wait_received(6, "IBM fill")
    logout(client)
    initiator.stop()
    acceptor.stop()
    return ("FIX.4.4 DESKA->BROKER: Logon 553/554, 3 NewOrderSingle for the session's two registered accounts "
            "DESK-ACC-1 and DESK-ACC-2 with New+Fill ExecutionReports, Logout")


def scenario_order_bursts(folder, port, recorder, log_dir):
    """Detection scenario: a registered desk account firing bursts of orders (programmatic trading)."""
    broker, acceptor = start_broker(folder, port, recorder, log_dir, SESSIONS)
    client, initiator = start_client(folder, port, recorder, log_dir, "FIX.4.4", "DESKA", CREDENTIALS["DESKA"])
    client.wait(lambda: client.logons >= 1, "logon")
    sent = 0
    for burst in range(3):
        # Six orders back to back (well within one second), then wait for their fills and pause.
        for index in range(6):
            sent += 1
            symbol = ("AAPL", "MSFT", "IBM")[index % 3]
            client.send(order(f"BST-{sent:04d}", "DESK-ACC-1", symbol, "1", "10", "2", f"{REFERENCE[symbol]:.2f}",
                              sub_id="ALGO1"))
        client.wait_received(2 * sent, f"fills of burst {burst + 1}")
        time.sleep(1.5)
    logout(client)
    initiator.stop()
    acceptor.stop()
    return ("FIX.4.4 DESKA->BROKER: Logon 553/554, three bursts of 6 NewOrderSingle for the registered account "
            "DESK-ACC-1 sent back to back (each burst well within one second, 1.5 s apart) with New+Fill "
            "ExecutionReports, Logout")


# Messages per MsgType each scenario must produce; anything else (a race inside QuickFIX, an extra
# Heartbeat) makes `run` exit with status 4 so that record-fix.sh records again.
EXPECTED = {
    "trading": {"0": 2, "1": 2, "2": 1, "4": 1, "5": 4, "8": 12, "A": 4, "D": 6, "F": 1},
    "marketdata": {"5": 2, "A": 2, "V": 4, "W": 4, "X": 4, "Y": 1},
    "bad-logon": {"5": 4, "A": 3},
    "fix42-fixt11": {"5": 4, "8": 8, "A": 4, "D": 4, "V": 1, "W": 2},
    "dozen-accounts": {"5": 2, "8": 24, "A": 2, "D": 12},
    "clean-desk": {"5": 2, "8": 6, "A": 2, "D": 3},
    "order-bursts": {"5": 2, "8": 36, "A": 2, "D": 18},
}

SCENARIOS = {"trading": scenario_trading, "marketdata": scenario_marketdata, "bad-logon": scenario_bad_logon,
             "fix42-fixt11": scenario_fix42_fixt11, "dozen-accounts": scenario_dozen_accounts,
             "clean-desk": scenario_clean_desk, "order-bursts": scenario_order_bursts}


# ---------------------------------------------------------------------------------------------
# Verification against the capture


def tcp_streams(pcap, port):
    """{stream: {"client": (ip, port), "server": (ip, port), "to_server": bytes, "to_client": bytes}}."""
    command = ["tshark", "-r", pcap, "-o", "tcp.desegment_tcp_streams:FALSE", "-T", "fields", "-E", "separator=\t",
               "-e", "tcp.stream", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport",
               "-e", "tcp.flags.syn", "-e", "tcp.flags.ack", "-e", "tcp.seq", "-e", "tcp.payload"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    streams = collections.OrderedDict()
    for line in output.splitlines():
        stream, src, sport, dst, dport, syn, ack, seq, payload = line.split("\t")
        entry = streams.setdefault(int(stream), {"to_server": {}, "to_client": {}})
        direction = "to_server" if int(dport) == port else "to_client"
        if direction == "to_server":
            entry["client"], entry["server"] = (src, int(sport)), (dst, int(dport))
        if syn == "1" and ack == "0":
            entry["syn"] = True
        if payload:
            entry[direction][int(seq)] = bytes.fromhex(payload.replace(":", ""))  # same seq = retransmission
    for entry in streams.values():
        for direction in ("to_server", "to_client"):
            segments = entry[direction]
            entry[direction] = b"".join(segments[seq] for seq in sorted(segments))  # no wrap in small captures
    return streams


def verify(pcap, truth_path, port, out_path):
    with open(truth_path) as handle:
        truth = json.load(handle)
    streams = [entry for entry in tcp_streams(pcap, port).values()]
    if len(streams) != len(truth["connections"]):
        raise SystemExit(f"{pcap}: {len(streams)} TCP connections, truth has {len(truth['connections'])}")
    for index, (entry, connection) in enumerate(zip(streams, truth["connections"])):
        if not entry.get("syn"):
            raise SystemExit(f"{pcap}: connection {index} has no SYN")
        for direction in ("to_server", "to_client"):
            expected = "".join(m["raw"] for m in truth["messages"]
                               if m["connection"] == index and m["direction"] == direction)
            actual = redact_stream(entry[direction].decode("latin-1"))
            if actual != expected:
                raise SystemExit(f"{pcap}: connection {index} {direction}: wire bytes differ from the truth\n"
                                 f"wire:  {actual[:400]!r}\ntruth: {expected[:400]!r}")
        connection["client"] = f"{entry['client'][0]}:{entry['client'][1]}"
        connection["server"] = f"{entry['server'][0]}:{entry['server'][1]}"
        connection["bytes_to_server"] = len(entry["to_server"])
        connection["bytes_to_client"] = len(entry["to_client"])
    truth["capture"] = os.path.basename(out_path).replace(".truth.json", ".pcap")
    truth["verified"] = "TCP payload per connection and direction equals the concatenated raw messages (after redaction)"
    with open(out_path, "w") as handle:
        json.dump(truth, handle, indent=1)
        handle.write("\n")
    print(f"{truth['capture']}: {truth['message_count']} messages on {len(streams)} connection(s) verified against the wire")


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    probe = commands.add_parser("probe", help="exit 0 if PORT is free on 127.0.0.1, 3 if not")
    probe.add_argument("port", type=int)
    run = commands.add_parser("run", help="play a scenario and write its ground truth")
    run.add_argument("scenario", choices=sorted(SCENARIOS))
    run.add_argument("--port", type=int, required=True)
    run.add_argument("--truth", required=True)
    run.add_argument("--log", help="folder for QuickFIX FileLogs (default: no logs)")
    check = commands.add_parser("verify", help="check a pcap against a truth file and add the TCP endpoints")
    check.add_argument("--pcap", required=True)
    check.add_argument("--truth", required=True)
    check.add_argument("--port", type=int, required=True)
    check.add_argument("--out", required=True)
    args = parser.parse_args()

    if args.command == "probe":
        with socket.socket() as sock:
            try:
                sock.bind((HOST, args.port))
            except OSError:
                sys.exit(3)
        return
    if args.command == "verify":
        verify(args.pcap, args.truth, args.port, args.out)
        return
    recorder = Recorder()
    with tempfile.TemporaryDirectory(prefix="quickfix-") as folder:
        if args.log:
            os.makedirs(args.log, exist_ok=True)
        try:
            description = SCENARIOS[args.scenario](folder, args.port, recorder, args.log)
        except fix.ConfigError as error:
            print(f"QuickFIX configuration error: {error}", file=sys.stderr)
            sys.exit(3 if "bind" in str(error).lower() or "address" in str(error).lower() else 1)
        except fix.RuntimeError as error:
            print(f"QuickFIX runtime error: {error}", file=sys.stderr)
            sys.exit(3 if "bind" in str(error).lower() or "address" in str(error).lower() else 1)
    with recorder.lock:
        truth = recorder.truth(args.scenario, description)
    with open(args.truth, "w") as handle:
        json.dump(truth, handle, indent=1)
        handle.write("\n")
    print(f"{args.scenario}: {truth['message_count']} messages, {dict(truth['counts']['total'])}")
    if truth["counts"]["total"] != EXPECTED[args.scenario]:
        print(f"{args.scenario}: expected {EXPECTED[args.scenario]}", file=sys.stderr)
        sys.exit(4)


if __name__ == "__main__":
    main()
