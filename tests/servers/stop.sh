#!/bin/bash
# stop.sh: stop the servers started by start.sh, by the PIDs it recorded in run/*.bgpid.
# SIGTERM, wait up to 5 s, then SIGKILL. Safe to call twice (nothing recorded -> nothing to do).
set -euo pipefail
run=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/run

# alive PID NAME: PID exists, is NAME (not a recycled PID) and is not a zombie
alive() { [[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]] && ! grep -q ') Z ' "/proc/$1/stat" 2>/dev/null; }

for name in kamailio turnserver; do
  pidfile=$run/$name.bgpid
  [[ -s $pidfile ]] || continue
  pid=$(cat "$pidfile")
  if alive "$pid" "$name"; then
    t0=$(date +%s.%N)
    kill -TERM "$pid"
    for _ in $(seq 50); do alive "$pid" "$name" || break; sleep 0.1; done
    if alive "$pid" "$name"; then echo "$name pid $pid ignored SIGTERM for 5 s: SIGKILL"; kill -KILL "$pid"; fi
    echo "$name pid $pid stopped in $(printf '%.3f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"
  fi
  rm -f "$pidfile"
done
