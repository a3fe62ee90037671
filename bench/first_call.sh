#!/bin/bash
# first_call.sh [RUNS=11] [CALLS=20] [PROFILE=webrtc]: the first call of a process against its later
# ones. Each run is a new process (sipw_call_bench CALLS 0 1 PROFILE) that registers two users and
# places its calls at once; a run's ratio is its first call's CALL → confirmed over the median of
# all its calls. One call per run is a noisy sample: the figure is the median ratio over the runs.
# Runs itself inside tests/netns-run.sh (loopback servers, private network namespace).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
if [[ ${SIPW_IN_NETNS:-0} != 1 ]]; then exec "$root/tests/netns-run.sh" "$0" "$@"; fi
runs=${1:-11} calls=${2:-20} profile=${3:-webrtc}
echo "== $(date -u '+%F %T') UTC, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= runs; i++)); do
  "$build/sipw_call_bench" "$calls" 0 1 "$profile" | grep -E '^CALL -> (session_confirmed|first audio)'
done | python3 -c '
import re, statistics, sys
confirmed, audio = [], []
for line in sys.stdin:
    median = float(re.search(r"median ([\d.]+)", line).group(1))
    first = float(re.search(r"first ([\d.]+)", line).group(1))
    (confirmed if "confirmed" in line else audio).append((first, median))
for name, pairs in (("CALL -> confirmed", confirmed), ("CALL -> first audio", audio)):
    ratios = sorted(f / m for f, m in pairs if m > 0)
    if not ratios:
        continue
    print(f"{name}: first / median of its run over {len(ratios)} runs: median {statistics.median(ratios):.2f}, "
          f"range {ratios[0]:.2f}-{ratios[-1]:.2f}; medians {statistics.median(m for _, m in pairs):.1f} ms, "
          f"first calls {statistics.median(f for f, _ in pairs):.1f} ms (medians over runs)")
'
