"""A fake TdxTradeServer (the HTTP wrapper around trade.dll, section 2.3 of the notes) for the
real pytdx trade client (pytdx.trade.TdxTradeApi).

A minimal HTTP/1.1 server on 127.0.0.1 (keep-alive, Content-Length bodies, one thread per
connection) answering POST /api with JSON {"success": bool, "data" | "error"}. With a key and
IV it speaks the wrapper's optional transport encryption as pytdx does: the JSON is zero-padded
to 16 bytes, AES-128-CBC encrypted, base64-encoded (76-character lines) and URL-encoded, in both
directions. Accounts, balances and orders are fictional; nothing is forwarded anywhere.

Every request and response is recorded with its stream offset, start line, headers and the JSON
(decrypted when encrypted), the password parameters replaced by "<redacted>" (their clear values
are listed as the truth's "secrets": a decoder must never print them).
"""
import base64
import json
import socket
import threading
import urllib.parse

HOST = "127.0.0.1"
PASSWORD_PARAMS = ("jy_password", "tx_password")
HOLDINGS = {"600519": ("贵州茅台", 1452.01), "000001": ("平安银行", 11.52), "300750": ("宁德时代", 375.2)}


class HttpError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Transport encryption (pytdx trade.py's scheme)


class Transport:
    """Plain JSON, or AES-128-CBC + zero padding + base64 + URL encoding when KEY is given."""

    def __init__(self, key=None, iv=None):
        self.key, self.iv = key, iv

    @property
    def encrypted(self):
        return self.key is not None

    def _cipher(self):
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        return Cipher(algorithms.AES(self.key), modes.CBC(self.iv))

    def decode(self, body):
        """(JSON object, ciphertext length or None) of a request or response body."""
        if not self.encrypted:
            return json.loads(body.decode("utf-8")), None
        ciphertext = base64.decodebytes(urllib.parse.unquote(body.decode("ascii")).encode("ascii"))
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(ciphertext) + decryptor.finalize()
        return json.loads(plain.rstrip(b"\0").decode("utf-8")), len(ciphertext)

    def encode(self, obj):
        text = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        if not self.encrypted:
            return text
        text += b"\0" * (16 - len(text) % 16)
        encryptor = self._cipher().encryptor()
        ciphertext = encryptor.update(text) + encryptor.finalize()
        return urllib.parse.quote(base64.encodebytes(ciphertext)).encode("ascii")


def redacted(obj):
    """OBJ with the password parameters replaced by "<redacted>"."""
    if isinstance(obj, dict):
        return {key: "<redacted>" if key in PASSWORD_PARAMS else redacted(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [redacted(value) for value in obj]
    return obj


# ---------------------------------------------------------------------------------------------
# HTTP messages


def split_message(buffer):
    """(head bytes, body bytes, total length) of the first complete message, or None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buffer[:end].decode("latin-1")
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    total = end + 4 + length
    if len(buffer) < total:
        return None
    return buffer[:end + 4], buffer[end + 4:total], total


def describe_message(direction, offset, head, body, transport):
    """The truth entry of one HTTP message (JSON decrypted when encrypted; passwords redacted)."""
    lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    headers = [[name.strip(), value.strip()] for name, _, value in (line.partition(":") for line in lines[1:])]
    entry = {"direction": direction, "offset": offset, "length": len(head) + len(body), "start_line": lines[0],
             "headers": headers, "body_length": len(body), "encrypted": transport.encrypted}
    obj, ciphertext = transport.decode(body)
    if ciphertext is not None:
        entry["ciphertext_length"] = ciphertext
    if direction == "to_server":
        entry["func"] = obj.get("func")
        entry["params"] = redacted(obj.get("params"))
    else:
        entry["json"] = obj
    return entry


def parse_stream(direction, data, transport):
    """Truth entries of every HTTP message in one direction's byte stream (HttpError when bytes
    are left over)."""
    entries = []
    offset = 0
    while offset < len(data):
        parts = split_message(data[offset:])
        if parts is None:
            raise HttpError(f"{direction}: {len(data) - offset} bytes after the last complete message")
        head, body, total = parts
        entries.append(describe_message(direction, offset, head, body, transport))
        offset += total
    return entries


# ---------------------------------------------------------------------------------------------
# The API


class Accounts:
    """Fictional trade.dll state: logged-on clients and their orders."""

    def __init__(self):
        self.lock = threading.Lock()
        self.clients = {}
        self.next_client = 1
        self.next_order = 10001

    def call(self, func, params):
        handler = getattr(self, "do_" + str(func), None)
        if handler is None:
            return {"success": False, "error": f"unknown func {func}"}
        with self.lock:
            return handler(params or {})

    def do_ping(self, params):
        return {"success": True, "data": "pong"}

    def do_logon(self, params):
        client_id = self.next_client
        self.next_client += 1
        self.clients[client_id] = params.get("account_no")
        return {"success": True, "data": {"client_id": client_id}}

    def do_logoff(self, params):
        found = self.clients.pop(params.get("client_id"), None) is not None
        return {"success": found} if found else {"success": False, "error": "client_id not logged on"}

    def do_query_data(self, params):
        account = self.clients.get(params.get("client_id"))
        if account is None:
            return {"success": False, "error": "client_id not logged on"}
        if params.get("category") == 0:
            return {"success": True, "data": [{"资金帐号": account, "币种": "0", "资金余额": "200000.00",
                                                "可用资金": "153210.55", "冻结资金": "0.00", "总资产": "412874.30"}]}
        rows = [{"证券代码": code, "证券名称": name, "证券数量": "300", "可卖数量": "300",
                 "成本价": f"{price * 0.97:.3f}", "当前价": f"{price:.3f}", "股东代码": gddm(code)}
                for code, (name, price) in HOLDINGS.items()]
        return {"success": True, "data": rows}

    def do_get_quote(self, params):
        code = params.get("code", "")
        name, price = HOLDINGS.get(code, ("", 10.0))
        return {"success": True, "data": [{"证券代码": code, "证券名称": name, "昨收价": f"{price:.2f}",
                                            "当前价": f"{price * 1.01:.2f}", "买一价": f"{price * 1.009:.2f}",
                                            "卖一价": f"{price * 1.011:.2f}"}]}

    def do_send_order(self, params):
        if params.get("client_id") not in self.clients:
            return {"success": False, "error": "client_id not logged on"}
        order = self.next_order
        self.next_order += 1
        return {"success": True, "data": [{"委托编号": str(order), "返回信息": "", "检查风险标志": ""}]}

    def do_cancel_order(self, params):
        return {"success": True, "data": [{"返回信息": f"撤单成功 {params.get('hth')}"}]}


def gddm(code):
    """A fictional shareholder code (Shanghai codes A..., Shenzhen 0...)."""
    return "A123456789" if code.startswith("6") else "0123456789"


# ---------------------------------------------------------------------------------------------
# The server


class TradeServer:
    """The listening socket; each connection records its messages into the shared recorder."""

    def __init__(self, recorder, transport, port=0):
        self.recorder = recorder
        self.transport = transport
        self.accounts = Accounts()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.socks = []
        threading.Thread(target=self.accept_loop, daemon=True, name="http-accept").start()

    def accept_loop(self):
        while True:
            try:
                sock, peer = self.listener.accept()
            except OSError:
                return
            self.socks.append(sock)
            record = self.recorder.open("http", self.port, peer)
            threading.Thread(target=self.serve, args=(sock, record), daemon=True).start()

    def serve(self, sock, record):
        buffer, received, sent = b"", 0, 0
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return
                buffer += data
                while (parts := split_message(buffer)) is not None:
                    head, body, total = parts
                    request = describe_message("to_server", received, head, body, self.transport)
                    self.recorder.add(record, request)
                    buffer, received = buffer[total:], received + total
                    response = self.respond(request, body)
                    response_head, response_body, _ = split_message(response)
                    self.recorder.add(record, describe_message("to_client", sent, response_head, response_body,
                                                               self.transport))
                    sent += len(response)
                    sock.sendall(response)
        except OSError:
            return
        finally:
            sock.close()

    def respond(self, request, body):
        if not request["start_line"].startswith("POST /api "):
            payload, status = {"success": False, "error": "not found"}, "404 Not Found"
        else:
            obj, _ = self.transport.decode(body)
            payload, status = self.accounts.call(obj.get("func"), obj.get("params")), "200 OK"
        content = self.transport.encode(payload)
        kind = "text/plain" if self.transport.encrypted else "application/json; charset=utf-8"
        head = (f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(content)}\r\n"
                "Connection: keep-alive\r\n\r\n")
        return head.encode("ascii") + content

    def stop(self):
        self.listener.close()
        for sock in self.socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
