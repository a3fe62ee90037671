#!/usr/bin/env bash
# Configures and builds sipworker into BUILD_DIR (default: build), only SIPW_TARGETS if set (names
# separated by spaces). Extra args go to cmake.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython3_EXECUTABLE=/usr/bin/python3 "$@" >/dev/null
# shellcheck disable=SC2086 # SIPW_TARGETS is a list of names
cmake --build "$build" -j"$(nproc)" ${SIPW_TARGETS:+--target $SIPW_TARGETS}
