#!/usr/bin/env bash
# Installs every Debian 12 package sipworker needs to build, test and run its demo.
# Idempotent: packages already present are skipped by apt-get; safe to run repeatedly.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config swig git ca-certificates openssl
  clang libclang-rt-14-dev
  # core libraries
  libsofia-sip-ua-dev libsofia-sip-ua-glib-dev libglib2.0-dev glib-networking nlohmann-json3-dev libssl-dev
  libgtest-dev googletest libsoup-3.0-dev
  # media: GStreamer webrtcbin (ICE via libnice, DTLS-SRTP, Opus), rtpbin and srtpenc/srtpdec (rtp,
  # srtp; libsrtp2 runs on NSS), G.711 (good), G.722 (libav)
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice libnice-dev
  gstreamer1.0-libav gstreamer1.0-tools libnss3-dev libopus-dev
  # test servers and peers (loopback only)
  kamailio kamailio-websocket-modules kamailio-tls-modules kamailio-extra-modules sip-tester coturn
  baresip-core rtpengine-daemon
  iproute2 util-linux procps psmisc
  # loss and delay for the fault tests: iptables NFQUEUE rules and a verdict program (tests/netem)
  iptables libnetfilter-queue-dev
  # Python binding
  python3 python3-dev python3-pytest python3-setuptools python3-wheel python3-venv python3-pip
  # load tests (sipworker.locust, gevent pumps)
  python3-locust python3-gevent
  # C# binding
  mono-mcs mono-devel libnunit-cil-dev nunit-console
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
