#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs
# the RFC 7118 rewriting target for SECONDS (default 60), starting from tests/fuzz/corpus and
# growing a scratch corpus in build-fuzz/corpus. Exits non-zero on any crash, leak or hang; the
# failing input is left in build-fuzz/ as crash-* / leak-* / timeout-*.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
out=$root/build-fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPW_FUZZ=ON \
  -DSIPW_TESTS=OFF -DSIPW_PYTHON=OFF -DSIPW_CSHARP=OFF -DSIPW_EXAMPLES=OFF -DSIPW_BENCH=OFF -DSIPW_INSTALL=OFF >/dev/null
cmake --build "$out" --target sipw_fuzz_ws_rewrite -j2
mkdir -p "$out/corpus"
cd "$out"
./sipw_fuzz_ws_rewrite -max_total_time="$seconds" -max_len=4096 -timeout=5 \
  -dict="$root/tests/fuzz/sip.dict" -print_final_stats=1 "$out/corpus" "$root/tests/fuzz/corpus"
