#!/bin/bash
# selftest.sh: check the test servers and the sipp scenarios against each other.
# Run inside the private namespace with the servers up:  tests/netns-run.sh tests/servers/selftest.sh
# Prints one line per check; exit status = number of failed checks. sipp logs: logs/sipp/.
set -uo pipefail   # no -e: keep going and count failures
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scen=$here/../sipp logs=$here/logs/sipp certs=$here/run/certs
mkdir -p "$logs"; rm -f "$logs"/*
failed=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then echo "ok   $1 ($3)"; else echo "FAIL $1: expected $2, got $3"; failed=$((failed + 1)); fi
}
# sipp_run NAME ARGS...: one sipp against Kamailio; full traces in logs/NAME.*; prints its exit code
sipp_run() {
  local name=$1; shift
  sipp 127.0.0.1:5060 -i 127.0.0.1 -nostdin -m 1 -timeout 20s -timeout_error \
    -trace_msg -message_file "$logs/$name.msg" -trace_logs -log_file "$logs/$name.log" \
    -trace_err -error_file "$logs/$name.err" "$@" >/dev/null 2>"$logs/$name.stderr"
  echo $?
}
# uas_start NAME PORT ARGS...: UAS sipp in the background on PORT; returns once the port is bound
uas_start() {
  local name=$1 port=$2; shift 2
  sipp_run "$name" -p "$port" "$@" > "$logs/$name.rc" &
  until ss -Hlun "sport = :$port" | grep -q .; do sleep 0.02; done
}
# uas_check NAME: wait for the background UAS (in this shell, not a subshell) and check its exit code
uas_check() { wait; check "$1 exit code" 0 "$(cat "$logs/$1.rc")"; }
# register_status USER: status line Kamailio sends for an unauthenticated REGISTER (or "none" in 2 s)
register_status() {
  python3 - "$1" <<'PY'
import socket, sys
u = sys.argv[1]; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); s.settimeout(2)
p = s.getsockname()[1]
s.sendto((f"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bK{p}reg;rport\r\n"
          f"Max-Forwards: 70\r\nFrom: <sip:{u}@127.0.0.1>;tag={p}\r\nTo: <sip:{u}@127.0.0.1>\r\n"
          f"Call-ID: {p}@selftest\r\nCSeq: 1 REGISTER\r\nContact: <sip:{u}@127.0.0.1:{p}>\r\n"
          f"Expires: 60\r\nContent-Length: 0\r\n\r\n").encode(), ("127.0.0.1", 5060))
try: print(s.recv(4096).split(b" ")[1].decode())
except socket.timeout: print("none")
PY
}

echo "== network"
check "only loopback visible" "lo" "$(ip -o addr show | awk '{print $2}' | sort -u | tr '\n' ' ' | xargs)"

echo "== registrar test hooks"
check "REGISTER forbidden" 403 "$(register_status forbidden)"
check "REGISTER servererror" 503 "$(register_status servererror)"
check "REGISTER slowreg (dropped)" none "$(register_status slowreg)"
check "REGISTER 1001 without credentials" 401 "$(register_status 1001)"

echo "== registration"
check "reg.xml 1010 wrong password" 1 "$(sipp_run reg_badpw -sf "$scen/reg.xml" -p 5089 -s 1010 -au 1010 -ap wrong)"
check "reg.xml 1010 on port 5090" 0 "$(sipp_run reg_1010 -sf "$scen/reg.xml" -p 5090 -s 1010 -au 1010 -ap pass1010)"
check "wait_reg.sh 1010" 0 "$("$here/wait_reg.sh" 1010 5; echo $?)"
check "reg.xml 1012 with -set expires 2" 0 "$(sipp_run reg_short -sf "$scen/reg.xml" -p 5095 -s 1012 -au 1012 -ap pass1012 -set expires 2)"
check "granted expires" "expires=2" "$(grep -o 'expires=[0-9]*' "$logs/reg_short.msg" | tail -1)"

echo "== calls to 1010 (registered at 127.0.0.1:5090)"
uas_start uas_486 5090 -sf "$scen/uas_reply.xml" -key code 486
check "uac 1001 -> 1010 (407 auth, expect 486)" 0 "$(sipp_run uac_486 -sf "$scen/uac_rtpavp.xml" -p 5093 -s 1010 -set caller 1001 -au 1001 -ap pass1001 -set expect 486)"
uas_check uas_486
check "caller saw 407 then 486" "407 486" "$(grep -oE '^SIP/2.0 (407|486)' "$logs/uac_486.msg" | cut -d' ' -f2 | xargs)"

uas_start uas_488 5090 -sf "$scen/uas_reply.xml" -key code 488
check "uac_rtpavp 1011 -> 1010 (any final)" 0 "$(sipp_run uac_488 -sf "$scen/uac_rtpavp.xml" -p 5093 -s 1010 -au 1011 -ap pass1011)"
uas_check uas_488
check "uac_rtpavp logged the final" "final response 488" "$(grep -o 'final response [0-9]*' "$logs/uac_488.log")"

uas_start uas_ring 5090 -sf "$scen/uas_ring.xml"
check "uac_cancel 1001 -> 1010 (180, CANCEL, 487)" 0 "$(sipp_run uac_cancel -sf "$scen/uac_cancel.xml" -p 5094 -s 1010 -au 1001 -ap pass1001)"
uas_check uas_ring

uas_start uas_answer 5090 -sf "$scen/uas_answer.xml"
check "uac_rtpavp 1011 -> 1010 (expect 200, BYE)" 0 "$(sipp_run uac_200 -sf "$scen/uac_rtpavp.xml" -p 5093 -s 1010 -au 1011 -ap pass1011 -set expect 200)"
uas_check uas_answer
check "BYEs received by uas_answer" 1 "$(grep -c 'BYE received' "$logs/uas_answer.log")"

echo "== failures without a callee"
check "uac -> 1009 (known, offline)" 0 "$(sipp_run uac_480 -sf "$scen/uac_rtpavp.xml" -p 5093 -s 1009 -au 1011 -ap pass1011 -set expect 480)"
check "uac -> 9999 (unknown)" 0 "$(sipp_run uac_404 -sf "$scen/uac_rtpavp.xml" -p 5093 -s 9999 -au 1011 -ap pass1011 -set expect 404)"
check "uac -set expect mismatch fails" 1 "$(sipp_run uac_mismatch -sf "$scen/uac_rtpavp.xml" -p 5093 -s 9999 -au 1011 -ap pass1011 -set expect 486)"

echo "== TLS certificates (openssl s_client -CAfile ca.pem)"
tls_verify() { echo | timeout 5 openssl s_client -connect "127.0.0.1:$1" -CAfile "$certs/ca.pem" -verify_return_error -verify_ip 127.0.0.1 2>&1 | grep -o 'Verify return code: [0-9]*' | head -1; }
check "5061 server.pem" "Verify return code: 0" "$(tls_verify 5061)"
check "8443 server.pem" "Verify return code: 0" "$(tls_verify 8443)"
check "5062 rogue.pem" "Verify return code: 18" "$(tls_verify 5062)"

echo "== TURN (coturn 127.0.0.1:3478)"
# turnutils_uclient -y: two relayed clients exchange packets through the TURN server
turn() { timeout 10 turnutils_uclient -y -n 1 -m 1 -l 100 -u test -w "$1" -r test.local 127.0.0.1 2>&1 |
  grep -qE 'Total lost packets 0 ' && echo relayed || echo refused; }
check "allocation test/testpw" relayed "$(turn testpw)"
check "allocation with wrong password" refused "$(turn wrong)"
check "nothing on the dead STUN port 3479" 1 "$(timeout 2 turnutils_stunclient -p 3479 127.0.0.1 2>&1 | grep -q 'reflexive addr'; echo $?)"

echo "== $failed check(s) failed"
exit $failed
