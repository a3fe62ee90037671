#!/usr/bin/env bash
# The README's second command (and what CI runs): installs what is missing, builds, and runs every
# test suite — GoogleTest (unit + integration), the plain-C test, pytest, NUnit — through ctest,
# inside a private network namespace with the loopback servers; then the core tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer and under ThreadSanitizer, short libFuzzer runs, and
# a consumer build against the installed package.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
# Each phase prints when it starts, in seconds since this script began: the budget is one hour.
phase() { echo "== $* (at ${SECONDS} s)"; }
trap 'echo "== end (at ${SECONDS} s)"' EXIT
"$root/scripts/install-deps.sh"

phase "build"
"$root/scripts/build.sh"

# The sanitizer and fuzz builds run meanwhile, at the lowest CPU priority: the suites below mostly
# wait on real time (audio, timers), and a build at nice 19 only takes what they leave. The phases
# that use these builds build again, which then has nothing left to do or shows the error.
asan_cmake=(-DSIPW_SANITIZE=ON -DSIPW_PYTHON=OFF -DSIPW_CSHARP=OFF -DSIPW_EXAMPLES=OFF -DSIPW_BENCH=OFF)
# What the ASan phase runs (not the fault tests: they restart the servers and firewall the namespace,
# which is the main phase's and ThreadSanitizer's part).
asan_build() {
  BUILD_DIR=$root/build-asan SIPW_TARGETS="sipw_unit_tests sipw_integration_tests sipw_media_tests sipw_soak_tests \
sipw_c_test sipw_event_fd_test sipw_netem" "$root/scripts/build.sh" "${asan_cmake[@]}"
}
phase "sanitizer and fuzz builds start in the background (nice 19, log: build/background-build.log)"
(
  renice -n 19 -p "$BASHPID" >/dev/null  # this subshell and all it starts
  asan_build && SIPW_BUILD_ONLY=1 "$root/scripts/tsan.sh" && "$root/scripts/fuzz.sh" 0
) > "$build/background-build.log" 2>&1 &
background_build=$!

# A test that fails is run again, up to three times in all: these tests measure real audio and
# real timers on shared 2-core machines, and a run that fails three times in a row fails CI.
phase "all suites (ctest), loopback servers in a private network namespace"
SIPW_REQUIRE_SERVERS=1 "$root/tests/netns-run.sh" \
  ctest --test-dir "$build" --output-on-failure --timeout 300 --repeat until-pass:3 -j1

phase "waiting for the background builds"
wait "$background_build" || { echo "a background build failed; its log ends:"; tail -40 "$build/background-build.log"; }

phase "core and C ABI tests under AddressSanitizer + UndefinedBehaviorSanitizer"
asan_build
# sofia-sip and GLib keep process-lifetime allocations that are not ours; leaks in our code
# still show up because the suppressions name only those libraries.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
SIPW_REQUIRE_SERVERS=1 "$root/tests/netns-run.sh" \
  ctest --test-dir "$root/build-asan" --output-on-failure --timeout 300 --repeat until-pass:3 -j1 -L "unit|integration|media|soak"

phase "core and integration tests under ThreadSanitizer"
"$root/scripts/tsan.sh"

phase "fuzz: the SIP-over-WebSocket rewriting and SIP messages through sofia-sip's parser (libFuzzer, clang), 30 s each"
"$root/scripts/fuzz.sh" 30

phase "consumer: install, then build a tiny C program with pkg-config and with find_package(sipw)"
"$root/tests/consumer/run.sh" "$build"
