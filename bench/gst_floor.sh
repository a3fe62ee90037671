#!/usr/bin/env bash
# gst_floor.sh [CALL_ENDS=20] [WINDOW_S=10]: what GStreamer alone costs per G.711 call end, with no
# SIP and none of our code: CALL_ENDS copies, in one gst-launch-1.0 process, of the smallest
# pipeline that carries one end of a call the way the rtp profile does (a live 20 ms tone → PCMU →
# RTP → rtpbin → UDP out; UDP in → rtpbin with its 40 ms jitter buffer → PCMU decoder), each end
# sending to itself over loopback. Variants leave parts out, to see what each costs:
#   rtpbin        the above
#   rtpbin-48k    the tone at 48 kHz resampled to 8 kHz (quality 2), as a call's send path is
#   no-rtpbin     udpsink / udpsrc ! rtpjitterbuffer ! depay ! decoder, without rtpbin's sessions
#   no-jitter     udpsrc ! depay ! decoder: no jitter buffer thread
#   send-only     the sending half and a bare udpsrc ! fakesink
# Prints CPU % of one core per call end and the process's threads. Run it inside a private network
# namespace (tests/netns-run.sh or unshare --net) and side by side with sipw_call_bench's rtp
# figures: the ratio tells how much of a call end is GStreamer's own per-call floor.
set -euo pipefail
ends=${1:-20}
window=${2:-10}
hz=$(getconf CLK_TCK)

pipeline() {
  local variant=$1 p="" i port rate spb resample send
  for ((i = 1; i <= ends; i++)); do
    port=$((21000 + 2 * i))
    rate=8000 resample=""
    if [[ $variant == rtpbin-48k ]]; then rate=48000 resample="audioresample quality=2 ! audio/x-raw,rate=8000 !"; fi
    spb=$((rate / 50))
    send="audiotestsrc is-live=true samplesperbuffer=$spb freq=1000 ! audio/x-raw,rate=$rate,channels=1,format=S16LE ! $resample mulawenc ! rtppcmupay max-ptime=20000000"
    local caps="application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0"
    local out="udpsink host=127.0.0.1 sync=false async=false"
    case $variant in
      rtpbin | rtpbin-48k)
        p+=" rtpbin name=b$i latency=40 $send ! b$i.send_rtp_sink_0 b$i.send_rtp_src_0 ! $out port=$port"
        p+=" b$i.send_rtcp_src_0 ! $out port=$((port + 1))"
        p+=" udpsrc port=$port caps=$caps ! b$i.recv_rtp_sink_0 b$i. ! rtppcmudepay ! mulawdec ! fakesink sync=false"
        p+=" udpsrc port=$((port + 1)) caps=application/x-rtcp ! b$i.recv_rtcp_sink_0" ;;
      no-rtpbin)
        p+=" $send ! $out port=$port udpsrc port=$port caps=$caps ! rtpjitterbuffer latency=40 ! rtppcmudepay ! mulawdec ! fakesink sync=false" ;;
      no-jitter)
        p+=" $send ! $out port=$port udpsrc port=$port caps=$caps ! rtppcmudepay ! mulawdec ! fakesink sync=false" ;;
      send-only)
        p+=" $send ! $out port=$port udpsrc port=$port ! fakesink sync=false" ;;
    esac
  done
  echo "$p"
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf '%-12s %9s %22s %9s\n' variant "call ends" "CPU % core per end" threads
for variant in rtpbin rtpbin-48k no-rtpbin no-jitter send-only; do
  # shellcheck disable=SC2046 # the pipeline description is meant to be split into words
  gst-launch-1.0 -q $(pipeline "$variant") >/dev/null 2>&1 &
  pid=$!
  sleep 3  # started and settled
  before=$(ticks $pid)
  sleep "$window"
  after=$(ticks $pid)
  threads=$(ls "/proc/$pid/task" | wc -l)
  kill -INT $pid
  wait $pid 2>/dev/null || true
  printf '%-12s %9d %22.3f %9d\n' "$variant" "$ends" \
    "$(echo "($after - $before) * 100 / $hz / $window / $ends" | bc -l)" "$threads"
done
