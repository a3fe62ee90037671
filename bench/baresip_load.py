#!/usr/bin/env python3
"""N simultaneous two-way baresip calls through the loopback Kamailio, measured like
call_bench's load: CPU (% of a core), RSS and threads of the caller process, which holds one
end of every call, and the callee's CPU. Opus both ways, DTLS-SRTP (no ICE: baresip's ice module
gathers no candidate where loopback is the only interface); a sine in (ausine),
nothing out (aubridge to no one: received audio is still decoded).

Run inside tests/netns-run.sh (loopback servers up). Prints one line per load; asserts nothing.

Usage: baresip_load.py [LOADS=10,30,60] [WINDOW_S=10]
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


class Baresip:
    """One baresip process with its ctrl_tcp socket (netstring-framed JSON)."""

    def __init__(self, user, sip_port, ctrl_port, rtp_ports, hz):
        self.dir = tempfile.mkdtemp(prefix=f"baresip_bench_{user}_")
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(f"""poll_method epoll
net_interface 127.0.0.1
sip_listen 127.0.0.1:{sip_port}
call_max_calls 200
call_local_timeout 20
audio_source ausine,{hz}
audio_player aubridge,nil
audio_alert aubridge,nil
rtp_ports {rtp_ports}
module_path /usr/lib/baresip/modules
module opus.so
module ausine.so
module aubridge.so
module dtls_srtp.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
""")
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(f"<sip:{user}@127.0.0.1>;auth_pass=pass{user};regint=600;answermode=auto;"
                    "audio_codecs=opus/48000/2;mediaenc=dtls_srtp\n")
        self.log = open(os.path.join(self.dir, "baresip.log"), "w")
        self.proc = subprocess.Popen(["baresip", "-f", self.dir], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=dict(os.environ, HOME=self.dir))
        deadline = time.time() + 5
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", ctrl_port), timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.buffer = b""
        self.token = 0

    def events(self, timeout):
        """Messages that arrive within `timeout` seconds."""
        out = []
        self.sock.settimeout(timeout)
        try:
            self.buffer += self.sock.recv(65536)
        except (socket.timeout, BlockingIOError):
            pass
        while b":" in self.buffer:
            length, rest = self.buffer.split(b":", 1)
            n = int(length)
            if len(rest) < n + 1:
                break
            out.append(json.loads(rest[:n]))
            self.buffer = rest[n + 1:]
        return out

    def command(self, name, params=""):
        self.token += 1
        msg = json.dumps({"command": name, "params": params, "token": str(self.token)}).encode()
        self.sock.sendall(str(len(msg)).encode() + b":" + msg + b",")

    def stop(self):
        try:
            self.command("quit")
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
        self.log.close()
        if not os.environ.get("BARESIP_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(peer, predicate, timeout):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        for e in peer.events(0.1):
            seen.append(e)
            if predicate(e, seen):
                return seen
    return seen


def main():
    loads = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else "10,30,60").split(",")]
    window = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    callee = Baresip("1012", 5090, 4452, "30000-39999", 1000)
    caller = Baresip("1011", 5094, 4451, "20000-29999", 440)
    for peer in (callee, caller):
        wait_for(peer, lambda e, s: e.get("type") == "REGISTER_OK", 5)
    version = subprocess.run(["baresip", "-h"], capture_output=True, text=True).stdout.splitlines()
    print(f"\nbaresip ({version[0] if version else '?'}), Opus + DTLS-SRTP, caller = one end of each call:")
    print(f"{'calls':>6} {'CPU %core':>12} {'CPU/call %':>14} {'RSS MiB':>12} {'RSS/extra call KiB':>18} "
          f"{'threads':>9} {'threads/call':>13} {'callee CPU %':>14} {'established':>12} {'setup median ms':>16}")
    idle_rss, idle_calls = rss_kib(caller.proc.pid), 0
    idle_threads = threads(caller.proc.pid)
    for n in loads:
        established, setup = 0, []
        for i in range(n):
            t0 = time.time()
            caller.command("dial", "sip:1012@127.0.0.1")
            seen = wait_for(caller, lambda e, s: e.get("type") in ("CALL_ESTABLISHED", "CALL_CLOSED"), 5)
            if seen and seen[-1].get("type") == "CALL_ESTABLISHED":
                established += 1
                setup.append((time.time() - t0) * 1000)
        time.sleep(1)
        pid, cpid = caller.proc.pid, callee.proc.pid
        c0, cc0, t0 = cpu_seconds(pid), cpu_seconds(cpid), time.time()
        time.sleep(window)
        wall = time.time() - t0
        cpu, ccpu = (cpu_seconds(pid) - c0) / wall * 100, (cpu_seconds(cpid) - cc0) / wall * 100
        rss, nthreads = rss_kib(pid), threads(pid)
        setup.sort()
        print(f"{n:>6} {cpu:>12.1f} {cpu / n:>14.2f} {rss / 1024:>12.1f} {(rss - idle_rss) / max(1, n - idle_calls):>18.0f} "
              f"{nthreads:>9} {(nthreads - idle_threads) / n:>13.1f} {ccpu:>14.1f} {established:>9}/{n} {setup[len(setup) // 2] if setup else 0:>16.1f}",
              flush=True)
        for _ in range(n):
            caller.command("hangup")
        wait_for(caller, lambda e, s: sum(x.get("type") == "CALL_CLOSED" for x in s) >= n, 10)
        time.sleep(1)
        idle_rss, idle_calls = rss, n  # RSS per extra call: against the previous load, as call_bench
    caller.stop()
    callee.stop()


if __name__ == "__main__":
    main()
