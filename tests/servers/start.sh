#!/bin/bash
# start.sh: start the loopback test servers in the background and wait until they answer.
#   Kamailio  127.0.0.1  UDP/TCP 5060, TLS 5061 (+5062 rogue cert), WS 8080, WSS 8443
#   coturn    127.0.0.1:3478 STUN/TURN, long-term credentials test/testpw, realm test.local
# Runtime files (pids, ctl socket, certs, tls.cfg) go to run/, logs to logs/ (both git-ignored).
# Env: SIPW_ROGUE_TLS=0 leaves out the rogue-certificate listener on 5062.
# Exits non-zero, with the server's log tail, if one is not ready within 15 s. Stop with stop.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/run logs=$here/logs certs=$here/run/certs
ready_timeout=15
mkdir -p "$run" "$logs"

now() { date +%s.%N; }
elapsed() { printf '%.3f' "$(echo "$(now) - $1" | bc)"; }
running() { [[ -s $run/$1.bgpid ]] && kill -0 "$(cat "$run/$1.bgpid")" 2>/dev/null; }
not_ready() {  # NAME LOG: report, clean up what was started, fail
  echo "start.sh: $1 not ready within ${ready_timeout} s (or exited); last lines of $2:" >&2
  tail -n 30 "$2" >&2
  "$here/stop.sh" >&2 || true
  exit 1
}
# wait_until NAME LOG CMD...: poll CMD until it succeeds; give up early if NAME died
wait_until() {
  local name=$1 log=$2 t0; shift 2; t0=$(now)
  until "$@" >/dev/null 2>&1; do
    running "$name" || not_ready "$name" "$log"
    if (( $(echo "$(now) - $t0 > $ready_timeout" | bc) )); then not_ready "$name" "$log"; fi
  done
}

for name in kamailio turnserver; do
  if running $name; then echo "start.sh: $name already running (pid $(cat "$run/$name.bgpid")); run stop.sh first" >&2; exit 1; fi
done

"$here/certs.sh" "$certs"

# One TLS profile per listening socket: the CA-signed certificate everywhere,
# the self-signed rogue one on 5062 (clients verifying against ca.pem must reject it).
cat > "$run/tls.cfg" <<TLS
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = $certs/server.pem
private_key = $certs/server.key

[server:127.0.0.1:5062]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = $certs/rogue.pem
private_key = $certs/rogue.key

[client:default]
verify_certificate = no
require_certificate = no
TLS

kamailio_args=(-f "$here/kamailio.cfg" -DD -E -Y "$run" -P "$run/kamailio.pid" -m 64 -M 8
  -A "TLS_CONFIG=\"$run/tls.cfg\"" -A "CTL_SOCK=\"unix:$run/kamailio_ctl\"")
[[ ${SIPW_ROGUE_TLS:-1} == 1 ]] && kamailio_args+=(-A WITH_ROGUE_TLS)

t0=$(now)
kamailio "${kamailio_args[@]}" </dev/null >"$logs/kamailio.log" 2>&1 &
echo $! > "$run/kamailio.bgpid"
# readiness = it answers SIP OPTIONS (short probes, so a crash is noticed quickly)
wait_until kamailio "$logs/kamailio.log" "$here/sip_ping.py" 127.0.0.1 5060 0.5
echo "kamailio   pid $(cat "$run/kamailio.bgpid") ready in $(elapsed "$t0") s (SIP 5060 udp/tcp, tls 5061, ws 8080, wss 8443)"

t0=$(now)
# -n: no config file; relay on loopback only; loopback peers must be allowed for local tests
turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port=3478 \
  --lt-cred-mech --user=test:testpw --realm=test.local --fingerprint --allow-loopback-peers \
  --no-tls --no-dtls --no-cli --min-port=49160 --max-port=49200 \
  --userdb="$run/turndb" --pidfile="$run/turnserver.pid" --log-file=stdout --simple-log \
  </dev/null >"$logs/turnserver.log" 2>&1 &
echo $! > "$run/turnserver.bgpid"
wait_until turnserver "$logs/turnserver.log" timeout 0.3 turnutils_stunclient -p 3478 127.0.0.1
echo "turnserver pid $(cat "$run/turnserver.bgpid") ready in $(elapsed "$t0") s (STUN/TURN udp+tcp 3478)"
