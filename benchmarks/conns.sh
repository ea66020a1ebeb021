#!/bin/bash
# Connection-scale benchmarks, Bareku and Debian's mongrel2 in turn:
#   idle:     RSS per connection with 10,000 idle keep-alive connections
#             (each after one answered handler request);
#   longpoll: requests/s and p99 through /handler while 10,000 other
#             connections wait on a handler that never answers.
#   benchmarks/conns.sh [connections]
# Needs: make build, wrk, python3-zmq, /usr/bin/mongrel2 and /usr/bin/m2sh.
set -u
n=${1:-10000}
ulimit -n "$(ulimit -Hn)"
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/holdconns" "$top/benchmarks/holdconns" || exit 1
cat > "$work/b.conf" <<CONF
h = Handler(send_spec='tcp://127.0.0.1:29997', send_ident='bench-handler',
            recv_spec='tcp://127.0.0.1:29996', recv_ident='')
p = Handler(send_spec='tcp://127.0.0.1:29995', send_ident='poll-handler',
            recv_spec='tcp://127.0.0.1:29994', recv_ident='')
main = Server(uuid="bench-server", access_log="logs/access.log", error_log="logs/error.log",
    pid_file="run/mongrel2.pid", default_host="localhost", name="main",
    port=28080, bind_addr="127.0.0.1",
    hosts=[Host(name="localhost", routes={'/handler': h, '/poll': p})])
settings = {"server.daemonize": 0, "disable.access_logging": 1, "superpoll.max_fd": 30000}
servers = [main]
CONF
mkdir -p "$work/logs" "$work/run"
(cd "$work" && LOGNAME=bench /usr/bin/m2sh load -config b.conf -db config.sqlite >/dev/null 2>&1)
cat > "$work/sink.py" <<'PY'
import zmq
pull = zmq.Context().socket(zmq.PULL)
pull.connect("tcp://127.0.0.1:29995")
while True:
    pull.recv()
PY
/usr/bin/python3 "$work/sink.py" & sink=$!
"$top/bin/hello" -send tcp://127.0.0.1:29997 -recv tcp://127.0.0.1:29996 -id bench-hello 2>/dev/null & hello=$!

start() { rm -f "$work/run/mongrel2.pid"; (cd "$work" && exec "$1" config.sqlite bench-server >/dev/null 2>&1) & srv=$!; sleep 1.5; }
hold() { "$work/holdconns" -n "$n" "$@" > "$work/hold.out" 2>/dev/null & holder=$!
	for _ in $(seq 120); do grep -q open "$work/hold.out" && break; sleep 1; done; sleep 2; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
for impl in /usr/bin/mongrel2 "$top/bin/mongrel2"; do
	name=bareku; [ "$impl" = /usr/bin/mongrel2 ] && name=mongrel2
	start "$impl"; before=$(rss $srv); hold -path /handler -wait; after=$(rss $srv)
	echo "$name idle: $(cat "$work/hold.out"), rss ${before} KiB -> ${after} KiB, $(( (after-before)/n )) KiB per connection"
	kill $holder $srv; wait $holder $srv 2>/dev/null
	start "$impl"
	base=$(wrk -t2 -c50 -d5s http://127.0.0.1:28080/handler | awk '/Requests\/sec/ {print $2}')
	hold -path /poll
	out=$(wrk -t2 -c50 -d5s --latency http://127.0.0.1:28080/handler)
	echo "$name longpoll: $(cat "$work/hold.out") waiting; /handler $base req/s alone, $(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}') req/s with them, p99 $(printf '%s\n' "$out" | awk '$1=="99%" {print $2}')"
	kill $holder $srv; wait $holder $srv 2>/dev/null
done
kill $sink $hello
