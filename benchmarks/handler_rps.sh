#!/bin/sh
# Requests per second and latency through a handler route, Bareku and
# Debian's mongrel2 side by side on the same config DB and the same Go
# handler (bin/hello), alternating rounds.
#   benchmarks/handler_rps.sh [rounds] [connections] [seconds]
# Needs: make build, wrk, /usr/bin/mongrel2 and /usr/bin/m2sh.
set -eu
rounds=${1:-3}; conns=${2:-50}; secs=${3:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

cat > "$work/bench.conf" <<CONF
h = Handler(send_spec='tcp://127.0.0.1:29997', send_ident='bench-handler',
            recv_spec='tcp://127.0.0.1:29996', recv_ident='')
main = Server(uuid="bench-server", access_log="logs/access.log", error_log="logs/error.log",
    pid_file="run/mongrel2.pid", default_host="localhost", name="main",
    port=28080, bind_addr="127.0.0.1",
    hosts=[Host(name="localhost", routes={'/handler': h})])
settings = {"server.daemonize": 0, "disable.access_logging": 1}
servers = [main]
CONF
mkdir -p "$work/logs" "$work/run"
(cd "$work" && LOGNAME=bench /usr/bin/m2sh load -config bench.conf -db config.sqlite >/dev/null 2>&1)

"$top/bin/hello" -send tcp://127.0.0.1:29997 -recv tcp://127.0.0.1:29996 -id bench-hello 2>/dev/null &
pids="$pids $!"

run() { # name binary
	rm -f "$work/run/mongrel2.pid"
	(cd "$work" && exec "$2" config.sqlite bench-server >/dev/null 2>&1) &
	srv=$!
	sleep 1.5
	out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency http://127.0.0.1:28080/handler)
	kill "$srv"; wait "$srv" 2>/dev/null || true
	rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(printf '%s\n' "$out" | awk '$1=="50%" {print $2}')
	p99=$(printf '%s\n' "$out" | awk '$1=="99%" {print $2}')
	errs=$(printf '%s\n' "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
	echo "$1 rps=$rps p50=$p50 p99=$p99 $errs"
}
for i in $(seq "$rounds"); do
	run mongrel2 /usr/bin/mongrel2
	run bareku "$top/bin/mongrel2"
done
