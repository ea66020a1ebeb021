#!/bin/sh
# Installs the Debian packages Bareku needs, only when something is missing.
#   scripts/deps.sh build   libzmq headers, a C compiler, pkg-config (cgo)
#   scripts/deps.sh test    the above plus the real Mongrel2 (differential
#                           tests), sqlite3, python3-zmq and wrk
set -eu
want="libzmq3-dev gcc libc6-dev pkg-config"
if [ "${1:-build}" = test ]; then
	want="$want mongrel2-core sqlite3 python3-zmq wrk uuid-runtime"
fi
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends $missing
