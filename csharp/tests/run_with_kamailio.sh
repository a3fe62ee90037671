#!/bin/bash
# Runs the C# tests (ctest -R csharp) against a private Kamailio inside a private network
# namespace: only a loopback interface exists there, so no test packet can leave the machine.
# Stopgap until the project's tests/servers/ runner lands; needs root (unshare --net).
#   csharp/tests/run_with_kamailio.sh [BUILD_DIR]
# KAMAILIO_CFG: the Kamailio config (users 1001..1020 / pass<user>, UDP+TCP 5060, TLS 5061);
# default tests/servers/kamailio.cfg, else the shared reference recipe's.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
if [ -z "${SIPW_IN_NETNS:-}" ]; then
  exec unshare --net env SIPW_IN_NETNS=1 "${BASH_SOURCE[0]}" "$BUILD"
fi
ip link set lo up

CFG=${KAMAILIO_CFG:-$ROOT/tests/servers/kamailio.cfg}
[ -f "$CFG" ] || CFG=/work/shared/reference/servers/kamailio.cfg
RUN=$(mktemp -d /tmp/sipw-cs-kam.XXXXXX)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$RUN/key.pem" -out "$RUN/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 2>/dev/null
kamailio -f "$CFG" -DD -E -Y "$RUN" -P "$RUN/kamailio.pid" -m 64 -M 8 \
  -A "TLS_CERT=\"$RUN/cert.pem\"" -A "TLS_KEY=\"$RUN/key.pem\"" -A "CTL_SOCK=\"unix:$RUN/ctl\"" \
  >"$RUN/kamailio.log" 2>&1 &
KAM=$!
trap 'kill -TERM $KAM 2>/dev/null; wait $KAM 2>/dev/null || true; rm -rf "$RUN"' EXIT

# Ready when it answers OPTIONS (never a fixed sleep: startup takes 0.2 s to 4 s).
python3 - <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); s.settimeout(0.1)
port = s.getsockname()[1]; t0 = time.time()
while time.time() - t0 < 15:
    b = "%x" % int(time.time() * 1e6)
    s.sendto((f"OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{b};rport\r\n"
              f"Max-Forwards: 70\r\nFrom: <sip:ready@127.0.0.1>;tag={b}\r\nTo: <sip:127.0.0.1:5060>\r\n"
              f"Call-ID: {b}@ready\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", 5060))
    try:
        s.recvfrom(4096); sys.exit(0)
    except socket.timeout:
        pass
sys.exit("kamailio did not answer OPTIONS")
PY
cd "$BUILD" && ctest -R csharp --output-on-failure
