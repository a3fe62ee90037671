#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds a tiny C program against it twice: with
# pkg-config and with CMake's find_package(sipw). Both programs must run.
set -euo pipefail
build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(find "$prefix" -name 'sipw.pc' -printf '%h')
export PKG_CONFIG_PATH=$libdir
cc "$here/consumer.c" $(pkg-config --cflags --libs sipw) -Wl,-rpath,"$(pkg-config --variable=libdir sipw)" -o "$prefix/consumer_pc"
"$prefix/consumer_pc"
cmake -S "$here" -B "$prefix/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-build" >/dev/null
"$prefix/cmake-build/consumer"
echo "consumer: pkg-config and find_package builds passed"
