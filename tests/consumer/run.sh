#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds a tiny C program against it twice: with
# pkg-config and with CMake's find_package(sipw). Both programs must run. Then the pip route: a copy
# of python/ (away from the checkout, so SWIG's interface and the catalogue come from the installed
# library) is installed offline into a fresh venv, and a worker is created and used from it, and
# its pytest plugin is found.
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

# --system-site-packages: Debian's setuptools 66 needs the `wheel` package (python3-wheel) to build.
cp -r "$here/../../python" "$prefix/python-src"
rm -rf "$prefix/python-src/build" "$prefix/python-src"/src/*.egg-info
/usr/bin/python3 -m venv --system-site-packages "$prefix/venv"
(cd "$prefix" && "$prefix/venv/bin/pip" install -q --no-index --no-build-isolation "$prefix/python-src")
(cd "$prefix" && "$prefix/venv/bin/python" - <<'PY'
import sipworker
from sipworker import Cmd, SipwError, SipWorker
assert sipworker.__file__.startswith(__import__("sys").prefix), sipworker.__file__
assert Cmd.UNHOLD == "ONHOLD" and sipworker.sipw.SIPW_CMD_UNHOLD == "ONHOLD"
with SipWorker() as w:
    try:
        w.post_raw(Cmd.INIT, "{not json")
        raise SystemExit("malformed JSON was accepted")
    except SipwError as e:
        assert e.code == SipwError.EINVAL and e.message_cn, e
# The pytest plugin: importable, registered for pytest, its Kamailio template shipped inside.
import importlib.metadata, os, sipworker.testing
plugins = [e.value for e in importlib.metadata.entry_points(group="pytest11") if e.name == "sipworker"]
assert plugins == ["sipworker.testing"], plugins
assert os.path.exists(os.path.join(os.path.dirname(sipworker.testing.__file__), "kamailio.cfg.in"))
print("consumer: pip install into a fresh venv passed (sipworker", sipworker.__version__ + ")")
PY
)
