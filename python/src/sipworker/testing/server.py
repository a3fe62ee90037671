"""SipServer: a throw-away Kamailio on a free loopback port, with generated accounts, for tests."""
import os
import random
import secrets
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass

HOST = "127.0.0.1"
_READY_WITHIN_S = 15


@dataclass(frozen=True)
class Account:
    user: str       # also the number other phones dial
    password: str

    def uri(self, host=HOST):
        return f"sip:{self.user}@{host}"


def find_kamailio():
    """The Kamailio binary ($SIPW_KAMAILIO, else `kamailio` on PATH or in /usr/sbin), or None."""
    wanted = os.environ.get("SIPW_KAMAILIO")
    if wanted:
        return wanted if os.access(wanted, os.X_OK) else None
    return shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin:/usr/local/sbin")


class SipServer:
    """Kamailio on 127.0.0.1 (UDP and TCP on one free port) with ``accounts`` generated users.

    ``uri(transport)`` is what INIT's ``sipServer`` takes; :meth:`take_account` hands out an
    account nobody else holds until :meth:`give_back`; ``unknown_user`` is a number the server
    answers 404 for, ``offline_user`` one it knows but that never registers (480).
    """

    def __init__(self, binary, run_dir, accounts=20):
        self._binary, self._run_dir = binary, str(run_dir)
        first = random.randrange(3000, 8000, 100)
        self.accounts = [Account(str(first + i), secrets.token_hex(6)) for i in range(accounts)]
        self.offline_user = self.accounts.pop().user
        self.unknown_user = str(first + accounts + 50)
        self._free = list(self.accounts)
        self._lock = threading.Lock()
        self._process = None
        self.host, self.port = HOST, None

    def uri(self, transport="udp"):
        return f"sip:{self.host}:{self.port};transport={transport}"

    def take_account(self):
        with self._lock:
            if not self._free:
                raise RuntimeError(f"all {len(self.accounts)} test accounts are in use")
            return self._free.pop(0)

    def give_back(self, account):
        with self._lock:
            self._free.append(account)

    def start(self):
        """Starts Kamailio and returns once it answers SIP OPTIONS; raises RuntimeError with its log."""
        for _ in range(3):  # a port found free may be taken before Kamailio binds it
            self.port = _free_port()
            config = os.path.join(self._run_dir, "kamailio.cfg")
            with open(config, "w") as f:
                f.write(self._config())
            log = open(os.path.join(self._run_dir, "kamailio.log"), "w+")
            self._process = subprocess.Popen(
                [self._binary, "-f", config, "-DD", "-E", "-Y", self._run_dir,
                 "-P", os.path.join(self._run_dir, "kamailio.pid"), "-m", "32", "-M", "4"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            if _answers_options(self.port, self._process):
                return self
            self.stop()
            log.seek(0)
            tail = log.read()[-3000:]
        raise RuntimeError(f"Kamailio did not start on {self.host}:{self.port}; its log ends with:\n{tail}")

    def stop(self):
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def _config(self):
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "kamailio.cfg.in")) as f:
            template = f.read()
        users = "\n".join(f'\t$sht(users=>{a.user}) = "{a.password}";'
                          for a in self.accounts + [Account(self.offline_user, "")])
        return template.replace("@PORT@", str(self.port)).replace("@USERS@", users)


def _free_port():
    """A port free for both UDP and TCP on the loopback address."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((HOST, port))
                    return port
                except OSError:
                    continue


def _answers_options(port, process):
    """True once the server answers OPTIONS over UDP; False if it exits or stays silent."""
    deadline = time.monotonic() + _READY_WITHIN_S
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        s.settimeout(0.2)
        local = s.getsockname()[1]
        while time.monotonic() < deadline and process.poll() is None:
            tag = secrets.token_hex(4)
            s.sendto((f"OPTIONS sip:{HOST}:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {HOST}:{local};branch=z9hG4bK{tag}"
                      f";rport\r\nMax-Forwards: 70\r\nFrom: <sip:probe@{HOST}>;tag={tag}\r\nTo: <sip:{HOST}:{port}>"
                      f"\r\nCall-ID: {tag}@sipworker-testing\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(),
                     (HOST, port))
            try:
                if s.recv(4096).startswith(b"SIP/2.0 200"):
                    return True
            except (socket.timeout, ConnectionRefusedError):
                pass
    return False
