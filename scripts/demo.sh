#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, starts Kamailio on loopback in a
# private network namespace and runs the demo (real user agents, events with their Chinese texts).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
exec "$root/tests/netns-run.sh" "$root/build/sipw_demo" "$root/tests/servers/run/certs/ca.pem"
