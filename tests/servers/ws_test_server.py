#!/usr/bin/python3
"""A scripted SIP-over-WebSocket server for sipworker's WebSocket tests (Python standard library only).

It is a minimal registrar (every REGISTER gets 200 OK, no authentication) that misbehaves on
demand, so the client's handling of hostile or broken servers can be tested:

  registrar       well-behaved: 200 OK to REGISTER, pong to ping
  close:CODE      after the first 200 OK of the first connection, a close frame with CODE and
                  the reason "test close"; later connections are well-behaved (reconnection tests)
  bad-frame       after the 200 OK, a frame with reserved bits and a reserved opcode set
  oversized       after the 200 OK, a 200 KiB text message (larger than any SIP message)
  broken-sip      before the 200 OK, three messages that are not SIP ("hello", a response
                  without Via, a header line without a colon); the 200 OK then follows
  no-subprotocol  completes the upgrade without choosing the "sip" subprotocol
  not-websocket   answers the upgrade with HTTP 404

Listens on 127.0.0.1 only. Prints "listening PORT" once ready (port 0 = any free port), then
serves connections until killed. --cert/--key make it a wss:// server.
"""
import argparse
import base64
import hashlib
import os
import socket
import ssl
import struct
import sys
import threading

DEBUG = bool(os.environ.get("SIPW_WS_SERVER_DEBUG"))
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def read_http_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    headers = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def read_frame(conn):
    b0, b1 = recv_exact(conn, 2)
    opcode = b0 & 0x0F
    length = b1 & 0x7F
    if length == 126:
        length = struct.unpack("!H", recv_exact(conn, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", recv_exact(conn, 8))[0]
    mask = recv_exact(conn, 4) if b1 & 0x80 else b"\0\0\0\0"
    payload = bytearray(recv_exact(conn, length))
    for i in range(len(payload)):
        payload[i] ^= mask[i % 4]
    return opcode, bytes(payload)


def frame(opcode, payload, first_byte=None):
    b0 = first_byte if first_byte is not None else 0x80 | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", b0, n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 126, n)
    else:
        head = struct.pack("!BBQ", b0, 127, n)
    return head + payload


def ok_for_register(request):
    """200 OK mirroring the REGISTER's dialog headers and Contact."""
    lines = request.split("\r\n")
    keep = []
    contact = None
    expires = "600"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        lname = name.strip().lower()
        if lname in ("via", "v", "from", "f", "call-id", "i", "cseq"):
            keep.append(line)
        elif lname in ("to", "t"):
            keep.append(line + ";tag=wstest")
        elif lname in ("contact", "m"):
            contact = value.strip()
        elif lname == "expires":
            expires = value.strip()
    if contact and contact != "*":
        keep.append("Contact: %s;expires=%s" % (contact, expires))
    return "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"


class Server:
    def __init__(self, behaviour, tls_context):
        self.behaviour = behaviour
        self.tls_context = tls_context
        self.connections = 0
        self.lock = threading.Lock()

    def handshake(self, conn):
        headers = read_http_request(conn)
        if headers is None:
            return False
        if self.behaviour == "not-websocket":
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        key = headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        response = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: %s\r\n" % accept)
        if self.behaviour != "no-subprotocol" and "sip" in headers.get("sec-websocket-protocol", ""):
            response += "Sec-WebSocket-Protocol: sip\r\n"
        conn.sendall((response + "\r\n").encode())
        return True

    def serve(self, conn):
        with self.lock:
            self.connections += 1
            number = self.connections
        try:
            if self.tls_context:
                conn = self.tls_context.wrap_socket(conn, server_side=True)
            if not self.handshake(conn):
                return
            while True:
                opcode, payload = read_frame(conn)
                if opcode == 0x8:  # close: echo it and stop
                    conn.sendall(frame(0x8, payload[:2]))
                    return
                if opcode == 0x9:  # ping
                    conn.sendall(frame(0xA, payload))
                    continue
                if opcode not in (0x1, 0x2):
                    continue
                text = payload.decode("utf-8", "replace")
                if DEBUG:
                    print("<<<", text, file=sys.stderr, flush=True)
                if not text.startswith("REGISTER "):
                    continue
                if self.behaviour == "broken-sip":
                    for junk in ("hello",
                                 "SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n",
                                 "SIP/2.0 200 OK\r\nVia SIP/2.0/WS x.invalid\r\n\r\n"):
                        conn.sendall(frame(0x1, junk.encode()))
                conn.sendall(frame(0x1, ok_for_register(text).encode()))
                if self.behaviour.startswith("close:") and number == 1:
                    code = int(self.behaviour.split(":", 1)[1])
                    conn.sendall(frame(0x8, struct.pack("!H", code) + b"test close"))
                    return
                if self.behaviour == "bad-frame":
                    conn.sendall(frame(0x3, b"junk", first_byte=0xF3))  # RSV1-3 and opcode 3: both reserved
                if self.behaviour == "oversized":
                    conn.sendall(frame(0x1, b"X" * (200 * 1024)))
        except (ConnectionError, OSError, ssl.SSLError, struct.error):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--behaviour", default="registrar")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()

    tls_context = None
    if args.cert:
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(args.cert, args.key)
    server = Server(args.behaviour, tls_context)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(8)
    print("listening %d" % listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=server.serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
