#!/usr/bin/env bash
# tsan.sh: the core with ThreadSanitizer (build-tsan/, or BUILD_DIR), and its unit, integration and
# fault tests run against the loopback servers in a private network namespace (tests/netns-run.sh).
# Suppressions (tests/tsan.supp) name only libraries we do not own. Extra arguments go to cmake.
# Exits non-zero on a failed test or any ThreadSanitizer report (exit code 66 of the test).
# SIPW_BUILD_ONLY=1: build, do not run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build-tsan}
BUILD_DIR=$build SIPW_TARGETS="sipw_unit_tests sipw_integration_tests sipw_fault_tests sipw_c_test sipw_event_fd_test" \
  "$root/scripts/build.sh" -DSIPW_TSAN=ON -DSIPW_PYTHON=OFF -DSIPW_CSHARP=OFF -DSIPW_EXAMPLES=OFF -DSIPW_BENCH=OFF "$@"
[[ ${SIPW_BUILD_ONLY:-0} == 1 ]] && exit 0  # a build ahead of the run (scripts/test.sh)

# Left out under ThreadSanitizer, with the reason:
skip=(
  # Tests that place calls: the media layer hands objects to GStreamer's threads as signal and
  # promise user data (src/media), hand-offs GLib orders with locks the sanitizer cannot see and
  # that the media code does not declare yet (base/tsan.hpp): every call reports them. The SIP
  # side of calls is covered by the lifetime and strictness tests, which make sessions without
  # media. Also far too slow for the budget (webrtcbin, DTLS, ICE under the sanitizer).
  'Calls\.' 'CallFailures\.' 'HostilePeers\.' 'CallInput\.' 'HoldCalls\.' 'Dtmf\.' 'CallMedia\.' 'Play\.'
  'CallControl\.' 'CallControlSipp\.' 'RtpPeers\.' 'ProfileCalls\.'
  'WsCalls\.' 'Lifetime\.SessionIdUsedAgain' 'WsFailures\.KamailioClosesTheWebSocket'
  'Faults\.ProxyAndPeerGone' 'Faults\.AckLost' 'Faults\.RegistrationAndCallsUnder' 'Faults\.PeerThatForgot'
  'Faults\.UdpKeepAliveNoticesThatTheRegistrarLostOurBinding' 'Faults\.TcpFlowKilled'
  # The plain C test polls a counter that its callback sets on the dispatch thread (a plain int,
  # C99 has no atomics): a race the sanitizer rightly reports, in the test. The C ABI's own
  # ordering runs under the sanitizer in CApi.*.
  'c_api_plain_c'
  # compile probes of the layering rules: a build, not a run
  'layers\.'
)
exclude=$(IFS='|'; echo "${skip[*]}")
export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp halt_on_error=0 exitcode=66 second_deadlock_stack=1"
SIPW_REQUIRE_SERVERS=1 "$root/tests/netns-run.sh" \
  ctest --test-dir "$build" --output-on-failure --timeout 300 --repeat until-pass:3 -j1 -L "unit|integration|faults" -E "$exclude"
