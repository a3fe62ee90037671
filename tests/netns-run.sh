#!/bin/bash
# netns-run.sh CMD...: run CMD with the loopback test servers, inside a private network
# namespace whose only interface is lo (so no test traffic can leave 127.0.0.1, and ICE
# stacks find no other addresses). Exits with CMD's status; servers are stopped in any case.
# With SIPW_IN_NETNS=1 (already inside such a namespace) it does not unshare again, and if
# servers already answer on 127.0.0.1:5060 it just runs CMD with them.
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: netns-run.sh CMD..." >&2; exit 2; }
servers=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/servers

if [[ ${SIPW_IN_NETNS:-0} != 1 ]]; then
  # re-run this script in a new network namespace, with lo up ($0/$@ expand in the inner bash)
  # shellcheck disable=SC2016
  exec unshare --net --fork -- bash -c 'ip link set lo up && SIPW_IN_NETNS=1 exec "$0" "$@"' "$0" "$@"
fi

# safety: only loopback addresses may be visible
if ip -o addr show | awk '{print $2}' | grep -qv '^lo$'; then
  echo "netns-run.sh: interfaces other than lo are visible; refusing to run:" >&2
  ip -o addr show >&2; exit 1
fi

if "$servers/sip_ping.py" 127.0.0.1 5060 0.2 >/dev/null; then
  "$@"   # servers already up (started by an outer netns-run.sh): keep them
  exit
fi
trap '"$servers/stop.sh"' EXIT
"$servers/start.sh"
status=0
"$@" || status=$?
exit $status
