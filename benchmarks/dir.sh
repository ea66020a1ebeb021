#!/bin/bash
# Static files side by side: Bareku and Debian's mongrel2 (Dir route) and
# nginx (one worker, sendfile on) on the same files: a 1 KB file at wrk -c50
# and a 1 MB file at wrk -c10, alternating, for N rounds.
#   benchmarks/dir.sh [rounds] [seconds]
# Needs: make build, wrk, nginx (apt-get install nginx-light),
# /usr/bin/mongrel2 and /usr/bin/m2sh.
set -u
rounds=${1:-3}; secs=${2:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/bareku-dir.XXXXXX)
chmod 755 "$work"
trap 'pkill -P $$ 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/site" "$work/logs" "$work/run" "$work/ng"
head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$work/site/1k.txt"
head -c 1048576 /dev/urandom > "$work/site/1m.bin"
touch -d '1 hour ago' "$work/site/"*
chmod -R a+rX "$work/site"
cat > "$work/d.conf" <<CONF
main = Server(uuid="dir-bench", access_log="logs/access.log", error_log="logs/error.log",
    pid_file="run/mongrel2.pid", default_host="localhost", name="main",
    port=28090, bind_addr="127.0.0.1",
    hosts=[Host(name="localhost", routes={'/': Dir(base='site/', index_file='index.html', default_ctype='text/plain')})])
settings = {"server.daemonize": 0, "disable.access_logging": 1}
servers = [main]
CONF
(cd "$work" && LOGNAME=bench /usr/bin/m2sh load -config d.conf -db d.sqlite >/dev/null 2>&1)
cat > "$work/ng/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $work/ng/error.log;
pid $work/ng/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:28091; root $work/site; }
}
CONF
run() { # name port
	for f in "1k.txt 50" "1m.bin 10"; do
		set -- $f
		out=$(wrk -t2 -c"$2" -d"${secs}s" "http://127.0.0.1:$PORT/$1")
		echo "$NAME $1 c$2 rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}') $(printf '%s\n' "$out" | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ')"
	done
}
for _ in $(seq "$rounds"); do
	rm -f "$work/run/"*; (cd "$work" && exec "$top/bin/mongrel2" d.sqlite dir-bench >/dev/null 2>&1) & s=$!; sleep 1
	NAME=bareku PORT=28090 run; kill $s; wait $s 2>/dev/null
	rm -f "$work/run/"*; (cd "$work" && exec /usr/bin/mongrel2 d.sqlite dir-bench >/dev/null 2>&1) & s=$!; sleep 1.5
	NAME=mongrel2 PORT=28090 run; kill $s; wait $s 2>/dev/null
	nginx -c "$work/ng/nginx.conf" & s=$!; sleep 1
	NAME=nginx PORT=28091 run; kill $s; wait $s 2>/dev/null
done
