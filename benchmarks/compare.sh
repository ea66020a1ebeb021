#!/bin/sh
# Bareku against Debian's mongrel2 with m2bench compare: both servers load
# the same config DB, each serving /handler through its own instance of the
# same Go handler (bin/hello), and m2bench alternates rounds between them.
# Workloads: keep-alive with 50 and 256 connections, one connection per
# request, and single-connection latency. Prints a table of medians.
#   benchmarks/compare.sh [rounds] [seconds]
# Environment: REPORT_DIR=dir writes an HTML report per workload there.
# Needs: go, /usr/bin/mongrel2 and /usr/bin/m2sh, curl.
set -eu
rounds=${1:-3}; secs=${2:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

(cd "$top" && go build -o bin/ ./cmd/mongrel2 ./cmd/m2bench ./handlers/examples/hello)

# Two servers, one DB: mongrel2 on 28080 and Bareku on 28081, each with its
# own handler sockets so that both can run side by side.
cat > "$work/bench.conf" <<CONF
hm = Handler(send_spec='tcp://127.0.0.1:29997', send_ident='bench-m2',
             recv_spec='tcp://127.0.0.1:29996', recv_ident='')
hb = Handler(send_spec='tcp://127.0.0.1:29995', send_ident='bench-bareku',
             recv_spec='tcp://127.0.0.1:29994', recv_ident='')
m2 = Server(uuid="bench-m2", access_log="logs/m2-access.log", error_log="logs/m2-error.log",
    pid_file="run/m2.pid", default_host="localhost", name="m2",
    port=28080, bind_addr="127.0.0.1",
    hosts=[Host(name="localhost", routes={'/handler': hm})])
bareku = Server(uuid="bench-bareku", access_log="logs/bareku-access.log", error_log="logs/bareku-error.log",
    pid_file="run/bareku.pid", default_host="localhost", name="bareku",
    port=28081, bind_addr="127.0.0.1",
    hosts=[Host(name="localhost", routes={'/handler': hb})])
settings = {"server.daemonize": 0, "disable.access_logging": 1}
servers = [m2, bareku]
CONF
mkdir -p "$work/logs" "$work/run"
(cd "$work" && LOGNAME=bench /usr/bin/m2sh load -config bench.conf -db config.sqlite >/dev/null)

"$top/bin/hello" -send tcp://127.0.0.1:29997 -recv tcp://127.0.0.1:29996 -id hello-m2 2>/dev/null &
pids="$pids $!"
"$top/bin/hello" -send tcp://127.0.0.1:29995 -recv tcp://127.0.0.1:29994 -id hello-bareku 2>/dev/null &
pids="$pids $!"
(cd "$work" && exec /usr/bin/mongrel2 config.sqlite bench-m2 >/dev/null 2>&1) &
pids="$pids $!"
(cd "$work" && exec "$top/bin/mongrel2" config.sqlite bench-bareku >/dev/null 2>&1) &
pids="$pids $!"

a=http://127.0.0.1:28080/handler
b=http://127.0.0.1:28081/handler
for url in $a $b; do
	i=0
	until curl -sf -o /dev/null "$url"; do
		i=$((i + 1))
		if [ $i -ge 100 ]; then echo "compare.sh: $url does not answer" >&2; exit 1; fi
		sleep 0.1
	done
done

# run NAME M2BENCH-FLAGS...: one comparison, kept for the table.
run() {
	name=$1; shift
	report=""
	if [ -n "${REPORT_DIR:-}" ]; then mkdir -p "$REPORT_DIR"; report="-report $REPORT_DIR/$name.html"; fi
	echo "== $name" >&2
	# shellcheck disable=SC2086 # $report is empty or two words
	"$top/bin/m2bench" compare -rounds "$rounds" -d "${secs}s" -names mongrel2,bareku $report "$@" "$a" "$b" \
		> "$work/$name.txt"
	cat "$work/$name.txt" >&2
}
run keepalive-c50 -c 50
run keepalive-c256 -c 256
run close-c50 -c 50 -close
run latency-c1 -c 1

# The table: medians over the rounds, and bareku/mongrel2 ratios.
printf '\n%-16s %11s %11s %6s  %9s %9s %6s  %9s %9s %6s  %s\n' workload \
	'm2 req/s' 'bk req/s' ratio 'm2 p50ms' 'bk p50ms' ratio 'm2 p99ms' 'bk p99ms' ratio 'errors m2/bk'
for name in keepalive-c50 keepalive-c256 close-c50 latency-c1; do
	awk -v n="$name" '
		/^throughput req\/s/ { ta = $3; tb = $4; tr = $5 }
		/^p50 ms/ { pa = $3; pb = $4; pr = $5 }
		/^p99 ms/ { qa = $3; qb = $4; qr = $5 }
		/^errors/ { ea = $2; eb = $3 }
		END { printf "%-16s %11s %11s %6s  %9s %9s %6s  %9s %9s %6s  %s/%s\n", n, ta, tb, tr, pa, pb, pr, qa, qb, qr, ea, eb }
	' "$work/$name.txt"
done
