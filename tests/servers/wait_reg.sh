#!/bin/bash
# wait_reg.sh USER [TIMEOUT_S]: wait until USER has a contact in Kamailio's location
# table (asked over the ctl socket of start.sh's Kamailio). Exit 0 once registered, 1 on timeout.
set -euo pipefail
user=${1:?usage: wait_reg.sh USER [TIMEOUT_S]} timeout=${2:-10}
ctl=unix:$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/run/kamailio_ctl
deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
until kamcmd -s "$ctl" ul.lookup location "s:$user" 2>/dev/null | grep -q "Address:"; do
  if (( $(date +%s%N) > deadline )); then echo "wait_reg.sh: $user not registered after $timeout s" >&2; exit 1; fi
  sleep 0.1
done
