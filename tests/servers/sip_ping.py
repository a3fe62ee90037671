#!/usr/bin/python3
"""Readiness probe: send SIP OPTIONS over UDP until the server answers.

Usage: sip_ping.py [HOST [PORT [TIMEOUT_S]]]   (defaults 127.0.0.1 5060 15)
Exit 0 and print the status line and the wait time once any SIP response
arrives; exit 1 after TIMEOUT_S without one. Standard library only.
"""
import random
import socket
import sys
import time

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = int(sys.argv[2]) if len(sys.argv) > 2 else 5060
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
sock.settimeout(0.05)  # resend often: the server may come up any moment
local_port = sock.getsockname()[1]
start = time.monotonic()
while time.monotonic() - start < timeout:
    tag = "%08x" % random.getrandbits(32)
    request = (
        f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{tag};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:ping@127.0.0.1>;tag={tag}\r\n"
        f"To: <sip:{host}:{port}>\r\n"
        f"Call-ID: {tag}@sip_ping\r\n"
        f"CSeq: 1 OPTIONS\r\n"
        f"Content-Length: 0\r\n\r\n")
    try:
        sock.sendto(request.encode(), (host, port))
        data, _ = sock.recvfrom(65535)
    except socket.timeout:
        continue
    except ConnectionRefusedError:  # ICMP port unreachable: not listening yet
        time.sleep(0.05)
        continue
    status = data.split(b"\r\n", 1)[0].decode(errors="replace")
    if status.startswith("SIP/2.0 "):
        print("%s:%d answered after %.3f s: %s" % (host, port, time.monotonic() - start, status))
        sys.exit(0)
print("%s:%d: no SIP answer within %.1f s" % (host, port, timeout))
sys.exit(1)
