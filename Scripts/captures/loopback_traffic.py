#!/usr/bin/env python3
"""Loopback TCP traffic for record-loopback.sh (standard library only).

    loopback_traffic.py probe HOST PORT        exit 0 if HOST:PORT can be bound, 3 if busy
    loopback_traffic.py MODE HOST PORT         run a server and a client on HOST:PORT

MODE is "conversation" (three short request/response exchanges, clean close by the client)
or "bulk" (256 KiB client -> server, then 192 KiB server -> client, clean close, with the
MSS set to 1448 on both sockets so segments look like Ethernet ones rather than 64 KiB).
Contents are deterministic (seeded); timing and sequence numbers are the kernel's.
Exit status 3 means the port was busy (the caller picks another one).
"""
import random
import socket
import sys
import threading

REQUESTS = [b"QUOTE AAPL\n", b"QUOTE MSFT\n", b"ORDER BUY 100 AAPL LIMIT 187.25\n"]


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


BULK_MSS = 1448


def listener(host, port, mss=None):
    server = socket.socket(family(host), socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mss:
        server.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    try:
        server.bind((host, port))
    except OSError:
        sys.exit(3)
    server.listen(1)
    return server


def receive_all(connection):
    chunks = []
    while True:
        data = connection.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def receive_line(connection):
    line = b""
    while not line.endswith(b"\n"):
        data = connection.recv(1)
        if not data:
            break
        line += data
    return line


def serve(server, mode, errors):
    try:
        connection, _ = server.accept()
        with connection:
            if mode == "conversation":
                for index in range(len(REQUESTS)):
                    request = receive_line(connection)
                    reply = b"OK " + request.strip() + b" " + bytes(str(index) * 150, "ascii") + b"\n"
                    connection.sendall(reply)
                if receive_all(connection) != b"":
                    errors.append("unexpected bytes after the last request")
            else:
                received = receive_all(connection)
                if received != payload(256 * 1024, 1):
                    errors.append("bulk upload differs")
                send_in_chunks(connection, payload(192 * 1024, 2))
    except Exception as error:  # noqa: BLE001 - reported to the caller
        errors.append(repr(error))


def send_in_chunks(connection, data):
    """Sends with Nagle off in writes of 100-1400 bytes, so most segments stay small even though
    loopback hands tcpdump GSO super-packets when data piles up."""
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    generator = random.Random(len(data))
    offset = 0
    while offset < len(data):
        size = generator.randint(100, 1400)
        connection.sendall(data[offset:offset + size])
        offset += size


def payload(size, seed):
    generator = random.Random(seed)
    return bytes(generator.getrandbits(8) for _ in range(size))


def run(mode, host, port):
    mss = BULK_MSS if mode == "bulk" else None
    server = listener(host, port, mss)
    errors = []
    thread = threading.Thread(target=serve, args=(server, mode, errors))
    thread.start()
    with socket.socket(family(host), socket.SOCK_STREAM) as client:
        client.settimeout(10)
        if mss:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
        client.connect((host, port))
        if mode == "conversation":
            for request in REQUESTS:
                client.sendall(request)
                if not receive_line(client).startswith(b"OK"):
                    errors.append("bad reply")
            client.shutdown(socket.SHUT_WR)
            receive_all(client)
        else:
            send_in_chunks(client, payload(256 * 1024, 1))
            client.shutdown(socket.SHUT_WR)
            if receive_all(client) != payload(192 * 1024, 2):
                errors.append("bulk download differs")
    thread.join(10)
    server.close()
    if errors:
        print("traffic errors: " + "; ".join(errors), file=sys.stderr)
        sys.exit(1)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "probe":
        listener(host, port).close()
    elif mode in ("conversation", "bulk"):
        run(mode, host, port)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
