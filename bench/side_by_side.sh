#!/bin/bash
# side_by_side.sh [LATENCY_CALLS=30] [LOADS=10,30,60] [WINDOW_S=10] [PROFILES=webrtc]: sipworker
# (WebRTC, Opus, tone in, null out; PROFILES as sipw_call_bench takes them, e.g.
# webrtc,webrtc:c1:p60) and baresip (Opus, DTLS-SRTP, sine in, nothing out) carrying the same loads
# on this machine, one after the other in one run, so the ratios hold on a shared or noisy machine.
# Runs itself inside tests/netns-run.sh (loopback servers, private network namespace).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
if [[ ${SIPW_IN_NETNS:-0} != 1 ]]; then exec "$root/tests/netns-run.sh" "$0" "$@"; fi
calls=${1:-30} loads=${2:-10,30,60} window=${3:-10} profiles=${4:-webrtc}
echo "== $(date -u '+%F %T') UTC, $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/sipw_call_bench" "$calls" "$loads" "$window" "$profiles"
python3 "$root/bench/baresip_load.py" "$loads" "$window"
echo "== done, load average $(cut -d' ' -f1-3 /proc/loadavg)"
