#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs
# each for SECONDS (default 60; 0 only builds): the RFC 7118 rewriting, from tests/fuzz/corpus, and
# SIP messages through sofia-sip's parser entry with our message class, from tests/fuzz/sip_corpus;
# each grows a scratch corpus in build-fuzz/. Exits non-zero on any crash, leak or hang; the failing input is
# left in build-fuzz/ as crash-* / leak-* / timeout-*. Extra arguments go to cmake (for example
# -DSIPW_FUZZ_SOFIA_LIB=... to link an instrumented static sofia-sip).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
out=$root/build-fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPW_FUZZ=ON \
  -DSIPW_TESTS=OFF -DSIPW_PYTHON=OFF -DSIPW_CSHARP=OFF -DSIPW_EXAMPLES=OFF -DSIPW_BENCH=OFF -DSIPW_INSTALL=OFF \
  "${@:2}" >/dev/null
cmake --build "$out" --target sipw_fuzz_ws_rewrite sipw_fuzz_sip_message -j2
[[ $seconds == 0 ]] && exit 0  # build only
mkdir -p "$out/corpus" "$out/sip_corpus"
cd "$out"
./sipw_fuzz_ws_rewrite -max_total_time="$seconds" -max_len=4096 -timeout=5 \
  -dict="$root/tests/fuzz/sip.dict" -print_final_stats=1 "$out/corpus" "$root/tests/fuzz/corpus"
./sipw_fuzz_sip_message -max_total_time="$seconds" -max_len=4096 -timeout=5 \
  -dict="$root/tests/fuzz/sip.dict" -print_final_stats=1 "$out/sip_corpus" "$root/tests/fuzz/sip_corpus"
